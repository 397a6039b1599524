//! Router tests for every server function, through the real router: success, bad input → 4xx
//! with field errors, cross-site → 403, no session → 401; plus the pages and health check.

use crate::common;

use std::time::Duration;

use axum::http::StatusCode;
use common::{ORIGIN, PASSWORD, TestApp};
use leptos::server_fn::ServerFn;
use quire::routes::SETTINGS_SAVED as SAVED_HREF;
use quire::server::article::SaveArticle;
use quire::server::user::{CurrentUser, Login, Logout, Register, UpdateSettings};

const CROSS_SITE: &[(&str, &str)] = &[
    ("origin", "https://evil.test"),
    ("sec-fetch-site", "cross-site"),
];

fn settings<'a>(username: &'a str, email: &'a str, bio: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("image", ""),
        ("username", username),
        ("bio", bio),
        ("email", email),
        ("password", ""),
        ("current_password", ""),
    ]
}

#[tokio::test]
async fn every_server_function_is_registered_under_rpc() {
    let paths: Vec<&str> = leptos::server_fn::axum::server_fn_paths()
        .map(|(p, _)| p)
        .collect();
    for path in [
        Register::PATH,
        Login::PATH,
        Logout::PATH,
        CurrentUser::PATH,
        UpdateSettings::PATH,
    ] {
        assert!(path.starts_with("/rpc/"), "{path}");
        assert!(paths.contains(&path), "{path} is not registered");
    }
}

#[tokio::test]
async fn register_signs_the_new_user_in() {
    let app = TestApp::new().await;
    let cookie = app.register("alice").await;
    assert_eq!(app.whoami(Some(&cookie)).await.as_deref(), Some("alice"));
}

#[tokio::test]
async fn register_rejects_bad_input_with_field_errors() {
    let app = TestApp::new().await;
    let response = app
        .call::<Register>(
            &[
                ("username", ""),
                ("email", "not-an-email"),
                ("password", "short"),
            ],
            None,
        )
        .await;
    assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields = &response.json()["Validation"];
    assert_eq!(fields["username"][0], "can't be blank");
    assert_eq!(fields["email"][0], "is invalid");
    assert_eq!(
        fields["password"][0],
        "is too short (minimum is 8 characters)"
    );
    assert!(response.session_cookie().is_none());
}

/// A taken username is said as such (profiles are public); a taken email is not (issue 32,
/// F5): the form answers the same whether the email alone or both are taken, and never names
/// the email. (The REST API keeps the RealWorld contract's answer: `tests/it/hostile.rs`.)
#[tokio::test]
async fn register_reports_a_taken_username_but_never_says_an_email_has_an_account() {
    let app = TestApp::new().await;
    app.register("alice").await;
    let sign_up = |username: &'static str, email: &'static str| {
        let app = &app;
        async move {
            let response = app
                .call::<Register>(
                    &[
                        ("username", username),
                        ("email", email),
                        ("password", PASSWORD),
                    ],
                    None,
                )
                .await;
            assert_eq!(response.status, StatusCode::CONFLICT, "{response:?}");
            response.json()["Conflict"].clone()
        }
    };
    let name_taken = sign_up("ALICE", "new@example.test").await;
    assert_eq!(name_taken["username"][0], "has already been taken");
    assert!(name_taken.get("email").is_none());

    let email_taken = sign_up("someone", "Alice@Example.test").await;
    let both_taken = sign_up("ALICE", "Alice@Example.test").await;
    assert_eq!(email_taken, both_taken);
    assert!(email_taken.get("email").is_none(), "{email_taken}");
    assert!(!email_taken.to_string().contains("taken"), "{email_taken}");
    assert_eq!(
        email_taken["these details"][0],
        "cannot be used for a new account. If you already have one, sign in instead."
    );
}

#[tokio::test]
async fn missing_arguments_are_a_400_not_a_500() {
    let app = TestApp::new().await;
    let response = app.call::<Register>(&[("username", "alice")], None).await;
    assert_eq!(response.status, StatusCode::BAD_REQUEST, "{response:?}");
    assert!(response.json()["BadRequest"].is_string());
}

