//! The numbers behind `/metrics` (ssr-only): row totals, read on a reader connection.

use crate::db::stats::{self, Totals};
use crate::error::AppResult;
use crate::state::AppState;

/// Users, articles, comments and favorites, counted now.
#[tracing::instrument(skip_all)]
pub async fn totals(state: &AppState) -> AppResult<Totals> {
    stats::totals(&state.db.reader).await
}
