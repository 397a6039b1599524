//! Background work of the server (ssr-only), started by `http::serve`: the sweeps of expired
//! sessions and tokens, and of the rate limiters' ended windows.

use std::time::Duration;

/// Deletes expired sessions and API tokens every ten minutes.
pub async fn sweep_expired_sessions(db: crate::db::Db) {
    let mut every = tokio::time::interval(Duration::from_secs(600));
    loop {
        every.tick().await;
        let now = crate::db::now();
        match crate::db::session::delete_expired(&db, &now).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(sessions = n, "deleted expired sessions"),
            Err(e) => tracing::warn!(error = %e, "could not delete expired sessions"),
        }
        match crate::db::token::delete_expired(&db, &now).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(tokens = n, "deleted expired API tokens"),
            Err(e) => tracing::warn!(error = %e, "could not delete expired API tokens"),
        }
    }
}

/// How often the rate limiters forget the windows that have ended.
pub const LIMITER_SWEEP: Duration = Duration::from_secs(60);

/// Forgets, every minute, the rate limiters' ended windows: a burst of made-up keys (emails,
/// addresses) gives its memory back once its window has passed, instead of waiting for the
/// limiter to fill.
pub async fn sweep_limiters(state: crate::state::AppState) {
    let mut every = tokio::time::interval(LIMITER_SWEEP);
    loop {
        every.tick().await;
        for limiter in state.limiters() {
            limiter.sweep();
        }
        state.sign_in_guard.sweep();
    }
}
