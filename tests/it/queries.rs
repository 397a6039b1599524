//! No N+1: rendering a page of articles costs the same, small number of SQL statements
//! whether it shows 1 article or 10. sqlx reports every statement as a tracing event with the
//! target `sqlx::query`, from each SQLite connection's worker thread, so a global subscriber
//! records them; this binary holds a single test so that nothing else runs meanwhile.
//! Connection set-up (`PRAGMA`s run when a pool opens a connection) is not page work and is
//! not counted.

use crate::common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::TestApp;
use quire::server::article::{FavoriteArticle, SaveArticle};
use quire::server::profile::FollowProfile;
use tracing_subscriber::Layer;
use tracing_subscriber::layer::{Context, SubscriberExt};

/// The statements sqlx has reported, in order.
#[derive(Clone, Default)]
struct Statements(Arc<Mutex<Vec<String>>>);

struct Text(String);

impl tracing::field::Visit for Text {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        if field.name() == "db.statement" || field.name() == "summary" {
            self.0.push_str(&format!("{value:?} "));
        }
    }
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        if field.name() == "db.statement" || field.name() == "summary" {
            self.0.push_str(value);
            self.0.push(' ');
        }
    }
}

impl<S: tracing::Subscriber> Layer<S> for Statements {
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        if event.metadata().target() == "sqlx::query" {
            let mut text = Text(String::new());
            event.record(&mut text);
            self.0.lock().expect("lock").push(text.0.trim().to_owned());
        }
    }
}

impl Statements {
    /// How many have been reported, once none has come for a moment: sqlx reports a statement
    /// from its worker thread, possibly just after the caller already has the result.
    async fn settled(&self) -> usize {
        loop {
            let seen = self.0.lock().expect("lock").len();
            tokio::time::sleep(Duration::from_millis(50)).await;
            if self.0.lock().expect("lock").len() == seen {
                return seen;
            }
        }
    }

    /// The page statements rendering `path` with `cookie` runs.
    async fn for_page(&self, app: &TestApp, path: &str, cookie: &str) -> Vec<String> {
        self.during(async {
            let page = app.get(path, Some(cookie)).await;
            assert_eq!(page.status, 200, "{path}");
        })
        .await
    }

    /// The statements a REST API `GET path` with `token` runs.
    async fn for_api(&self, app: &TestApp, path: &str, token: &str) -> Vec<String> {
        self.during(async {
            let answer = app.api("GET", path, Some(token), None).await;
            assert_eq!(answer.status, 200, "{path}");
        })
        .await
    }

    /// The statements `work` runs, connection set-up aside.
    async fn during(&self, work: impl Future<Output = ()>) -> Vec<String> {
        let before = self.settled().await;
        work.await;
        let after = self.settled().await;
        self.0.lock().expect("lock")[before..after]
            .iter()
            .filter(|s| !s.to_lowercase().starts_with("pragma"))
            .cloned()
            .collect()
    }
}

async fn publish(app: &TestApp, cookie: &str, title: &str) {
    let form = [
        ("slug", ""),
        ("title", title),
        ("description", "D"),
        ("body", "B"),
        ("tags", "one,two,three"),
        ("tag_input", ""),
    ];
    assert!(
        app.call::<SaveArticle>(&form, Some(cookie))
            .await
            .status
            .is_success()
    );
}

#[tokio::test]
async fn a_page_of_articles_costs_the_same_few_queries_for_1_or_10_articles() {
    let statements = Statements::default();
    tracing::subscriber::set_global_default(
        tracing_subscriber::registry().with(statements.clone()),
    )
    .expect("the only subscriber of this binary");
    let app = TestApp::new().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let carol = app.api_user("carol").await;
    app.call::<FollowProfile>(&[("username", "alice"), ("follow", "true")], Some(&bob))
        .await;
    publish(&app, &alice, "Only one").await;
    let one = statements.for_page(&app, "/", &bob).await;
    let api_one = statements.for_api(&app, "/api/articles", &carol).await;

    for i in 0..9 {
        publish(&app, &alice, &format!("More {i}")).await;
        app.call::<FavoriteArticle>(
            &[("slug", &format!("more-{i}")), ("favorite", "true")],
            Some(&bob),
        )
        .await;
    }
    let ten = statements.for_page(&app, "/", &bob).await;
    let api_ten = statements.for_api(&app, "/api/articles", &carol).await;
    println!(
        "statements per signed-in home page: {} with 1 article, {} with 10: {ten:#?}",
        one.len(),
        ten.len()
    );
    assert!(!one.is_empty(), "the recorder must see the page's queries");
    assert_eq!(
        one.len(),
        ten.len(),
        "the home page's query count must not grow with its articles"
    );
    assert!(
        ten.len() <= 8,
        "{} statements for one page is too many",
        ten.len()
    );

    // The REST list: the token, the page, its tags, the count.
    println!(
        "statements per /api/articles: {} with 1 article, {} with 10",
        api_one.len(),
        api_ten.len()
    );
    assert_eq!(api_one.len(), api_ten.len(), "{api_ten:#?}");
    assert!(api_ten.len() <= 4, "{api_ten:#?}");

    // The other lists and the article page cost a handful of statements too.
    for path in [
        "/?feed=following",
        "/tag/one",
        "/profile/alice",
        "/profile/bob/favorites",
        "/article/more-3",
    ] {
        let seen = statements.for_page(&app, path, &bob).await;
        let n = seen.len();
        assert!(n <= 9, "{path}: {n} statements: {seen:#?}");
    }
}
