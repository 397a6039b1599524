//! SQL for full-text search: articles through the FTS5 index `articles_fts`, authors by
//! username or bio. `fts` is always a query built by the service from quoted words, never raw
//! user text.

use sqlx::{FromRow, SqliteConnection, SqliteExecutor};

use super::article::{SummaryRow, select_summaries_and};
use crate::error::AppResult;
use crate::model::article::Profile;

/// Marks around each matched word in a snippet.
pub const HIT_START: char = '\u{2}';
pub const HIT_END: char = '\u{3}';

#[derive(Debug, FromRow)]
pub struct HitRow {
    pub snippet: String,
    #[sqlx(flatten)]
    pub row: SummaryRow,
}

/// One page of the articles matching `fts`, best first: title matches weigh most, then tags,
/// the description and the body.
pub async fn articles(
    db: &mut SqliteConnection,
    fts: &str,
    viewer: Option<i64>,
    limit: i64,
    offset: i64,
) -> AppResult<Vec<HitRow>> {
    let mut q = select_summaries_and(
        "snippet(articles_fts, -1, char(2), char(3), '…', 24) as snippet,",
        viewer,
    );
    q.push(" join articles_fts on articles_fts.rowid = a.id where articles_fts match ");
    q.push_bind(fts.to_owned());
    q.push(" order by bm25(articles_fts, 10.0, 4.0, 1.0, 6.0), a.id desc limit ");
    q.push_bind(limit);
    q.push(" offset ");
    q.push_bind(offset);
    Ok(q.build_query_as().fetch_all(db).await?)
}

/// How many articles match `fts`.
pub async fn count(db: impl SqliteExecutor<'_>, fts: &str) -> AppResult<i64> {
    Ok(
        sqlx::query_scalar("select count(*) from articles_fts where articles_fts match $1")
            .bind(fts)
            .fetch_one(db)
            .await?,
    )
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
    viewer: Option<i64>,
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
