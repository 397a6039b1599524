//! `/api/tags`: the most used tags.

use axum::Json;
use axum::extract::State;

use super::wire::TagsJson;
use crate::error::AppResult;
use crate::service;
use crate::state::AppState;

/// The most tags `/api/tags` lists, most used first.
pub const TAGS_LISTED: i64 = 100;

/// The most used tags (at most `TAGS_LISTED`).
pub async fn tags(State(state): State<AppState>) -> AppResult<Json<TagsJson>> {
    let tags = service::tag::popular(&state, TAGS_LISTED).await?;
    Ok(Json(TagsJson { tags }))
}