#[tokio::test]
async fn cross_site_requests_are_refused_before_they_act() {
    let app = TestApp::new().await;
    let form = [
        ("username", "mallory"),
        ("email", "m@example.test"),
        ("password", PASSWORD),
    ];
    let response = app.call_from::<Register>(&form, None, CROSS_SITE).await;
    assert_eq!(response.status, StatusCode::FORBIDDEN);
    // Only an Origin header, or none at all: still refused.
    let response = app
        .call_from::<Register>(&form, None, &[("origin", "https://evil.test")])
        .await;
    assert_eq!(response.status, StatusCode::FORBIDDEN);
    let response = app.call_from::<Register>(&form, None, &[]).await;
    assert_eq!(response.status, StatusCode::FORBIDDEN);
    // A text/plain body does not get around it either.
    let response = app
        .call_from::<Register>(
            &form,
            None,
            &[
                ("content-type", "text/plain"),
                ("origin", "https://evil.test"),
            ],
        )
        .await;
    assert_eq!(response.status, StatusCode::FORBIDDEN);
    // Nothing was created.
    let response = app
        .call::<Login>(&[("email", "m@example.test"), ("password", PASSWORD)], None)
        .await;
    assert_eq!(response.status, StatusCode::UNAUTHORIZED);

    // The same holds for every other state-changing function.
    let cookie = app.register("alice").await;
    for (path_ok, response) in [
        (
            "login",
            app.call_from::<Login>(
                &[("email", "alice@example.test"), ("password", PASSWORD)],
                None,
                CROSS_SITE,
            )
            .await,
        ),
        (
            "logout",
            app.call_from::<Logout>(&[], Some(&cookie), CROSS_SITE)
                .await,
        ),
        (
            "update_settings",
            app.call_from::<UpdateSettings>(
                &settings("alice", "alice@example.test", "pwned"),
                Some(&cookie),
                CROSS_SITE,
            )
            .await,
        ),
        (
            "current_user",
            app.call_from::<CurrentUser>(&[], Some(&cookie), CROSS_SITE)
                .await,
        ),
    ] {
        assert_eq!(response.status, StatusCode::FORBIDDEN, "{path_ok}");
    }
    assert_eq!(app.whoami(Some(&cookie)).await.as_deref(), Some("alice"));
    // A same-origin fetch is allowed.
    let response = app
        .call_from::<CurrentUser>(&[], Some(&cookie), &[("sec-fetch-site", "same-origin")])
        .await;
    assert_eq!(response.status, StatusCode::OK);
}

#[tokio::test]
async fn login_gives_one_answer_for_unknown_email_and_wrong_password() {
    let app = TestApp::new().await;
    app.register("alice").await;
    let wrong = app
        .call::<Login>(
            &[
                ("email", "alice@example.test"),
                ("password", "wrong password"),
            ],
            None,
        )
        .await;
    let unknown = app
        .call::<Login>(
            &[
                ("email", "nobody@example.test"),
                ("password", "wrong password"),
            ],
            None,
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.status, wrong.status);
    assert_eq!(unknown.body, wrong.body);
    assert!(wrong.session_cookie().is_none());
}

#[tokio::test]
async fn login_rotates_the_session_id() {
    let app = TestApp::new().await;
    let first = app.register("alice").await;
    let second = app.login("alice").await;
    assert_ne!(first, second);
    // Signing in from a session gives that browser a new id; the old one is dead.
    let response = app
        .call::<Login>(
            &[("email", "alice@example.test"), ("password", PASSWORD)],
            Some(&second),
        )
        .await;
    let third = response.session_cookie().expect("a new cookie");
    assert_ne!(third, second);
    assert_eq!(app.whoami(Some(&second)).await, None);
    assert_eq!(app.whoami(Some(&third)).await.as_deref(), Some("alice"));
}

