//! `/profile/:username` and `/profile/:username/favorites`: who they are, and their articles or
//! their favorites.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::app::Auth;
use crate::components::article::{ArticleFeed, FollowButton, set_status};
use crate::components::avatar_url;
use crate::components::form::ssr_text;
use crate::model::article::{ArticleList, Profile};
use crate::pages::home::page_param;
use crate::pages::not_found::ErrorPage;
use crate::server::article::get_profile;

#[component]
pub fn ProfilePage() -> impl IntoView {
    view! { <ProfileView favorites=false /> }
}

#[component]
pub fn FavoritesPage() -> impl IntoView {
    view! { <ProfileView favorites=true /> }
}

#[component]
fn ProfileView(favorites: bool) -> impl IntoView {
    let params = use_params_map();
    let username = Memo::new(move |_| params.read().get("username").unwrap_or_default());
    let profile = Resource::new(move || username.get(), get_profile);
    view! {
        <Transition fallback=|| view! { <div class="container page">"Loading the profile..."</div> }>
            {move || Suspend::new(async move {
                match profile.await {
                    Ok(profile) => view! { <ProfileContent profile favorites /> }.into_any(),
                    Err(error) => {
                        set_status(&error);
                        view! { <ErrorPage error /> }.into_any()
                    }
                }
            })}
        </Transition>
    }
}

#[component]
fn ProfileContent(profile: Profile, favorites: bool) -> impl IntoView {
    let auth = expect_context::<Auth>();
    let name = profile.username.clone();
    let mine = {
        let name = name.clone();
        move || {
            auth.user
                .get()
                .and_then(Result::ok)
                .flatten()
                .is_some_and(|u| u.username == name)
        }
    };
    let base = format!("/profile/{name}");
    let list = if favorites {
        ArticleList::FavoritedBy(name.clone())
    } else {
        ArticleList::Author(name.clone())
    };
    let href = {
        let base = base.clone();
        Callback::new(move |page: u32| {
            if favorites {
                format!("{base}/favorites?page={page}")
            } else {
                format!("{base}?page={page}")
            }
        })
    };
    view! {
        <Title text=ssr_text(name.clone()) />
        <div class="profile-page">
            <div class="user-info">
                <div class="container">
                    <div class="row">
                        <div class="col-xs-12 col-md-10 offset-md-1">
                            <img src=avatar_url(profile.image.as_deref()) class="user-img" alt="" />
                            <h4>{name.clone()}</h4>
                            <p>{profile.bio.clone()}</p>
                            <Show
                                when=mine.clone()
                                fallback=move || view! { <FollowButton profile=profile.clone() /> }
                            >
                                <a class="btn btn-sm btn-outline-secondary action-btn" href="/settings">
                                    <i class="ion-gear-a"></i>
                                    " Edit Profile Settings"
                                </a>
                            </Show>
                        </div>
                    </div>
                </div>
            </div>
            <div class="container">
                <div class="row">
                    <div class="col-xs-12 col-md-10 offset-md-1">
                        <div class="articles-toggle">
                            <ul class="nav nav-pills outline-active">
                                <li class="nav-item">
                                    <a class="nav-link" class:active=!favorites href=base.clone()>
                                        "My Articles"
                                    </a>
                                </li>
                                <li class="nav-item">
                                    <a class="nav-link" class:active=favorites href=format!("{base}/favorites")>
                                        "Favorited Articles"
                                    </a>
                                </li>
                            </ul>
                        </div>
                        <ArticleFeed list=Signal::stored(list) page=page_param() href />
                    </div>
                </div>
            </div>
        </div>
    }
}
