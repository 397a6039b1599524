//! Profiles: read one, follow, unfollow.

use crate::db;
use crate::error::{AppError, AppResult, Entity};
use crate::model::profile::Profile;
use crate::model::user::UserId;
use crate::state::AppState;

pub async fn get(state: &AppState, viewer: Option<UserId>, username: &str) -> AppResult<Profile> {
    let user = db::user::find_by_username(&state.db.reader, username)
        .await?
        .ok_or(AppError::NotFound(Entity::Profile))?
        .account;
    let following = db::follow::is_following(&state.db.reader, viewer, user.id).await?;
    Ok(Profile::new(user.username, user.bio, user.image, following))
}

/// Starts or stops following `username`; doing it twice is harmless.
pub async fn set_following(
    state: &AppState,
    viewer: UserId,
    username: &str,
    follow: bool,
) -> AppResult<Profile> {
    super::count_write(state, viewer)?;
    let mut tx = state.db.begin_write().await?;
    let user = db::user::find_by_username(&mut *tx, username)
        .await?
        .ok_or(AppError::NotFound(Entity::Profile))?
        .account;
    if user.id == viewer {
        return Err(AppError::validation(
            "username",
            "is you; you cannot follow yourself",
        ));
    }
    if follow {
        db::follow::add(&mut *tx, viewer, user.id, &db::now()).await?;
    } else {
        db::follow::remove(&mut *tx, viewer, user.id).await?;
    }
    tx.commit().await?;
    Ok(Profile::new(user.username, user.bio, user.image, follow))
}
