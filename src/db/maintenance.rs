//! SQL for the operator's tools: an online copy of the database, checks of a database file,
//! and row counts.

use std::path::Path;

use anyhow::{Context, bail};
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection};

use super::{Db, MIGRATOR};

/// The tables an operator counts to compare two databases.
pub const COUNTED: [&str; 7] = [
    "users",
    "articles",
    "tags",
    "article_tags",
    "comments",
    "favorites",
    "follows",
];

/// Writes a consistent copy of the live database to `dest` (which must not exist):
/// `VACUUM INTO` reads one snapshot while writers carry on.
pub async fn vacuum_into(db: &Db, dest: &Path) -> anyhow::Result<()> {
    let dest = dest
        .to_str()
        .context("the backup path is not valid UTF-8")?;
    sqlx::query("vacuum into $1")
        .bind(dest)
        .execute(&db.reader)
        .await
        .context("copying the database")?;
    Ok(())
}

/// What a database file holds, as far as a restore cares.
#[derive(Debug)]
pub struct FileCheck {
    /// The newest migration applied to it.
    pub schema_version: i64,
    pub counts: Vec<(&'static str, i64)>,
}

/// Opens `path` read-only and checks that it is a sound Quire database no newer than this
/// binary: `PRAGMA integrity_check` says ok, and its migrations are ones this binary knows.
pub async fn check_file(path: &Path) -> anyhow::Result<FileCheck> {
    let mut conn = SqliteConnectOptions::new()
        .filename(path)
        .read_only(true)
        .connect()
        .await
        .with_context(|| format!("{} is not a database", path.display()))?;
    let integrity: Vec<String> = sqlx::query_scalar("pragma integrity_check")
        .fetch_all(&mut conn)
        .await
        .with_context(|| format!("{} is not a database", path.display()))?;
    if integrity != ["ok"] {
        bail!("{} is damaged: {}", path.display(), integrity.join("; "));
    }
    let versions: Vec<i64> =
        sqlx::query_scalar("select version from _sqlx_migrations where success")
            .fetch_all(&mut conn)
            .await
            .with_context(|| format!("{} is not a Quire database", path.display()))?;
    let known: Vec<i64> = MIGRATOR.iter().map(|m| m.version).collect();
    let newest_known = known.iter().copied().max().unwrap_or(0);
    if let Some(unknown) = versions.iter().find(|v| !known.contains(v)) {
        bail!(
            "{} has schema version {unknown}, newer than this quire (which knows up to {newest_known}); upgrade quire first",
            path.display()
        );
    }
    let schema_version = versions.iter().copied().max().unwrap_or(0);
    let counts = count_rows(&mut conn).await?;
    conn.close().await?;
    Ok(FileCheck {
        schema_version,
        counts,
    })
}

/// Row counts of the `COUNTED` tables.
pub async fn count_rows(
    conn: &mut sqlx::SqliteConnection,
) -> anyhow::Result<Vec<(&'static str, i64)>> {
    let mut counts = Vec::with_capacity(COUNTED.len());
    for table in COUNTED {
        // `table` comes from the constant list above, never from input.
        let n: i64 = sqlx::query_scalar(&format!("select count(*) from {table}"))
            .fetch_one(&mut *conn)
            .await
            .with_context(|| format!("counting {table}"))?;
        counts.push((table, n));
    }
    Ok(counts)
}

/// Bulk loading (`quire seed`): the writer stops waiting for the disk at each commit
/// (`synchronous = off`; a crash of the machine, not of the process, could then lose the
/// load, which the operator simply runs again) and keeps more pages in memory. `false` goes
/// back to the server's settings and folds the write-ahead log into the database file.
pub async fn bulk_mode(db: &Db, on: bool) -> anyhow::Result<()> {
    let statements: &[&str] = if on {
        &["pragma synchronous = off", "pragma cache_size = -262144"]
    } else {
        &[
            "pragma synchronous = full",
            "pragma cache_size = -2000",
            "pragma wal_checkpoint(truncate)",
        ]
    };
    for sql in statements {
        sqlx::query(sql).execute(&db.writer).await?;
    }
    Ok(())
}
