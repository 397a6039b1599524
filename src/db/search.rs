//! SQL for full-text search: articles through the FTS5 indexes `articles_fts` (all of them)
//! and `articles_recent_fts` (the newest 100,000), authors by username or bio. `fts` is always
//! a query built by the service from quoted words, never raw user text.

use sqlx::{FromRow, QueryBuilder, SqliteConnection, SqliteExecutor};

use super::article::{SummaryRow, push_select_summaries_and};
use crate::error::AppResult;
use crate::model::profile::Profile;
use crate::model::user::UserId;

/// An article found, with its body: the service finds its snippet there (`service::snippet`).
#[derive(Debug, FromRow)]
pub struct HitRow {
    pub body: String,
    #[sqlx(flatten)]
    pub row: SummaryRow,
}

/// A search ranks at most this many of the articles that match: the newest. A word found in
/// nearly every article would otherwise cost a relevance score for each of them per search.
pub const RANKED_MAX: i64 = 10_000;

/// A full-text index of the articles.
///
/// `bm25` counts, for each word of a query, every article of its index that holds the word, on
/// every search, and a prefix is matched by merging the lists of every word it starts; both
/// grow with the index. `Recent` holds only the newest 100,000 articles, and has prefix indexes
/// (migration 0011), so a search there costs the same on any blog larger than that. The
/// service uses it whenever it holds every article a search ranks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Index {
    All,
    Recent,
}

impl Index {
    fn table(self) -> &'static str {
        match self {
            Index::All => "articles_fts",
            Index::Recent => "articles_recent_fts",
        }
    }
}

/// The id of the oldest of the newest `RANKED_MAX` articles of `index` matching `fts`, or
/// `None` when fewer match there. The index walks its ids newest first and stops there.
pub async fn ranked_from(
    db: impl SqliteExecutor<'_>,
    index: Index,
    fts: &str,
) -> AppResult<Option<i64>> {
    let table = index.table();
    Ok(sqlx::query_scalar(&format!(
        "select rowid from {table} where {table} match $1
         order by rowid desc limit 1 offset $2"
    ))
    .bind(fts)
    .bind(RANKED_MAX - 1)
    .fetch_optional(db)
    .await?)
}

/// One page of the articles matching `fts` with ids from `from_id`, ranked in `index`, best
/// first: title matches weigh most, then tags, the description and the body.
///
/// The rows carry their bodies rather than FTS5's `snippet()`, which is quadratic in the hits
/// of a row (issue 32, F10): the service finds the passage in linear time.
pub async fn articles(
    db: &mut SqliteConnection,
    index: Index,
    fts: &str,
    from_id: i64,
    viewer: Option<UserId>,
    limit: i64,
    offset: i64,
) -> AppResult<Vec<HitRow>> {
    let table = index.table();
    let mut q = QueryBuilder::new(format!(
        "with best as materialized (select rowid as hit_id,
         bm25({table}, 10.0, 4.0, 1.0, 6.0) as score
         from {table} where {table} match "
    ));
    q.push_bind(fts.to_owned());
    q.push(" and rowid >= ");
    q.push_bind(from_id);
    q.push(" order by score, rowid desc limit ");
    q.push_bind(limit);
    q.push(" offset ");
    q.push_bind(offset);
    q.push(") ");
    push_select_summaries_and(&mut q, "a.body as body,", viewer);
    q.push(" join best on best.hit_id = a.id order by best.score, a.id desc");
    Ok(q.build_query_as().fetch_all(db).await?)
}

/// How many articles of `index` match `fts`, counting no further than `RANKED_MAX + 1`.
pub async fn count(db: impl SqliteExecutor<'_>, index: Index, fts: &str) -> AppResult<i64> {
    let table = index.table();
    Ok(sqlx::query_scalar(&format!(
        "select count(*) from
         (select 1 from {table} where {table} match $1 limit $2)"
    ))
    .bind(fts)
    .bind(RANKED_MAX + 1)
    .fetch_one(db)
    .await?)
}

#[derive(Debug, FromRow)]
struct AuthorRow {
    username: String,
    bio: Option<String>,
    image: Option<String>,
    following: bool,
}

/// Authors whose username or bio contains `text` (any case), names first, at most `limit`.
pub async fn authors(
    db: impl SqliteExecutor<'_>,
    text: &str,
    viewer: Option<UserId>,
    limit: i64,
) -> AppResult<Vec<Profile>> {
    let pattern = format!("%{}%", escape_like(text));
    let rows: Vec<AuthorRow> = sqlx::query_as(
        r"select u.username, u.bio, u.image,
          exists(select 1 from follows f where f.followee_id = u.id and f.follower_id = $2)
            as following
          from users u
          where u.username like $1 escape '\' or u.bio like $1 escape '\'
          order by (u.username like $1 escape '\') desc, lower(u.username)
          limit $3",
    )
    .bind(pattern)
    .bind(viewer)
    .bind(limit)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Profile::new(r.username, r.bio, r.image, r.following))
        .collect())
}

/// `text` with LIKE's wildcards taken literally.
pub(crate) fn escape_like(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn like_wildcards_are_literal() {
        assert_eq!(super::escape_like(r"50%_off\"), r"50\%\_off\\");
    }
}
