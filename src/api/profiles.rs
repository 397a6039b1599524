//! `/api/profiles/:username` and its `/follow`.

use axum::Json;
use axum::extract::State;

use super::extract::{ApiPath, ApiUser};
use super::wire::ProfileEnvelope;
use crate::error::AppResult;
use crate::service;
use crate::state::AppState;

pub async fn get(
    State(state): State<AppState>,
    viewer: Option<ApiUser>,
    ApiPath(username): ApiPath<String>,
) -> AppResult<Json<ProfileEnvelope>> {
    let viewer = viewer.map(|v| v.user.id);
    let profile = service::profile::get(&state, viewer, &username).await?;
    Ok(Json(ProfileEnvelope { profile }))
}

pub async fn follow(
    State(state): State<AppState>,
    me: ApiUser,
    ApiPath(username): ApiPath<String>,
) -> AppResult<Json<ProfileEnvelope>> {
    let profile = service::profile::set_following(&state, me.user.id, &username, true).await?;
    Ok(Json(ProfileEnvelope { profile }))
}

pub async fn unfollow(
    State(state): State<AppState>,
    me: ApiUser,
    ApiPath(username): ApiPath<String>,
) -> AppResult<Json<ProfileEnvelope>> {
    let profile = service::profile::set_following(&state, me.user.id, &username, false).await?;
    Ok(Json(ProfileEnvelope { profile }))
}
