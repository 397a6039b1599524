//! The page cache's middleware (ssr-only): what may be kept, and for whom. The store itself
//! is `cache::PageCache`.
//!
//! Only what is safe to share is kept: `GET`s of the reading routes (`policy::cacheable`),
//! answered 200 without a cookie (and not showing a failed form post's error, `flash::Flash`),
//! for an anonymous reader or for one signed-in viewer. Requests with an `Authorization`
//! header (REST tokens) and every other route (settings, editor, admin, server functions) are
//! never cached, nor are addresses whose query is longer than `MAX_QUERY_BYTES`: no page reads
//! that much of one, so such an address is padding, and each would be an entry of its own.
//!
//! A kept page or JSON answer is also kept in gzip (`gzip::Spliced`, compressed once, around its
//! nonce), and sent so to readers who accept gzip: compressing on every hit would cost more
//! than the hit itself.

use std::sync::Arc;

use axum::body::{Body, Bytes, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use tower_sessions::Session;

use super::headers::CspNonce;
use super::policy;
use crate::cache::{Kept, Key};
use crate::state::AppState;

/// The header that says whether an answer came from the cache (`hit`) or was rendered (`miss`),
/// sent only with `Config::cache_status_header` (tests, diagnosis).
pub const STATUS_HEADER: &str = "x-quire-cache";

/// The longest query (after `?`) of an address that is kept: a search of `QUERY_MAX_CHARS`
/// characters, percent-encoded, with its page and the API's filters fits.
pub const MAX_QUERY_BYTES: usize = 1024;

/// The middleware: answers from the cache when it can, and keeps what it renders when it may.
/// It runs inside the session layer, so it knows the viewer as the page itself would.
pub async fn serve(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let cache = &state.page_cache;
    if !cache.is_on()
        || request.method() != Method::GET
        || request.headers().contains_key(header::AUTHORIZATION)
        || request.extensions().get::<crate::flash::Flash>().is_some()
        || !policy::cacheable(request.uri().path())
        || request.uri().query().map_or(0, str::len) > MAX_QUERY_BYTES
    {
        return next.run(request).await;
    }
    let viewer = match request.extensions().get::<Session>() {
        Some(session) => match crate::server::request::viewer(&state, session).await {
            Ok(viewer) => viewer,
            // The page will meet the same failure and say what it is.
            Err(_) => return next.run(request).await,
        },
        None => None,
    };
    let key = Key {
        viewer,
        uri: request
            .uri()
            .path_and_query()
            .map_or("/", |pq| pq.as_str())
            .into(),
    };
    let nonce = request.extensions().get::<CspNonce>().map(|n| n.0.clone());
    let gzip = request
        .headers()
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(crate::gzip::accepted);
    let status = state.config.cache_status_header;
    let hit = |kept: Kept| {
        let (headers, body) = encode(kept, nonce.as_deref(), gzip);
        let mut response = Response::new(Body::from(body));
        *response.headers_mut() = headers;
        mark(&mut response, status.then_some("hit"));
        response
    };
    if let Some(kept) = cache.get(&key, state.db.commits()) {
        return hit(kept);
    }
    let render = match cache.render_or_wait(&key).await {
        Ok(render) => Some(render),
        Err(()) => {
            if let Some(kept) = cache.get(&key, state.db.commits()) {
                return hit(kept);
            }
            // The other render left nothing to share (an error, or a write came between):
            // render this one alone.
            None
        }
    };

    let commits = state.db.commits();
    // Rendered as it is, to be kept: the cache compresses what it keeps itself, once.
    request.headers_mut().remove(header::ACCEPT_ENCODING);
    let response = next.run(request).await;
    if response.status() != StatusCode::OK || response.headers().contains_key(header::SET_COOKIE) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    // Our answers are bounded by their pages' sizes; an unreadable body is a broken answer.
    let Ok(bytes) = to_bytes(body, usize::MAX).await else {
        return Response::builder()
            .status(StatusCode::INTERNAL_SERVER_ERROR)
            .body(Body::empty())
            .unwrap_or_default();
    };
    let bytes = match &nonce {
        Some(nonce) => anonymous_crossorigin(&bytes, nonce),
        None => bytes,
    };
    parts.headers.remove(header::CONTENT_LENGTH);
    let zipped = compressible(&parts.headers, bytes.len())
        .then(|| crate::gzip::Spliced::new(&bytes, nonce.as_deref()))
        .flatten()
        .map(Arc::new);
    let kept = Kept {
        headers: parts.headers.clone(),
        body: bytes,
        nonce: nonce.clone(),
        gzip: zipped,
    };
    cache.put(key, commits, state.db.commits(), kept.clone());
    drop(render);
    let (headers, body) = encode(kept, nonce.as_deref(), gzip);
    parts.headers = headers;
    let mut response = Response::from_parts(parts, Body::from(body));
    mark(&mut response, status.then_some("miss"));
    response
}

/// Whether an answer is worth keeping in gzip too: a page or JSON of `gzip::MIN_BYTES` or more.
fn compressible(headers: &HeaderMap, len: usize) -> bool {
    let text = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("text/html") || t.starts_with("application/json"));
    text && len >= usize::from(crate::gzip::MIN_BYTES)
}

