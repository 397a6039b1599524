//! Ended sessions stay ended (security.md §0b): a sign-out, "sign out everywhere", a new
//! password and `quire user reset-password` each end the session for good, even with a request
//! of that session in flight across the ending that then writes the session again (as the
//! periodic refresh of an active session does), and a revocation by another process is seen
//! within a second.

use crate::common;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{Request, StatusCode, header};
use axum::routing::get;
use common::{PASSWORD, TestApp};
use quire::server::user::{Logout, SignOutEverywhere, UpdateSettings};
use tokio::sync::Notify;
use tower_sessions::Session;

/// A request that reads its session, waits while the test ends the session, then refreshes
/// it the way an active reader's request does (a new `seen_at`, written back).
struct InFlight {
    loaded: Notify,
    go: Notify,
}

async fn slow_reader(State(gate): State<Arc<InFlight>>, session: Session) -> String {
    let day = Duration::from_secs(86_400);
    let before = quire::auth::session::user_id(&session, day, day)
        .await
        .ok()
        .flatten();
    let loaded_at = time::OffsetDateTime::now_utc().unix_timestamp();
    gate.loaded.notify_one();
    gate.go.notified().await;
    // An idle timeout of zero makes the refresh due now; once the second has changed, it
    // writes a new `seen_at` (the session notes whole seconds), so the session is saved.
    while time::OffsetDateTime::now_utc().unix_timestamp() == loaded_at {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let _ = quire::auth::session::user_id(&session, Duration::ZERO, day).await;
    assert!(session.is_modified(), "the refresh rewrites the session");
    format!("{before:?}")
}

/// How soon an ending must show: at once when this process ended the session, within
/// `REMEMBER_FOR` when another did.
#[derive(PartialEq)]
enum Seen {
    AtOnce,
    WithinASecond,
}

/// Ends `cookie`'s session with `end` while a request of it is in flight and refreshes it
/// afterwards; then checks that the session stays ended, and that `user` has `left` sessions.
async fn end_with_a_request_in_flight<F: std::future::Future<Output = ()>>(
    app: &TestApp,
    (user, cookie): (&str, &str),
    end: F,
    seen: Seen,
    left: i64,
) {
    let gate = Arc::new(InFlight {
        loaded: Notify::new(),
        go: Notify::new(),
    });
    let router = Router::new()
        .route("/slow", get(slow_reader))
        .with_state(gate.clone())
        .layer(quire::http::session_layer(&app.state, app.key()));
    let request = Request::get("/slow")
        .header(header::COOKIE, cookie)
        .body(Body::empty())
        .expect("request");
    let in_flight = tokio::spawn(TestApp::send_to(router, request));
    gate.loaded.notified().await;
    end.await;
    gate.go.notify_one();
    let answered = in_flight.await.expect("the request in flight");
    assert_eq!(answered.status, StatusCode::OK);
    assert_ne!(answered.body, "None", "it was signed in when it started");

    let user_id = app.sign_in_id(user).await;
    assert_eq!(
        quire::db::session::count_for_user(&app.state.db.reader, user_id)
            .await
            .expect("count"),
        left,
        "the late write brought a session back"
    );
    if seen == Seen::AtOnce {
        assert_eq!(app.whoami(Some(cookie)).await, None);
    }
    // Refused once anything remembered of it has had time to go.
    tokio::time::sleep(quire::db::session::REMEMBER_FOR + Duration::from_millis(100)).await;
    assert_eq!(app.whoami(Some(cookie)).await, None);
}

/// `quire user reset-password <user>` on the database at `database_url`, in a process of its
/// own.
fn reset_with_the_cli(database_url: &str, user: &str) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_quire"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("DATABASE_URL", database_url)
        .env("QUIRE_COMMON_PASSWORDS", "off")
        .env("RUST_LOG", "warn")
        .args(["user", "reset-password", user])
        .output()
        .expect("the CLI runs")
}

impl TestApp {
    /// The id of the user called `name`.
    async fn sign_in_id(&self, name: &str) -> quire::model::user::UserId {
        quire::service::user::find_by_name(&self.state, name)
            .await
            .expect("the user")
            .id
    }
}

