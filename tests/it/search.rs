//! Search: service tests (ranking, snippets, hostile queries, the index following every write)
//! and router tests of `/search` and `/api/search`, on a fresh SQLite database each.

use crate::common;

use axum::http::StatusCode;
use common::{TestApp, client};
use quire::model::article::{ArticleDraft, ArticlePatch};
use quire::model::search::SearchResults;
use quire::service::{article, search};

async fn write(
    app: &TestApp,
    author: quire::model::user::UserId,
    title: &str,
    body: &str,
    tags: &[&str],
) -> String {
    let draft = ArticleDraft {
        title: title.into(),
        description: "A description".into(),
        body: body.into(),
        tags: tags.iter().map(|t| (*t).to_owned()).collect(),
    };
    article::create(&app.state, author, draft)
        .await
        .expect("publish")
        .summary
        .slug
}

async fn find(app: &TestApp, q: &str) -> SearchResults {
    search::search(&app.state, &client(), None, q, 1)
        .await
        .unwrap_or_else(|e| panic!("search {q:?}: {e:?}"))
}

fn titles(found: &SearchResults) -> Vec<String> {
    found
        .articles
        .items
        .iter()
        .map(|h| h.summary.title.clone())
        .collect()
}

#[tokio::test]
async fn title_matches_rank_above_body_matches() {
    let app = TestApp::new().await;
    let alice = app.sign_up("alice").await;
    write(
        &app,
        alice,
        "Cooking pasta",
        "Boil water. Then think about lifetimes.",
        &[],
    )
    .await;
    write(
        &app,
        alice,
        "Lifetimes explained",
        "Borrowing, briefly.",
        &[],
    )
    .await;
    write(&app, alice, "Gardening", "Nothing about that here.", &[]).await;
    let found = find(&app, "lifetimes").await;
    assert_eq!(titles(&found), ["Lifetimes explained", "Cooking pasta"]);
    assert_eq!(found.articles.total, 2);
}

#[tokio::test]
async fn snippets_mark_the_matched_words() {
    let app = TestApp::new().await;
    let alice = app.sign_up("alice").await;
    let body = format!(
        "{} The borrow checker keeps references honest. {}",
        "Filler words here. ".repeat(30),
        "More filler. ".repeat(30)
    );
    write(&app, alice, "Notes", &body, &[]).await;
    let found = find(&app, "borrow checker").await;
    let hit = &found.articles.items[0];
    let marked: Vec<&str> = hit
        .snippet
        .iter()
        .filter(|p| p.hit)
        .map(|p| p.text.as_str())
        .collect();
    assert_eq!(marked, ["borrow", "checker"]);
    let text: String = hit.snippet.iter().map(|p| p.text.as_str()).collect();
    assert!(text.contains("keeps references honest"), "{text}");
    assert!(
        text.len() < body.len() / 2,
        "a snippet, not the body: {text}"
    );
}

#[tokio::test]
async fn the_last_word_matches_as_a_prefix_and_tags_count() {
    let app = TestApp::new().await;
    let alice = app.sign_up("alice").await;
    write(
        &app,
        alice,
        "Why Rust",
        "Memory safety without a collector.",
        &["systems"],
    )
    .await;
    write(&app, alice, "Running shoes", "Comfortable ones.", &[]).await;
    assert_eq!(titles(&find(&app, "rus").await), ["Why Rust"]);
    assert_eq!(titles(&find(&app, "systems").await), ["Why Rust"]);
    // No stemming (it would turn "rus" into "ru" and find "running"), but the prefix finds
    // plurals; diacritics are folded.
    assert_eq!(titles(&find(&app, "collector").await), ["Why Rust"]);
    assert_eq!(titles(&find(&app, "mémory").await), ["Why Rust"]);
    // Every word must match.
    assert!(titles(&find(&app, "rust shoes").await).is_empty());
}

