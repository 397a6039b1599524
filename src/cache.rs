//! The page cache (ssr-only): finished answers to reading requests, kept until the next write.
//!
//! Every page and API read is a function of the database and of who is asking, so an answer
//! rendered once can be sent again to the same viewer for the same address until something is
//! written. `Db::commits` counts this process's committed write transactions; an answer is
//! stored with the count read *before* it was rendered and is served only while the count has
//! not moved, so a write never hides behind a stale page. Writes made by another process (the
//! CLI) show within `TTL`.
//!
//! Only what is safe to share is kept: `GET`s of the reading routes (`CACHEABLE`), answered
//! 200 without a cookie (and not showing a failed form post's error, `flash::Flash`), for an
//! anonymous reader or for one signed-in viewer (the key holds the
//! viewer's id). Requests with an `Authorization` header (REST tokens) and every other route
//! (settings, editor, admin, server functions) are never cached. Memory is bounded by
//! `QUIRE_PAGE_CACHE_MB`; the oldest answers go first.
//!
//! One render per page at a time: when many readers ask for a page nobody has rendered yet
//! (or whose answer was just dropped by a write), the first renders it and the others wait for
//! that answer instead of each running the same queries (a search at a million articles would
//! otherwise run 32 times over, at once).

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::Notify;

use axum::body::{Body, Bytes, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use tower_sessions::Session;

use crate::security::CspNonce;
use crate::state::AppState;

/// How long an answer may be served at most, for writes this process did not make.
pub const TTL: Duration = Duration::from_secs(5);
/// How long a reader waits for another's render of the same page before rendering it too.
const WAIT_FOR_RENDER: Duration = Duration::from_secs(10);
/// The header that says whether an answer came from the cache (`hit`) or was rendered (`miss`).
pub const STATUS_HEADER: &str = "x-quire-cache";

/// The routes whose `GET` answers are cached: exact paths, and prefixes ending in `/`.
const CACHEABLE: [&str; 10] = [
    "/",
    "/search",
    "/tag/",
    "/profile/",
    "/article/",
    "/api/articles",
    "/api/articles/",
    "/api/tags",
    "/api/profiles/",
    "/api/search",
];

/// True for the paths of `CACHEABLE`.
fn cacheable(path: &str) -> bool {
    CACHEABLE.iter().any(|route| {
        if route.len() > 1 && route.ends_with('/') {
            path.starts_with(route) && path.len() > route.len()
        } else {
            path == *route
        }
    })
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Key {
    viewer: Option<i64>,
    uri: Box<str>,
}

#[derive(Debug)]
struct Entry {
    stored: Instant,
    headers: HeaderMap,
    body: Bytes,
    /// The CSP nonce the body's scripts carry, swapped for each reader's own on a hit.
    nonce: Option<Arc<str>>,
}

/// A kept answer: headers, body and the nonce it was rendered with.
type Kept = (HeaderMap, Bytes, Option<Arc<str>>);

#[derive(Debug, Default)]
struct Entries {
    /// The `Db::commits` every entry was rendered at.
    commits: u64,
    bytes: usize,
    map: HashMap<Key, Entry>,
    /// Keys, oldest first, for eviction.
    order: VecDeque<Key>,
}

impl Entries {
    fn clear(&mut self, commits: u64) {
        self.commits = commits;
        self.bytes = 0;
        self.map.clear();
        self.order.clear();
    }
}

/// Rendered answers by viewer and address. `budget` bytes of bodies at most.
#[derive(Debug)]
pub struct PageCache {
    budget: usize,
    entries: Mutex<Entries>,
    /// The pages being rendered now, each with the signal its waiters wait for.
    renders: Mutex<HashMap<Key, Arc<Notify>>>,
}

/// The one render of a page in flight: when it ends (done, failed or cancelled), its waiters
/// are woken to read what it left in the cache.
struct Render<'a> {
    cache: &'a PageCache,
    key: Key,
    done: Arc<Notify>,
}

impl Drop for Render<'_> {
    fn drop(&mut self) {
        lock(&self.cache.renders).remove(&self.key);
        self.done.notify_waiters();
    }
}

