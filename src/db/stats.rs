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

/// The totals: one row, the counts the triggers keep (migrations 0008 and 0012), so a scrape
/// scans no table.
pub async fn totals(db: impl SqliteExecutor<'_>) -> AppResult<Totals> {
    let (users, articles, comments, favorites) = sqlx::query_as(
        "select users, articles, comments, favorites from article_stats where id = 1",
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
