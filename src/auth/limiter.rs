//! Fixed-window attempt counters for sign-in and sign-up, per client address and per account,
//! with a hard cap on how many keys are remembered so memory stays bounded under a flood.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::error::{AppError, AppResult};

const MAX_KEYS: usize = 100_000;

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
    pub fn attempt(&self, key: &str) -> AppResult<()> {
        self.attempt_at(key, Instant::now())
    }

    fn attempt_at(&self, key: &str, now: Instant) -> AppResult<()> {
        if self.limit == 0 {
            return Ok(());
        }
        let mut counters = self.counters.lock().unwrap_or_else(|p| p.into_inner());
        if counters.len() >= MAX_KEYS && !counters.contains_key(key) {
            let window = self.window;
            counters.retain(|_, (start, _)| now.duration_since(*start) < window);
            if counters.len() >= MAX_KEYS {
                // Still full of live keys: forget them rather than grow.
                counters.clear();
            }
        }
        let entry = counters.entry(key.to_owned()).or_insert((now, 0));
        if now.duration_since(entry.0) >= self.window {
            *entry = (now, 0);
        }
        if entry.1 >= self.limit {
            let left = self.window.saturating_sub(now.duration_since(entry.0));
            return Err(AppError::TooManyRequests {
                retry_after_secs: left.as_secs().max(1),
            });
        }
        entry.1 += 1;
        Ok(())
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
    fn zero_means_no_limit() {
        let limiter = Limiter::new(0, Duration::from_secs(60));
        for _ in 0..1000 {
            limiter.attempt("k").unwrap();
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
}
