//! Observability (ssr-only): a request id and one log line for every request, request counts
//! and latencies by route in a small in-process registry, `/metrics` in the Prometheus text
//! format, and `/healthz`.
//!
//! Requests are labelled by the route they matched, as written in the router
//! (`/article/{slug}`, `/api/articles/{slug}`, `/rpc/get_article`), never by the path they
//! were called with: the series stay few, and carry no slugs, names or search terms. A request
//! that matched no route is `unmatched`, except that a file the fallback served (2xx or 304) is
//! `static`. Methods other than the standard ones are counted as `OTHER`.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt::Display;
use std::path::Path;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::config::Secret;
use crate::db::Db;
use crate::db::stats::Totals;
use crate::state::AppState;

/// The header that carries a request's id, in both directions.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The content type of the Prometheus text exposition format 0.0.4.
pub const PROMETHEUS_TEXT: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Upper bounds of the latency histogram's buckets, in seconds.
pub const BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

const UNMATCHED: &str = "unmatched";
/// Routes that monitoring calls on a schedule.
const PROBES: [&str; 2] = ["/healthz", "/metrics"];
const STATIC: &str = "static";
/// The longest incoming request id kept; anything longer is replaced.
const MAX_REQUEST_ID: usize = 64;
/// Log lines show at most this much of a path.
const MAX_LOGGED_PATH: usize = 256;

/// Request counts and latencies since the registry was made (one per `AppState`).
#[derive(Debug)]
pub struct Metrics {
    started: Instant,
    /// route → method → series.
    routes: Mutex<BTreeMap<String, BTreeMap<&'static str, Series>>>,
}

#[derive(Debug, Default)]
struct Series {
    /// status code → requests.
    statuses: BTreeMap<u16, u64>,
    latency: Histogram,
}

/// A latency histogram over `BUCKETS`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Histogram {
    /// Observations that fell in each bucket (not cumulative); those above the last bound are
    /// counted in `count` only.
    buckets: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

impl Histogram {
    pub fn observe(&mut self, seconds: f64) {
        if let Some(i) = BUCKETS.iter().position(|&le| seconds <= le) {
            self.buckets[i] += 1;
        }
        self.count += 1;
        self.sum += seconds;
    }

    /// `(le, observations at or below it)` for every bucket and then `+Inf`, cumulative as
    /// Prometheus wants them.
    pub fn cumulative(&self) -> Vec<(String, u64)> {
        let mut total = 0;
        let mut out: Vec<(String, u64)> = BUCKETS
            .iter()
            .zip(self.buckets)
            .map(|(le, n)| {
                total += n;
                (le.to_string(), total)
            })
            .collect();
        out.push(("+Inf".to_owned(), self.count));
        out
    }

    pub fn count(&self) -> u64 {
        self.count
    }

    pub fn sum(&self) -> f64 {
        self.sum
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        Self {
            started: Instant::now(),
            routes: Mutex::new(BTreeMap::new()),
        }
    }

    /// Counts one finished request.
    pub fn record(&self, method: &'static str, route: &str, status: StatusCode, took: Duration) {
        let mut routes = self.routes.lock().unwrap_or_else(PoisonError::into_inner);
        if !routes.contains_key(route) {
            routes.insert(route.to_owned(), BTreeMap::new());
        }
        if let Some(methods) = routes.get_mut(route) {
            let series = methods.entry(method).or_default();
            *series.statuses.entry(status.as_u16()).or_default() += 1;
            series.latency.observe(took.as_secs_f64());
        }
    }

    /// How long since the registry was made: the process's uptime in the server.
    pub fn uptime(&self) -> Duration {
        self.started.elapsed()
    }

