//! `AppState` (ssr-only): what every request handler and server function can reach.

use std::ops::Deref;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;

use crate::auth::guard::SignInGuard;
use crate::auth::limiter::Limiter;
use crate::auth::password::Hasher;
use crate::cache::PageCache;
use crate::config::Config;
use crate::db::Db;
use crate::error::AppResult;
use crate::markdown::Renderer;
use crate::metrics::Metrics;

/// One pointer: the state is cloned several times for every request (each layer of the router
/// clones the stack inside it), so a clone is one reference count, not one per field.
#[derive(Clone, Debug)]
pub struct AppState(Arc<Shared>);

/// The fields of `AppState`, reached through it (`state.db`).
#[derive(Debug)]
pub struct Shared {
    pub db: Db,
    pub config: Arc<Config>,
    pub hasher: Hasher,
    /// Sign-in and sign-up attempts per client address.
    pub ip_limiter: Arc<Limiter>,
    /// Sign-in and sign-up attempts per account (email) and client address.
    pub account_limiter: Arc<Limiter>,
    /// Failed sign-ins: a back-off per address, and a guard on an account under attack that
    /// still lets its owner in (`auth::guard`).
    pub sign_in_guard: Arc<SignInGuard>,
    /// Wrong passwords given while signed in (the admin pages' confirmation, a change of
    /// email or password), per account: a budget of their own, apart from sign-in's.
    pub password_proofs: Arc<Limiter>,
    /// Writes (articles, comments, favorites, follows) per client address.
    pub write_ip_limiter: Arc<Limiter>,
    /// Writes per account.
    pub write_account_limiter: Arc<Limiter>,
    /// Searches that run (not those answered from the page cache) per client address.
    pub search_limiter: Arc<Limiter>,
    /// The searches that may read at once (`SEARCH_SLOTS`): the other
    /// readers stay free for every other page, whatever the searches cost.
    pub search_slots: Arc<tokio::sync::Semaphore>,
    /// The editor's previews, per client address and per account (the same number each).
    pub preview_limiter: Arc<Limiter>,
    /// The threads Markdown is rendered on.
    pub renderer: Renderer,
    /// Rendered reads kept until the next write.
    pub page_cache: Arc<PageCache>,
    /// Request counts and latencies since start, for `/metrics`.
    pub metrics: Arc<Metrics>,
    /// Behind an `Arc` of its own: handlers hand it on, and the options are a dozen strings.
    pub leptos_options: Arc<LeptosOptions>,
}

/// Searches that read at once, one per searcher connection (`db::SEARCHERS`, beside the
/// readers and at a lower priority): a flood of searches (each a few milliseconds of ranking)
/// waits for these instead of taking a reader, so every other page and `/healthz` find theirs
/// free (issue 32: 16 at once made an uncached page 100 times slower while they queued for the
/// four readers).
pub const SEARCH_SLOTS: usize = crate::db::SEARCHERS as usize;

/// Wrong passwords an account may give while signed in, per `PASSWORD_PROOF_WINDOW`.
pub const PASSWORD_PROOFS: u32 = 5;
pub const PASSWORD_PROOF_WINDOW: Duration = Duration::from_secs(15 * 60);

impl AppState {
    pub fn new(db: Db, config: Config, leptos_options: LeptosOptions) -> AppResult<Self> {
        let per_minute = config.auth_attempts_per_minute;
        let minute = Duration::from_secs(60);
        let throttled = per_minute > 0;
        Ok(Self(Arc::new(Shared {
            db,
            hasher: Hasher::new()?,
            ip_limiter: Arc::new(Limiter::new(per_minute, minute)),
            account_limiter: Arc::new(Limiter::new(per_minute.div_ceil(2), minute)),
            sign_in_guard: Arc::new(SignInGuard::new(throttled)),
            password_proofs: Arc::new(Limiter::new(
                if throttled { PASSWORD_PROOFS } else { 0 },
                PASSWORD_PROOF_WINDOW,
            )),
            write_ip_limiter: Arc::new(Limiter::new(config.writes_per_minute, minute)),
            write_account_limiter: Arc::new(Limiter::new(
                config.writes_per_minute.div_ceil(2),
                minute,
            )),
            search_limiter: Arc::new(Limiter::new(config.searches_per_minute, minute)),
            search_slots: Arc::new(tokio::sync::Semaphore::new(SEARCH_SLOTS)),
            preview_limiter: Arc::new(Limiter::new(config.previews_per_minute, minute)),
            renderer: Renderer::new()?,
            metrics: Arc::new(Metrics::new()),
            page_cache: Arc::new(PageCache::new(config.page_cache_bytes)),
            config: Arc::new(config),
            leptos_options: Arc::new(leptos_options),
        })))
    }
}

impl Shared {
    /// Every rate limiter, for the sweep that forgets ended windows (`jobs`).
    pub fn limiters(&self) -> [&Limiter; 7] {
        [
            &self.ip_limiter,
            &self.account_limiter,
            &self.password_proofs,
            &self.write_ip_limiter,
            &self.write_account_limiter,
            &self.search_limiter,
            &self.preview_limiter,
        ]
    }
}

impl Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        (*state.leptos_options).clone()
    }
}
