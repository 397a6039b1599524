//! `/profile/:username` and `/profile/:username/favorites`: who they are, and their articles or
//! their favorites.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::components::article::{ArticleFeed, FollowButton};
use crate::components::avatar_url;
use crate::components::form::ssr_text;
use crate::context::{Auth, error_view, page_param};
use crate::model::article::ArticleList;
use crate::model::profile::Profile;
use crate::routes;
use crate::server::profile::get_profile;

#[component]
pub fn ProfilePage() -> impl IntoView {
    view! { <ProfileView favorites=false /> }
}

#[component]
pub fn FavoritesPage() -> impl IntoView {
    view! { <ProfileView favorites=true /> }
}

/// The header comes from the profile; the tabs and the list only need the name in the address,
/// so they are built once, outside the header's Transition (a resource created inside a
/// Suspend is created, and fetched, again each time the server renders it).
#[component]
fn ProfileView(favorites: bool) -> impl IntoView {
    let auth = expect_context::<Auth>();
    let params = use_params_map();
    let username = Memo::new(move |_| params.read().get("username").unwrap_or_default());
    let profile = Resource::new(move || username.get(), get_profile);
    let list = Signal::derive(move || {
        if favorites {
            ArticleList::FavoritedBy(username.get())
        } else {
            ArticleList::Author(username.get())
        }
    });
    let base = move || routes::profile(&username.get());
    let href = Callback::new(move |page: u32| {
        let name = username.try_get_untracked().unwrap_or_default();
        if favorites {
            routes::paged(&routes::favorites(&name), page)
        } else {
            routes::paged(&routes::profile(&name), page)
        }
    });
    view! {
        <div class="profile-page">
            <Transition fallback=|| view! { <div class="user-info">"Loading the profile..."</div> }>
                {move || Suspend::new(async move {
                    let viewer = auth.signed_in().await.map(|u| u.username);
                    match profile.await {
                        Ok(profile) => view! { <UserInfo profile viewer /> }.into_any(),
                        Err(error) => error_view(error),
                    }
                })}
            </Transition>
            <div class="container">
                <div class="row">
                    <div class="col-xs-12 col-md-10 offset-md-1">
                        <div class="articles-toggle">
                            <ul class="nav nav-pills outline-active">
                                <li class="nav-item">
                                    <a class="nav-link" class:active=!favorites href=base>
                                        "My Articles"
                                    </a>
                                </li>
                                <li class="nav-item">
                                    <a
                                        class="nav-link"
                                        class:active=favorites
                                        href=move || format!("{}/favorites", base())
                                    >
                                        "Favorited Articles"
                                    </a>
                                </li>
                            </ul>
                        </div>
                        <ArticleFeed list page=page_param() href />
                    </div>
                </div>
            </div>
        </div>
    }
}

#[component]
fn UserInfo(profile: Profile, viewer: Option<String>) -> impl IntoView {
    let name = profile.username.clone();
    let action = if viewer.as_deref() == Some(name.as_str()) {
        view! {
            <a class="btn btn-sm btn-outline-secondary action-btn" href=routes::SETTINGS>
                <i class="ion-gear-a"></i>
                " Edit Profile Settings"
            </a>
        }
        .into_any()
    } else {
        view! {
            <FollowButton
                username=name.clone()
                following=profile.following
                signed_in=viewer.is_some()
            />
        }
        .into_any()
    };
    view! {
        <Title text=ssr_text(name.clone()) />
        <div class="user-info">
            <div class="container">
                <div class="row">
                    <div class="col-xs-12 col-md-10 offset-md-1">
                        <img src=avatar_url(profile.image.as_deref()) class="user-img" alt="" />
                        <h4>{name}</h4>
                        <p>{profile.bio.clone()}</p>
                        {action}
                    </div>
                </div>
            </div>
        </div>
    }
}
