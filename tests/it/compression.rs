//! Compressed answers (issue 33): the page cache keeps a page in gzip once and splices each
//! reader's nonce in; what it does not keep is compressed as it goes; answers carrying the API
//! token never are (BREACH). Each decodes to the very page an uncompressed request gets.

use crate::common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::{TestApp, TestResponse};
use serde_json::json;

/// `path` as a browser accepting `encodings` asks for it, with the API token if any.
async fn fetch(
    app: &TestApp,
    path: &str,
    encodings: &str,
    cookie: Option<&str>,
    token: Option<&str>,
) -> TestResponse {
    let authorization = token.map(|t| format!("Token {t}"));
    let extra: Vec<(&str, &str)> = authorization
        .iter()
        .map(|a| ("authorization", a.as_str()))
        .collect();
    app.get_as(path, encodings, cookie, &extra).await
}

#[tokio::test]
async fn a_kept_page_is_sent_in_gzip_with_each_readers_nonce() {
    let app = TestApp::new().await;
    let token = app.api_user("alice").await;
    for i in 0..6 {
        app.api_article(&token, &format!("Compressed {i}"), &["x"])
            .await;
    }
    let identity = fetch(&app, "/", "identity", None, None).await;
    assert_eq!(identity.header("content-encoding"), None);
    assert_eq!(identity.header("vary"), Some("accept-encoding"));
    let mut seen = vec![identity.nonce()];
    for _ in 0..3 {
        let answer = fetch(&app, "/", "gzip, deflate, br", None, None).await;
        assert_eq!(answer.status, StatusCode::OK);
        assert_eq!(answer.header("content-encoding"), Some("gzip"));
        assert_eq!(answer.header("vary"), Some("accept-encoding"));
        assert!(
            answer.raw.len() * 2 < identity.raw.len(),
            "{} bytes of {}",
            answer.raw.len(),
            identity.raw.len()
        );
        assert_eq!(answer.without_nonce(), identity.without_nonce());
        let page = answer.decoded();
        assert!(page.contains(&format!("nonce=\"{}\"", answer.nonce())));
        for other in &seen {
            assert!(!page.contains(other.as_str()), "another answer's nonce");
        }
        seen.push(answer.nonce());
    }
    // The API's lists too.
    let plain = fetch(&app, "/api/articles", "identity", None, None).await;
    assert!(plain.raw.len() > 1024, "{plain:?}");
    let zipped = fetch(&app, "/api/articles", "gzip", None, None).await;
    assert_eq!(zipped.header("content-encoding"), Some("gzip"));
    assert_eq!(zipped.decoded(), plain.body);
}

#[tokio::test]
async fn other_answers_are_compressed_as_they_go_and_token_answers_never() {
    let app = TestApp::new().await;
    let cookie = app.register("alice").await;
    // Settings are never kept: compressed as they go, in the client's preferred coding.
    let identity = fetch(&app, "/settings", "identity", Some(&cookie), None).await;
    assert_eq!(identity.status, StatusCode::OK);
    assert_eq!(identity.header("content-encoding"), None);
    for (accepts, coding) in [("br, gzip", "br"), ("gzip", "gzip")] {
        let answer = fetch(&app, "/settings", accepts, Some(&cookie), None).await;
        assert_eq!(answer.header("content-encoding"), Some(coding));
        assert_eq!(answer.header("cache-control"), Some("no-store"));
        assert_eq!(answer.without_nonce(), identity.without_nonce());
    }
    // The answers that carry the token are sent as they are, however long.
    let token = app.api_user("bob").await;
    let bio = "A long biography. ".repeat(55);
    let update = app
        .api(
            "PUT",
            "/api/user",
            Some(&token),
            Some(json!({"user": {"bio": bio}})),
        )
        .await;
    assert_eq!(update.status, StatusCode::OK, "{update:?}");
    let user = fetch(&app, "/api/user", "br, gzip", None, Some(&token)).await;
    assert_eq!(user.status, StatusCode::OK);
    assert!(user.raw.len() > 1024 && user.body.contains(&token));
    assert_eq!(user.header("content-encoding"), None);
    let login = app
        .send(
            Request::post("/api/users/login")
                .header(header::CONTENT_TYPE, "application/json")
                .header(header::ACCEPT_ENCODING, "br, gzip")
                .body(Body::from(
                    json!({"user": {"email": "bob@example.test", "password": common::PASSWORD}})
                        .to_string(),
                ))
                .expect("request"),
        )
        .await;
    assert_eq!(login.status, StatusCode::OK, "{login:?}");
    assert!(login.raw.len() > 1024);
    assert_eq!(login.header("content-encoding"), None, "{login:?}");
    // A long answer without a token, for contrast, is compressed.
    let profile = fetch(&app, "/api/profiles/bob", "gzip", None, Some(&token)).await;
    assert_eq!(
        profile.header("content-encoding"),
        Some("gzip"),
        "{profile:?}"
    );
}
