//! `/api/articles...`: lists and the feed, one article, writing, favorites.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;

use super::extract::{ApiJson, ApiPath, ApiUser, ListQuery};
use super::wire::{ArticleEnvelope, ArticleListJson, ArticleRequest, SearchJson};
use crate::client_ip::ClientIp;
use crate::error::{AppError, AppResult, FieldErrors};
use crate::model::article::ArticleFilter;
use crate::model::article::normalize_tag;
use crate::model::user::UserId;
use crate::service;
use crate::state::AppState;

/// The contract calls the service's `tags` field `tagList`.
fn contract_names(error: AppError) -> AppError {
    let rename = |fields: FieldErrors| {
        let mut renamed = FieldErrors::new();
        for (field, messages) in fields.iter() {
            let field = if field == "tags" { "tagList" } else { field };
            for message in messages {
                renamed.add(field, message.clone());
            }
        }
        renamed
    };
    match error {
        AppError::Validation(fields) => AppError::Validation(rename(fields)),
        other => other,
    }
}

async fn list_of(
    state: &AppState,
    viewer: Option<UserId>,
    filter: ArticleFilter,
    query: &ListQuery,
) -> AppResult<Json<ArticleListJson>> {
    let (items, total) =
        service::article::list_range(state, viewer, &filter, query.limit, query.offset).await?;
    Ok(Json(ArticleListJson {
        articles: items.into_iter().map(Into::into).collect(),
        articles_count: total,
    }))
}

/// Newest first; `tag`, `author` and `favorited` narrow the list and combine.
pub async fn list(
    State(state): State<AppState>,
    viewer: Option<ApiUser>,
    query: ListQuery,
) -> AppResult<Json<ArticleListJson>> {
    let filter = ArticleFilter {
        tag: query.tag.as_deref().map(normalize_tag),
        author: query.author.clone(),
        favorited_by: query.favorited.clone(),
        feed_of: None,
    };
    list_of(&state, viewer.map(|v| v.user.id), filter, &query).await
}

/// Articles by the authors the user follows, newest first.
pub async fn feed(
    State(state): State<AppState>,
    me: ApiUser,
    query: ListQuery,
) -> AppResult<Json<ArticleListJson>> {
    let filter = ArticleFilter::feed_of(me.user.id);
    list_of(&state, Some(me.user.id), filter, &query).await
}

pub async fn get(
    State(state): State<AppState>,
    viewer: Option<ApiUser>,
    ApiPath(slug): ApiPath<String>,
) -> AppResult<Json<ArticleEnvelope>> {
    let article = service::article::get(&state, viewer.map(|v| v.user.id), &slug).await?;
    Ok(Json(article.into()))
}

pub async fn create(
    State(state): State<AppState>,
    me: ApiUser,
    ApiJson(request): ApiJson<ArticleRequest>,
) -> AppResult<(StatusCode, Json<ArticleEnvelope>)> {
    let draft = request.article.into_draft()?;
    let article = service::article::create(&state, me.user.id, draft)
        .await
        .map_err(contract_names)?;
    Ok((StatusCode::CREATED, Json(article.into())))
}

/// Changes the fields sent; an absent `tagList` keeps the tags and `[]` clears them. A new
/// title gives a new slug (the old one keeps working).
pub async fn update(
    State(state): State<AppState>,
    me: ApiUser,
    ApiPath(slug): ApiPath<String>,
    ApiJson(request): ApiJson<ArticleRequest>,
) -> AppResult<Json<ArticleEnvelope>> {
    let patch = request.article.into_patch()?;
    let article = service::article::update(&state, me.user.id, &slug, patch)
        .await
        .map_err(contract_names)?;
    Ok(Json(article.into()))
}

pub async fn delete(
    State(state): State<AppState>,
    me: ApiUser,
    ApiPath(slug): ApiPath<String>,
) -> AppResult<StatusCode> {
    service::article::delete(&state, me.user.id, &slug).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn favorite(
    State(state): State<AppState>,
    me: ApiUser,
    ApiPath(slug): ApiPath<String>,
) -> AppResult<Json<ArticleEnvelope>> {
    let article = service::article::favorite(&state, me.user.id, &slug).await?;
    Ok(Json(article.into()))
}

pub async fn unfavorite(
    State(state): State<AppState>,
    me: ApiUser,
    ApiPath(slug): ApiPath<String>,
) -> AppResult<Json<ArticleEnvelope>> {
    let article = service::article::unfavorite(&state, me.user.id, &slug).await?;
    Ok(Json(article.into()))
}

/// Our extension beside the contract: `GET /api/search?q&limit&offset`, the search page's
/// results as JSON (articles best first, each with a `snippet` whose matched words are in
/// `hits`, and the matching `authors`).
pub async fn search(
    State(state): State<AppState>,
    client: ClientIp,
    viewer: Option<ApiUser>,
    query: ListQuery,
) -> AppResult<Json<SearchJson>> {
    let text = query.q.clone().unwrap_or_default();
    let found = service::search::search_range(
        &state,
        &client.limit_key(),
        viewer.map(|v| v.user.id),
        &text,
        query.limit,
        query.offset,
    )
    .await?;
    Ok(Json(SearchJson {
        articles: found.hits.into_iter().map(Into::into).collect(),
        articles_count: found.total,
        articles_count_is_capped: found.capped,
        authors: found.authors,
    }))
}
