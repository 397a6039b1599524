//! What pages and components share of the page being rendered (shared): who is signed in
//! (`Auth`), the HTTP status of the answer (`set_status`), the error page (`error_view`) and
//! the `page` query parameter (`page_param`).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::error::AppError;
use crate::model::user::SessionUser;
use crate::routes;
use crate::server::user::current_user;

/// Who is signed in, loaded once per page. Pages render on the server only, and every
/// change of who is signed in (sign in, sign out, settings) ends in a new page load.
#[derive(Clone, Copy)]
pub struct Auth {
    pub user: Resource<Result<Option<SessionUser>, AppError>>,
}

impl Auth {
    /// Loads who is signed in and provides it to the page (`app::App` does, once).
    pub fn provide() -> Self {
        let auth = Self {
            user: Resource::new(|| (), |_| current_user()),
        };
        provide_context(auth);
        auth
    }

    /// The signed-in user once loaded; `None` when signed out or when it could not be read.
    pub async fn signed_in(&self) -> Option<SessionUser> {
        self.user.await.ok().flatten()
    }
}

/// Sets the HTTP status of the page being rendered on the server (404, 403...), with the
/// headers that go with it (`Retry-After` on 429).
pub fn set_status(error: &AppError) {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(error.status());
        let mut headers = axum::http::HeaderMap::new();
        error.add_headers(&mut headers);
        for (name, value) in headers {
            if let Some(name) = name {
                response.insert_header(name, value);
            }
        }
    }
    #[cfg(not(feature = "ssr"))]
    let _ = error;
}

/// The `page` query parameter: 1 when absent or empty, 0 when it is not a whole number that
/// fits (`-1`, `abc`, `99999999999999999999`), which the list refuses with a 422 that says
/// what a page may be, rather than quietly showing page 1.
pub fn page_param() -> Signal<u32> {
    let query = use_query_map();
    Signal::derive(move || {
        query.read().get("page").map_or(1, |p| match p.trim() {
            "" => 1,
            text => text.parse().unwrap_or(0),
        })
    })
}

/// The page shown when a page's content cannot be had: not found, forbidden, an error. The
/// caller sets the HTTP status.
#[component]
pub fn ErrorPage(error: AppError) -> impl IntoView {
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
            <a class="btn btn-primary" href=routes::HOME>
                "Back to the home page"
            </a>
        </div>
    }
}

/// `ErrorPage` for `error`, served with the error's HTTP status: what a page shows when what it
/// loads fails.
pub fn error_view(error: AppError) -> AnyView {
    set_status(&error);
    view! { <ErrorPage error /> }.into_any()
}
