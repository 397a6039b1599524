//! The page cache (ssr-only): finished answers to reading requests, kept until the next write.
//!
//! Every page and API read is a function of the database and of who is asking, so an answer
//! rendered once can be sent again to the same viewer for the same address until something is
//! written. `Db::commits` counts this process's committed write transactions; an answer is
//! stored with the count read *before* it was rendered and is served only while the count has
//! not moved, so a write never hides behind a stale page. Writes made by another process (the
//! CLI) show within `TTL`.
//!
//! What is kept, and for whom, is decided by the middleware in front of it
//! (`http::page_cache`): `GET`s of the reading routes, for an anonymous reader or one
//! signed-in viewer (the key holds the viewer's id). Memory is bounded by
//! `QUIRE_PAGE_CACHE_MB`, counting everything an entry holds (its address twice, its headers,
//! its body and a fixed share for the bookkeeping: `Entry::weight`), and by `MAX_ENTRIES`; the
//! oldest answers go first.
//!
//! One render per page at a time: when many readers ask for a page nobody has rendered yet
//! (or whose answer was just dropped by a write), the first renders it and the others wait for
//! that answer instead of each running the same queries (a search at a million articles would
//! otherwise run 32 times over, at once).

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::HeaderMap;
use tokio::sync::Notify;

use crate::model::user::UserId;

/// How long an answer may be served at most, for writes this process did not make.
pub const TTL: Duration = Duration::from_secs(5);
/// How long a reader waits for another's render of the same page before rendering it too.
const WAIT_FOR_RENDER: Duration = Duration::from_secs(10);
/// The most answers kept, however small.
pub const MAX_ENTRIES: usize = 20_000;
/// What an entry costs beyond the bytes of its address, headers and body: the map's slot and
/// the entry's fields, the eviction queue's slot, the allocators' rounding.
pub const ENTRY_OVERHEAD: usize = 256;
/// What one header costs beyond its name and value (`HeaderMap`'s slot and indices).
const HEADER_OVERHEAD: usize = 64;

/// Whose answer, to which address (path and query).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Key {
    pub viewer: Option<UserId>,
    pub uri: Box<str>,
}

#[derive(Debug)]
struct Entry {
    stored: Instant,
    kept: Kept,
    /// What it counts against the budget (`weight`).
    weight: usize,
}

/// The memory an answer for `key` takes once kept: its address twice (the map's key and the
/// eviction queue's), its headers, its body, its nonce, its gzip form and `ENTRY_OVERHEAD`.
fn weight(key: &Key, kept: &Kept) -> usize {
    let headers: usize = kept
        .headers
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len() + HEADER_OVERHEAD)
        .sum();
    2 * key.uri.len()
        + headers
        + kept.body.len()
        + kept.nonce.as_ref().map_or(0, |n| n.len())
        + kept.gzip.as_ref().map_or(0, |g| g.len())
        + ENTRY_OVERHEAD
}

/// A kept answer.
#[derive(Clone, Debug, Default)]
pub struct Kept {
    pub headers: HeaderMap,
    pub body: Bytes,
    /// The CSP nonce the body's scripts carry, swapped for each reader's own on a hit.
    pub nonce: Option<Arc<str>>,
    /// The body gzipped once, around its nonce, for the readers who accept gzip.
    pub gzip: Option<Arc<crate::gzip::Spliced>>,
}

impl Kept {
    /// An answer without a gzip form.
    pub fn new(headers: HeaderMap, body: Bytes, nonce: Option<Arc<str>>) -> Self {
        Self {
            headers,
            body,
            nonce,
            gzip: None,
        }
    }
}

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

/// Rendered answers by viewer and address: `budget` bytes at most, all counted (`weight`).
#[derive(Debug)]
pub struct PageCache {
    budget: usize,
    entries: Mutex<Entries>,
    /// The pages being rendered now, each with the signal its waiters wait for.
    renders: Mutex<HashMap<Key, Arc<Notify>>>,
}

