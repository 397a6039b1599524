//! Server functions, by domain (shared): the signatures compile into the browser bundle as
//! HTTP calls; the bodies run on the server and call the service layer. All of them live under
//! `/rpc` so that `/api` stays the REST API's.

pub mod admin;
pub mod article;
pub mod search;
pub mod user;

/// The URL prefix of every server function.
pub const PREFIX: &str = "/rpc";
