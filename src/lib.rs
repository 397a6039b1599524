//! Quire: a fast, secure full-stack Rust blog.
//!
//! A guided tour. The same crate builds twice: with `ssr` as the server binary and with
//! `hydrate` as the browser's wasm bundle. Imports point one way, from the top of this list
//! down (`scripts/layers.py` checks it): app → pages → components → context → server / api →
//! service → db → model.
//!
//! - Shared by both sides:
//!   - `app`: the HTML shell and the page table;
//!   - `pages`: one per route; `components`: the views several pages use;
//!   - `context`: what pages and components share of the page being rendered (who is signed
//!     in, the answer's status, the error page, the `page` parameter);
//!   - `routes`: every address, the functions that build links, the safe "next" redirect;
//!   - `navigation`: the script that follows links and GET forms in place once a page has
//!     hydrated (`navigation.js`), and its fingerprinted address;
//!   - `server`: the server functions (HTTP calls in the browser, service calls on the
//!     server);
//!   - `model`: data types and pure validation; `error`: `AppError`, the one error type.
//! - Server only, gated here and nowhere else:
//!   - `cli`: the `quire` command; `config`: its settings; `state`: `AppState`, what every
//!     handler can reach;
//!   - `http`: the router and everything a request passes through on the way in (the edge
//!     layer, the policy read from `routes`, headers, page cache middleware, probes, tracking)
//!     and the server loop; `jobs`: background sweeps; `client_ip`: who sent a request,
//!     behind trusted proxies too (read by the edge, the API and the server functions);
//!   - `flash`: a failed form post's error, carried to its page;
//!   - `api`: the REST API under `/api`, thin adapters like `server`;
//!   - `auth`: password hashing, sign-in limits and guard, the session keys;
//!   - `service`: use cases, authorisation, transactions; `db`: all SQL;
//!   - `markdown`: Markdown to sanitised HTML, bounded; `workers`: the threads that hash
//!     passwords and render Markdown, off the async runtime;
//!   - `cache`: the page cache's store, and `gzip` its pages compressed once around their
//!     nonce; `metrics`: the request metrics' registry;
//!   - `ops`: backup, restore and demo data behind the command line.

// Deep view trees give deep types; the default limit of 128 is too low for them.
#![recursion_limit = "256"]

pub mod app;
pub mod components;
pub mod context;
pub mod error;
pub mod model;
pub mod navigation;
pub mod pages;
pub mod routes;
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
pub mod client_ip;
#[cfg(feature = "ssr")]
pub mod config;
#[cfg(feature = "ssr")]
pub mod db;
#[cfg(feature = "ssr")]
pub mod flash;
#[cfg(feature = "ssr")]
pub mod gzip;
#[cfg(feature = "ssr")]
pub mod http;
#[cfg(feature = "ssr")]
pub mod jobs;
#[cfg(feature = "ssr")]
pub mod markdown;
#[cfg(feature = "ssr")]
pub mod metrics;
#[cfg(feature = "ssr")]
pub mod ops;
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
    // A server function that redirects (sign in, publish...) leads to a new page: in place
    // through the navigation layer (`navigation.js`, `window.quire.visit`) when it is there.
    let _ = leptos::server_fn::redirect::set_redirect_hook(|to: &str| {
        if !visit_in_place(to) {
            let _ = leptos::prelude::window().location().set_href(to);
        }
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

/// Hands `to` to the navigation layer; false when the layer is not there.
#[cfg(feature = "hydrate")]
fn visit_in_place(to: &str) -> bool {
    use leptos::web_sys::js_sys;
    use wasm_bindgen::{JsCast, JsValue};
    let get = |of: &JsValue, key: &str| js_sys::Reflect::get(of, &JsValue::from_str(key)).ok();
    let window: JsValue = leptos::prelude::window().into();
    let Some(layer) = get(&window, "quire").filter(|v| v.is_object()) else {
        return false;
    };
    let Some(visit) = get(&layer, "visit").and_then(|v| v.dyn_into::<js_sys::Function>().ok())
    else {
        return false;
    };
    visit.call1(&layer, &JsValue::from_str(to)).is_ok()
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    /// The modules in a folder of `src/`: its `.rs` files and its folders.
    fn modules(dir: &std::path::Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .expect("src/ is readable")
            .filter_map(Result::ok)
            .filter_map(|entry| {
                let name = entry.file_name().into_string().ok()?;
                let path = entry.path();
                if path.is_dir() {
                    Some(name)
                } else {
                    name.strip_suffix(".rs").map(str::to_owned)
                }
            })
            .filter(|name| !matches!(name.as_str(), "lib" | "main" | "mod"))
            .collect();
        names.sort();
        names
    }

    /// The `//!` lines of a file.
    fn docs(path: &std::path::Path) -> String {
        std::fs::read_to_string(path)
            .expect("readable")
            .lines()
            .filter(|line| line.starts_with("//!"))
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn the_tour_names_every_module() {
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        // `lib.rs` names the top-level modules, and each folder's `mod.rs` its own.
        let mut folders = vec![(src.clone(), src.join("lib.rs"))];
        for name in modules(&src) {
            if src.join(&name).is_dir() {
                folders.push((src.join(&name), src.join(&name).join("mod.rs")));
            }
        }
        assert!(folders.len() > 10, "every folder of src/ is checked");
        for (dir, doc) in folders {
            let tour = docs(&doc);
            for name in modules(&dir) {
                assert!(
                    tour.contains(&format!("`{name}`")),
                    "{} does not name the module `{name}`",
                    doc.display()
                );
            }
        }
    }
}
