//! `/search?q=…&page=N`: matching authors, then articles best first, each with the passage
//! that matched. Works signed out and without JavaScript (the navbar's box is a GET form).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::components::article::{ArticlePreview, Pagination};
use crate::components::form::title_text;
use crate::components::{avatar_url, thousands};
use crate::context::{Auth, page_param, set_status};
use crate::model::search::SearchResults;
use crate::routes;
use crate::server::search::search;

#[component]
pub fn SearchPage() -> impl IntoView {
    let query = use_query_map();
    let q = Memo::new(move |_| query.read().get("q").unwrap_or_default());
    let page = page_param();
    let results = Resource::new(move || (q.get(), page.get()), |(q, page)| search(q, page));
    let auth = expect_context::<Auth>();
    view! {
        <Title text=title_text(q, |q| format!("Search: {q}")) />
        <div class="search-page">
            <div class="container page">
                <h1 class="search-heading">"Search"</h1>
                <form class="search-form" method="get" action=routes::SEARCH role="search">
                    <input
                        class="form-control form-control-lg"
                        type="search"
                        name="q"
                        aria-label="Search articles and authors"
                        placeholder="Words from a title, a text, a tag or an author"
                        value=move || q.get()
                    />
                    <button class="btn btn-lg btn-primary" type="submit">"Search"</button>
                </form>
                <Transition fallback=|| view! { <p>"Searching..."</p> }>
                    {move || Suspend::new(async move {
                        let signed_in = auth.signed_in().await.is_some();
                        match results.await {
                            Ok(found) => {
                                view! { <Results found q=q.get_untracked() signed_in /> }.into_any()
                            }
                            Err(error) => {
                                set_status(&error);
                                view! { <p class="error-messages">{error.messages().join("; ")}</p> }.into_any()
                            }
                        }
                    })}
                </Transition>
            </div>
        </div>
    }
}

#[component]
fn Results(found: SearchResults, q: String, signed_in: bool) -> impl IntoView {
    if q.trim().is_empty() {
        return view! { <p class="search-empty">"Type a word to search for."</p> }.into_any();
    }
    let SearchResults {
        authors,
        articles,
        capped,
    } = found;
    let pages = articles.pages();
    let page = articles.page;
    let total = articles.total;
    let nothing = authors.is_empty() && articles.items.is_empty();
    let href = Callback::new(move |n: u32| routes::search(&q, n));
    view! {
        {(!authors.is_empty()).then(|| view! {
            <section class="search-authors" aria-label="Authors">
                <h2>"Authors"</h2>
                <ul>
                    {authors.into_iter().map(|author| {
                        let href = routes::profile(&author.username);
                        view! {
                            <li>
                                <a href=href class="author">
                                    <img src=avatar_url(author.image.as_deref()) alt="" />
                                    {author.username}
                                </a>
                                {author.bio.map(|bio| view! { <span class="bio">{bio}</span> })}
                            </li>
                        }
                    }).collect_view()}
                </ul>
            </section>
        })}
        <section class="search-articles" aria-label="Articles">
            {if nothing {
                view! { <p class="search-empty">"Nothing matches. Try fewer or other words."</p> }.into_any()
            } else {
                view! {
                    <p class="search-count">
                        {if capped {
                            format!(
                                "More than {} articles found; the newest {} are ranked",
                                thousands(total),
                                thousands(total)
                            )
                        } else {
                            format!("{} article{} found", thousands(total), if total == 1 { "" } else { "s" })
                        }}
                    </p>
                    {articles.items.into_iter().map(|hit| view! {
                        <ArticlePreview article=hit.summary snippet=hit.snippet signed_in />
                    }).collect_view()}
                    <Pagination page pages href />
                }.into_any()
            }}
        </section>
    }
    .into_any()
}
