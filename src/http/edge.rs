//! The one outer layer around every route (ssr-only), and the refusals it answers with.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tracing::Instrument;

use super::headers::{CspNonce, HeaderPolicy};
use super::policy;
use super::tracking::Tracking;
use crate::auth::limiter::{Key, Limiter};
use crate::client_ip::{ClientIp, TrustedProxies};
use crate::error::AppError;
use crate::metrics::Metrics;

/// What `edge` needs, apart from the state: it takes these alone, because a layer clones its
/// state (and the whole stack inside it) for every request.
pub(super) struct Edge {
    pub metrics: Arc<Metrics>,
    pub headers: HeaderPolicy,
    pub origin: Box<str>,
    pub writes: Arc<Limiter>,
    pub timeout: Duration,
    pub trusted: TrustedProxies,
}

/// The outermost layer, one function rather than five layers: each layer clones the stack
/// inside it for every request (with `AppState` made one `Arc` at the same time, a cached
/// `/api/tags` went from 34.4k to 52.5k req/s on one core). In order:
///
/// 1. metrics and the request's log line (`tracking::Tracking`), so they see every final status;
/// 2. security headers with a fresh CSP nonce, on every answer, refusals and panics included;
/// 3. who the client is (`ClientIp`, behind trusted proxies too), for every rate limit;
/// 4. the request timeout (408), which also stops the request's database reads
///    (`db::reads_until`);
/// 5. cross-site state-changing requests refused (403), then writes per address (429).
pub(super) async fn edge(
    State(edge): State<Arc<Edge>>,
    mut request: Request,
    next: Next,
) -> Response {
    let tracking = Tracking::start(&mut request);
    let response = edge
        .answer(request, next)
        .instrument(tracking.span().clone())
        .await;
    tracking.finish(&edge.metrics, response)
}

impl Edge {
    async fn answer(&self, mut request: Request, next: Next) -> Response {
        let nonce = CspNonce::new();
        let private = self.headers.is_private(&request);
        let api = policy::is_api(request.uri().path());
        request.extensions_mut().insert(nonce.clone());
        let client = ClientIp::of(&request, &self.trusted);
        request.extensions_mut().insert(client);
        let mut response = match self.refusal(&request) {
            Some(refusal) => refusal,
            None => match tokio::time::timeout(
                self.timeout,
                crate::db::reads_until(Instant::now() + self.timeout, next.run(request)),
            )
            .await
            {
                Ok(response) => response,
                Err(_) => {
                    tracing::warn!("request timed out");
                    refuse(api, AppError::Timeout)
                }
            },
        };
        self.headers.apply(&nonce, private, &mut response);
        response
    }

    /// Refuses state-changing requests that a browser sent from another site (CSRF), using
    /// Fetch Metadata with an `Origin`/`Referer` fallback (the REST API under `/api`
    /// authenticates with a header token, never a cookie, so it is left to CORS); then counts
    /// writes against their address.
    fn refusal(&self, request: &Request) -> Option<Response> {
        let safe = matches!(
            *request.method(),
            Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
        );
        let path = request.uri().path();
        if !safe && !policy::is_api(path) && !is_same_origin(request.headers(), &self.origin) {
            tracing::warn!(
                method = %request.method(),
                path,
                "refused a cross-site state-changing request"
            );
            return Some(refuse(false, AppError::CrossSite));
        }
        refuse_write(&self.writes, request)
    }
}

/// Counts a write against its client address (`limiter`: `AppState::write_ip_limiter`), or
/// returns its refusal: 429 with `Retry-After`. Other requests pass uncounted.
fn refuse_write(limiter: &Limiter, request: &Request) -> Option<Response> {
    if !policy::is_write(request.method(), request.uri().path()) {
        return None;
    }
    let client = ClientIp::of_extensions(request.extensions()).limit_key();
    let error = limiter.attempt(Key::Client(&client)).err()?;
    tracing::warn!(%client, path = request.uri().path(), "write rate limit");
    Some(refuse(policy::is_api(request.uri().path()), error))
}

/// An error answer in the shape the caller reads: the REST body for the API (`api`), the
/// server functions' JSON elsewhere.
pub(super) fn refuse(api: bool, error: AppError) -> Response {
    if api {
        return error.into_response();
    }
    let mut response = (
        error.status(),
        serde_json::to_string(&error).unwrap_or_default(),
    )
        .into_response();
    error.add_headers(response.headers_mut());
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

fn is_same_origin(headers: &HeaderMap, origin: &str) -> bool {
    let text = |name| {
        headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
    };
    if let Some(site) = text("sec-fetch-site") {
        return site == "same-origin" || site == "none";
    }
    if let Some(from) = text(header::ORIGIN.as_str()) {
        return from.eq_ignore_ascii_case(origin);
    }
    if let Some(referer) = text(header::REFERER.as_str()) {
        return referer.len() >= origin.len()
            && referer[..origin.len()].eq_ignore_ascii_case(origin)
            && matches!(referer.as_bytes().get(origin.len()), None | Some(b'/'));
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.insert(*k, HeaderValue::from_static(v));
        }
        map
    }

    const ORIGIN: &str = "http://127.0.0.1:3000";

    #[test]
    fn fetch_metadata_decides_when_present() {
        assert!(is_same_origin(
            &headers(&[("sec-fetch-site", "same-origin")]),
            ORIGIN
        ));
        assert!(is_same_origin(
            &headers(&[("sec-fetch-site", "none")]),
            ORIGIN
        ));
        assert!(!is_same_origin(
            &headers(&[("sec-fetch-site", "cross-site")]),
            ORIGIN
        ));
        assert!(!is_same_origin(
            &headers(&[("sec-fetch-site", "same-site")]),
            ORIGIN
        ));
        // A matching Origin does not rescue a cross-site fetch.
        assert!(!is_same_origin(
            &headers(&[
                ("sec-fetch-site", "cross-site"),
                ("origin", "http://127.0.0.1:3000")
            ]),
            ORIGIN
        ));
    }

    #[test]
    fn origin_then_referer_are_the_fallback() {
        assert!(is_same_origin(
            &headers(&[("origin", "http://127.0.0.1:3000")]),
            ORIGIN
        ));
        assert!(!is_same_origin(
            &headers(&[("origin", "https://evil.test")]),
            ORIGIN
        ));
        assert!(!is_same_origin(&headers(&[("origin", "null")]), ORIGIN));
        assert!(is_same_origin(
            &headers(&[("referer", "http://127.0.0.1:3000/settings")]),
            ORIGIN
        ));
        assert!(!is_same_origin(
            &headers(&[("referer", "http://127.0.0.1:3000.evil.test/")]),
            ORIGIN
        ));
        assert!(!is_same_origin(&headers(&[]), ORIGIN));
    }
}
