//! The HTTP server (ssr-only): `build_router` is the single place where routes and layers are
//! put together (the binary and the router tests use the same one), and `serve` runs it.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::{ConnectInfo, DefaultBodyLimit, Request, State};
use axum::handler::Handler;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::get;
use leptos::server_fn::error::SERVER_FN_ERROR_HEADER;
use leptos_axum::{LeptosRoutes, generate_route_list};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::services::ServeDir;
use tower_sessions::cookie::{Key, SameSite};
use tower_sessions::{Expiry, SessionManagerLayer};
use tracing::Instrument;

use crate::app::{App, shell};
use crate::auth::limiter::Limiter;
use crate::client::{ClientIp, TrustedProxies};
use crate::db::session::SqliteSessionStore;
use crate::error::AppError;
use crate::flash;
use crate::observe;
use crate::security;
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

/// Every route and layer of Quire. `key` signs the session cookie and the flash.
pub fn build_router(state: AppState, key: Key) -> Router {
    let https = state.config.is_https();
    let sessions = session_layer(&state, key.clone());

    let routes = generate_route_list(App);
    let app = Router::new()
        .route("/healthz", get(observe::healthz))
        .route("/metrics", get(observe::metrics))
        .nest("/api", crate::api::router())
        .leptos_routes_with_context(&state, routes, provide_request_context, {
            let options = (*state.leptos_options).clone();
            move || shell(options.clone())
        })
        // The site's files (the wasm bundle, styles, icons), and for any other address the
        // app's 404 page. Leptos's own file handler serves files inside a reactive owner and
        // then reads its response options, and under load it answered some `/pkg` files 404
        // while a 404 page was rendering.
        .fallback_service(
            ServeDir::new(&*state.leptos_options.site_root)
                .call_fallback_on_method_not_allowed(true)
                .fallback(
                    leptos_axum::file_and_error_handler_with_context::<AppState, _>(
                        provide_request_context,
                        shell,
                    )
                    .with_state(state.clone()),
                ),
        )
        .layer(middleware::map_response(server_fn_response))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            crate::cache::serve,
        ))
        .layer(middleware::from_fn_with_state(
            flash::Carrier::new(key, https),
            flash::carry,
        ))
        .layer(sessions);
    harden(app, state)
}

/// What every page's render may read of its request: the CSP nonce, and the error of a form
/// posted without JavaScript that this server carried to the page.
fn provide_request_context() {
    security::provide_request_nonce();
    flash::provide_action_error();
}

/// The layers around every route, sessions or not (`build_router` puts them on Quire's; tests
/// put them on a route of their own): `edge` (metrics, security headers, the request timeout,
/// the cross-site check, write rate limits), a panic as a 500 page, and the body limit.
pub fn harden(app: Router<AppState>, state: AppState) -> Router {
    let config = &state.config;
    let https = config.is_https();
    let edge = Arc::new(Edge {
        metrics: state.metrics.clone(),
        policy: security::HeaderPolicy::new(
            https,
            session_cookie_name(https),
            &state.leptos_options,
        ),
        origin: config.public_url.as_str().into(),
        writes: state.write_ip_limiter.clone(),
        timeout: config.request_timeout,
        trusted: config.trusted_proxies.clone(),
    });
    app.layer(DefaultBodyLimit::max(security::BODY_LIMIT))
        .layer(CatchPanicLayer::custom(security::panic_page))
        .layer(middleware::from_fn_with_state(edge, self::edge))
        .with_state(state)
}

/// What `edge` needs, apart from the state: it takes these alone, because a layer clones its
/// state (and the whole stack inside it) for every request.
struct Edge {
    metrics: Arc<observe::Metrics>,
    policy: security::HeaderPolicy,
    origin: Box<str>,
    writes: Arc<Limiter>,
    timeout: Duration,
    trusted: TrustedProxies,
}

