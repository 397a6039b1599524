//! `/api/articles/:slug/comments`: list, add, delete (by the comment's author or the
//! article's author).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;

use super::extract::{ApiJson, ApiPath, ApiUser};
use super::wire::{CommentEnvelope, CommentRequest, CommentsJson};
use crate::error::AppResult;
use crate::service;
use crate::state::AppState;

/// Oldest first.
pub async fn list(
    State(state): State<AppState>,
    viewer: Option<ApiUser>,
    ApiPath(slug): ApiPath<String>,
) -> AppResult<Json<CommentsJson>> {
    let comments = service::comment::list(&state, viewer.map(|v| v.user.id), &slug).await?;
    Ok(Json(CommentsJson {
        comments: comments.into_iter().map(Into::into).collect(),
    }))
}

pub async fn add(
    State(state): State<AppState>,
    me: ApiUser,
    ApiPath(slug): ApiPath<String>,
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
    ApiPath((slug, id)): ApiPath<(String, String)>,
) -> AppResult<StatusCode> {
    // An id that is not a number names no comment; 0 is one no comment has (ids start at 1),
    // so the service still answers "article not found" or "comment not found" as it should.
    let id = id.parse::<i64>().unwrap_or(0);
    service::comment::delete(&state, me.user.id, &slug, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
