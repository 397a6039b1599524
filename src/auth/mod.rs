//! Authentication (ssr-only): password hashing, the common-password list, sign-in rate limits
//! and the session keys. Authorisation decisions live in the service layer.

pub mod limiter;
pub mod password;
pub mod request;
pub mod session;
