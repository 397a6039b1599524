//! Router tests for the security layers: headers on every answer (error paths included), the
//! CSP nonce shared by header and scripts, private answers not stored, write rate limits, the
//! client address behind proxies, body limits, request and header-read timeouts, and a panic
//! as a 500 page.

use crate::common;

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode, header};
use axum::routing::get;
use common::TestApp;
use leptos::server_fn::ServerFn;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The nonce of a response's CSP header, after checking the policy has every directive.
fn csp_nonce(response: &common::TestResponse) -> String {
    let csp = response
        .header("content-security-policy")
        .unwrap_or_else(|| panic!("no CSP header: {response:?}"));
    for part in [
        "'wasm-unsafe-eval'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ] {
        assert!(csp.contains(part), "{part} missing from {csp}");
    }
    let start = csp.find("'nonce-").expect("a nonce") + "'nonce-".len();
    let end = start + csp[start..].find('\'').expect("nonce end");
    csp[start..end].to_owned()
}

fn assert_security_headers(response: &common::TestResponse) {
    csp_nonce(response);
    assert_eq!(response.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(
        response.header("referrer-policy"),
        Some("strict-origin-when-cross-origin")
    );
}

/// Every `nonce="..."` in a page.
fn body_nonces(body: &str) -> Vec<&str> {
    body.split("nonce=\"")
        .skip(1)
        .map(|rest| &rest[..rest.find('"').expect("closing quote")])
        .collect()
}

#[tokio::test]
async fn every_answer_carries_the_security_headers_error_paths_included() {
    let app = TestApp::new().await;
    let token = app.api_user("alice").await;
    let slug = app.api_article(&token, "Headers", &[]).await;

    let mut responses = vec![
        app.get("/", None).await,
        app.get(&format!("/article/{slug}"), None).await,
        app.get("/article/no-such-article", None).await,
        app.get("/no/such/page", None).await,
        app.api("GET", "/api/tags", None, None).await,
        app.api("GET", "/api/articles/missing", None, None).await,
        app.api("GET", "/healthz", None, None).await,
    ];
    // A server-function error, a cross-site refusal, and a body that is too large.
    responses.push(
        app.call::<quire::server::user::Login>(&[("email", "x@y.z"), ("password", "nope")], None)
            .await,
    );
    responses.push(
        app.call_from::<quire::server::user::Logout>(&[], None, &[("origin", "https://evil.test")])
            .await,
    );
    let huge = "x".repeat(quire::error::BODY_LIMIT + 1);
    responses.push(
        app.call::<quire::server::article::PreviewMarkdown>(&[("body", &huge)], None)
            .await,
    );
    let statuses: Vec<u16> = responses.iter().map(|r| r.status.as_u16()).collect();
    assert_eq!(
        statuses,
        [200, 200, 404, 404, 200, 404, 200, 401, 403, 413],
        "{responses:#?}"
    );
    for response in &responses {
        assert_security_headers(response);
        assert!(
            response.header("strict-transport-security").is_none(),
            "no HSTS over http"
        );
    }
}

#[tokio::test]
async fn hsts_and_the_host_prefixed_cookie_come_with_https() {
    let app = TestApp::with_config(|c| c.public_url = "https://blog.example.test".into()).await;
    let response = app.get("/", None).await;
    assert_eq!(
        response.header("strict-transport-security"),
        Some("max-age=31536000; includeSubDomains")
    );
    let signed_up = app
        .call_from::<quire::server::user::Register>(
            &[
                ("username", "hana"),
                ("email", "hana@example.test"),
                ("password", common::PASSWORD),
            ],
            None,
            &[("origin", "https://blog.example.test")],
        )
        .await;
    assert_eq!(signed_up.status, StatusCode::OK, "{signed_up:?}");
    let cookie = signed_up.set_cookie_header();
    assert!(cookie.starts_with("__Host-quire="), "{cookie}");
    assert!(cookie.contains("Secure"), "{cookie}");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("Path=/"), "{cookie}");
    assert!(!cookie.contains("Domain"), "{cookie}");
}

