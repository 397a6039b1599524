//! The HTTP side of the server (ssr-only). `build_router` is the single place where routes and
//! layers are put together (the binary and the router tests use the same one). A request
//! passes, outside in:
//!
//! 1. `edge`: one layer for what every answer needs: its id, log line and metrics
//!    (`tracking`), its security headers (`headers`), who the client is (`crate::client_ip`), the
//!    request timeout, the cross-site refusal and the per-address write limit, all decided by
//!    `policy` from the address registry (`routes`);
//! 2. the body limit and a panic as a 500 page;
//! 3. the session, then `flash` (a failed form post's error, carried to its page), then
//!    `page_cache` (answers kept until the next write);
//! 4. the route: a page, a server function, the REST API (`api`), a probe (`probes`) or one
//!    of the site's files (`assets`: fingerprinted, precompressed, cached by browsers).
//!
//! Inside the page cache, answers it does not keep are compressed as they go unless they are
//! the site's files or carry a secret; what it keeps it compresses itself, once.
//!
//! `serve` runs the router (`serve.rs`); background sweeps are in `jobs`.

mod assets;
mod edge;
pub mod headers;
mod page_cache;
pub mod policy;
mod probes;
mod serve;
mod tracking;

use std::sync::Arc;

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::DefaultBodyLimit;
use axum::handler::Handler;
use axum::http::{Extensions, HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware;
use axum::response::Response;
use axum::routing::get;
use leptos::server_fn::error::SERVER_FN_ERROR_HEADER;
use leptos_axum::{LeptosRoutes, generate_route_list};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::predicate::{NotForContentType, Predicate, SizeAbove};
use tower_http::compression::{CompressionLayer, CompressionLevel};
use tower_http::services::ServeDir;
use tower_sessions::cookie::{Key, SameSite};
use tower_sessions::{Expiry, SessionManagerLayer};

pub use self::page_cache::STATUS_HEADER;
pub use self::serve::{HEADER_READ_TIMEOUT, run, serve, serve_ceiling};
pub use self::tracking::REQUEST_ID;
use crate::app::{App, shell};
use crate::db::session::SqliteSessionStore;
use crate::error::{AppError, BODY_LIMIT};
use crate::flash;
use crate::routes;
use crate::state::AppState;

/// The session cookie's name: `__Host-` prefixed when served over https.
pub fn session_cookie_name(https: bool) -> &'static str {
    if https { "__Host-quire" } else { "quire" }
}

/// The session layer: a signed `HttpOnly`, `SameSite=Lax` cookie (`Secure` and `__Host-` over
/// https) naming a row of the `sessions` table, idle expiry from the settings.
pub fn session_layer(
    state: &AppState,
    key: Key,
) -> SessionManagerLayer<SqliteSessionStore, tower_sessions::service::SignedCookie> {
    let https = state.config.is_https();
    let idle = time::Duration::try_from(state.config.session_idle).unwrap_or(time::Duration::DAY);
    SessionManagerLayer::new(SqliteSessionStore::new(state.db.clone()))
        .with_name(session_cookie_name(https))
        .with_secure(https)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_path("/")
        .with_expiry(Expiry::OnInactivity(idle))
        .with_signed(key)
}

/// Leptos's executor: tokio's, with each spawned task (a page's resources) keeping the read
/// deadline of the request that spawned it (`db::with_current_deadline`), so the reads of a
/// page stop with its request.
struct RequestExecutor;

impl any_spawner::CustomExecutor for RequestExecutor {
    fn spawn(&self, fut: any_spawner::PinnedFuture<()>) {
        tokio::spawn(crate::db::with_current_deadline(fut));
    }

    fn spawn_local(&self, fut: any_spawner::PinnedLocalFuture<()>) {
        tokio::task::spawn_local(crate::db::with_current_deadline(fut));
    }

    fn poll_local(&self) {}
}

