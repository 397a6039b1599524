//! Router tests for the page cache (`quire::cache`): a reading page is rendered once and then
//! served from memory, never across a write, never to another viewer, and never for tokens,
//! private pages or errors.

use crate::common;

use axum::http::StatusCode;
use common::{TestApp, TestResponse};
use quire::http::STATUS_HEADER;
use quire::server::article::FavoriteArticle;
use quire::server::user::Logout;

fn cached(response: &TestResponse) -> Option<&str> {
    response.header(STATUS_HEADER)
}

#[tokio::test]
async fn a_page_is_rendered_once_then_served_until_the_next_write() {
    let app = TestApp::new().await;
    let token = app.api_user("alice").await;
    app.api_article(&token, "Already Here", &["bread"]).await;

    let first = app.get("/", None).await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(cached(&first), Some("miss"));
    let second = app.get("/", None).await;
    assert_eq!(cached(&second), Some("hit"));
    assert_eq!(second.without_nonce(), first.without_nonce());
    assert_eq!(
        second.header("content-type"),
        first.header("content-type"),
        "the headers come back too"
    );
    // Another address is another page.
    assert_eq!(cached(&app.get("/tag/bread", None).await), Some("miss"));
    assert_eq!(cached(&app.get("/tag/bread", None).await), Some("hit"));

    // A write: every page is rendered again, and shows it.
    app.api_article(&token, "Fresh From The Oven", &["bread"])
        .await;
    let home = app.get("/", None).await;
    assert_eq!(cached(&home), Some("miss"));
    assert!(home.body.contains("Fresh From The Oven"));
    let tag = app.get("/tag/bread", None).await;
    assert_eq!(cached(&tag), Some("miss"));
    assert!(tag.body.contains("Fresh From The Oven"));

    // The API's reads the same way.
    let list = app.api("GET", "/api/articles", None, None).await;
    assert_eq!(cached(&list), Some("miss"));
    let again = app.api("GET", "/api/articles", None, None).await;
    assert_eq!(cached(&again), Some("hit"));
    assert_eq!(again.json(), list.json());
    assert_eq!(again.json()["articlesCount"], 2);
    let slug = app.api_article(&token, "Third", &[]).await;
    let after = app.api("GET", "/api/articles", None, None).await;
    assert_eq!(after.json()["articlesCount"], 3);
    assert_eq!(after.json()["articles"][0]["slug"], slug);
}

#[tokio::test]
async fn every_viewer_gets_their_own_page() {
    let app = TestApp::new().await;
    let token = app.api_user("carol").await;
    let slug = app.api_article(&token, "Shared Article", &[]).await;
    let page = format!("/article/{slug}");
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;

    let anonymous = app.get(&page, None).await;
    assert_eq!(cached(&app.get(&page, None).await), Some("hit"));
    assert!(!anonymous.body.contains("/profile/alice"));

    let for_alice = app.get(&page, Some(&alice)).await;
    assert_eq!(cached(&for_alice), Some("miss"));
    assert!(for_alice.body.contains("href=\"/profile/alice\""));
    let for_bob = app.get(&page, Some(&bob)).await;
    assert_eq!(cached(&for_bob), Some("miss"));
    assert!(for_bob.body.contains("href=\"/profile/bob\""));
    assert!(!for_bob.body.contains("/profile/alice"));
    let again = app.get(&page, Some(&alice)).await;
    assert_eq!(cached(&again), Some("hit"));
    assert_eq!(again.without_nonce(), for_alice.without_nonce());

    // Alice favorites it: her page and everyone's count change at once.
    let favorited = app
        .call::<FavoriteArticle>(&[("slug", &slug), ("favorite", "true")], Some(&alice))
        .await;
    assert_eq!(favorited.status, StatusCode::OK, "{favorited:?}");
    let hers = app.get(&page, Some(&alice)).await;
    assert_eq!(cached(&hers), Some("miss"));
    assert_ne!(hers.without_nonce(), for_alice.without_nonce());
    assert!(hers.body.contains("Unfavorite Article"), "{}", hers.body);
    let theirs = app.get(&page, Some(&bob)).await;
    assert!(theirs.body.contains("Favorite Article"));
    assert!(!theirs.body.contains("Unfavorite Article"));

    // Signed out, the old cookie gets the anonymous page, not Alice's.
    let out = app.call::<Logout>(&[], Some(&alice)).await;
    assert!(
        out.status.is_success() || out.status.is_redirection(),
        "{out:?}"
    );
    let after = app.get(&page, Some(&alice)).await;
    assert!(!after.body.contains("/profile/alice"));
}

#[tokio::test]
async fn tokens_private_pages_and_errors_are_never_cached() {
    let app = TestApp::new().await;
    let token = app.api_user("alice").await;
    app.api_article(&token, "Hello", &[]).await;
    let alice = app.login("alice").await;

    for _ in 0..2 {
        // A token's reads: the answer may carry the token's own view, so it is not kept.
        let list = app.api("GET", "/api/articles", Some(&token), None).await;
        assert_eq!(list.status, StatusCode::OK);
        assert_eq!(cached(&list), None);
        let me = app.api("GET", "/api/user", Some(&token), None).await;
        assert_eq!(cached(&me), None);
        let settings = app.get("/settings", Some(&alice)).await;
        assert_eq!(settings.status, StatusCode::OK);
        assert_eq!(cached(&settings), None);
        let missing = app.get("/article/no-such-article", None).await;
        assert_eq!(missing.status, StatusCode::NOT_FOUND);
        assert_eq!(cached(&missing), None);
        let gone = app.get("/profile/nobody", None).await;
        assert_eq!(gone.status, StatusCode::NOT_FOUND);
        assert_eq!(cached(&gone), None);
    }
}

#[tokio::test]
async fn a_zero_budget_turns_the_cache_off() {
    let app = TestApp::with_config(|c| c.page_cache_bytes = 0).await;
    for _ in 0..2 {
        let home = app.get("/", None).await;
        assert_eq!(home.status, StatusCode::OK);
        assert_eq!(cached(&home), None);
    }
}

#[tokio::test]
async fn a_remembered_session_ends_with_sign_out_everywhere() {
    let app = TestApp::new().await;
    app.register("alice").await;
    let laptop = app.login("alice").await;
    let phone = app.login("alice").await;
    // Both sessions are read (and remembered) while signed in.
    for cookie in [&laptop, &phone] {
        for _ in 0..2 {
            let home = app.get("/", Some(cookie)).await;
            assert!(home.body.contains("href=\"/profile/alice\""));
        }
    }
    let out = app
        .call::<quire::server::user::SignOutEverywhere>(&[], Some(&laptop))
        .await;
    assert!(
        out.status.is_success() || out.status.is_redirection(),
        "{out:?}"
    );
    // The phone, which did nothing, is signed out at once: on pages and server functions.
    let home = app.get("/", Some(&phone)).await;
    assert!(!home.body.contains("/profile/alice"), "{}", home.body);
    assert_eq!(app.whoami(Some(&phone)).await, None);
    assert_eq!(app.whoami(Some(&laptop)).await, None);
}