#[tokio::test]
async fn each_page_has_its_own_nonce_on_every_script_cached_or_not() {
    let app = TestApp::new().await;
    let first = app.get("/", None).await;
    let second = app.get("/", None).await;
    assert_eq!(first.header("x-quire-cache"), Some("miss"));
    assert_eq!(second.header("x-quire-cache"), Some("hit"));
    let (n1, n2) = (csp_nonce(&first), csp_nonce(&second));
    assert_ne!(n1, n2, "a nonce is never sent twice");
    for (response, nonce) in [(&first, &n1), (&second, &n2)] {
        let found = body_nonces(&response.body);
        assert!(!found.is_empty(), "the hydration scripts carry a nonce");
        assert!(
            found.iter().all(|n| n == nonce),
            "{found:?} vs header {nonce}"
        );
        // Every script is allowed by the header's nonce.
        let nonce_attr = format!("nonce=\"{nonce}\"");
        for tag in response.body.split("<script").skip(1) {
            let open = &tag[..tag.find('>').expect("tag end")];
            assert!(
                open.contains(&nonce_attr),
                "<script{open}> lacks {nonce_attr}"
            );
        }
    }
}

/// Leptos writes the nonce into its preload links' `crossorigin` attribute as well, where the
/// page cache's swap did not look: a reader served a kept page got the first reader's nonce.
#[tokio::test]
async fn no_answer_carries_another_readers_nonce() {
    let app = TestApp::new().await;
    let token = app.api_user("alice").await;
    app.api_article(&token, "Kept", &["x"]).await;
    let mut answers = Vec::new();
    for path in ["/tag/x", "/tag/x", "/tag/x", "/", "/"] {
        let answer = app.get(path, None).await;
        assert_eq!(answer.status, StatusCode::OK);
        let nonce = csp_nonce(&answer);
        answers.push((answer, nonce));
    }
    assert_eq!(answers[2].0.header("x-quire-cache"), Some("hit"));
    for (answer, own) in &answers {
        assert!(
            answer.body.contains("crossorigin=\"\""),
            "the preloads are anonymous"
        );
        assert!(!answer.body.contains(&format!("crossorigin=\"{own}\"")));
        for (_, other) in answers.iter().filter(|(_, n)| n != own) {
            assert!(!answer.body.contains(other.as_str()), "{other} leaked");
        }
    }
}

#[tokio::test]
async fn private_answers_are_never_stored_by_browsers_or_proxies() {
    let app = TestApp::new().await;
    let anonymous = app.get("/", None).await;
    assert_ne!(anonymous.header("cache-control"), Some("no-store"));

    let cookie = app.register("bob").await;
    for path in ["/", "/settings", "/editor"] {
        let page = app.get(path, Some(&cookie)).await;
        assert_eq!(page.header("cache-control"), Some("no-store"), "{path}");
    }
    let api = app.api("GET", "/api/tags", None, None).await;
    assert_eq!(api.header("cache-control"), Some("no-store"));
    let rpc = app
        .call::<quire::server::user::CurrentUser>(&[], None)
        .await;
    assert_eq!(rpc.header("cache-control"), Some("no-store"));
}

#[tokio::test]
async fn writes_past_the_limit_get_429_per_account_and_per_address() {
    // 6 writes a minute per address, 3 per account.
    let app = TestApp::with_config(|c| c.writes_per_minute = 6).await;
    let alice = app.api_user("alice").await;
    let slug = app.api_article(&alice, "Limits", &[]).await;
    let comment = serde_json::json!({"comment": {"body": "hi"}});
    for _ in 0..2 {
        let ok = app
            .api(
                "POST",
                &format!("/api/articles/{slug}/comments"),
                Some(&alice),
                Some(comment.clone()),
            )
            .await;
        assert!(ok.status.is_success(), "{ok:?}");
    }
    // Alice's fourth write in the minute: her account's limit.
    let limited = app
        .api(
            "POST",
            &format!("/api/articles/{slug}/favorite"),
            Some(&alice),
            None,
        )
        .await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS, "{limited:?}");
    let retry: u64 = limited
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .expect("seconds");
    assert!((1..=60).contains(&retry), "{retry}");
    assert!(limited.body.contains("too many"), "{}", limited.body);

    // This address has used four of its six. Bob writes twice from it, and his third write
    // is refused although his account has one left.
    let bob = app.register("bob").await;
    let form = [("slug", slug.as_str()), ("body", "yo")];
    for _ in 0..2 {
        let ok = app
            .call::<quire::server::comment::AddComment>(&form, Some(&bob))
            .await;
        assert_eq!(ok.status, StatusCode::OK, "{ok:?}");
    }
    let refused = app
        .call::<quire::server::comment::AddComment>(&form, Some(&bob))
        .await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS, "{refused:?}");
    assert!(refused.header("retry-after").is_some());
    // Reads are never limited.
    let read = app.get(&format!("/article/{slug}"), Some(&bob)).await;
    assert_eq!(read.status, StatusCode::OK);
}

