//! Service tests for articles, favorites, comments, tags and follows, on a fresh SQLite
//! database each.

use crate::common;

use common::TestApp;
use quire::error::{AppError, Entity};
use quire::model::article::ArticleFilter;
use quire::model::article::{ArticleDraft, ArticlePatch};
use quire::service::{article, comment, profile};

fn draft(title: &str, tags: &[&str]) -> ArticleDraft {
    ArticleDraft {
        title: title.into(),
        description: format!("About {title}"),
        body: format!("# {title}\n\nSome *Markdown*."),
        tags: tags.iter().map(|t| (*t).to_owned()).collect(),
    }
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(&app.state.db.reader)
        .await
        .expect("count query")
}

#[tokio::test]
async fn an_article_gets_a_slug_sorted_tags_and_sanitised_html() {
    let app = TestApp::new().await;
    let alice = app.sign_up("alice").await;
    let mut new = draft(
        "How to Train Your Dragon",
        &[" Dragons ", "training", "dragons"],
    );
    new.body = "Fly **high**.\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1))".into();
    let a = article::create(&app.state, alice, new).await.unwrap();
    assert_eq!(a.summary.slug, "how-to-train-your-dragon");
    assert_eq!(a.summary.tags, ["dragons", "training"]);
    assert_eq!(a.summary.author.username, "alice");
    assert_eq!(a.summary.favorites_count, 0);
    let html = a.body_html.as_str();
    assert!(html.contains("<strong>high</strong>"), "{html}");
    assert!(
        !html.contains("<script") && !html.contains("javascript:"),
        "{html}"
    );
    // The Markdown is kept as written.
    assert!(a.body.contains("<script>"));
}

#[tokio::test]
async fn duplicate_titles_get_distinct_slugs() {
    let app = TestApp::new().await;
    let alice = app.sign_up("alice").await;
    let first = article::create(&app.state, alice, draft("Same Title", &[]))
        .await
        .unwrap();
    let second = article::create(&app.state, alice, draft("Same Title", &[]))
        .await
        .unwrap();
    assert_eq!(first.summary.slug, "same-title");
    assert_ne!(second.summary.slug, first.summary.slug);
    assert!(second.summary.slug.starts_with("same-title-"));
}

#[tokio::test]
async fn invalid_drafts_are_refused() {
    let app = TestApp::new().await;
    let alice = app.sign_up("alice").await;
    let err = article::create(&app.state, alice, draft("", &[]))
        .await
        .unwrap_err();
    assert_eq!(err.status(), 422);
    let too_many: Vec<String> = (0..11).map(|i| format!("t{i}")).collect();
    let too_many: Vec<&str> = too_many.iter().map(String::as_str).collect();
    let err = article::create(&app.state, alice, draft("Tags", &too_many))
        .await
        .unwrap_err();
    assert_eq!(err.status(), 422);
    assert_eq!(count(&app, "select count(*) from articles").await, 0);
}

#[tokio::test]
async fn only_the_author_may_edit_or_delete() {
    let app = TestApp::new().await;
    let alice = app.sign_up("alice").await;
    let bob = app.sign_up("bob").await;
    let a = article::create(&app.state, alice, draft("Mine", &["x"]))
        .await
        .unwrap();
    let patch = ArticlePatch {
        body: Some("Defaced".into()),
        ..Default::default()
    };
    assert_eq!(
        article::update(&app.state, bob, &a.summary.slug, patch)
            .await
            .unwrap_err(),
        AppError::Forbidden(Entity::Article)
    );
    assert_eq!(
        article::delete(&app.state, bob, &a.summary.slug)
            .await
            .unwrap_err(),
        AppError::Forbidden(Entity::Article)
    );
    let unchanged = article::get(&app.state, None, &a.summary.slug)
        .await
        .unwrap();
    assert_eq!(unchanged.body, a.body);
    assert_eq!(
        article::delete(&app.state, alice, "no-such-article")
            .await
            .unwrap_err(),
        AppError::NotFound(Entity::Article)
    );
}

