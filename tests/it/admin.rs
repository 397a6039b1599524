//! The admin pages: who may see them (401 signed out, 403 for non-admins), the table
//! browser's allowlist (no secrets, no SQL from the address), server-side paging, sorting and
//! search, the live figures, and granting the role from the browser. Pages and server
//! functions are both driven through the router.

use crate::common;

use std::time::Duration;

use axum::http::StatusCode;
use common::{PASSWORD, TestApp};
use quire::model::admin::{Overview, TablePage, TableParams};
use quire::model::article::ArticleDraft;
use quire::server::admin::{AdminOverview, AdminTable, ConfirmAdminPassword, SetAdmin};

/// An app with administrator `alice` (returns her cookie) and user `bob` (his cookie).
async fn app_with_admin() -> (TestApp, String, String) {
    admin_app(TestApp::new().await).await
}

/// `app` with administrator `alice` and user `bob`, and their cookies.
async fn admin_app(app: TestApp) -> (TestApp, String, String) {
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    app.promote("alice").await;
    (app, alice, bob)
}

async fn publish(app: &TestApp, author: &str, title: &str, body: &str) {
    let author = quire::service::user::find_by_name(&app.state, author)
        .await
        .expect("author");
    quire::service::article::create(
        &app.state,
        author.id,
        ArticleDraft {
            title: title.into(),
            description: "A description".into(),
            body: body.into(),
            tags: vec![],
        },
    )
    .await
    .expect("publish");
}

async fn is_admin(app: &TestApp, name: &str) -> bool {
    quire::service::user::find_by_name(&app.state, name)
        .await
        .expect("user")
        .is_admin
}

#[tokio::test]
async fn signed_out_is_401_and_non_admins_are_403_on_pages_and_server_functions() {
    let (app, _, bob) = app_with_admin().await;
    for path in ["/admin", "/admin/tables/users", "/admin/tables/nope"] {
        let out = app.get(path, None).await;
        assert_eq!(out.status, StatusCode::UNAUTHORIZED, "{path}");
        assert!(out.body.contains("Please sign in"), "{path}");
        let theirs = app.get(path, Some(&bob)).await;
        assert_eq!(theirs.status, StatusCode::FORBIDDEN, "{path}");
        assert!(theirs.body.contains("Administrators only"), "{path}");
        // Nothing of the table leaks into the refusal.
        assert!(!theirs.body.contains("alice@example.test"));
    }
    let calls = [
        app.call::<AdminOverview>(&[], None).await.status,
        app.call::<AdminOverview>(&[], Some(&bob)).await.status,
        app.call::<AdminTable>(&[("name", "users")], None)
            .await
            .status,
        app.call::<AdminTable>(&[("name", "users")], Some(&bob))
            .await
            .status,
    ];
    assert_eq!(
        calls,
        [
            StatusCode::UNAUTHORIZED,
            StatusCode::FORBIDDEN,
            StatusCode::UNAUTHORIZED,
            StatusCode::FORBIDDEN
        ]
    );
    let grab = app
        .call::<SetAdmin>(&[("username", "bob"), ("admin", "true")], Some(&bob))
        .await;
    assert_eq!(grab.status, StatusCode::FORBIDDEN);
    assert!(!is_admin(&app, "bob").await);
}

