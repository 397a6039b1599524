//! Quire: a fast, secure full-stack Rust blog.
//!
//! A guided tour. The same crate builds twice: with `ssr` as the server binary and with
//! `hydrate` as the browser's wasm bundle.
//!
//! - Shared by both sides: `app` (the shell, routes and global contexts), `pages` (one per
//!   route), `components`, `model` (data types and pure validation), `error` (`AppError`) and
//!   `server` (server functions: HTTP calls in the browser, service calls on the server).
//! - Server only, gated here and nowhere else: `cli` (the `quire` command), `config`,
//!   `state`, `http` (router and server loop), `security` (headers, limits, timeouts),
//!   `flash` (a failed form post's error, carried to its page), `client` (who sent a request,
//!   behind trusted proxies too), `api` (the REST API under `/api`), `auth`, `markdown`
//!   (Markdown to sanitised HTML), `service` (use cases, authorisation, transactions) and `db`
//!   (all SQL).
//! - Also server only: `observe` (request ids, one log line per request, `/metrics` and
//!   `/healthz`), `ops` (backup, restore and demo data behind the command line) and `workers`
//!   (the threads that hash passwords and render Markdown, off the async runtime).

// Deep view trees give deep types; the default limit of 128 is too low for them.
#![recursion_limit = "256"]

pub mod app;
pub mod components;
pub mod error;
pub mod model;
pub mod pages;
pub mod server;

#[cfg(feature = "ssr")]
pub mod api;
#[cfg(feature = "ssr")]
pub mod auth;
#[cfg(feature = "ssr")]
pub mod cache;
#[cfg(feature = "ssr")]
pub mod cli;
#[cfg(feature = "ssr")]
pub mod client;
#[cfg(feature = "ssr")]
pub mod config;
#[cfg(feature = "ssr")]
pub mod db;
#[cfg(feature = "ssr")]
pub mod flash;
#[cfg(feature = "ssr")]
pub mod http;
#[cfg(feature = "ssr")]
pub mod markdown;
#[cfg(feature = "ssr")]
pub mod observe;
#[cfg(feature = "ssr")]
pub mod ops;
#[cfg(feature = "ssr")]
pub mod security;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod state;
#[cfg(feature = "ssr")]
pub mod workers;

/// The browser's entry point. Pages are rendered on the server only; the script Leptos puts in
/// each page calls this, then hydrates each island (`#[island]`) of the page in turn. Marking
/// the body `data-hydrated` (tests and the benchmarks wait for it) is put off to the next task,
/// after the islands: their hydration runs in this one, as promise callbacks.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // A server function that redirects (sign in, publish...) leads to a new page.
    let _ = leptos::server_fn::redirect::set_redirect_hook(|to: &str| {
        let _ = leptos::prelude::window().location().set_href(to);
    });
    leptos::mount::hydrate_islands();
    leptos::prelude::set_timeout(
        || {
            if let Some(body) = leptos::prelude::document().body() {
                let _ = body.set_attribute("data-hydrated", "");
            }
        },
        std::time::Duration::ZERO,
    );
}
