//! Fixed-window attempt counters for sign-in, sign-up and writes, per client address and per
//! account. Memory is bounded whatever is typed: a key is remembered as a fixed-size digest of
//! what it names (never the text itself, which may be an email of any length), at most
//! `MAX_KEYS` of them (`MAX_BYTES`), a flood cannot wipe the counts that are refusing someone,
//! and `sweep` (`jobs`) forgets the windows that have ended.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sha2::{Digest as _, Sha256};

use crate::client_ip::ClientKey;
use crate::error::{AppError, AppResult};
use crate::model::user::UserId;

/// What one remembered key costs at most: its digest (16 bytes), its window's start and count
/// (24), the hash map's control byte, and as much again for the free slots a map keeps (its
/// table doubles when it grows).
pub const BYTES_PER_KEY: usize = 96;
/// The most a limiter's counts may take.
pub const MAX_BYTES: usize = 4 << 20;
/// How many keys a limiter remembers at most.
const MAX_KEYS: usize = MAX_BYTES / BYTES_PER_KEY;

/// A key as remembered: the first 16 bytes of the SHA-256 of how it is written (`Display`).
/// Two different keys sharing one would take finding a collision of 128 bits.
type Digest = [u8; 16];

/// The digest of `key` as `Display` writes it, computed as it is written (no copy is made).
fn digest(key: impl std::fmt::Display) -> Digest {
    struct Hashing(Sha256);
    impl std::fmt::Write for Hashing {
        fn write_str(&mut self, s: &str) -> std::fmt::Result {
            self.0.update(s.as_bytes());
            Ok(())
        }
    }
    let mut hashing = Hashing(Sha256::new());
    let _ = write!(hashing, "{key}");
    let full = hashing.0.finalize();
    let mut out = [0; 16];
    out.copy_from_slice(&full[..16]);
    out
}

/// The sign-in a request comes with: a browser session (its id) or a REST API token (its id).
/// The budgets for proving the password and for changing an email or password are kept per
/// account and sign-in, so a stolen sign-in cannot spend its owner's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Credential {
    Session(i128),
    Token(i64),
}

impl std::fmt::Display for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Session(id) => write!(f, "session:{id}"),
            Self::Token(id) => write!(f, "token:{id}"),
        }
    }
}

/// What a limiter counts against. Each kind is written the same way everywhere (`Display`),
/// so two callers counting "the same thing" always share a count, and two kinds never do.
#[derive(Clone, Copy, Debug)]
pub enum Key<'a> {
    /// A client address.
    Client(&'a ClientKey),
    /// A signed-in account.
    User(UserId),
    /// An account's changes of email or password, through one sign-in.
    Settings(UserId, Credential),
    /// Wrong passwords given while signed in, to one account through one sign-in.
    Proof(UserId, Credential),
    /// An authentication attempt (`what`: `register` or `login`) on `account` from `client`.
    Attempt {
        what: &'a str,
        account: &'a str,
        client: &'a ClientKey,
    },
    /// An account being signed in to (`auth::guard`), from anywhere.
    Account(&'a str),
    /// An account being signed in to from one client (`auth::guard`).
    AccountFrom {
        account: &'a str,
        client: &'a ClientKey,
    },
}

impl std::fmt::Display for Key<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Client(client) => write!(f, "ip:{client}"),
            Self::User(id) => write!(f, "user:{id}"),
            Self::Settings(id, credential) => write!(f, "settings:{id}\n{credential}"),
            Self::Proof(id, credential) => write!(f, "proof:{id}\n{credential}"),
            Self::Attempt {
                what,
                account,
                client,
            } => write!(f, "{what}:{account}\n{client}"),
            Self::Account(account) => f.write_str(account),
            Self::AccountFrom { account, client } => write!(f, "{account}\n{client}"),
        }
    }
}

#[derive(Debug)]
pub struct Limiter {
    limit: u32,
    window: Duration,
    counters: Mutex<HashMap<Digest, (Instant, u32)>>,
}

