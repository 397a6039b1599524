//! Settings (ssr-only): read once at start from the environment (and an optional `.env`),
//! every one with a default that runs the blog locally. `.env.example` documents them all.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::ArgAction;
use sqlx::sqlite::SqliteConnectOptions;

use crate::client_ip::TrustedProxies;

pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/quire.db";
const SECRET_FILE: &str = "quire.secret";
const SECRET_LEN: usize = 64;

/// Every setting, read once at start from its environment variable (clap's `env`): each one's
/// variable, default and parser are written here once, beside its doc. A variable that is set
/// but blank counts as unset. `Config::from_env` names the variable in any error.
#[derive(Clone, Debug, clap::Parser)]
#[command(name = "quire", no_binary_name = true, disable_help_flag = true)]
pub struct Config {
    /// Where the SQLite file lives (`DATABASE_URL`).
    #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
    pub database_url: String,
    /// The public origin, such as `https://blog.example.org` (`QUIRE_PUBLIC_URL`); no trailing
    /// slash. State-changing requests must come from it. Unset: `http://` and the address the
    /// server listens on.
    #[arg(long, env = "QUIRE_PUBLIC_URL", default_value = "", value_parser = origin)]
    pub public_url: String,
    /// Refuse passwords from the shipped common-password list (`QUIRE_COMMON_PASSWORDS`).
    #[arg(long, env = "QUIRE_COMMON_PASSWORDS", default_value = "on", value_parser = on_off, action = ArgAction::Set)]
    pub common_passwords: bool,
    /// Sign a user out after this long without a request (`QUIRE_SESSION_IDLE_SECS`).
    #[arg(long, env = "QUIRE_SESSION_IDLE_SECS", default_value = "86400", value_parser = seconds)]
    pub session_idle: Duration,
    /// Sign a user out this long after sign-in, active or not (`QUIRE_SESSION_ABSOLUTE_SECS`).
    #[arg(long, env = "QUIRE_SESSION_ABSOLUTE_SECS", default_value = "1209600", value_parser = seconds)]
    pub session_absolute: Duration,
    /// The admin pages ask an administrator for their password again when it was last given
    /// longer ago than this in the session (`QUIRE_ADMIN_CONFIRM_SECS`).
    #[arg(long, env = "QUIRE_ADMIN_CONFIRM_SECS", default_value = "3600", value_parser = seconds)]
    pub admin_confirm: Duration,
    /// Sign-in and sign-up attempts allowed per client address per minute
    /// (`QUIRE_AUTH_ATTEMPTS_PER_MINUTE`; 0 turns the limit off). Each account gets half.
    #[arg(long, env = "QUIRE_AUTH_ATTEMPTS_PER_MINUTE", default_value = "20", value_parser = count)]
    pub auth_attempts_per_minute: u32,
    /// Writes (articles, comments, favorites, follows) allowed per client address per minute
    /// (`QUIRE_WRITES_PER_MINUTE`; 0 turns the limit off). Each account gets half.
    #[arg(long, env = "QUIRE_WRITES_PER_MINUTE", default_value = "120", value_parser = count)]
    pub writes_per_minute: u32,
    /// Searches allowed per client address per minute (`QUIRE_SEARCHES_PER_MINUTE`; 0 turns the
    /// limit off). Only searches that run count: one answered from the page cache is free.
    #[arg(long, env = "QUIRE_SEARCHES_PER_MINUTE", default_value = "60", value_parser = count)]
    pub searches_per_minute: u32,
    /// The editor's previews allowed per client address, and per account, per minute
    /// (`QUIRE_PREVIEWS_PER_MINUTE`; 0 turns the limit off).
    #[arg(long, env = "QUIRE_PREVIEWS_PER_MINUTE", default_value = "120", value_parser = count)]
    pub previews_per_minute: u32,
    /// A request not answered within this time is stopped with 408 (`QUIRE_REQUEST_TIMEOUT_SECS`,
    /// at least 1): a client that sends its body slowly cannot hold a worker for ever.
    #[arg(long, env = "QUIRE_REQUEST_TIMEOUT_SECS", default_value = "30", value_parser = timeout)]
    pub request_timeout: Duration,
    /// How long a REST API token works after sign-in (`QUIRE_TOKEN_TTL_SECS`).
    #[arg(long, env = "QUIRE_TOKEN_TTL_SECS", default_value = "2592000", value_parser = seconds)]
    pub token_ttl: Duration,
    /// When set, `/metrics` answers only `Authorization: Bearer <token>` (`QUIRE_METRICS_TOKEN`);
    /// when unset it is open.
    #[arg(long, env = "QUIRE_METRICS_TOKEN", hide_env_values = true, value_parser = secret)]
    pub metrics_token: Option<Secret>,
    /// `/healthz` reports the disk as low below this many free bytes in the database's folder
    /// (`QUIRE_MIN_FREE_DISK_MB`, in MiB).
    #[arg(long, env = "QUIRE_MIN_FREE_DISK_MB", default_value = "100", value_parser = mebibytes)]
    pub min_free_disk_bytes: u64,
    /// Memory for rendered pages and API reads kept until the next write (`QUIRE_PAGE_CACHE_MB`,
    /// in MiB; 0 turns the cache off).
    #[arg(long, env = "QUIRE_PAGE_CACHE_MB", default_value = "32", value_parser = cache_mebibytes)]
    pub page_cache_bytes: usize,
    /// Say on each cacheable answer whether it came from the page cache (`x-quire-cache: hit`
    /// or `miss`; `QUIRE_CACHE_STATUS_HEADER`, off by default): for tests and diagnosis only,
    /// since it tells anyone whether someone else opened an address lately.
    #[arg(long, env = "QUIRE_CACHE_STATUS_HEADER", default_value = "off", value_parser = on_off, action = ArgAction::Set)]
    pub cache_status_header: bool,
    /// Reverse proxies whose `X-Forwarded-For` names the client (`QUIRE_TRUSTED_PROXIES`,
    /// addresses and ranges, comma-separated); none by default, and the header is ignored.
    #[arg(long, env = "QUIRE_TRUSTED_PROXIES", default_value = "", value_parser = proxies)]
    pub trusted_proxies: TrustedProxies,
}

