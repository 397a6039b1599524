//! The address registry (`quire::routes`) against what the server really answers.

use std::collections::BTreeSet;

use leptos_axum::generate_route_list;
use quire::app::App;
use quire::routes;

use crate::common::TestApp;

#[tokio::test]
async fn the_page_table_is_the_registry() {
    // Building the router first sets up the executor that listing the routes renders with.
    let _app = TestApp::new().await;
    let listed: BTreeSet<String> = generate_route_list(App)
        .iter()
        .map(|route| route.path().to_owned())
        .collect();
    let registered: BTreeSet<String> = routes::PAGES.iter().map(|p| p.path.to_owned()).collect();
    assert_eq!(listed, registered);
    assert_eq!(registered.len(), routes::PAGES.len(), "a page twice");
}

#[tokio::test]
async fn every_page_of_the_registry_answers() {
    let app = TestApp::new().await;
    let token = app.api_user("ada").await;
    let slug = app.api_article(&token, "Hello registry", &["rust"]).await;
    for page in routes::PAGES {
        let path = page
            .path
            .replace("{slug}", &slug)
            .replace("{tag}", "rust")
            .replace("{username}", "ada")
            .replace("{name}", "users");
        let response = app.get(&path, None).await;
        // Each is a page of the app: an answer, a redirect to sign in, or a refusal, but
        // never the 404 of an address the app does not know.
        assert_ne!(response.status.as_u16(), 404, "{path}: {response:?}");
    }
}
