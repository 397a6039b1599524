//! `quire backup` and `quire restore`: a checked copy of the live database, and a checked
//! restore into a new file. The SQL they run lives in `db::maintenance`.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

use crate::db::{Db, maintenance};

/// Prints `table: count` lines.
pub fn print_counts(counts: &[(&str, i64)]) {
    for (table, n) in counts {
        println!("  {table:<13} {n:>10}");
    }
}

/// A sibling of `path` to write first and rename into place, so a failure never leaves a
/// half-written file under the real name.
fn partial(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".partial-{}", std::process::id()));
    path.with_file_name(name)
}

/// `quire backup FILE`: a consistent copy of the live database (the server may be running),
/// checked with `PRAGMA integrity_check` before it is kept under its name.
pub async fn backup(db: &Db, file: &Path) -> anyhow::Result<()> {
    if file.exists() {
        bail!("{} already exists; choose a new name", file.display());
    }
    if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty())
        && !dir.is_dir()
    {
        bail!("the folder {} does not exist", dir.display());
    }
    let temp = partial(file);
    let _ = std::fs::remove_file(&temp);
    let result = async {
        maintenance::vacuum_into(db, &temp).await?;
        maintenance::check_file(&temp).await
    }
    .await;
    let check = match result {
        Ok(check) => check,
        Err(error) => {
            let _ = std::fs::remove_file(&temp);
            return Err(error.context("the backup failed; nothing was kept"));
        }
    };
    std::fs::rename(&temp, file).with_context(|| format!("saving {}", file.display()))?;
    println!(
        "backup: {} (schema {}), integrity ok",
        file.display(),
        check.schema_version
    );
    print_counts(&check.counts);
    Ok(())
}

/// `quire restore FILE`: replaces the database at `target` with a checked copy of `file`.
/// A damaged file, something that is not a Quire database, or one from a newer Quire is
/// refused before anything is touched. Stop the server first.
pub async fn restore(file: &Path, target: &Path) -> anyhow::Result<()> {
    if !file.is_file() {
        bail!("{} is not a file", file.display());
    }
    let check = maintenance::check_file(file)
        .await
        .context("nothing was restored")?;
    if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the folder {}", dir.display()))?;
    }
    let temp = partial(target);
    std::fs::copy(file, &temp).with_context(|| format!("copying {}", file.display()))?;
    std::fs::File::open(&temp)
        .and_then(|f| f.sync_all())
        .context("flushing the copy")?;
    if let Err(error) = maintenance::check_file(&temp).await {
        let _ = std::fs::remove_file(&temp);
        return Err(error.context("the copy did not read back; nothing was restored"));
    }
    // The old database's write-ahead log belongs to the old file: it goes with it.
    for suffix in ["-wal", "-shm"] {
        let mut side = target.as_os_str().to_os_string();
        side.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(side));
    }
    std::fs::rename(&temp, target).with_context(|| format!("replacing {}", target.display()))?;
    // Open it as the server would: newer migrations of this binary apply now.
    let db = Db::open(target).await?;
    db.migrate().await?;
    db.close().await;
    println!(
        "restore: {} from {} (schema {}), integrity ok",
        target.display(),
        file.display(),
        check.schema_version
    );
    print_counts(&check.counts);
    Ok(())
}