#[tokio::test]
async fn hostile_queries_give_results_or_nothing_never_an_error() {
    let app = TestApp::new().await;
    let alice = app.sign_up("alice").await;
    write(
        &app,
        alice,
        "AND NEAR title",
        "quotes \"and\" stars * everywhere",
        &[],
    )
    .await;
    let long = "a".repeat(1000);
    let many = "word ".repeat(500);
    for q in [
        "\"",
        "\"\"\"",
        "AND",
        "OR NOT",
        "NEAR(",
        "NEAR(a b",
        "*",
        "title:",
        "title:rust",
        "body: AND OR",
        "a -b",
        "(",
        ")",
        "{}",
        "^",
        "%",
        "_",
        "\\",
        "'; drop table articles; --",
        "🦀",
        "🦀 rust 🦀",
        "\u{0}",
        "   ",
        "",
        long.as_str(),
        many.as_str(),
        "ünïcödé 中文 العربية",
    ] {
        let found = search::search(&app.state, &client(), None, q, 1).await;
        assert!(found.is_ok(), "{q:?}: {found:?}");
    }
    assert_eq!(titles(&find(&app, "AND").await), ["AND NEAR title"]);
    assert_eq!(titles(&find(&app, "near(").await), ["AND NEAR title"]);
    assert_eq!(titles(&find(&app, "title: and").await), ["AND NEAR title"]);
    let count: i64 = sqlx::query_scalar("select count(*) from articles")
        .fetch_one(&app.state.db.reader)
        .await
        .unwrap();
    assert_eq!(count, 1, "the articles table survived");
}

#[tokio::test]
async fn results_follow_edits_and_deletes() {
    let app = TestApp::new().await;
    let alice = app.sign_up("alice").await;
    let slug = write(&app, alice, "Old title", "About zebras.", &["animals"]).await;
    assert_eq!(titles(&find(&app, "zebras").await), ["Old title"]);

    let patch = ArticlePatch {
        title: Some("New title".into()),
        body: Some("About giraffes.".into()),
        tags: Some(vec!["savanna".into()]),
        ..ArticlePatch::default()
    };
    let slug = article::update(&app.state, alice, &slug, patch)
        .await
        .unwrap()
        .summary
        .slug;
    assert!(titles(&find(&app, "zebras").await).is_empty());
    assert!(titles(&find(&app, "animals").await).is_empty());
    assert_eq!(titles(&find(&app, "giraffes").await), ["New title"]);
    assert_eq!(titles(&find(&app, "savanna").await), ["New title"]);
    assert!(titles(&find(&app, "old").await).is_empty());

    article::delete(&app.state, alice, &slug).await.unwrap();
    assert!(titles(&find(&app, "giraffes").await).is_empty());
    assert_eq!(find(&app, "giraffes").await.articles.total, 0);
}

#[tokio::test]
async fn authors_match_by_name_or_bio_and_pages_are_bounded() {
    let app = TestApp::new().await;
    let alice = app.sign_up("rustacean").await;
    app.sign_up("bob").await;
    for i in 0..12 {
        write(&app, alice, &format!("Crab {i}"), "Ferris says hi.", &[]).await;
    }
    let found = find(&app, "rustac").await;
    let names: Vec<&str> = found.authors.iter().map(|a| a.username.as_str()).collect();
    assert_eq!(names, ["rustacean"]);
    // LIKE wildcards are plain characters.
    assert!(find(&app, "%").await.authors.is_empty());

    let first = find(&app, "ferris").await;
    assert_eq!(first.articles.total, 12);
    assert_eq!(first.articles.items.len(), 10);
    assert_eq!(first.articles.pages(), 2);
    let second = search::search(&app.state, &client(), None, "ferris", 2)
        .await
        .unwrap();
    assert_eq!(second.articles.items.len(), 2);
    for page in [0, 1001] {
        let err = search::search(&app.state, &client(), None, "ferris", page)
            .await
            .unwrap_err();
        assert_eq!(err.status(), 422);
    }
}

