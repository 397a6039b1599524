//! Form helpers: the `.error-messages` list, forms checked in the browser before they are
//! sent (the body of the form islands), the sign-in/sign-up page frame, and safe
//! `<textarea>` text.

use leptos::ev::SubmitEvent;
use leptos::form::FromFormData;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;

use crate::error::{AppError, AppResult};

/// The contract's error list; renders nothing when there is nothing to say.
#[component]
pub fn ErrorMessages(#[prop(into)] messages: Signal<Vec<String>>) -> impl IntoView {
    move || {
        let messages = messages.get();
        (!messages.is_empty()).then(|| {
            view! {
                <ul class="error-messages" role="alert">
                    {messages.into_iter().map(|m| view! { <li>{m}</li> }).collect_view()}
                </ul>
            }
        })
    }
}

/// The errors of the last post of form `S` sent without JavaScript: the server answers such a
/// post with a redirect back to the page, the error in its address, and the page shows it.
pub fn posted_errors<S>() -> Vec<String>
where
    S: ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    S::Output: Clone + Send + Sync + 'static,
{
    match ServerAction::<S>::new().value().get_untracked() {
        Some(Err(error)) => error.messages(),
        _ => Vec::new(),
    }
}

/// The body of the form islands: a form that posts to server function `S`, its fields the
/// server-rendered `children`, with the `.error-messages` list above it.
///
/// Without JavaScript it is a plain POST. Hydrated, a submit reads the fields, checks them with
/// `validate` (the same rules the server enforces) and sends them without a page load, or shows
/// what is wrong; a second submit while one is in flight is ignored. The server's answer
/// either redirects (a new page) or is an error shown in the list. `server_messages` are the
/// errors the page was rendered with (`posted_errors`).
pub fn validated_form<S>(
    server_messages: Vec<String>,
    validate: fn(&S) -> AppResult<()>,
    children: Children,
) -> impl IntoView
where
    S: ServerFn<Error = AppError> + FromFormData + Clone + Send + Sync + 'static,
    S::Output: Clone + Send + Sync + 'static,
{
    let action = ServerAction::<S>::new();
    let local = RwSignal::new(Vec::<String>::new());
    let sent = RwSignal::new(false);
    let messages = Signal::derive(move || {
        let local = local.get();
        if !local.is_empty() {
            return local;
        }
        if !sent.get() {
            return server_messages.clone();
        }
        match action.value().get() {
            Some(Err(error)) => error.messages(),
            _ => Vec::new(),
        }
    });
    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if action.pending().get_untracked() {
            return;
        }
        match S::from_event(&ev) {
            Ok(args) => match validate(&args) {
                Ok(()) => {
                    local.set(Vec::new());
                    sent.set(true);
                    action.dispatch(args);
                }
                Err(error) => local.set(error.messages()),
            },
            Err(error) => local.set(vec![error.to_string()]),
        }
    };
    view! {
        <ErrorMessages messages />
        <form method="post" action=S::PATH on:submit=on_submit novalidate>
            {children()}
        </form>
    }
}

/// The frame of the sign-in and sign-up pages: heading, a link to the other one, then the form.
#[component]
pub fn AuthLayout(
    heading: &'static str,
    switch_href: &'static str,
    switch_text: &'static str,
    children: Children,
) -> impl IntoView {
    view! {
        <Title text=heading />
        <div class="auth-page">
            <div class="container page">
                <div class="row">
                    <div class="col-md-6 offset-md-3 col-xs-12">
                        <h1 class="text-xs-center">{heading}</h1>
                        <p class="text-xs-center">
                            <a href=switch_href>{switch_text}</a>
                        </p>
                        {children()}
                    </div>
                </div>
            </div>
        </div>
    }
}

/// A `<Title>` text that follows `value` through `format` (escaped by `ssr_text`).
///
/// The server reads a page's title after the page has rendered, and by then the page's own
/// reactive values may already be disposed (under load this happened often enough to turn
/// one search page in a thousand into a 500). So a disposed `value` gives the text it had
/// when the title was made, which is the same text: pages render on the server only, so it
/// never changes.
pub fn title_text(
    value: Memo<String>,
    format: impl Fn(&str) -> String + Send + Sync + 'static,
) -> impl Fn() -> String + Send + Sync + 'static {
    let first = value.get_untracked();
    move || ssr_text(format(&value.try_get().unwrap_or_else(|| first.clone())))
}

/// Text for the two places Leptos 0.8 writes unescaped during server rendering: `<textarea>`
/// children and leptos_meta's `<Title>` (security.md §1.7). A value holding
/// `</textarea><script>` or `</title><script>` would break out of its element, so it is
/// escaped there; the browser decodes it back to the same text. In an island hydrating in the
/// browser (the editor's body) the text is set through the DOM and needs no escaping.
pub fn ssr_text(text: String) -> String {
    #[cfg(feature = "ssr")]
    {
        escape_html(&text)
    }
    #[cfg(not(feature = "ssr"))]
    {
        text
    }
}

#[cfg(feature = "ssr")]
fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;

    #[test]
    fn ssr_text_cannot_close_the_element() {
        assert_eq!(
            ssr_text("</textarea><script>alert(1)</script> & co".into()),
            "&lt;/textarea&gt;&lt;script&gt;alert(1)&lt;/script&gt; &amp; co"
        );
    }
}