/// A lock that carries on after a panic elsewhere: what it guards is whole or absent.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl PageCache {
    /// A cache of at most `budget` bytes; 0 turns it off.
    pub fn new(budget: usize) -> Self {
        Self {
            budget,
            entries: Mutex::new(Entries::default()),
            renders: Mutex::new(HashMap::new()),
        }
    }

    /// Either the right to render `key` (`Ok`), or, when another request is rendering it
    /// already, waits for that render to end (`Err`) so the caller can look again.
    async fn render_or_wait(&self, key: &Key) -> Result<Render<'_>, ()> {
        let done = {
            let mut renders = lock(&self.renders);
            match renders.get(key) {
                Some(done) => done.clone(),
                None => {
                    let done = Arc::new(Notify::new());
                    renders.insert(key.clone(), done.clone());
                    return Ok(Render {
                        cache: self,
                        key: key.clone(),
                        done,
                    });
                }
            }
        };
        let ended = done.notified();
        tokio::pin!(ended);
        ended.as_mut().enable();
        // The render may have ended between reading the map and enabling the wait.
        if lock(&self.renders)
            .get(key)
            .is_some_and(|now| Arc::ptr_eq(now, &done))
        {
            let _ = tokio::time::timeout(WAIT_FOR_RENDER, ended).await;
        }
        Err(())
    }

    fn is_on(&self) -> bool {
        self.budget > 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
        lock(&self.entries)
    }

    /// The answer kept for `key`, if it was rendered at `commits` less than `TTL` ago.
    fn get(&self, key: &Key, commits: u64) -> Option<Kept> {
        let mut entries = self.lock();
        if entries.commits != commits {
            // Something was written since: everything kept is out of date.
            entries.clear(commits);
            return None;
        }
        let entry = entries.map.get(key)?;
        (entry.stored.elapsed() < TTL).then(|| {
            (
                entry.headers.clone(),
                entry.body.clone(),
                entry.nonce.clone(),
            )
        })
    }

    /// Keeps an answer rendered when `Db::commits` was `commits`, unless a write has happened
    /// since or it is too big to be worth a share of the budget.
    fn put(&self, key: Key, commits: u64, current: u64, (headers, body, nonce): Kept) {
        if !self.is_on() || commits != current || body.len() > self.budget / 16 {
            return;
        }
        let mut entries = self.lock();
        if entries.commits > commits {
            // A reader has seen a newer write since: this answer is already out of date.
            return;
        }
        if entries.commits != commits {
            entries.clear(commits);
        }
        if let Some(old) = entries.map.remove(&key) {
            entries.bytes -= old.body.len();
            entries.order.retain(|k| k != &key);
        }
        while entries.bytes + body.len() > self.budget {
            let Some(oldest) = entries.order.pop_front() else {
                break;
            };
            if let Some(old) = entries.map.remove(&oldest) {
                entries.bytes -= old.body.len();
            }
        }
        entries.bytes += body.len();
        entries.order.push_back(key.clone());
        entries.map.insert(
            key,
            Entry {
                stored: Instant::now(),
                headers,
                body,
                nonce,
            },
        );
    }
}