#[tokio::test]
async fn the_search_page_and_the_api_answer_from_the_same_search() {
    let app = TestApp::new().await;
    let alice = app.sign_up("alice").await;
    write(
        &app,
        alice,
        "Pattern matching",
        "Exhaustive <b>match</b> arms.",
        &[],
    )
    .await;

    let page = app.get("/search?q=exhaustive", None).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Pattern matching"), "{}", page.body);
    assert!(
        page.body.contains("<mark>Exhaustive</mark>"),
        "{}",
        page.body
    );
    // The body's markup is text in the snippet, never HTML.
    assert!(!page.body.contains("<b>match</b>"));
    // Without JavaScript the box still shows what was searched for.
    assert!(page.body.contains(r#"value="exhaustive""#));
    for q in [
        "%22",
        "NEAR(",
        "%F0%9F%A6%80",
        "title%3A",
        &"x".repeat(2000),
    ] {
        let page = app.get(&format!("/search?q={q}"), None).await;
        assert_eq!(page.status, StatusCode::OK, "{q}");
    }
    let page = app.get("/search?q=x&page=5000", None).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);

    let response = app
        .api("GET", "/api/search?q=exhaust&limit=5", None, None)
        .await;
    assert_eq!(response.status, StatusCode::OK);
    let json = response.json();
    assert_eq!(json["articlesCount"], 1);
    assert_eq!(json["articles"][0]["title"], "Pattern matching");
    assert_eq!(
        json["articles"][0]["hits"],
        serde_json::json!(["Exhaustive"])
    );
    assert!(json["articles"][0].get("body").is_none());
    assert_eq!(json["authors"], serde_json::json!([]));
    let response = app.api("GET", "/api/search?q=alice", None, None).await;
    assert_eq!(response.json()["authors"][0]["username"], "alice");
    let response = app.api("GET", "/api/search?q=x&limit=-1", None, None).await;
    assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn searches_past_the_limit_get_429_unless_the_page_cache_answers() {
    let app = TestApp::with_config(|c| c.searches_per_minute = 3).await;
    let alice = app.sign_up("alice").await;
    write(
        &app,
        alice,
        "Pattern matching",
        "Exhaustive match arms.",
        &[],
    )
    .await;
    // Nothing to search for costs nothing and is not counted.
    for _ in 0..5 {
        let empty = search::search(&app.state, &client(), None, " \u{0} ", 1).await;
        assert_eq!(empty.expect("an empty search").articles.total, 0);
    }
    // Three searches a minute from this address, through the page and the API alike.
    for path in ["/search?q=pattern", "/search?q=match"] {
        let page = app.get(path, None).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        assert!(page.body.contains("Pattern matching"));
    }
    let api = app.api("GET", "/api/search?q=arms", None, None).await;
    assert_eq!(api.status, StatusCode::OK);

    let refused = app.get("/search?q=exhaustive", None).await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = refused
        .header("retry-after")
        .expect("Retry-After on the page")
        .parse()
        .expect("seconds");
    assert!((1..=60).contains(&retry), "{retry}");
    assert!(refused.body.contains("try again in"), "{}", refused.body);
    let refused = app.api("GET", "/api/search?q=other", None, None).await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(refused.header("retry-after").is_some());
    assert!(refused.body.contains("try again in"), "{}", refused.body);

    // A search the page cache holds is answered without running, so it is not refused.
    let cached = app.get("/search?q=pattern", None).await;
    assert_eq!(cached.status, StatusCode::OK);
    assert!(cached.body.contains("Pattern matching"));
}

#[tokio::test]
async fn articles_written_before_search_existed_are_found_after_the_migration() {
    let dir = tempfile::tempdir().unwrap();
    // Migrate a database only up to the version before search (and the recent index after
    // it), and write an article there.
    let old = dir.path().join("old-migrations");
    std::fs::create_dir(&old).unwrap();
    for entry in std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !name.contains("search") {
            std::fs::copy(&path, old.join(&name)).unwrap();
        }
    }
    let path = dir.path().join("quire.db");
    // A connection of the test's own: the app's writer is not for outside the db layer.
    let db = sqlx::SqlitePool::connect_with(
        sqlx::sqlite::SqliteConnectOptions::new()
            .filename(&path)
            .create_if_missing(true),
    )
    .await
    .unwrap();
    sqlx::migrate::Migrator::new(old.as_path())
        .await
        .unwrap()
        .run(&db)
        .await
        .unwrap();
    for sql in [
        "insert into users (id, username, email, password_hash, created_at, updated_at)
         values (1, 'early', 'early@example.test', 'x', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')",
        "insert into articles (id, slug, title, description, body, body_html, author_id, created_at, updated_at)
         values (1, 'first', 'First post', 'From before', 'About platypuses.', '<p>About platypuses.</p>', 1,
                 '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')",
        "insert into tags (id, name) values (1, 'monotremes')",
        "insert into article_tags (article_id, tag_id) values (1, 1)",
    ] {
        sqlx::query(sql).execute(&db).await.unwrap();
    }
    db.close().await;

    // The app opens it and applies the rest: the old article is in the index, tags too.
    let app = TestApp::at(&path).await;
    assert_eq!(titles(&find(&app, "platypus").await), ["First post"]);
    assert_eq!(titles(&find(&app, "monotremes").await), ["First post"]);
    assert_eq!(in_recent(&app, "platypuses").await, [1]);
}

#[tokio::test]
async fn a_word_in_nearly_every_article_ranks_only_the_newest_ten_thousand() {
    use quire::db::article::{ArticleWrite, NewArticleRow, insert_many};
    let app = TestApp::new().await;
    let alice = app.sign_up("alice").await;
    // 10,005 articles say "common"; the oldest says it in its title, the best place, and is
    // the only one to say "ancient". Among the rest, one newer article has it in its title.
    let names: Vec<String> = (0..10_005)
        .map(|i| match i {
            0 => "Common ancient ground".to_owned(),
            9_000 => "Common sense".to_owned(),
            _ => format!("Entry {i}"),
        })
        .collect();
    let slugs: Vec<String> = (0..10_005).map(|i| format!("entry-{i}")).collect();
    let at = quire::db::now();
    let rows: Vec<NewArticleRow<'_>> = (0..10_005)
        .map(|i| NewArticleRow {
            author_id: alice,
            write: ArticleWrite {
                slug: &slugs[i],
                title: &names[i],
                description: "A description",
                body: "Some common words.",
                body_html: "<p>Some common words.</p>",
                tag_list: "",
            },
            at: &at,
        })
        .collect();
    let mut tx = app.begin_write().await;
    insert_many(&mut tx, &rows).await.unwrap();
    tx.commit().await.unwrap();

    let found = find(&app, "common").await;
    assert!(found.capped);
    assert_eq!(found.articles.total, 10_000);
    assert_eq!(found.articles.pages(), 1000);
    assert_eq!(titles(&found)[0], "Common sense");
    assert!(!titles(&found).contains(&"Common ancient ground".to_owned()));
    // Every page has its snippet.
    assert!(
        found
            .articles
            .items
            .iter()
            .all(|h| h.snippet.iter().any(|p| p.hit))
    );
    // Past the ranked ones there is nothing more to page through.
    let last = search::search(&app.state, &client(), None, "common", 1000)
        .await
        .unwrap();
    assert_eq!(last.articles.items.len(), 10);
    // A rarer word is ranked among all its matches.
    let rare = find(&app, "ancient").await;
    assert!(!rare.capped);
    assert_eq!(titles(&rare), ["Common ancient ground"]);

    let api = app
        .api("GET", "/api/search?q=common&limit=1", None, None)
        .await;
    assert_eq!(api.json()["articlesCount"], 10_000);
    assert_eq!(api.json()["articlesCountIsCapped"], true);
    let page = app.get("/search?q=common", None).await;
    assert!(
        page.body
            .contains("More than 10,000 articles found; the newest 10,000 are ranked")
    );

    // A last word that more than 10,000 articles hold as typed is taken as that word, not as
    // a prefix; a word that is not one yet still finds what it starts.
    let newest = quire::model::article::ArticleDraft {
        title: "Commonplace notes".into(),
        description: "Jotted down".into(),
        body: "Nothing else.".into(),
        tags: Vec::new(),
    };
    quire::service::article::create(&app.state, alice, newest)
        .await
        .unwrap();
    let whole = find(&app, "common").await;
    assert!(whole.capped);
    assert!(!titles(&whole).contains(&"Commonplace notes".to_owned()));
    assert_eq!(titles(&find(&app, "commonp").await), ["Commonplace notes"]);

    // An article 150,000 ids on moves the recent index past all the others: the newest 10,000
    // matches are then ranked in the whole index, and are the same ones.
    write_far_ahead(&app, alice, "Common far ahead").await;
    assert_eq!(in_recent(&app, "common").await, [150_000]);
    let far = find(&app, "common").await;
    assert!(far.capped);
    assert_eq!(far.articles.total, 10_000);
    assert!(titles(&far).contains(&"Common far ahead".to_owned()));
    assert!(titles(&far).contains(&"Common sense".to_owned()));
    assert!(
        !titles(&far).contains(&"Common ancient ground".to_owned()),
        "the oldest match is past the newest 10,000"
    );
    let last = search::search(&app.state, &client(), None, "common", 1000)
        .await
        .unwrap();
    assert_eq!(last.articles.items.len(), 10);
}

/// Writes an article titled `title` with id 150,000 (slug `far-ahead`), as a blog would after
/// 150,000 articles: the recent index's window moves past every article before it.
async fn write_far_ahead(app: &TestApp, author: quire::model::user::UserId, title: &str) {
    let mut tx = app.begin_write().await;
    sqlx::query(
        "insert into articles (id, slug, title, description, body, body_html, author_id,
                               created_at, updated_at)
         values (150000, 'far-ahead', $1, 'New', 'Fresh.', '<p>Fresh.</p>', $2,
                 '2026-11-22T00:00:00.000Z', '2026-11-22T00:00:00.000Z')",
    )
    .bind(title)
    .bind(author)
    .execute(&mut *tx)
    .await
    .expect("an article 150,000 ids on");
    tx.commit().await.expect("committed");
}

/// Ids of the articles of the recent index (the newest 100,000) that match `fts`.
async fn in_recent(app: &TestApp, fts: &str) -> Vec<i64> {
    sqlx::query_scalar(
        "select rowid from articles_recent_fts where articles_recent_fts match $1
         order by rowid",
    )
    .bind(fts)
    .fetch_all(&app.state.db.reader)
    .await
    .expect("the recent index")
}

/// FTS5's own check of the recent index against the articles of its window.
async fn recent_is_sound(app: &TestApp) {
    let mut tx = app.begin_write().await;
    sqlx::query(
        "insert into articles_recent_fts (articles_recent_fts, rank)
         values ('integrity-check', 1)",
    )
    .execute(&mut *tx)
    .await
    .expect("the recent index matches the newest articles");
}

#[tokio::test]
async fn the_recent_index_holds_the_newest_hundred_thousand_and_older_ones_are_still_found() {
    let app = TestApp::new().await;
    let alice = app.sign_up("alice").await;
    let first = write(&app, alice, "Platypus facts", "Old news.", &[]).await;
    let second = write(&app, alice, "Platypus myths", "Older news.", &[]).await;
    assert_eq!(in_recent(&app, "platypus").await, [1, 2]);

    // An article 150,000 ids on: the window moves to the newest 100,000 ids, past both.
    write_far_ahead(&app, alice, "Platypus today").await;
    let window: i64 = sqlx::query_scalar("select after_id from _search_window")
        .fetch_one(&app.state.db.reader)
        .await
        .unwrap();
    assert_eq!(window, 50_000);
    assert_eq!(in_recent(&app, "platypus").await, [150_000]);
    recent_is_sound(&app).await;
    // The search reaches back past the window: the whole index ranks.
    let found = find(&app, "platypus").await;
    assert_eq!(found.articles.total, 3);
    let mut all = titles(&found);
    all.sort();
    assert_eq!(all, ["Platypus facts", "Platypus myths", "Platypus today"]);

    // Edits and deletes of an article in the window reach it; those of older ones leave it.
    let patch = ArticlePatch {
        title: Some("Echidna today".into()),
        ..ArticlePatch::default()
    };
    let newest = article::update(&app.state, alice, "far-ahead", patch)
        .await
        .unwrap()
        .summary
        .slug;
    assert!(in_recent(&app, "platypus").await.is_empty());
    assert_eq!(in_recent(&app, "echidna").await, [150_000]);
    assert_eq!(titles(&find(&app, "echidna").await), ["Echidna today"]);
    let patch = ArticlePatch {
        title: Some("Echidna yesterday".into()),
        ..ArticlePatch::default()
    };
    article::update(&app.state, alice, &first, patch)
        .await
        .unwrap();
    assert_eq!(in_recent(&app, "echidna").await, [150_000]);
    article::delete(&app.state, alice, &second).await.unwrap();
    article::delete(&app.state, alice, &newest).await.unwrap();
    assert!(in_recent(&app, "echidna").await.is_empty());
    assert_eq!(titles(&find(&app, "echidna").await), ["Echidna yesterday"]);

    // Every article from the window on is gone and ids start again below it: the window starts
    // again at the next article. The index is sound.
    write(&app, alice, "Echidna spines", "Newest.", &[]).await;
    assert_eq!(in_recent(&app, "echidna").await, [2]);
    assert_eq!(titles(&find(&app, "echidna").await).len(), 2);
    recent_is_sound(&app).await;
}
