//! Measures Quire's page-cache store (`quire::cache::PageCache`) against moka (LRU and its
//! default TinyLFU), and Quire's rate limiter (`quire::auth::limiter::Limiter`) against governor, on the loads Quire puts on them;
//! prints a Markdown report. Run by `make bench-libraries`.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::HeaderMap;
use governor::{Quota, RateLimiter};
use moka::policy::EvictionPolicy;
use moka::sync::Cache;
use quire::auth::limiter::{Key as LimitKey, Limiter};
use quire::cache::{Key, PageCache};
use quire::client_ip::ClientKey;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Zipf};

const THREADS: usize = 2;
/// The home page's size (`make bench`'s ceiling body).
const BODY: usize = 17_798;
const BUDGET: usize = 32 * 1024 * 1024;

/// Resident memory of this process, in KiB.
fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// Calls per second of `work` run `per_thread` times on each of `THREADS` threads.
fn rate(per_thread: usize, work: impl Fn(usize, usize) + Sync) -> f64 {
    let started = Instant::now();
    std::thread::scope(|s| {
        for t in 0..THREADS {
            let work = &work;
            s.spawn(move || {
                for i in 0..per_thread {
                    work(t, i);
                }
            });
        }
    });
    (per_thread * THREADS) as f64 / started.elapsed().as_secs_f64()
}

fn key(i: usize) -> Key {
    Key {
        viewer: None,
        uri: format!("/article/a-{i}").into(),
    }
}

type Kept = (HeaderMap, Bytes, Option<Arc<str>>);

fn kept(body: &Bytes) -> Kept {
    Kept::new(HeaderMap::new(), body.clone(), None)
}

/// moka as Quire would use it: weighed by body bytes, with the page cache's TTL, each value
/// carrying the `Db::commits` it was rendered at (checked on a hit).
fn moka_cache(policy: EvictionPolicy) -> Cache<Key, (u64, Kept)> {
    Cache::builder()
        .eviction_policy(policy)
        .max_capacity(BUDGET as u64)
        .weigher(|_, (_, kept): &(u64, Kept)| u32::try_from(kept.body.len()).unwrap_or(u32::MAX))
        .time_to_live(quire::cache::TTL)
        .build()
}

fn cache_report() {
    println!("## Page cache store: `quire::cache::PageCache` and moka 0.12 (`sync::Cache`)\n");
    println!(
        "{THREADS} threads; bodies of {BODY} bytes (the home page); budget {} MiB; moka weighs \
         each page by its body and keeps it for the same TTL.\n",
        BUDGET >> 20
    );
    println!("| Load | Quire's store (FIFO) | moka, LRU | moka, TinyLFU |");
    println!("| --- | ---: | ---: | ---: |");
    let body = Bytes::from(vec![b'x'; BODY]);
    let policies = || [EvictionPolicy::lru(), EvictionPolicy::tiny_lfu()];

    // Hits: 1,000 kept pages read over and over.
    let keys: Vec<Key> = (0..1000).map(key).collect();
    let ours = PageCache::new(BUDGET);
    for k in &keys {
        ours.put(k.clone(), 0, 0, kept(&body));
    }
    let mut row = vec![rate(2_000_000, |t, i| {
        let _ = ours.get(&keys[(i * 7 + t) % 1000], 0);
    })];
    for policy in policies() {
        let theirs = moka_cache(policy);
        for k in &keys {
            theirs.insert(k.clone(), (0, kept(&body)));
        }
        row.push(rate(2_000_000, |t, i| {
            let _ = theirs
                .get(&keys[(i * 7 + t) % 1000])
                .filter(|(c, _)| *c == 0);
        }));
    }
    let row: Vec<String> = row.iter().map(|r| format!("{:.1} M/s", r / 1e6)).collect();
    println!("| hits of 1,000 kept pages | {} |", row.join(" | "));

    // Hit ratio: 20,000 pages (340 MB) read with Zipf popularity; a miss renders and keeps.
    for exponent in [1.0, 0.8] {
        let zipf = Zipf::new(20_000, exponent).expect("a Zipf distribution");
        let ratio = |get: &dyn Fn(&Key) -> bool, put: &dyn Fn(Key)| {
            let mut rng = StdRng::seed_from_u64(7);
            let mut hits = 0u32;
            let n = 400_000;
            for _ in 0..n {
                let k = key(zipf.sample(&mut rng) as usize);
                if get(&k) {
                    hits += 1;
                } else {
                    put(k);
                }
            }
            format!("{:.1} %", f64::from(hits) / f64::from(n) * 100.0)
        };
        let ours = PageCache::new(BUDGET);
        let mut row = vec![ratio(&|k| ours.get(k, 0).is_some(), &|k| {
            ours.put(k, 0, 0, kept(&body))
        })];
        for policy in policies() {
            let theirs = moka_cache(policy);
            row.push(ratio(&|k| theirs.get(k).is_some(), &|k| {
                theirs.insert(k, (0, kept(&body)));
                theirs.run_pending_tasks();
            }));
        }
        println!(
            "| hit ratio, 20,000 pages, Zipf {exponent:.1} popularity | {} |",
            row.join(" | ")
        );
    }

    // Churn: 200,000 new pages kept (the budget holds ~1,900), memory after.
    let mut rates = Vec::new();
    let mut memory = Vec::new();
    let mut counts = Vec::new();
    {
        let before = rss_kib();
        let ours = PageCache::new(BUDGET);
        let started = Instant::now();
        for i in 0..200_000 {
            ours.put(key(i), 0, 0, kept(&Bytes::from(vec![b'x'; BODY])));
        }
        rates.push(200_000.0 / started.elapsed().as_secs_f64());
        memory.push(rss_kib().saturating_sub(before));
        counts.push(format!("~{}", BUDGET / BODY));
    }
    for policy in policies() {
        let before = rss_kib();
        let theirs = moka_cache(policy);
        let started = Instant::now();
        for i in 0..200_000 {
            theirs.insert(key(i), (0, kept(&Bytes::from(vec![b'x'; BODY]))));
        }
        theirs.run_pending_tasks();
        rates.push(200_000.0 / started.elapsed().as_secs_f64());
        memory.push(rss_kib().saturating_sub(before));
        counts.push(theirs.entry_count().to_string());
    }
    let rates: Vec<String> = rates
        .iter()
        .map(|r| format!("{:.0} k/s", r / 1e3))
        .collect();
    let memory: Vec<String> = memory.iter().map(|m| format!("{} MiB", m >> 10)).collect();
    println!(
        "| 200,000 new pages kept, one thread | {} |",
        rates.join(" | ")
    );
    println!(
        "| memory after them (RSS growth) | {} |",
        memory.join(" | ")
    );
    println!("| pages held after them | {} |", counts.join(" | "));

    // A page rendered once, into a full cache: is it there for the readers who waited?
    let mut row = Vec::new();
    let ours = PageCache::new(BUDGET);
    for i in 0..10_000 {
        ours.put(key(i), 0, 0, kept(&body));
    }
    ours.put(key(99_999), 0, 0, kept(&body));
    row.push(yes(ours.get(&key(99_999), 0).is_some()));
    for policy in policies() {
        let theirs = moka_cache(policy);
        for i in 0..10_000 {
            theirs.insert(key(i), (0, kept(&body)));
            theirs.run_pending_tasks();
        }
        theirs.insert(key(99_999), (0, kept(&body)));
        theirs.run_pending_tasks();
        row.push(yes(theirs.contains_key(&key(99_999))));
    }
    println!(
        "| a new page put into a full cache is kept (the readers waiting for its render find it) | {} |",
        row.join(" | ")
    );
    println!();
}

