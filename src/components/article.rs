//! Article pieces shared by several pages: previews, the paged list, pagination, the
//! favorite and follow buttons, tag lists, dates.

use leptos::form::ActionForm;
use leptos::prelude::*;

use crate::components::avatar_url;
use crate::context::{Auth, set_status};
use crate::model::article::{ArticleList, ArticleSummary};
use crate::model::page::Page;
use crate::model::profile::Profile;
use crate::model::search::SnippetPart;
use crate::routes;
use crate::server::article::{FavoriteArticle, list_articles};
use crate::server::profile::FollowProfile;

/// `2026-11-22T03:13:05.123Z` → `November 22, 2026`.
pub fn human_date(timestamp: &str) -> String {
    const MONTHS: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    let part =
        |range: std::ops::Range<usize>| timestamp.get(range).and_then(|p| p.parse::<usize>().ok());
    match (part(0..4), part(5..7), part(8..10)) {
        (Some(year), Some(month @ 1..=12), Some(day)) => {
            format!("{} {day}, {year}", MONTHS[month - 1])
        }
        _ => timestamp.to_owned(),
    }
}

/// Pills for an article's tags.
#[component]
pub fn TagPills(tags: Vec<String>) -> impl IntoView {
    view! {
        <ul class="tag-list">
            {tags
                .into_iter()
                .map(|tag| view! { <li class="tag-default tag-pill tag-outline">{tag}</li> })
                .collect_view()}
        </ul>
    }
}

/// Author picture, name and date.
#[component]
pub fn ArticleMeta(author: Profile, created_at: String, children: Children) -> impl IntoView {
    let href = routes::profile(&author.username);
    view! {
        <div class="article-meta">
            <a href=href.clone()>
                <img src=avatar_url(author.image.as_deref()) alt="" />
            </a>
            <div class="info">
                <a href=href class="author">
                    {author.username}
                </a>
                <time class="date" datetime=created_at.clone()>
                    {human_date(&created_at)}
                </time>
            </div>
            {children()}
        </div>
    }
}

/// The favorite button (an island): a real form that works without JavaScript. Hydrated, it is
/// sent without a page load, disabled while its request is in flight, and takes its state and
/// count from the server's answer, so fast clicks cannot make the count drift. Signed out, it
/// is a link to the sign-in page.
#[island]
pub fn FavoriteButton(
    slug: String,
    favorited: bool,
    count: i64,
    /// The article page's wording ("Favorite Article (3)") rather than the preview's ("3").
    long: bool,
    signed_in: bool,
) -> impl IntoView {
    let action = ServerAction::<FavoriteArticle>::new();
    let state = move || match action.value().get() {
        Some(Ok(summary)) => (summary.favorited, summary.favorites_count),
        _ => (favorited, count),
    };
    let class = move || {
        let base = if long {
            "btn btn-sm"
        } else {
            "btn btn-sm pull-xs-right"
        };
        if state().0 {
            format!("{base} btn-primary")
        } else {
            format!("{base} btn-outline-primary")
        }
    };
    let label = move || {
        let (on, n) = state();
        match (long, on) {
            (true, true) => format!(" Unfavorite Article ({n})"),
            (true, false) => format!(" Favorite Article ({n})"),
            (false, _) => format!(" {n}"),
        }
    };
    if !signed_in {
        return view! {
            <a class=class href=routes::LOGIN aria-label="Sign in to favorite">
                <i class="ion-heart"></i>
                {label}
            </a>
        }
        .into_any();
    }
    let aria = move || if state().0 { "Unfavorite" } else { "Favorite" };
    view! {
        <ActionForm action attr:class="favorite-form">
            <input type="hidden" name="slug" value=slug />
            <input type="hidden" name="favorite" value=move || (!state().0).to_string() />
            <button
                type="submit"
                class=class
                aria-label=aria
                aria-pressed=move || state().0.to_string()
                disabled=move || action.pending().get()
            >
                <i class="ion-heart"></i>
                {label}
            </button>
        </ActionForm>
    }
    .into_any()
}

/// "Follow alice" / "Unfollow alice" (an island): a form, sent without a page load once
/// hydrated; signed out, a link to the sign-in page. The caller leaves it out on the user's
/// own profile and articles.
#[island]
pub fn FollowButton(username: String, following: bool, signed_in: bool) -> impl IntoView {
    let action = ServerAction::<FollowProfile>::new();
    let following = move || match action.value().get() {
        Some(Ok(p)) => p.following,
        _ => following,
    };
    let class = move || {
        if following() {
            "btn btn-sm btn-secondary action-btn"
        } else {
            "btn btn-sm btn-outline-secondary action-btn"
        }
    };
    let label = {
        let username = username.clone();
        move || {
            if following() {
                format!(" Unfollow {username}")
            } else {
                format!(" Follow {username}")
            }
        }
    };
    if !signed_in {
        return view! {
            <a class=class href=routes::LOGIN>
                <i class="ion-plus-round"></i>
                {label}
            </a>
        }
        .into_any();
    }
    view! {
        <ActionForm action attr:class="follow-form">
            <input type="hidden" name="username" value=username />
            <input type="hidden" name="follow" value=move || (!following()).to_string() />
            <button type="submit" class=class disabled=move || action.pending().get()>
                <i class="ion-plus-round"></i>
                {label}
            </button>
        </ActionForm>
    }
    .into_any()
}

