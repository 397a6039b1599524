//! What a server function needs from its request: the app state, the client's address and
//! the session, and the signed-in user.

use leptos::prelude::use_context;
use tower_sessions::Session;

use crate::auth::session;
use crate::client_ip::{ClientIp, ClientKey};
use crate::error::{AppError, AppResult};
use crate::model::user::Account;
use crate::model::user::UserId;
use crate::state::AppState;

/// The state, the client address (for rate limits) and the session of this request.
pub async fn parts() -> AppResult<(AppState, ClientKey, Session)> {
    let state = use_context::<AppState>().ok_or_else(|| {
        tracing::error!("AppState is missing from the server-function context");
        AppError::Internal
    })?;
    // Set by `http::edge` for every request (the default without a socket, in in-process tests).
    let client = leptos_axum::extract::<ClientIp>()
        .await
        .unwrap_or_default()
        .limit_key();
    let session = leptos_axum::extract::<Session>().await.map_err(|e| {
        tracing::error!(error = %e, "the session layer is missing");
        AppError::Internal
    })?;
    Ok((state, client, session))
}

/// The signed-in user, if the session names one that still exists.
pub async fn signed_in_user(state: &AppState, session: &Session) -> AppResult<Option<Account>> {
    let Some(id) = session::user_id(
        session,
        state.config.session_idle,
        state.config.session_absolute,
    )
    .await?
    else {
        return Ok(None);
    };
    let user = crate::service::user::find(state, id).await?;
    if user.is_none() {
        session::sign_out(session).await?;
    }
    Ok(user)
}

/// The signed-in user's id, if any.
pub async fn viewer(state: &AppState, session: &Session) -> AppResult<Option<UserId>> {
    session::user_id(
        session,
        state.config.session_idle,
        state.config.session_absolute,
    )
    .await
}

/// The session's id, which names the sign-in for the budgets kept per sign-in
/// (`auth::limiter::Credential`): `Unauthorized` for a session not stored yet (nobody is
/// signed in to it).
pub fn session_id(session: &Session) -> AppResult<i128> {
    session.id().map(|id| id.0).ok_or(AppError::Unauthorized)
}

/// The signed-in user's id, or `Unauthorized`.
pub async fn require_user(state: &AppState, session: &Session) -> AppResult<UserId> {
    viewer(state, session).await?.ok_or(AppError::Unauthorized)
}

/// Who asks for an admin page or action: the signed-in user, and whether they gave their
/// password in this session within `QUIRE_ADMIN_CONFIRM_SECS`.
pub async fn admin_viewer(
    state: &AppState,
    session: &Session,
) -> AppResult<crate::service::admin::AdminViewer> {
    Ok(crate::service::admin::AdminViewer {
        id: viewer(state, session).await?,
        confirmed: session::password_confirmed(session, state.config.admin_confirm).await?,
    })
}