impl Limiter {
    /// `limit` attempts per `window` for each key; 0 turns the limiter off.
    pub fn new(limit: u32, window: Duration) -> Self {
        Self {
            limit,
            window,
            counters: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one attempt for `key`, or refuses it with the time left in the window.
    pub fn attempt(&self, key: Key<'_>) -> AppResult<()> {
        self.attempt_at(key, Instant::now())
    }

    fn attempt_at(&self, key: impl std::fmt::Display, now: Instant) -> AppResult<()> {
        self.count_at(digest(key), now, true)
    }

    /// Counts one event for `key` (a failed attempt, say) without refusing it: what `refusal`
    /// then reads.
    pub fn record(&self, key: Key<'_>) {
        let _ = self.count_at(digest(key), Instant::now(), false);
    }

    /// The refusal `attempt` would give `key` now, without counting anything.
    pub fn refusal(&self, key: Key<'_>) -> Option<AppError> {
        self.refusal_at(digest(key), Instant::now())
    }

    fn refusal_at(&self, key: Digest, now: Instant) -> Option<AppError> {
        if self.limit == 0 {
            return None;
        }
        let counters = self.lock();
        let (start, count) = *counters.get(&key)?;
        let elapsed = now.duration_since(start);
        (elapsed < self.window && count >= self.limit).then(|| AppError::TooManyRequests {
            retry_after_secs: self.window.saturating_sub(elapsed).as_secs().max(1),
        })
    }

    /// Counts one for `key`; with `refuse`, a key at its limit is refused (and not counted).
    fn count_at(&self, key: Digest, now: Instant, refuse: bool) -> AppResult<()> {
        if self.limit == 0 {
            return Ok(());
        }
        let mut counters = self.lock();
        if counters.len() >= MAX_KEYS && !counters.contains_key(&key) {
            self.make_room(&mut counters, now);
        }
        let entry = counters.entry(key).or_insert((now, 0));
        if now.duration_since(entry.0) >= self.window {
            *entry = (now, 0);
        }
        if refuse && entry.1 >= self.limit {
            let left = self.window.saturating_sub(now.duration_since(entry.0));
            return Err(AppError::TooManyRequests {
                retry_after_secs: left.as_secs().max(1),
            });
        }
        entry.1 = entry.1.saturating_add(1);
        Ok(())
    }

    /// Frees room in a full map, forgetting first the keys whose window has ended, then those
    /// tried only once, then those the limit is not refusing. A flood of new keys (made-up
    /// addresses or emails) therefore cannot reset the count of a key it is refusing. Only a
    /// map full of refused keys, `limit` attempts each in one window, is cleared.
    fn make_room(&self, counters: &mut HashMap<Digest, (Instant, u32)>, now: Instant) {
        let window = self.window;
        counters.retain(|_, (start, _)| now.duration_since(*start) < window);
        for keep_from in [2.min(self.limit), self.limit] {
            if counters.len() < MAX_KEYS {
                return;
            }
            counters.retain(|_, (_, count)| *count >= keep_from);
        }
        if counters.len() >= MAX_KEYS {
            counters.clear();
        }
    }

    /// Forgets the keys whose window has ended (they would count from zero again anyway), and
    /// gives their memory back once most of the map is free.
    pub fn sweep(&self) {
        self.sweep_at(Instant::now());
    }

    fn sweep_at(&self, now: Instant) {
        let window = self.window;
        let mut counters = self.lock();
        counters.retain(|_, (start, _)| now.duration_since(*start) < window);
        if counters.capacity() > 4 * counters.len().max(1024) {
            counters.shrink_to_fit();
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Digest, (Instant, u32)>> {
        self.counters.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_past_the_limit_until_the_window_ends() {
        let limiter = Limiter::new(3, Duration::from_secs(60));
        let t0 = Instant::now();
        for _ in 0..3 {
            limiter.attempt_at("ip:1", t0).unwrap();
        }
        let err = limiter
            .attempt_at("ip:1", t0 + Duration::from_secs(20))
            .unwrap_err();
        assert_eq!(
            err,
            AppError::TooManyRequests {
                retry_after_secs: 40
            }
        );
        // Another key is unaffected; the same key recovers after the window.
        limiter.attempt_at("ip:2", t0).unwrap();
        limiter
            .attempt_at("ip:1", t0 + Duration::from_secs(61))
            .unwrap();
    }

    #[test]
    fn recorded_events_are_refused_only_when_asked() {
        let limiter = Limiter::new(2, Duration::from_secs(60));
        assert_eq!(limiter.refusal(Key::User(UserId(1))), None);
        limiter.record(Key::User(UserId(1)));
        assert_eq!(limiter.refusal(Key::User(UserId(1))), None);
        limiter.record(Key::User(UserId(1)));
        limiter.record(Key::User(UserId(1)));
        assert!(matches!(
            limiter.refusal(Key::User(UserId(1))),
            Some(AppError::TooManyRequests { .. })
        ));
        assert!(limiter.attempt(Key::User(UserId(1))).is_err());
        assert_eq!(limiter.refusal(Key::User(UserId(2))), None);
    }

    #[test]
    fn zero_means_no_limit() {
        let limiter = Limiter::new(0, Duration::from_secs(60));
        for _ in 0..1000 {
            limiter.attempt(Key::User(UserId(1))).unwrap();
        }
        assert!(limiter.is_empty());
    }

    #[test]
    fn keys_are_counted_by_digest_whatever_their_length() {
        let limiter = Limiter::new(2, Duration::from_secs(60));
        let t0 = Instant::now();
        let long = "a".repeat(480 * 1024);
        let other = format!("{long}b");
        limiter.attempt_at(&long, t0).unwrap();
        limiter.attempt_at(&long, t0).unwrap();
        assert!(limiter.attempt_at(&long, t0).is_err());
        // A key that differs only in its last byte is another count.
        limiter.attempt_at(&other, t0).unwrap();
        assert_eq!(limiter.len(), 2);
        // Each kind of key is written its own way: a user's count is not an address's.
        let session = Credential::Session(7);
        assert_ne!(
            digest(Key::User(UserId(1))),
            digest(Key::Settings(UserId(1), session))
        );
        assert_ne!(
            digest(Key::Proof(UserId(1), session)),
            digest(Key::Proof(UserId(1), Credential::Token(7)))
        );
        assert_eq!(digest(Key::User(UserId(1))), digest("user:1"));
    }

    #[test]
    fn a_sweep_forgets_the_windows_that_ended() {
        let limiter = Limiter::new(2, Duration::from_secs(60));
        let t0 = Instant::now();
        for i in 0..5000 {
            limiter.attempt_at(format!("ip:{i}"), t0).unwrap();
        }
        limiter
            .attempt_at("ip:late", t0 + Duration::from_secs(30))
            .unwrap();
        limiter.sweep_at(t0 + Duration::from_secs(59));
        assert_eq!(limiter.len(), 5001);
        limiter.sweep_at(t0 + Duration::from_secs(61));
        assert_eq!(limiter.len(), 1);
        assert!(
            limiter.lock().capacity() < 5000,
            "its memory was given back"
        );
        // The one still in its window keeps its count.
        limiter
            .attempt_at("ip:late", t0 + Duration::from_secs(61))
            .unwrap();
        assert!(
            limiter
                .attempt_at("ip:late", t0 + Duration::from_secs(62))
                .is_err()
        );
    }

    #[test]
    fn memory_stays_bounded_under_a_flood_of_keys() {
        let limiter = Limiter::new(5, Duration::from_secs(60));
        let t0 = Instant::now();
        for i in 0..(MAX_KEYS + 10) {
            limiter.attempt_at(format!("ip:{i}"), t0).unwrap();
        }
        assert!(limiter.len() <= MAX_KEYS);
    }

    #[test]
    fn a_flood_of_new_keys_does_not_reset_a_refused_or_busy_key() {
        let limiter = Limiter::new(3, Duration::from_secs(60));
        let t0 = Instant::now();
        for _ in 0..3 {
            limiter.attempt_at("email:victim", t0).unwrap();
        }
        limiter.attempt_at("email:busy", t0).unwrap();
        limiter.attempt_at("email:busy", t0).unwrap();
        // Two floods of made-up keys, each filling the map, one attempt per key.
        for i in 0..(2 * MAX_KEYS) {
            limiter.attempt_at(format!("email:{i}"), t0).unwrap();
        }
        assert!(limiter.len() <= MAX_KEYS);
        assert!(limiter.attempt_at("email:victim", t0).is_err());
        limiter.attempt_at("email:busy", t0).unwrap();
        assert!(limiter.attempt_at("email:busy", t0).is_err());
    }
}
