//! Search: articles by relevance over title, description, body and tags (FTS5), and the
//! authors whose username or bio match. Any text a user types is a valid query.

use crate::auth::limiter::Key;
use crate::client_ip::ClientKey;
use crate::db;
use crate::db::search::{Index, RANKED_MAX};
use crate::error::AppResult;
use crate::model::page::{PAGE_SIZE, Page};
use crate::model::profile::Profile;
use crate::model::search::{QUERY_MAX_CHARS, SearchHit, SearchResults};
use crate::model::user::UserId;
use crate::service::snippet::{Terms, snippet};
use crate::state::AppState;
use sqlx::SqliteConnection;

/// Words of a query that count; the rest are ignored.
const MAX_WORDS: usize = 12;
/// Longest word kept (longer ones are cut).
const MAX_WORD_CHARS: usize = 64;
/// Authors listed above the articles.
pub const AUTHORS_SHOWN: i64 = 5;
/// The deepest page served.
pub const MAX_PAGE: u32 = 1000;
pub use crate::state::SEARCH_SLOTS;

/// The words of what a user typed that a search looks for: runs of letters and digits, at
/// most `MAX_WORDS`, each cut at `MAX_WORD_CHARS`.
pub fn query_words(text: &str) -> Vec<String> {
    text.chars()
        .take(QUERY_MAX_CHARS)
        .collect::<String>()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(MAX_WORDS)
        .map(|w| w.chars().take(MAX_WORD_CHARS).collect())
        .collect()
}

/// The FTS5 query for what a user typed: its words (`query_words`), each quoted so that
/// `AND`, `NEAR(`, `title:`, `*` and quotes are plain text, all required, and the last one
/// also matching as a prefix ("rus" finds "rust"). `None` when nothing searchable is left.
pub fn fts_query(text: &str) -> Option<String> {
    let words = query_words(text);
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
/// matching authors. A search counts against its `client`'s limit (429 past it): each one that
/// runs costs milliseconds, so a stream of different searches from one client could otherwise
/// keep the server busy. Empty text costs nothing and is not counted.
pub async fn search_range(
    state: &AppState,
    client: &ClientKey,
    viewer: Option<UserId>,
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
    state
        .search_limiter
        .attempt(Key::Client(client))
        .inspect_err(|_| tracing::warn!(%client, "search rate limit"))?;
    // Waiting is bounded by the request's deadline (`http::edge`).
    let _slot = state.search_slots.acquire().await.map_err(|_| {
        tracing::error!("the search slots were closed");
        crate::error::AppError::Internal
    })?;
    // On the searchers' own connections, at their lower priority (`db::SEARCHERS`).
    let mut tx = state.db.searcher.begin().await?;
    found.authors = db::search::authors(&mut *tx, text, viewer, AUTHORS_SHOWN).await?;
    let Some(fts) = fts_query(text) else {
        return Ok(found);
    };
    // A last word that is already a common word as typed is taken as that word: its prefix
    // would add few articles to the newest ranked, and expanding it merges the lists of every
    // word it starts.
    let whole = fts.strip_suffix('*').unwrap_or(&fts).to_owned();
    let as_typed = Matches::count(&mut tx, &whole).await?;
    let (fts, matches) = if as_typed.all > RANKED_MAX {
        (whole, as_typed)
    } else {
        let matches = Matches::count(&mut tx, &fts).await?;
        (fts, matches)
    };
    found.total = matches.all.min(RANKED_MAX);
    found.capped = matches.all > RANKED_MAX;
    if offset >= found.total {
        return Ok(found);
    }
    let (index, from_id) = matches.ranking(&mut tx, &fts).await?;
    let rows = db::search::articles(&mut tx, index, &fts, from_id, viewer, limit, offset).await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.row.id).collect();
    let mut tags = db::tag::tags_of(&mut tx, &ids).await?;
    let terms = Terms::new(&query_words(text), fts.ends_with('*'));
    found.hits = rows
        .into_iter()
        .map(|hit| {
            let mine = super::take_tags(&mut tags, hit.row.id);
            SearchHit {
                snippet: snippet(&terms, &hit.row.title, &hit.row.description, &hit.body),
                summary: hit.row.into_summary(mine),
            }
        })
        .collect();
    Ok(found)
}

/// How many articles match a query, each count stopping past `RANKED_MAX`.
#[derive(Debug, Clone, Copy)]
struct Matches {
    /// In the recent index.
    recent: i64,
    /// In the whole index; `recent` when that is past `RANKED_MAX` already.
    all: i64,
}

impl Matches {
    /// Counts in the recent index first: when it holds more than `RANKED_MAX` matches, so
    /// does the whole index, which would merge the lists of every word a prefix starts across
    /// all the articles to say so.
    async fn count(db: &mut SqliteConnection, fts: &str) -> AppResult<Self> {
        let recent = db::search::count(&mut *db, Index::Recent, fts).await?;
        let all = if recent > RANKED_MAX {
            recent
        } else {
            db::search::count(&mut *db, Index::All, fts).await?
        };
        Ok(Self { recent, all })
    }

    /// The index to rank the matching articles in, and the id they start from.
    ///
    /// The ranked articles are the newest `RANKED_MAX` matches, or all of them. The recent
    /// index holds every article newer than some id, so it holds them all exactly when it
    /// holds `RANKED_MAX` matches, or as many as the whole index. It then ranks the same
    /// articles as the whole index would, scoring each word's rarity among the newest 100,000
    /// articles instead of all of them. Otherwise the ranked articles reach back further, and
    /// the whole index ranks them.
    async fn ranking(self, db: &mut SqliteConnection, fts: &str) -> AppResult<(Index, i64)> {
        if self.all <= RANKED_MAX {
            let index = if self.recent == self.all {
                Index::Recent
            } else {
                Index::All
            };
            return Ok((index, 0));
        }
        if let Some(from) = db::search::ranked_from(&mut *db, Index::Recent, fts).await? {
            return Ok((Index::Recent, from));
        }
        let from = db::search::ranked_from(&mut *db, Index::All, fts).await?;
        Ok((Index::All, from.unwrap_or(0)))
    }
}

/// Page `page` (1-based) of a search, `PAGE_SIZE` articles a page.
pub async fn search(
    state: &AppState,
    client: &ClientKey,
    viewer: Option<UserId>,
    text: &str,
    page: u32,
) -> AppResult<SearchResults> {
    let (limit, offset) = super::page_window(page, MAX_PAGE)?;
    let found = search_range(state, client, viewer, text, limit, offset).await?;
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
