//! The security policies (ssr-only) that `http::edge` applies around every route, each
//! answering with a clear status rather than a dropped connection:
//!
//! - `HeaderPolicy`: a Content-Security-Policy with a fresh nonce per response (Leptos stamps
//!   the same nonce on its inline scripts, see `provide_request_nonce`), `nosniff`, a referrer
//!   policy, no framing, HSTS over https, and `Cache-Control: no-store` on anything private;
//! - `refuse_write`: writes (articles, comments, favorites, follows) per client address, 429
//!   with `Retry-After` past the limit (the per-account count is in the service layer);
//! - `refuse`: an early refusal (408 for a request not answered in time, 403, 429) in the shape
//!   the caller reads; `panic_page`: a panic becomes a 500 page;
//! - the body limit (`BODY_LIMIT`, 413) and the header-read timeout of the server loop.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use leptos::prelude::{provide_context, use_context};

use crate::auth::limiter::Limiter;
use crate::client::ClientIp;
use crate::error::AppError;

/// Bodies outside `/api` (server functions, forms) are refused with 413 past this size. The
/// REST API has its own, smaller limit (`api::BODY_LIMIT`).
pub use crate::error::BODY_LIMIT;

/// A client must send its request headers within this time.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// The nonce of this response's Content-Security-Policy, kept in the request's extensions for
/// Leptos (`provide_request_nonce`) and the page cache (which swaps it into kept pages).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CspNonce(pub Arc<str>);

impl CspNonce {
    /// 128 random bits, hex-encoded.
    pub fn new() -> Self {
        use std::fmt::Write;
        let bytes: [u8; 16] = rand::random();
        let mut hex = String::with_capacity(32);
        for b in bytes {
            let _ = write!(hex, "{b:02x}");
        }
        Self(hex.into())
    }

    /// The policy for a response carrying this nonce.
    fn policy(&self, connect_src: &str) -> String {
        format!(
            "default-src 'self'; script-src 'self' 'nonce-{}' 'wasm-unsafe-eval'; \
             style-src 'self'; img-src 'self' https: data:; font-src 'self'; \
             connect-src {connect_src}; object-src 'none'; base-uri 'none'; \
             form-action 'self'; frame-ancestors 'none'",
            self.0
        )
    }
}

impl Default for CspNonce {
    fn default() -> Self {
        Self::new()
    }
}

/// Leptos context for every render: the nonce of this request's policy, so the hydration
/// scripts carry the one the header allows. (Leptos makes up its own otherwise.)
pub fn provide_request_nonce() {
    let nonce = use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<CspNonce>().cloned());
    if let Some(CspNonce(value)) = nonce {
        provide_context(leptos::nonce::Nonce::from_value(value));
    }
}

/// What `headers` needs to know about the deployment.
#[derive(Clone, Debug)]
pub struct HeaderPolicy {
    /// The public origin is https: send HSTS.
    hsts: bool,
    /// The session cookie's name: a request carrying it gets private answers.
    cookie: &'static str,
    /// `connect-src`: `'self'`, plus the live-reload socket under `cargo leptos watch`.
    connect_src: String,
}

impl HeaderPolicy {
    pub fn new(https: bool, cookie: &'static str, leptos: &leptos::config::LeptosOptions) -> Self {
        let connect_src = if std::env::var_os("LEPTOS_WATCH").is_some() {
            let port = leptos.reload_external_port.unwrap_or(leptos.reload_port);
            format!("'self' ws://{}:{port}", leptos.site_addr.ip())
        } else {
            "'self'".to_owned()
        };
        Self {
            hsts: https,
            cookie,
            connect_src,
        }
    }

    /// Whether the answer to `request` is private (never stored by a cache): the API, the
    /// server functions, and anything asked with the session cookie.
    pub fn is_private(&self, request: &Request) -> bool {
        let path = request.uri().path();
        is_api(path) || path.starts_with("/rpc/") || carries_cookie(request.headers(), self.cookie)
    }

    /// The security headers, on every response (error pages included): the policy with
    /// `nonce`, and `no-store` when the request was private or the response sets a cookie.
    pub fn apply(&self, nonce: &CspNonce, private: bool, response: &mut Response) {
        let private = private || response.headers().contains_key(header::SET_COOKIE);
        let headers = response.headers_mut();
        if let Ok(csp) = HeaderValue::from_str(&nonce.policy(&self.connect_src)) {
            headers.insert(header::CONTENT_SECURITY_POLICY, csp);
        }
        headers.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        headers.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("strict-origin-when-cross-origin"),
        );
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        headers.insert(
            "cross-origin-opener-policy",
            HeaderValue::from_static("same-origin"),
        );
        if self.hsts {
            headers.insert(
                header::STRICT_TRANSPORT_SECURITY,
                HeaderValue::from_static("max-age=31536000; includeSubDomains"),
            );
        }
        if private {
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        }
    }
}

