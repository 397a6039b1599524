//! Server functions for articles: lists, one article, publish and edit, delete, favorite, and
//! the editor's preview.

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::article::{Article, ArticleList, ArticleSummary, SafeHtml};
use crate::model::page::Page;

/// A page of a list of articles (sent as `kind` and `name`, the list's two plain values).
#[server(prefix = "/rpc", endpoint = "list_articles")]
pub async fn list_articles(
    #[server(flatten)] list: ArticleList,
    page: u32,
) -> Result<Page<ArticleSummary>, AppError> {
    use crate::server::request;
    let (state, _, session) = request::parts().await?;
    let viewer = request::viewer(&state, &session).await?;
    crate::service::article::list_for(&state, viewer, list, page).await
}

#[server(prefix = "/rpc", endpoint = "get_article")]
pub async fn get_article(slug: String) -> Result<Article, AppError> {
    use crate::server::request;
    let (state, _, session) = request::parts().await?;
    let viewer = request::viewer(&state, &session).await?;
    crate::service::article::get(&state, viewer, &slug).await
}

/// Publishes a new article (`slug` empty) or saves the author's changes to the article at
/// `slug`, then opens it. `tags` are the editor's chips and `tag_input` what is still typed in
/// the tag box, both comma-separated.
#[server(prefix = "/rpc", endpoint = "save_article")]
pub async fn save_article(
    slug: String,
    title: String,
    description: String,
    body: String,
    tags: String,
    tag_input: String,
) -> Result<String, AppError> {
    use crate::model::article::{ArticleDraft, tag_entries};
    use crate::server::request;
    let (state, _, session) = request::parts().await?;
    let viewer = request::require_user(&state, &session).await?;
    // As sent: the service counts the entries, then normalises them.
    let tags = tag_entries(&tags, &tag_input);
    let draft = ArticleDraft {
        title,
        description,
        body,
        tags,
    };
    let saved = crate::service::article::save(&state, viewer, &slug, draft).await?;
    leptos_axum::redirect(&crate::routes::article(&saved.summary.slug));
    Ok(saved.summary.slug)
}

#[server(prefix = "/rpc", endpoint = "delete_article")]
pub async fn delete_article(slug: String) -> Result<(), AppError> {
    use crate::server::request;
    let (state, _, session) = request::parts().await?;
    let viewer = request::require_user(&state, &session).await?;
    crate::service::article::delete(&state, viewer, &slug).await?;
    leptos_axum::redirect(crate::routes::HOME);
    Ok(())
}

/// Favorites (`favorite` true) or unfavorites the article; answers with its new state.
#[server(prefix = "/rpc", endpoint = "favorite_article")]
pub async fn favorite_article(slug: String, favorite: bool) -> Result<ArticleSummary, AppError> {
    use crate::server::request;
    use crate::service::article;
    let (state, _, session) = request::parts().await?;
    let viewer = request::require_user(&state, &session).await?;
    let updated = if favorite {
        article::favorite(&state, viewer, &slug).await?
    } else {
        article::unfavorite(&state, viewer, &slug).await?
    };
    Ok(updated.summary)
}

/// The editor's preview: the body as it will be shown, sanitised by the server; for a
/// signed-in writer, and rate-limited.
#[server(prefix = "/rpc", endpoint = "preview_markdown")]
pub async fn preview_markdown(body: String) -> Result<SafeHtml, AppError> {
    use crate::server::request;
    let (state, client, session) = request::parts().await?;
    let viewer = request::require_user(&state, &session).await?;
    crate::service::article::preview(&state, viewer, &client, body).await
}
