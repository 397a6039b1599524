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
