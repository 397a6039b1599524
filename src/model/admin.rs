//! The admin pages' data: live figures, the tables an administrator may browse, and one page
//! of one table. `TableParams` is the table page's query string as typed; `TableParams::parse`
//! turns it into a `TableQuery` or a 400 that says which parameter is wrong. Whether a column
//! may be sorted on is the server's call (it knows the schema).

use serde::{Deserialize, Serialize};

use crate::error::excerpt;
use crate::error::{AppError, AppResult};
use crate::model::page::Page;
use crate::model::{NUL_MESSAGE, has_nul};

/// The page sizes a table page offers.
pub const PAGE_SIZES: [u32; 4] = [10, 25, 50, 100];
pub const DEFAULT_PAGE_SIZE: u32 = 25;
/// The longest search text a table page accepts.
pub const SEARCH_MAX_CHARS: usize = 200;
/// Characters of a cell shown before it is cut with "…".
pub const CELL_MAX_CHARS: usize = 120;
/// Days in the "articles per day" chart.
pub const CHART_DAYS: usize = 30;

/// One table an administrator may browse, with its row count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableSummary {
    pub name: String,
    pub rows: i64,
}

/// Articles published on one day (`YYYY-MM-DD`, UTC).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayCount {
    pub day: String,
    pub articles: i64,
}

/// What `/admin` shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Overview {
    pub users: i64,
    pub articles: i64,
    pub comments: i64,
    pub favorites: i64,
    /// The last `CHART_DAYS` days, oldest first, today last; days without articles count 0.
    pub per_day: Vec<DayCount>,
    /// The database's size on disk, in bytes.
    pub database_bytes: i64,
    pub tables: Vec<TableSummary>,
    /// Usernames of the administrators, by name.
    pub admins: Vec<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum SortDir {
    #[default]
    Asc,
    Desc,
}

impl SortDir {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Asc => "asc",
            Self::Desc => "desc",
        }
    }

    pub fn flip(self) -> Self {
        match self {
            Self::Asc => Self::Desc,
            Self::Desc => Self::Asc,
        }
    }
}

/// A table page's query string as the browser sent it (`?page=&size=&sort=&dir=&q=`); empty
/// means "the default".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TableParams {
    pub page: String,
    pub size: String,
    pub sort: String,
    pub dir: String,
    pub q: String,
}

/// A checked `TableParams`. `sort` is still a name the server must find among the table's
/// columns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableQuery {
    pub page: u32,
    pub per_page: u32,
    pub sort: Option<String>,
    pub dir: SortDir,
    /// Trimmed; empty means every row.
    pub q: String,
}

impl TableParams {
    pub fn parse(&self) -> AppResult<TableQuery> {
        let bad = |message: String| Err(AppError::BadRequest(message));
        let page = match self.page.trim() {
            "" => 1,
            text => match text.parse::<u32>() {
                Ok(n) if n >= 1 => n,
                _ => {
                    return bad(format!(
                        "page must be a whole number from 1, not {:?}",
                        excerpt(text, 40)
                    ));
                }
            },
        };
        let per_page = match self.size.trim() {
            "" => DEFAULT_PAGE_SIZE,
            text => match text.parse::<u32>() {
                Ok(n) if PAGE_SIZES.contains(&n) => n,
                _ => {
                    return bad(format!(
                        "size must be one of 10, 25, 50 or 100, not {:?}",
                        excerpt(text, 40)
                    ));
                }
            },
        };
        let dir = match self.dir.trim() {
            "" | "asc" => SortDir::Asc,
            "desc" => SortDir::Desc,
            text => {
                return bad(format!(
                    "dir must be asc or desc, not {:?}",
                    excerpt(text, 40)
                ));
            }
        };
        let q = self.q.trim();
        if has_nul(q) {
            return bad(format!("q {NUL_MESSAGE}"));
        }
        if q.chars().count() > SEARCH_MAX_CHARS {
            return bad(format!(
                "the search text is too long (at most {SEARCH_MAX_CHARS} characters)"
            ));
        }
        let sort = Some(self.sort.trim()).filter(|s| !s.is_empty());
        Ok(TableQuery {
            page,
            per_page,
            sort: sort.map(str::to_owned),
            dir,
            q: q.to_owned(),
        })
    }
}

/// A column as the table page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Column {
    pub name: String,
    /// Searched by the table page's search box.
    pub searchable: bool,
}

/// One cell: its text (cut to `CELL_MAX_CHARS`), or `None` for SQL NULL.
pub type Cell = Option<String>;

/// One page of one table, as asked for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TablePage {
    pub table: String,
    pub columns: Vec<Column>,
    pub rows: Page<Vec<Cell>>,
    /// The column the rows are sorted on.
    pub sort: String,
    pub dir: SortDir,
    pub q: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(page: &str, size: &str, dir: &str) -> TableParams {
        TableParams {
            page: page.into(),
            size: size.into(),
            dir: dir.into(),
            ..TableParams::default()
        }
    }

    #[test]
    fn empty_params_are_the_defaults() {
        let query = TableParams::default().parse().unwrap();
        assert_eq!(
            query,
            TableQuery {
                page: 1,
                per_page: 25,
                sort: None,
                dir: SortDir::Asc,
                q: String::new()
            }
        );
    }

    #[test]
    fn bad_numbers_and_directions_are_400s_that_name_the_parameter() {
        for (p, s, d, word) in [
            ("0", "", "", "page"),
            ("-1", "", "", "page"),
            ("99999999999999999999", "", "", "page"),
            ("two", "", "", "page"),
            ("", "7", "", "size"),
            ("", "1000000", "", "size"),
            ("", "", "sideways", "dir"),
        ] {
            match params(p, s, d).parse() {
                Err(AppError::BadRequest(message)) => {
                    assert!(message.starts_with(word), "{message}")
                }
                other => panic!("{p:?} {s:?} {d:?} gave {other:?}"),
            }
        }
        let long = TableParams {
            q: "x".repeat(SEARCH_MAX_CHARS + 1),
            ..TableParams::default()
        };
        assert!(matches!(long.parse(), Err(AppError::BadRequest(_))));
        let nul = TableParams {
            q: "a\0b".into(),
            ..TableParams::default()
        };
        assert_eq!(
            nul.parse(),
            Err(AppError::BadRequest(
                "q must not contain the NUL character".into()
            ))
        );
    }

    #[test]
    fn valid_params_are_read() {
        let query = TableParams {
            page: " 3 ".into(),
            size: "100".into(),
            sort: "title".into(),
            dir: "desc".into(),
            q: "  rust ".into(),
        }
        .parse()
        .unwrap();
        assert_eq!(query.page, 3);
        assert_eq!(query.per_page, 100);
        assert_eq!(query.sort.as_deref(), Some("title"));
        assert_eq!(query.dir, SortDir::Desc);
        assert_eq!(query.q, "rust");
    }
}
