//! Search results as both sides see them.

use serde::{Deserialize, Serialize};

use crate::model::article::ArticleSummary;

use crate::model::page::Page;

use crate::model::profile::Profile;

/// The longest query text that is read; the rest is ignored.
pub const QUERY_MAX_CHARS: usize = 200;

/// A piece of a snippet: `hit` pieces are the words that matched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnippetPart {
    pub text: String,
    pub hit: bool,
}

/// An article found, with the passage of it that matched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchHit {
    pub summary: ArticleSummary,
    pub snippet: Vec<SnippetPart>,
}

/// What a search found: matching authors, then a page of articles, best first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchResults {
    pub authors: Vec<Profile>,
    pub articles: Page<SearchHit>,
    /// More articles match than `articles.total` says: only the newest of them were ranked.
    pub capped: bool,
}

/// Splits text marked with `start` and `end` around the hits into plain and hit pieces.
pub fn snippet_parts(marked: &str, start: char, end: char) -> Vec<SnippetPart> {
    let mut parts = Vec::new();
    let mut rest = marked;
    while let Some(open) = rest.find(start) {
        if open > 0 {
            parts.push(SnippetPart {
                text: rest[..open].to_owned(),
                hit: false,
            });
        }
        let after = &rest[open + start.len_utf8()..];
        let close = after.find(end).unwrap_or(after.len());
        if close > 0 {
            parts.push(SnippetPart {
                text: after[..close].to_owned(),
                hit: true,
            });
        }
        rest = after.get(close + end.len_utf8()..).unwrap_or_default();
    }
    if !rest.is_empty() {
        parts.push(SnippetPart {
            text: rest.to_owned(),
            hit: false,
        });
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippets_split_into_plain_and_hit_parts() {
        let parts = snippet_parts(
            "…learn \u{2}rust\u{3} fast and \u{2}rusty\u{3}",
            '\u{2}',
            '\u{3}',
        );
        let shown: Vec<(&str, bool)> = parts.iter().map(|p| (p.text.as_str(), p.hit)).collect();
        assert_eq!(
            shown,
            [
                ("…learn ", false),
                ("rust", true),
                (" fast and ", false),
                ("rusty", true)
            ]
        );
        assert!(snippet_parts("", '\u{2}', '\u{3}').is_empty());
        // An unclosed mark still ends well.
        let parts = snippet_parts("a \u{2}b", '\u{2}', '\u{3}');
        assert_eq!(parts.last().unwrap().text, "b");
    }
}