#[tokio::test]
async fn the_allowlist_keeps_secrets_and_sql_out() {
    let (app, alice, _) = app_with_admin().await;
    publish(&app, "alice", "Still here", "Body").await;
    for table in [
        "users%3BDROP%20TABLE%20articles--",
        "sessions",
        "api_tokens",
        "_sqlx_migrations",
        "articles_fts",
        "articles_fts_data",
        "articles_recent_fts",
        "_search_window",
        "sqlite_master",
        "nope",
        "USERS",
    ] {
        let page = app
            .get(&format!("/admin/tables/{table}"), Some(&alice))
            .await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{table}");
    }
    let rpc = app
        .call::<AdminTable>(&[("name", "users;DROP TABLE articles--")], Some(&alice))
        .await;
    assert_eq!(rpc.status, StatusCode::NOT_FOUND, "{rpc:?}");
    // The articles table is still there.
    let articles = app.get("/admin/tables/articles", Some(&alice)).await;
    assert_eq!(articles.status, StatusCode::OK);
    assert!(articles.body.contains("Still here"));
    // Every shown table pages and sorts, composite keys included.
    let (a, b) = (
        quire::service::user::find_by_name(&app.state, "alice")
            .await
            .unwrap()
            .id,
        quire::service::user::find_by_name(&app.state, "bob")
            .await
            .unwrap()
            .id,
    );
    let mut tx = app.begin_write().await;
    quire::db::follow::add(&mut *tx, a, b, &quire::db::now())
        .await
        .unwrap();
    quire::db::follow::add(&mut *tx, b, a, &quire::db::now())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let follows = app
        .get(
            "/admin/tables/follows?sort=follower_id&dir=desc&size=10",
            Some(&alice),
        )
        .await;
    assert!(follows.body.contains("Rows 1–2 of 2"), "{}", follows.body);
    for table in [
        "article_slug_redirects",
        "article_tags",
        "comments",
        "favorites",
        "follows",
        "tags",
    ] {
        let page = app
            .get(
                &format!("/admin/tables/{table}?sort=created_at&dir=desc"),
                Some(&alice),
            )
            .await;
        let expected = if matches!(table, "article_slug_redirects" | "tags") {
            StatusCode::BAD_REQUEST // no such column there
        } else {
            StatusCode::OK
        };
        assert_eq!(page.status, expected, "{table}");
        let plain = app
            .get(&format!("/admin/tables/{table}"), Some(&alice))
            .await;
        assert_eq!(plain.status, StatusCode::OK, "{table}");
    }

    for query in [
        "sort=password_hash",
        "sort=email;DROP%20TABLE%20users",
        "sort=body_html",
        "page=99999999999999999999",
        "page=4000000000",
        "page=2",
        "page=0",
        "page=-1",
        "size=1000000",
        "size=7",
        "dir=sideways",
    ] {
        let page = app
            .get(&format!("/admin/tables/users?{query}"), Some(&alice))
            .await;
        assert_eq!(page.status, StatusCode::BAD_REQUEST, "{query}");
        assert!(
            page.body.contains("That address is not quite right"),
            "{query}"
        );
    }
    let rpc = app
        .call::<AdminTable>(
            &[("name", "users"), ("params[sort]", "password_hash")],
            Some(&alice),
        )
        .await;
    assert_eq!(rpc.status, StatusCode::BAD_REQUEST, "{rpc:?}");

    // The users table shows who they are, never how they sign in.
    let users = app.get("/admin/tables/users", Some(&alice)).await;
    assert_eq!(users.status, StatusCode::OK);
    assert!(users.body.contains("alice@example.test"));
    assert!(users.body.contains(">is_admin"));
    assert!(!users.body.contains("password_hash"));
    assert!(!users.body.contains("$argon2"));
    let json = app
        .call::<AdminTable>(&[("name", "users")], Some(&alice))
        .await;
    assert_eq!(json.status, StatusCode::OK);
    assert!(!json.body.contains("argon2") && !json.body.contains("password"));
}