    /// Writes the request counter and the latency histogram.
    pub fn render_http(&self, out: &mut String) {
        let routes = self.routes.lock().unwrap_or_else(PoisonError::into_inner);
        let counter = "quire_http_requests_total";
        family(
            out,
            counter,
            "counter",
            "HTTP requests answered, by method, route and status.",
        );
        for (route, methods) in routes.iter() {
            for (method, series) in methods {
                for (status, n) in &series.statuses {
                    let status = status.to_string();
                    let labels = [
                        ("method", *method),
                        ("route", route.as_str()),
                        ("status", status.as_str()),
                    ];
                    sample(out, counter, &labels, n);
                }
            }
        }
        let histogram = "quire_http_request_duration_seconds";
        family(
            out,
            histogram,
            "histogram",
            "Time to the response head, by method and route.",
        );
        let bucket = format!("{histogram}_bucket");
        let sum = format!("{histogram}_sum");
        let count = format!("{histogram}_count");
        for (route, methods) in routes.iter() {
            for (method, series) in methods {
                let labels = [("method", *method), ("route", route.as_str())];
                for (le, n) in series.latency.cumulative() {
                    let labels = [labels[0], labels[1], ("le", le.as_str())];
                    sample(out, &bucket, &labels, n);
                }
                sample(out, &sum, &labels, series.latency.sum());
                sample(out, &count, &labels, series.latency.count());
            }
        }
    }
}

/// Writes a metric family's `# HELP` and `# TYPE` lines.
fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    out.push_str(&format!("# HELP {name} {help}\n# TYPE {name} {kind}\n"));
}

/// Writes one sample line: `name{label="value",...} value`.
fn sample(out: &mut String, name: &str, labels: &[(&str, &str)], value: impl Display) {
    out.push_str(name);
    if !labels.is_empty() {
        out.push('{');
        for (i, (label, text)) in labels.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(&format!("{label}=\"{}\"", escape_label(text)));
        }
        out.push('}');
    }
    out.push_str(&format!(" {value}\n"));
}

/// A label value as the text format needs it: backslash, double quote and newline escaped.
pub fn escape_label(value: &str) -> Cow<'_, str> {
    if !value.contains(['\\', '"', '\n']) {
        return Cow::Borrowed(value);
    }
    let mut out = String::with_capacity(value.len() + 8);
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Connections of each pool: idle, in use, and the most it may open.
fn render_pools(out: &mut String, db: &Db) {
    let pools = [("reader", &db.reader), ("writer", &db.writer)];
    let name = "quire_db_pool_connections";
    family(
        out,
        name,
        "gauge",
        "Open database connections, by pool and state.",
    );
    for (pool_name, pool) in pools {
        let idle = pool.num_idle();
        let in_use = usize::try_from(pool.size())
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
    for (pool_name, pool) in pools {
        let max = pool.options().get_max_connections();
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
/// `Authorization: Bearer <token>`. Row totals are left out (and a warning logged) when the
/// database does not answer; the rest is still served.
pub async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(token) = &state.config.metrics_token
        && !bearer_matches(&headers, token)
    {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer realm=\"metrics\"")],
            "/metrics needs Authorization: Bearer <token>\n",
        )
            .into_response();
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

/// The outermost part of `http::edge`: gives the request an id (a sane incoming
/// `x-request-id`, or a new random one) and sends it back in `x-request-id`; runs the request
/// in a span with the id, method and route; logs one line when the response is ready (status,
/// latency, and the path without its query, which can hold search terms; never headers or
/// cookies); and counts it.
pub struct Tracking {
    started: Instant,
    id: Option<HeaderValue>,
    method: &'static str,
    matched: Option<MatchedPath>,
    path: String,
    span: tracing::Span,
}

impl Tracking {
    pub fn start(request: &mut Request) -> Self {
        let started = Instant::now();
        let id = request
            .headers()
            .get(&REQUEST_ID)
            .and_then(|v| v.to_str().ok())
            .filter(|v| is_valid_request_id(v))
            .map_or_else(new_request_id, str::to_owned);
        let id_header = HeaderValue::from_str(&id).ok();
        if let Some(value) = &id_header {
            request.headers_mut().insert(REQUEST_ID, value.clone());
        }
        let method = method_label(request.method());
        let matched = request.extensions().get::<MatchedPath>().cloned();
        let route = matched.as_ref().map_or(UNMATCHED, MatchedPath::as_str);
        let span =
            tracing::info_span!("request", request_id = %id, method = %method, route = %route);
        Self {
            started,
            id: id_header,
            method,
            matched,
            path: logged_path(request.uri().path()).to_owned(),
            span,
        }
    }

    /// The span the request runs in.
    pub fn span(&self) -> &tracing::Span {
        &self.span
    }

    /// Counts and logs the answer, and gives it the request id.
    pub fn finish(self, metrics: &Metrics, mut response: Response) -> Response {
        let took = self.started.elapsed();
        let status = response.status();
        let label = route_label(self.matched.as_ref().map(MatchedPath::as_str), status);
        metrics.record(self.method, label, status, took);
        self.span.in_scope(|| {
            let latency_ms = milliseconds(took);
            let path = &self.path;
            // Probes arrive every few seconds: their lines are for debugging only.
            if PROBES.contains(&label) {
                tracing::debug!(status = status.as_u16(), latency_ms, path = %path, "finished");
            } else {
                tracing::info!(status = status.as_u16(), latency_ms, path = %path, "finished");
            }
        });
        if let Some(value) = self.id {
            response.headers_mut().insert(REQUEST_ID, value);
        }
        response
    }
}

/// The `route` label: the matched route's template; without one, `static` when the fallback
/// served a file (2xx or 304) and `unmatched` otherwise.
fn route_label(matched: Option<&str>, status: StatusCode) -> &str {
    match matched {
        Some(route) => route,
        None if status.is_success() || status == StatusCode::NOT_MODIFIED => STATIC,
        None => UNMATCHED,
    }
}

/// An incoming request id is kept when it is 1 to 64 characters of `A-Z a-z 0-9 . _ -`.
pub fn is_valid_request_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_REQUEST_ID
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// 32 random hex digits.
fn new_request_id() -> String {
    format!("{:032x}", rand::random::<u128>())
}

/// The method as a label: the standard ones by name, anything else `OTHER` (a client can send
/// any token as a method, which must not make new series).
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::OPTIONS => "OPTIONS",
        Method::CONNECT => "CONNECT",
        Method::TRACE => "TRACE",
        _ => "OTHER",
    }
}

