//! SQL for the `users` table.

use sqlx::{FromRow, SqliteExecutor};

use crate::error::AppResult;
use crate::model::user::{Account, UserId};

/// A user row: the account and its password hash. It never leaves the db and service
/// layers: the service hands out the `Account` alone. Reads as its account (`Deref`).
#[derive(Debug, Clone, FromRow)]
pub struct UserRecord {
    #[sqlx(flatten)]
    pub account: Account,
    pub password_hash: String,
}

impl std::ops::Deref for UserRecord {
    type Target = Account;

    fn deref(&self) -> &Account {
        &self.account
    }
}

/// The columns a write sets; `bio` and `image` are `None` for "not given".
pub struct UserWrite<'a> {
    pub username: &'a str,
    pub email: &'a str,
    pub bio: Option<&'a str>,
    pub image: Option<&'a str>,
}

const COLUMNS: &str = "id, username, email, password_hash, bio, image, is_admin";

pub async fn insert(
    db: impl SqliteExecutor<'_>,
    user: &UserWrite<'_>,
    password_hash: &str,
    now: &str,
) -> AppResult<UserId> {
    let id = sqlx::query_scalar(
        "insert into users (username, email, password_hash, bio, image, created_at, updated_at)
         values ($1, $2, $3, $4, $5, $6, $6)
         returning id",
    )
    .bind(user.username)
    .bind(user.email)
    .bind(password_hash)
    .bind(user.bio)
    .bind(user.image)
    .bind(now)
    .fetch_one(db)
    .await?;
    Ok(id)
}

pub async fn find_by_id(db: impl SqliteExecutor<'_>, id: UserId) -> AppResult<Option<UserRecord>> {
    Ok(
        sqlx::query_as(&format!("select {COLUMNS} from users where id = $1"))
            .bind(id)
            .fetch_optional(db)
            .await?,
    )
}

/// The user called `username`, whatever its case.
pub async fn find_by_username(
    db: impl SqliteExecutor<'_>,
    username: &str,
) -> AppResult<Option<UserRecord>> {
    Ok(sqlx::query_as(&format!(
        "select {COLUMNS} from users where lower(username) = lower($1)"
    ))
    .bind(username)
    .fetch_optional(db)
    .await?)
}

/// `email` must already be normalised (trimmed, lower-cased).
pub async fn find_by_email(
    db: impl SqliteExecutor<'_>,
    email: &str,
) -> AppResult<Option<UserRecord>> {
    Ok(
        sqlx::query_as(&format!("select {COLUMNS} from users where email = $1"))
            .bind(email)
            .fetch_optional(db)
            .await?,
    )
}

/// Whether another account (not `except`) already uses this username, ignoring case.
pub async fn username_taken(
    db: impl SqliteExecutor<'_>,
    username: &str,
    except: Option<UserId>,
) -> AppResult<bool> {
    let found: Option<i64> = sqlx::query_scalar(
        "select id from users where lower(username) = lower($1) and ($2 is null or id <> $2)",
    )
    .bind(username)
    .bind(except)
    .fetch_optional(db)
    .await?;
    Ok(found.is_some())
}

/// Whether another account (not `except`) already uses this (normalised) email.
pub async fn email_taken(
    db: impl SqliteExecutor<'_>,
    email: &str,
    except: Option<UserId>,
) -> AppResult<bool> {
    let found: Option<i64> =
        sqlx::query_scalar("select id from users where email = $1 and ($2 is null or id <> $2)")
            .bind(email)
            .bind(except)
            .fetch_optional(db)
            .await?;
    Ok(found.is_some())
}

pub async fn update_profile(
    db: impl SqliteExecutor<'_>,
    id: UserId,
    user: &UserWrite<'_>,
    now: &str,
) -> AppResult<()> {
    sqlx::query(
        "update users set username = $1, email = $2, bio = $3, image = $4, updated_at = $5
         where id = $6",
    )
    .bind(user.username)
    .bind(user.email)
    .bind(user.bio)
    .bind(user.image)
    .bind(now)
    .bind(id)
    .execute(db)
    .await?;
    Ok(())
}

pub async fn update_password_hash(
    db: impl SqliteExecutor<'_>,
    id: UserId,
    password_hash: &str,
    now: &str,
) -> AppResult<()> {
    sqlx::query("update users set password_hash = $1, updated_at = $2 where id = $3")
        .bind(password_hash)
        .bind(now)
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

/// Replaces the hash `old` of user `id` with `new`, the same password hashed with today's
/// parameters; false (and nothing changed) when the password changed meanwhile. A statement of
/// its own on the writer: no page shows a hash, so the page cache's generation stays.
pub async fn upgrade_password_hash(
    db: &super::Db,
    id: UserId,
    old: &str,
    new: &str,
) -> AppResult<bool> {
    Ok(
        sqlx::query("update users set password_hash = $1 where id = $2 and password_hash = $3")
            .bind(new)
            .bind(id)
            .bind(old)
            .execute(&db.writer)
            .await?
            .rows_affected()
            == 1,
    )
}

/// Grants (or takes back) the admin role; false when there is no such user.
pub async fn set_admin(db: impl SqliteExecutor<'_>, id: UserId, admin: bool) -> AppResult<bool> {
    Ok(sqlx::query("update users set is_admin = $1 where id = $2")
        .bind(admin)
        .bind(id)
        .execute(db)
        .await?
        .rows_affected()
        == 1)
}
