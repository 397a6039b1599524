//! SQL for the `sessions` table, and the tower-sessions store built on it.
//!
//! Loads use the reader pool; saves and deletes are single statements on the writer.
//!
//! A session row is created only by `create` (a sign-in, or a first visit that stores
//! something); `save` only updates a row that is still there. A session ended in between (a
//! sign-out, "sign out everywhere", a new password, `quire user reset-password`) is therefore
//! never brought back by a request that was in flight across the ending, or by the periodic
//! refresh of an active session.
//!
//! A load is remembered in memory for at most `REMEMBER_FOR`, and only until this process
//! commits any write transaction (`Db::commits`: a password change or "sign out everywhere"
//! deletes sessions inside one) or the store saves or deletes any session: a signed-in
//! reader's pages mostly need no query for the session, a revocation by this process is seen
//! at once, and one by another process (the CLI) within `REMEMBER_FOR`. Both counters are read
//! before the query, so a load that raced a sign-out is never trusted.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use sqlx::SqliteExecutor;
use time::OffsetDateTime;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, ExpiredDeletion, SessionStore};

use super::{Db, timestamp};
use crate::error::AppResult;
use crate::model::user::UserId;

/// The session key that holds the signed-in user's id (copied into `sessions.user_id`).
pub const USER_ID_KEY: &str = "user_id";

#[derive(Clone, Debug)]
pub struct SqliteSessionStore {
    db: Db,
    /// Sessions loaded, with the `Db::commits` and `writes` and the time they were read at.
    loaded: Arc<Mutex<Remembered>>,
    /// Saves and deletes done through this store, counted once each has reached the database.
    writes: Arc<AtomicU64>,
}

/// Loaded sessions by id, with the `SqliteSessionStore::version` and the time they were read
/// at.
type Remembered = HashMap<Id, (Record, (u64, u64), Instant)>;

/// At most this many loaded sessions are remembered; past it the memory starts over.
const REMEMBERED: usize = 10_000;
/// A remembered load is read from the database again after this long, so that a session
/// another process ended (`quire user reset-password`) stops working within it.
pub const REMEMBER_FOR: Duration = Duration::from_secs(1);

impl SqliteSessionStore {
    pub fn new(db: Db) -> Self {
        Self {
            db,
            loaded: Arc::new(Mutex::new(HashMap::new())),
            writes: Arc::new(AtomicU64::new(0)),
        }
    }

    fn remembered(&self) -> std::sync::MutexGuard<'_, Remembered> {
        // Entries are whole or absent: a panic elsewhere leaves nothing half-done.
        self.loaded
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// What the database has seen: a remembered load is good while this has not moved.
    fn version(&self) -> (u64, u64) {
        (self.db.commits(), self.writes.load(Ordering::Acquire))
    }

    /// After a save or delete reached the database: every remembered load is out of date.
    fn wrote(&self) {
        self.writes.fetch_add(1, Ordering::AcqRel);
        self.remembered().clear();
    }
}

fn backend(error: sqlx::Error) -> session_store::Error {
    session_store::Error::Backend(error.to_string())
}

fn encode(record: &Record) -> session_store::Result<(String, Option<i64>, String)> {
    let data =
        serde_json::to_string(record).map_err(|e| session_store::Error::Encode(e.to_string()))?;
    let user_id = record
        .data
        .get(USER_ID_KEY)
        .and_then(serde_json::Value::as_i64);
    Ok((data, user_id, timestamp(record.expiry_date)))
}

#[async_trait]
impl SessionStore for SqliteSessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        loop {
            let (data, user_id, expires_at) = encode(record)?;
            let inserted = sqlx::query(
                "insert into sessions (id, user_id, data, expires_at) values ($1, $2, $3, $4)
                 on conflict (id) do nothing",
            )
            .bind(record.id.to_string())
            .bind(user_id)
            .bind(data)
            .bind(expires_at)
            .execute(&self.db.writer)
            .await
            .map_err(backend)?;
            if inserted.rows_affected() == 1 {
                return Ok(());
            }
            // A 128-bit collision: astronomically unlikely, but never reuse another's id.
            record.id = Id::default();
        }
    }

    /// Writes the changes of a session that was loaded from its row, if the row is still
    /// there: one ended meanwhile stays ended (and its cookie then finds nothing).
    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let (data, user_id, expires_at) = encode(record)?;
        let saved = sqlx::query(
            "update sessions set user_id = $2, data = $3, expires_at = $4 where id = $1",
        )
        .bind(record.id.to_string())
        .bind(user_id)
        .bind(data)
        .bind(expires_at)
        .execute(&self.db.writer)
        .await;
        self.wrote();
        if saved.map_err(backend)?.rows_affected() == 0 {
            tracing::info!("a session ended while a request used it was not saved again");
        }
        Ok(())
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let version = self.version();
        let read_at = Instant::now();
        if let Some((record, at, read)) = self.remembered().get(id)
            && *at == version
            && read.elapsed() < REMEMBER_FOR
            && record.expiry_date > OffsetDateTime::now_utc()
        {
            return Ok(Some(record.clone()));
        }
        let data: Option<String> =
            sqlx::query_scalar("select data from sessions where id = $1 and expires_at > $2")
                .bind(id.to_string())
                .bind(timestamp(OffsetDateTime::now_utc()))
                .fetch_optional(&self.db.reader)
                .await
                .map_err(backend)?;
        let record: Option<Record> = data
            .map(|d| {
                serde_json::from_str(&d).map_err(|e| session_store::Error::Decode(e.to_string()))
            })
            .transpose()?;
        if let Some(record) = &record {
            let mut remembered = self.remembered();
            if remembered.len() >= REMEMBERED {
                remembered.clear();
            }
            remembered.insert(*id, (record.clone(), version, read_at));
        }
        Ok(record)
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        let deleted = sqlx::query("delete from sessions where id = $1")
            .bind(id.to_string())
            .execute(&self.db.writer)
            .await;
        self.wrote();
        deleted.map_err(backend)?;
        Ok(())
    }
}

#[async_trait]
impl ExpiredDeletion for SqliteSessionStore {
    async fn delete_expired(&self) -> session_store::Result<()> {
        delete_expired(&self.db, &timestamp(OffsetDateTime::now_utc()))
            .await
            .map_err(|_| {
                session_store::Error::Backend("could not delete expired sessions".into())
            })?;
        Ok(())
    }
}

/// Removes every session that expired before `now`; returns how many.
pub async fn delete_expired(db: &Db, now: &str) -> AppResult<u64> {
    let done = sqlx::query("delete from sessions where expires_at <= $1")
        .bind(now)
        .execute(&db.writer)
        .await?;
    Ok(done.rows_affected())
}

/// Signs a user out everywhere: removes all of their sessions.
pub async fn delete_for_user(db: impl SqliteExecutor<'_>, user_id: UserId) -> AppResult<u64> {
    let done = sqlx::query("delete from sessions where user_id = $1")
        .bind(user_id)
        .execute(db)
        .await?;
    Ok(done.rows_affected())
}

/// How many live sessions a user has (for tests and the admin views).
pub async fn count_for_user(db: impl SqliteExecutor<'_>, user_id: UserId) -> AppResult<i64> {
    Ok(
        sqlx::query_scalar("select count(*) from sessions where user_id = $1")
            .bind(user_id)
            .fetch_one(db)
            .await?,
    )
}