pub fn is_api(path: &str) -> bool {
    path == "/api" || path.starts_with("/api/")
}

/// True when the request's `Cookie` header holds a cookie named `name`.
fn carries_cookie(headers: &HeaderMap, name: &str) -> bool {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .any(|pair| pair.trim_start().split('=').next() == Some(name))
}

/// The server functions that write.
const WRITE_FUNCTIONS: [&str; 6] = [
    "/rpc/save_article",
    "/rpc/delete_article",
    "/rpc/favorite_article",
    "/rpc/add_comment",
    "/rpc/delete_comment",
    "/rpc/follow_profile",
];

/// True for a request that writes an article, comment, favorite or follow.
fn is_write(method: &Method, path: &str) -> bool {
    if matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    ) {
        return false;
    }
    let path = path.trim_end_matches('/');
    WRITE_FUNCTIONS.contains(&path)
        || path == "/api/articles"
        || path.starts_with("/api/articles/")
        || (path.starts_with("/api/profiles/") && path.ends_with("/follow"))
}

/// Counts a write against its client address (`limiter`: `AppState::write_ip_limiter`), or
/// returns its refusal: 429 with `Retry-After`. Other requests pass uncounted.
pub fn refuse_write(limiter: &Limiter, request: &Request) -> Option<Response> {
    if !is_write(request.method(), request.uri().path()) {
        return None;
    }
    let client = request
        .extensions()
        .get::<ClientIp>()
        .map_or_else(|| "local".to_owned(), |c| c.limit_key());
    let error = limiter.attempt(&format!("ip:{client}")).err()?;
    tracing::warn!(client, path = request.uri().path(), "write rate limit");
    Some(refuse(is_api(request.uri().path()), error))
}

/// An error answer in the shape the caller reads: the REST body for the API (`api`), the
/// server functions' JSON elsewhere.
pub fn refuse(api: bool, error: AppError) -> Response {
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

/// The page a panic leaves: the request ends with a 500 rather than a dropped connection.
pub fn panic_page(panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let what = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_default();
    tracing::error!(panic = %what, "a request handler panicked");
    let mut response = Response::new(Body::from(PANIC_PAGE));
    *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    response
}

const PANIC_PAGE: &str = "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
<title>Something went wrong · Quire</title></head><body><h1>Something went wrong</h1>\
<p>Quire could not finish this page. Please try again; if it keeps happening, tell the \
site's administrator.</p><p><a href=\"/\">Back to the home page</a></p></body></html>";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonces_are_fresh_and_hex() {
        let a = CspNonce::new();
        let b = CspNonce::new();
        assert_ne!(a, b);
        assert_eq!(a.0.len(), 32);
        assert!(a.0.bytes().all(|c| c.is_ascii_hexdigit()));
        let policy = a.policy("'self'");
        assert!(policy.contains(&format!("'nonce-{}'", a.0)));
        for part in [
            "'wasm-unsafe-eval'",
            "object-src 'none'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
        ] {
            assert!(policy.contains(part), "{part} missing from {policy}");
        }
    }

    #[test]
    fn the_session_cookie_is_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("theme=dark; quire=abc"),
        );
        assert!(carries_cookie(&headers, "quire"));
        assert!(!carries_cookie(&headers, "__Host-quire"));
        headers.insert(header::COOKIE, HeaderValue::from_static("notquire=1"));
        assert!(!carries_cookie(&headers, "quire"));
    }

    #[test]
    fn writes_are_told_from_reads() {
        for (method, path) in [
            (Method::POST, "/api/articles"),
            (Method::PUT, "/api/articles/a-slug"),
            (Method::DELETE, "/api/articles/a-slug/favorite"),
            (Method::POST, "/api/articles/a-slug/comments"),
            (Method::POST, "/api/profiles/jake/follow"),
            (Method::POST, "/rpc/save_article"),
            (Method::POST, "/rpc/favorite_article"),
        ] {
            assert!(is_write(&method, path), "{method} {path}");
        }
        for (method, path) in [
            (Method::GET, "/api/articles"),
            (Method::POST, "/api/users/login"),
            (Method::PUT, "/api/user"),
            (Method::POST, "/rpc/preview_markdown"),
            (Method::POST, "/rpc/login"),
            (Method::POST, "/rpc/list_articles"),
        ] {
            assert!(!is_write(&method, path), "{method} {path}");
        }
    }
}