impl Config {
    /// Reads the environment; `site_addr` is the address the server listens on (from Leptos).
    pub fn from_env(site_addr: SocketAddr) -> anyhow::Result<Self> {
        // Blank variables count as unset: clap would take them as values.
        let command = <Self as clap::CommandFactory>::command().mut_args(|arg| {
            match arg.get_env().and_then(std::env::var_os) {
                Some(value) if value.to_string_lossy().trim().is_empty() => arg.env(None),
                _ => arg,
            }
        });
        let matches = command
            .clone()
            .try_get_matches_from(std::iter::empty::<String>())
            .map_err(|error| setting_error(&command, &error))?;
        let mut config = <Self as clap::FromArgMatches>::from_arg_matches(&matches)
            .map_err(|error| setting_error(&command, &error))?;
        if config.public_url.is_empty() {
            config.public_url = format!("http://{site_addr}");
        }
        Ok(config)
    }

    /// Settings for tests: a database file at `path`, no common-password list, no rate limits,
    /// an open `/metrics`, and no free-disk threshold (so tests do not depend on the machine).
    pub fn for_tests(path: &Path) -> Self {
        Self {
            database_url: format!("sqlite://{}", path.display()),
            public_url: "http://127.0.0.1:3000".to_owned(),
            common_passwords: false,
            session_idle: Duration::from_secs(3600),
            session_absolute: Duration::from_secs(24 * 3600),
            admin_confirm: Duration::from_secs(3600),
            auth_attempts_per_minute: 0,
            writes_per_minute: 0,
            searches_per_minute: 0,
            previews_per_minute: 0,
            request_timeout: Duration::from_secs(30),
            token_ttl: Duration::from_secs(24 * 3600),
            metrics_token: None,
            min_free_disk_bytes: 0,
            page_cache_bytes: 4 * 1024 * 1024,
            cache_status_header: true,
            trusted_proxies: TrustedProxies::default(),
        }
    }

    /// True when the public origin is https: cookies are then `Secure` and `__Host-` named.
    pub fn is_https(&self) -> bool {
        self.public_url.starts_with("https://")
    }

    /// The SQLite file named by `database_url`.
    pub fn database_path(&self) -> anyhow::Result<PathBuf> {
        if !self.database_url.starts_with("sqlite:") {
            bail!(
                "DATABASE_URL `{}` is not supported: Quire runs on SQLite (sqlite://path/to/file.db)",
                self.database_url
            );
        }
        let options = SqliteConnectOptions::from_str(&self.database_url)
            .with_context(|| format!("DATABASE_URL `{}` is not a SQLite URL", self.database_url))?;
        let path = options.get_filename();
        let in_memory =
            self.database_url.contains(":memory:") || self.database_url.contains("mode=memory");
        if in_memory || path.as_os_str().is_empty() {
            bail!("DATABASE_URL must name a file: Quire keeps its data on disk");
        }
        Ok(path.to_path_buf())
    }
}