/// A REST sign-in to `email` with a wrong password, from `peer` with `forwarded` as its
/// `X-Forwarded-For`: the status.
async fn sign_in_from(
    app: &TestApp,
    peer: &str,
    forwarded: Option<&str>,
    email: &str,
) -> StatusCode {
    api_sign_in(app, (peer, forwarded), email, "not the password").await
}

/// A sign-in through the API from `peer` (with `X-Forwarded-For: forwarded`, if any).
async fn api_sign_in(
    app: &TestApp,
    (peer, forwarded): (&str, Option<&str>),
    email: &str,
    password: &str,
) -> StatusCode {
    let body = serde_json::json!({"user": {"email": email, "password": password}});
    let mut request =
        Request::post("/api/users/login").header(header::CONTENT_TYPE, "application/json");
    if let Some(forwarded) = forwarded {
        request = request.header("x-forwarded-for", forwarded);
    }
    let mut request = request.body(Body::from(body.to_string())).expect("request");
    let peer = SocketAddr::new(peer.parse().expect("an address"), 4711);
    request.extensions_mut().insert(ConnectInfo(peer));
    app.send(request).await.status
}

#[tokio::test]
async fn a_client_cannot_pick_its_rate_limit_bucket_with_x_forwarded_for() {
    use StatusCode as S;
    // Three attempts a minute per address; each attempt names a new account, so only the
    // address limit can refuse.
    let direct = TestApp::with_config(|c| c.auth_attempts_per_minute = 3).await;
    let mut n = 0;
    let mut email = || {
        n += 1;
        format!("nobody{n}@example.test")
    };
    for i in 1..=3 {
        let forwarded = format!("198.51.100.{i}");
        let status = sign_in_from(&direct, "203.0.113.9", Some(&forwarded), &email()).await;
        assert_eq!(status, S::UNAUTHORIZED);
    }
    // With no trusted proxy the header is ignored: a fourth made-up address does not help.
    let status = sign_in_from(&direct, "203.0.113.9", Some("198.51.100.4"), &email()).await;
    assert_eq!(status, S::TOO_MANY_REQUESTS);
    let status = sign_in_from(&direct, "203.0.113.10", None, &email()).await;
    assert_eq!(
        status,
        S::UNAUTHORIZED,
        "another address has its own budget"
    );

    // Behind a trusted proxy, each client is the address the proxy appended.
    let proxied = TestApp::with_config(|c| {
        c.auth_attempts_per_minute = 3;
        c.trusted_proxies = quire::client_ip::TrustedProxies::parse("127.0.0.1").expect("a list");
    })
    .await;
    for _ in 0..3 {
        let status = sign_in_from(&proxied, "127.0.0.1", Some("198.51.100.1"), &email()).await;
        assert_eq!(status, S::UNAUTHORIZED);
    }
    let status = sign_in_from(&proxied, "127.0.0.1", Some("198.51.100.1"), &email()).await;
    assert_eq!(status, S::TOO_MANY_REQUESTS);
    // Addresses the client wrote itself, left of the proxy's, are not believed.
    let spoofed = "192.0.2.1, 198.51.100.1";
    let status = sign_in_from(&proxied, "127.0.0.1", Some(spoofed), &email()).await;
    assert_eq!(status, S::TOO_MANY_REQUESTS);
    // Other clients of the same proxy are not refused with the first.
    let status = sign_in_from(&proxied, "127.0.0.1", Some("198.51.100.2"), &email()).await;
    assert_eq!(status, S::UNAUTHORIZED);
    // A peer that is not a trusted proxy is counted as itself, whatever it forwards.
    for _ in 0..3 {
        let status = sign_in_from(&proxied, "203.0.113.9", Some("198.51.100.3"), &email()).await;
        assert_eq!(status, S::UNAUTHORIZED);
    }
    let status = sign_in_from(&proxied, "203.0.113.9", Some("198.51.100.4"), &email()).await;
    assert_eq!(status, S::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn an_ipv6_client_is_counted_by_its_64() {
    let app = TestApp::with_config(|c| c.auth_attempts_per_minute = 3).await;
    for (i, peer) in ["2001:db8:0:1::1", "2001:db8:0:1::2", "2001:db8:0:1:aaaa::3"]
        .into_iter()
        .enumerate()
    {
        let status = sign_in_from(&app, peer, None, &format!("nobody{i}@example.test")).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let status = sign_in_from(&app, "2001:db8:0:1:ffff::9", None, "x@example.test").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "same /64");
    let status = sign_in_from(&app, "2001:db8:0:2::1", None, "y@example.test").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the next /64");
}

#[tokio::test]
async fn a_body_streamed_past_the_limit_is_refused_with_413() {
    let app = TestApp::new().await;
    // No Content-Length: the limit is found while reading.
    let chunks = (0..64).map(|_| Ok::<_, std::io::Error>(vec![b'x'; 16 * 1024]));
    let body = Body::from_stream(futures_util::stream::iter(chunks));
    let request = Request::post("/rpc/preview_markdown")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header("origin", "http://127.0.0.1:3000")
        .body(body)
        .expect("request");
    let response = app.send(request).await;
    assert_eq!(
        response.status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{response:?}"
    );
    // Server functions answer with the error itself, which the page shows as a message.
    assert!(
        response.body.contains("PayloadTooLarge"),
        "{}",
        response.body
    );
}

#[tokio::test]
async fn an_argument_error_quoting_a_huge_argument_is_a_short_400() {
    let app = TestApp::new().await;
    // Leptos's message quotes the repeated key: 66,000 characters of it.
    let key = "k".repeat(66_000);
    let body = format!("{key}=1&{key}=2");
    let request = Request::post("/rpc/get_article")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header("origin", "http://127.0.0.1:3000")
        .body(Body::from(body))
        .expect("request");
    let response = app.send(request).await;
    assert_eq!(response.status, StatusCode::BAD_REQUEST, "{response:?}");
    assert!(response.body.contains("BadRequest"), "{}", response.body);
    assert!(response.body.len() < 1024, "{} bytes", response.body.len());
}

#[tokio::test]
async fn unknown_addresses_get_the_404_page_whatever_the_method() {
    let app = TestApp::new().await;
    let request = Request::post("/no/such/page")
        .header("origin", "http://127.0.0.1:3000")
        .header(header::ACCEPT, "text/html")
        .body(Body::empty())
        .expect("request");
    let response = app.send(request).await;
    assert_eq!(response.status, StatusCode::NOT_FOUND, "{response:?}");
    assert!(
        response.body.contains("Page not found"),
        "{}",
        response.body
    );
}

#[tokio::test]
async fn a_panic_becomes_a_500_page_with_the_headers() {
    let app = TestApp::new().await;
    let router = quire::http::harden(
        Router::new().route(
            "/boom",
            get(|| async {
                panic!("a bug");
                #[allow(unreachable_code)]
                ""
            }),
        ),
        app.state.clone(),
    );
    let response =
        TestApp::send_to(router, Request::get("/boom").body(Body::empty()).unwrap()).await;
    assert_eq!(response.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(
        response.body.contains("Something went wrong"),
        "{}",
        response.body
    );
    assert_security_headers(&response);
}

#[tokio::test]
async fn a_request_not_answered_in_time_gets_408() {
    let app = TestApp::with_config(|c| c.request_timeout = Duration::from_millis(300)).await;
    let router = quire::http::harden(
        Router::new().route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(5)).await;
                "late"
            }),
        ),
        app.state.clone(),
    );
    let started = std::time::Instant::now();
    let response =
        TestApp::send_to(router, Request::get("/slow").body(Body::empty()).unwrap()).await;
    assert_eq!(response.status, StatusCode::REQUEST_TIMEOUT);
    assert!(started.elapsed() < Duration::from_secs(3));
    assert!(response.body.contains("Timeout"), "{}", response.body);
}

