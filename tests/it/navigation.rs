//! The navigation layer (issue 34, `src/navigation.js`): its script is a fingerprinted file
//! every reader keeps, signed in too, and a page fetched in place (`x-quire-navigation`) is the
//! very page a document load gets, so the page cache's key (viewer, address) stays right.

use crate::common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::{TestApp, TestResponse};
use quire::http::STATUS_HEADER;
use quire::navigation;

async fn get(
    app: &TestApp,
    path: &str,
    encodings: &str,
    cookie: Option<&str>,
    in_place: bool,
) -> TestResponse {
    let mut request = Request::get(path)
        .header(header::ACCEPT, "text/html")
        .header(header::ACCEPT_ENCODING, encodings);
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    if in_place {
        request = request
            .header(navigation::HEADER, "1")
            .header("sec-fetch-mode", "cors")
            .header("sec-fetch-site", "same-origin")
            .header("sec-fetch-dest", "empty");
    }
    app.send(request.body(Body::empty()).expect("request"))
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
