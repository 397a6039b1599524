//! Bulk loaders for `quire seed` (and tests that need many rows): many rows to a statement,
//! inside the caller's write transaction. Nothing that serves a request uses them.

use sqlx::{QueryBuilder, Sqlite, SqliteConnection};

use super::BULK_ROWS;
use crate::error::AppResult;
use crate::model::user::UserId;

/// Makes sure every tag in `names` exists; returns `(name, id)` for each.
pub async fn ensure_tags(
    db: &mut SqliteConnection,
    names: &[String],
) -> AppResult<Vec<(String, i64)>> {
    let mut ids = Vec::with_capacity(names.len());
    for chunk in names.chunks(200) {
        let mut q = QueryBuilder::<Sqlite>::new("insert into tags (name) ");
        q.push_values(chunk, |mut row, name| {
            row.push_bind(name.clone());
        });
        q.push(" on conflict (name) do nothing");
        q.build().execute(&mut *db).await?;
        let mut q = QueryBuilder::<Sqlite>::new("select name, id from tags where name in (");
        let mut list = q.separated(", ");
        for name in chunk {
            list.push_bind(name.clone());
        }
        q.push(")");
        ids.extend(
            q.build_query_as::<(String, i64)>()
                .fetch_all(&mut *db)
                .await?,
        );
    }
    Ok(ids)
}

/// Links new articles to tags that exist: `(article id, tag id, the article's created_at)`.
///
pub async fn link_tags(db: &mut SqliteConnection, links: &[(i64, i64, &str)]) -> AppResult<()> {
    for chunk in links.chunks(BULK_ROWS) {
        let mut q = QueryBuilder::<Sqlite>::new(
            "insert into article_tags (article_id, tag_id, created_at) ",
        );
        q.push_values(chunk, |mut row, (article_id, tag_id, at)| {
            row.push_bind(*article_id).push_bind(*tag_id).push_bind(*at);
        });
        q.push(" on conflict do nothing");
        q.build().execute(&mut *db).await?;
    }
    Ok(())
}

/// Adds favorites `(user id, article id, when)` (a trigger counts them).
pub async fn add_favorites(
    db: &mut SqliteConnection,
    rows: &[(UserId, i64, &str)],
) -> AppResult<()> {
    for chunk in rows.chunks(BULK_ROWS) {
        let mut q =
            QueryBuilder::<Sqlite>::new("insert into favorites (user_id, article_id, created_at) ");
        q.push_values(chunk, |mut row, (user_id, article_id, at)| {
            row.push_bind(*user_id)
                .push_bind(*article_id)
                .push_bind(*at);
        });
        q.push(" on conflict (user_id, article_id) do nothing");
        q.build().execute(&mut *db).await?;
    }
    Ok(())
}

/// Adds comments `(article id, author id, body, when)`, `BULK_ROWS` to a statement.
pub async fn insert_comments(
    db: &mut SqliteConnection,
    rows: &[(i64, UserId, String, &str)],
) -> AppResult<()> {
    for chunk in rows.chunks(BULK_ROWS) {
        let mut q = QueryBuilder::<Sqlite>::new(
            "insert into comments (article_id, author_id, body, created_at, updated_at) ",
        );
        q.push_values(chunk, |mut row, (article_id, author_id, body, at)| {
            row.push_bind(*article_id)
                .push_bind(*author_id)
                .push_bind(body.as_str())
                .push_bind(*at)
                .push_bind(*at);
        });
        q.build().execute(&mut *db).await?;
    }
    Ok(())
}
