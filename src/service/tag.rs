//! Tags: the most used ones (an article's own tags are written with it, `service::article`).

use crate::db;
use crate::error::AppResult;
use crate::state::AppState;

/// The most used tags.
pub async fn popular(state: &AppState, limit: i64) -> AppResult<Vec<String>> {
    db::tag::popular_tags(&state.db.reader, limit.clamp(1, 100)).await
}
