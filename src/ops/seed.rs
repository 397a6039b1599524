//! `quire seed`: demo data (users who follow each other, articles, comments, favorites),
//! generated from a seed so that the same plan gives the same data, and loaded through the
//! bulk loaders of `db::bulk`.

use std::time::{Duration, Instant};

use anyhow::bail;
use indicatif::{ProgressBar, ProgressState, ProgressStyle};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use time::OffsetDateTime;

use crate::db::article::{ArticleWrite, NewArticleRow};
use crate::db::{self, maintenance};
use crate::markdown;
use crate::model::user::UserId;
use crate::service::article::slugify;
use crate::state::AppState;

/// What `quire seed` makes.
#[derive(Debug, Clone, Copy)]
pub struct SeedPlan {
    pub users: u32,
    pub articles: u32,
    /// The random seed: the same plan and seed give the same data.
    pub seed: u64,
}

/// The password of every demo account.
pub const DEMO_PASSWORD: &str = "quire demo password";
const BATCH: u32 = 5000;

const WORDS: [&str; 100] = [
    "rust",
    "memory",
    "safety",
    "async",
    "runtime",
    "thread",
    "borrow",
    "checker",
    "lifetime",
    "trait",
    "generic",
    "macro",
    "closure",
    "iterator",
    "vector",
    "string",
    "slice",
    "pointer",
    "heap",
    "stack",
    "compiler",
    "linker",
    "cargo",
    "crate",
    "module",
    "test",
    "bench",
    "profile",
    "cache",
    "index",
    "query",
    "table",
    "schema",
    "server",
    "client",
    "request",
    "response",
    "header",
    "cookie",
    "session",
    "token",
    "router",
    "handler",
    "layer",
    "service",
    "future",
    "stream",
    "socket",
    "packet",
    "protocol",
    "latency",
    "throughput",
    "garden",
    "kitchen",
    "bread",
    "coffee",
    "travel",
    "mountain",
    "river",
    "forest",
    "winter",
    "summer",
    "music",
    "guitar",
    "piano",
    "camera",
    "photo",
    "design",
    "colour",
    "typeface",
    "layout",
    "grid",
    "paper",
    "ink",
    "story",
    "novel",
    "poem",
    "history",
    "science",
    "physics",
    "biology",
    "planet",
    "orbit",
    "rocket",
    "engine",
    "bicycle",
    "train",
    "harbour",
    "island",
    "city",
    "market",
    "budget",
    "habit",
    "sleep",
    "focus",
    "journal",
    "letter",
    "lesson",
    "teacher",
    "student",
];

/// 500 tags: pairs of words.
fn vocabulary() -> Vec<String> {
    let mut tags = Vec::with_capacity(500);
    for a in &WORDS[..25] {
        for b in &WORDS[25..45] {
            tags.push(format!("{a}-{b}"));
        }
    }
    tags
}

/// A sentence of a number of words drawn from `words`.
fn sentence(rng: &mut StdRng, words: std::ops::Range<usize>) -> String {
    let words = rng.gen_range(words);
    let mut out = String::new();
    for i in 0..words {
        let word = WORDS.choose(rng).copied().unwrap_or("word");
        if i == 0 {
            let mut chars = word.chars();
            if let Some(first) = chars.next() {
                out.extend(first.to_uppercase());
                out.push_str(chars.as_str());
            }
        } else {
            out.push(' ');
            out.push_str(word);
        }
    }
    out.push('.');
    out
}

/// Markdown blocks that render the same alone or side by side (each list and quote ends in a
/// paragraph, so neighbours never merge), with their sanitised HTML rendered once.
fn blocks(rng: &mut StdRng) -> Vec<(String, String)> {
    (0..240)
        .map(|i| {
            let md = match i % 6 {
                0 => format!("## {}", sentence(rng, 4..5).trim_end_matches('.')),
                1 => format!(
                    "- {}\n- {}\n- {}\n\n{}",
                    sentence(rng, 5..6),
                    sentence(rng, 7..8),
                    sentence(rng, 4..5),
                    sentence(rng, 12..13)
                ),
                2 => format!(
                    "```rust\nfn {}() -> u32 {{\n    {}\n}}\n```",
                    WORDS.choose(rng).copied().unwrap_or("f"),
                    rng.gen_range(1..1000)
                ),
                3 => format!("> {}\n\n{}", sentence(rng, 14..15), sentence(rng, 10..11)),
                _ => {
                    let mut p = String::new();
                    for _ in 0..rng.gen_range(4..9) {
                        p.push_str(&sentence(rng, 8..20));
                        p.push(' ');
                    }
                    let word = WORDS.choose(rng).copied().unwrap_or("link");
                    format!(
                        "{}See [{word}](https://example.org/{word}) and **{word}**.",
                        p
                    )
                }
            };
            // Shallow blocks of our own: they always render.
            let html = markdown::render(&md)
                .map(|html| html.as_str().to_owned())
                .unwrap_or_default();
            (md, html)
        })
        .collect()
}

