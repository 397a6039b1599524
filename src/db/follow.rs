//! SQL for follows.

use sqlx::SqliteExecutor;

use crate::error::AppResult;
use crate::model::user::UserId;

/// Starts following; false if the follower already did.
pub async fn add(
    db: impl SqliteExecutor<'_>,
    follower_id: UserId,
    followee_id: UserId,
    now: &str,
) -> AppResult<bool> {
    let done = sqlx::query(
        "insert into follows (follower_id, followee_id, created_at) values ($1, $2, $3)
         on conflict (follower_id, followee_id) do nothing",
    )
    .bind(follower_id)
    .bind(followee_id)
    .bind(now)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Stops following; false if the follower did not.
pub async fn remove(
    db: impl SqliteExecutor<'_>,
    follower_id: UserId,
    followee_id: UserId,
) -> AppResult<bool> {
    let done = sqlx::query("delete from follows where follower_id = $1 and followee_id = $2")
        .bind(follower_id)
        .bind(followee_id)
        .execute(db)
        .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn is_following(
    db: impl SqliteExecutor<'_>,
    follower_id: Option<UserId>,
    followee_id: UserId,
) -> AppResult<bool> {
    let found: Option<i64> =
        sqlx::query_scalar("select 1 from follows where follower_id = $1 and followee_id = $2")
            .bind(follower_id)
            .bind(followee_id)
            .fetch_optional(db)
            .await?;
    Ok(found.is_some())
}
