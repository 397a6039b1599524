//! Server functions for an article's comments.

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::comment::Comment;

#[server(prefix = "/rpc", endpoint = "list_comments")]
pub async fn list_comments(slug: String) -> Result<Vec<Comment>, AppError> {
    use crate::server::request;
    let (state, _, session) = request::parts().await?;
    let viewer = request::viewer(&state, &session).await?;
    crate::service::comment::list(&state, viewer, &slug).await
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