/// A seeded article, made before it is written.
struct Draft {
    author: UserId,
    slug: String,
    title: String,
    description: String,
    body: String,
    html: String,
    tag_list: String,
    tags: Vec<String>,
    at: String,
}

impl Draft {
    fn write<'a>(&'a self, slug: &'a str) -> ArticleWrite<'a> {
        ArticleWrite {
            slug,
            title: &self.title,
            description: &self.description,
            body: &self.body,
            body_html: &self.html,
            tag_list: &self.tag_list,
        }
    }
}

/// The seed's progress: on a terminal, indicatif's bar with the rate and the time left; where
/// stderr is not a terminal (a log, CI), the bar is hidden and each phase prints one line when
/// it ends.
struct Progress {
    bar: ProgressBar,
}

impl Progress {
    fn new(what: &'static str, total: u32) -> Self {
        let bar = ProgressBar::new(u64::from(total));
        bar.set_style(
            ProgressStyle::with_template("  {prefix:<9} [{bar:30}] {pos}/{len} {rate} {eta} left")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .with_key(
                    "rate",
                    |state: &ProgressState, w: &mut dyn std::fmt::Write| {
                        let _ = write!(w, "{:.0}/s", state.per_sec());
                    },
                )
                .progress_chars("#> "),
        );
        bar.set_prefix(what);
        Self { bar }
    }

    fn show(&mut self, done: u32) {
        self.bar.set_position(u64::from(done));
        if self.bar.position() >= self.bar.length().unwrap_or(0) {
            if self.bar.is_hidden() {
                eprintln!(
                    "  {} {done} in {:.1} s",
                    self.bar.prefix(),
                    self.bar.elapsed().as_secs_f64()
                );
            } else {
                self.bar.finish();
                eprintln!();
            }
        }
    }
}

