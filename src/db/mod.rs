//! The db layer (ssr-only): every SQL statement of Quire lives below this module.
//!
//! SQLite in WAL mode with one writer connection, a small pool of read-only readers and two
//! read-only searchers (searches alone, on threads of lower priority, so a flood of searches
//! cannot slow the other pages much): writes queue inside the process instead of failing with
//! "database is locked", and every
//! write transaction starts with `BEGIN IMMEDIATE` so it holds the write lock from its first
//! statement. Functions here take an executor and never begin transactions; the service layer
//! owns transactions. Queries use `$N` placeholders, which PostgreSQL shares.
//!
//! No request holds a reader past its deadline: `reads_until` gives the reads of a request (and
//! of the tasks it spawns, `spawn_with_deadline`) a deadline, and every reader connection that
//! is handed out gets a SQLite progress handler that stops its statement at that deadline or
//! as soon as the request is abandoned (timed out, or its client gone); the statement then
//! fails with `SQLITE_INTERRUPT`, which is `AppError::Timeout`. Without this, a statement went
//! on after its request's 408 and kept its reader, and four slow searches took every reader.
//!
//! One module per table or concern, by the same stems as the layers above: `article` (and its
//! slugs and favorites), `tag`, `comment`, `follow`, `user`, `token`, `session` (also the
//! tower-sessions store), `search` (the FTS5 indexes), `admin` (the table browser's schema and
//! pages), `stats` (`/metrics` totals), `maintenance` (the operator's copy, checks and counts)
//! and `bulk` (the seed's many-rows loaders).

pub mod admin;
pub mod article;
pub mod bulk;
pub mod comment;
pub mod follow;
pub mod maintenance;
pub mod search;
pub mod session;
pub mod stats;
pub mod tag;
pub mod token;
pub mod user;

use std::future::Future;
use std::ops::{Deref, DerefMut};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{ConnectOptions, Sqlite, SqliteConnection, SqlitePool, Transaction};
use time::OffsetDateTime;
use time::format_description::well_known::Iso8601;
use time::format_description::well_known::iso8601::{Config, EncodedConfig, TimePrecision};

use crate::error::{AppError, AppResult, Entity};

/// The migrations in `migrations/`, embedded in the binary.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!();

/// Read-only connections: the most reads that run at once.
pub const READERS: u32 = 4;

/// Read-only connections for searches, beside the readers: the most searches that read at
/// once. Their statements run at a lower priority (`SEARCH_NICE`).
pub const SEARCHERS: u32 = 2;

/// The nice value of the threads that run searches' statements (Linux: each sqlx connection
/// has a thread of its own). Ranking a search costs milliseconds of CPU; at 10 a page's reads
/// get about nine tenths of a busy core against them, so a flood of searches leaves the other
/// pages near their usual time (issue 32).
const SEARCH_NICE: i32 = 10;

/// SQLite virtual-machine steps between two looks at a read's deadline: a few microseconds of
/// work, so a statement stops within that much of it.
const PROGRESS_STEPS: i32 = 1000;

/// When the reads of one request must stop: at `at`, or once `abandoned`.
#[derive(Debug)]
pub struct ReadDeadline {
    at: Instant,
    abandoned: AtomicBool,
}

impl ReadDeadline {
    /// Whether a statement may go on (the progress handler's answer).
    fn go_on(&self) -> bool {
        !self.abandoned.load(Ordering::Relaxed) && Instant::now() < self.at
    }
}

tokio::task_local! {
    /// The deadline of the request this task works for.
    static DEADLINE: Arc<ReadDeadline>;
}

/// Marks a deadline abandoned when the work it bounds is dropped before it finished.
struct AbandonOnDrop {
    deadline: Arc<ReadDeadline>,
    finished: bool,
}

impl Drop for AbandonOnDrop {
    fn drop(&mut self) {
        if !self.finished {
            self.deadline.abandoned.store(true, Ordering::Relaxed);
        }
    }
}

/// Runs `work` (a request) with its reads bounded: a statement on a reader stops at `at`, or
/// as soon as `work` is dropped unfinished (timed out, or its client gone), and fails with
/// `AppError::Timeout`.
pub async fn reads_until<F: Future>(at: Instant, work: F) -> F::Output {
    let deadline = Arc::new(ReadDeadline {
        at,
        abandoned: AtomicBool::new(false),
    });
    let mut guard = AbandonOnDrop {
        deadline: deadline.clone(),
        finished: false,
    };
    let output = DEADLINE.scope(deadline, work).await;
    guard.finished = true;
    output
}

