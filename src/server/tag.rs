//! Server functions for tags.

use leptos::prelude::*;

use crate::error::AppError;

#[server(prefix = "/rpc", endpoint = "popular_tags")]
pub async fn popular_tags() -> Result<Vec<String>, AppError> {
    use crate::server::request;
    let (state, _, _) = request::parts().await?;
    crate::service::tag::popular(&state, 20).await
}
