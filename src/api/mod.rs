//! The REST API under `/api` (ssr-only): the RealWorld ("Conduit") contract in `openapi.yml`,
//! served at `/api/openapi.yml`.
//!
//! Handlers are thin adapters: they read the contract's JSON, call the same service functions
//! as the server functions, and write the contract's JSON. Authentication is
//! `Authorization: Token <token>` only; the session cookie means nothing here, which is also why
//! these routes need CORS rather than the CSRF check. Every answer is `Cache-Control: no-store`.

mod articles;
mod comments;
pub mod extract;
mod profiles;
mod users;
pub mod wire;

use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, Method, header};
use axum::response::IntoResponse;
use axum::routing::{delete, get, post};
use tower_http::cors::{Any, CorsLayer};
use tower_http::set_header::SetResponseHeaderLayer;

use crate::error::{AppError, Entity};
use crate::state::AppState;

/// The largest request body the API reads (an article body is at most 64 KB of Markdown).
pub const BODY_LIMIT: usize = 256 * 1024;

/// The contract, as served at `/api/openapi.yml`.
pub const OPENAPI: &str = include_str!("openapi.yml");

/// Every `/api` route, to be nested under `/api`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/users", post(users::register))
        .route("/users/login", post(users::login))
        .route("/user", get(users::current).put(users::update))
        .route("/profiles/{username}", get(profiles::get))
        .route(
            "/profiles/{username}/follow",
            post(profiles::follow).delete(profiles::unfollow),
        )
        .route("/articles", get(articles::list).post(articles::create))
        .route("/articles/feed", get(articles::feed))
        .route(
            "/articles/{slug}",
            get(articles::get)
                .put(articles::update)
                .delete(articles::delete),
        )
        .route(
            "/articles/{slug}/favorite",
            post(articles::favorite).delete(articles::unfavorite),
        )
        .route(
            "/articles/{slug}/comments",
            get(comments::list).post(comments::add),
        )
        .route("/articles/{slug}/comments/{id}", delete(comments::delete))
        .route("/tags", get(articles::tags))
        .route("/search", get(articles::search))
        .route("/openapi.yml", get(openapi))
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
