//! Router tests of observability: `/metrics` (route templates as labels, statuses, histogram
//! counts, row totals, nothing from paths or queries, the optional token), `x-request-id` on
//! every answer, and `/healthz` (database and free disk).

use crate::common;

use axum::body::Body;
use axum::http::{HeaderValue, Request, StatusCode, header};
use common::TestApp;
use leptos::server_fn::ServerFn;
use quire::config::Secret;
use quire::server::user::{CurrentUser, Logout};

/// `GET path` with extra headers.
async fn get_with(
    app: &TestApp,
    path: &str,
    headers: &[(&str, HeaderValue)],
) -> common::TestResponse {
    let mut request = Request::get(path);
    for (name, value) in headers {
        request = request.header(*name, value.clone());
    }
    app.send(request.body(Body::empty()).expect("request"))
        .await
}

/// The body of `GET /metrics`, checked to be the Prometheus text format.
async fn scrape(app: &TestApp) -> String {
    let response = app.get("/metrics", None).await;
    assert_eq!(response.status, StatusCode::OK, "{response:?}");
    assert_eq!(
        response.header("content-type"),
        Some("text/plain; version=0.0.4; charset=utf-8")
    );
    for line in response.body.lines() {
        if line.starts_with("# HELP ") || line.starts_with("# TYPE ") {
            continue;
        }
        let (series, value) = line.rsplit_once(' ').expect("`series value`");
        assert!(value.parse::<f64>().is_ok(), "not a number in `{line}`");
        let name = series.split_once('{').map_or(series, |(name, _)| name);
        assert!(
            name.starts_with("quire_") && name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
            "bad metric name in `{line}`"
        );
        assert!(
            !series.contains('{') || series.ends_with('}'),
            "bad labels in `{line}`"
        );
    }
    response.body
}

fn has_line(text: &str, line: &str) -> bool {
    text.lines().any(|l| l == line)
}

#[tokio::test]
async fn metrics_count_requests_by_route_template_and_status() {
    let app = TestApp::new().await;
    let token = app.api_user("alice").await;
    let slug = app.api_article(&token, "Quietly Unique Title", &[]).await;
    assert_eq!(slug, "quietly-unique-title");

    assert_eq!(
        app.get(&format!("/article/{slug}"), None).await.status,
        StatusCode::OK
    );
    let missing = app.get("/article/no-such-article", None).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    let api = app
        .api("GET", &format!("/api/articles/{slug}"), None, None)
        .await;
    assert_eq!(api.status, StatusCode::OK);
    let api = app
        .api("GET", "/api/articles/no-such-article", None, None)
        .await;
    assert_eq!(api.status, StatusCode::NOT_FOUND);
    let search = app.get("/search?q=zanzibar-query-words", None).await;
    assert_eq!(search.status, StatusCode::OK);
    let nowhere = app.get("/nowhere/at-all", None).await;
    assert_eq!(nowhere.status, StatusCode::NOT_FOUND);
    assert_eq!(app.whoami(None).await, None);

    let text = scrape(&app).await;
    let count = |method: &str, route: &str, status: u16, n: u64| {
        format!(
            "quire_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}} {n}"
        )
    };
    for line in [
        count("POST", "/api/users", 201, 1),
        count("POST", "/api/articles", 201, 1),
        count("GET", "/article/{slug}", 200, 1),
        count("GET", "/article/{slug}", 404, 1),
        count("GET", "/api/articles/{slug}", 200, 1),
        count("GET", "/api/articles/{slug}", 404, 1),
        count("GET", "/search", 200, 1),
        count("GET", "unmatched", 404, 1),
        // Server functions are routes too.
        count("POST", CurrentUser::PATH, 200, 1),
        "quire_http_request_duration_seconds_count{method=\"GET\",route=\"/article/{slug}\"} 2"
            .to_owned(),
        "quire_http_request_duration_seconds_bucket{method=\"GET\",route=\"/article/{slug}\",le=\"+Inf\"} 2"
            .to_owned(),
        "quire_users_total 1".to_owned(),
        "quire_articles_total 1".to_owned(),
        "quire_comments_total 0".to_owned(),
        "quire_favorites_total 0".to_owned(),
        "quire_db_pool_max_connections{pool=\"writer\"} 1".to_owned(),
        "quire_db_pool_max_connections{pool=\"reader\"} 4".to_owned(),
        "quire_db_pool_max_connections{pool=\"searcher\"} 2".to_owned(),
        "# TYPE quire_http_request_duration_seconds histogram".to_owned(),
        "# TYPE quire_http_requests_total counter".to_owned(),
    ] {
        assert!(has_line(&text, &line), "no `{line}` in\n{text}");
    }
    for state in ["idle", "in_use"] {
        for pool in ["reader", "searcher", "writer"] {
            let prefix = format!("quire_db_pool_connections{{pool=\"{pool}\",state=\"{state}\"}} ");
            assert!(
                text.lines().any(|l| l.starts_with(&prefix)),
                "no {prefix} in\n{text}"
            );
        }
    }
    assert!(
        text.lines()
            .any(|l| l.starts_with("quire_process_uptime_seconds "))
    );
    // Nothing from the paths or queries that were called.
    for private in [
        slug.as_str(),
        "no-such-article",
        "zanzibar",
        "nowhere",
        "alice",
    ] {
        assert!(!text.contains(private), "`{private}` leaked into\n{text}");
    }
    // The scrape itself is counted by the next one.
    let text = scrape(&app).await;
    assert!(has_line(&text, &count("GET", "/metrics", 200, 1)), "{text}");
}

