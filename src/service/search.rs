//! Search: articles by relevance over title, description, body and tags (FTS5), and the
//! authors whose username or bio match. Any text a user types is a valid query.

use crate::db;
use crate::db::search::{HIT_END, HIT_START, RANKED_MAX};
use crate::error::AppResult;
use crate::model::article::{PAGE_SIZE, Page, Profile};
use crate::model::search::{QUERY_MAX_CHARS, SearchHit, SearchResults, snippet_parts};
use crate::state::AppState;

/// Words of a query that count; the rest are ignored.
const MAX_WORDS: usize = 12;
/// Longest word kept (longer ones are cut).
const MAX_WORD_CHARS: usize = 64;
/// Authors listed above the articles.
pub const AUTHORS_SHOWN: i64 = 5;
/// The deepest page served.
pub const MAX_PAGE: u32 = 1000;

/// The FTS5 query for what a user typed: its words (letters and digits), each quoted so that
/// `AND`, `NEAR(`, `title:`, `*` and quotes are plain text, all required, and the last one
/// also matching as a prefix ("rus" finds "rust"). `None` when nothing searchable is left.
pub fn fts_query(text: &str) -> Option<String> {
    let words: Vec<String> = text
        .chars()
        .take(QUERY_MAX_CHARS)
        .collect::<String>()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(MAX_WORDS)
        .map(|w| w.chars().take(MAX_WORD_CHARS).collect())
        .collect();
    let (last, rest) = words.split_last()?;
    let mut query: Vec<String> = rest.iter().map(|w| format!("\"{w}\"")).collect();
    query.push(format!("\"{last}\"*"));
    Some(query.join(" "))
}

/// What `search_range` found.
#[derive(Debug)]
pub struct Found {
    /// Best first.
    pub hits: Vec<SearchHit>,
    /// How many articles match, at most `RANKED_MAX`.
    pub total: i64,
    /// More than `RANKED_MAX` match: only the newest `RANKED_MAX` were ranked.
    pub capped: bool,
    pub authors: Vec<Profile>,
}

/// Articles `offset..offset + limit` matching `text`, best first, their count, and the
/// matching authors.
pub async fn search_range(
    state: &AppState,
    viewer: Option<i64>,
    text: &str,
    limit: i64,
    offset: i64,
) -> AppResult<Found> {
    let mut found = Found {
        hits: Vec::new(),
        total: 0,
        capped: false,
        authors: Vec::new(),
    };
    // Any text is a query: control characters (U+0000 among them, which PostgreSQL could not
    // take as a parameter) separate words like spaces.
    let text: String = text
        .trim()
        .chars()
        .take(QUERY_MAX_CHARS)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let text = text.trim();
    if text.is_empty() {
        return Ok(found);
    }
    let mut tx = state.db.reader.begin().await?;
    found.authors = db::search::authors(&mut *tx, text, viewer, AUTHORS_SHOWN).await?;
    let Some(fts) = fts_query(text) else {
        return Ok(found);
    };
    // A last word that is already a common word as typed is taken as that word: its prefix
    // would add few articles to the newest ranked, and expanding it costs a pass over the
    // index's whole list of every word it starts ("rust"* at a million articles: 200 ms).
    let whole = fts.strip_suffix('*').unwrap_or(&fts).to_owned();
    let as_typed = db::search::count(&mut *tx, &whole).await?;
    let (fts, matching) = if as_typed > RANKED_MAX {
        (whole, as_typed)
    } else {
        let matching = db::search::count(&mut *tx, &fts).await?;
        (fts, matching)
    };
    found.total = matching.min(RANKED_MAX);
    found.capped = matching > RANKED_MAX;
    if offset >= found.total {
        return Ok(found);
    }
    let from_id = if found.capped {
        db::search::ranked_from(&mut *tx, &fts).await?
    } else {
        0
    };
    let rows = db::search::articles(&mut tx, &fts, from_id, viewer, limit, offset).await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.row.id).collect();
    let mut tags = db::article::tags_of(&mut tx, &ids).await?;
    found.hits = rows
        .into_iter()
        .map(|hit| {
            let mine = super::take_tags(&mut tags, hit.row.id);
            SearchHit {
                snippet: snippet_parts(&hit.snippet, HIT_START, HIT_END),
                summary: hit.row.into_summary(mine),
            }
        })
        .collect();
    Ok(found)
}

/// Page `page` (1-based) of a search, `PAGE_SIZE` articles a page.
pub async fn search(
    state: &AppState,
    viewer: Option<i64>,
    text: &str,
    page: u32,
) -> AppResult<SearchResults> {
    let (limit, offset) = super::page_window(page, MAX_PAGE)?;
    let found = search_range(state, viewer, text, limit, offset).await?;
    Ok(SearchResults {
        authors: found.authors,
        articles: Page {
            items: found.hits,
            total: found.total,
            page,
            per_page: PAGE_SIZE,
        },
        capped: found.capped,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_quoted_and_the_last_is_a_prefix() {
        assert_eq!(fts_query("rust web").as_deref(), Some(r#""rust" "web"*"#));
        assert_eq!(fts_query("rus").as_deref(), Some(r#""rus"*"#));
    }

    #[test]
    fn fts_syntax_is_plain_text() {
        assert_eq!(
            fts_query(r#"title:rust AND "x" NEAR( y* -z"#).as_deref(),
            Some(r#""title" "rust" "AND" "x" "NEAR" "y" "z"*"#)
        );
        assert_eq!(fts_query("\"").as_deref(), None);
        assert_eq!(fts_query("  ***  ").as_deref(), None);
        assert_eq!(fts_query("🦀🦀").as_deref(), None);
        assert_eq!(fts_query("Ünïcödé").as_deref(), Some(r#""Ünïcödé"*"#));
    }

    #[test]
    fn long_queries_are_bounded() {
        let words = fts_query(&"word ".repeat(1000)).unwrap();
        assert_eq!(words.matches('"').count(), MAX_WORDS * 2);
        let long = fts_query(&"x".repeat(1000)).unwrap();
        assert!(long.len() <= MAX_WORD_CHARS + 3);
    }
}
