//! Form helpers: the `.error-messages` list, the messages of an action, and safe
//! `<textarea>` text.

use leptos::prelude::*;
use leptos::server_fn::ServerFn;

use crate::error::AppError;

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

/// What a form should show: the browser's own validation messages when there are any,
/// else the messages of the server's last answer.
pub fn action_messages<S>(
    action: ServerAction<S>,
    local: RwSignal<Vec<String>>,
) -> Signal<Vec<String>>
where
    S: ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    S::Output: Clone + Send + Sync + 'static,
{
    Signal::derive(move || {
        let local = local.get();
        if !local.is_empty() {
            return local;
        }
        match action.value().get() {
            Some(Err(error)) => error.messages(),
            _ => Vec::new(),
        }
    })
}

/// Text to place inside a `<textarea>`. Leptos 0.8 writes textarea children unescaped during
/// server rendering, so a value holding `</textarea><script>` would break out of the element;
/// escape it there. In the browser the text is set through the DOM and needs no escaping.
pub fn textarea_text(text: String) -> String {
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
    fn textarea_text_cannot_close_the_element() {
        assert_eq!(
            textarea_text("</textarea><script>alert(1)</script> & co".into()),
            "&lt;/textarea&gt;&lt;script&gt;alert(1)&lt;/script&gt; &amp; co"
        );
    }
}
