//! `/editor` and `/editor/:slug`: write or edit an article, with a live preview and tag chips.
//! Only an article's author may open its editor.

use std::time::Duration;

use leptos::ev::KeyboardEvent;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;
use leptos_router::hooks::use_params_map;

use crate::components::form::{posted_errors, ssr_text, validated_form};
use crate::context::{Auth, error_view};
use crate::error::{AppError, Entity};
use crate::model::article::{
    Article, ArticleDraft, TAG_MAX, TITLE_MAX, normalize_tags, tags_from_form,
};
use crate::routes;
use crate::server::article::{SaveArticle, get_article, preview_markdown};

#[component]
pub fn EditorPage() -> impl IntoView {
    let auth = expect_context::<Auth>();
    let params = use_params_map();
    let slug = Memo::new(move |_| params.read().get("slug"));
    let existing = Resource::new(
        move || slug.get(),
        |slug| async move {
            match slug {
                Some(slug) => get_article(slug).await.map(Some),
                None => Ok(None),
            }
        },
    );
    view! {
        <Transition fallback=|| view! { <div class="container page">"Loading the editor..."</div> }>
            {move || Suspend::new(async move {
                let user = auth.user.await;
                match (user, existing.await) {
                    (Ok(None), _) => view! { <Redirect path=routes::LOGIN /> }.into_any(),
                    (Err(error), _) | (_, Err(error)) => error_view(error),
                    (Ok(Some(user)), Ok(Some(article)))
                        if article.summary.author.username != user.username =>
                    {
                        error_view(AppError::Forbidden(Entity::Article))
                        }
                    (Ok(Some(_)), Ok(article)) => view! { <EditorForm article /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn EditorForm(article: Option<Article>) -> impl IntoView {
    let (slug, title, description, body, preview, tags) = match article {
        Some(a) => (
            a.summary.slug,
            a.summary.title,
            a.summary.description,
            a.body,
            a.body_html.as_str().to_owned(),
            a.summary.tags,
        ),
        None => Default::default(),
    };
    let heading = if slug.is_empty() {
        "New Article"
    } else {
        "Edit Article"
    };
    view! {
        <Title text=heading />
        <div class="editor-page">
            <div class="container page">
                <div class="row">
                    <div class="col-md-10 offset-md-1 col-xs-12">
                        <h1 class="editor-heading">{heading}</h1>
                        <ArticleForm messages={posted_errors::<SaveArticle>()}>
                            <input type="hidden" name="slug" value=slug />
                            <fieldset>
                                <fieldset class="form-group">
                                    <label for="editor-title">"Title"</label>
                                    <input
                                        id="editor-title"
                                        type="text"
                                        class="form-control form-control-lg"
                                        name="title"
                                        placeholder="Article Title"
                                        maxlength=TITLE_MAX
                                        value=title
                                    />
                                </fieldset>
                                <fieldset class="form-group">
                                    <label for="editor-description">"Description"</label>
                                    <input
                                        id="editor-description"
                                        type="text"
                                        class="form-control"
                                        name="description"
                                        placeholder="What's this article about?"
                                        value=description
                                    />
                                </fieldset>
                                <MarkdownEditor body preview />
                                <TagEditor tags />
                                <button class="btn btn-lg pull-xs-right btn-primary" type="submit">
                                    "Publish Article"
                                </button>
                            </fieldset>
                        </ArticleForm>
                    </div>
                </div>
            </div>
        </div>
    }
}

/// The editor's form (an island), checked in the browser first by the same rules the server
/// applies. Saved, it leads to the article.
#[island]
fn ArticleForm(messages: Vec<String>, children: Children) -> impl IntoView {
    validated_form(
        messages,
        |args: &SaveArticle| {
            ArticleDraft {
                title: args.title.clone(),
                description: args.description.clone(),
                body: args.body.clone(),
                tags: tags_from_form(&args.tags, &args.tag_input),
            }
            .normalized()
            .validate()
        },
        children,
    )
}

/// The body and its live preview (an island). The preview is rendered and sanitised by the
/// server, 300 ms after typing stops; an answer that arrives after the text changed again is
/// dropped, and a refusal (a body too large once rendered, too many previews) is said in the
/// pane. `preview` is the saved body's HTML.
#[island]
fn MarkdownEditor(body: String, preview: String) -> impl IntoView {
    let body_now = RwSignal::new(body.clone());
    let shown = RwSignal::new(preview);
    let refused = RwSignal::new(Vec::<String>::new());
    let render = Action::new(|text: &String| {
        let text = text.clone();
        async move {
            let html = preview_markdown(text.clone()).await;
            (text, html)
        }
    });
    Effect::new(move || {
        if let Some((text, html)) = render.value().get()
            && body_now.get_untracked() == text
        {
            match html {
                Ok(html) => {
                    refused.set(Vec::new());
                    shown.set(html.as_str().to_owned());
                }
                Err(error) => {
                    refused.set(error.messages());
                    shown.set(String::new());
                }
            }
        }
    });
    let on_body = move |ev| {
        let text = event_target_value(&ev);
        body_now.set(text.clone());
        set_timeout(
            move || {
                if body_now.get_untracked() == text {
                    render.dispatch(text);
                }
            },
            Duration::from_millis(300),
        );
    };
    view! {
        <div class="editor-panes">
            <fieldset class="form-group">
                <label for="editor-body">"Body (Markdown)"</label>
                <textarea
                    id="editor-body"
                    class="form-control"
                    rows="12"
                    name="body"
                    placeholder="Write your article (in markdown)"
                    on:input=on_body
                >
                    {ssr_text(body)}
                </textarea>
            </fieldset>
            <section class="preview" aria-label="Preview">
                <p class="preview-label">"Preview"</p>
                {move || {
                    refused
                        .get()
                        .into_iter()
                        .map(|m| view! { <p class="preview-error" role="status">{m}</p> })
                        .collect_view()
                }}
                <div class="article-content" inner_html=move || shown.get()></div>
            </section>
        </div>
    }
}

/// The tag box and its chips (an island): Enter adds the typed tag, × removes one. The hidden
/// `tags` field carries the chips with the form; without JavaScript, tags typed with commas
/// between them are read from the box itself.
#[island]
fn TagEditor(tags: Vec<String>) -> impl IntoView {
    let tags = RwSignal::new(tags);
    let typed = RwSignal::new(String::new());
    let add_tag = move |ev: KeyboardEvent| {
        if ev.key() == "Enter" {
            ev.prevent_default();
            let text = typed.get_untracked();
            if !text.trim().is_empty() {
                tags.update(|t| {
                    t.push(text);
                    *t = normalize_tags(std::mem::take(t));
                });
                typed.set(String::new());
            }
        }
    };
    view! {
        <fieldset class="form-group">
            <label for="editor-tags">"Tags"</label>
            <input
                id="editor-tags"
                type="text"
                class="form-control"
                name="tag_input"
                placeholder="Enter tags"
                maxlength=TAG_MAX
                aria-describedby="editor-tags-help"
                prop:value=move || typed.get()
                on:input=move |ev| typed.set(event_target_value(&ev))
                on:keydown=add_tag
            />
            <small id="editor-tags-help" class="form-text">
                "Press Enter to add a tag (or separate tags with commas)."
            </small>
            <input type="hidden" name="tags" value=move || tags.get().join(",") />
            <div class="tag-list">
                <For each=move || tags.get() key=|t| t.clone() let:tag>
                    <span class="tag-default tag-pill">
                        <button
                            type="button"
                            class="tag-remove"
                            aria-label=format!("Remove tag {tag}")
                            on:click={
                                let tag = tag.clone();
                                move |_| tags.update(|t| t.retain(|x| *x != tag))
                            }
                        >
                            <i class="ion-close-round">"×"</i>
                        </button>
                        {tag.clone()}
                    </span>
                </For>
            </div>
        </fieldset>
    }
}
