//! The navigation bar and the footer.

use leptos::prelude::*;
use leptos_router::hooks::use_location;

use crate::components::avatar_url;
use crate::context::Auth;
use crate::model::user::SessionUser;
use crate::routes;

/// A `.nav-link` that is marked active on its own page.
#[component]
fn NavLink(href: &'static str, children: Children) -> impl IntoView {
    let location = use_location();
    let active = move || location.pathname.get() == href;
    view! {
        <li class="nav-item">
            <a
                class="nav-link"
                class:active=active
                aria-current=move || active().then_some("page")
                href=href
            >
                {children()}
            </a>
        </li>
    }
}

#[component]
pub fn Navbar() -> impl IntoView {
    let auth = expect_context::<Auth>();
    let signed_in = move || auth.user.get().and_then(Result::ok).flatten();
    view! {
        <a class="skip-link" href="#main">
            "Skip to content"
        </a>
        <nav class="navbar navbar-light" aria-label="Main">
            <div class="container">
                <a class="navbar-brand" href=routes::HOME>
                    "quire"
                </a>
                <form class="nav-search" method="get" action=routes::SEARCH role="search">
                    <input
                        class="form-control"
                        type="search"
                        name="q"
                        placeholder="Search"
                        aria-label="Search articles and authors"
                    />
                </form>
                <ul class="nav navbar-nav pull-xs-right">
                    <NavLink href=routes::HOME>"Home"</NavLink>
                    <Transition fallback=|| ()>
                        {move || match signed_in() {
                            Some(user) => view! { <SignedInLinks user /> }.into_any(),
                            None => view! { <SignedOutLinks /> }.into_any(),
                        }}
                    </Transition>
                </ul>
            </div>
        </nav>
    }
}

#[component]
fn SignedOutLinks() -> impl IntoView {
    view! {
        <NavLink href=routes::LOGIN>"Sign in"</NavLink>
        <NavLink href=routes::REGISTER>"Sign up"</NavLink>
    }
}

#[component]
fn SignedInLinks(user: SessionUser) -> impl IntoView {
    let profile = routes::profile(&user.username);
    view! {
        <NavLink href=routes::EDITOR>
            <i class="ion-compose"></i>
            " New Article"
        </NavLink>
        <NavLink href=routes::SETTINGS>
            <i class="ion-gear-a"></i>
            " Settings"
        </NavLink>
        {user.is_admin.then(|| view! { <NavLink href=routes::ADMIN>"Admin"</NavLink> })}
        <li class="nav-item">
            <a class="nav-link" href=profile>
                <img class="user-pic" src=avatar_url(user.image.as_deref()) alt="" />
                {user.username}
            </a>
        </li>
    }
}

#[component]
pub fn Footer() -> impl IntoView {
    view! {
        <footer>
            <div class="container">
                <a href=routes::HOME class="logo-font">
                    "quire"
                </a>
                <span class="attribution">
                    "A fast, secure blog written in Rust. Code and design licensed under MIT."
                </span>
            </div>
        </footer>
    }
}
