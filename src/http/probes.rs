//! The probes (ssr-only): `/metrics` in the Prometheus text format and `/healthz`, with the
//! disk checks behind it.

use std::path::Path;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::client_ip::ClientIp;
use crate::config::Secret;
use crate::db::Db;
use crate::db::stats::Totals;
use crate::metrics::{PROMETHEUS_TEXT, family, sample};
use crate::state::AppState;

/// Connections of each pool: idle, in use, and the most it may open.
fn render_pools(out: &mut String, db: &Db) {
    let pools = db.pool_stats();
    let name = "quire_db_pool_connections";
    family(
        out,
        name,
        "gauge",
        "Open database connections, by pool and state.",
    );
    for (pool_name, idle, size, _) in pools {
        let in_use = usize::try_from(size)
            .unwrap_or(usize::MAX)
            .saturating_sub(idle);
        for (state, n) in [("idle", idle), ("in_use", in_use)] {
            sample(out, name, &[("pool", pool_name), ("state", state)], n);
        }
    }
    let name = "quire_db_pool_max_connections";
    family(
        out,
        name,
        "gauge",
        "The most connections each pool may open.",
    );
    for (pool_name, _, _, max) in pools {
        sample(out, name, &[("pool", pool_name)], max);
    }
}

fn render_totals(out: &mut String, totals: &Totals) {
    for (name, help, n) in [
        ("quire_users_total", "Accounts.", totals.users),
        ("quire_articles_total", "Articles.", totals.articles),
        ("quire_comments_total", "Comments.", totals.comments),
        ("quire_favorites_total", "Favorites.", totals.favorites),
    ] {
        family(out, name, "gauge", help);
        sample(out, name, &[], n);
    }
}

/// `GET /metrics`: the Prometheus text format. With `QUIRE_METRICS_TOKEN` set, only for
/// `Authorization: Bearer <token>`; without it, only for a request from this machine that no
/// proxy forwarded (`is_local`): its per-route counts say who is failing to sign in where.
/// Totals are the counts the database keeps (one row read, no table scanned); they are left
/// out (and a warning logged) when the database does not answer, and the rest is still served.
pub async fn metrics(
    State(state): State<AppState>,
    client: ClientIp,
    headers: HeaderMap,
) -> Response {
    match &state.config.metrics_token {
        Some(token) if !bearer_matches(&headers, token) => {
            return (
                StatusCode::UNAUTHORIZED,
                [(header::WWW_AUTHENTICATE, "Bearer realm=\"metrics\"")],
                "/metrics needs Authorization: Bearer <token>\n",
            )
                .into_response();
        }
        None if !is_local(client, &headers) => {
            tracing::warn!(client = %client.limit_key(), "refused /metrics to another machine");
            return (
                StatusCode::FORBIDDEN,
                "/metrics answers this machine only; set QUIRE_METRICS_TOKEN to scrape it from \
                 another\n",
            )
                .into_response();
        }
        _ => {}
    }
    let mut out = String::with_capacity(16 * 1024);
    state.metrics.render_http(&mut out);
    render_pools(&mut out, &state.db);
    match crate::service::stats::totals(&state).await {
        Ok(totals) => render_totals(&mut out, &totals),
        Err(error) => {
            tracing::warn!(%error, "metrics: the database did not answer; totals left out")
        }
    }
    let name = "quire_process_uptime_seconds";
    family(&mut out, name, "gauge", "Seconds since the server started.");
    sample(
        &mut out,
        name,
        &[],
        format!("{:.3}", state.metrics.uptime().as_secs_f64()),
    );
    (
        [
            (header::CONTENT_TYPE, PROMETHEUS_TEXT),
            (header::CACHE_CONTROL, "no-store"),
        ],
        out,
    )
        .into_response()
}

/// Whether a request came from this machine itself: a loopback peer (or the in-process tests'
/// request, which has none) and no `X-Forwarded-For`, which a reverse proxy on this machine
/// would add for a request from elsewhere.
fn is_local(client: ClientIp, headers: &HeaderMap) -> bool {
    client.0.is_none_or(|ip| ip.is_loopback()) && !headers.contains_key("x-forwarded-for")
}

/// True when the request carries `Authorization: Bearer <token>` with this token.
fn bearer_matches(headers: &HeaderMap, token: &Secret) -> bool {
    let Some(value) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    match value.trim().split_once(' ') {
        Some((scheme, given)) if scheme.eq_ignore_ascii_case("bearer") => {
            token.matches(given.trim())
        }
        _ => false,
    }
}

/// `GET /healthz`: 200 when the database answers and its folder can be written and has at
/// least `QUIRE_MIN_FREE_DISK_MB` free; otherwise 503 and what is wrong.
pub async fn healthz(State(state): State<AppState>) -> Response {
    let database_ok = state.db.ping().await.is_ok();
    let min_free = state.config.min_free_disk_bytes;
    let dir = state.config.database_path().map(|path| {
        path.parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .to_path_buf()
    });
    let (free, writable) = match &dir {
        Ok(dir) => (
            free_disk_bytes(dir).map_err(|e| e.to_string()),
            probe_writable(dir),
        ),
        Err(e) => (Err(e.to_string()), Ok(())),
    };
    let (disk, disk_ok) = disk_report(free, writable, min_free);
    if !disk_ok {
        tracing::warn!(disk = %disk, "the database's storage is not healthy");
    }
    let healthy = database_ok && disk_ok;
    let body = serde_json::json!({
        "status": if healthy { "ok" } else { "degraded" },
        "database": if database_ok { "ok" } else { "unreachable" },
        "disk": disk,
    });
    let status = if healthy {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, axum::Json(body)).into_response()
}

