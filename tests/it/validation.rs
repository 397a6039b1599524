//! Hostile and out-of-range input through the real router, REST API and server functions alike:
//! every case is a 4xx with a message that names what is wrong, never a 500 and never a 200
//! that quietly means something else. One table per front door; the rules themselves live in
//! `model` (and `markdown` for nesting), so both doors give the same answer.

use crate::common;

use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::{ORIGIN, TestApp};
use leptos::server_fn::ServerFn;
use quire::server::article::{ListArticles, PreviewMarkdown, SaveArticle};
use quire::server::comment::{AddComment, ListComments};
use quire::server::search::Search;
use quire::server::user::{Register, UpdateSettings};
use serde_json::{Value, json};

const NUL: &str = "must not contain the NUL character";
const TOO_MANY_TAGS: &str = "are too many (maximum is 10)";
const TOO_DEEP: &str = "nests too deeply (at most 100 levels of quotes, lists and HTML elements)";
const LIST_PAGE: &str = "must be a whole number from 1 to 100000";
const SEARCH_PAGE: &str = "must be a whole number from 1 to 1000";
const LIMIT: &str = "must be a whole number from 1 (above 100 reads as 100)";
const OFFSET: &str = "must be a whole number from 0";

/// A case's answer must come within this (debug build, two cores shared with the compiler);
/// the release binary is held to 1 s by `scripts/reliability/hostile.py`.
const SLOW: Duration = Duration::from_secs(3);

/// The first message of `field` in a REST error body `{"errors": {field: [message]}}`.
fn rest_error(body: &Value, field: &str) -> String {
    body["errors"][field][0]
        .as_str()
        .unwrap_or_else(|| panic!("no error for {field} in {body}"))
        .to_owned()
}

/// The first message of `field` in a server function's `{"Validation": {field: [message]}}`.
fn fn_error(body: &Value, field: &str) -> String {
    body["Validation"][field][0]
        .as_str()
        .unwrap_or_else(|| panic!("no error for {field} in {body}"))
        .to_owned()
}

fn article(fields: Value) -> Value {
    let mut article = json!({"title": "T", "description": "d", "body": "b", "tagList": []});
    for (key, value) in fields.as_object().expect("an object") {
        article[key] = value.clone();
    }
    json!({ "article": article })
}

/// `n` distinct tags of at most three characters: 40,000 of them still fit the 256 KB body.
fn distinct_tags(n: usize) -> Vec<String> {
    const DIGITS: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    (0..n)
        .map(|i| {
            let mut tag = String::new();
            let mut i = i;
            loop {
                tag.push(DIGITS[i % DIGITS.len()] as char);
                i /= DIGITS.len();
                if i == 0 {
                    break tag;
                }
            }
        })
        .collect()
}

/// Markdown of `unit` repeated to 64,000 bytes at most (inside the body limit).
fn markdown_of(unit: &str, times: usize) -> String {
    let mut md = unit.repeat(times);
    md.truncate(64_000);
    while !md.is_char_boundary(md.len()) {
        md.pop();
    }
    md
}