/// A secret setting, such as the metrics token: `Debug` never shows it, and `matches` compares
/// in constant time.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: &str) -> Self {
        Self(value.to_owned())
    }

    /// True when `given` is the secret. Both sides are hashed first, so the comparison takes the
    /// same time whatever `given` is, its length included.
    pub fn matches(&self, given: &str) -> bool {
        use sha2::{Digest, Sha256};
        use subtle::ConstantTimeEq;
        let expected = Sha256::digest(self.0.as_bytes());
        let given = Sha256::digest(given.as_bytes());
        expected.as_slice().ct_eq(given.as_slice()).into()
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(..)")
    }
}

/// How log lines are written (`QUIRE_LOG_FORMAT`): `text` for people, `json` (one object a
/// line) for log collectors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

impl LogFormat {
    /// Reads `QUIRE_LOG_FORMAT`; read before the rest of the settings, because logging starts
    /// first.
    pub fn from_env() -> anyhow::Result<Self> {
        Self::parse(var("QUIRE_LOG_FORMAT").as_deref())
    }

    fn parse(value: Option<&str>) -> anyhow::Result<Self> {
        match value.map(str::trim) {
            None | Some("text") => Ok(Self::Text),
            Some("json") => Ok(Self::Json),
            Some(other) => bail!("QUIRE_LOG_FORMAT must be `text` or `json`, not `{other}`"),
        }
    }
}

fn var(key: &str) -> Option<String> {
    std::env::var(key).ok().filter(|v| !v.trim().is_empty())
}

/// The error of a setting, naming its variable: `QUIRE_X must be a whole number, not `abc``.
fn setting_error(command: &clap::Command, error: &clap::Error) -> anyhow::Error {
    use clap::error::{ContextKind, ContextValue};
    let variable = match error.get(ContextKind::InvalidArg) {
        Some(ContextValue::String(arg)) => command
            .get_arguments()
            .find(|a| {
                a.get_long()
                    .is_some_and(|long| arg.starts_with(&format!("--{long} ")))
            })
            .and_then(|a| a.get_env())
            .map(|env| env.to_string_lossy().into_owned()),
        _ => None,
    };
    let reason = std::error::Error::source(error)
        .map_or_else(|| error.kind().to_string(), |source| source.to_string());
    match variable {
        Some(variable) => anyhow::anyhow!("{variable} {reason}"),
        None => anyhow::anyhow!("a setting is wrong: {reason}"),
    }
}

/// A whole number, as typed (spaces around it are fine).
fn whole(value: &str) -> Result<u64, String> {
    value
        .trim()
        .parse()
        .map_err(|_| format!("must be a whole number, not `{value}`"))
}

fn seconds(value: &str) -> Result<Duration, String> {
    whole(value).map(Duration::from_secs)
}

fn timeout(value: &str) -> Result<Duration, String> {
    whole(value).map(|secs| Duration::from_secs(secs.max(1)))
}

fn count(value: &str) -> Result<u32, String> {
    u32::try_from(whole(value)?).map_err(|_| "is too large".to_owned())
}

fn mebibytes(value: &str) -> Result<u64, String> {
    whole(value)?
        .checked_mul(1024 * 1024)
        .ok_or_else(|| "is too large".to_owned())
}

fn cache_mebibytes(value: &str) -> Result<usize, String> {
    usize::try_from(mebibytes(value)?).map_err(|_| "is too large".to_owned())
}

fn on_off(value: &str) -> Result<bool, String> {
    match value.trim() {
        "on" => Ok(true),
        "off" => Ok(false),
        other => Err(format!("must be `on` or `off`, not `{other}`")),
    }
}

fn secret(value: &str) -> Result<Secret, String> {
    Ok(Secret::new(value.trim()))
}

fn origin(value: &str) -> Result<String, String> {
    if value.trim().is_empty() {
        return Ok(String::new());
    }
    parse_origin(value).map_err(|e| e.to_string())
}

fn proxies(value: &str) -> Result<TrustedProxies, String> {
    TrustedProxies::parse(value).map_err(|e| format!("{e:#}"))
}

/// `https://Example.org/` → `https://example.org`: scheme, host and port only.
fn parse_origin(url: &str) -> anyhow::Result<String> {
    let url = url.trim().trim_end_matches('/');
    let (scheme, rest) = url
        .split_once("://")
        .context("must start with http:// or https://")?;
    if scheme != "http" && scheme != "https" {
        bail!("must start with http:// or https://");
    }
    if rest.is_empty() || rest.contains('/') || rest.contains('?') || rest.contains('#') {
        bail!("must be an origin such as https://blog.example.org, without a path");
    }
    Ok(format!("{scheme}://{}", rest.to_lowercase()))
}

