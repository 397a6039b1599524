//! Authentication (ssr-only): password hashing, the common-password list, sign-in rate limits,
//! the failed sign-ins' back-off and guard, and the session keys. Authorisation decisions
//! live in the service layer.

pub mod guard;
pub mod limiter;
pub mod password;
pub mod session;
