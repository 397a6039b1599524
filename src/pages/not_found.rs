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

/// The page shown when a page's content cannot be had: not found, forbidden, an error. The
/// caller sets the HTTP status.
#[component]
pub fn ErrorPage(error: crate::error::AppError) -> impl IntoView {
    use crate::error::AppError;
    let (heading, text) = match &error {
        AppError::NotFound(_) => (
            "Page not found",
            "There is nothing at this address. It may have moved, or never existed.".to_owned(),
        ),
        AppError::Forbidden(_) => ("Not yours", "Only its author can do that.".to_owned()),
        AppError::AdminOnly => (
            "Administrators only",
            "This page is for administrators. Ask one to grant you the role.".to_owned(),
        ),
        AppError::Unauthorized => (
            "Please sign in",
            "You need to sign in to see this page.".to_owned(),
        ),
        AppError::BadRequest(message) => ("That address is not quite right", message.clone()),
        other => ("Something went wrong", other.to_string()),
    };
    view! {
        <Title text=heading />
        <div class="container page not-found-page">
            <h1>{heading}</h1>
            <p>{text}</p>
            <a class="btn btn-primary" href="/">
                "Back to the home page"
            </a>
        </div>
    }
}

/// `ErrorPage` for `error`, served with the error's HTTP status: what a page shows when what it
/// loads fails.
pub fn error_view(error: crate::error::AppError) -> AnyView {
    crate::components::article::set_status(&error);
    view! { <ErrorPage error /> }.into_any()
}
