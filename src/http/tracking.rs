//! Request tracking (ssr-only): a request id and one log line for every request, and its
//! count in the metrics registry. A request that matched no route is `unmatched`, except that a
//! file the fallback served (2xx or 304) is `static`. Methods other than the standard ones are
//! counted as `OTHER`.

use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode};
use axum::response::Response;

use crate::metrics::Metrics;
use crate::routes;

/// The header that carries a request's id, in both directions.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

const UNMATCHED: &str = "unmatched";
/// Routes that monitoring calls on a schedule.
const PROBES: [&str; 2] = [routes::HEALTHZ, routes::METRICS];
const STATIC: &str = "static";
/// The longest incoming request id kept; anything longer is replaced.
const MAX_REQUEST_ID: usize = 64;
/// Log lines show at most this much of a path.
const MAX_LOGGED_PATH: usize = 256;

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
}