/// One article in a list.
#[component]
pub fn ArticlePreview(
    article: ArticleSummary,
    /// The passage that matched a search, its matched words marked.
    #[prop(optional)]
    snippet: Option<Vec<SnippetPart>>,
    /// Whether the reader is signed in (their favorite button is a form, else a link).
    signed_in: bool,
) -> impl IntoView {
    let href = routes::article(&article.slug);
    let snippet = snippet.filter(|parts| !parts.is_empty()).map(|parts| {
        view! {
            <p class="search-snippet">
                {parts
                    .into_iter()
                    .map(|part| {
                        if part.hit {
                            view! { <mark>{part.text}</mark> }.into_any()
                        } else {
                            part.text.into_any()
                        }
                    })
                    .collect_view()}
            </p>
        }
    });
    view! {
        <div class="article-preview">
            <ArticleMeta author=article.author created_at=article.created_at>
                <FavoriteButton
                    slug=article.slug
                    favorited=article.favorited
                    count=article.favorites_count
                    long=false
                    signed_in
                />
            </ArticleMeta>
            <a href=href class="preview-link">
                <h1>{article.title}</h1>
                <p>{article.description}</p>
                {snippet}
                <span>"Read more..."</span>
                <TagPills tags=article.tags />
            </a>
        </div>
    }
}

/// Links to the pages of a list: the first, the last, and a few around the current one.
#[component]
pub fn Pagination(page: u32, pages: u32, href: Callback<u32, String>) -> impl IntoView {
    let mut shown: Vec<u32> = vec![1, pages];
    shown.extend(page.saturating_sub(2).max(1)..=(page + 2).min(pages));
    shown.sort_unstable();
    shown.dedup();
    shown.retain(|&p| p >= 1 && p <= pages);
    let mut items = Vec::new();
    let mut previous = 0;
    for p in shown {
        if p > previous + 1 {
            items.push(
                view! { <li class="page-item disabled"><span class="page-link">"…"</span></li> }
                    .into_any(),
            );
        }
        let active = p == page;
        items.push(
            view! {
                <li class="page-item" class:active=active>
                    <a class="page-link" href=href.run(p) aria-current=active.then_some("page")>
                        {p}
                    </a>
                </li>
            }
            .into_any(),
        );
        previous = p;
    }
    (pages > 1).then(|| {
        view! {
            <nav aria-label="Pages">
                <ul class="pagination">{items}</ul>
            </nav>
        }
    })
}

/// A paged list of articles, fetched for `list` and `page`.
#[component]
pub fn ArticleFeed(
    #[prop(into)] list: Signal<ArticleList>,
    #[prop(into)] page: Signal<u32>,
    /// The address of page `n` of this list.
    href: Callback<u32, String>,
) -> impl IntoView {
    let auth = expect_context::<Auth>();
    let articles = Resource::new(
        move || (list.get(), page.get()),
        |(list, page)| list_articles(list, page),
    );
    view! {
        <Transition fallback=|| view! { <div class="article-preview">"Loading articles..."</div> }>
            {move || Suspend::new(async move {
                let signed_in = auth.signed_in().await.is_some();
                match articles.await {
                    Ok(found) => view! { <FeedPage found href signed_in /> }.into_any(),
                    Err(error) => {
                        set_status(&error);
                        view! {
                            <div class="article-preview error-messages">{error.messages().join("; ")}</div>
                        }
                            .into_any()
                    }
                }
            })}
        </Transition>
    }
}

#[component]
fn FeedPage(
    found: Page<ArticleSummary>,
    href: Callback<u32, String>,
    signed_in: bool,
) -> impl IntoView {
    let pages = found.pages();
    if found.items.is_empty() {
        return view! { <div class="empty-feed-message">"No articles are here... yet."</div> }
            .into_any();
    }
    view! {
        {found
            .items
            .into_iter()
            .map(|article| view! { <ArticlePreview article signed_in /> })
            .collect_view()}
        <Pagination page=found.page pages href />
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_read_as_words() {
        assert_eq!(human_date("2026-11-22T03:13:05.123Z"), "November 22, 2026");
        assert_eq!(human_date("2026-01-05T00:00:00.000Z"), "January 5, 2026");
        assert_eq!(human_date("garbage"), "garbage");
    }
}
