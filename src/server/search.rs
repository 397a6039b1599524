//! The search server function.

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::search::SearchResults;

/// Page `page` of what matches `q`: authors, then articles best first with a snippet each.
#[server(prefix = "/rpc", endpoint = "search")]
pub async fn search(q: String, page: u32) -> Result<SearchResults, AppError> {
    use crate::server::request;
    let (state, client, session) = request::parts().await?;
    let viewer = request::viewer(&state, &session).await?;
    crate::service::search::search(&state, &client, viewer, &q, page).await
}
