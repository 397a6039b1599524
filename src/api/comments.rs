//! `/api/articles/:slug/comments`: list, add, delete (by the comment's author or the
//! article's author).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;

use super::extract::{ApiJson, ApiUser};
use super::wire::{CommentEnvelope, CommentRequest, CommentsJson};
use crate::error::{AppError, AppResult, Entity};
use crate::service;
use crate::state::AppState;

/// Oldest first.
pub async fn list(
    State(state): State<AppState>,
    viewer: Option<ApiUser>,
    Path(slug): Path<String>,
) -> AppResult<Json<CommentsJson>> {
    let comments = service::comment::list(&state, viewer.map(|v| v.user.id), &slug).await?;
    Ok(Json(CommentsJson {
        comments: comments.into_iter().map(Into::into).collect(),
    }))
}

pub async fn add(
    State(state): State<AppState>,
    me: ApiUser,
    Path(slug): Path<String>,
    ApiJson(request): ApiJson<CommentRequest>,
) -> AppResult<(StatusCode, Json<CommentEnvelope>)> {
    let body = request.comment.body.unwrap_or_default();
    let comment = service::comment::add(&state, me.user.id, &slug, &body).await?;
    Ok((
        StatusCode::CREATED,
        Json(CommentEnvelope {
            comment: comment.into(),
        }),
    ))
}

pub async fn delete(
    State(state): State<AppState>,
    me: ApiUser,
    Path((slug, id)): Path<(String, String)>,
) -> AppResult<StatusCode> {
    // The article is checked first, so an unknown article is "article not found" whatever the id.
    let id = match id.parse::<i64>() {
        Ok(id) => id,
        Err(_) => {
            service::article::get(&state, Some(me.user.id), &slug).await?;
            return Err(AppError::NotFound(Entity::Comment));
        }
    };
    service::comment::delete(&state, me.user.id, &slug, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