/// `work`, bounded by the deadline of the request the current task works for, if any: what a
/// task spawned for a request (the page renderer's resources) runs under.
pub fn with_current_deadline<F: Future>(work: F) -> impl Future<Output = F::Output> {
    let deadline = DEADLINE.try_with(Arc::clone).ok();
    async move {
        match deadline {
            Some(deadline) => DEADLINE.scope(deadline, work).await,
            None => work.await,
        }
    }
}

/// How a read connection's statements run: as every other (`Normal`), or lowered, the
/// searches' (`Lowered`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Priority {
    Normal,
    Lowered,
}

/// Gives a reader connection about to be used the current request's deadline, or none outside
/// a request (the CLI, the sweeps): a progress handler that stops its statements once the
/// deadline has passed or the request was abandoned. A searcher's handler also lowers the
/// priority of the thread it runs on (the connection's own, where SQLite steps the
/// statement), once.
async fn bound_reads(conn: &mut SqliteConnection, priority: Priority) -> Result<(), sqlx::Error> {
    let deadline = DEADLINE.try_with(Arc::clone).ok();
    let mut handle = conn.lock_handle().await?;
    let lowered = priority == Priority::Lowered;
    if deadline.is_none() && !lowered {
        handle.remove_progress_handler();
    } else {
        handle.set_progress_handler(PROGRESS_STEPS, move || {
            if lowered {
                lower_this_thread();
            }
            deadline.as_ref().is_none_or(|d| d.go_on())
        });
    }
    Ok(())
}

