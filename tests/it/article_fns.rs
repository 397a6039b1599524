//! Router tests for the article, favorite, comment, profile and tag server functions, and for
//! the pages that show them: success, 401 signed out, 4xx on bad input, 403 on another
//! user's item, 403 cross-site; plus the XSS title on every page that shows a title.

use crate::common;

use axum::http::StatusCode;
use common::TestApp;
use quire::server::article::{
    DeleteArticle, FavoriteArticle, ListArticles, PreviewMarkdown, SaveArticle,
};
use quire::server::comment::{AddComment, DeleteComment, ListComments};
use quire::server::profile::{FollowProfile, GetProfile};
use quire::server::tag::PopularTags;

const CROSS_SITE: &[(&str, &str)] = &[
    ("origin", "https://evil.test"),
    ("sec-fetch-site", "cross-site"),
];
const XSS_TITLE: &str = "</title></textarea><script>window.__x=1</script>";

/// Publishes an article as the holder of `cookie`; returns its slug.
async fn publish(app: &TestApp, cookie: &str, title: &str, tags: &str) -> String {
    let response = app
        .call::<SaveArticle>(
            &[
                ("slug", ""),
                ("title", title),
                ("description", "A description"),
                ("body", "Some **bold** words."),
                ("tags", tags),
                ("tag_input", ""),
            ],
            Some(cookie),
        )
        .await;
    assert_eq!(response.status, StatusCode::OK, "{response:?}");
    response.json().as_str().expect("the slug").to_owned()
}

#[tokio::test]
async fn publishing_needs_a_session_valid_fields_and_the_same_origin() {
    let app = TestApp::new().await;
    let form = [
        ("slug", ""),
        ("title", "T"),
        ("description", "D"),
        ("body", "B"),
        ("tags", ""),
        ("tag_input", ""),
    ];
    assert_eq!(
        app.call::<SaveArticle>(&form, None).await.status,
        StatusCode::UNAUTHORIZED
    );
    let cookie = app.register("alice").await;
    assert_eq!(
        app.call_from::<SaveArticle>(&form, Some(&cookie), CROSS_SITE)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let mut blank = form;
    blank[1] = ("title", " ");
    let response = app.call::<SaveArticle>(&blank, Some(&cookie)).await;
    assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(response.json()["Validation"]["title"][0], "can't be blank");
    let slug = publish(&app, &cookie, "Hello World", "Rust, web dev").await;
    assert_eq!(slug, "hello-world");

    let page = app.get("/article/hello-world", None).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("<strong>bold</strong>"), "{}", page.body);
    assert!(page.body.contains("rust") && page.body.contains("web dev"));
}