#[tokio::test]
async fn login_rejects_blank_fields() {
    let app = TestApp::new().await;
    let response = app
        .call::<Login>(&[("email", ""), ("password", "")], None)
        .await;
    assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(response.json()["Validation"]["email"][0], "can't be blank");
}

#[tokio::test]
async fn sign_in_attempts_are_rate_limited_with_retry_after() {
    let app = TestApp::with_config(|c| c.auth_attempts_per_minute = 4).await;
    app.register("alice").await;
    let form = [
        ("email", "alice@example.test"),
        ("password", "wrong password"),
    ];
    // Each account gets half the per-address budget: 2 attempts, then 429.
    for _ in 0..2 {
        assert_eq!(
            app.call::<Login>(&form, None).await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    let limited = app.call::<Login>(&form, None).await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS, "{limited:?}");
    let retry: u64 = limited
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry));
    // Even the right password waits: the limit is on attempts, not failures.
    let right = [("email", "alice@example.test"), ("password", PASSWORD)];
    assert_eq!(
        app.call::<Login>(&right, None).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[tokio::test]
async fn logout_deletes_the_session_on_the_server() {
    let app = TestApp::new().await;
    let cookie = app.register("alice").await;
    let response = app.call::<Logout>(&[], Some(&cookie)).await;
    assert!(response.status.is_success(), "{response:?}");
    // Replaying the old cookie finds nothing.
    assert_eq!(app.whoami(Some(&cookie)).await, None);
    let rows: i64 = sqlx::query_scalar("select count(*) from sessions")
        .fetch_one(&app.state.db.reader)
        .await
        .unwrap();
    assert_eq!(rows, 0);
}

#[tokio::test]
async fn sessions_survive_a_restart() {
    let app = TestApp::new().await;
    let cookie = app.register("alice").await;
    let app = app.restart().await;
    assert_eq!(app.whoami(Some(&cookie)).await.as_deref(), Some("alice"));
}

#[tokio::test]
async fn current_user_is_none_without_a_session() {
    let app = TestApp::new().await;
    assert_eq!(app.whoami(None).await, None);
    assert_eq!(app.whoami(Some("quire=forged-value")).await, None);
}

#[tokio::test]
async fn settings_need_a_session() {
    let app = TestApp::new().await;
    let response = app
        .call::<UpdateSettings>(&settings("alice", "alice@example.test", "hi"), None)
        .await;
    assert_eq!(response.status, StatusCode::UNAUTHORIZED);
    assert_eq!(response.json(), serde_json::json!("Unauthorized"));
}

#[tokio::test]
async fn settings_save_the_profile() {
    let app = TestApp::new().await;
    let cookie = app.register("alice").await;
    let mut form = settings("alice_b", "alice@example.test", "I write about Rust.");
    form[0] = ("image", "https://example.test/me.png");
    let response = app.call::<UpdateSettings>(&form, Some(&cookie)).await;
    assert_eq!(response.status, StatusCode::OK, "{response:?}");
    // The form's island follows the redirect to the page that says it was saved.
    assert_eq!(response.header("location"), Some(SAVED_HREF));
    assert!(
        response.header("serverfnredirect").is_some(),
        "{response:?}"
    );
    let user = response.json();
    assert_eq!(user["username"], "alice_b");
    assert_eq!(user["bio"], "I write about Rust.");
    assert_eq!(user["image"], "https://example.test/me.png");
    assert_eq!(app.whoami(Some(&cookie)).await.as_deref(), Some("alice_b"));
    // Emptying the bio stores nothing, not an empty string.
    let response = app
        .call::<UpdateSettings>(
            &settings("alice_b", "alice@example.test", ""),
            Some(&cookie),
        )
        .await;
    assert_eq!(response.json()["bio"], serde_json::Value::Null);
}

#[tokio::test]
async fn settings_reject_bad_input() {
    let app = TestApp::new().await;
    let cookie = app.register("alice").await;
    let mut form = settings("", "nope", "");
    form[0] = ("image", "javascript:alert(1)");
    let response = app.call::<UpdateSettings>(&form, Some(&cookie)).await;
    assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields = &response.json()["Validation"];
    assert_eq!(fields["username"][0], "can't be blank");
    assert_eq!(fields["email"][0], "is invalid");
    assert_eq!(fields["image"][0], "must be an http(s) URL");
}

#[tokio::test]
async fn a_password_change_needs_the_current_one_and_ends_other_sessions() {
    let app = TestApp::new().await;
    let here = app.register("alice").await;
    let elsewhere = app.login("alice").await;
    let new_password = "a brand new passphrase";
    let mut form = settings("alice", "alice@example.test", "");
    form[4] = ("password", new_password);

    let response = app.call::<UpdateSettings>(&form, Some(&here)).await;
    assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        response.json()["Validation"]["current_password"][0],
        "is needed to change your email or password"
    );
    form[5] = ("current_password", "not my password");
    let response = app.call::<UpdateSettings>(&form, Some(&here)).await;
    assert_eq!(
        response.json()["Validation"]["current_password"][0],
        "is incorrect"
    );

    form[5] = ("current_password", PASSWORD);
    let response = app.call::<UpdateSettings>(&form, Some(&here)).await;
    assert_eq!(response.status, StatusCode::OK, "{response:?}");
    // This browser continues under a fresh id; the other session is over.
    let renewed = response.session_cookie().expect("a fresh session id");
    assert_ne!(renewed, here);
    assert_eq!(app.whoami(Some(&renewed)).await.as_deref(), Some("alice"));
    assert_eq!(app.whoami(Some(&elsewhere)).await, None);
    assert_eq!(app.whoami(Some(&here)).await, None);
    // Only the new password works now.
    let old = app
        .call::<Login>(
            &[("email", "alice@example.test"), ("password", PASSWORD)],
            None,
        )
        .await;
    assert_eq!(old.status, StatusCode::UNAUTHORIZED);
    let new = app
        .call::<Login>(
            &[("email", "alice@example.test"), ("password", new_password)],
            None,
        )
        .await;
    assert!(new.status.is_success());
}

