//! The server loop (ssr-only): `serve` runs Quire's router until a shutdown signal, `run` is
//! its accept loop (also used by the tests), `serve_ceiling` the benchmark's bare server.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use axum::extract::{ConnectInfo, Request};
use axum::http::header;
use axum::routing::get;
use tower_sessions::cookie::Key;

use crate::state::AppState;

/// A client must send its request headers within this time.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// Runs the server until SIGINT or SIGTERM, finishing the requests in flight (see `run`).
pub async fn serve(state: AppState, key: Key) -> anyhow::Result<()> {
    let addr = state.leptos_options.site_addr;
    let db = state.db.clone();
    let sweeper = tokio::spawn(crate::jobs::sweep_expired_sessions(db.clone()));
    let limiter_sweeper = tokio::spawn(crate::jobs::sweep_limiters(state.clone()));
    let app = super::build_router(state, key);
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    tracing::info!("Quire is listening on http://{addr}");
    run(listener, app, HEADER_READ_TIMEOUT, shutdown_signal()).await;
    sweeper.abort();
    limiter_sweeper.abort();
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