#[tokio::test]
async fn a_new_title_moves_the_slug_and_the_old_one_still_leads_there() {
    let app = TestApp::new().await;
    let alice = app.sign_up("alice").await;
    let a = article::create(&app.state, alice, draft("First Name", &["keep"]))
        .await
        .unwrap();
    let patch = ArticlePatch {
        title: Some("Second Name".into()),
        ..Default::default()
    };
    let b = article::update(&app.state, alice, "first-name", patch)
        .await
        .unwrap();
    assert_eq!(b.summary.slug, "second-name");
    assert_eq!(b.summary.tags, ["keep"], "omitted tags are kept");
    assert_eq!(b.body, a.body);
    let old = article::get(&app.state, None, "first-name").await.unwrap();
    assert_eq!(old.summary.slug, "second-name");
    // A new article may not take the old slug from under it.
    let c = article::create(&app.state, alice, draft("First Name", &[]))
        .await
        .unwrap();
    assert_ne!(c.summary.slug, "first-name");
    // Empty tags clear them; a new body is rendered again.
    let patch = ArticlePatch {
        body: Some("*new*".into()),
        tags: Some(vec![]),
        ..Default::default()
    };
    let d = article::update(&app.state, alice, "second-name", patch)
        .await
        .unwrap();
    assert!(d.summary.tags.is_empty());
    assert_eq!(d.body_html.as_str(), "<p><em>new</em></p>\n");
}

