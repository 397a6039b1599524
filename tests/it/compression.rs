//! Compressed answers (issue 33): the page cache keeps a page in gzip once and splices each
//! reader's nonce in; what it does not keep is compressed as it goes; answers carrying the API
//! token never are (BREACH). Each decodes to the very page an uncompressed request gets.

use crate::common;

use std::io::Read;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::{TestApp, TestResponse};
use serde_json::json;

async fn fetch(
    app: &TestApp,
    path: &str,
    encodings: &str,
    cookie: Option<&str>,
    token: Option<&str>,
) -> TestResponse {
    let mut request = Request::get(path)
        .header(header::ACCEPT, "text/html")
        .header(header::ACCEPT_ENCODING, encodings);
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, format!("Token {token}"));
    }
    app.send(request.body(Body::empty()).expect("request"))
        .await
}

/// The body as the client reads it, decoded by its `Content-Encoding`.
fn decoded(answer: &TestResponse) -> String {
    let mut out = Vec::new();
    match answer.header("content-encoding") {
        Some("gzip") => {
            flate2::read::GzDecoder::new(&answer.raw[..])
                .read_to_end(&mut out)
                .expect("gzip");
        }
        Some("br") => {
            brotli::Decompressor::new(&answer.raw[..], 4096)
                .read_to_end(&mut out)
                .expect("brotli");
        }
        None => out = answer.raw.to_vec(),
        Some(other) => panic!("unexpected encoding {other}"),
    }
    String::from_utf8(out).expect("utf-8")
}

/// The nonce of the answer's CSP header.
fn nonce(answer: &TestResponse) -> String {
    let csp = answer.header("content-security-policy").expect("a CSP");
    let start = csp.find("'nonce-").expect("a nonce") + "'nonce-".len();
    csp[start..start + csp[start..].find('\'').expect("end")].to_owned()
}

/// The decoded page with its own nonce written `N`.
fn without_nonce(answer: &TestResponse) -> String {
    decoded(answer).replace(&nonce(answer), "N")
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
    let mut seen = vec![nonce(&identity)];
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
        assert_eq!(without_nonce(&answer), without_nonce(&identity));
        let page = decoded(&answer);
        assert!(page.contains(&format!("nonce=\"{}\"", nonce(&answer))));
        for other in &seen {
            assert!(!page.contains(other.as_str()), "another answer's nonce");
        }
        seen.push(nonce(&answer));
    }
    // The API's lists too.
    let plain = fetch(&app, "/api/articles", "identity", None, None).await;
    assert!(plain.raw.len() > 1024, "{plain:?}");
    let zipped = fetch(&app, "/api/articles", "gzip", None, None).await;
    assert_eq!(zipped.header("content-encoding"), Some("gzip"));
    assert_eq!(decoded(&zipped), plain.body);
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
        assert_eq!(without_nonce(&answer), without_nonce(&identity));
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