#[tokio::test]
async fn a_client_that_never_finishes_its_headers_is_cut_off_while_others_are_served() {
    let app = TestApp::new().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(quire::http::run(
        listener,
        app.router.clone(),
        Duration::from_millis(500),
        async {
            let _ = stopped.await;
        },
    ));

    // A slow client sends half a request line and then nothing.
    let mut slow = tokio::net::TcpStream::connect(addr).await.unwrap();
    slow.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();

    // Meanwhile a normal client is served.
    let mut normal = tokio::net::TcpStream::connect(addr).await.unwrap();
    normal
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut answer = String::new();
    normal.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");

    // The slow one is disconnected after the header-read timeout.
    let mut rest = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), slow.read_to_end(&mut rest)).await;
    assert!(read.is_ok(), "the slow connection is still open");
    let rest = String::from_utf8_lossy(&rest);
    assert!(
        rest.is_empty() || rest.starts_with("HTTP/1.1 408"),
        "{rest}"
    );

    let _ = stop.send(());
    tokio::time::timeout(Duration::from_secs(5), server)
        .await
        .expect("the server stops")
        .unwrap();
}

/// A sign-in through the API from `peer` with `password`.
async fn sign_in_with(app: &TestApp, peer: &str, email: &str, password: &str) -> StatusCode {
    api_sign_in(app, (peer, None), email, password).await
}