/// The middleware: answers from the cache when it can, and keeps what it renders when it may.
/// It runs inside the session layer, so it knows the viewer as the page itself would.
pub async fn serve(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let cache = &state.page_cache;
    if !cache.is_on()
        || request.method() != Method::GET
        || request.headers().contains_key(header::AUTHORIZATION)
        || request.extensions().get::<crate::flash::Flash>().is_some()
        || !cacheable(request.uri().path())
    {
        return next.run(request).await;
    }
    let viewer = match request.extensions().get::<Session>() {
        Some(session) => match crate::auth::request::viewer(&state, session).await {
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
    let hit = |(headers, body, kept_nonce): Kept| {
        let body = match (&kept_nonce, &nonce) {
            (Some(old), Some(new)) => swap_nonce(&body, old, new),
            _ => body,
        };
        let mut response = Response::new(Body::from(body));
        *response.headers_mut() = headers;
        mark(&mut response, "hit");
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
    let response = next.run(request).await;
    if response.status() != StatusCode::OK || response.headers().contains_key(header::SET_COOKIE) {
        return response;
    }
    let (parts, body) = response.into_parts();
    // Our answers are bounded by their pages' sizes; an unreadable body is a broken answer.
    let Ok(bytes) = to_bytes(body, usize::MAX).await else {
        return Response::builder()
            .status(StatusCode::INTERNAL_SERVER_ERROR)
            .body(Body::empty())
            .unwrap_or_default();
    };
    cache.put(
        key,
        commits,
        state.db.commits(),
        (parts.headers.clone(), bytes.clone(), nonce),
    );
    drop(render);
    let mut response = Response::from_parts(parts, Body::from(bytes));
    mark(&mut response, "miss");
    response
}

/// `body` with every `nonce="old"` made `nonce="new"`: a kept page's scripts carry the nonce
/// of the reader it is sent to, which that reader's policy header allows.
fn swap_nonce(body: &Bytes, old: &str, new: &str) -> Bytes {
    let from = format!("nonce=\"{old}\"");
    let to = format!("nonce=\"{new}\"");
    let mut out = Vec::with_capacity(body.len() + 64);
    let mut rest = &body[..];
    let finder = memchr::memmem::Finder::new(from.as_bytes());
    while let Some(at) = finder.find(rest) {
        out.extend_from_slice(&rest[..at]);
        out.extend_from_slice(to.as_bytes());
        rest = &rest[at + from.len()..];
    }
    out.extend_from_slice(rest);
    Bytes::from(out)
}

fn mark(response: &mut Response, how: &'static str) {
    response
        .headers_mut()
        .insert(STATUS_HEADER, HeaderValue::from_static(how));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(viewer: Option<i64>, uri: &str) -> Key {
        Key {
            viewer,
            uri: uri.into(),
        }
    }

    fn body(n: usize) -> Bytes {
        Bytes::from(vec![b'x'; n])
    }

    #[test]
    fn only_the_reading_routes_are_cacheable() {
        for path in [
            "/",
            "/search",
            "/tag/rust",
            "/profile/alice",
            "/profile/alice/favorites",
            "/article/hello",
            "/api/articles",
            "/api/articles/hello",
            "/api/articles/hello/comments",
            "/api/tags",
            "/api/profiles/alice",
            "/api/search",
        ] {
            assert!(cacheable(path), "{path}");
        }
        for path in [
            "/settings",
            "/editor",
            "/editor/hello",
            "/admin",
            "/admin/tables/users",
            "/rpc/search",
            "/api/user",
            "/api/users/login",
            "/metrics",
            "/healthz",
            "/tag/",
            "/searching",
            "/pkg/quire.wasm",
        ] {
            assert!(!cacheable(path), "{path}");
        }
    }

    #[test]
    fn an_answer_is_served_until_the_next_write() {
        let cache = PageCache::new(1 << 20);
        let page = key(None, "/");
        cache.put(page.clone(), 7, 7, (HeaderMap::new(), body(10), None));
        assert_eq!(cache.get(&page, 7).map(|(_, b, _)| b.len()), Some(10));
        // Another viewer or another address is another answer.
        assert!(cache.get(&key(Some(1), "/"), 7).is_none());
        assert!(cache.get(&key(None, "/?page=2"), 7).is_none());
        // A write: gone, and it stays gone.
        assert!(cache.get(&page, 8).is_none());
        assert!(cache.get(&page, 8).is_none());
    }

    #[test]
    fn an_answer_rendered_across_a_write_is_not_kept() {
        let cache = PageCache::new(1 << 20);
        let page = key(None, "/");
        // Rendered when the count was 3, finished after a write made it 4.
        cache.put(page.clone(), 3, 4, (HeaderMap::new(), body(10), None));
        assert!(cache.get(&page, 3).is_none());
        assert!(cache.get(&page, 4).is_none());
    }

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
    fn memory_stays_within_the_budget_oldest_out_first() {
        let cache = PageCache::new(1600);
        for i in 0..20 {
            cache.put(
                key(None, &format!("/?page={i}")),
                1,
                1,
                (HeaderMap::new(), body(100), None),
            );
        }
        let entries = cache.lock();
        assert!(entries.bytes <= 1600);
        assert_eq!(entries.map.len(), 16);
        assert_eq!(entries.order.len(), 16);
        assert!(!entries.map.contains_key(&key(None, "/?page=3")));
        assert!(entries.map.contains_key(&key(None, "/?page=19")));
        drop(entries);
        // Storing an address again replaces it, without counting it twice.
        cache.put(
            key(None, "/?page=19"),
            1,
            1,
            (HeaderMap::new(), body(50), None),
        );
        let entries = cache.lock();
        assert_eq!(entries.bytes, 1550);
        assert_eq!(entries.order.len(), 16);
        drop(entries);
        // An answer bigger than a sixteenth of the budget is not worth keeping.
        cache.put(key(None, "/big"), 1, 1, (HeaderMap::new(), body(101), None));
        assert!(cache.get(&key(None, "/big"), 1).is_none());
    }

    #[tokio::test]
    async fn one_render_at_a_time_the_others_wait_for_it() {
        let cache = Arc::new(PageCache::new(1 << 20));
        let page = key(None, "/search?q=rust");
        let first = cache
            .render_or_wait(&page)
            .await
            .expect("the first renders");
        // A second reader waits until the first's render ends, then finds its answer.
        let waiter = tokio::spawn({
            let cache = cache.clone();
            let page = page.clone();
            async move {
                let waited = cache.render_or_wait(&page).await;
                assert!(waited.is_err(), "it waited instead of rendering");
                cache.get(&page, 1).map(|(_, body, _)| body.len())
            }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!waiter.is_finished());
        cache.put(page.clone(), 1, 1, (HeaderMap::new(), body(42), None));
        drop(first);
        assert_eq!(waiter.await.unwrap(), Some(42));
        // Once it ended, the next reader may render again.
        assert!(cache.render_or_wait(&page).await.is_ok());
    }

    #[tokio::test]
    async fn a_cancelled_render_lets_the_waiters_go() {
        let cache = Arc::new(PageCache::new(1 << 20));
        let page = key(None, "/");
        let first = cache
            .render_or_wait(&page)
            .await
            .expect("the first renders");
        let waiter = tokio::spawn({
            let cache = cache.clone();
            let page = page.clone();
            async move { cache.render_or_wait(&page).await.is_err() }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        drop(first); // the client hung up: nothing was stored
        assert!(waiter.await.unwrap());
        assert!(cache.get(&page, 1).is_none());
        assert!(lock(&cache.renders).is_empty());
    }

    #[test]
    fn a_zero_budget_turns_it_off() {
        let cache = PageCache::new(0);
        assert!(!cache.is_on());
        cache.put(key(None, "/"), 1, 1, (HeaderMap::new(), body(0), None));
        assert!(cache.get(&key(None, "/"), 1).is_none());
    }
}
