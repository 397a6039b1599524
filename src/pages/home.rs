//! `/` (Global Feed and Your Feed) and `/tag/:tag`: the feed tabs, a page of articles, and the
//! popular tags.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::components::article::ArticleFeed;
use crate::components::form::title_text;
use crate::context::{Auth, page_param};
use crate::model::article::ArticleList;
use crate::routes;
use crate::server::tag::popular_tags;

#[component]
pub fn HomePage() -> impl IntoView {
    let query = use_query_map();
    let following = Memo::new(move |_| query.read().get("feed").as_deref() == Some("following"));
    let list = Signal::derive(move || {
        if following.get() {
            ArticleList::Following
        } else {
            ArticleList::Global
        }
    });
    let href = Callback::new(move |page: u32| {
        if following.try_get_untracked().unwrap_or(false) {
            routes::paged(routes::YOUR_FEED, page)
        } else {
            routes::paged(routes::HOME, page)
        }
    });
    view! {
        <Title text="Home" />
        <div class="home-page">
            <div class="banner">
                <div class="container">
                    <h1 class="logo-font">"quire"</h1>
                    <p>"A place to share your knowledge."</p>
                </div>
            </div>
            <Feeds list page=page_param() href tag=None />
        </div>
    }
}

#[component]
pub fn TagPage() -> impl IntoView {
    let params = use_params_map();
    let tag = Memo::new(move |_| params.read().get("tag").unwrap_or_default());
    let list = Signal::derive(move || ArticleList::Tag(tag.get()));
    let href = Callback::new(move |page: u32| {
        format!(
            "{}?page={page}",
            routes::tag(&tag.try_get_untracked().unwrap_or_default())
        )
    });
    view! {
        <Title text=title_text(tag, |tag| format!("#{tag}")) />
        <div class="home-page">
            <Feeds list page=page_param() href tag=Some(tag.into()) />
        </div>
    }
}

/// The tabs, the list and the sidebar shared by the home and tag pages.
#[component]
fn Feeds(
    list: Signal<ArticleList>,
    page: Signal<u32>,
    href: Callback<u32, String>,
    tag: Option<Signal<String>>,
) -> impl IntoView {
    let auth = expect_context::<Auth>();
    let signed_in = move || auth.user.get().and_then(Result::ok).flatten().is_some();
    let on = move |wanted: ArticleList| move || list.get() == wanted;
    view! {
        <div class="container page">
            <div class="row">
                <div class="col-md-9">
                    <div class="feed-toggle">
                        // Inside a Transition, so the server waits for the user before it
                        // decides whether to show Your Feed.
                        <Transition fallback=|| ()>
                        <ul class="nav nav-pills outline-active">
                            <Show when=signed_in>
                                <li class="nav-item">
                                    <a class="nav-link" class:active=on(ArticleList::Following) href=routes::YOUR_FEED>
                                        "Your Feed"
                                    </a>
                                </li>
                            </Show>
                            <li class="nav-item">
                                <a class="nav-link" class:active=on(ArticleList::Global) href=routes::HOME>
                                    "Global Feed"
                                </a>
                            </li>
                            {tag.map(|tag| {
                                view! {
                                    <li class="nav-item">
                                        <a class="nav-link active" href=move || routes::tag(&tag.get())>
                                            <i class="ion-pound"></i>
                                            {move || tag.get()}
                                        </a>
                                    </li>
                                }
                            })}
                        </ul>
                        </Transition>
                    </div>
                    <ArticleFeed list page href />
                </div>
                <aside class="col-md-3">
                    <PopularTags />
                </aside>
            </div>
        </div>
    }
}

#[component]
fn PopularTags() -> impl IntoView {
    let tags = Resource::new(|| (), |_| popular_tags());
    view! {
        <div class="sidebar">
            <p>"Popular Tags"</p>
            <Transition fallback=|| view! { <span class="empty-tags">"Loading tags..."</span> }>
                {move || Suspend::new(async move {
                    let tags = tags.await.unwrap_or_default();
                    if tags.is_empty() {
                        view! { <span class="empty-tags">"No tags are here... yet."</span> }.into_any()
                    } else {
                        view! {
                            <div class="tag-list">
                                {tags
                                    .into_iter()
                                    .map(|tag| {
                                        let href = routes::tag(&tag);
                                        view! { <a href=href class="tag-pill tag-default">{tag}</a> }
                                    })
                                    .collect_view()}
                            </div>
                        }
                            .into_any()
                    }
                })}
            </Transition>
        </div>
    }
}