/// The one render of a page in flight: when it ends (done, failed or cancelled), its waiters
/// are woken to read what it left in the cache.
pub struct Render<'a> {
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
    pub async fn render_or_wait(&self, key: &Key) -> Result<Render<'_>, ()> {
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

    pub fn is_on(&self) -> bool {
        self.budget > 0
    }

    /// How many answers are kept, and the bytes they count against the budget.
    pub fn usage(&self) -> (usize, usize) {
        let entries = self.lock();
        (entries.map.len(), entries.bytes)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
        lock(&self.entries)
    }

    /// The answer kept for `key`, if it was rendered at `commits` less than `TTL` ago.
    pub fn get(&self, key: &Key, commits: u64) -> Option<Kept> {
        let mut entries = self.lock();
        if entries.commits != commits {
            // Something was written since: everything kept is out of date.
            entries.clear(commits);
            return None;
        }
        let entry = entries.map.get(key)?;
        (entry.stored.elapsed() < TTL).then(|| entry.kept.clone())
    }

    /// Whether an answer of `bytes` is worth a share of the budget: at most a sixteenth.
    pub fn fits(&self, bytes: usize) -> bool {
        bytes <= self.budget / 16
    }

    /// Keeps an answer rendered when `Db::commits` was `commits`, unless a write has happened
    /// since or it is too big to be worth a share of the budget.
    pub fn put(&self, key: Key, commits: u64, current: u64, kept: Kept) {
        let weight = weight(&key, &kept);
        if !self.is_on() || commits != current || !self.fits(weight) {
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
            entries.bytes -= old.weight;
            entries.order.retain(|k| k != &key);
        }
        while entries.bytes + weight > self.budget || entries.map.len() >= MAX_ENTRIES {
            let Some(oldest) = entries.order.pop_front() else {
                break;
            };
            if let Some(old) = entries.map.remove(&oldest) {
                entries.bytes -= old.weight;
            }
        }
        entries.bytes += weight;
        entries.order.push_back(key.clone());
        entries.map.insert(
            key,
            Entry {
                stored: Instant::now(),
                kept,
                weight,
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(viewer: Option<UserId>, uri: &str) -> Key {
        Key {
            viewer,
            uri: uri.into(),
        }
    }

    fn body(n: usize) -> Bytes {
        Bytes::from(vec![b'x'; n])
    }

    #[test]
    fn an_answer_is_served_until_the_next_write() {
        let cache = PageCache::new(1 << 20);
        let page = key(None, "/");
        cache.put(
            page.clone(),
            7,
            7,
            Kept::new(HeaderMap::new(), body(10), None),
        );
        assert_eq!(cache.get(&page, 7).map(|k| k.body.len()), Some(10));
        // Another viewer or another address is another answer.
        assert!(cache.get(&key(Some(UserId(1)), "/"), 7).is_none());
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
        cache.put(
            page.clone(),
            3,
            4,
            Kept::new(HeaderMap::new(), body(10), None),
        );
        assert!(cache.get(&page, 3).is_none());
        assert!(cache.get(&page, 4).is_none());
    }

    /// An entry for `/?page=NN` (two digits) with a body of `n` bytes weighs this much.
    fn page_weight(n: usize) -> usize {
        2 * "/?page=10".len() + n + ENTRY_OVERHEAD
    }

    #[test]
    fn memory_stays_within_the_budget_oldest_out_first() {
        let budget = 16 * page_weight(100);
        let cache = PageCache::new(budget);
        for i in 10..30 {
            cache.put(
                key(None, &format!("/?page={i}")),
                1,
                1,
                Kept::new(HeaderMap::new(), body(100), None),
            );
        }
        let entries = cache.lock();
        assert_eq!(entries.bytes, budget);
        assert_eq!(entries.map.len(), 16);
        assert_eq!(entries.order.len(), 16);
        assert!(!entries.map.contains_key(&key(None, "/?page=13")));
        assert!(entries.map.contains_key(&key(None, "/?page=29")));
        drop(entries);
        // Storing an address again replaces it, without counting it twice.
        cache.put(
            key(None, "/?page=29"),
            1,
            1,
            Kept::new(HeaderMap::new(), body(50), None),
        );
        let entries = cache.lock();
        assert_eq!(entries.bytes, budget - 50);
        assert_eq!(entries.order.len(), 16);
        drop(entries);
        // An answer bigger than a sixteenth of the budget is not worth keeping.
        cache.put(
            key(None, "/?page=99"),
            1,
            1,
            Kept::new(HeaderMap::new(), body(101), None),
        );
        assert!(cache.get(&key(None, "/?page=99"), 1).is_none());
    }

    /// Issue 32 F8: the budget counted bodies only, so answers with long addresses and small
    /// bodies (`/api/profiles/bob?pad=<60 KB>`) grew the server by hundreds of MB.
    #[test]
    fn addresses_and_headers_count_against_the_budget() {
        let budget = 1 << 20;
        let cache = PageCache::new(budget);
        let mut headers = HeaderMap::new();
        headers.insert("content-type", "application/json".parse().unwrap());
        let pad = "p".repeat(8 * 1024);
        for i in 0..1000 {
            cache.put(
                key(None, &format!("/api/profiles/bob?i={i}&pad={pad}")),
                1,
                1,
                Kept::new(headers.clone(), body(100), None),
            );
        }
        let entries = cache.lock();
        let held: usize = entries
            .map
            .iter()
            .map(|(k, e)| 2 * k.uri.len() + e.kept.body.len() + e.kept.headers.len() * 80)
            .sum();
        assert!(held <= budget, "{held} bytes held for a budget of {budget}");
        assert!(entries.bytes <= budget);
        assert!(entries.map.len() < 70, "{}", entries.map.len());
    }

    #[test]
    fn the_number_of_entries_is_capped() {
        let cache = PageCache::new(1 << 30);
        for i in 0..(MAX_ENTRIES + 100) {
            cache.put(
                key(None, &format!("/?i={i}")),
                1,
                1,
                Kept::new(HeaderMap::new(), body(1), None),
            );
        }
        let entries = cache.lock();
        assert_eq!(entries.map.len(), MAX_ENTRIES);
        assert_eq!(entries.order.len(), MAX_ENTRIES);
        assert!(
            entries
                .map
                .contains_key(&key(None, &format!("/?i={}", MAX_ENTRIES + 99)))
        );
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
                cache.get(&page, 1).map(|k| k.body.len())
            }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!waiter.is_finished());
        cache.put(
            page.clone(),
            1,
            1,
            Kept::new(HeaderMap::new(), body(42), None),
        );
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
        cache.put(
            key(None, "/"),
            1,
            1,
            Kept::new(HeaderMap::new(), body(0), None),
        );
        assert!(cache.get(&key(None, "/"), 1).is_none());
    }
}
