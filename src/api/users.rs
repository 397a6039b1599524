//! `/api/users`, `/api/users/login` and `/api/user`: sign up, sign in, the current user and
//! their settings. Signing up or in issues a token; the other answers echo the request's token.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;

use super::extract::{ApiJson, ApiUser};
use super::wire::{LoginRequest, RegisterRequest, UpdateUserRequest, UserEnvelope};
use crate::client_ip::ClientIp;
use crate::error::AppResult;
use crate::model::user::{Credentials, NewUser};
use crate::service::{self, user::Channel};
use crate::state::AppState;

pub async fn register(
    State(state): State<AppState>,
    client: ClientIp,
    ApiJson(request): ApiJson<RegisterRequest>,
) -> AppResult<(StatusCode, Json<UserEnvelope>)> {
    let new = NewUser {
        username: request.user.username.unwrap_or_default(),
        email: request.user.email.unwrap_or_default(),
        password: request.user.password.unwrap_or_default(),
    };
    let user = service::user::register(&state, &client.limit_key(), new).await?;
    let token = service::token::issue(&state, user.id).await?;
    Ok((
        StatusCode::CREATED,
        Json(UserEnvelope::new(user, token.secret)),
    ))
}

pub async fn login(
    State(state): State<AppState>,
    client: ClientIp,
    ApiJson(request): ApiJson<LoginRequest>,
) -> AppResult<Json<UserEnvelope>> {
    let credentials = Credentials {
        email: request.user.email.unwrap_or_default(),
        password: request.user.password.unwrap_or_default(),
    };
    let user = service::user::login(&state, &client.limit_key(), credentials).await?;
    let token = service::token::issue(&state, user.id).await?;
    Ok(Json(UserEnvelope::new(user, token.secret)))
}

pub async fn current(me: ApiUser) -> Json<UserEnvelope> {
    Json(UserEnvelope::new(me.user, me.token))
}

/// Changes only the fields sent. `bio` and `image` may be `null` or `""` (both clear them);
/// `username`, `email` and `password` may not. A new email or password needs `currentPassword`
/// (our extension of the contract), unless the token was issued by a sign-in in the last five
/// minutes.
pub async fn update(
    State(state): State<AppState>,
    me: ApiUser,
    ApiJson(request): ApiJson<UpdateUserRequest>,
) -> AppResult<Json<UserEnvelope>> {
    let current = me.user;
    let patch = request.user.into_patch(&current)?;
    let channel = Channel::Token {
        id: me.token_id,
        recent_sign_in: me.token_is_recent,
    };
    let outcome = service::user::update_settings(&state, current.id, patch, channel).await?;
    Ok(Json(UserEnvelope::new(outcome.user, me.token)))
}