#[tokio::test]
async fn article_fields_through_the_api_are_checked_with_a_message_per_field() {
    let app = TestApp::new().await;
    let token = app.api_user("alice").await;
    let long_tag = "x".repeat(33);
    let cases: Vec<(&str, Value, StatusCode, &str, String)> = vec![
        (
            "NUL title",
            json!({"title": "a\u{0}b"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "title",
            NUL.into(),
        ),
        (
            "NUL description",
            json!({"description": "\u{0}"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "description",
            NUL.into(),
        ),
        (
            "NUL body",
            json!({"body": "a\u{0}"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "body",
            NUL.into(),
        ),
        (
            "NUL tag",
            json!({"tagList": ["a\u{0}"]}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "tagList",
            NUL.into(),
        ),
        (
            "title 201",
            json!({"title": "t".repeat(201)}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "title",
            "is too long (maximum is 200 characters)".into(),
        ),
        (
            "title 10,000",
            json!({"title": "t".repeat(10_000)}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "title",
            "is too long (maximum is 200 characters)".into(),
        ),
        (
            "description 501",
            json!({"description": "d".repeat(501)}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "description",
            "is too long (maximum is 500 characters)".into(),
        ),
        (
            "body 64 KB + 1",
            json!({"body": "b".repeat(64 * 1024 + 1)}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "body",
            "is too long (maximum is 64 KB)".into(),
        ),
        (
            "blank title",
            json!({"title": " \t"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "title",
            "can't be blank".into(),
        ),
        (
            "tag of 33",
            json!({"tagList": [long_tag]}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "tagList",
            format!("'{long_tag}' is too long (maximum is 32 characters)"),
        ),
        (
            "11 tags",
            json!({"tagList": distinct_tags(11)}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "tagList",
            TOO_MANY_TAGS.into(),
        ),
        (
            "10,000 tags",
            json!({"tagList": distinct_tags(10_000)}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "tagList",
            TOO_MANY_TAGS.into(),
        ),
        (
            "40,000 tags",
            json!({"tagList": distinct_tags(40_000)}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "tagList",
            TOO_MANY_TAGS.into(),
        ),
        (
            "40,000 copies of one tag",
            json!({"tagList": vec!["x"; 40_000]}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "tagList",
            TOO_MANY_TAGS.into(),
        ),
        (
            "tagList null",
            json!({"tagList": null}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "tagList",
            "must be a list of strings".into(),
        ),
        (
            "tagList of numbers",
            json!({"tagList": [1]}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "tagList",
            "invalid type: integer `1`, expected a string".into(),
        ),
        (
            "title a number",
            json!({"title": 10e30}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "title",
            "invalid type: floating point `1e+31`, expected a string".into(),
        ),
        // security.md §3.5(e): the parser's pathological inputs, at the largest body allowed.
        (
            "> x 10,000",
            json!({"body": ">".repeat(10_000)}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "body",
            TOO_DEEP.into(),
        ),
        (
            "> - x 16,000",
            json!({"body": markdown_of("> - ", 16_000)}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "body",
            TOO_DEEP.into(),
        ),
        (
            "1. x 21,000",
            json!({"body": markdown_of("1. ", 21_000)}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "body",
            TOO_DEEP.into(),
        ),
        (
            "<ul> x 16,000",
            json!({"body": markdown_of("<ul>", 16_000)}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "body",
            TOO_DEEP.into(),
        ),
        (
            "[a](<b x 50,000",
            json!({"body": "[a](<b".repeat(50_000)}),
            StatusCode::PAYLOAD_TOO_LARGE,
            "request",
            "the request is too large (maximum is 256 KB)".into(),
        ),
    ];
    for (name, fields, status, field, message) in cases {
        let started = Instant::now();
        let response = app
            .api("POST", "/api/articles", Some(&token), Some(article(fields)))
            .await;
        assert!(
            started.elapsed() < SLOW,
            "{name} took {:?}",
            started.elapsed()
        );
        assert_eq!(response.status, status, "{name}: {}", response.body);
        assert_eq!(rest_error(&response.json(), field), message, "{name}");
    }

    // The parser's other pathological inputs render, in time, at the largest body allowed.
    for (name, body) in [
        ("[a](<b", markdown_of("[a](<b", 50_000)),
        ("!-- <", "!-- <".repeat(5_000)),
        ("[^ at line starts", "[^\n".repeat(5_000)),
        ("> x 99", format!("{}deep", "> ".repeat(99))),
    ] {
        let started = Instant::now();
        let response = app
            .api(
                "POST",
                "/api/articles",
                Some(&token),
                Some(article(json!({"body": body}))),
            )
            .await;
        assert!(
            started.elapsed() < SLOW,
            "{name} took {:?}",
            started.elapsed()
        );
        assert_eq!(
            response.status,
            StatusCode::CREATED,
            "{name}: {}",
            response.body
        );
    }

    // A change is held to the same rules.
    let slug = app.api_article(&token, "Kept", &["a"]).await;
    let response = app
        .api(
            "PUT",
            &format!("/api/articles/{slug}"),
            Some(&token),
            Some(json!({"article": {"title": "x\u{0}", "tagList": vec!["y"; 40_000]}})),
        )
        .await;
    assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(rest_error(&response.json(), "title"), NUL);
    let response = app
        .api(
            "PUT",
            &format!("/api/articles/{slug}"),
            Some(&token),
            Some(json!({"article": {"body": ">".repeat(20_000)}})),
        )
        .await;
    assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(rest_error(&response.json(), "body"), TOO_DEEP);
}

#[tokio::test]
async fn account_and_comment_fields_through_the_api_are_checked() {
    let app = TestApp::new().await;
    let token = app.api_user("alice").await;
    let slug = app.api_article(&token, "Commented", &[]).await;
    let email_255 = format!("{}@example.test", "a".repeat(255 - 13));
    let settings: Vec<(Value, &str, String)> = vec![
        (json!({"username": "a\u{0}b"}), "username", NUL.into()),
        (json!({"email": "a\u{0}@b.co"}), "email", NUL.into()),
        (json!({"bio": "\u{0}"}), "bio", NUL.into()),
        (
            json!({"image": "https://x.test/\u{0}"}),
            "image",
            NUL.into(),
        ),
        (
            json!({"password": "long enough\u{0}"}),
            "password",
            NUL.into(),
        ),
        (
            json!({"username": "u".repeat(33)}),
            "username",
            "is too long (maximum is 32 characters)".into(),
        ),
        (
            json!({"email": email_255}),
            "email",
            "is too long (maximum is 254 characters)".into(),
        ),
        (
            json!({"bio": "b".repeat(1001)}),
            "bio",
            "is too long (maximum is 1000 characters)".into(),
        ),
        (
            json!({"image": format!("https://x.test/{}", "i".repeat(2048))}),
            "image",
            "is too long (maximum is 2048 characters)".into(),
        ),
        (
            json!({"password": "p".repeat(129)}),
            "password",
            "is too long (maximum is 128 characters)".into(),
        ),
        (
            json!({"image": "javascript:alert(1)"}),
            "image",
            "must be an http(s) URL".into(),
        ),
    ];
    for (body, field, message) in settings {
        let response = app
            .api(
                "PUT",
                "/api/user",
                Some(&token),
                Some(json!({"user": body})),
            )
            .await;
        assert_eq!(
            response.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {}",
            response.body
        );
        assert_eq!(rest_error(&response.json(), field), message, "{body}");
    }

    for (user, field) in [
        (
            json!({"username": "a\u{0}", "email": "n@x.test", "password": "long enough"}),
            "username",
        ),
        (
            json!({"username": "nul", "email": "n\u{0}@x.test", "password": "long enough"}),
            "email",
        ),
        (
            json!({"username": "nul", "email": "n@x.test", "password": "long\u{0}enough"}),
            "password",
        ),
    ] {
        let response = app
            .api("POST", "/api/users", None, Some(json!({"user": user})))
            .await;
        assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY, "{user}");
        assert_eq!(rest_error(&response.json(), field), NUL, "{user}");
    }
    for (user, field) in [
        (json!({"email": "a\u{0}@x.test", "password": "x"}), "email"),
        (
            json!({"email": "a@x.test", "password": "\u{0}"}),
            "password",
        ),
    ] {
        let response = app
            .api(
                "POST",
                "/api/users/login",
                None,
                Some(json!({"user": user})),
            )
            .await;
        assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY, "{user}");
        assert_eq!(rest_error(&response.json(), field), NUL, "{user}");
    }

    let comments = format!("/api/articles/{slug}/comments");
    for (body, message) in [
        (json!("a\u{0}b"), NUL.to_owned()),
        (
            json!("c".repeat(5001)),
            "is too long (maximum is 5000 characters)".to_owned(),
        ),
        (json!("  "), "can't be blank".to_owned()),
        (
            json!(5),
            "invalid type: integer `5`, expected a string".to_owned(),
        ),
    ] {
        let response = app
            .api(
                "POST",
                &comments,
                Some(&token),
                Some(json!({"comment": {"body": body}})),
            )
            .await;
        assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(rest_error(&response.json(), "body"), message, "{body}");
    }
}

#[tokio::test]
async fn list_parameters_are_422_or_clamped_and_fast() {
    let app = TestApp::new().await;
    let token = app.api_user("alice").await;
    for i in 0..3 {
        app.api_article(&token, &format!("Listed {i}"), &["t"])
            .await;
    }
    let bad: &[(&str, &str, &str)] = &[
        ("limit=0", "limit", LIMIT),
        ("limit=-1", "limit", LIMIT),
        ("limit=abc", "limit", LIMIT),
        ("limit=1.5", "limit", LIMIT),
        ("limit=", "limit", LIMIT),
        ("limit=9223372036854775808", "limit", LIMIT),
        ("limit=99999999999999999999999", "limit", LIMIT),
        ("offset=-1", "offset", OFFSET),
        ("offset=9223372036854775808", "offset", OFFSET),
        ("offset=x", "offset", OFFSET),
        ("tag=a%00b", "tag", NUL),
        ("author=%00", "author", NUL),
        ("favorited=x%00", "favorited", NUL),
    ];
    for path in ["/api/articles", "/api/articles/feed", "/api/search"] {
        for (query, field, message) in bad {
            // The feed and search have no filters; they are ignored there.
            if path != "/api/articles" && !["limit", "offset"].contains(field) {
                continue;
            }
            let url = format!("{path}?q=listed&{query}");
            let response = app.api("GET", &url, Some(&token), None).await;
            assert_eq!(
                response.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{url}: {}",
                response.body
            );
            assert_eq!(rest_error(&response.json(), field), *message, "{url}");
        }
    }
    // Out-of-range values that have an obvious meaning are clamped, and past the end is empty.
    let clamped: &[(&str, usize)] = &[
        ("limit=1000000000", 3),
        ("limit=9223372036854775807", 3),
        ("limit=2", 2),
        ("offset=10000000", 0),
        ("offset=1000000000000", 0),
        ("offset=9223372036854775807", 0),
        ("offset=2", 1),
    ];
    for path in ["/api/articles", "/api/search"] {
        for (query, count) in clamped {
            let url = format!("{path}?q=listed&{query}");
            let started = Instant::now();
            let response = app.api("GET", &url, None, None).await;
            assert!(
                started.elapsed() < SLOW,
                "{url} took {:?}",
                started.elapsed()
            );
            assert_eq!(response.status, StatusCode::OK, "{url}: {}", response.body);
            let json = response.json();
            assert_eq!(json["articles"].as_array().unwrap().len(), *count, "{url}");
            assert_eq!(json["articlesCount"], 3, "{url}");
        }
    }
}

#[tokio::test]
async fn unreadable_bodies_and_addresses_are_400_in_the_contracts_shape() {
    let app = TestApp::new().await;
    let token = app.api_user("alice").await;
    let send = |method: &str, path: &str, body: &'static [u8]| {
        let request = Request::builder()
            .method(method)
            .uri(path)
            .header(header::AUTHORIZATION, format!("Token {token}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body))
            .unwrap();
        app.send(request)
    };
    let response = send(
        "POST",
        "/api/articles",
        b"{\"article\": {\"title\": \"\xff\xfe\", \"description\": \"d\", \"body\": \"b\"}}",
    )
    .await;
    assert_eq!(
        response.status,
        StatusCode::BAD_REQUEST,
        "{}",
        response.body
    );
    assert_eq!(
        rest_error(&response.json(), "request"),
        "bad request: the body is not valid UTF-8 (at byte 23)"
    );
    let response = send(
        "POST",
        "/api/users",
        b"{\"user\": {\"username\": \"\xc3\"}}",
    )
    .await;
    assert_eq!(response.status, StatusCode::BAD_REQUEST);
    // A struct is read from an object only (serde reads one from an array too).
    for (method, path, body, field) in [
        ("PUT", "/api/user", &b"{\"user\": []}"[..], "user"),
        (
            "POST",
            "/api/articles",
            b"{\"article\": [\"t\", \"d\", \"b\"]}",
            "article",
        ),
        ("POST", "/api/users", b"[{\"username\": \"x\"}]", "request"),
        ("POST", "/api/users/login", b"\"user\"", "request"),
    ] {
        let request = Request::builder()
            .method(method)
            .uri(path)
            .header(header::AUTHORIZATION, format!("Token {token}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body))
            .unwrap();
        let response = app.send(request).await;
        assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY, "{path}");
        assert_eq!(rest_error(&response.json(), field), "must be a JSON object");
    }
    // Valid UTF-8 that is not JSON stays the contract's 422.
    let response = send("POST", "/api/articles", b"{\"article\": ").await;
    assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);

    for (method, path) in [
        ("GET", "/api/articles/%FF"),
        ("PUT", "/api/articles/%FF%FE"),
        ("POST", "/api/articles/a%C3/favorite"),
        ("GET", "/api/articles/%FF/comments"),
        ("DELETE", "/api/articles/ok/comments/%FF"),
        ("GET", "/api/profiles/%FF"),
        ("POST", "/api/profiles/%FF/follow"),
    ] {
        let response = send(method, path, b"{\"article\": {}}").await;
        assert_eq!(
            response.status,
            StatusCode::BAD_REQUEST,
            "{method} {path}: {}",
            response.body
        );
        let message = rest_error(&response.json(), "request");
        assert!(
            message.contains("Invalid UTF-8"),
            "{method} {path}: {message}"
        );
    }
}

/// Sends a raw form body to server function `F` as the browser would (same origin).
async fn raw_call<F: ServerFn>(
    app: &TestApp,
    body: &'static str,
    cookie: Option<&str>,
) -> common::TestResponse {
    let mut request = Request::post(F::PATH)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ACCEPT, "application/json")
        .header("origin", ORIGIN);
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    app.send(request.body(Body::from(body)).expect("request"))
        .await
}

#[tokio::test]
async fn server_functions_apply_the_same_rules_as_the_api() {
    let app = TestApp::new().await;
    let cookie = app.register("alice").await;
    let save = |title: String, body: String, tags: String| {
        let cookie = cookie.clone();
        let app = &app;
        async move {
            app.call::<SaveArticle>(
                &[
                    ("slug", ""),
                    ("title", &title),
                    ("description", "d"),
                    ("body", &body),
                    ("tags", &tags),
                    ("tag_input", ""),
                ],
                Some(&cookie),
            )
            .await
        }
    };
    let many = distinct_tags(10_000).join(",");
    let copies = vec!["x"; 40_000].join(",");
    let cases: Vec<(&str, String, String, String, &str, &str)> = vec![
        (
            "NUL title",
            "a\u{0}".into(),
            "b".into(),
            String::new(),
            "title",
            NUL,
        ),
        (
            "NUL body",
            "t".into(),
            "\u{0}".into(),
            String::new(),
            "body",
            NUL,
        ),
        (
            "NUL tag",
            "t".into(),
            "b".into(),
            "a\u{0}".into(),
            "tags",
            NUL,
        ),
        (
            "10,000 tags",
            "t".into(),
            "b".into(),
            many,
            "tags",
            TOO_MANY_TAGS,
        ),
        (
            "40,000 copies of one tag",
            "t".into(),
            "b".into(),
            copies,
            "tags",
            TOO_MANY_TAGS,
        ),
        (
            "title 201",
            "t".repeat(201),
            "b".into(),
            String::new(),
            "title",
            "is too long (maximum is 200 characters)",
        ),
        (
            "> x 10,000",
            "t".into(),
            ">".repeat(10_000),
            String::new(),
            "body",
            TOO_DEEP,
        ),
    ];
    for (name, title, body, tags, field, message) in cases {
        let started = Instant::now();
        let response = save(title, body, tags).await;
        assert!(
            started.elapsed() < SLOW,
            "{name} took {:?}",
            started.elapsed()
        );
        assert_eq!(
            response.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{name}: {}",
            response.body
        );
        assert_eq!(fn_error(&response.json(), field), message, "{name}");
    }
    let response = app
        .call::<PreviewMarkdown>(&[("body", &">".repeat(10_000))], Some(&cookie))
        .await;
    assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fn_error(&response.json(), "body"), TOO_DEEP);

    let response = app
        .call::<AddComment>(&[("slug", "nowhere"), ("body", "a\u{0}")], Some(&cookie))
        .await;
    assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fn_error(&response.json(), "body"), NUL);

    let response = app
        .call::<Register>(
            &[
                ("username", "a\u{0}"),
                ("email", "n@x.test"),
                ("password", "long enough"),
            ],
            None,
        )
        .await;
    assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fn_error(&response.json(), "username"), NUL);

    for field in [
        "image",
        "username",
        "bio",
        "email",
        "password",
        "current_password",
    ] {
        let mut form = vec![
            ("image", String::new()),
            ("username", "alice".to_owned()),
            ("bio", String::new()),
            ("email", "alice@example.test".to_owned()),
            ("password", String::new()),
            ("current_password", String::new()),
        ];
        for (name, value) in &mut form {
            if *name == field {
                value.push_str("x\u{0}y");
            }
        }
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let response = app.call::<UpdateSettings>(&form, Some(&cookie)).await;
        assert_eq!(
            response.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{field}: {}",
            response.body
        );
        assert_eq!(fn_error(&response.json(), field), NUL, "{field}");
    }
}

#[tokio::test]
async fn server_function_pages_and_arguments_are_4xx() {
    let app = TestApp::new().await;
    let list = async |page: &str, kind: &str, name: &str| {
        app.call::<ListArticles>(&[("kind", kind), ("name", name), ("page", page)], None)
            .await
    };
    for (page, status, field, message) in [
        (
            "0",
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("page"),
            LIST_PAGE,
        ),
        (
            "100001",
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("page"),
            LIST_PAGE,
        ),
        (
            "-1",
            StatusCode::BAD_REQUEST,
            None,
            "invalid digit found in string",
        ),
        (
            "abc",
            StatusCode::BAD_REQUEST,
            None,
            "invalid digit found in string",
        ),
        (
            "99999999999999999999",
            StatusCode::BAD_REQUEST,
            None,
            "number too large to fit in target type",
        ),
        (
            "1e30",
            StatusCode::BAD_REQUEST,
            None,
            "invalid digit found in string",
        ),
    ] {
        let response = list(page, "global", "").await;
        assert_eq!(response.status, status, "page={page}: {}", response.body);
        match field {
            Some(field) => assert_eq!(fn_error(&response.json(), field), message),
            None => assert_eq!(response.json()["BadRequest"], message, "page={page}"),
        }
    }
    let response = list("1", "tag", "a\u{0}b").await;
    assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fn_error(&response.json(), "tag"), NUL);
    let response = list("1", "author", "\u{0}").await;
    assert_eq!(fn_error(&response.json(), "author"), NUL);

    for (page, status) in [
        ("0", StatusCode::UNPROCESSABLE_ENTITY),
        ("1001", StatusCode::UNPROCESSABLE_ENTITY),
    ] {
        let response = app
            .call::<Search>(&[("q", "x"), ("page", page)], None)
            .await;
        assert_eq!(response.status, status);
        assert_eq!(fn_error(&response.json(), "page"), SEARCH_PAGE);
    }
    let response = app
        .api("GET", "/api/search?q=%00%00listed%01", None, None)
        .await;
    assert_eq!(response.status, StatusCode::OK);
    // Any text is a query; U+0000 is a space in it, a long query is cut.
    for q in ["a\u{0}b", &"q".repeat(100_000)] {
        let response = app.call::<Search>(&[("q", q), ("page", "1")], None).await;
        assert_eq!(response.status, StatusCode::OK);
    }

    // Bodies the argument decoder cannot read: a 400 that says why, never a 500.
    for (body, message) in [
        ("slug=a&slug=b", "Multiple values for one key"),
        (
            "slug[a][b][c][d][e][f][g]=1",
            "invalid type: map, expected a string",
        ),
        ("%FF=1", "missing field `slug`"),
        ("", "missing field `slug`"),
    ] {
        let response = raw_call::<ListComments>(&app, body, None).await;
        assert_eq!(
            response.status,
            StatusCode::BAD_REQUEST,
            "{body}: {}",
            response.body
        );
        let text = response.json()["BadRequest"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert!(text.contains(message), "{body}: {text}");
    }
    // What a request sent is quoted in a message only in part: the answer never grows with it
    // (an error body of more than 64 KB used to become a bare 500).
    let kind = "k".repeat(300_000);
    let response = app
        .call::<ListArticles>(&[("kind", &kind), ("name", ""), ("page", "1")], None)
        .await;
    assert_eq!(response.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        response.json()["BadRequest"],
        format!("unknown list `{}…`", "k".repeat(40))
    );
    let cookie = app.register("alice").await;
    let tag = "t".repeat(100_000);
    let response = app
        .call::<SaveArticle>(
            &[
                ("slug", ""),
                ("title", "t"),
                ("description", "d"),
                ("body", "b"),
                ("tags", &tag),
                ("tag_input", ""),
            ],
            Some(&cookie),
        )
        .await;
    assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        fn_error(&response.json(), "tags"),
        format!(
            "'{}…' is too long (maximum is 32 characters)",
            "t".repeat(40)
        )
    );
    let token = app.api_user("bob").await;
    let response = app
        .api(
            "POST",
            "/api/articles",
            Some(&token),
            Some(json!({"article": {"title": "t", "tagList": "x".repeat(200_000)}})),
        )
        .await;
    assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response.body.len() < 500, "{} bytes", response.body.len());

    let response = raw_call::<ListComments>(&app, "slug=%FF%FE", None).await;
    assert_eq!(response.status, StatusCode::NOT_FOUND, "{}", response.body);
}

#[tokio::test]
async fn page_numbers_in_addresses_are_a_422_that_says_what_a_page_may_be() {
    let app = TestApp::new().await;
    let token = app.api_user("alice").await;
    app.api_article(&token, "Paged", &["x"]).await;
    for path in [
        "/?page=0",
        "/?page=-1",
        "/?page=abc",
        "/?page=99999999999999999999",
        "/?page=100001",
        "/?page=%FF",
        "/tag/x?page=0",
        "/tag/x?page=-1",
        "/profile/alice?page=-1",
        "/profile/alice/favorites?page=abc",
    ] {
        let page = app.get(path, None).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{path}");
        assert!(page.body.contains(&format!("page {LIST_PAGE}")), "{path}");
    }
    for path in [
        "/search?q=paged&page=0",
        "/search?q=paged&page=-1",
        "/search?q=paged&page=1001",
    ] {
        let page = app.get(path, None).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{path}");
        assert!(page.body.contains(&format!("page {SEARCH_PAGE}")), "{path}");
    }
    for path in [
        "/",
        "/?page=",
        "/?page=1",
        "/?page=%201%20",
        "/tag/x?page=1",
        "/search?q=paged&page=",
    ] {
        let page = app.get(path, None).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        assert!(page.body.contains("Paged"), "{path}");
    }
    let page = app.get("/tag/a%00b", None).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains(&format!("tag {NUL}")));

    // The admin table browser: its parameters are 400s that name them.
    let admin = app.register("root").await;
    app.promote("root").await;
    for (query, message) in [
        ("q=a%00b", "q must not contain the NUL character"),
        ("page=-1", "page must be a whole number from 1"),
        ("size=1000000", "size must be one of 10, 25, 50 or 100"),
    ] {
        let page = app
            .get(&format!("/admin/tables/articles?{query}"), Some(&admin))
            .await;
        assert_eq!(page.status, StatusCode::BAD_REQUEST, "{query}");
        assert!(page.body.contains(message), "{query}");
    }
}

/// Bodies of about 64 KB that the HTML parser behind the sanitiser would make into millions of
/// elements by copying formatting tags (security.md §0b): the outside test's payload and its
/// variants. `(name, body)`.
fn blow_ups() -> Vec<(&'static str, String)> {
    let repeat = |unit: &dyn Fn(usize) -> String| {
        let mut md = String::new();
        let mut i = 0;
        while md.len() < 64_000 {
            md.push_str(&unit(i));
            i += 1;
        }
        md
    };
    vec![
        ("<b title=N>", repeat(&|i| format!("<p><b title={i}></p>"))),
        ("<i title=N>", repeat(&|i| format!("<p><i title={i}></p>"))),
        (
            "<a href><b>",
            repeat(&|i| format!("<p><a href=\"https://x.test/{i}\"><b title={i}></p>")),
        ),
        ("<s title=N>", repeat(&|i| format!("<p><s title={i}></p>"))),
        (
            "<font color=N>",
            repeat(&|i| format!("<p><font color=c{i}></p>")),
        ),
        (
            "mixed",
            repeat(&|i| {
                let tag = ["b", "i", "em", "strong", "u", "code", "small", "font"][i % 8];
                format!("<p><{tag} title={i}></p>")
            }),
        ),
        ("in a list", repeat(&|i| format!("- <b title={i}>x\n"))),
        (
            "in a quote",
            repeat(&|i| format!("> <p><i title={i}></p>\n")),
        ),
        (
            "copied flat",
            repeat(&|i| {
                if i == 0 {
                    (0..60)
                        .map(|j| format!("<b title={j}>"))
                        .collect::<String>()
                } else {
                    "<p>x</p>".to_owned()
                }
            }),
        ),
    ]
}

fn is_refused_body(message: &str) -> bool {
    message.starts_with("nests too deeply") || message.starts_with("is too large once rendered")
}

/// security.md §0b: each blow-up is a quick 422 on `body` through every door that renders
/// Markdown (the preview, the API's create and update, the editor's publish and save), and
/// nothing is stored.
#[tokio::test]
async fn bodies_the_html_parser_would_blow_up_are_refused_at_every_door() {
    let app = TestApp::new().await;
    let token = app.api_user("alice").await;
    let cookie = app.login("alice").await;
    let slug = app.api_article(&token, "Kept", &[]).await;
    for (name, body) in blow_ups() {
        assert!(body.len() <= 65_536, "{name}");
        let started = Instant::now();
        let editor = |slug: &str, title: &str| {
            let form = [
                ("slug", slug.to_owned()),
                ("title", title.to_owned()),
                ("description", "d".to_owned()),
                ("body", body.clone()),
                ("tags", String::new()),
                ("tag_input", String::new()),
            ];
            let app = &app;
            let cookie = cookie.clone();
            async move {
                let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
                app.call::<SaveArticle>(&form, Some(&cookie)).await
            }
        };
        let doors = [
            (
                "preview",
                app.call::<PreviewMarkdown>(&[("body", &body)], Some(&cookie))
                    .await,
            ),
            ("editor, new", editor("", "New").await),
            ("editor, edit", editor(&slug, "Kept").await),
        ];
        for (door, response) in doors {
            assert_eq!(
                response.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{name} through the {door}: {}",
                &response.body[..response.body.len().min(300)]
            );
            let message = fn_error(&response.json(), "body");
            assert!(is_refused_body(&message), "{name}, {door}: {message}");
        }
        let created = app
            .api(
                "POST",
                "/api/articles",
                Some(&token),
                Some(article(json!({"body": body}))),
            )
            .await;
        let updated = app
            .api(
                "PUT",
                &format!("/api/articles/{slug}"),
                Some(&token),
                Some(json!({"article": {"body": body}})),
            )
            .await;
        for (door, response) in [("API, create", created), ("API, update", updated)] {
            assert_eq!(
                response.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{name}, {door}"
            );
            let message = rest_error(&response.json(), "body");
            assert!(is_refused_body(&message), "{name}, {door}: {message}");
        }
        assert!(
            started.elapsed() < SLOW,
            "{name} took {:?} through five doors",
            started.elapsed()
        );
    }
    // Nothing was stored: one article, its body as written.
    let articles = app.api("GET", "/api/articles", None, None).await.json();
    assert_eq!(articles["articlesCount"], 1);
    let kept = app
        .api("GET", &format!("/api/articles/{slug}"), None, None)
        .await;
    assert!(
        kept.json()["article"]["body"]
            .as_str()
            .unwrap()
            .starts_with("# Kept")
    );
}
