//! The HTML shell and the page table (shared); what pages share is in `context`, their
//! addresses in `routes`.

use leptos::prelude::*;
use leptos_meta::{HashedStylesheet, MetaTags, Title, provide_meta_context};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{SsrMode, path};

use crate::components::nav::{Footer, Navbar};
use crate::context::Auth;
use crate::pages::admin::{AdminPage, AdminTablePage};
use crate::pages::article::ArticlePage;
use crate::pages::editor::EditorPage;
use crate::pages::home::{HomePage, TagPage};
use crate::pages::login::LoginPage;
use crate::pages::not_found::NotFoundPage;
use crate::pages::profile::{FavoritesPage, ProfilePage};
use crate::pages::register::RegisterPage;
use crate::pages::search::SearchPage;
use crate::pages::settings::SettingsPage;

/// The document around every page; rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="description" content="Quire: a fast, secure blog." />
                <link rel="icon" type="image/svg+xml" href="/favicon.svg" />
                // The styles, the loader and the wasm under their fingerprinted names.
                <HashedStylesheet options=options.clone() id="leptos" />
                <AutoReload options=options.clone() />
                <HydrationScripts options islands=true />
                // Follows links and GET forms in place once the page has hydrated.
                <script
                    type="module"
                    src=crate::navigation::script_path()
                    nonce=leptos::nonce::use_nonce()
                ></script>
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    Auth::provide();

    // Every route renders completely before the first byte is sent, so the status code is
    // right (404, 403...) and the page works without JavaScript.
    view! {
        <Title formatter=|title: String| format!("{title} · Quire") />
        <Router>
            <Navbar />
            // Focused after a page is swapped in place (`navigation.js`), never in the tab order.
            <main id="main" tabindex="-1">
                <Routes fallback=|| view! { <NotFoundPage /> }>
                    <Route path=path!("/") view=HomePage ssr=SsrMode::Async />
                    <Route path=path!("/login") view=LoginPage ssr=SsrMode::Async />
                    <Route path=path!("/register") view=RegisterPage ssr=SsrMode::Async />
                    <Route path=path!("/settings") view=SettingsPage ssr=SsrMode::Async />
                    <Route path=path!("/article/:slug") view=ArticlePage ssr=SsrMode::Async />
                    <Route path=path!("/editor") view=EditorPage ssr=SsrMode::Async />
                    <Route path=path!("/editor/:slug") view=EditorPage ssr=SsrMode::Async />
                    <Route path=path!("/tag/:tag") view=TagPage ssr=SsrMode::Async />
                    <Route path=path!("/search") view=SearchPage ssr=SsrMode::Async />
                    <Route path=path!("/admin") view=AdminPage ssr=SsrMode::Async />
                    <Route
                        path=path!("/admin/tables/:name")
                        view=AdminTablePage
                        ssr=SsrMode::Async
                    />
                    <Route path=path!("/profile/:username") view=ProfilePage ssr=SsrMode::Async />
                    <Route
                        path=path!("/profile/:username/favorites")
                        view=FavoritesPage
                        ssr=SsrMode::Async
                    />
                </Routes>
            </main>
            <Footer />
            // The navigation layer says each page swapped in place here, for screen readers.
            <div id="announcer" class="visually-hidden" aria-live="polite" aria-atomic="true"></div>
        </Router>
    }
}