/// The same through the UI's sign-in server function.
async fn ui_sign_in_with(app: &TestApp, peer: &str, email: &str, password: &str) -> StatusCode {
    let form = format!(
        "email={}&password={}",
        email.replace('@', "%40"),
        password.replace(' ', "+")
    );
    let mut request = Request::post(<quire::server::user::Login as ServerFn>::PATH)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ACCEPT, "application/json")
        .header("origin", common::ORIGIN)
        .body(Body::from(form))
        .expect("request");
    let peer = SocketAddr::new(peer.parse().expect("an address"), 4711);
    request.extensions_mut().insert(ConnectInfo(peer));
    app.send(request).await.status
}

/// security.md §0b: eleven wrong passwords a minute for someone's email used to keep its owner
/// out from anywhere, in the UI and the API alike. Now an attacker's failures from one address
/// slow that address down and never the owner's sign-in from another.
#[tokio::test]
async fn an_attackers_failures_never_lock_the_owner_out() {
    use StatusCode as S;
    let app = TestApp::with_config(|c| c.auth_attempts_per_minute = 20).await;
    app.register("owner").await;
    let email = "owner@example.test";
    let (mut refused, mut checked) = (0, 0);
    for _ in 0..40 {
        match sign_in_with(&app, "203.0.113.66", email, "guess").await {
            S::UNAUTHORIZED => checked += 1,
            S::TOO_MANY_REQUESTS => refused += 1,
            other => panic!("{other}"),
        }
    }
    // Brute force from one address is throttled: the back-off starts after five failures,
    // and one address gets at most ten attempts a minute on one account.
    assert!(checked <= 10, "{checked} passwords were checked");
    assert!(refused >= 30, "{refused}");
    assert_eq!(
        ui_sign_in_with(&app, "203.0.113.66", email, "guess").await,
        S::TOO_MANY_REQUESTS
    );
    // The owner, from home, through both doors.
    assert_eq!(
        sign_in_with(&app, "198.51.100.7", email, common::PASSWORD).await,
        S::OK
    );
    assert_eq!(
        ui_sign_in_with(&app, "198.51.100.7", email, common::PASSWORD).await,
        S::OK
    );
    // The attacker's address is slowed for every account, not only this one.
    assert_eq!(
        sign_in_with(&app, "203.0.113.66", "someone@example.test", "guess").await,
        S::TOO_MANY_REQUESTS
    );
}

/// From many addresses: past 50 failures an hour the account is guarded, each address that
/// failed on it three times is refused, and the owner's address is let through.
#[tokio::test]
async fn guessing_from_many_addresses_is_throttled_and_the_owner_gets_in() {
    use StatusCode as S;
    let app = TestApp::with_config(|c| c.auth_attempts_per_minute = 20).await;
    app.register("owner").await;
    let email = "owner@example.test";
    for bot in 0..50 {
        let peer = format!("192.0.2.{bot}");
        assert_eq!(
            sign_in_with(&app, &peer, email, "guess").await,
            S::UNAUTHORIZED
        );
    }
    // Each bot address now has two more tries on this account, then it is refused.
    let peer = "192.0.2.1";
    for _ in 0..2 {
        assert_eq!(
            sign_in_with(&app, peer, email, "guess").await,
            S::UNAUTHORIZED
        );
    }
    assert_eq!(
        sign_in_with(&app, peer, email, "guess").await,
        S::TOO_MANY_REQUESTS
    );
    assert_eq!(
        sign_in_with(&app, peer, email, common::PASSWORD).await,
        S::TOO_MANY_REQUESTS,
        "even with the password: that address is cut off from this account"
    );
    assert_eq!(
        sign_in_with(&app, "198.51.100.7", email, common::PASSWORD).await,
        S::OK
    );
}
