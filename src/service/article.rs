//! Articles: write, edit, delete, read, list, favorite.

use sqlx::SqliteConnection;

use crate::auth::limiter::Key;
use crate::client_ip::ClientKey;
use crate::db::{self, article::ArticleWrite};
use crate::error::{AppError, AppResult, Entity, FieldErrors};
use crate::model::article::ArticleFilter;
use crate::model::article::{
    Article, ArticleDraft, ArticleList, ArticlePatch, ArticleSummary, BODY_MAX_BYTES, SafeHtml,
    normalize_tag,
};
use crate::model::page::{PAGE_SIZE, Page};
use crate::model::user::UserId;
use crate::model::{NUL_MESSAGE, has_nul};
use crate::state::AppState;

/// The deepest page a list serves; past it, a 422 instead of a slow scan.
pub const MAX_PAGE: u32 = 100_000;
const SLUG_MAX: usize = 80;

/// A URL-safe slug from a title: transliterated to ASCII, lower-case words joined by `-`.
pub fn slugify(title: &str) -> String {
    let ascii = deunicode::deunicode(title);
    let mut slug = String::with_capacity(ascii.len().min(SLUG_MAX));
    for c in ascii.chars() {
        if c.is_ascii_alphanumeric() {
            if slug.len() >= SLUG_MAX {
                break;
            }
            slug.push(c.to_ascii_lowercase());
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    let slug = slug.trim_end_matches('-');
    if slug.is_empty() {
        "article".to_owned()
    } else {
        slug.to_owned()
    }
}

/// A slug for `title` that no other article uses or used, nor a route word
/// (`routes::RESERVED_SLUGS`): the plain slug, or the slug with a short random suffix.
async fn unique_slug(
    db: &mut SqliteConnection,
    title: &str,
    except: Option<i64>,
) -> AppResult<String> {
    use rand::Rng;
    let base = slugify(title);
    if !crate::routes::RESERVED_SLUGS.contains(&base.as_str())
        && !db::article::slug_taken(db, &base, except).await?
    {
        return Ok(base);
    }
    loop {
        let suffix: String = rand::thread_rng()
            .sample_iter(&rand::distributions::Alphanumeric)
            .take(6)
            .map(|c| char::from(c).to_ascii_lowercase())
            .collect();
        let candidate = format!("{base}-{suffix}");
        if !db::article::slug_taken(db, &candidate, except).await? {
            return Ok(candidate);
        }
    }
}

/// The article at `slug`, if `user_id` wrote it: `NotFound`, else `Forbidden` for anyone else.
/// Called inside the write transaction, so the check and the write cannot be separated.
async fn authored_key(
    db: &mut SqliteConnection,
    slug: &str,
    viewer: UserId,
) -> AppResult<db::article::ArticleKey> {
    let key = db::article::find_key(db, slug)
        .await?
        .ok_or(AppError::NotFound(Entity::Article))?;
    if key.author_id != viewer {
        return Err(AppError::Forbidden(Entity::Article));
    }
    Ok(key)
}

/// The full article `id` as `viewer` sees it.
async fn load(db: &mut SqliteConnection, id: i64, viewer: Option<UserId>) -> AppResult<Article> {
    let row = db::article::find_summary(db, id, viewer)
        .await?
        .ok_or(AppError::NotFound(Entity::Article))?;
    let tags = db::tag::tags_of(db, &[id])
        .await?
        .into_iter()
        .map(|(_, t)| t)
        .collect();
    let (body, body_html) = db::article::find_body(&mut *db, id).await?;
    Ok(Article {
        summary: row.into_summary(tags),
        body,
        body_html: SafeHtml::from_sanitized(body_html),
    })
}

#[tracing::instrument(skip(state, draft))]
pub async fn create(state: &AppState, viewer: UserId, draft: ArticleDraft) -> AppResult<Article> {
    super::count_write(state, viewer)?;
    let draft = draft.checked()?;
    let html = state.renderer.render(draft.body.clone()).await?;
    let mut tx = state.db.begin_write().await?;
    let slug = unique_slug(&mut tx, &draft.title, None).await?;
    let tag_list = draft.tags.join(" ");
    let write = ArticleWrite {
        slug: &slug,
        title: &draft.title,
        description: &draft.description,
        body: &draft.body,
        body_html: html.as_str(),
        tag_list: &tag_list,
    };
    let id = db::article::insert(&mut tx, viewer, &write, &db::now()).await?;
    db::tag::set_tags(&mut tx, id, &draft.tags).await?;
    tx.commit().await?;
    // Read back on a reader: the next writer need not wait for it.
    load(&mut *state.db.reader.acquire().await?, id, Some(viewer)).await
}

/// Changes an article; only its author may. A new title gives a new slug, and the old one
/// keeps leading to the article.
#[tracing::instrument(skip(state, patch))]
pub async fn update(
    state: &AppState,
    viewer: UserId,
    slug: &str,
    patch: ArticlePatch,
) -> AppResult<Article> {
    super::count_write(state, viewer)?;
    // Authorise, validate and render before taking the write lock (and authorise again under
    // it): someone else's article is a 403 whatever the patch holds.
    let current = {
        let mut read = state.db.reader.begin().await?;
        let key = authored_key(&mut read, slug, viewer).await?;
        load(&mut read, key.id, Some(viewer)).await?
    };
    let body_changed = patch.body.as_ref().is_some_and(|b| *b != current.body);
    let draft = ArticleDraft {
        title: patch.title.unwrap_or(current.summary.title.clone()),
        description: patch.description.unwrap_or(current.summary.description),
        body: patch.body.unwrap_or(current.body),
        tags: patch.tags.unwrap_or(current.summary.tags),
    }
    .checked()?;
    let html = if body_changed {
        state.renderer.render(draft.body.clone()).await?
    } else {
        current.body_html
    };

    let mut tx = state.db.begin_write().await?;
    let key = authored_key(&mut tx, slug, viewer).await?;
    let new_slug = if draft.title == current.summary.title {
        key.slug.clone()
    } else {
        unique_slug(&mut tx, &draft.title, Some(key.id)).await?
    };
    if new_slug != key.slug {
        db::article::remember_slug(&mut tx, key.id, &key.slug, &new_slug).await?;
    }
    let tag_list = draft.tags.join(" ");
    let write = ArticleWrite {
        slug: &new_slug,
        title: &draft.title,
        description: &draft.description,
        body: &draft.body,
        body_html: html.as_str(),
        tag_list: &tag_list,
    };
    db::article::update(&mut *tx, key.id, &write, &db::now()).await?;
    db::tag::set_tags(&mut tx, key.id, &draft.tags).await?;
    tx.commit().await?;
    load(&mut *state.db.reader.acquire().await?, key.id, Some(viewer)).await
}

/// The editor's save: publishes `draft` when `slug` is empty, else replaces every field of the
/// article at `slug`.
pub async fn save(
    state: &AppState,
    viewer: UserId,
    slug: &str,
    draft: ArticleDraft,
) -> AppResult<Article> {
    if slug.is_empty() {
        return create(state, viewer, draft).await;
    }
    let patch = ArticlePatch {
        title: Some(draft.title),
        description: Some(draft.description),
        body: Some(draft.body),
        tags: Some(draft.tags),
    };
    update(state, viewer, slug, patch).await
}

/// The editor's preview of `body`, as it will be shown: for a signed-in user (`user_id`), and
/// counted per client address and per account (`AppState::preview_limiter`), since rendering
/// is the costliest thing a request can ask for.
pub async fn preview(
    state: &AppState,
    viewer: UserId,
    client: &ClientKey,
    body: String,
) -> AppResult<SafeHtml> {
    state
        .preview_limiter
        .attempt(Key::Client(client))
        .and_then(|()| state.preview_limiter.attempt(Key::User(viewer)))
        .inspect_err(|_| tracing::warn!(%client, user_id = viewer.0, "preview rate limit"))?;
    if body.len() > BODY_MAX_BYTES {
        return Err(AppError::validation("body", "is too long to preview"));
    }
    state.renderer.render(body).await
}

/// Deletes an article with its comments, favorites and tag links; only its author may.
#[tracing::instrument(skip(state))]
pub async fn delete(state: &AppState, viewer: UserId, slug: &str) -> AppResult<()> {
    super::count_write(state, viewer)?;
    let mut tx = state.db.begin_write().await?;
    let key = authored_key(&mut tx, slug, viewer).await?;
    db::article::delete(&mut *tx, key.id).await?;
    tx.commit().await?;
    Ok(())
}

/// The article at `slug` (or at a slug it had before a rename).
pub async fn get(state: &AppState, viewer: Option<UserId>, slug: &str) -> AppResult<Article> {
    let mut tx = state.db.reader.begin().await?;
    let key = db::article::find_key(&mut tx, slug)
        .await?
        .ok_or(AppError::NotFound(Entity::Article))?;
    load(&mut tx, key.id, viewer).await
}

/// Articles `offset..offset + limit` of a list, newest first, and how many the list holds.
pub async fn list_range(
    state: &AppState,
    viewer: Option<UserId>,
    filter: &ArticleFilter,
    limit: i64,
    offset: i64,
) -> AppResult<(Vec<ArticleSummary>, i64)> {
    check_filter(filter)?;
    // One read transaction: the page, its tags and the count agree.
    let mut tx = state.db.reader.begin().await?;
    let total = db::article::count(&mut tx, filter).await?;
    if offset >= total {
        // Past the end: nothing to skip through.
        return Ok((Vec::new(), total));
    }
    let rows = db::article::list(&mut tx, filter, viewer, limit, offset).await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut tags = db::tag::tags_of(&mut tx, &ids).await?;
    let items = rows
        .into_iter()
        .map(|row| {
            let mine = super::take_tags(&mut tags, row.id);
            row.into_summary(mine)
        })
        .collect();
    Ok((items, total))
}

/// The names a list is filtered by are looked up, never stored, but U+0000 is still refused by
/// name (`tag`, `author`, `favorited`), as in every other text a request carries.
fn check_filter(filter: &ArticleFilter) -> AppResult<()> {
    let mut errors = FieldErrors::new();
    for (field, value) in [
        ("tag", &filter.tag),
        ("author", &filter.author),
        ("favorited", &filter.favorited_by),
    ] {
        if value.as_deref().is_some_and(has_nul) {
            errors.add(field, NUL_MESSAGE);
        }
    }
    errors.into_result()
}

/// Page `page` (1-based) of a list, `PAGE_SIZE` articles a page.
pub async fn list(
    state: &AppState,
    viewer: Option<UserId>,
    filter: &ArticleFilter,
    page: u32,
) -> AppResult<Page<ArticleSummary>> {
    let (limit, offset) = super::page_window(page, MAX_PAGE)?;
    let (items, total) = list_range(state, viewer, filter, limit, offset).await?;
    Ok(Page {
        items,
        total,
        page,
        per_page: PAGE_SIZE,
    })
}

/// Page `page` of the list a page of the UI shows; Your Feed needs a signed-in viewer.
pub async fn list_for(
    state: &AppState,
    viewer: Option<UserId>,
    which: ArticleList,
    page: u32,
) -> AppResult<Page<ArticleSummary>> {
    let filter = match which {
        ArticleList::Global => ArticleFilter::all(),
        ArticleList::Following => ArticleFilter::feed_of(viewer.ok_or(AppError::Unauthorized)?),
        ArticleList::Tag(tag) => ArticleFilter::tag(normalize_tag(&tag)),
        ArticleList::Author(username) => ArticleFilter::author(username),
        ArticleList::FavoritedBy(username) => ArticleFilter::favorited_by(username),
    };
    list(state, viewer, &filter, page).await
}

/// Favorites the article for the user (again is harmless) and returns it.
pub async fn favorite(state: &AppState, viewer: UserId, slug: &str) -> AppResult<Article> {
    set_favorite(state, viewer, slug, true).await
}

/// Removes the article from the user's favorites (again is harmless) and returns it.
pub async fn unfavorite(state: &AppState, viewer: UserId, slug: &str) -> AppResult<Article> {
    set_favorite(state, viewer, slug, false).await
}

/// The article is found and read back on a reader; the writer is held only for the one
/// statement that adds or removes the favorite (and, by trigger, counts it).
async fn set_favorite(
    state: &AppState,
    viewer: UserId,
    slug: &str,
    favorite: bool,
) -> AppResult<Article> {
    super::count_write(state, viewer)?;
    let key = db::article::find_key(&mut *state.db.reader.acquire().await?, slug)
        .await?
        .ok_or(AppError::NotFound(Entity::Article))?;
    if favorite {
        db::article::add_favorite(&state.db, viewer, key.id, &db::now()).await?;
    } else {
        db::article::remove_favorite(&state.db, viewer, key.id).await?;
    }
    load(&mut *state.db.reader.acquire().await?, key.id, Some(viewer)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_lowercase_words_joined_by_dashes() {
        assert_eq!(
            slugify("How to Train Your Dragon"),
            "how-to-train-your-dragon"
        );
        assert_eq!(
            slugify("  Rust 1.95: what's new?! "),
            "rust-1-95-what-s-new"
        );
        assert_eq!(
            slugify("</title><script>x</script>"),
            "title-script-x-script"
        );
    }

    #[test]
    fn non_ascii_titles_still_give_a_usable_slug() {
        assert_eq!(slugify("Привет, мир"), "privet-mir");
        assert_eq!(slugify("Crème brûlée"), "creme-brulee");
        assert!(!slugify("你好").is_empty());
        assert!(
            slugify("你好")
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-')
        );
        assert_eq!(slugify("!!!"), "article");
    }

    #[test]
    fn slugs_are_bounded() {
        let slug = slugify(&"word ".repeat(100));
        assert!(slug.len() <= SLUG_MAX, "{}", slug.len());
        assert!(!slug.ends_with('-'));
    }
}
