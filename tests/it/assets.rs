//! The site's files (issue 33): fingerprinted bundle files are kept a year by every browser,
//! signed in or not, and sent precompressed to a client that accepts it; pages keep their own
//! caching rules.

use crate::common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::{TestApp, TestResponse};

const WASM: &str = "/pkg/quire.bxWWm9Dy_JSC8TZ2yM14fw.wasm";

/// A site folder holding a fingerprinted wasm file with its brotli and gzip copies (their
/// contents told apart, not really compressed: the server sends files, it does not read them),
/// an unhashed file and an icon.
fn site() -> tempfile::TempDir {
    let site = tempfile::tempdir().expect("a site folder");
    let pkg = site.path().join("pkg");
    std::fs::create_dir_all(&pkg).expect("pkg");
    let name = WASM.trim_start_matches("/pkg/");
    std::fs::write(pkg.join(name), "the wasm itself").expect("a file");
    std::fs::write(pkg.join(format!("{name}.br")), "the wasm in brotli").expect("a file");
    std::fs::write(pkg.join(format!("{name}.gz")), "the wasm in gzip").expect("a file");
    std::fs::write(pkg.join("quire.css"), "body{}").expect("a file");
    std::fs::write(site.path().join("favicon.svg"), "<svg/>").expect("a file");
    site
}

async fn fetch(
    app: &TestApp,
    path: &str,
    encodings: Option<&str>,
    cookie: Option<&str>,
) -> TestResponse {
    let mut request = Request::get(path);
    if let Some(encodings) = encodings {
        request = request.header(header::ACCEPT_ENCODING, encodings);
    }
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    app.send(request.body(Body::empty()).expect("request"))
        .await
}

#[tokio::test]
async fn a_fingerprinted_file_is_immutable_and_precompressed_signed_in_or_not() {
    let site = site();
    let app = TestApp::with_site(site.path()).await;
    let cookie = app.register("alice").await;
    for cookie in [None, Some(cookie.as_str())] {
        for (accepts, encoding, body) in [
            (Some("gzip, deflate, br"), Some("br"), "the wasm in brotli"),
            (Some("br;q=0.5, gzip"), Some("gzip"), "the wasm in gzip"),
            (Some("gzip"), Some("gzip"), "the wasm in gzip"),
            (Some("identity"), None, "the wasm itself"),
            (None, None, "the wasm itself"),
        ] {
            let answer = fetch(&app, WASM, accepts, cookie).await;
            let case = format!("{accepts:?}, signed in: {}", cookie.is_some());
            assert_eq!(answer.status, StatusCode::OK, "{case}");
            assert_eq!(
                answer.header("cache-control"),
                Some("public, max-age=31536000, immutable"),
                "{case}"
            );
            assert_eq!(answer.header("content-encoding"), encoding, "{case}");
            assert_eq!(answer.body, body, "{case}");
            assert_eq!(
                answer.header("content-type"),
                Some("application/wasm"),
                "{case}"
            );
            assert_eq!(answer.header("vary"), Some("accept-encoding"), "{case}");
            assert!(answer.header("content-security-policy").is_some(), "{case}");
        }
    }
}

#[tokio::test]
async fn other_files_are_kept_minutes_and_pages_keep_their_rules() {
    let site = site();
    let app = TestApp::with_site(site.path()).await;
    let cookie = app.register("alice").await;
    for cookie in [None, Some(cookie.as_str())] {
        for path in ["/favicon.svg", "/pkg/quire.css"] {
            let answer = fetch(&app, path, Some("br"), cookie).await;
            assert_eq!(answer.status, StatusCode::OK, "{path}");
            assert_eq!(
                answer.header("cache-control"),
                Some("public, max-age=300"),
                "{path}"
            );
        }
    }
    // A signed-in page is never stored; neither is the 404 page a missing file gets.
    let signed_in = Some(cookie.as_str());
    let home = fetch(&app, "/", None, signed_in).await;
    assert_eq!(home.status, StatusCode::OK);
    assert_eq!(home.header("cache-control"), Some("no-store"));
    let missing = fetch(
        &app,
        "/pkg/quire.AAAAAAAAAAAAAAAAAAAAAA.js",
        Some("br"),
        signed_in,
    )
    .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.header("cache-control"), Some("no-store"));
    let anonymous = fetch(&app, "/pkg/quire.AAAAAAAAAAAAAAAAAAAAAA.js", None, None).await;
    assert_eq!(anonymous.status, StatusCode::NOT_FOUND);
    assert_ne!(
        anonymous.header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );
}