std::thread_local! {
    /// Whether this thread's priority was lowered already.
    static LOWERED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Gives the calling thread the nice value `SEARCH_NICE`, once (on Linux `setpriority` with
/// no pid sets the calling thread's own). A thread that cannot be lowered runs as it is.
fn lower_this_thread() {
    LOWERED.with(|lowered| {
        if !lowered.replace(true)
            && let Err(error) = rustix::process::setpriority_process(None, SEARCH_NICE)
        {
            tracing::debug!(%error, "could not lower a search thread's priority");
        }
    });
}

/// Rows per statement in bulk loads: few statements, far below SQLite's bound-value limit.
pub(crate) const BULK_ROWS: usize = 500;

/// Handles to the database: clone freely.
#[derive(Clone, Debug)]
pub struct Db {
    /// The one connection that writes. Private: outside the db layer a write is a `WriteTx`
    /// (`begin_write`) or a db function that takes `&Db` and counts its commit, so no write can
    /// forget to move `commits` (the page cache's generation).
    writer: SqlitePool,
    /// Read-only connections for everything else.
    pub reader: SqlitePool,
    /// Read-only connections for searches alone, at a lower priority (`SEARCHERS`).
    pub searcher: SqlitePool,
    /// Counts the write transactions committed by this process: what was read before it
    /// moved may be out of date (the page cache's generation).
    commits: Arc<AtomicU64>,
}

impl Db {
    /// Opens (creating if needed) the SQLite file at `path` and its folder.
    pub async fn open(path: &Path) -> anyhow::Result<Self> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create the database folder {}", dir.display()))?;
        }
        let base = SqliteConnectOptions::new()
            .filename(path)
            .busy_timeout(Duration::from_secs(5))
            .foreign_keys(true)
            .synchronous(SqliteSynchronous::Full)
            .log_statements(tracing::log::LevelFilter::Trace);

        // Switch to WAL once, on a single connection, before any pool exists.
        let mut first = base
            .clone()
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .connect()
            .await
            .with_context(|| format!("cannot open the database {}", path.display()))?;
        sqlx::query("pragma journal_size_limit = 67108864")
            .execute(&mut first)
            .await?;
        sqlx::Connection::close(first).await?;

        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(10))
            .idle_timeout(None)
            .max_lifetime(None)
            // SQLite runs in this process: pinging an idle connection before handing it out
            // proves nothing and costs a round trip to its thread on every acquire.
            .test_before_acquire(false)
            .before_acquire(|conn, _| Box::pin(async move { Ok(outside_transaction(conn)) }))
            .connect_with(base.clone())
            .await?;
        let readers = |max: u32, priority: Priority| {
            let options = base.clone().read_only(true);
            let options = match priority {
                Priority::Normal => options,
                // Named so, a search's thread is told apart (`top -H`, the tests).
                Priority::Lowered => options.thread_name(|id| format!("quire-search-{id}")),
            };
            SqlitePoolOptions::new()
                .max_connections(max)
                .acquire_timeout(Duration::from_secs(10))
                .test_before_acquire(false)
                .after_connect(move |conn, _| Box::pin(bound_reads(conn, priority)))
                .before_acquire(move |conn, _| {
                    Box::pin(async move { bound_reads(conn, priority).await.map(|()| true) })
                })
                .connect_with(options)
        };
        let reader = readers(READERS, Priority::Normal).await?;
        let searcher = readers(SEARCHERS, Priority::Lowered).await?;
        Ok(Self {
            writer,
            reader,
            searcher,
            commits: Arc::new(AtomicU64::new(0)),
        })
    }

    /// Applies the embedded migrations that have not run yet.
    pub async fn migrate(&self) -> anyhow::Result<()> {
        MIGRATOR
            .run(&self.writer)
            .await
            .context("applying database migrations")
    }

    /// A write transaction that holds SQLite's write lock from its first statement.
    pub async fn begin_write(&self) -> AppResult<WriteTx> {
        Ok(WriteTx {
            tx: self.writer.begin_with("BEGIN IMMEDIATE").await?,
            commits: self.commits.clone(),
        })
    }

    /// Counts a write committed outside `begin_write` (a single statement on `writer`, in a
    /// transaction of its own), once it is done.
    pub(in crate::db) fn committed(&self) {
        self.commits.fetch_add(1, Ordering::AcqRel);
    }

    /// How many write transactions this process has committed. It moves only after a commit
    /// is visible to readers, so anything read after seeing a value is at least that new.
    pub fn commits(&self) -> u64 {
        self.commits.load(Ordering::Acquire)
    }

    /// Each pool's connections for `/metrics`: `(pool, idle, open, most it may open)`.
    pub fn pool_stats(&self) -> [(&'static str, usize, u32, u32); 3] {
        [
            ("reader", &self.reader),
            ("searcher", &self.searcher),
            ("writer", &self.writer),
        ]
        .map(|(name, pool)| {
            (
                name,
                pool.num_idle(),
                pool.size(),
                pool.options().get_max_connections(),
            )
        })
    }

    /// Answers when the database can be read: the health check.
    pub async fn ping(&self) -> AppResult<()> {
        sqlx::query("select 1").execute(&self.reader).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.writer.close().await;
        self.reader.close().await;
        self.searcher.close().await;
    }
}

/// The error of a write that names an article by an id read before it: a broken foreign key
/// means the article was deleted in between, which is `NotFound`.
pub(crate) fn article_gone(error: sqlx::Error) -> AppError {
    match error {
        sqlx::Error::Database(e) if e.is_foreign_key_violation() => {
            AppError::NotFound(Entity::Article)
        }
        e => e.into(),
    }
}

/// Whether the writer connection may be handed out: only when it is outside any transaction.
/// After SQLite rolled a transaction back by itself (a full or failing disk), sqlx still counts
/// it as open and its own rollback fails, so every later `BEGIN IMMEDIATE` would fail with
/// "non-zero transaction depth" until a restart; such a connection is closed instead, and the
/// pool opens a fresh one. The count is current here: the pool pings every connection it takes
/// back, so the rollback queued by a dropped transaction has run by then.
fn outside_transaction(conn: &mut SqliteConnection) -> bool {
    use sqlx::Connection;
    if conn.is_in_transaction() {
        tracing::warn!("closing a database connection left inside a transaction");
        return false;
    }
    true
}

/// A write transaction (`Db::begin_write`): a connection in `BEGIN IMMEDIATE` that counts its
/// commit in `Db::commits`. Dropped without `commit`, it rolls back.
#[derive(Debug)]
pub struct WriteTx {
    tx: Transaction<'static, Sqlite>,
    commits: Arc<AtomicU64>,
}

impl WriteTx {
    pub async fn commit(self) -> AppResult<()> {
        self.tx.commit().await?;
        self.commits.fetch_add(1, Ordering::AcqRel);
        Ok(())
    }
}