#[tokio::test]
async fn the_cookie_is_http_only_lax_and_host_prefixed_on_https() {
    let app = TestApp::new().await;
    let response = app
        .call::<Register>(
            &[
                ("username", "alice"),
                ("email", "alice@example.test"),
                ("password", PASSWORD),
            ],
            None,
        )
        .await;
    let set_cookie = response.set_cookie_header();
    assert!(set_cookie.starts_with("quire="), "{set_cookie}");
    assert!(set_cookie.contains("HttpOnly"), "{set_cookie}");
    assert!(set_cookie.contains("SameSite=Lax"), "{set_cookie}");
    assert!(set_cookie.contains("Path=/"), "{set_cookie}");
    assert!(!set_cookie.contains("Domain="), "{set_cookie}");

    let https = TestApp::with_config(|c| c.public_url = "https://blog.example.test".into()).await;
    let response = https
        .call_from::<Register>(
            &[
                ("username", "alice"),
                ("email", "alice@example.test"),
                ("password", PASSWORD),
            ],
            None,
            &[("origin", "https://blog.example.test")],
        )
        .await;
    let set_cookie = response.set_cookie_header();
    assert!(set_cookie.starts_with("__Host-quire="), "{set_cookie}");
    assert!(set_cookie.contains("Secure"), "{set_cookie}");
}

#[tokio::test]
async fn sessions_end_after_the_idle_timeout() {
    let app = TestApp::with_config(|c| c.session_idle = Duration::from_secs(1)).await;
    let cookie = app.register("alice").await;
    assert_eq!(app.whoami(Some(&cookie)).await.as_deref(), Some("alice"));
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(app.whoami(Some(&cookie)).await, None);
}

