//! The page for any unknown address, served with HTTP status 404.

use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn NotFoundPage() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Page not found" />
        <div class="container page not-found-page">
            <h1>"Page not found"</h1>
            <p>"There is nothing at this address. It may have moved, or never existed."</p>
            <a class="btn btn-primary" href="/">
                "Back to the home page"
            </a>
        </div>
    }
}
