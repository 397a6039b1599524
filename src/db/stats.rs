//! SQL for the numbers `/metrics` reports: row totals.

use sqlx::SqliteExecutor;

use crate::error::AppResult;

/// How many rows the main tables hold.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    pub users: i64,
    pub articles: i64,
    pub comments: i64,
    pub favorites: i64,
}

/// The totals, read in one statement (so from one snapshot); the articles from the count the
/// triggers keep (migration 0008).
pub async fn totals(db: impl SqliteExecutor<'_>) -> AppResult<Totals> {
    let (users, articles, comments, favorites) = sqlx::query_as(
        "select (select count(*) from users), (select articles from article_stats where id = 1),
                (select count(*) from comments), (select count(*) from favorites)",
    )
    .fetch_one(db)
    .await?;
    Ok(Totals {
        users,
        articles,
        comments,
        favorites,
    })
}