#[tokio::test]
async fn reading_keeps_a_session_alive_past_its_idle_timeout() {
    let app = TestApp::with_config(|c| c.session_idle = Duration::from_secs(2)).await;
    let cookie = app.register("alice").await;
    // 3.2 s of reading, a page every 0.8 s: a rendered page (settings is never cached), then
    // pages the page cache answers.
    for path in ["/settings", "/"] {
        for _ in 0..4 {
            tokio::time::sleep(Duration::from_millis(800)).await;
            let page = app.get(path, Some(&cookie)).await;
            assert_eq!(page.status, StatusCode::OK, "{path}");
            assert!(page.body.contains("alice"), "{path}: signed out");
        }
    }
    assert_eq!(app.whoami(Some(&cookie)).await.as_deref(), Some("alice"));
    // Then 2 s without a request end it.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(app.whoami(Some(&cookie)).await, None);
}

#[tokio::test]
async fn sessions_end_after_the_absolute_timeout_even_when_active() {
    let app = TestApp::with_config(|c| c.session_absolute = Duration::from_secs(1)).await;
    let cookie = app.register("alice").await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(app.whoami(Some(&cookie)).await.as_deref(), None);
}

#[tokio::test]
async fn expired_sessions_are_swept() {
    let app = TestApp::with_config(|c| c.session_idle = Duration::from_secs(1)).await;
    for name in ["alice", "bob", "carol"] {
        app.register(name).await;
    }
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let swept = quire::db::session::delete_expired(&app.state.db, &quire::db::now())
        .await
        .unwrap();
    assert_eq!(swept, 3);
}

#[tokio::test]
async fn pages_render_on_the_server() {
    let app = TestApp::new().await;
    let home = app.get("/", None).await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.body.contains("class=\"banner\""), "{}", home.body);
    assert!(home.body.contains("No articles are here... yet."));
    assert!(home.body.contains("Sign up"));

    let login = app.get("/login", None).await;
    assert_eq!(login.status, StatusCode::OK);
    assert!(
        login
            .body
            .contains("<h1 class=\"text-xs-center\">Sign in</h1>")
    );
    assert!(login.body.contains(&format!("action=\"{}\"", Login::PATH)));

    let cookie = app.register("alice").await;
    let home = app.get("/", Some(&cookie)).await;
    assert!(home.body.contains("/profile/alice"), "signed-in navbar");
    let page = app.get("/settings", Some(&cookie)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("value=\"alice@example.test\""));
    assert!(page.body.contains("Or click here to logout"));
}

#[tokio::test]
async fn settings_redirect_to_sign_in_when_signed_out() {
    let app = TestApp::new().await;
    let page = app.get("/settings", None).await;
    assert!(page.status.is_redirection(), "{page:?}");
    assert_eq!(page.header("location"), Some("/login"));
}

#[tokio::test]
async fn a_bio_cannot_break_out_of_its_textarea() {
    let app = TestApp::new().await;
    let cookie = app.register("alice").await;
    let payload = "</textarea><script>window.__x=1</script>";
    let response = app
        .call::<UpdateSettings>(
            &settings("alice", "alice@example.test", payload),
            Some(&cookie),
        )
        .await;
    assert_eq!(response.status, StatusCode::OK);
    let page = app.get("/settings", Some(&cookie)).await;
    assert!(
        !page.body.contains("<script>window.__x=1</script>"),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains("&lt;/textarea&gt;&lt;script&gt;window.__x=1&lt;/script&gt;")
    );
}

#[tokio::test]
async fn unknown_addresses_get_a_real_404_page() {
    let app = TestApp::new().await;
    let page = app.get("/no/such/page", None).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(page.body.contains("Page not found"));
}

