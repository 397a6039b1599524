//! Comments: add, list, delete. A comment's author and the author of the article it is on
//! may delete it.

use crate::db;
use crate::error::{AppError, AppResult, Entity};
use crate::model::comment::{Comment, validate_comment};
use crate::model::page::Page;
use crate::model::user::UserId;
use crate::state::AppState;

/// The most comments the REST API lists for one article (the contract's list is whole).
pub const MAX_COMMENTS: i64 = 500;
/// Comments on one page of an article: at most 50 of 5,000 characters, so an article page
/// weighs about 1 MB at most whatever its comments (500 long ones made 5.4 MB, past the page
/// cache's entry limit, re-rendered for every reader: issue 32, F11).
pub const COMMENTS_PER_PAGE: u32 = 50;
/// The deepest page of comments served; past it, a 422.
pub const MAX_COMMENT_PAGE: u32 = 10_000;

pub async fn add(state: &AppState, viewer: UserId, slug: &str, body: &str) -> AppResult<Comment> {
    super::count_write(state, viewer)?;
    let body = body.trim();
    validate_comment(body)?;
    // Found and read back on readers: the writer is held for the insert alone.
    let article = db::article::find_key(&mut *state.db.reader.acquire().await?, slug)
        .await?
        .ok_or(AppError::NotFound(Entity::Article))?;
    let id = db::comment::insert(&state.db, article.id, viewer, body, &db::now()).await?;
    // Gone already only if the article (or the comment) was deleted in between.
    let comment = db::comment::find(&state.db.reader, id, Some(viewer))
        .await?
        .ok_or(AppError::NotFound(Entity::Comment))?;
    Ok(comment.into_comment())
}

/// The article's comments, oldest first.
pub async fn list(state: &AppState, viewer: Option<UserId>, slug: &str) -> AppResult<Vec<Comment>> {
    let mut tx = state.db.reader.begin().await?;
    let article = db::article::find_key(&mut tx, slug)
        .await?
        .ok_or(AppError::NotFound(Entity::Article))?;
    let rows = db::comment::list(&mut *tx, article.id, viewer, MAX_COMMENTS).await?;
    Ok(rows.into_iter().map(|r| r.into_comment()).collect())
}

/// Page `page` (1-based) of the article's comments, newest first: what the article page
/// shows, `COMMENTS_PER_PAGE` at a time.
pub async fn page(
    state: &AppState,
    viewer: Option<UserId>,
    slug: &str,
    page: u32,
) -> AppResult<Page<Comment>> {
    if page == 0 || page > MAX_COMMENT_PAGE {
        return Err(AppError::validation(
            "page",
            format!("must be a whole number from 1 to {MAX_COMMENT_PAGE}"),
        ));
    }
    let limit = i64::from(COMMENTS_PER_PAGE);
    let mut tx = state.db.reader.begin().await?;
    let article = db::article::find_key(&mut tx, slug)
        .await?
        .ok_or(AppError::NotFound(Entity::Article))?;
    let (rows, total) = db::comment::page_newest_first(
        &mut tx,
        article.id,
        viewer,
        limit,
        i64::from(page - 1) * limit,
    )
    .await?;
    Ok(Page {
        items: rows.into_iter().map(|r| r.into_comment()).collect(),
        total,
        page,
        per_page: COMMENTS_PER_PAGE,
    })
}

#[tracing::instrument(skip(state))]
pub async fn delete(state: &AppState, viewer: UserId, slug: &str, id: i64) -> AppResult<()> {
    super::count_write(state, viewer)?;
    let mut tx = state.db.begin_write().await?;
    let article = db::article::find_key(&mut tx, slug)
        .await?
        .ok_or(AppError::NotFound(Entity::Article))?;
    let owners = db::comment::owners(&mut *tx, id, article.id)
        .await?
        .ok_or(AppError::NotFound(Entity::Comment))?;
    if owners.author_id != viewer && owners.article_author_id != viewer {
        return Err(AppError::Forbidden(Entity::Comment));
    }
    db::comment::delete(&mut *tx, id).await?;
    tx.commit().await?;
    Ok(())
}
