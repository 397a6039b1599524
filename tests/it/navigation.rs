//! The navigation layer (issue 34, `src/navigation.js`): its script is a fingerprinted file
//! every reader keeps, signed in too, and a page fetched in place (`x-quire-navigation`) is the
//! very page a document load gets, so the page cache's key (viewer, address) stays right.

use crate::common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::{TestApp, TestResponse};
use quire::http::STATUS_HEADER;
use quire::navigation;

/// `path` as a document load asks for it, or (`in_place`) as the navigation layer's fetch.
async fn get(
    app: &TestApp,
    path: &str,
    encodings: &str,
    cookie: Option<&str>,
    in_place: bool,
) -> TestResponse {
    let layer: &[(&str, &str)] = &[
        (navigation::HEADER, "1"),
        ("sec-fetch-mode", "cors"),
        ("sec-fetch-site", "same-origin"),
        ("sec-fetch-dest", "empty"),
    ];
    app.get_as(path, encodings, cookie, if in_place { layer } else { &[] })
        .await
}

#[tokio::test]
async fn every_page_names_the_layer_with_its_own_nonce_and_the_script_is_kept_a_year() {
    let app = TestApp::new().await;
    let cookie = app.register("alice").await;
    let path = navigation::script_path();
    for viewer in [None, Some(cookie.as_str())] {
        let page = get(&app, "/", "identity", viewer, false).await;
        let tag = format!(
            r#"<script type="module" src="{path}" nonce="{}"></script>"#,
            page.nonce()
        );
        assert!(page.body.contains(&tag), "{}", page.body);

        for (accepts, encoding) in [
            ("identity", None),
            ("gzip", Some("gzip")),
            ("gzip, deflate, br", Some("br")),
        ] {
            let script = get(&app, &path, accepts, viewer, false).await;
            assert_eq!(script.status, StatusCode::OK);
            assert_eq!(
                script.header("cache-control"),
                Some("public, max-age=31536000, immutable"),
                "signed in: {}",
                viewer.is_some()
            );
            assert_eq!(
                script.header("content-type"),
                Some("text/javascript; charset=utf-8")
            );
            assert_eq!(script.header("vary"), Some("accept-encoding"));
            assert_eq!(script.header("content-encoding"), encoding);
            assert_eq!(script.decoded(), navigation::SOURCE);
        }
    }
    // Compressed, the layer is a few KB.
    let br = get(&app, &path, "br", None, false).await;
    assert!(br.raw.len() < 5_000, "{} bytes in brotli", br.raw.len());
    // Another build's name is not this one: no such file.
    let stale = get(
        &app,
        "/pkg/navigation.0123456789abcdef.js",
        "br",
        None,
        false,
    )
    .await;
    assert_eq!(stale.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_page_fetched_in_place_is_the_page_a_document_load_gets() {
    let app = TestApp::with_config(|c| c.cache_status_header = true).await;
    let token = app.api_user("writer").await;
    let slug = app.api_article(&token, "Swapped In", &["place"]).await;
    let cookie = app.register("reader").await;
    let article = format!("/article/{slug}");
    for viewer in [None, Some(cookie.as_str())] {
        for path in [
            "/",
            article.as_str(),
            "/tag/place",
            "/search?q=swapped",
            "/nowhere",
        ] {
            let in_place = get(&app, path, "gzip, br", viewer, true).await;
            let document = get(&app, path, "gzip, br", viewer, false).await;
            assert_eq!(in_place.status, document.status, "{path}");
            assert_eq!(in_place.without_nonce(), document.without_nonce(), "{path}");
            // The header changes nothing in the answer, so the cache does not vary on it.
            let vary = in_place.header("vary").unwrap_or_default();
            assert!(!vary.contains(navigation::HEADER), "{path}: {vary}");
            // A full document, not a fragment.
            let page = document.decoded();
            assert!(page.starts_with("<!DOCTYPE html>"), "{path}");
            assert!(page.contains(r#"<main id="main" tabindex="-1">"#), "{path}");
            assert!(
                page.contains(r#"<div id="announcer" aria-live="polite" aria-atomic="true" class="visually-hidden"></div>"#),
                "{path}"
            );
        }
    }
    // In place first: the document load of the same address after it is the kept full page.
    let fresh = format!("/tag/place?page=1&n={}", 7);
    let first = get(&app, &fresh, "identity", None, true).await;
    assert_eq!(first.header(STATUS_HEADER), Some("miss"));
    let then = get(&app, &fresh, "identity", None, false).await;
    assert_eq!(then.header(STATUS_HEADER), Some("hit"));
    assert_eq!(then.without_nonce(), first.without_nonce());
    assert!(then.body.contains("<html"));
}

/// Every form a page renders is sent in place by the navigation layer, or opted out of it with
/// a reason (`data-reload="<why>"`): walked over the pages as each kind of viewer sees them.
/// The rule is the layer's own (`onSubmit` in `navigation.js`): a GET to a page, or a POST,
/// not multipart, to a server function (`/rpc/…`) or a page.
#[tokio::test]
async fn every_form_is_sent_in_place_or_opted_out_with_a_reason() {
    let app = TestApp::new().await;
    let token = app.api_user("author").await;
    let slug = app
        .api_article(&token, "Forms Everywhere", &["forms"])
        .await;
    let comment = app
        .api(
            "POST",
            &format!("/api/articles/{slug}/comments"),
            Some(&token),
            Some(serde_json::json!({"comment": {"body": "A comment"}})),
        )
        .await;
    assert_eq!(comment.status, StatusCode::CREATED, "{comment:?}");
    let author = app.login("author").await;
    let reader = app.register("reader").await;
    app.register("boss").await;
    app.promote("boss").await;
    let boss = app.login("boss").await;

    let article = format!("/article/{slug}");
    let editor = format!("/editor/{slug}");
    let anonymous = [
        "/",
        "/login",
        "/register",
        article.as_str(),
        "/profile/author",
        "/tag/forms",
        "/search?q=forms",
        "/nowhere",
    ];
    let mine = [
        "/",
        "/settings",
        "/editor",
        editor.as_str(),
        article.as_str(),
        "/profile/author",
        "/profile/author/favorites",
    ];
    let theirs = [article.as_str(), "/profile/author"];
    let admin = ["/admin", "/admin/tables/articles", "/admin/tables/users"];
    let mut seen = 0;
    for (cookie, paths) in [
        (None, &anonymous[..]),
        (Some(author.as_str()), &mine[..]),
        (Some(reader.as_str()), &theirs[..]),
        (Some(boss.as_str()), &admin[..]),
    ] {
        for path in paths {
            let page = app.get(path, cookie).await;
            for form in forms(&page.body) {
                seen += 1;
                let attr = |name: &str| attribute(form, name);
                if let Some(reason) = attr("data-reload") {
                    assert!(
                        !reason.trim().is_empty(),
                        "{path}: {form} opts out without a reason"
                    );
                    continue;
                }
                let method = attr("method")
                    .unwrap_or_else(|| "get".into())
                    .to_lowercase();
                let action = attr("action").unwrap_or_else(|| (*path).to_owned());
                let target = action.split(['?', '#']).next().unwrap_or_default();
                let page_address = quire::routes::PAGES
                    .iter()
                    .any(|p| quire::routes::matches(p.path, target));
                let in_place = match method.as_str() {
                    "get" => page_address,
                    "post" => {
                        attr("enctype").is_none_or(|e| e != "multipart/form-data")
                            && (target.starts_with("/rpc/") || page_address)
                    }
                    _ => false,
                };
                assert!(
                    in_place,
                    "{path}: {form} is neither sent in place nor opted out"
                );
            }
        }
    }
    // The walk met the forms there are: search, sign in and up, settings and sign out, the
    // editor, comments and their deletion, favorite, follow, delete, the admin's.
    assert!(seen >= 20, "only {seen} forms");
}

/// The opening tags of the `<form>`s of `html`.
fn forms(html: &str) -> Vec<&str> {
    html.match_indices("<form")
        .filter_map(|(at, _)| html[at..].find('>').map(|end| &html[at..=at + end]))
        .collect()
}

/// The value of attribute `name` in an opening tag (`name="value"`), if present.
fn attribute(tag: &str, name: &str) -> Option<String> {
    let key = format!(" {name}=\"");
    let start = tag.find(&key)? + key.len();
    let end = start + tag[start..].find('"')?;
    Some(tag[start..end].to_owned())
}

/// A form the layer posts in place is checked like a plain post (issue 35): sent as the layer
/// sends it (fetch: `Accept: text/html`, the page as Referer, Fetch Metadata, the header) it is
/// answered with the redirect back to its page; the same request from another site is refused
/// before it acts.
#[tokio::test]
async fn a_post_sent_in_place_is_refused_from_another_site_like_any_post() {
    use leptos::server_fn::ServerFn;
    use quire::server::comment::AddComment;
    let app = TestApp::new().await;
    let token = app.api_user("writer").await;
    let slug = app.api_article(&token, "Posted To", &[]).await;
    let cookie = app.register("reader").await;
    let page = format!("/article/{slug}");
    let post = |site: &'static str, origin: String, body: &'static str| {
        Request::post(AddComment::PATH)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ACCEPT, "text/html")
            .header(header::COOKIE, &cookie)
            .header(navigation::HEADER, "1")
            .header("sec-fetch-site", site)
            .header("sec-fetch-mode", "cors")
            .header(header::ORIGIN, origin.clone())
            .header(header::REFERER, format!("{origin}{page}"))
            .body(Body::from(format!("slug={slug}&body={body}")))
            .expect("request")
    };
    let refused = app
        .send(post(
            "cross-site",
            "https://evil.test".into(),
            "From+elsewhere",
        ))
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{refused:?}");
    let sent = app
        .send(post("same-origin", common::ORIGIN.into(), "From+here"))
        .await;
    assert!(sent.status.is_redirection(), "{sent:?}");
    assert_eq!(
        sent.header("location"),
        Some(format!("{}{page}", common::ORIGIN).as_str())
    );
    let comments = app
        .api("GET", &format!("/api/articles/{slug}/comments"), None, None)
        .await
        .json();
    let bodies: Vec<&str> = comments["comments"]
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|c| c["body"].as_str())
        .collect();
    assert_eq!(bodies, ["From here"]);
}
