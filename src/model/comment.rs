//! Comments on an article, and the rule for what a reader may post.

use serde::{Deserialize, Serialize};

use crate::error::{AppResult, FieldErrors};
use crate::model::check_text;
use crate::model::profile::Profile;

pub const COMMENT_MAX: usize = 5000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Comment {
    pub id: i64,
    pub body: String,
    pub created_at: String,
    pub updated_at: String,
    pub author: Profile,
}

/// A comment's text: plain text, shown escaped.
pub fn validate_comment(body: &str) -> AppResult<()> {
    let mut errors = FieldErrors::new();
    check_text(&mut errors, "body", body.trim(), COMMENT_MAX);
    errors.into_result()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_must_say_something_within_the_limit() {
        assert!(validate_comment("  ").is_err());
        assert!(validate_comment(&"c".repeat(5001)).is_err());
        assert_eq!(validate_comment("Nice article!"), Ok(()));
    }
}
