//! The site's files (ssr-only): the wasm bundle, its loader, the styles, the icons.
//!
//! `cargo leptos build --release --precompress` (`make build`) names the bundle's files after
//! their contents (`quire.<hash>.wasm`, `hash-files` in Cargo.toml) and writes a brotli and a
//! gzip copy beside each file; `ServeDir` sends the copy the client accepts, the file itself
//! otherwise. A fingerprinted file never changes under its name, so browsers keep it a year
//! without asking again (`immutable`), signed in or not: a file is the same for every reader,
//! and the session cookie that makes pages `no-store` says nothing about it. Other files (the
//! icon, `robots.txt`, an unhashed bundle in a debug build) are kept a few minutes.
//!
//! The navigation layer's script (`crate::navigation`) is not a file: it is compiled in, its
//! address carries its own hash, and it is sent from memory, in brotli (11) or gzip (9) made
//! once, with the same headers as the bundle's files.

use std::io::Write;
use std::sync::LazyLock;

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
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

/// The navigation layer's script in brotli and in gzip, compressed at their highest levels the
/// first time it is asked for; each answer shares these bytes.
static NAVIGATION: LazyLock<(Bytes, Bytes)> = LazyLock::new(|| {
    let text = crate::navigation::SOURCE.as_bytes();
    let mut br = Vec::new();
    {
        let mut writer = brotli::CompressorWriter::new(&mut br, 4096, 11, 22);
        let _ = writer.write_all(text);
    }
    let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let _ = gzip.write_all(text);
    (
        Bytes::from(br),
        Bytes::from(gzip.finish().unwrap_or_default()),
    )
});

/// `GET` of the navigation layer's script (`navigation::script_path`): brotli, gzip or the
/// text, as the request accepts, kept a year like a fingerprinted file.
pub async fn navigation_script(request_headers: HeaderMap) -> Response {
    let accepts = request_headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let (br, gzip) = &*NAVIGATION;
    let (encoding, body) = if accepts_coding(accepts, "br") && !br.is_empty() {
        (Some("br"), br.clone())
    } else if crate::gzip::accepted(accepts) && !gzip.is_empty() {
        (Some("gzip"), gzip.clone())
    } else {
        (
            None,
            Bytes::from_static(crate::navigation::SOURCE.as_bytes()),
        )
    };
    let mut response = Response::new(Body::from(body));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/javascript; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(IMMUTABLE));
    headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    if let Some(encoding) = encoding {
        headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static(encoding));
    }
    response.extensions_mut().insert(SiteFile);
    response
}

/// Whether an `Accept-Encoding` value names `coding` with a non-zero weight.
fn accepts_coding(accept_encoding: &str, coding: &str) -> bool {
    crate::gzip::codings(accept_encoding)
        .any(|(name, weight)| name.eq_ignore_ascii_case(coding) && weight > 0.0)
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
    fn brotli_is_sent_only_to_who_takes_it() {
        assert!(accepts_coding("gzip, deflate, br", "br"));
        assert!(accepts_coding("BR;q=0.5", "br"));
        assert!(!accepts_coding("br;q=0, gzip", "br"));
        assert!(!accepts_coding("gzip", "br"));
        assert!(!accepts_coding("", "br"));
    }

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
