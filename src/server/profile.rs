//! Server functions for profiles: one profile, follow and unfollow.

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::profile::Profile;

#[server(prefix = "/rpc", endpoint = "get_profile")]
pub async fn get_profile(username: String) -> Result<Profile, AppError> {
    use crate::server::request;
    let (state, _, session) = request::parts().await?;
    let viewer = request::viewer(&state, &session).await?;
    crate::service::profile::get(&state, viewer, &username).await
}

/// Follows (`follow` true) or unfollows `username`; answers with the new profile.
#[server(prefix = "/rpc", endpoint = "follow_profile")]
pub async fn follow_profile(username: String, follow: bool) -> Result<Profile, AppError> {
    use crate::server::request;
    let (state, _, session) = request::parts().await?;
    let viewer = request::require_user(&state, &session).await?;
    crate::service::profile::set_following(&state, viewer, &username, follow).await
}
