//! `/article/:slug`: the article, its author's and reader's actions, and the comments.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::components::article::Pagination;
use crate::components::article::{ArticleMeta, FavoriteButton, FollowButton, TagPills, human_date};
use crate::components::avatar_url;
use crate::components::form::{ErrorMessages, ssr_text};
use crate::context::{Auth, error_view, page_param, set_status};
use crate::model::article::Article;
use crate::model::comment::Comment;
use crate::model::page::Page;
use crate::model::user::SessionUser;
use crate::routes;
use crate::server::article::{DeleteArticle, get_article};
use crate::server::comment::{AddComment, DeleteComment, list_comments};

/// The comment actions and list live here, outside the article's Transition: a resource
/// created inside a Suspend is created, and fetched, again each time the server renders it.
#[derive(Clone, Copy)]
struct CommentsState {
    add: ServerAction<AddComment>,
    remove: ServerAction<DeleteComment>,
    list: Resource<Result<Page<Comment>, crate::error::AppError>>,
}

#[component]
pub fn ArticlePage() -> impl IntoView {
    let auth = expect_context::<Auth>();
    let params = use_params_map();
    let slug = Memo::new(move |_| params.read().get("slug").unwrap_or_default());
    let article = Resource::new(move || slug.get(), get_article);
    // Created for the errors of forms posted without JavaScript, which they render.
    let add = ServerAction::<AddComment>::new();
    let remove = ServerAction::<DeleteComment>::new();
    // The comments' page (`?page=N`, newest first).
    let page = page_param();
    let list = Resource::new(
        move || (slug.get(), page.get()),
        |(slug, page)| list_comments(slug, Some(page)),
    );
    let comments = CommentsState { add, remove, list };
    view! {
        <Transition fallback=|| view! { <div class="container page">"Loading the article..."</div> }>
            {move || Suspend::new(async move {
                let viewer = auth.signed_in().await;
                match article.await {
                    Ok(article) => view! { <ArticleView article viewer comments /> }.into_any(),
                    Err(error) => error_view(error),
                }
            })}
        </Transition>
    }
}

#[component]
fn ArticleView(
    article: Article,
    viewer: Option<SessionUser>,
    comments: CommentsState,
) -> impl IntoView {
    let summary = article.summary;
    let signed_in = viewer.is_some();
    let is_author = viewer
        .as_ref()
        .is_some_and(|u| u.username == summary.author.username);
    let delete = ServerAction::<DeleteArticle>::new();
    let actions = {
        let s = summary.clone();
        move || {
            let s = s.clone();
            let edit = routes::editor_for(&s.slug);
            view! {
                <ArticleMeta author=s.author.clone() created_at=s.created_at.clone()>
                    {if is_author {
                        view! {
                            <a class="btn btn-sm btn-outline-secondary" href=edit>
                                <i class="ion-edit"></i>
                                " Edit Article"
                            </a>
                            <ActionForm action=delete attr:class="delete-form">
                                <input type="hidden" name="slug" value=s.slug.clone() />
                                <button type="submit" class="btn btn-sm btn-outline-danger">
                                    <i class="ion-trash-a"></i>
                                    " Delete Article"
                                </button>
                            </ActionForm>
                        }
                            .into_any()
                    } else {
                        view! {
                            <FollowButton
                                username=s.author.username.clone()
                                following=s.author.following
                                signed_in
                            />
                            <FavoriteButton
                                slug=s.slug.clone()
                                favorited=s.favorited
                                count=s.favorites_count
                                long=true
                                signed_in
                            />
                        }
                            .into_any()
                    }}
                </ArticleMeta>
            }
        }
    };
    let author = summary.author.username.clone();
    view! {
        <Title text=ssr_text(summary.title.clone()) />
        <div class="article-page">
            <div class="banner">
                <div class="container">
                    <h1>{summary.title.clone()}</h1>
                    {actions.clone()}
                </div>
            </div>
            <div class="container page">
                <div class="row article-content">
                    <div class="col-md-12">
                        <div class="article-body" inner_html=article.body_html.as_str().to_owned()></div>
                        <TagPills tags=summary.tags.clone() />
                    </div>
                </div>
                <hr />
                <div class="article-actions">{actions}</div>
                <div class="row">
                    <div class="col-xs-12 col-md-8 offset-md-2">
                        <Comments slug=summary.slug.clone() article_author=author viewer state=comments />
                    </div>
                </div>
            </div>
        </div>
    }
}