impl Deref for WriteTx {
    type Target = SqliteConnection;

    fn deref(&self) -> &SqliteConnection {
        &self.tx
    }
}

impl DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        &mut self.tx
    }
}

const TIMESTAMP: EncodedConfig = Config::DEFAULT
    .set_time_precision(TimePrecision::Second {
        decimal_digits: std::num::NonZeroU8::new(3),
    })
    .encode();

/// A UTC instant as stored: ISO-8601 with milliseconds and `Z` (`2026-11-22T03:13:05.123Z`).
/// Text order is time order, and PostgreSQL reads it as a `timestamptz`.
pub fn timestamp(at: OffsetDateTime) -> String {
    at.to_offset(time::UtcOffset::UTC)
        .format(&Iso8601::<TIMESTAMP>)
        .unwrap_or_else(|_| unreachable_timestamp())
}

/// Now, as stored.
pub fn now() -> String {
    timestamp(OffsetDateTime::now_utc())
}

#[cold]
fn unreachable_timestamp() -> String {
    // Formatting a UTC instant into ISO-8601 cannot fail for years 0..=9999.
    "1970-01-01T00:00:00.000Z".to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::AppError;

    #[test]
    fn timestamps_are_iso8601_utc_with_milliseconds() {
        let at = time::macros::datetime!(2026-11-22 03:13:05.123456 +02:00);
        assert_eq!(timestamp(at), "2026-11-22T01:13:05.123Z");
    }

    #[tokio::test]
    async fn opening_creates_the_folder_and_a_wal_database() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/quire.db");
        let db = Db::open(&path).await.unwrap();
        db.migrate().await.unwrap();
        assert!(path.exists());
        let mode: (String,) = sqlx::query_as("pragma journal_mode")
            .fetch_one(&db.reader)
            .await
            .unwrap();
        assert_eq!(mode.0, "wal");
        let fk: (i64,) = sqlx::query_as("pragma foreign_keys")
            .fetch_one(&db.writer)
            .await
            .unwrap();
        assert_eq!(fk.0, 1);
        // Readers cannot write.
        assert!(
            sqlx::query("create table x (a)")
                .execute(&db.reader)
                .await
                .is_err()
        );
        db.ping().await.unwrap();
    }

    /// A statement that would run for hours (counting to ten billion).
    const ENDLESS: &str = "with recursive c(x) as (select 1 union all select x + 1 from c
        where x < 10000000000) select count(*) from c";

    /// Issue 32 F10: a request's statement went on after its request's 408, holding its
    /// reader; four such searches took every reader and `/healthz` answered 503.
    #[tokio::test]
    async fn a_read_stops_at_its_requests_deadline() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("quire.db")).await.unwrap();
        let started = Instant::now();
        let read = sqlx::query_scalar::<_, i64>(ENDLESS).fetch_one(&db.reader);
        let err = reads_until(Instant::now() + Duration::from_millis(200), read)
            .await
            .unwrap_err();
        assert_eq!(AppError::from(err), AppError::Timeout);
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{:?}",
            started.elapsed()
        );
        // Outside a request the same connections read without a deadline.
        let n: i64 = sqlx::query_scalar(
            "with recursive c(x) as (select 1 union all select x + 1 from c where x < 300000)
             select count(*) from c",
        )
        .fetch_one(&db.reader)
        .await
        .unwrap();
        assert_eq!(n, 300_000);
    }

    /// The nice value of each of this process's threads, by name (Linux, `/proc`).
    fn thread_nice_values() -> Vec<(String, i32)> {
        let mut out = Vec::new();
        for task in std::fs::read_dir("/proc/self/task").unwrap().flatten() {
            let Ok(stat) = std::fs::read_to_string(task.path().join("stat")) else {
                continue;
            };
            let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
                continue;
            };
            let name = stat[open + 1..close].to_owned();
            // After the name: state is field 3, nice field 19.
            let nice = stat[close + 2..]
                .split(' ')
                .nth(16)
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            out.push((name, nice));
        }
        out
    }

    #[tokio::test]
    async fn searches_run_on_threads_of_their_own_at_a_lower_priority() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("quire.db")).await.unwrap();
        let long =
            "with recursive c(x) as (select 1 union all select x + 1 from c where x < 100000)
             select count(*) from c";
        for pool in [&db.searcher, &db.reader] {
            let n: i64 = sqlx::query_scalar(long).fetch_one(pool).await.unwrap();
            assert_eq!(n, 100_000);
        }
        let threads = thread_nice_values();
        let searchers: Vec<_> = threads
            .iter()
            .filter(|(name, _)| name.starts_with("quire-search-"))
            .collect();
        assert!(
            searchers.iter().any(|(_, nice)| *nice == SEARCH_NICE),
            "{threads:?}"
        );
        // Nothing else is lowered: the readers' threads (other tests' too) run as before.
        assert!(
            threads
                .iter()
                .filter(|(name, _)| !name.starts_with("quire-search-"))
                .all(|(_, nice)| *nice != SEARCH_NICE),
            "{threads:?}"
        );
    }

    #[tokio::test]
    async fn an_abandoned_request_gives_its_reader_back_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("quire.db")).await.unwrap();
        let far = Instant::now() + Duration::from_secs(3600);
        // Every reader busy with a request that is then dropped (timed out, or its client
        // gone).
        let requests = (0..READERS).map(|_| {
            let reader = db.reader.clone();
            tokio::time::timeout(
                Duration::from_millis(300),
                reads_until(far, async move {
                    sqlx::query_scalar::<_, i64>(ENDLESS)
                        .fetch_one(&reader)
                        .await
                }),
            )
        });
        for abandoned in futures_util::future::join_all(requests).await {
            assert!(abandoned.is_err(), "the read was still running");
        }
        let started = Instant::now();
        tokio::time::timeout(Duration::from_secs(2), db.ping())
            .await
            .expect("a reader was free again")
            .unwrap();
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "{:?}",
            started.elapsed()
        );
        // A request that finished leaves its connection free of its deadline.
        reads_until(Instant::now() + Duration::from_millis(50), db.ping())
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
        sqlx::query_scalar::<_, i64>(
            "with recursive c(x) as (select 1 union all select x + 1 from c where x < 300000)
             select count(*) from c",
        )
        .fetch_one(&db.reader)
        .await
        .unwrap();
    }

    /// A disk that fills up mid-transaction: SQLite rolls the transaction back by itself, and
    /// the writer must still accept writes once there is room again, without a restart.
    #[tokio::test]
    async fn the_writer_recovers_after_a_full_disk() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("quire.db")).await.unwrap();
        sqlx::query("create table t (x text)")
            .execute(&db.writer)
            .await
            .unwrap();
        let big = "x".repeat(64 * 1024);
        for _ in 0..3 {
            let mut tx = db.begin_write().await.unwrap();
            // "Full": no page may be added to the file.
            let pages: (i64,) = sqlx::query_as("pragma page_count")
                .fetch_one(&mut *tx)
                .await
                .unwrap();
            sqlx::query(&format!("pragma max_page_count = {}", pages.0))
                .execute(&mut *tx)
                .await
                .unwrap();
            let err = sqlx::query("insert into t values ($1)")
                .bind(&big)
                .execute(&mut *tx)
                .await
                .unwrap_err();
            assert_eq!(
                AppError::from(err),
                AppError::Unavailable("storage is full".into())
            );
            drop(tx);
        }
        // Room again: the next write commits.
        sqlx::query("pragma max_page_count = 1073741823")
            .execute(&db.writer)
            .await
            .unwrap();
        let mut tx = db.begin_write().await.unwrap();
        sqlx::query("insert into t values ('after')")
            .execute(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let n: (i64,) = sqlx::query_as("select count(*) from t")
            .fetch_one(&db.reader)
            .await
            .unwrap();
        assert_eq!(n.0, 1);
    }

    /// A transaction that SQLite ended behind sqlx's back (its ROLLBACK then fails): the
    /// connection is not handed out again.
    #[tokio::test]
    async fn a_connection_left_inside_a_transaction_is_not_reused() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("quire.db")).await.unwrap();
        let mut tx = db.begin_write().await.unwrap();
        sqlx::query("rollback").execute(&mut *tx).await.unwrap();
        drop(tx);
        let mut tx = db.begin_write().await.unwrap();
        sqlx::query("create table t (x)")
            .execute(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        sqlx::query("select * from t")
            .fetch_all(&db.reader)
            .await
            .unwrap();
    }
}
