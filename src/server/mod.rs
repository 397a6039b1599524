//! Server functions, by domain (shared): the signatures compile into the browser bundle as
//! HTTP calls; the bodies run on the server and call the service layer. All of them live under
//! `routes::RPC` (`/rpc`) so that `/api` stays the REST API's; `request` is what their bodies
//! read of the request (server only).
//!
//! One module per domain, as in `service`: `article`, `comment`, `profile`, `tag`, `search`,
//! `user` (accounts and the session), `admin`.

pub mod admin;
pub mod article;
pub mod comment;
pub mod profile;
#[cfg(feature = "ssr")]
pub mod request;
pub mod search;
pub mod tag;
pub mod user;