#[tokio::test]
async fn sign_out_everywhere_with_a_request_in_flight() {
    let app = TestApp::new().await;
    let bob = app.register("bob").await;
    let other = app.login("bob").await;
    let end = async {
        let done = app.call::<SignOutEverywhere>(&[], Some(&other)).await;
        assert!(done.status.is_success(), "{done:?}");
    };
    end_with_a_request_in_flight(&app, ("bob", &bob), end, Seen::AtOnce, 0).await;
    assert_eq!(app.whoami(Some(&other)).await, None);
}

#[tokio::test]
async fn sign_out_with_a_request_in_flight() {
    let app = TestApp::new().await;
    let bob = app.register("bob").await;
    let end = async {
        let done = app.call::<Logout>(&[], Some(&bob)).await;
        assert!(done.status.is_success(), "{done:?}");
    };
    end_with_a_request_in_flight(&app, ("bob", &bob), end, Seen::AtOnce, 0).await;
}

#[tokio::test]
async fn a_new_password_with_a_request_of_another_session_in_flight() {
    let app = TestApp::new().await;
    let bob = app.register("bob").await;
    let laptop = app.login("bob").await;
    let end = async {
        let form = [
            ("image", ""),
            ("username", "bob"),
            ("bio", ""),
            ("email", "bob@example.test"),
            ("password", "a brand new passphrase"),
            ("current_password", PASSWORD),
        ];
        let done = app.call::<UpdateSettings>(&form, Some(&laptop)).await;
        assert!(done.status.is_success(), "{done:?}");
        // The browser that changed it goes on, under a new session of its own.
        let renewed = done.cookies_after(Some(&laptop));
        assert_eq!(app.whoami(Some(&renewed)).await.as_deref(), Some("bob"));
    };
    // The one left is the laptop's new session.
    end_with_a_request_in_flight(&app, ("bob", &bob), end, Seen::AtOnce, 1).await;
}

/// `quire user reset-password` runs in another process, which this server's memory of loaded
/// sessions knows nothing about: the session must stop working within `REMEMBER_FOR`, and the
/// request in flight must not bring it back.
#[tokio::test]
async fn an_operators_reset_from_another_process_with_a_request_in_flight() {
    let app = TestApp::new().await;
    let bob = app.register("bob").await;
    // Remembered by this process.
    assert_eq!(app.whoami(Some(&bob)).await.as_deref(), Some("bob"));
    let database_url = app.state.config.database_url.clone();
    let end = async {
        let out = tokio::task::spawn_blocking(move || reset_with_the_cli(&database_url, "bob"))
            .await
            .expect("join");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("every session"),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
    };
    end_with_a_request_in_flight(&app, ("bob", &bob), end, Seen::WithinASecond, 0).await;
}

/// Without a request in flight: the CLI's reset is seen within `REMEMBER_FOR`, and the next
/// requests of the old cookie, refreshes due or not, are refused and write nothing.
#[tokio::test]
async fn a_reset_by_another_process_is_seen_within_a_second() {
    let app = TestApp::with_config(|c| c.session_idle = Duration::from_secs(4)).await;
    let bob = app.register("bob").await;
    assert_eq!(app.whoami(Some(&bob)).await.as_deref(), Some("bob"));
    let out = reset_with_the_cli(&app.state.config.database_url, "bob");
    assert!(out.status.success());
    tokio::time::sleep(quire::db::session::REMEMBER_FOR).await;
    // With a 4 s idle timeout a refresh is due every second: the one that comes due now must
    // not write the ended session back.
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(app.whoami(Some(&bob)).await, None);
    let bob_id = app.sign_in_id("bob").await;
    assert_eq!(
        quire::db::session::count_for_user(&app.state.db.reader, bob_id)
            .await
            .expect("count"),
        0
    );
    let page = app.get("/settings", Some(&bob)).await;
    assert!(
        !page.body.contains("bob@example.test"),
        "the settings page still knew bob"
    );
}
