//! Fixed-window attempt counters for sign-in, sign-up and writes, per client address and per
//! account, with a hard cap on how many keys are remembered so memory stays bounded under a
//! flood, and a flood cannot wipe the counts that are refusing someone.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::client_ip::ClientKey;
use crate::error::{AppError, AppResult};
use crate::model::user::UserId;

const MAX_KEYS: usize = 100_000;

/// What a limiter counts against. Each kind is written the same way everywhere (`Display`),
/// so two callers counting "the same thing" always share a count, and two kinds never do.
#[derive(Clone, Copy, Debug)]
pub enum Key<'a> {
    /// A client address.
    Client(&'a ClientKey),
    /// A signed-in account.
    User(UserId),
    /// An account's changes of email or password.
    Settings(UserId),
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
            Self::Settings(id) => write!(f, "settings:{id}"),
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
    counters: Mutex<HashMap<String, (Instant, u32)>>,
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
        self.attempt_at(&key.to_string(), Instant::now())
    }

    fn attempt_at(&self, key: &str, now: Instant) -> AppResult<()> {
        self.count_at(key, now, true)
    }

    /// Counts one event for `key` (a failed attempt, say) without refusing it: what `refusal`
    /// then reads.
    pub fn record(&self, key: Key<'_>) {
        let _ = self.count_at(&key.to_string(), Instant::now(), false);
    }

    /// The refusal `attempt` would give `key` now, without counting anything.
    pub fn refusal(&self, key: Key<'_>) -> Option<AppError> {
        self.refusal_at(&key.to_string(), Instant::now())
    }

    fn refusal_at(&self, key: &str, now: Instant) -> Option<AppError> {
        if self.limit == 0 {
            return None;
        }
        let counters = self.counters.lock().unwrap_or_else(|p| p.into_inner());
        let (start, count) = *counters.get(key)?;
        let elapsed = now.duration_since(start);
        (elapsed < self.window && count >= self.limit).then(|| AppError::TooManyRequests {
            retry_after_secs: self.window.saturating_sub(elapsed).as_secs().max(1),
        })
    }

    /// Counts one for `key`; with `refuse`, a key at its limit is refused (and not counted).
    fn count_at(&self, key: &str, now: Instant, refuse: bool) -> AppResult<()> {
        if self.limit == 0 {
            return Ok(());
        }
        let mut counters = self.counters.lock().unwrap_or_else(|p| p.into_inner());
        if counters.len() >= MAX_KEYS && !counters.contains_key(key) {
            self.make_room(&mut counters, now);
        }
        let entry = counters.entry(key.to_owned()).or_insert((now, 0));
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
    fn make_room(&self, counters: &mut HashMap<String, (Instant, u32)>, now: Instant) {
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

    pub fn len(&self) -> usize {
        self.counters.lock().map(|c| c.len()).unwrap_or(0)
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
    fn memory_stays_bounded_under_a_flood_of_keys() {
        let limiter = Limiter::new(5, Duration::from_secs(60));
        let t0 = Instant::now();
        for i in 0..(MAX_KEYS + 10) {
            limiter.attempt_at(&format!("ip:{i}"), t0).unwrap();
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
            limiter.attempt_at(&format!("email:{i}"), t0).unwrap();
        }
        assert!(limiter.len() <= MAX_KEYS);
        assert!(limiter.attempt_at("email:victim", t0).is_err());
        limiter.attempt_at("email:busy", t0).unwrap();
        assert!(limiter.attempt_at("email:busy", t0).is_err());
    }
}
