//! The site's files (ssr-only): the wasm bundle, its loader, the styles, the icons.
//!
//! `cargo leptos build --release --precompress` (`make build`) names the bundle's files after
//! their contents (`quire.<hash>.wasm`, `hash-files` in Cargo.toml) and writes a brotli and a
//! gzip copy beside each file; `ServeDir` sends the copy the client accepts, the file itself
//! otherwise. A fingerprinted file never changes under its name, so browsers keep it a year
//! without asking again (`immutable`), signed in or not: a file is the same for every reader,
//! and the session cookie that makes pages `no-store` says nothing about it. Other files (the
//! icon, `robots.txt`, an unhashed bundle in a debug build) are kept a few minutes.

use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;

/// Marks a response as one of the site's files, for the security headers (`headers::apply`):
/// it is the same for every reader, so it is never made `no-store`.
#[derive(Clone, Copy, Debug)]
pub struct SiteFile;

/// How long a fingerprinted file is kept: a year, without revalidation.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// How long another file is kept: five minutes, so a deploy shows within that.
pub const SHORT: &str = "public, max-age=300";

/// The middleware around the file service: the caching headers of a file it found. A request
/// it did not find a file for (the app's 404 page, rendered by the fallback) is left alone.
pub async fn cache_headers(request: Request, next: Next) -> Response {
    let fingerprinted = is_fingerprinted(request.uri().path());
    let read = matches!(*request.method(), Method::GET | Method::HEAD);
    let mut response = next.run(request).await;
    let found = response.status().is_success() || response.status() == StatusCode::NOT_MODIFIED;
    if !read || !found {
        return response;
    }
    let headers = response.headers_mut();
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(if fingerprinted { IMMUTABLE } else { SHORT }),
    );
    // The same address answers br, gzip or the file itself, by the request's Accept-Encoding.
    headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    response.extensions_mut().insert(SiteFile);
    response
}

/// Whether `path` names a file of the bundle under `/pkg/` whose name carries its contents'
/// hash, as cargo-leptos writes it: `<name>.<hash>.<ext>`, the hash 22 characters of
/// URL-safe base64 (an MD5).
pub fn is_fingerprinted(path: &str) -> bool {
    let Some(name) = path.strip_prefix("/pkg/") else {
        return false;
    };
    if name.contains('/') {
        return false;
    }
    let mut parts = name.rsplit('.');
    let (Some(_ext), Some(hash), Some(stem)) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    !stem.is_empty()
        && hash.len() == 22
        && hash
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_hashed_bundle_files_are_fingerprinted() {
        assert!(is_fingerprinted("/pkg/quire.bxWWm9Dy_JSC8TZ2yM14fw.wasm"));
        assert!(is_fingerprinted("/pkg/quire.bxWWm9Dy_JSC8TZ2yM14fw.js"));
        assert!(is_fingerprinted("/pkg/quire.bxWWm9Dy-JSC8TZ2yM14fw.css"));
        for other in [
            "/pkg/quire.wasm",
            "/pkg/quire.js",
            "/favicon.svg",
            "/robots.txt",
            "/pkg/.bxWWm9Dy_JSC8TZ2yM14fw.js",
            "/pkg/a/quire.bxWWm9Dy_JSC8TZ2yM14fw.js",
            "/quire.bxWWm9Dy_JSC8TZ2yM14fw.js",
            "/pkg/quire.bxWWm9Dy_JSC8TZ2yM14f.js",
            "/pkg/quire.bxWWm9Dy.JSC8TZ2yM14fw.js",
        ] {
            assert!(!is_fingerprinted(other), "{other}");
        }
    }
}