#[tokio::test]
async fn every_answer_has_a_request_id_and_a_sane_one_is_kept() {
    let app = TestApp::new().await;
    let fresh = app.get("/healthz", None).await;
    let id = fresh
        .header("x-request-id")
        .expect("an x-request-id")
        .to_owned();
    assert_eq!(id.len(), 32, "{id}");
    assert!(id.bytes().all(|b| b.is_ascii_hexdigit()), "{id}");
    let next = app.get("/healthz", None).await;
    assert_ne!(next.header("x-request-id"), Some(id.as_str()));

    let sane = "from-the.proxy_42";
    let kept = get_with(
        &app,
        "/healthz",
        &[("x-request-id", HeaderValue::from_static(sane))],
    )
    .await;
    assert_eq!(kept.header("x-request-id"), Some(sane));

    // Newlines and other control characters cannot even reach us: the http crate refuses them
    // in header values. What can arrive and must be replaced:
    let long = "x".repeat(65);
    for insane in [
        HeaderValue::from_static("has a space"),
        HeaderValue::from_str("tab\tinside").unwrap(),
        HeaderValue::from_static("semi;colon"),
        HeaderValue::from_str(&long).unwrap(),
        HeaderValue::from_bytes("caf\u{e9}".as_bytes()).unwrap(),
    ] {
        let replaced = get_with(&app, "/healthz", &[("x-request-id", insane.clone())]).await;
        let id = replaced.header("x-request-id").expect("an x-request-id");
        assert_ne!(id.as_bytes(), insane.as_bytes());
        assert_eq!(id.len(), 32, "{id}");
    }

    // Answers from deeper layers carry one too: a 404 page, and a cross-site server-function
    // call refused by the CSRF check, which is also counted with its real status.
    let missing = app.get("/no/such/page", None).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(missing.header("x-request-id").is_some());
    let refused = app
        .call_from::<Logout>(&[], None, &[("sec-fetch-site", "cross-site")])
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{refused:?}");
    assert!(refused.header("x-request-id").is_some());
    let text = scrape(&app).await;
    let line = format!(
        "quire_http_requests_total{{method=\"POST\",route=\"{}\",status=\"403\"}} 1",
        Logout::PATH
    );
    assert!(has_line(&text, &line), "no `{line}` in\n{text}");
}

#[tokio::test]
async fn a_metrics_token_when_set_is_required() {
    let app =
        TestApp::with_config(|c| c.metrics_token = Some(Secret::new("scrape-me-please"))).await;
    let bearer = |value: &'static str| [("authorization", HeaderValue::from_static(value))];
    for refused in [
        get_with(&app, "/metrics", &[]).await,
        get_with(&app, "/metrics", &bearer("Bearer wrong")).await,
        get_with(&app, "/metrics", &bearer("Bearer scrape-me-pleas")).await,
        get_with(&app, "/metrics", &bearer("Token scrape-me-please")).await,
    ] {
        assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "{refused:?}");
        assert!(!refused.body.contains("quire_"), "{}", refused.body);
        assert!(!refused.body.contains("scrape-me"), "{}", refused.body);
    }
    let allowed = get_with(&app, "/metrics", &bearer("Bearer scrape-me-please")).await;
    assert_eq!(allowed.status, StatusCode::OK, "{allowed:?}");
    assert!(allowed.body.contains("quire_http_requests_total"));
    // The health check stays open.
    assert_eq!(app.get("/healthz", None).await.status, StatusCode::OK);
}

#[tokio::test]
async fn healthz_reports_the_database_and_free_disk_without_a_session() {
    let app = TestApp::new().await;
    let response = app.get("/healthz", None).await;
    assert_eq!(response.status, StatusCode::OK, "{response:?}");
    let body = response.json();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["database"], "ok");
    assert_eq!(body["disk"]["status"], "ok");
    assert!(body["disk"]["free_bytes"].as_u64().unwrap() > 0, "{body}");
    // Neither check starts a session.
    assert!(
        response.headers.get(header::SET_COOKIE).is_none(),
        "{response:?}"
    );
    let metrics = app.get("/metrics", None).await;
    assert!(
        metrics.headers.get(header::SET_COOKIE).is_none(),
        "{metrics:?}"
    );
}

#[tokio::test]
async fn healthz_is_503_when_the_disk_is_low() {
    let app = TestApp::with_config(|c| c.min_free_disk_bytes = u64::MAX).await;
    let response = app.get("/healthz", None).await;
    assert_eq!(response.status, StatusCode::SERVICE_UNAVAILABLE);
    let body = response.json();
    assert_eq!(body["status"], "degraded");
    assert_eq!(body["database"], "ok");
    assert_eq!(body["disk"]["status"], "low");
    assert!(body["disk"]["free_bytes"].as_u64().unwrap() > 0, "{body}");
}

#[tokio::test]
async fn without_the_database_healthz_is_503_and_metrics_still_answer() {
    let app = TestApp::new().await;
    app.sign_up("alice").await;
    assert!(has_line(&scrape(&app).await, "quire_users_total 1"));
    app.state.db.close().await;

    let response = app.get("/healthz", None).await;
    assert_eq!(response.status, StatusCode::SERVICE_UNAVAILABLE);
    let body = response.json();
    assert_eq!(body["status"], "degraded");
    assert_eq!(body["database"], "unreachable");

    let text = scrape(&app).await;
    assert!(text.contains("quire_http_requests_total{"), "{text}");
    assert!(
        has_line(
            &text,
            "quire_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"503\"} 1"
        ),
        "{text}"
    );
    assert!(!text.contains("quire_users_total"), "{text}");
}