#[tokio::test]
async fn only_the_author_may_save_or_delete_an_article() {
    let app = TestApp::new().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let slug = publish(&app, &alice, "Mine", "").await;
    let edit = [
        ("slug", slug.as_str()),
        ("title", "Stolen"),
        ("description", "D"),
        ("body", "B"),
        ("tags", ""),
        ("tag_input", ""),
    ];
    assert_eq!(
        app.call::<SaveArticle>(&edit, Some(&bob)).await.status,
        StatusCode::FORBIDDEN
    );
    let delete = [("slug", slug.as_str())];
    assert_eq!(
        app.call::<DeleteArticle>(&delete, Some(&bob)).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.call::<DeleteArticle>(&delete, None).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.call_from::<DeleteArticle>(&delete, Some(&alice), CROSS_SITE)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    // The editor page says the same with HTTP statuses.
    assert_eq!(
        app.get(&format!("/editor/{slug}"), Some(&bob)).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.get("/editor/no-such-article", Some(&alice))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(&format!("/editor/{slug}"), Some(&alice))
            .await
            .status,
        StatusCode::OK
    );
    assert!(app.get("/editor", None).await.status.is_redirection());

    assert!(
        app.call::<DeleteArticle>(&delete, Some(&alice))
            .await
            .status
            .is_success()
    );
    assert_eq!(
        app.get(&format!("/article/{slug}"), None).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn favorites_need_a_session_and_are_idempotent() {
    let app = TestApp::new().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let slug = publish(&app, &alice, "Liked", "").await;
    let on = [("slug", slug.as_str()), ("favorite", "true")];
    assert_eq!(
        app.call::<FavoriteArticle>(&on, None).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.call_from::<FavoriteArticle>(&on, Some(&bob), CROSS_SITE)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    for _ in 0..2 {
        let response = app.call::<FavoriteArticle>(&on, Some(&bob)).await;
        assert_eq!(response.status, StatusCode::OK);
        assert_eq!(response.json()["favorites_count"], 1);
        assert_eq!(response.json()["favorited"], true);
    }
    let off = [("slug", slug.as_str()), ("favorite", "false")];
    assert_eq!(
        app.call::<FavoriteArticle>(&off, Some(&bob)).await.json()["favorites_count"],
        0
    );
    let missing = [("slug", "nope"), ("favorite", "true")];
    assert_eq!(
        app.call::<FavoriteArticle>(&missing, Some(&bob))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let bad = [("slug", slug.as_str()), ("favorite", "maybe")];
    assert_eq!(
        app.call::<FavoriteArticle>(&bad, Some(&bob)).await.status,
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn comments_follow_their_rules_through_the_router() {
    let app = TestApp::new().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let carol = app.register("carol").await;
    let slug = publish(&app, &alice, "Talk", "").await;
    let form = [("slug", slug.as_str()), ("body", "Nice one <b>really</b>")];
    assert_eq!(
        app.call::<AddComment>(&form, None).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.call_from::<AddComment>(&form, Some(&bob), CROSS_SITE)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let empty = [("slug", slug.as_str()), ("body", "  ")];
    assert_eq!(
        app.call::<AddComment>(&empty, Some(&bob)).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let added = app.call::<AddComment>(&form, Some(&bob)).await;
    assert_eq!(added.status, StatusCode::OK);
    let id = added.json()["id"].as_i64().unwrap().to_string();

    let listed = app
        .call::<ListComments>(&[("slug", slug.as_str())], None)
        .await;
    assert_eq!(listed.json()["items"][0]["body"], "Nice one <b>really</b>");
    // Shown as text on the page.
    let page = app.get(&format!("/article/{slug}"), None).await;
    assert!(
        page.body.contains("Nice one &lt;b&gt;really&lt;/b&gt;"),
        "{}",
        page.body
    );

    let delete = [("slug", slug.as_str()), ("id", id.as_str())];
    assert_eq!(
        app.call::<DeleteComment>(&delete, Some(&carol))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.call::<DeleteComment>(&delete, None).await.status,
        StatusCode::UNAUTHORIZED
    );
    // The article's author may delete it.
    assert!(
        app.call::<DeleteComment>(&delete, Some(&alice))
            .await
            .status
            .is_success()
    );
    assert_eq!(
        app.call::<DeleteComment>(&delete, Some(&alice))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn follows_profiles_and_your_feed() {
    let app = TestApp::new().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    publish(&app, &alice, "By Alice", "").await;
    let follow = [("username", "alice"), ("follow", "true")];
    assert_eq!(
        app.call::<FollowProfile>(&follow, None).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.call_from::<FollowProfile>(&follow, Some(&bob), CROSS_SITE)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let response = app.call::<FollowProfile>(&follow, Some(&bob)).await;
    assert_eq!(response.json()["following"], true);
    let me = [("username", "bob"), ("follow", "true")];
    assert_eq!(
        app.call::<FollowProfile>(&me, Some(&bob)).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let nobody = [("username", "nobody"), ("follow", "true")];
    assert_eq!(
        app.call::<FollowProfile>(&nobody, Some(&bob)).await.status,
        StatusCode::NOT_FOUND
    );

    let profile = app
        .call::<GetProfile>(&[("username", "alice")], Some(&bob))
        .await;
    assert_eq!(profile.json()["following"], true);
    assert_eq!(
        app.call::<GetProfile>(&[("username", "nobody")], None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    let feed = [("kind", "following"), ("name", ""), ("page", "1")];
    assert_eq!(
        app.call::<ListArticles>(&feed, None).await.status,
        StatusCode::UNAUTHORIZED
    );
    let mine = app.call::<ListArticles>(&feed, Some(&bob)).await;
    assert_eq!(mine.json()["total"], 1);
    assert_eq!(mine.json()["items"][0]["title"], "By Alice");
    let unknown = [("kind", "everything"), ("name", ""), ("page", "1")];
    assert_eq!(
        app.call::<ListArticles>(&unknown, None).await.status,
        StatusCode::BAD_REQUEST
    );
    let page_zero = [("kind", "global"), ("name", ""), ("page", "0")];
    assert_eq!(
        app.call::<ListArticles>(&page_zero, None).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );

    let page = app.get("/profile/alice", Some(&bob)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Unfollow alice"), "{}", page.body);
    assert!(page.body.contains("By Alice"));
    assert_eq!(
        app.get("/profile/nobody", None).await.status,
        StatusCode::NOT_FOUND
    );
    let home = app.get("/?feed=following", Some(&bob)).await;
    assert!(home.body.contains("By Alice"));
}

#[tokio::test]
async fn the_home_page_lists_paginates_and_shows_popular_tags() {
    let app = TestApp::new().await;
    let alice = app.register("alice").await;
    for i in 0..11 {
        publish(&app, &alice, &format!("Post {i}"), "rust").await;
    }
    let home = app.get("/", None).await;
    assert!(
        home.body.contains("Post 10") && !home.body.contains(">Post 0<"),
        "{}",
        home.body
    );
    assert!(home.body.contains("class=\"pagination\""));
    let second = app.get("/?page=2", None).await;
    assert!(second.body.contains(">Post 0<"));
    let tags = app.call::<PopularTags>(&[], None).await;
    assert_eq!(tags.json(), serde_json::json!(["rust"]));
    let tag_page = app.get("/tag/rust", None).await;
    assert!(tag_page.body.contains("Post 10"));
}

#[tokio::test]
async fn the_preview_is_sanitised() {
    let app = TestApp::new().await;
    let cookie = app.register("alice").await;
    let response = app
        .call::<PreviewMarkdown>(&[("body", "*hi* <script>alert(1)</script>")], Some(&cookie))
        .await;
    assert_eq!(response.status, StatusCode::OK);
    let html = response.json().as_str().unwrap().to_owned();
    assert!(
        html.contains("<em>hi</em>") && !html.contains("<script"),
        "{html}"
    );
}

#[tokio::test]
async fn a_hostile_title_is_text_on_every_page() {
    let app = TestApp::new().await;
    let alice = app.register("alice").await;
    let slug = publish(&app, &alice, XSS_TITLE, "").await;
    for path in [
        format!("/article/{slug}"),
        format!("/editor/{slug}"),
        "/".to_owned(),
        "/profile/alice".to_owned(),
    ] {
        let page = app.get(&path, Some(&alice)).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        assert!(
            !page.body.contains("<script>window.__x=1</script>"),
            "{path}: {}",
            page.body
        );
        assert!(!page.body.contains("</title></textarea><script>"), "{path}");
        assert!(
            page.body
                .contains("&lt;script&gt;window.__x=1&lt;/script&gt;"),
            "{path}"
        );
    }
}

/// security.md §0b: rendering is the costliest thing a request can ask for, and the preview
/// asked it of anyone. It needs a session now, and counts against a limit of its own, per
/// client address and per account.
#[tokio::test]
async fn the_preview_needs_a_session_and_is_rate_limited() {
    let app = TestApp::with_config(|c| c.previews_per_minute = 3).await;
    let signed_out = app.call::<PreviewMarkdown>(&[("body", "*hi*")], None).await;
    assert_eq!(signed_out.status, StatusCode::UNAUTHORIZED);
    let cookie = app.register("alice").await;
    for _ in 0..3 {
        let response = app
            .call::<PreviewMarkdown>(&[("body", "*hi*")], Some(&cookie))
            .await;
        assert_eq!(response.status, StatusCode::OK, "{response:?}");
    }
    let limited = app
        .call::<PreviewMarkdown>(&[("body", "*hi*")], Some(&cookie))
        .await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(limited.header("retry-after").is_some());
    // Writing is a budget of its own.
    let form = [
        ("slug", ""),
        ("title", "Still"),
        ("description", "d"),
        ("body", "*hi*"),
        ("tags", ""),
        ("tag_input", ""),
    ];
    let saved = app.call::<SaveArticle>(&form, Some(&cookie)).await;
    assert!(
        saved.status.is_success() || saved.status.is_redirection(),
        "{saved:?}"
    );
}