/// The comment form and the comments. Both forms are plain POSTs that come back to the
/// article; an error comes back in the address and is shown above the form.
#[component]
fn Comments(
    slug: String,
    article_author: String,
    viewer: Option<SessionUser>,
    state: CommentsState,
) -> impl IntoView {
    let CommentsState {
        add,
        remove,
        list: comments,
    } = state;
    // A comment that could not be posted or deleted (without JavaScript, the error comes back
    // in the address).
    let messages = Signal::derive(move || {
        let mut out = Vec::new();
        if let Some(Err(error)) = add.value().get() {
            out.extend(error.messages());
        }
        if let Some(Err(error)) = remove.value().get() {
            out.extend(error.messages());
        }
        out
    });
    let viewer_name = viewer.as_ref().map(|u| u.username.clone());
    let form_slug = slug.clone();
    let form = match viewer {
        Some(user) => view! {
            <ErrorMessages messages />
            <ActionForm action=add attr:class="card comment-form">
                <input type="hidden" name="slug" value=form_slug />
                <div class="card-block">
                    <label class="visually-hidden" for="comment-body">"Comment"</label>
                    <textarea
                        id="comment-body"
                        class="form-control"
                        name="body"
                        placeholder="Write a comment..."
                        rows="3"
                    ></textarea>
                </div>
                <div class="card-footer">
                    <img src=avatar_url(user.image.as_deref()) class="comment-author-img" alt="" />
                    <button class="btn btn-sm btn-primary" type="submit">
                        "Post Comment"
                    </button>
                </div>
            </ActionForm>
        }
        .into_any(),
        None => view! {
            <p class="sign-in-to-comment">
                <a href=routes::LOGIN>"Sign in"</a>
                " or "
                <a href=routes::REGISTER>"sign up"</a>
                " to add comments on this article."
            </p>
        }
        .into_any(),
    };
    view! {
        {form}
        <Transition fallback=|| view! { <p>"Loading comments..."</p> }>
            {move || {
                let (slug, article_author, viewer) = (slug.clone(), article_author.clone(), viewer_name.clone());
                Suspend::new(async move {
                    let found = match comments.await {
                        Ok(found) => found,
                        Err(error) => {
                            set_status(&error);
                            let messages = error.messages().join("; ");
                            return view! { <p class="error-messages">{messages}</p> }.into_any();
                        }
                    };
                    let (page, pages) = (found.page, found.pages());
                    let cards = found
                        .items
                        .into_iter()
                        .map(|comment| {
                            let may_delete = viewer
                                .as_deref()
                                .is_some_and(|v| v == comment.author.username || v == article_author);
                            view! { <CommentCard comment slug=slug.clone() may_delete remove /> }
                        })
                        .collect_view();
                    let base = routes::article(&slug);
                    let href = Callback::new(move |p: u32| routes::paged(&base, p));
                    view! {
                        {cards}
                        <Pagination page pages href />
                    }
                    .into_any()
                })
            }}
        </Transition>
    }
}

#[component]
fn CommentCard(
    comment: Comment,
    slug: String,
    may_delete: bool,
    remove: ServerAction<DeleteComment>,
) -> impl IntoView {
    let profile = routes::profile(&comment.author.username);
    view! {
        <div class="card">
            <div class="card-block">
                <p class="card-text">{comment.body}</p>
            </div>
            <div class="card-footer">
                <a href=profile.clone() class="comment-author">
                    <img src=avatar_url(comment.author.image.as_deref()) class="comment-author-img" alt="" />
                </a>
                " "
                <a href=profile class="comment-author">
                    {comment.author.username}
                </a>
                <span class="date-posted">{human_date(&comment.created_at)}</span>
                {may_delete
                    .then(|| {
                        view! {
                            <span class="mod-options">
                                <ActionForm action=remove attr:class="inline-form">
                                    <input type="hidden" name="slug" value=slug />
                                    <input type="hidden" name="id" value=comment.id.to_string() />
                                    <button type="submit" class="icon-button" aria-label="Delete comment">
                                        <i class="ion-trash-a"></i>
                                    </button>
                                </ActionForm>
                            </span>
                        }
                    })}
            </div>
        </div>
    }
}