#[tokio::test]
async fn plain_form_posts_redirect_without_javascript() {
    let app = TestApp::new().await;
    let form = [
        ("username", "alice"),
        ("email", "alice@example.test"),
        ("password", PASSWORD),
    ];
    let response = app
        .post_without_js::<Register>(&form, "/register", None)
        .await;
    assert_eq!(response.status, StatusCode::FOUND);
    assert_eq!(response.header("location"), Some("/"));
    assert!(response.session_cookie().is_some());

    // An error goes back to the form, carried in a signed cookie for that page only: the
    // address stays clean, the page shows it once.
    let form = [
        ("email", "alice@example.test"),
        ("password", "wrong password"),
    ];
    let response = app.post_without_js::<Login>(&form, "/login", None).await;
    assert_eq!(response.status, StatusCode::FOUND);
    let location = response.header("location").unwrap().to_owned();
    assert_eq!(location, format!("{ORIGIN}/login"));
    let (page, cookies) = app.follow(&response, None).await;
    assert!(
        page.body.contains("class=\"error-messages\""),
        "{}",
        page.body
    );
    assert!(page.body.contains("email or password is invalid"));
    assert_eq!(
        page.header("cache-control"),
        Some("no-store"),
        "a page with a carried error is private"
    );
    let again = app
        .get("/login", Some(&page.cookies_after(Some(&cookies))))
        .await;
    assert!(!again.body.contains("email or password is invalid"), "once");
    let elsewhere = app.get("/login", None).await;
    assert!(!elsewhere.body.contains("email or password is invalid"));
}

/// security.md §0b: Leptos reads `__path`/`__err` from any address, so a link such as
/// `/login?__path=/rpc/login&__err=<base64>` used to put its own words on our sign-in page.
/// Only an error this server carried to this browser is shown now.
#[tokio::test]
async fn an_error_written_into_an_address_is_never_shown() {
    use leptos::server_fn::error::ServerFnUrlError;
    use quire::error::AppError;
    let app = TestApp::new().await;
    let cookie = app.register("alice").await;
    let text = "Your account is locked: call +1 555 0100";
    let forged = |page: &str, path: &str| {
        let url = ServerFnUrlError::new(path, AppError::BadRequest(text.into()))
            .to_url(&format!("{ORIGIN}{page}"))
            .expect("a url")
            .to_string();
        url.trim_start_matches(ORIGIN).to_owned()
    };
    for (page, function, cookie) in [
        ("/login", <Login as ServerFn>::PATH, None),
        ("/register", <Register as ServerFn>::PATH, None),
        (
            "/settings",
            <UpdateSettings as ServerFn>::PATH,
            Some(cookie.as_str()),
        ),
        (
            "/editor",
            <SaveArticle as ServerFn>::PATH,
            Some(cookie.as_str()),
        ),
    ] {
        let address = forged(page, function);
        assert!(address.contains("__err="), "{address}");
        let shown = app.get(&address, cookie).await;
        assert_eq!(shown.status, StatusCode::OK, "{address}");
        assert!(
            !shown.body.contains("555 0100"),
            "{address}: {}",
            shown.body
        );
    }
    // Nor from a flash cookie written by hand.
    let address = forged("/login", <Login as ServerFn>::PATH);
    let err = address.split("__err=").nth(1).expect("the error");
    let handmade = format!("quire-flash=flash|9999999999|%2Flogin|/rpc/login|{err}");
    let shown = app.get("/login", Some(&handmade)).await;
    assert!(!shown.body.contains("555 0100"));
}

#[tokio::test]
async fn a_refused_article_without_javascript_comes_back_to_the_editor_with_its_errors() {
    let app = TestApp::new().await;
    let cookie = app.register("alice").await;
    let form = [
        ("slug", ""),
        ("title", ""),
        ("description", "d"),
        ("body", "Some text"),
        ("tags", ""),
        ("tag_input", ""),
    ];
    let response = app
        .post_without_js::<SaveArticle>(&form, "/editor", Some(&cookie))
        .await;
    assert_eq!(response.status, StatusCode::FOUND);
    assert_eq!(
        response.header("location"),
        Some(&*format!("{ORIGIN}/editor"))
    );
    let (page, _) = app.follow(&response, Some(&cookie)).await;
    assert_eq!(page.status, StatusCode::OK);
    // Rendered in the list, and handed to the form's island, so hydrating keeps it.
    assert!(
        page.body.contains("<li>title can't be blank</li>"),
        "{}",
        page.body
    );
    assert!(page.body.contains("data-component=\"ArticleForm_"));
    assert!(
        page.body
            .contains("data-props=\"{&quot;messages&quot;:[&quot;title can't be blank&quot;]}\""),
        "{}",
        page.body
    );
}

