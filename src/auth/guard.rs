//! Failed sign-ins, counted so that guessing passwords is slow while no one can lock another
//! person out of their account (ssr-only).
//!
//! A count on the account alone, as OWASP warns, hands an attacker a lock-out: eleven wrong
//! passwords a minute for someone's email kept its owner out from anywhere. So:
//!
//! - **per client address**, over every account: after `FREE_FAILURES` failures, each further
//!   attempt from that address must wait a back-off that doubles from 1 s up to `MAX_BACKOFF`
//!   after its last failure; the address is forgiven `FORGIVE` after its last failure. A
//!   correct password does not reset it (an attacker could sign in to an account of their own
//!   between guesses);
//! - **per account**, over every address: past `ACCOUNT_FAILURES` failures in `WINDOW`, the
//!   account is *guarded*: an address that has failed on it `GUARDED_FAILURES` times in the
//!   window is refused, while any other address, the owner's typically, still has its
//!   password checked.
//!
//! The per-address attempt limit (`AppState::ip_limiter`) comes on top. Everything is in this
//! process's memory, bounded like the limiters.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::limiter::{Key, Limiter};
use crate::client_ip::ClientKey;
use crate::error::{AppError, AppResult};

/// Failures an address may have before its back-off starts.
pub const FREE_FAILURES: u32 = 5;
/// The longest an address waits between two attempts.
pub const MAX_BACKOFF: Duration = Duration::from_secs(600);
/// An address is forgiven this long after its last failure.
pub const FORGIVE: Duration = Duration::from_secs(3600);
/// Failures on one account, from every address, before it is guarded.
pub const ACCOUNT_FAILURES: u32 = 50;
/// Failures of one address on a guarded account before that address is refused for it.
pub const GUARDED_FAILURES: u32 = 3;
/// The window of the per-account counts.
pub const WINDOW: Duration = Duration::from_secs(3600);

const MAX_KEYS: usize = 100_000;

#[derive(Debug)]
pub struct SignInGuard {
    on: bool,
    /// Failures by client address, with the last one's time.
    addresses: Mutex<HashMap<String, (u32, Instant)>>,
    /// Failures by account.
    accounts: Limiter,
    /// Failures by account and client address.
    pairs: Limiter,
}

impl SignInGuard {
    /// `on` false (the tests' and the conformance run's setting) counts nothing.
    pub fn new(on: bool) -> Self {
        Self {
            on,
            addresses: Mutex::new(HashMap::new()),
            accounts: Limiter::new(if on { ACCOUNT_FAILURES } else { 0 }, WINDOW),
            pairs: Limiter::new(if on { GUARDED_FAILURES } else { 0 }, WINDOW),
        }
    }

    /// Refuses an attempt by `client` on `account` with 429 while the address backs off, or
    /// while the account is guarded and this address has failed on it too often.
    pub fn check(&self, client: &ClientKey, account: &str) -> AppResult<()> {
        self.check_at(client, account, Instant::now())
    }

    fn check_at(&self, client: &ClientKey, account: &str, now: Instant) -> AppResult<()> {
        if !self.on {
            return Ok(());
        }
        let last = lock(&self.addresses).get(client.as_str()).copied();
        if let Some((failures, last)) = last
            && now.duration_since(last) < FORGIVE
            && let Some(wait) = backoff(failures)
        {
            let waited = now.duration_since(last);
            if waited < wait {
                return Err(AppError::TooManyRequests {
                    retry_after_secs: (wait - waited).as_secs().max(1),
                });
            }
        }
        if self.accounts.refusal(Key::Account(account)).is_some()
            && let Some(refused) = self.pairs.refusal(Key::AccountFrom { account, client })
        {
            return Err(refused);
        }
        Ok(())
    }

    /// Forgets what has been forgiven or has ended (`jobs`).
    pub fn sweep(&self) {
        let now = Instant::now();
        lock(&self.addresses).retain(|_, (_, last)| now.duration_since(*last) < FORGIVE);
        self.accounts.sweep();
        self.pairs.sweep();
    }

    /// Counts a wrong password (or an unknown email) from `client` for `account`.
    pub fn failed(&self, client: &ClientKey, account: &str) {
        self.failed_at(client, account, Instant::now());
    }

    fn failed_at(&self, client: &ClientKey, account: &str, now: Instant) {
        if !self.on {
            return;
        }
        {
            let mut addresses = lock(&self.addresses);
            if addresses.len() >= MAX_KEYS && !addresses.contains_key(client.as_str()) {
                make_room(&mut addresses, now);
            }
            let entry = addresses
                .entry(client.as_str().to_owned())
                .or_insert((0, now));
            if now.duration_since(entry.1) >= FORGIVE {
                entry.0 = 0;
            }
            *entry = (entry.0.saturating_add(1), now);
        }
        self.accounts.record(Key::Account(account));
        self.pairs.record(Key::AccountFrom { account, client });
    }
}