/// The headers and body of `kept` for a reader with `nonce` (none: the kept one stays), in
/// gzip if the reader accepts it and it was kept so. Either way the answer varies with
/// `Accept-Encoding`, which shared caches must know.
fn encode(kept: Kept, nonce: Option<&str>, gzip: bool) -> (HeaderMap, Bytes) {
    let Kept {
        mut headers,
        body,
        nonce: old,
        gzip: zipped,
    } = kept;
    let body = match zipped {
        Some(zipped) if gzip => {
            headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            zipped.answer(nonce.or(old.as_deref()).unwrap_or_default())
        }
        _ => match (&old, nonce) {
            (Some(old), Some(new)) => swap_nonce(&body, old, new),
            _ => body,
        },
    };
    headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    (headers, body)
}

/// `body` with every `nonce="old"` made `nonce="new"`: a kept page's scripts carry the nonce
/// of the reader it is sent to, which that reader's policy header allows.
fn swap_nonce(body: &Bytes, old: &str, new: &str) -> Bytes {
    replace(
        body,
        &format!("nonce=\"{old}\""),
        &format!("nonce=\"{new}\""),
    )
}

/// `body` with every `crossorigin="<nonce>"` made `crossorigin=""` (anonymous, what the
/// preloads need). Leptos writes the page's nonce into its preload links' `crossorigin`
/// attribute; a nonce is not a CORS mode, and left there a kept page would hand one reader's
/// nonce to every reader served from the cache, where `swap_nonce` does not look.
fn anonymous_crossorigin(body: &Bytes, nonce: &str) -> Bytes {
    replace(
        body,
        &format!("crossorigin=\"{nonce}\""),
        "crossorigin=\"\"",
    )
}

/// `body` with every `from` made `to`, in one scan.
fn replace(body: &Bytes, from: &str, to: &str) -> Bytes {
    let finder = memchr::memmem::Finder::new(from.as_bytes());
    if finder.find(body).is_none() {
        return body.clone();
    }
    let mut out = Vec::with_capacity(body.len() + 64);
    let mut rest = &body[..];
    while let Some(at) = finder.find(rest) {
        out.extend_from_slice(&rest[..at]);
        out.extend_from_slice(to.as_bytes());
        rest = &rest[at + from.len()..];
    }
    out.extend_from_slice(rest);
    Bytes::from(out)
}

fn mark(response: &mut Response, how: Option<&'static str>) {
    if let Some(how) = how {
        response
            .headers_mut()
            .insert(STATUS_HEADER, HeaderValue::from_static(how));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kept_page_carries_the_readers_nonce() {
        let body = Bytes::from_static(
            b"<script nonce=\"aaa\">x</script><link nonce=\"aaa\"><p>nonce=\"aaab\" aaa</p>",
        );
        assert_eq!(
            swap_nonce(&body, "aaa", "bbb"),
            Bytes::from_static(
                b"<script nonce=\"bbb\">x</script><link nonce=\"bbb\"><p>nonce=\"aaab\" aaa</p>"
            )
        );
    }

    #[test]
    fn a_kept_page_carries_no_nonce_in_crossorigin() {
        let body = Bytes::from_static(
            b"<link rel=\"modulepreload\" crossorigin=\"aaa\"><link crossorigin=\"aaa\">\
              <script nonce=\"aaa\"></script><p>crossorigin=\"aaab\"</p>",
        );
        assert_eq!(
            anonymous_crossorigin(&body, "aaa"),
            Bytes::from_static(
                b"<link rel=\"modulepreload\" crossorigin=\"\"><link crossorigin=\"\">\
                  <script nonce=\"aaa\"></script><p>crossorigin=\"aaab\"</p>"
            )
        );
    }
}