/// The outermost layer, one function rather than five layers: each layer clones the stack
/// inside it for every request (with `AppState` made one `Arc` at the same time, a cached
/// `/api/tags` went from 34.4k to 52.5k req/s on one core). In order:
///
/// 1. metrics and the request's log line (`observe::Tracking`), so they see every final status;
/// 2. security headers with a fresh CSP nonce, on every answer, refusals and panics included;
/// 3. who the client is (`ClientIp`, behind trusted proxies too), for every rate limit;
/// 4. the request timeout (408);
/// 5. cross-site state-changing requests refused (403), then writes per address (429).
async fn edge(State(edge): State<Arc<Edge>>, mut request: Request, next: Next) -> Response {
    let tracking = observe::Tracking::start(&mut request);
    let response = edge
        .answer(request, next)
        .instrument(tracking.span().clone())
        .await;
    tracking.finish(&edge.metrics, response)
}

impl Edge {
    async fn answer(&self, mut request: Request, next: Next) -> Response {
        let nonce = security::CspNonce::new();
        let private = self.policy.is_private(&request);
        let api = security::is_api(request.uri().path());
        request.extensions_mut().insert(nonce.clone());
        let client = ClientIp::of(&request, &self.trusted);
        request.extensions_mut().insert(client);
        let mut response = match self.refusal(&request) {
            Some(refusal) => refusal,
            None => match tokio::time::timeout(self.timeout, next.run(request)).await {
                Ok(response) => response,
                Err(_) => {
                    tracing::warn!("request timed out");
                    security::refuse(api, AppError::Timeout)
                }
            },
        };
        self.policy.apply(&nonce, private, &mut response);
        response
    }

    /// Refuses state-changing requests that a browser sent from another site (CSRF), using
    /// Fetch Metadata with an `Origin`/`Referer` fallback (the REST API under `/api`
    /// authenticates with a header token, never a cookie, so it is left to CORS); then counts
    /// writes against their address.
    fn refusal(&self, request: &Request) -> Option<Response> {
        let safe = matches!(
            *request.method(),
            Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
        );
        let path = request.uri().path();
        if !safe && !security::is_api(path) && !is_same_origin(request.headers(), &self.origin) {
            tracing::warn!(
                method = %request.method(),
                path,
                "refused a cross-site state-changing request"
            );
            return Some(security::refuse(false, AppError::CrossSite));
        }
        security::refuse_write(&self.writes, request)
    }
}

/// Runs the server until SIGINT or SIGTERM, finishing the requests in flight (see `run`).
pub async fn serve(state: AppState, key: Key) -> anyhow::Result<()> {
    let addr = state.leptos_options.site_addr;
    let db = state.db.clone();
    let sweeper = tokio::spawn(sweep_expired_sessions(db.clone()));
    let app = build_router(state, key);
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    tracing::info!("Quire is listening on http://{addr}");
    run(
        listener,
        app,
        security::HEADER_READ_TIMEOUT,
        shutdown_signal(),
    )
    .await;
    sweeper.abort();
    db.close().await;
    tracing::info!("Quire stopped");
    Ok(())
}

/// The benchmark's ceiling (`quire ceiling`): `bytes` of fixed HTML at `/` from a bare axum
/// handler, on the same runtime as `serve`, until SIGINT or SIGTERM.
pub async fn serve_ceiling(addr: SocketAddr, bytes: usize) -> anyhow::Result<()> {
    let body = axum::body::Bytes::from(std::iter::repeat_n(b'q', bytes).collect::<Vec<u8>>());
    let app = Router::new().route(
        "/",
        get(move || {
            let body = body.clone();
            async move { ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], body) }
        }),
    );
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await
        .context("server error")
}

/// How long requests in flight may take to finish after a shutdown signal.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(20);

