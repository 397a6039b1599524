//! One page of any list (articles, search results, admin rows): every list is paginated.

use serde::{Deserialize, Serialize};

/// Articles per page in every list.
pub const PAGE_SIZE: u32 = 10;

/// One page of a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// How many items the whole list holds.
    pub total: i64,
    /// 1-based.
    pub page: u32,
    pub per_page: u32,
}

impl<T> Page<T> {
    pub fn pages(&self) -> u32 {
        let per_page = i64::from(self.per_page.max(1));
        u32::try_from((self.total + per_page - 1) / per_page).unwrap_or(u32::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_counts_round_up() {
        let page = |total| Page::<()> {
            items: vec![],
            total,
            page: 1,
            per_page: 10,
        };
        assert_eq!(page(0).pages(), 0);
        assert_eq!(page(10).pages(), 1);
        assert_eq!(page(11).pages(), 2);
    }
}
