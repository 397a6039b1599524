//! `AppState` (ssr-only): what every request handler and server function can reach.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;

use crate::auth::limiter::Limiter;
use crate::auth::password::Hasher;
use crate::cache::PageCache;
use crate::config::Config;
use crate::db::Db;
use crate::error::AppResult;
use crate::observe::Metrics;

#[derive(Clone, Debug)]
pub struct AppState {
    pub db: Db,
    pub config: Arc<Config>,
    pub hasher: Hasher,
    /// Sign-in and sign-up attempts per client address.
    pub ip_limiter: Arc<Limiter>,
    /// Sign-in and sign-up attempts per account (email).
    pub account_limiter: Arc<Limiter>,
    /// Writes (articles, comments, favorites, follows) per client address.
    pub write_ip_limiter: Arc<Limiter>,
    /// Writes per account.
    pub write_account_limiter: Arc<Limiter>,
    /// Rendered reads kept until the next write.
    pub page_cache: Arc<PageCache>,
    /// Request counts and latencies since start, for `/metrics`.
    pub metrics: Arc<Metrics>,
    /// Behind an `Arc`: the state is cloned several times for every request (each
    /// `from_fn_with_state` layer clones the stack inside it), and the options are a dozen
    /// strings.
    pub leptos_options: Arc<LeptosOptions>,
}

impl AppState {
    pub fn new(db: Db, config: Config, leptos_options: LeptosOptions) -> AppResult<Self> {
        let per_minute = config.auth_attempts_per_minute;
        let minute = Duration::from_secs(60);
        Ok(Self {
            db,
            hasher: Hasher::new()?,
            ip_limiter: Arc::new(Limiter::new(per_minute, minute)),
            account_limiter: Arc::new(Limiter::new(per_minute.div_ceil(2), minute)),
            write_ip_limiter: Arc::new(Limiter::new(config.writes_per_minute, minute)),
            write_account_limiter: Arc::new(Limiter::new(
                config.writes_per_minute.div_ceil(2),
                minute,
            )),
            metrics: Arc::new(Metrics::new()),
            page_cache: Arc::new(PageCache::new(config.page_cache_bytes)),
            config: Arc::new(config),
            leptos_options: Arc::new(leptos_options),
        })
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        (*state.leptos_options).clone()
    }
}