/// Every route and layer of Quire. `key` signs the session cookie and the flash.
pub fn build_router(state: AppState, key: Key) -> Router {
    // Before leptos_axum sets plain tokio (which it only tries); once per process.
    let _ = any_spawner::Executor::init_custom_executor(RequestExecutor);
    let https = state.config.is_https();
    let sessions = session_layer(&state, key.clone());

    let routes = generate_route_list(App);
    let app = Router::new()
        .route(routes::HEALTHZ, get(probes::healthz))
        .route(routes::METRICS, get(probes::metrics))
        .route(
            &crate::navigation::script_path(),
            get(assets::navigation_script),
        )
        .nest(routes::API, crate::api::router())
        .leptos_routes_with_context(&state, routes, provide_request_context, {
            let options = (*state.leptos_options).clone();
            move || shell(options.clone())
        })
        // The site's files (the wasm bundle, styles, icons), and for any other address the
        // app's 404 page. Leptos's own file handler serves files inside a reactive owner and
        // then reads its response options, and under load it answered some `/pkg` files 404
        // while a 404 page was rendering. No directory is served or redirected to: a directory
        // without its `/` was redirected to the address plus `/`, and `//pkg` became
        // `Location: //pkg/`, another host (issue 32, F9). Files are sent precompressed and
        // with their caching headers (`assets`).
        .fallback_service(
            tower::ServiceBuilder::new()
                .layer(middleware::from_fn(assets::cache_headers))
                .service(
                    ServeDir::new(&*state.leptos_options.site_root)
                        .precompressed_br()
                        .precompressed_gzip()
                        .append_index_html_on_directories(false)
                        .call_fallback_on_method_not_allowed(true)
                        .fallback(
                            leptos_axum::file_and_error_handler_with_context::<AppState, _>(
                                provide_request_context,
                                shell,
                            )
                            .with_state(state.clone()),
                        ),
                ),
        )
        .layer(middleware::map_response(server_fn_response))
        // What the page cache does not keep is compressed as it goes (br or gzip, as the client
        // prefers), except the site's files (sent precompressed) and the answers that carry a
        // secret (`policy::carries_a_secret`). Inside the page cache, so that its hits (which
        // it sends in gzip itself) never pass through this layer.
        .layer(
            CompressionLayer::new()
                .quality(CompressionLevel::Precise(COMPRESSION_QUALITY))
                .compress_when(
                    SizeAbove::new(crate::gzip::MIN_BYTES)
                        .and(NotForContentType::IMAGES)
                        .and(NotForContentType::SSE)
                        .and(|_, _, _: &HeaderMap, extensions: &Extensions| {
                            extensions.get::<assets::SiteFile>().is_none()
                        }),
                ),
        )
        .layer(middleware::from_fn_with_state(
            state.clone(),
            page_cache::serve,
        ))
        .layer(middleware::from_fn_with_state(
            flash::Carrier::new(key, https),
            flash::carry,
        ))
        .layer(sessions)
        .layer(middleware::map_request(uncompressed_secrets));
    harden(app, state)
}

/// The brotli and gzip level of answers compressed as they go: 4 of 11 (br) and of 9 (gzip),
/// most of the gain for a small share of the highest levels' time.
const COMPRESSION_QUALITY: i32 = 4;

/// BREACH: an answer that carries a secret next to text an attacker chose can give the secret
/// away through its compressed size. The REST answers that carry the account's token are
/// therefore asked for uncompressed. (Pages carry no secret: no CSRF token, `policy` checks
/// the Origin instead; their only per-answer value, the CSP nonce, is new every time.)
async fn uncompressed_secrets(mut request: axum::extract::Request) -> axum::extract::Request {
    if policy::carries_a_secret(request.uri().path()) {
        request.headers_mut().insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_static("identity"),
        );
    }
    request
}

/// What every page's render may read of its request: the CSP nonce, and the error of a form
/// posted without JavaScript that this server carried to the page.
fn provide_request_context() {
    headers::provide_request_nonce();
    flash::provide_action_error();
}

/// The layers around every route, sessions or not (`build_router` puts them on Quire's; tests
/// put them on a route of their own): `edge` (metrics, security headers, the request timeout,
/// the cross-site check, write rate limits), a panic as a 500 page, and the body limit.
pub fn harden(app: Router<AppState>, state: AppState) -> Router {
    let config = &state.config;
    let https = config.is_https();
    let edge = Arc::new(edge::Edge {
        metrics: state.metrics.clone(),
        headers: headers::HeaderPolicy::new(
            https,
            session_cookie_name(https),
            &state.leptos_options,
        ),
        origin: config.public_url.as_str().into(),
        writes: state.write_ip_limiter.clone(),
        timeout: config.request_timeout,
        trusted: config.trusted_proxies.clone(),
    });
    app.layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(CatchPanicLayer::custom(headers::panic_page))
        .layer(middleware::from_fn_with_state(edge, edge::edge))
        .with_state(state)
}

/// Tidies two things Leptos does with server-function answers: it sends every error as 500,
/// so give each `AppError` its own status (400 for unreadable arguments, 401, 403, 422, 429
/// with `Retry-After`...); and after a form posted without JavaScript succeeds, it redirects
/// to the form's address with an empty query (`/settings?`), so drop the `?`.
async fn server_fn_response(mut response: Response) -> Response {
    if response.status().is_redirection() {
        let location = response
            .headers()
            .get(header::LOCATION)
            .and_then(|l| l.to_str().ok());
        if let Some(trimmed) = location.and_then(|l| l.strip_suffix('?'))
            && let Ok(value) = HeaderValue::from_str(trimmed)
        {
            response.headers_mut().insert(header::LOCATION, value);
        }
        return response;
    }
    if response.status() != StatusCode::INTERNAL_SERVER_ERROR
        || !response.headers().contains_key(SERVER_FN_ERROR_HEADER)
    {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = to_bytes(body, 64 * 1024).await else {
        tracing::error!("a server-function error was too long to read");
        return edge::refuse(false, AppError::Internal);
    };
    if let Ok(error) = serde_json::from_slice::<AppError>(&bytes) {
        parts.status = error.status();
        error.add_headers(&mut parts.headers);
    }
    Response::from_parts(parts, Body::from(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cookie_is_host_prefixed_over_https() {
        assert_eq!(session_cookie_name(true), "__Host-quire");
        assert_eq!(session_cookie_name(false), "quire");
    }
}