#[tokio::test]
async fn deleting_an_article_deletes_its_comments_favorites_and_tag_links() {
    let app = TestApp::new().await;
    let alice = app.sign_up("alice").await;
    let bob = app.sign_up("bob").await;
    let a = article::create(&app.state, alice, draft("Doomed", &["a", "b"]))
        .await
        .unwrap();
    article::update(
        &app.state,
        alice,
        "doomed",
        ArticlePatch {
            title: Some("Doomed Again".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    article::favorite(&app.state, bob, "doomed-again")
        .await
        .unwrap();
    comment::add(&app.state, bob, "doomed-again", "First!")
        .await
        .unwrap();
    article::delete(&app.state, alice, &a.summary.slug)
        .await
        .unwrap();
    for table in [
        "articles",
        "comments",
        "favorites",
        "article_tags",
        "article_slug_redirects",
    ] {
        assert_eq!(
            count(&app, &format!("select count(*) from {table}")).await,
            0,
            "{table}"
        );
    }
}

#[tokio::test]
async fn favorites_are_idempotent_and_counted() {
    let app = TestApp::new().await;
    let alice = app.sign_up("alice").await;
    let bob = app.sign_up("bob").await;
    article::create(&app.state, alice, draft("Liked", &[]))
        .await
        .unwrap();
    let once = article::favorite(&app.state, bob, "liked").await.unwrap();
    let twice = article::favorite(&app.state, bob, "liked").await.unwrap();
    assert!(twice.summary.favorited);
    assert_eq!(once.summary.favorites_count, 1);
    assert_eq!(twice.summary.favorites_count, 1);
    assert_eq!(count(&app, "select count(*) from favorites").await, 1);
    // Another reader sees the count but not the flag.
    let seen = article::get(&app.state, Some(alice), "liked")
        .await
        .unwrap();
    assert!(!seen.summary.favorited);
    assert_eq!(seen.summary.favorites_count, 1);
    let off = article::unfavorite(&app.state, bob, "liked").await.unwrap();
    let again = article::unfavorite(&app.state, bob, "liked").await.unwrap();
    assert!(!off.summary.favorited);
    assert_eq!(again.summary.favorites_count, 0);
    assert_eq!(
        article::favorite(&app.state, bob, "missing")
            .await
            .unwrap_err(),
        AppError::NotFound(Entity::Article)
    );
    // An article deleted between reading its id and the write: not found, nothing written.
    assert_eq!(
        quire::db::article::add_favorite(&app.state.db, bob, 9_999, &quire::db::now())
            .await
            .unwrap_err(),
        AppError::NotFound(Entity::Article)
    );
    assert_eq!(count(&app, "select count(*) from favorites").await, 0);
    // The same for a comment.
    assert_eq!(
        quire::db::comment::insert(&app.state.db, 9_999, bob, "Too late", &quire::db::now())
            .await
            .unwrap_err(),
        AppError::NotFound(Entity::Article)
    );
    assert_eq!(count(&app, "select count(*) from comments").await, 0);
}

#[tokio::test]
async fn concurrent_favorites_leave_one_row_and_a_true_count() {
    let app = TestApp::new().await;
    let alice = app.sign_up("alice").await;
    let bob = app.sign_up("bob").await;
    article::create(&app.state, alice, draft("Race", &[]))
        .await
        .unwrap();
    let mut tasks = Vec::new();
    for i in 0..20 {
        let state = app.state.clone();
        tasks.push(tokio::spawn(async move {
            if i % 3 == 2 {
                article::unfavorite(&state, bob, "race").await
            } else {
                article::favorite(&state, bob, "race").await
            }
        }));
    }
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    let rows = count(&app, "select count(*) from favorites").await;
    let counted = count(&app, "select favorites_count from articles").await;
    assert!(rows <= 1);
    assert_eq!(counted, rows);
}

#[tokio::test]
async fn lists_are_newest_first_paged_and_filtered() {
    let app = TestApp::new().await;
    let alice = app.sign_up("alice").await;
    let bob = app.sign_up("bob").await;
    for i in 0..12 {
        let tags: &[&str] = if i % 2 == 0 { &["even"] } else { &["odd"] };
        article::create(&app.state, alice, draft(&format!("Alice {i}"), tags))
            .await
            .unwrap();
    }
    article::create(&app.state, bob, draft("Bob 0", &["odd"]))
        .await
        .unwrap();

    let first = article::list(&app.state, None, &ArticleFilter::all(), 1)
        .await
        .unwrap();
    assert_eq!(first.total, 13);
    assert_eq!(first.pages(), 2);
    assert_eq!(first.items.len(), 10);
    assert_eq!(first.items[0].title, "Bob 0");
    assert_eq!(first.items[1].title, "Alice 11");
    assert_eq!(first.items[1].tags, ["odd"]);
    let second = article::list(&app.state, None, &ArticleFilter::all(), 2)
        .await
        .unwrap();
    assert_eq!(second.items.len(), 3);
    assert_eq!(second.items[2].title, "Alice 0");

    let odd = article::list(&app.state, None, &ArticleFilter::tag("odd"), 1)
        .await
        .unwrap();
    assert_eq!(odd.total, 7);
    // A filtered list pages the same way: alice's second page holds her two oldest.
    let alice_second = article::list(&app.state, None, &ArticleFilter::author("alice"), 2)
        .await
        .unwrap();
    let titles: Vec<&str> = alice_second
        .items
        .iter()
        .map(|a| a.title.as_str())
        .collect();
    assert_eq!(
        (alice_second.total, titles),
        (12, vec!["Alice 1", "Alice 0"])
    );
    let by_bob = article::list(&app.state, None, &ArticleFilter::author("BOB"), 1)
        .await
        .unwrap();
    assert_eq!(by_bob.total, 1);
    let nobody = article::list(&app.state, None, &ArticleFilter::author("nobody"), 1)
        .await
        .unwrap();
    assert_eq!(nobody.total, 0);
    assert!(nobody.items.is_empty());

    article::favorite(&app.state, bob, "alice-3").await.unwrap();
    let liked = article::list(&app.state, None, &ArticleFilter::favorited_by("bob"), 1)
        .await
        .unwrap();
    assert_eq!(liked.items.len(), 1);
    assert_eq!(liked.items[0].slug, "alice-3");

    assert_eq!(
        article::list(&app.state, None, &ArticleFilter::all(), 0)
            .await
            .unwrap_err()
            .status(),
        422
    );
    let far = article::list(&app.state, None, &ArticleFilter::all(), 1000)
        .await
        .unwrap();
    assert!(far.items.is_empty());
}

#[tokio::test]
async fn the_feed_shows_followed_authors_only() {
    let app = TestApp::new().await;
    let alice = app.sign_up("alice").await;
    let bob = app.sign_up("bob").await;
    let carol = app.sign_up("carol").await;
    article::create(&app.state, alice, draft("By Alice", &[]))
        .await
        .unwrap();
    article::create(&app.state, bob, draft("By Bob", &[]))
        .await
        .unwrap();
    let feed = article::list(&app.state, Some(carol), &ArticleFilter::feed_of(carol), 1)
        .await
        .unwrap();
    assert_eq!(feed.total, 0);

    let p = profile::set_following(&app.state, carol, "alice", true)
        .await
        .unwrap();
    assert!(p.following);
    profile::set_following(&app.state, carol, "alice", true)
        .await
        .unwrap();
    let feed = article::list(&app.state, Some(carol), &ArticleFilter::feed_of(carol), 1)
        .await
        .unwrap();
    assert_eq!(feed.total, 1);
    assert_eq!(feed.items[0].title, "By Alice");
    assert!(feed.items[0].author.following);

    assert!(
        profile::get(&app.state, Some(carol), "alice")
            .await
            .unwrap()
            .following
    );
    assert!(
        !profile::get(&app.state, None, "alice")
            .await
            .unwrap()
            .following
    );
    profile::set_following(&app.state, carol, "alice", false)
        .await
        .unwrap();
    assert!(
        !profile::get(&app.state, Some(carol), "alice")
            .await
            .unwrap()
            .following
    );
    assert_eq!(
        profile::set_following(&app.state, carol, "carol", true)
            .await
            .unwrap_err()
            .status(),
        422
    );
    assert_eq!(
        profile::get(&app.state, None, "nobody").await.unwrap_err(),
        AppError::NotFound(Entity::Profile)
    );
}

#[tokio::test]
async fn comments_can_be_deleted_by_their_author_and_the_articles_author_only() {
    let app = TestApp::new().await;
    let alice = app.sign_up("alice").await;
    let bob = app.sign_up("bob").await;
    let carol = app.sign_up("carol").await;
    article::create(&app.state, alice, draft("Talk", &[]))
        .await
        .unwrap();
    let c1 = comment::add(&app.state, bob, "talk", "  <b>Hi</b>  ")
        .await
        .unwrap();
    assert_eq!(c1.body, "<b>Hi</b>", "stored as plain text, trimmed");
    assert_eq!(c1.author.username, "bob");
    let c2 = comment::add(&app.state, bob, "talk", "Second")
        .await
        .unwrap();

    assert_eq!(
        comment::delete(&app.state, carol, "talk", c1.id)
            .await
            .unwrap_err(),
        AppError::Forbidden(Entity::Comment)
    );
    comment::delete(&app.state, alice, "talk", c1.id)
        .await
        .unwrap();
    comment::delete(&app.state, bob, "talk", c2.id)
        .await
        .unwrap();
    assert!(
        comment::list(&app.state, None, "talk")
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        comment::delete(&app.state, bob, "talk", c2.id)
            .await
            .unwrap_err(),
        AppError::NotFound(Entity::Comment)
    );

    assert_eq!(
        comment::add(&app.state, bob, "talk", "   ")
            .await
            .unwrap_err()
            .status(),
        422
    );
    assert_eq!(
        comment::add(&app.state, bob, "missing", "x")
            .await
            .unwrap_err(),
        AppError::NotFound(Entity::Article)
    );
    assert_eq!(
        comment::list(&app.state, None, "missing")
            .await
            .unwrap_err(),
        AppError::NotFound(Entity::Article)
    );
}

#[tokio::test]
async fn comments_list_oldest_first() {
    let app = TestApp::new().await;
    let alice = app.sign_up("alice").await;
    article::create(&app.state, alice, draft("Thread", &[]))
        .await
        .unwrap();
    for body in ["one", "two", "three"] {
        comment::add(&app.state, alice, "thread", body)
            .await
            .unwrap();
    }
    let bodies: Vec<String> = comment::list(&app.state, None, "thread")
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.body)
        .collect();
    assert_eq!(bodies, ["one", "two", "three"]);
}

#[tokio::test]
async fn popular_tags_count_live_articles_only() {
    let app = TestApp::new().await;
    let alice = app.sign_up("alice").await;
    article::create(&app.state, alice, draft("A", &["rust", "web"]))
        .await
        .unwrap();
    article::create(&app.state, alice, draft("B", &["rust"]))
        .await
        .unwrap();
    let c = article::create(&app.state, alice, draft("C", &["gone"]))
        .await
        .unwrap();
    article::delete(&app.state, alice, &c.summary.slug)
        .await
        .unwrap();
    assert_eq!(
        quire::service::tag::popular(&app.state, 10).await.unwrap(),
        ["rust", "web"]
    );
}

#[tokio::test]
async fn list_counts_and_popular_tags_follow_every_write() {
    let app = TestApp::new().await;
    let alice = app.sign_up("alice").await;
    let bob = app.sign_up("bob").await;
    let carol = app.sign_up("carol").await;
    profile::set_following(&app.state, carol, "alice", true)
        .await
        .unwrap();
    profile::set_following(&app.state, carol, "bob", true)
        .await
        .unwrap();
    let mut slugs = Vec::new();
    for i in 0..5 {
        let tags: &[&str] = if i < 3 { &["rust", "web"] } else { &["rust"] };
        let slug = article::create(&app.state, alice, draft(&format!("Alice {i}"), tags))
            .await
            .unwrap()
            .summary
            .slug;
        slugs.push(slug);
    }
    article::create(&app.state, bob, draft("Bob 0", &["web"]))
        .await
        .unwrap();
    // Retag one, delete another: the counts follow.
    let retag = ArticlePatch {
        tags: Some(vec!["go".into()]),
        ..ArticlePatch::default()
    };
    article::update(&app.state, alice, &slugs[0], retag)
        .await
        .unwrap();
    article::delete(&app.state, alice, &slugs[1]).await.unwrap();

    // Every count the lists read agrees with counting the rows.
    let total = |filter: ArticleFilter| {
        let app = &app;
        async move {
            article::list(&app.state, None, &filter, 1)
                .await
                .unwrap()
                .total
        }
    };
    assert_eq!(total(ArticleFilter::all()).await, 5);
    assert_eq!(total(ArticleFilter::author("ALICE")).await, 4);
    assert_eq!(total(ArticleFilter::author("bob")).await, 1);
    assert_eq!(total(ArticleFilter::author("nobody")).await, 0);
    assert_eq!(total(ArticleFilter::tag("rust")).await, 3);
    assert_eq!(total(ArticleFilter::tag("web")).await, 2);
    assert_eq!(total(ArticleFilter::tag("go")).await, 1);
    assert_eq!(total(ArticleFilter::tag("nothing")).await, 0);
    assert_eq!(total(ArticleFilter::feed_of(carol)).await, 5);
    assert_eq!(total(ArticleFilter::feed_of(alice)).await, 0);
    let both = ArticleFilter {
        tag: Some("web".into()),
        ..ArticleFilter::author("alice")
    };
    assert_eq!(total(both).await, 1);
    assert_eq!(
        count(&app, "select articles from article_stats").await,
        count(&app, "select count(*) from articles").await
    );

    // Most used first, ties by name; a tag nobody uses any more is not listed.
    assert_eq!(
        quire::service::tag::popular(&app.state, 10).await.unwrap(),
        ["rust", "web", "go"]
    );
    let slug = slugs[0].clone();
    article::delete(&app.state, alice, &slug).await.unwrap();
    assert_eq!(
        quire::service::tag::popular(&app.state, 10).await.unwrap(),
        ["rust", "web"]
    );
}

#[tokio::test]
async fn a_tags_pages_follow_the_newest_first_order_of_all_articles() {
    let app = TestApp::new().await;
    let alice = app.sign_up("alice").await;
    for i in 0..25 {
        let tags: &[&str] = if i % 3 == 0 {
            &["other"]
        } else {
            &["paged", "x"]
        };
        article::create(&app.state, alice, draft(&format!("Article {i}"), tags))
            .await
            .unwrap();
    }
    // Retagging copies the article's created_at into its new links too.
    let retag = ArticlePatch {
        tags: Some(vec!["paged".into()]),
        ..ArticlePatch::default()
    };
    article::update(&app.state, alice, "article-0", retag)
        .await
        .unwrap();
    assert_eq!(
        count(
            &app,
            "select count(*) from article_tags at join articles a on a.id = at.article_id
             where at.created_at <> a.created_at"
        )
        .await,
        0
    );

    let mut expected = Vec::new();
    for page in 1..=3 {
        let all = article::list(&app.state, None, &ArticleFilter::all(), page)
            .await
            .unwrap();
        expected.extend(
            all.items
                .into_iter()
                .filter(|a| a.tags.iter().any(|t| t == "paged"))
                .map(|a| a.title),
        );
    }
    let mut paged = Vec::new();
    for page in 1..=2 {
        let list = article::list(&app.state, None, &ArticleFilter::tag("paged"), page)
            .await
            .unwrap();
        assert_eq!(list.total, 17);
        paged.extend(list.items.into_iter().map(|a| a.title));
    }
    assert_eq!(paged.len(), 17);
    assert_eq!(paged, expected);
    assert_eq!(paged.last().map(String::as_str), Some("Article 0"));
}
