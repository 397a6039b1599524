//! The service layer (ssr-only): every use case, with its authorisation, validation and
//! transaction. Server functions and REST handlers are thin adapters over these functions.
//!
//! One module per domain: `article` (write, edit, delete, read, list, favorite), `comment`,
//! `profile` (read, follow), `tag`, `search` (and its `snippet`s), `user` (accounts, sign-in, settings, the admin
//! role), `token` (the REST API's tokens), `admin` (the admin pages) and `stats` (`/metrics`
//! totals).

pub mod admin;
pub mod article;
pub mod comment;
pub mod profile;
pub mod search;
pub mod snippet;
pub mod stats;
pub mod tag;
pub mod token;
pub mod user;

use crate::error::{AppError, AppResult};
use crate::model::page::PAGE_SIZE;
use crate::model::user::UserId;

/// Counts one write (an article, comment, favorite or follow) by `user_id`, or refuses it
/// with 429 when the account has written too much this minute. The per-address limit is
/// counted earlier, by the HTTP layer (`http::edge`, from `http::policy::is_write`).
pub(crate) fn count_write(state: &crate::state::AppState, viewer: UserId) -> AppResult<()> {
    state
        .write_account_limiter
        .attempt(crate::auth::limiter::Key::User(viewer))
}

/// `(limit, offset)` of page `page` (1-based) of a list, `PAGE_SIZE` a page; a page outside
/// `1..=max` is a 422 rather than a slow scan. (The pages read a `?page=` that is not a whole
/// number at all as page 0, so it gets this answer too.)
pub(crate) fn page_window(page: u32, max: u32) -> AppResult<(i64, i64)> {
    if page == 0 || page > max {
        return Err(AppError::validation(
            "page",
            format!("must be a whole number from 1 to {max}"),
        ));
    }
    let limit = i64::from(PAGE_SIZE);
    Ok((limit, i64::from(page - 1) * limit))
}

/// Takes the tags of article `id` out of `(article id, tag)` pairs (as `tags_of` gives them).
pub(crate) fn take_tags(tags: &mut [(i64, String)], id: i64) -> Vec<String> {
    tags.iter_mut()
        .filter(|(of, _)| *of == id)
        .map(|(_, tag)| std::mem::take(tag))
        .collect()
}