fn limiter_report() {
    println!("## Rate limiter: `quire::auth::limiter::Limiter` and governor 0.10 (keyed)\n");
    println!("20 attempts a minute per key, as sign-in's per-address limit; {THREADS} threads.\n");
    println!("| Load | Quire's limiter | governor |\n| --- | ---: | ---: |");
    let quota = Quota::per_minute(NonZeroU32::new(20).expect("20"));
    let clients: Vec<ClientKey> = (0..10_000)
        .map(|i| ClientKey::named(&format!("10.0.{}.{}", i / 256, i % 256)))
        .collect();
    let names: Vec<String> = clients.iter().map(|c| format!("ip:{c}")).collect();

    let ours = Limiter::new(20, Duration::from_secs(60));
    let theirs = RateLimiter::keyed(quota);
    let a = rate(1_000_000, |t, i| {
        let _ = ours.attempt(LimitKey::Client(&clients[(i * 13 + t) % clients.len()]));
    });
    let b = rate(1_000_000, |t, i| {
        let _ = theirs.check_key(&names[(i * 13 + t) % names.len()]);
    });
    println!(
        "| attempts over 10,000 clients | {:.1} M/s | {:.1} M/s |",
        a / 1e6,
        b / 1e6
    );

    // A flood: one client is refused, then 2,000,000 made-up clients try once each.
    let ours = Limiter::new(20, Duration::from_secs(60));
    let theirs = RateLimiter::keyed(quota);
    let victim = ClientKey::named("203.0.113.9");
    for _ in 0..20 {
        let _ = ours.attempt(LimitKey::Client(&victim));
        let _ = theirs.check_key(&format!("ip:{victim}"));
    }
    let before = rss_kib();
    let started = Instant::now();
    for i in 0..2_000_000u32 {
        let _ = ours.attempt(LimitKey::Client(&ClientKey::named(&format!("f{i}"))));
    }
    let a_rate = 2_000_000.0 / started.elapsed().as_secs_f64();
    let a_mem = rss_kib().saturating_sub(before);
    let a_kept = ours.len();
    let a_refused = ours.attempt(LimitKey::Client(&victim)).is_err();
    let before = rss_kib();
    let started = Instant::now();
    for i in 0..2_000_000u32 {
        let _ = theirs.check_key(&format!("ip:f{i}"));
    }
    let b_rate = 2_000_000.0 / started.elapsed().as_secs_f64();
    let b_mem = rss_kib().saturating_sub(before);
    let b_kept = theirs.len();
    theirs.retain_recent();
    let b_after_retain = theirs.len();
    let b_refused = theirs.check_key(&format!("ip:{victim}")).is_err();
    println!(
        "| a flood of 2,000,000 new clients, one thread | {:.1} M/s | {:.1} M/s |",
        a_rate / 1e6,
        b_rate / 1e6
    );
    println!(
        "| keys held after the flood | {a_kept} | {b_kept} ({b_after_retain} after `retain_recent`) |"
    );
    println!(
        "| memory the flood took (RSS growth) | {} MiB | {} MiB |",
        a_mem >> 10,
        b_mem >> 10
    );
    println!(
        "| the refused client still refused | {} | {} |",
        yes(a_refused),
        yes(b_refused)
    );
    println!(
        "| count without refusing, ask without counting (the sign-in guard's `record`, `refusal`) | yes | no such calls |"
    );
    println!();
}

fn yes(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

fn main() {
    let mut rng = StdRng::seed_from_u64(1);
    let _: u8 = rng.r#gen();
    cache_report();
    limiter_report();
}
