//! The REST API under `/api` (ssr-only): the RealWorld ("Conduit") contract in `openapi.yml`,
//! served at `/api/openapi.yml`.
//!
//! Handlers are thin adapters: they read the contract's JSON, call the same service functions
//! as the server functions, and write the contract's JSON. Authentication is
//! `Authorization: Token <token>` only; the session cookie means nothing here, which is also why
//! these routes need CORS rather than the CSRF check. Every answer is `Cache-Control: no-store`.
//!
//! - `articles`: `/api/articles…`: lists and the feed, one article, writing, favorites;
//!   `comments`: an article's comments; `profiles`: a profile and its follow; `tags`: the most
//!   used tags; `users`: sign up, sign in, the current user and their settings;
//! - `extract`: what a handler takes from a request (the token's user, the JSON body, the
//!   list query), every rejection an `AppError`;
//! - `wire`: the contract's JSON shapes, sent and read.

mod articles;
mod comments;
pub mod extract;
mod profiles;
mod tags;
mod users;
pub mod wire;

use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, Method, header};
use axum::response::IntoResponse;
use axum::routing::{MethodRouter, delete, get, post};
use tower_http::cors::{Any, CorsLayer};
use tower_http::set_header::SetResponseHeaderLayer;

use crate::error::{AppError, Entity};
use crate::state::AppState;

/// The largest request body the API reads (an article body is at most 64 KB of Markdown).
pub const BODY_LIMIT: usize = 256 * 1024;

/// The contract, as served at `/api/openapi.yml`.
pub const OPENAPI: &str = include_str!("openapi.yml");

/// One route of the API, under `routes::API`: its path (axum's syntax), its handlers, and the
/// rules `http::policy` reads from here: whether its state-changing methods count against the
/// per-address write limit, and whether its `GET` answers may be kept by the page cache.
pub struct Route {
    pub path: &'static str,
    pub handlers: fn() -> MethodRouter<AppState>,
    pub writes: bool,
    pub cached: bool,
}

/// Every route of the API. Sign-up, sign-in and the account have limits of their own (the
/// service layer's), so they are not counted as writes.
pub const ROUTES: [Route; 14] = [
    Route {
        path: "/users",
        handlers: || post(users::register),
        writes: false,
        cached: false,
    },
    Route {
        path: "/users/login",
        handlers: || post(users::login),
        writes: false,
        cached: false,
    },
    Route {
        path: "/user",
        handlers: || get(users::current).put(users::update),
        writes: false,
        cached: false,
    },
    Route {
        path: "/profiles/{username}",
        handlers: || get(profiles::get),
        writes: false,
        cached: true,
    },
    Route {
        path: "/profiles/{username}/follow",
        handlers: || post(profiles::follow).delete(profiles::unfollow),
        writes: true,
        cached: false,
    },
    Route {
        path: "/articles",
        handlers: || get(articles::list).post(articles::create),
        writes: true,
        cached: true,
    },
    // Always asked with a token, and never cached.
    Route {
        path: "/articles/feed",
        handlers: || get(articles::feed),
        writes: false,
        cached: false,
    },
    Route {
        path: "/articles/{slug}",
        handlers: || {
            get(articles::get)
                .put(articles::update)
                .delete(articles::delete)
        },
        writes: true,
        cached: true,
    },
    Route {
        path: "/articles/{slug}/favorite",
        handlers: || post(articles::favorite).delete(articles::unfavorite),
        writes: true,
        cached: false,
    },
    Route {
        path: "/articles/{slug}/comments",
        handlers: || get(comments::list).post(comments::add),
        writes: true,
        cached: true,
    },
    Route {
        path: "/articles/{slug}/comments/{id}",
        handlers: || delete(comments::delete),
        writes: true,
        cached: false,
    },
    Route {
        path: "/tags",
        handlers: || get(tags::tags),
        writes: false,
        cached: true,
    },
    Route {
        path: "/search",
        handlers: || get(articles::search),
        writes: false,
        cached: true,
    },
    Route {
        path: "/openapi.yml",
        handlers: || get(openapi),
        writes: false,
        cached: false,
    },
];

/// Every `/api` route (`ROUTES`), to be nested under `routes::API`.
pub fn router() -> Router<AppState> {
    ROUTES
        .iter()
        .fold(Router::new(), |router, route| {
            router.route(route.path, (route.handlers)())
        })
        .fallback(unknown_route)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .layer(cors())
}

/// Browser clients on other origins may call the API with a token; no cookies are involved, so
/// any origin is allowed and credentials mode is not.
fn cors() -> CorsLayer {
    CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::GET, Method::POST, Method::PUT, Method::DELETE])
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
        .max_age(Duration::from_secs(24 * 3600))
}

async fn openapi() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/yaml; charset=utf-8")],
        OPENAPI,
    )
}

async fn unknown_route() -> AppError {
    AppError::NotFound(Entity::Route)
}

async fn method_not_allowed() -> impl IntoResponse {
    (
        axum::http::StatusCode::METHOD_NOT_ALLOWED,
        AppError::BadRequest("this method is not allowed here".into()),
    )
}

#[cfg(test)]
mod tests {
    /// Every fixed word the API puts where an article's slug goes is reserved, so no article
    /// gets a slug its own routes would hide.
    #[test]
    fn the_words_beside_slugs_are_reserved() {
        for route in super::ROUTES {
            if let Some(word) = route.path.strip_prefix("/articles/")
                && !word.contains('{')
                && !word.contains('/')
            {
                assert!(crate::routes::RESERVED_SLUGS.contains(&word), "{word}");
            }
        }
    }
}