#[tokio::test]
async fn tables_are_paged_sorted_and_searched_on_the_server() {
    let (app, alice, _) = app_with_admin().await;
    for n in 1..=30 {
        publish(&app, "alice", &format!("Article {n:02}"), "Short body").await;
    }
    publish(&app, "alice", "Long one", &"word ".repeat(100)).await;
    let page = |params: TableParams| {
        let app = &app;
        async move {
            let viewer = quire::service::user::find_by_name(&app.state, "alice")
                .await
                .expect("alice")
                .id;
            quire::service::admin::table(
                &app.state,
                quire::service::admin::AdminViewer {
                    id: Some(viewer),
                    confirmed: true,
                },
                "articles",
                &params,
            )
            .await
            .expect("a page")
        }
    };
    let title_of = |p: &TablePage| {
        let at = p
            .columns
            .iter()
            .position(|c| c.name == "title")
            .expect("title");
        p.rows
            .items
            .iter()
            .map(|r| r[at].clone().unwrap_or_default())
            .collect::<Vec<_>>()
    };

    // Page 2 of 10 by title, descending: "Long one" sorts first, then 30, 29...
    let second = page(TableParams {
        page: "2".into(),
        size: "10".into(),
        sort: "title".into(),
        dir: "desc".into(),
        q: String::new(),
    })
    .await;
    assert_eq!(second.rows.total, 31);
    assert_eq!(second.rows.pages(), 4);
    let expected: Vec<String> = (12..=21).rev().map(|n| format!("Article {n:02}")).collect();
    assert_eq!(title_of(&second), expected);
    assert!(second.columns.iter().all(|c| c.name != "body_html"));

    // The search covers text columns only and counts what it finds.
    let found = page(TableParams {
        q: "article 0".into(),
        sort: "title".into(),
        ..TableParams::default()
    })
    .await;
    assert_eq!(found.rows.total, 9);
    assert_eq!(title_of(&found)[0], "Article 01");
    let wildcard = page(TableParams {
        q: "%".into(),
        ..TableParams::default()
    })
    .await;
    assert_eq!(wildcard.rows.total, 0, "LIKE wildcards are literal");

    // Long cells are cut.
    let long = page(TableParams {
        q: "Long one".into(),
        ..TableParams::default()
    })
    .await;
    let body_at = long
        .columns
        .iter()
        .position(|c| c.name == "body")
        .expect("body");
    let body = long.rows.items[0][body_at].clone().expect("a body");
    assert!(body.ends_with('…') && body.chars().count() == 121, "{body}");

    // The page renders the same rows, with sort links and the current sort marked.
    let html = app
        .get(
            "/admin/tables/articles?sort=title&dir=desc&size=10&page=2",
            Some(&alice),
        )
        .await;
    assert_eq!(html.status, StatusCode::OK);
    let at = |text: &str| html.body.find(text).unwrap_or_else(|| panic!("{text}"));
    assert!(at("Article 21") < at("Article 20") && at("Article 13") < at("Article 12"));
    assert!(!html.body.contains("Article 22") && !html.body.contains("Article 11"));
    assert!(html.body.contains("Rows 11–20 of 31"));
    assert!(html.body.contains(r#"aria-sort="descending""#));
    // The sorted column's link flips the direction; the others sort ascending.
    assert!(
        html.body
            .contains(r#"href="/admin/tables/articles?size=10&amp;sort=title""#)
    );
    assert!(
        html.body
            .contains(r#"href="/admin/tables/articles?size=10&amp;sort=slug""#)
    );
}

#[tokio::test]
async fn the_overview_shows_live_figures_and_a_chart() {
    let (app, alice, bob) = app_with_admin().await;
    publish(&app, "alice", "One", "Body").await;
    publish(&app, "bob", "Two", "Body").await;
    let token = app.api_user("carol").await;
    app.api_article(&token, "Three", &[]).await;
    let rpc = app.call::<AdminOverview>(&[], Some(&alice)).await;
    assert_eq!(rpc.status, StatusCode::OK, "{rpc:?}");
    let overview: Overview = serde_json::from_str(&rpc.body).expect("overview");
    assert_eq!((overview.users, overview.articles), (3, 3));
    assert_eq!((overview.comments, overview.favorites), (0, 0));
    assert_eq!(overview.per_day.len(), 30);
    assert_eq!(overview.per_day.last().map(|d| d.articles), Some(3));
    assert!(overview.per_day[..29].iter().all(|d| d.articles == 0));
    assert!(overview.database_bytes > 0);
    assert_eq!(overview.admins, ["alice"]);
    let names: Vec<&str> = overview.tables.iter().map(|t| t.name.as_str()).collect();
    assert!(names.contains(&"users") && names.contains(&"articles"));
    for hidden in ["sessions", "api_tokens", "_sqlx_migrations", "articles_fts"] {
        assert!(!names.iter().any(|n| n.starts_with(hidden)), "{hidden}");
    }

    let page = app.get("/admin", Some(&alice)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("<svg"));
    assert!(page.body.contains("3 articles in all"));
    assert_eq!(page.body.matches("<rect").count(), 30);
    assert!(page.body.contains(r#"href="/admin/tables/articles""#));
    // No button to take the role from yourself.
    assert!(page.body.contains("(you)"));
    assert!(!page.body.contains("Revoke admin from alice"));
    // Only administrators see the navbar's Admin link.
    assert!(
        app.get("/", Some(&alice))
            .await
            .body
            .contains(r#"href="/admin""#)
    );
    assert!(
        !app.get("/", Some(&bob))
            .await
            .body
            .contains(r#"href="/admin""#)
    );
}

#[tokio::test]
async fn administrators_grant_and_revoke_the_role_from_the_browser() {
    let (app, alice, bob) = app_with_admin().await;
    let granted = app
        .call::<SetAdmin>(&[("username", "bob"), ("admin", "true")], Some(&alice))
        .await;
    assert_eq!(granted.status, StatusCode::OK, "{granted:?}");
    assert_eq!(granted.json(), serde_json::json!(["alice", "bob"]));
    let bobs = app.get("/admin", Some(&bob)).await;
    assert_eq!(bobs.status, StatusCode::OK);
    assert!(bobs.body.contains("Revoke admin from alice"));
    assert!(!bobs.body.contains("Revoke admin from bob"));

    // Nobody takes the role from themselves; unknown names are a clear 422.
    let mine = app
        .call::<SetAdmin>(&[("username", "alice"), ("admin", "false")], Some(&alice))
        .await;
    assert_eq!(mine.status, StatusCode::UNPROCESSABLE_ENTITY, "{mine:?}");
    assert!(is_admin(&app, "alice").await);
    let nobody = app
        .call::<SetAdmin>(&[("username", "nobody"), ("admin", "true")], Some(&alice))
        .await;
    assert_eq!(nobody.status, StatusCode::UNPROCESSABLE_ENTITY);

    // A cross-site form cannot do it.
    let forged = app
        .call_from::<SetAdmin>(
            &[("username", "bob"), ("admin", "false")],
            Some(&alice),
            &[("origin", "https://evil.test")],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert!(is_admin(&app, "bob").await);

    let revoked = app
        .call::<SetAdmin>(&[("username", "bob"), ("admin", "false")], Some(&alice))
        .await;
    assert_eq!(revoked.status, StatusCode::OK);
    assert_eq!(
        app.get("/admin", Some(&bob)).await.status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn an_administrator_gives_the_password_again_after_a_while() {
    const ORIGIN: &str = "http://127.0.0.1:3000";
    // The session notes whole seconds: 2 s is 1 to 2 s.
    let app = TestApp::with_config(|c| c.admin_confirm = Duration::from_secs(2)).await;
    let (app, alice, bob) = admin_app(app).await;
    // Signing in is giving the password.
    let fresh = app.get("/admin", Some(&alice)).await;
    assert_eq!(fresh.status, StatusCode::OK, "{}", fresh.body);
    tokio::time::sleep(Duration::from_millis(2100)).await;

    // A while later every admin page and action asks for it first, and shows nothing else.
    let path = "/admin/tables/users?sort=username&q=b";
    let asked = app.get(path, Some(&alice)).await;
    assert_eq!(asked.status, StatusCode::FORBIDDEN);
    assert!(
        asked.body.contains("Confirm your password"),
        "{}",
        asked.body
    );
    assert!(
        asked
            .body
            .contains(r#"name="next" value="/admin/tables/users?sort=username&amp;q=b""#),
        "{}",
        asked.body
    );
    assert!(!asked.body.contains("bob@example.test"));
    let overview = app.call::<AdminOverview>(&[], Some(&alice)).await;
    assert_eq!(overview.status, StatusCode::FORBIDDEN);
    assert_eq!(overview.body, r#""ConfirmPassword""#);
    let grant = [("username", "bob"), ("admin", "true")];
    let refused = app.call::<SetAdmin>(&grant, Some(&alice)).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(!is_admin(&app, "bob").await);
    // Others are still told the pages are not for them, not asked for a password.
    let theirs = app.get("/admin", Some(&bob)).await;
    assert!(theirs.body.contains("Administrators only"));
    let form = [("password", PASSWORD), ("next", "/admin")];
    let theirs = app.call::<ConfirmAdminPassword>(&form, Some(&bob)).await;
    assert_eq!(theirs.status, StatusCode::FORBIDDEN);

    // A wrong password, without JavaScript: back to the page, which says so.
    let wrong = [("password", "not my password"), ("next", path)];
    let answer = app
        .post_without_js::<ConfirmAdminPassword>(&wrong, path, Some(&alice))
        .await;
    assert_eq!(answer.status, StatusCode::FOUND);
    assert_eq!(answer.header("location"), Some(&*format!("{ORIGIN}{path}")));
    let (page, _) = app.follow(&answer, Some(&alice)).await;
    assert!(
        page.body.contains("password is not the right one"),
        "{}",
        page.body
    );
    // The form still leads to the page as it was.
    assert!(
        page.body
            .contains(r#"value="/admin/tables/users?sort=username&amp;q=b""#),
        "{}",
        page.body
    );
    assert_eq!(
        app.get("/admin", Some(&alice)).await.status,
        StatusCode::FORBIDDEN
    );

    // The right one leads back to the page, and the admin pages open again.
    let right = [("password", PASSWORD), ("next", path)];
    let answer = app
        .post_without_js::<ConfirmAdminPassword>(&right, path, Some(&alice))
        .await;
    assert_eq!(answer.header("location"), Some(path), "{answer:?}");
    let page = app.get(path, Some(&alice)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("bob@example.test"));
    assert_eq!(
        app.call::<SetAdmin>(&grant, Some(&alice)).await.status,
        StatusCode::OK
    );
    assert!(is_admin(&app, "bob").await);

    // The form leads only to admin pages.
    for next in [
        "https://evil.test/admin",
        "//evil.test",
        "/adminx",
        "/settings",
    ] {
        let form = [("password", PASSWORD), ("next", next)];
        let answer = app
            .post_without_js::<ConfirmAdminPassword>(&form, "/admin", Some(&alice))
            .await;
        assert_eq!(answer.header("location"), Some("/admin"), "{next}");
    }
}

/// security.md §0b: the password confirmation used to share sign-in's per-account budget, so
/// failed sign-ins by anyone for the administrator's email kept the administrator out of the
/// admin pages too. It has a budget of its own now, counting wrong passwords only.
#[tokio::test]
async fn the_confirmation_has_its_own_budget() {
    let app = TestApp::with_config(|c| {
        c.admin_confirm = Duration::ZERO;
        c.auth_attempts_per_minute = 20;
    })
    .await;
    let (app, alice, _) = admin_app(app).await;
    // Someone else fails to sign in as alice, until they are refused.
    let guess = [("email", "alice@example.test"), ("password", "a guess")];
    let mut last = StatusCode::OK;
    for _ in 0..12 {
        last = app
            .call::<quire::server::user::Login>(&guess, None)
            .await
            .status;
    }
    assert_eq!(last, StatusCode::TOO_MANY_REQUESTS);
    // Alice confirms her password all the same.
    let right = [("password", PASSWORD), ("next", "/admin")];
    let confirmed = app.call::<ConfirmAdminPassword>(&right, Some(&alice)).await;
    assert!(confirmed.status.is_success(), "{confirmed:?}");
    // Wrong passwords given here are limited on their own: five in 15 minutes.
    for i in 0..5 {
        let wrong = [
            ("password", format!("wrong {i}")),
            ("next", "/admin".into()),
        ];
        let wrong: Vec<(&str, &str)> = wrong.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let answer = app.call::<ConfirmAdminPassword>(&wrong, Some(&alice)).await;
        assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{i}");
    }
    let refused = app.call::<ConfirmAdminPassword>(&right, Some(&alice)).await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
}