/// The wait after the last of `failures`, once the free ones are spent.
fn backoff(failures: u32) -> Option<Duration> {
    let over = failures.checked_sub(FREE_FAILURES)?;
    if over == 0 {
        return None;
    }
    let secs = 1u64.checked_shl(over - 1).unwrap_or(u64::MAX);
    Some(Duration::from_secs(secs).min(MAX_BACKOFF))
}

/// Room in a full map: forgiven addresses go first, then those not backing off; a map full of
/// addresses that are all backing off is cleared.
fn make_room(addresses: &mut HashMap<String, (u32, Instant)>, now: Instant) {
    addresses.retain(|_, (_, last)| now.duration_since(*last) < FORGIVE);
    if addresses.len() >= MAX_KEYS {
        addresses.retain(|_, (failures, _)| *failures > FREE_FAILURES);
    }
    if addresses.len() >= MAX_KEYS {
        addresses.clear();
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(name: &str) -> ClientKey {
        ClientKey::named(name)
    }

    fn refused(result: AppResult<()>) -> Option<u64> {
        match result {
            Err(AppError::TooManyRequests { retry_after_secs }) => Some(retry_after_secs),
            Ok(()) => None,
            Err(other) => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn an_address_backs_off_doubling_and_is_forgiven() {
        let guard = SignInGuard::new(true);
        let t0 = Instant::now();
        for _ in 0..FREE_FAILURES {
            assert_eq!(refused(guard.check_at(&c("a"), "x@y", t0)), None);
            guard.failed_at(&c("a"), "x@y", t0);
        }
        // The free failures are spent: the next one is allowed at once, then it doubles.
        assert_eq!(refused(guard.check_at(&c("a"), "x@y", t0)), None);
        guard.failed_at(&c("a"), "x@y", t0);
        assert_eq!(refused(guard.check_at(&c("a"), "other@y", t0)), Some(1));
        let t1 = t0 + Duration::from_secs(1);
        assert_eq!(refused(guard.check_at(&c("a"), "x@y", t1)), None);
        guard.failed_at(&c("a"), "x@y", t1);
        assert_eq!(refused(guard.check_at(&c("a"), "x@y", t1)), Some(2));
        // Other addresses are not slowed.
        assert_eq!(refused(guard.check_at(&c("b"), "x@y", t1)), None);
        // Far along, the wait stops growing; an hour after the last failure, all is forgiven.
        let mut t = t1;
        for _ in 0..30 {
            t += MAX_BACKOFF;
            guard.failed_at(&c("a"), "x@y", t);
        }
        assert_eq!(refused(guard.check_at(&c("a"), "x@y", t)), Some(600));
        assert_eq!(refused(guard.check_at(&c("a"), "x@y", t + FORGIVE)), None);
    }

    #[test]
    fn a_guarded_account_refuses_only_the_addresses_that_failed_on_it() {
        let guard = SignInGuard::new(true);
        let t0 = Instant::now();
        // Fifty failures from fifty addresses (none of them backing off).
        for i in 0..ACCOUNT_FAILURES {
            guard.failed_at(&c(&format!("bot{i}")), "owner@y", t0);
        }
        // The owner's address never failed: it is let through.
        assert_eq!(refused(guard.check_at(&c("home"), "owner@y", t0)), None);
        // An address that failed on it is refused once it failed three times in the hour.
        for _ in 0..GUARDED_FAILURES - 1 {
            guard.failed_at(&c("bot0"), "owner@y", t0);
        }
        assert!(refused(guard.check_at(&c("bot0"), "owner@y", t0)).is_some());
        assert_eq!(refused(guard.check_at(&c("bot1"), "owner@y", t0)), None);
        // Other accounts are not guarded.
        assert_eq!(refused(guard.check_at(&c("bot0"), "else@y", t0)), None);
    }

    #[test]
    fn off_counts_nothing() {
        let guard = SignInGuard::new(false);
        let t0 = Instant::now();
        for _ in 0..100 {
            guard.failed_at(&c("a"), "x@y", t0);
        }
        assert_eq!(refused(guard.check_at(&c("a"), "x@y", t0)), None);
        assert!(lock(&guard.addresses).is_empty());
    }

    #[test]
    fn the_map_stays_bounded() {
        let guard = SignInGuard::new(true);
        let t0 = Instant::now();
        for _ in 0..FREE_FAILURES + 3 {
            guard.failed_at(&c("attacker"), "x@y", t0);
        }
        for i in 0..MAX_KEYS + 10 {
            guard.failed_at(&c(&format!("ip{i}")), "x@y", t0);
        }
        assert!(lock(&guard.addresses).len() <= MAX_KEYS);
        // The address that was backing off is still remembered.
        assert!(refused(guard.check_at(&c("attacker"), "z@y", t0)).is_some());
    }
}