/// At most `MAX_LOGGED_PATH` bytes of the path (a URI path is ASCII, so any cut is on a
/// character boundary).
fn logged_path(path: &str) -> &str {
    path.get(..MAX_LOGGED_PATH).unwrap_or(path)
}

/// A duration in milliseconds, to the microsecond.
fn milliseconds(took: Duration) -> f64 {
    let micros = u32::try_from(took.as_micros()).unwrap_or(u32::MAX);
    f64::from(micros) / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape_label("/article/{slug}"), "/article/{slug}");
        assert_eq!(escape_label(r#"a"b"#), r#"a\"b"#);
        assert_eq!(escape_label(r"a\b"), r"a\\b");
        assert_eq!(escape_label("a\nb"), r"a\nb");
        assert_eq!(escape_label("\\\"\n"), r#"\\\"\n"#);
        let mut out = String::new();
        sample(&mut out, "m", &[("route", "x\"y"), ("status", "200")], 3);
        assert_eq!(out, "m{route=\"x\\\"y\",status=\"200\"} 3\n");
        out.clear();
        sample(&mut out, "m", &[], 7);
        assert_eq!(out, "m 7\n");
    }

    #[test]
    fn histogram_buckets_are_cumulative_and_end_with_inf() {
        let mut h = Histogram::default();
        for seconds in [0.001, 0.005, 0.007, 0.3, 2.0, 11.0] {
            h.observe(seconds);
        }
        assert_eq!(h.count(), 6);
        assert!((h.sum() - 13.313).abs() < 1e-9);
        let buckets = h.cumulative();
        let at = |le: &str| {
            buckets
                .iter()
                .find(|(l, _)| l == le)
                .map(|(_, n)| *n)
                .unwrap()
        };
        assert_eq!(buckets.len(), BUCKETS.len() + 1);
        // 0.005 is inside its own bucket: `le` means less than or equal.
        assert_eq!(at("0.005"), 2);
        assert_eq!(at("0.01"), 3);
        assert_eq!(at("0.25"), 3);
        assert_eq!(at("0.5"), 4);
        assert_eq!(at("1"), 4);
        assert_eq!(at("2.5"), 5);
        assert_eq!(at("10"), 5);
        // 11 s is above every bound: only +Inf (the count) has it.
        assert_eq!(buckets.last().unwrap(), &("+Inf".to_owned(), 6));
        assert!(buckets.windows(2).all(|w| w[0].1 <= w[1].1));
    }

    #[test]
    fn the_registry_counts_by_method_route_and_status() {
        let metrics = Metrics::new();
        let ms = Duration::from_millis(3);
        metrics.record("GET", "/article/{slug}", StatusCode::OK, ms);
        metrics.record("GET", "/article/{slug}", StatusCode::OK, ms);
        metrics.record("GET", "/article/{slug}", StatusCode::NOT_FOUND, ms);
        metrics.record(
            "POST",
            "/rpc/login",
            StatusCode::OK,
            Duration::from_secs(20),
        );
        let mut out = String::new();
        metrics.render_http(&mut out);
        for line in [
            "# TYPE quire_http_requests_total counter",
            "quire_http_requests_total{method=\"GET\",route=\"/article/{slug}\",status=\"200\"} 2",
            "quire_http_requests_total{method=\"GET\",route=\"/article/{slug}\",status=\"404\"} 1",
            "quire_http_requests_total{method=\"POST\",route=\"/rpc/login\",status=\"200\"} 1",
            "# TYPE quire_http_request_duration_seconds histogram",
            "quire_http_request_duration_seconds_bucket{method=\"GET\",route=\"/article/{slug}\",le=\"0.005\"} 3",
            "quire_http_request_duration_seconds_count{method=\"GET\",route=\"/article/{slug}\"} 3",
            "quire_http_request_duration_seconds_bucket{method=\"POST\",route=\"/rpc/login\",le=\"10\"} 0",
            "quire_http_request_duration_seconds_bucket{method=\"POST\",route=\"/rpc/login\",le=\"+Inf\"} 1",
            "quire_http_request_duration_seconds_sum{method=\"POST\",route=\"/rpc/login\"} 20",
        ] {
            assert!(out.lines().any(|l| l == line), "no `{line}` in\n{out}");
        }
    }

    #[test]
    fn request_ids_are_short_and_plain() {
        for good in ["abc", "A-1_b.c", &"x".repeat(64), "0123456789abcdef"] {
            assert!(is_valid_request_id(good), "{good}");
        }
        for bad in [
            "",
            &"x".repeat(65),
            "has space",
            "line\nbreak",
            "tab\t",
            "semi;colon",
            "quote\"",
            "é",
            "a/b",
        ] {
            assert!(!is_valid_request_id(bad), "{bad:?}");
        }
        let id = new_request_id();
        assert_eq!(id.len(), 32);
        assert!(is_valid_request_id(&id));
        assert_ne!(id, new_request_id());
    }

    #[test]
    fn routes_are_labelled_by_template_or_as_unmatched_or_static() {
        let slug = Some("/article/{slug}");
        assert_eq!(route_label(slug, StatusCode::OK), "/article/{slug}");
        assert_eq!(route_label(slug, StatusCode::NOT_FOUND), "/article/{slug}");
        assert_eq!(route_label(None, StatusCode::NOT_FOUND), "unmatched");
        assert_eq!(route_label(None, StatusCode::OK), "static");
        assert_eq!(route_label(None, StatusCode::NOT_MODIFIED), "static");
        assert_eq!(route_label(None, StatusCode::FORBIDDEN), "unmatched");
    }

    #[test]
    fn unknown_methods_share_one_label() {
        assert_eq!(method_label(&Method::GET), "GET");
        assert_eq!(method_label(&Method::DELETE), "DELETE");
        assert_eq!(method_label(&Method::from_bytes(b"BREW").unwrap()), "OTHER");
    }

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
