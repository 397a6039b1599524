//! Background work of the server (ssr-only), started by `http::serve`.

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
