//! Authentication (ssr-only): password hashing, the common-password list, sign-in rate limits,
//! the failed sign-ins' back-off and guard, and the session keys. Authorisation decisions
//! live in the service layer.
//!
//! - `password`: Argon2id hashes on threads of their own, and the common-password list;
//! - `limiter`: the fixed-window counters behind every rate limit, keyed by `limiter::Key`;
//! - `guard`: failed sign-ins' back-off per address and guard per account;
//! - `session`: what a session holds, and signing in and out of it.

pub mod guard;
pub mod limiter;
pub mod password;
pub mod session;