/// The `disk` part of `/healthz` and whether it is healthy: `read-only` (the file system says
/// so, or refused a write with EROFS), `unwritable` (a write failed otherwise, e.g. no space),
/// `low` (under `min_free` bytes free), `unknown` (free space unreadable) or `ok`.
fn disk_report(
    free: Result<u64, String>,
    writable: std::io::Result<()>,
    min_free: u64,
) -> (serde_json::Value, bool) {
    use std::io::ErrorKind;
    let free_bytes = free.as_ref().ok().copied();
    match (free, writable) {
        (_, Err(e)) if e.kind() == ErrorKind::ReadOnlyFilesystem => (
            serde_json::json!({"status": "read-only", "free_bytes": free_bytes, "min_free_bytes": min_free}),
            false,
        ),
        (_, Err(e)) => (
            serde_json::json!({"status": "unwritable", "error": e.to_string(), "free_bytes": free_bytes, "min_free_bytes": min_free}),
            false,
        ),
        (Ok(free), Ok(())) if free >= min_free => (
            serde_json::json!({"status": "ok", "free_bytes": free, "min_free_bytes": min_free}),
            true,
        ),
        (Ok(free), Ok(())) => (
            serde_json::json!({"status": "low", "free_bytes": free, "min_free_bytes": min_free}),
            false,
        ),
        (Err(error), Ok(())) => (
            serde_json::json!({"status": "unknown", "error": error}),
            false,
        ),
    }
}

/// Bytes an unprivileged process may still write on the file system that holds `dir`.
pub fn free_disk_bytes(dir: &Path) -> std::io::Result<u64> {
    let stats = rustix::fs::statvfs(dir)?;
    Ok(stats.f_bavail.saturating_mul(stats.f_frsize))
}

/// `Ok` when a small file can be written in `dir` (it is removed again). A file system mounted
/// read-only, or turned read-only by the kernel after an error (which `statvfs` may not show),
/// gives `ErrorKind::ReadOnlyFilesystem`; a full one, the error of the failed write.
pub fn probe_writable(dir: &Path) -> std::io::Result<()> {
    let stats = rustix::fs::statvfs(dir)?;
    if stats.f_flag.contains(rustix::fs::StatVfsMountFlags::RDONLY) {
        return Err(std::io::ErrorKind::ReadOnlyFilesystem.into());
    }
    let probe = dir.join(format!(".quire-healthz-{:016x}", rand::random::<u64>()));
    let written = std::fs::write(&probe, b"ok");
    let removed = std::fs::remove_file(&probe);
    written.and(removed)
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    #[test]
    fn bearer_tokens_are_checked() {
        let token = Secret::new("t0ken");
        let with = |value: &'static str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::AUTHORIZATION, HeaderValue::from_static(value));
            headers
        };
        assert!(bearer_matches(&with("Bearer t0ken"), &token));
        assert!(bearer_matches(&with("bearer  t0ken "), &token));
        assert!(!bearer_matches(&with("Bearer t0ke"), &token));
        assert!(!bearer_matches(&with("Token t0ken"), &token));
        assert!(!bearer_matches(&with("t0ken"), &token));
        assert!(!bearer_matches(&HeaderMap::new(), &token));
    }

    #[test]
    fn the_disk_report_says_what_is_wrong() {
        use std::io::{Error, ErrorKind};
        let mb = 1024 * 1024;
        let (disk, ok) = disk_report(Ok(5 * mb), Ok(()), mb);
        assert!(ok);
        assert_eq!(disk["status"], "ok");
        let (disk, ok) = disk_report(Ok(mb / 2), Ok(()), mb);
        assert!(!ok);
        assert_eq!(disk["status"], "low");
        // Plenty of space, but the file system refuses writes: an error remount.
        let (disk, ok) = disk_report(Ok(5 * mb), Err(ErrorKind::ReadOnlyFilesystem.into()), mb);
        assert!(!ok);
        assert_eq!(disk["status"], "read-only");
        let full = Error::other("No space left on device");
        let (disk, ok) = disk_report(Ok(0), Err(full), mb);
        assert!(!ok);
        assert_eq!(disk["status"], "unwritable");
        let (disk, ok) = disk_report(Err("gone".into()), Ok(()), mb);
        assert!(!ok);
        assert_eq!(disk["status"], "unknown");
    }

    #[test]
    fn the_write_probe_leaves_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        probe_writable(dir.path()).unwrap();
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        assert!(probe_writable(&dir.path().join("missing")).is_err());
    }

    #[test]
    fn free_disk_space_is_readable() {
        let dir = tempfile::tempdir().unwrap();
        assert!(free_disk_bytes(dir.path()).unwrap() > 0);
        assert!(free_disk_bytes(&dir.path().join("missing")).is_err());
    }
}
