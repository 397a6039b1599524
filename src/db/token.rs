//! SQL for the `api_tokens` table. Tokens are looked up by the hash of their text.

use sqlx::SqliteExecutor;

use crate::error::AppResult;
use crate::model::user::Account;
use crate::model::user::UserId;

pub async fn insert(
    db: impl SqliteExecutor<'_>,
    user_id: UserId,
    token_hash: &[u8],
    now: &str,
    expires_at: &str,
) -> AppResult<i64> {
    Ok(sqlx::query_scalar(
        "insert into api_tokens (user_id, token_hash, created_at, expires_at)
         values ($1, $2, $3, $4) returning id",
    )
    .bind(user_id)
    .bind(token_hash)
    .bind(now)
    .bind(expires_at)
    .fetch_one(db)
    .await?)
}

/// A user's token row and its owner.
#[derive(Debug, sqlx::FromRow)]
pub struct TokenOwner {
    pub token_id: i64,
    /// The token was issued after `recent_since` (see `find_owner`).
    pub issued_recently: bool,
    #[sqlx(flatten)]
    pub user: Account,
}

/// The owner of the unexpired token whose hash is `token_hash`, and whether it was issued
/// after `recent_since`.
pub async fn find_owner(
    db: impl SqliteExecutor<'_>,
    token_hash: &[u8],
    now: &str,
    recent_since: &str,
) -> AppResult<Option<TokenOwner>> {
    Ok(sqlx::query_as(
        "select t.id as token_id, t.created_at > $3 as issued_recently, u.id, u.username,
         u.email, u.bio, u.image, u.is_admin
         from api_tokens t join users u on u.id = t.user_id
         where t.token_hash = $1 and t.expires_at > $2",
    )
    .bind(token_hash)
    .bind(now)
    .bind(recent_since)
    .fetch_optional(db)
    .await?)
}

/// Deletes the user's tokens except `keep`; returns how many went.
pub async fn delete_for_user(
    db: impl SqliteExecutor<'_>,
    user_id: UserId,
    keep: Option<i64>,
) -> AppResult<u64> {
    Ok(
        sqlx::query("delete from api_tokens where user_id = $1 and ($2 is null or id <> $2)")
            .bind(user_id)
            .bind(keep)
            .execute(db)
            .await?
            .rows_affected(),
    )
}

/// Keeps only the user's `keep` newest tokens.
pub async fn prune_for_user(
    db: impl SqliteExecutor<'_>,
    user_id: UserId,
    keep: i64,
) -> AppResult<u64> {
    Ok(sqlx::query(
        "delete from api_tokens where user_id = $1 and id not in
         (select id from api_tokens where user_id = $1 order by id desc limit $2)",
    )
    .bind(user_id)
    .bind(keep)
    .execute(db)
    .await?
    .rows_affected())
}

/// Deletes every token that expired before `now`.
pub async fn delete_expired(db: &super::Db, now: &str) -> AppResult<u64> {
    Ok(sqlx::query("delete from api_tokens where expires_at <= $1")
        .bind(now)
        .execute(&db.writer)
        .await?
        .rows_affected())
}

/// How many tokens the user holds (for tests and the admin view).
pub async fn count_for_user(db: impl SqliteExecutor<'_>, user_id: UserId) -> AppResult<i64> {
    Ok(
        sqlx::query_scalar("select count(*) from api_tokens where user_id = $1")
            .bind(user_id)
            .fetch_one(db)
            .await?,
    )
}
