//! The headers on every answer (ssr-only): a Content-Security-Policy with a fresh nonce per
//! response (Leptos stamps the same nonce on its inline scripts, see `provide_request_nonce`),
//! `nosniff`, a referrer policy, no framing, HSTS over https, and `Cache-Control: no-store` on
//! anything private; and the page a panic leaves.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use leptos::prelude::{provide_context, use_context};

use super::policy;

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
        policy::is_api(path)
            || policy::is_rpc(path)
            || carries_cookie(request.headers(), self.cookie)
    }

    /// The security headers, on every response (error pages included): the policy with
    /// `nonce`, and `no-store` when the request was private or the response sets a cookie.
    /// One of the site's files (`assets::SiteFile`) is the same for every reader and keeps its
    /// own caching headers, session cookie or not.
    pub fn apply(&self, nonce: &CspNonce, private: bool, response: &mut Response) {
        let site_file = response
            .extensions()
            .get::<super::assets::SiteFile>()
            .is_some();
        let private =
            (private && !site_file) || response.headers().contains_key(header::SET_COOKIE);
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

/// True when the request's `Cookie` header holds a cookie named `name`.
fn carries_cookie(headers: &HeaderMap, name: &str) -> bool {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .any(|pair| pair.trim_start().split('=').next() == Some(name))
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
}
