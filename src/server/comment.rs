//! Server functions for an article's comments.

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::comment::Comment;
use crate::model::page::Page;

/// Page `page` (the first when absent) of the article's comments, newest first
/// (`service::comment::page`).
#[server(prefix = "/rpc", endpoint = "list_comments")]
pub async fn list_comments(slug: String, page: Option<u32>) -> Result<Page<Comment>, AppError> {
    use crate::server::request;
    let (state, _, session) = request::parts().await?;
    let viewer = request::viewer(&state, &session).await?;
    crate::service::comment::page(&state, viewer, &slug, page.unwrap_or(1)).await
}

#[server(prefix = "/rpc", endpoint = "add_comment")]
pub async fn add_comment(slug: String, body: String) -> Result<Comment, AppError> {
    use crate::server::request;
    let (state, _, session) = request::parts().await?;
    let viewer = request::require_user(&state, &session).await?;
    crate::service::comment::add(&state, viewer, &slug, &body).await
}

#[server(prefix = "/rpc", endpoint = "delete_comment")]
pub async fn delete_comment(slug: String, id: i64) -> Result<(), AppError> {
    use crate::server::request;
    let (state, _, session) = request::parts().await?;
    let viewer = request::require_user(&state, &session).await?;
    crate::service::comment::delete(&state, viewer, &slug, id).await
}