/// `quire seed`: demo users who follow each other, and articles with Markdown bodies of 1–10
/// KB, three tags each from a vocabulary of 500, comments and favorites. Fast: one password
/// hash for all, pre-rendered Markdown blocks, and a transaction per thousand rows.
pub async fn seed(state: &AppState, plan: SeedPlan) -> anyhow::Result<()> {
    if plan.users == 0 {
        bail!("--users must be at least 1");
    }
    let started = Instant::now();
    let mut rng = StdRng::seed_from_u64(plan.seed);
    let hash = state
        .hasher
        .hash(DEMO_PASSWORD)
        .await
        .map_err(|e| anyhow::anyhow!("hashing the demo password: {e}"))?;
    let now = OffsetDateTime::now_utc();
    let run = now.unix_timestamp();
    maintenance::bulk_mode(&state.db, true).await?;
    let loaded = load(state, plan, &mut rng, &hash, now, run).await;
    maintenance::bulk_mode(&state.db, false).await?;
    loaded?;
    println!(
        "seed: {} users and {} articles in {:.1} s; every demo account's password is \"{DEMO_PASSWORD}\"",
        plan.users,
        plan.articles,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

async fn load(
    state: &AppState,
    plan: SeedPlan,
    rng: &mut StdRng,
    hash: &str,
    now: OffsetDateTime,
    run: i64,
) -> anyhow::Result<()> {
    // Users, and who follows whom.
    let mut ids: Vec<UserId> = Vec::with_capacity(plan.users as usize);
    let mut progress = Progress::new("users", plan.users);
    for start in (0..plan.users).step_by(BATCH as usize) {
        let mut tx = state.db.begin_write().await?;
        for i in start..(start + BATCH).min(plan.users) {
            let username = format!("{}{}x{i}", WORDS[i as usize % WORDS.len()], run % 100_000);
            let email = format!("{username}@example.org");
            let bio = (i % 3 == 0).then(|| sentence(&mut *rng, 10..11));
            let user = db::user::UserWrite {
                username: &username,
                email: &email,
                bio: bio.as_deref(),
                image: None,
            };
            ids.push(db::user::insert(&mut *tx, &user, hash, &db::timestamp(now)).await?);
        }
        tx.commit().await?;
        progress.show((start + BATCH).min(plan.users));
    }
    let mut tx = state.db.begin_write().await?;
    for &follower in &ids {
        for _ in 0..5.min(ids.len() - 1) {
            let followee = *ids.choose(&mut *rng).unwrap_or(&follower);
            if followee != follower {
                db::follow::add(&mut *tx, follower, followee, &db::timestamp(now)).await?;
            }
        }
    }
    tx.commit().await?;

    // Articles over the last two years, oldest first; a few authors write most of them.
    let tags = vocabulary();
    let tag_ids: std::collections::HashMap<String, i64> = {
        let mut tx = state.db.begin_write().await?;
        let ids = db::bulk::ensure_tags(&mut tx, &tags).await?;
        tx.commit().await?;
        ids.into_iter().collect()
    };
    let blocks = blocks(rng);
    let span = Duration::from_secs(2 * 365 * 24 * 3600);
    let step = span / plan.articles.max(1);
    let mut progress = Progress::new("articles", plan.articles);
    for start in (0..plan.articles).step_by(BATCH as usize) {
        // A batch is made in memory, then written in a few multi-row statements.
        let mut drafts = Vec::with_capacity(BATCH as usize);
        for i in start..(start + BATCH).min(plan.articles) {
            let r: f64 = rng.r#gen();
            let author = ids[((r * r) * ids.len() as f64) as usize % ids.len()];
            let title = sentence(&mut *rng, 3..8).trim_end_matches('.').to_owned();
            let description = sentence(&mut *rng, 8..16);
            let target = rng.gen_range(1024..10 * 1024);
            let (mut body, mut html) = (String::new(), String::new());
            while body.len() < target {
                let (md, h) = blocks.choose(&mut *rng).expect("blocks");
                if !body.is_empty() {
                    body.push_str("\n\n");
                }
                body.push_str(md);
                html.push_str(h);
            }
            let mut mine: Vec<String> = tags.choose_multiple(&mut *rng, 3).cloned().collect();
            mine.sort();
            let slug = format!("{}-{}", slugify(&title), i);
            drafts.push(Draft {
                author,
                slug,
                title,
                description,
                body,
                html,
                tag_list: mine.join(" "),
                tags: mine,
                at: db::timestamp(now - span + step * i),
            });
        }
        let rows: Vec<NewArticleRow<'_>> = drafts
            .iter()
            .map(|d| NewArticleRow {
                author_id: d.author,
                write: d.write(&d.slug),
                at: &d.at,
            })
            .collect();
        let mut tx = state.db.begin_write().await?;
        let inserted = db::article::insert_many(&mut tx, &rows).await?;
        let mut article_ids = Vec::with_capacity(drafts.len());
        for (draft, id) in drafts.iter().zip(inserted) {
            let id = match id {
                Some(id) => id,
                // Seeded before, by an earlier run: the same slug with this run's number.
                None => {
                    let slug = format!("{}-{run}", draft.slug);
                    db::article::insert(&mut tx, draft.author, &draft.write(&slug), &draft.at)
                        .await?
                }
            };
            article_ids.push(id);
        }
        let (mut links, mut comments, mut favorites) = (Vec::new(), Vec::new(), Vec::new());
        for (draft, &id) in drafts.iter().zip(&article_ids) {
            links.extend(
                draft
                    .tags
                    .iter()
                    .filter_map(|t| tag_ids.get(t).map(|&tag| (id, tag, draft.at.as_str()))),
            );
            for _ in 0..rng.gen_range(0..4) {
                let who = *ids.choose(&mut *rng).expect("users");
                comments.push((id, who, sentence(&mut *rng, 5..25), draft.at.as_str()));
            }
            let mut fans: Vec<UserId> = (0..rng.gen_range(0..5))
                .map(|_| *ids.choose(&mut *rng).expect("users"))
                .collect();
            fans.sort_unstable();
            fans.dedup();
            favorites.extend(fans.into_iter().map(|fan| (fan, id, draft.at.as_str())));
        }
        db::bulk::link_tags(&mut tx, &links).await?;
        db::bulk::insert_comments(&mut tx, &comments).await?;
        db::bulk::add_favorites(&mut tx, &favorites).await?;
        tx.commit().await?;
        progress.show((start + BATCH).min(plan.articles));
    }
    Ok(())
}