#[tokio::test]
async fn healthz_reports_the_database() {
    let app = TestApp::new().await;
    let response = app.get("/healthz", None).await;
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(response.json()["database"], "ok");
    app.state.db.close().await;
    let response = app.get("/healthz", None).await;
    assert_eq!(response.status, StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test]
async fn a_no_js_success_returns_to_the_form_without_the_old_error() {
    let app = TestApp::new().await;
    let cookie = app.register("alice").await;
    let form = settings("alice", "alice@example.test", "hi");
    let response = app
        .post_without_js::<UpdateSettings>(&form, "/settings?__path=x&__err=y", Some(&cookie))
        .await;
    assert_eq!(response.status, StatusCode::FOUND);
    assert_eq!(response.header("location"), Some(SAVED_HREF));
}

#[tokio::test]
async fn the_settings_page_says_when_it_was_saved() {
    let app = TestApp::new().await;
    let cookie = app.register("alice").await;
    let saved = "Your settings were saved.";
    let page = app.get(SAVED_HREF, Some(&cookie)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(saved), "{}", page.body);
    let page = app.get("/settings", Some(&cookie)).await;
    assert!(!page.body.contains(saved));
    // Not when a later post without JavaScript failed and came back to that address.
    let form = settings("alice", "nope", "");
    let response = app
        .post_without_js::<UpdateSettings>(&form, SAVED_HREF, Some(&cookie))
        .await;
    assert_eq!(response.status, StatusCode::FOUND);
    let (page, _) = app.follow(&response, Some(&cookie)).await;
    assert!(page.body.contains("email is invalid"), "{}", page.body);
    assert!(!page.body.contains(saved));
}

#[tokio::test]
async fn only_the_interactive_parts_hydrate() {
    let app = TestApp::new().await;
    let token = app.api_user("alice").await;
    let slug = app.api_article(&token, "Islands", &[]).await;
    let cookie = app.login("alice").await;
    let reader = app.register("bob").await;

    // Signed out: the favorite button is an island told to link to the sign-in page; the
    // article itself is plain HTML, and the page loads the islands' script.
    let page = app.get(&format!("/article/{slug}"), None).await;
    assert_eq!(page.status, StatusCode::OK);
    let islands = islands_in(&page.body);
    assert_eq!(
        islands,
        [
            "FollowButton",
            "FavoriteButton",
            "FollowButton",
            "FavoriteButton"
        ],
        "{}",
        page.body
    );
    assert!(page.body.contains("&quot;signed_in&quot;:false"));
    assert!(page.body.contains("__hydrateIsland"), "the islands loader");

    // Signed in, the same buttons are forms.
    let page = app.get(&format!("/article/{slug}"), Some(&reader)).await;
    assert!(page.body.contains("&quot;signed_in&quot;:true"));
    assert!(page.body.contains("class=\"favorite-form\""));

    // The forms are islands around server-rendered fields.
    for (path, island) in [("/login", "LoginForm"), ("/register", "RegisterForm")] {
        let page = app.get(path, None).await;
        assert_eq!(islands_in(&page.body), [island], "{path}");
    }
    let page = app.get("/settings", Some(&cookie)).await;
    assert_eq!(islands_in(&page.body), ["SettingsForm"]);
    let page = app.get("/editor", Some(&cookie)).await;
    assert_eq!(
        islands_in(&page.body),
        ["ArticleForm", "MarkdownEditor", "TagEditor"]
    );
    let page = app.get("/", None).await;
    assert_eq!(islands_in(&page.body), ["FavoriteButton"]);
}

/// The names of the islands in a page, in order.
fn islands_in(html: &str) -> Vec<&str> {
    html.split("<leptos-island data-component=\"")
        .skip(1)
        .filter_map(|rest| rest.split('_').next())
        .collect()
}