/// Serves `app` on `listener` until `shutdown` resolves, then stops accepting connections and
/// waits (up to `SHUTDOWN_GRACE`) for the requests in flight. HTTP/1.1, each connection with
/// the client's address (`ConnectInfo`) and a header-read timeout, so clients that send their
/// headers a byte at a time cannot hold connections open (`axum::serve` has no such timeout).
pub async fn run(
    listener: tokio::net::TcpListener,
    app: Router,
    header_timeout: Duration,
    shutdown: impl std::future::Future<Output = ()>,
) {
    use hyper_util::rt::{TokioIo, TokioTimer};
    use hyper_util::service::TowerToHyperService;
    use tower::ServiceExt;

    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(header_timeout);
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors, or a connection reset before it was accepted.
                    tracing::warn!(%error, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let service =
            app.clone()
                .map_request(move |mut request: Request<hyper::body::Incoming>| {
                    request.extensions_mut().insert(ConnectInfo(peer));
                    request
                });
        let connection =
            http.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%error, "connection ended with an error");
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("some requests did not finish within the shutdown grace period");
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}

/// Deletes expired sessions and API tokens every ten minutes.
async fn sweep_expired_sessions(db: crate::db::Db) {
    let mut every = tokio::time::interval(Duration::from_secs(600));
    loop {
        every.tick().await;
        let now = crate::db::now();
        match crate::db::session::delete_expired(&db.writer, &now).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(sessions = n, "deleted expired sessions"),
            Err(e) => tracing::warn!(error = %e, "could not delete expired sessions"),
        }
        match crate::db::token::delete_expired(&db.writer, &now).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(tokens = n, "deleted expired API tokens"),
            Err(e) => tracing::warn!(error = %e, "could not delete expired API tokens"),
        }
    }
}

fn is_same_origin(headers: &HeaderMap, origin: &str) -> bool {
    let text = |name| {
        headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
    };
    if let Some(site) = text("sec-fetch-site") {
        return site == "same-origin" || site == "none";
    }
    if let Some(from) = text(header::ORIGIN.as_str()) {
        return from.eq_ignore_ascii_case(origin);
    }
    if let Some(referer) = text(header::REFERER.as_str()) {
        return referer.len() >= origin.len()
            && referer[..origin.len()].eq_ignore_ascii_case(origin)
            && matches!(referer.as_bytes().get(origin.len()), None | Some(b'/'));
    }
    false
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
        return security::refuse(false, AppError::Internal);
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

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.insert(*k, HeaderValue::from_static(v));
        }
        map
    }

    const ORIGIN: &str = "http://127.0.0.1:3000";

    #[test]
    fn fetch_metadata_decides_when_present() {
        assert!(is_same_origin(
            &headers(&[("sec-fetch-site", "same-origin")]),
            ORIGIN
        ));
        assert!(is_same_origin(
            &headers(&[("sec-fetch-site", "none")]),
            ORIGIN
        ));
        assert!(!is_same_origin(
            &headers(&[("sec-fetch-site", "cross-site")]),
            ORIGIN
        ));
        assert!(!is_same_origin(
            &headers(&[("sec-fetch-site", "same-site")]),
            ORIGIN
        ));
        // A matching Origin does not rescue a cross-site fetch.
        assert!(!is_same_origin(
            &headers(&[
                ("sec-fetch-site", "cross-site"),
                ("origin", "http://127.0.0.1:3000")
            ]),
            ORIGIN
        ));
    }

    #[test]
    fn origin_then_referer_are_the_fallback() {
        assert!(is_same_origin(
            &headers(&[("origin", "http://127.0.0.1:3000")]),
            ORIGIN
        ));
        assert!(!is_same_origin(
            &headers(&[("origin", "https://evil.test")]),
            ORIGIN
        ));
        assert!(!is_same_origin(&headers(&[("origin", "null")]), ORIGIN));
        assert!(is_same_origin(
            &headers(&[("referer", "http://127.0.0.1:3000/settings")]),
            ORIGIN
        ));
        assert!(!is_same_origin(
            &headers(&[("referer", "http://127.0.0.1:3000.evil.test/")]),
            ORIGIN
        ));
        assert!(!is_same_origin(&headers(&[]), ORIGIN));
    }

    #[test]
    fn the_cookie_is_host_prefixed_over_https() {
        assert_eq!(session_cookie_name(true), "__Host-quire");
        assert_eq!(session_cookie_name(false), "quire");
    }
}