/// The server's secret, kept beside the database: made on first run (owner-only permissions),
/// read on every later one. Never in the repository, never a fallback value.
pub fn load_or_create_secret(dir: &Path) -> anyhow::Result<Vec<u8>> {
    let path = dir.join(SECRET_FILE);
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            let bytes = decode_hex(text.trim())
                .with_context(|| format!("{} is not a Quire secret", path.display()))?;
            if bytes.len() != SECRET_LEN {
                bail!("{} must hold {SECRET_LEN} bytes", path.display());
            }
            Ok(bytes)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            use rand::RngCore;
            let mut bytes = vec![0u8; SECRET_LEN];
            rand::rngs::OsRng.fill_bytes(&mut bytes);
            write_private(&path, &encode_hex(&bytes))
                .with_context(|| format!("cannot write {}", path.display()))?;
            tracing::info!(path = %path.display(), "generated a new server secret");
            Ok(bytes)
        }
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}

fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()
}

pub(crate) fn encode_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn decode_hex(text: &str) -> anyhow::Result<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        bail!("odd number of hex digits");
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).context("not hex"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_url_is_reduced_to_an_origin() {
        assert_eq!(
            parse_origin("https://Blog.Example.org/").unwrap(),
            "https://blog.example.org"
        );
        assert_eq!(
            parse_origin("http://127.0.0.1:3000").unwrap(),
            "http://127.0.0.1:3000"
        );
        assert!(parse_origin("ftp://x").is_err());
        assert!(parse_origin("https://x/blog").is_err());
        assert!(parse_origin("x.org").is_err());
    }

    #[test]
    fn a_secret_matches_only_itself_and_never_shows() {
        let secret = Secret::new("s3cret-token");
        assert!(secret.matches("s3cret-token"));
        assert!(!secret.matches("s3cret-toke"));
        assert!(!secret.matches("s3cret-token "));
        assert!(!secret.matches(""));
        assert_eq!(format!("{secret:?}"), "Secret(..)");
    }

    #[test]
    fn the_log_format_is_text_or_json() {
        assert_eq!(LogFormat::parse(None).unwrap(), LogFormat::Text);
        assert_eq!(LogFormat::parse(Some("text")).unwrap(), LogFormat::Text);
        assert_eq!(LogFormat::parse(Some("json")).unwrap(), LogFormat::Json);
        let error = LogFormat::parse(Some("yaml")).unwrap_err().to_string();
        assert!(
            error.contains("QUIRE_LOG_FORMAT must be `text` or `json`"),
            "{error}"
        );
    }

    #[test]
    fn the_database_must_be_a_file() {
        let mut config = Config::for_tests(Path::new("data/x.db"));
        assert_eq!(config.database_path().unwrap(), Path::new("data/x.db"));
        config.database_url = "sqlite::memory:".into();
        assert!(config.database_path().is_err());
        config.database_url = "postgres://x".into();
        assert!(config.database_path().is_err());
    }

    #[test]
    fn the_secret_is_made_once_private_and_then_reused() {
        let dir = tempfile::tempdir().unwrap();
        let first = load_or_create_secret(dir.path()).unwrap();
        assert_eq!(first.len(), SECRET_LEN);
        assert_eq!(load_or_create_secret(dir.path()).unwrap(), first);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(SECRET_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(
                mode & 0o077,
                0,
                "the secret must be readable by its owner only"
            );
        }
        std::fs::write(dir.path().join(SECRET_FILE), "nothex").unwrap();
        assert!(load_or_create_secret(dir.path()).is_err());
    }

    /// `Leptos.toml` is what the release binary reads; `Cargo.toml` is what cargo-leptos builds
    /// with. They must name the same site.
    #[test]
    fn leptos_toml_matches_cargo_toml() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let cargo: toml::Value =
            toml::from_str(&std::fs::read_to_string(root.join("Cargo.toml")).unwrap()).unwrap();
        let build = &cargo["package"]["metadata"]["leptos"];
        let runtime: toml::Value =
            toml::from_str(&std::fs::read_to_string(root.join("Leptos.toml")).unwrap()).unwrap();
        let runtime = &runtime["package"]["metadata"]["leptos"];
        for key in [
            "output-name",
            "site-root",
            "site-pkg-dir",
            "site-addr",
            "reload-port",
        ] {
            assert_eq!(
                runtime.get(key),
                build.get(key),
                "`{key}` differs between Leptos.toml and Cargo.toml"
            );
        }
        let options = leptos::config::get_config_from_str(
            &std::fs::read_to_string(root.join("Leptos.toml")).unwrap(),
        )
        .unwrap();
        assert_eq!(&*options.output_name, "quire");
    }
}
