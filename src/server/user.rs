//! Server functions for accounts: sign up, sign in, sign out, settings, the current user.

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::user::SessionUser;

/// Creates an account and signs it in.
#[server(prefix = "/rpc", endpoint = "register")]
pub async fn register(username: String, email: String, password: String) -> Result<(), AppError> {
    use crate::auth::session;
    use crate::model::user::NewUser;
    use crate::server::request;
    let (state, client, session) = request::parts().await?;
    let new = NewUser {
        username,
        email,
        password,
    };
    let user = crate::service::user::register(&state, &client, new)
        .await
        .map_err(not_naming_the_email)?;
    session::sign_in(&session, user.id).await?;
    leptos_axum::redirect(crate::routes::HOME);
    Ok(())
}

/// The sign-up form's answer to a taken email (issue 32, F5): it does not say that the email
/// has an account, only that these details cannot make a new one, the same for a taken
/// username and email together. A taken username alone is said as such (profiles are public).
/// The REST API keeps the RealWorld contract's "email has already been taken".
#[cfg(feature = "ssr")]
fn not_naming_the_email(error: AppError) -> AppError {
    match error {
        AppError::Conflict(fields) if !fields.get("email").is_empty() => {
            AppError::Conflict(crate::error::FieldErrors::single(
                "these details",
                "cannot be used for a new account. If you already have one, sign in instead.",
            ))
        }
        other => other,
    }
}

/// Signs in with an email and a password.
#[server(prefix = "/rpc", endpoint = "login")]
pub async fn login(email: String, password: String) -> Result<(), AppError> {
    use crate::auth::session;
    use crate::model::user::Credentials;
    use crate::server::request;
    let (state, client, session) = request::parts().await?;
    let user =
        crate::service::user::login(&state, &client, Credentials { email, password }).await?;
    session::sign_in(&session, user.id).await?;
    leptos_axum::redirect(crate::routes::HOME);
    Ok(())
}

/// Signs out: the session is deleted on the server.
#[server(prefix = "/rpc", endpoint = "logout")]
pub async fn logout() -> Result<(), AppError> {
    use crate::auth::session;
    use crate::server::request;
    let (_, _, session) = request::parts().await?;
    session::sign_out(&session).await?;
    leptos_axum::redirect(crate::routes::HOME);
    Ok(())
}

/// The signed-in user, or `None`.
#[server(prefix = "/rpc", endpoint = "current_user")]
pub async fn current_user() -> Result<Option<SessionUser>, AppError> {
    use crate::server::request;
    let (state, _, session) = request::parts().await?;
    let user = request::signed_in_user(&state, &session).await?;
    Ok(user.map(|u| u.into_session_user()))
}

/// Saves the settings form, then leads back to it, saying so. A new password ends every other
/// session of the user; this one continues under a fresh id.
#[server(prefix = "/rpc", endpoint = "update_settings")]
pub async fn update_settings(
    image: String,
    username: String,
    bio: String,
    email: String,
    password: String,
    current_password: String,
) -> Result<SessionUser, AppError> {
    use crate::auth::session;
    use crate::model::user::SettingsPatch;
    use crate::server::request;
    use crate::service::user::Channel;
    let (state, _, session) = request::parts().await?;
    let viewer = request::require_user(&state, &session).await?;
    let patch = SettingsPatch {
        image,
        username,
        bio,
        email,
        password,
        current_password,
    };
    let channel = Channel::Session {
        id: request::session_id(&session)?,
    };
    let outcome = crate::service::user::update_settings(&state, viewer, patch, channel).await?;
    if outcome.password_changed {
        session::sign_in(&session, viewer).await?;
    }
    leptos_axum::redirect(crate::routes::SETTINGS_SAVED);
    Ok(outcome.user.into_session_user())
}

/// Ends every sign-in of the account, this browser's and every API token included.
#[server(prefix = "/rpc", endpoint = "sign_out_everywhere")]
pub async fn sign_out_everywhere() -> Result<(), AppError> {
    use crate::auth::session;
    use crate::server::request;
    let (state, _, session) = request::parts().await?;
    let viewer = request::require_user(&state, &session).await?;
    crate::service::user::sign_out_everywhere(&state, viewer).await?;
    session::sign_out(&session).await?;
    leptos_axum::redirect(crate::routes::LOGIN);
    Ok(())
}
