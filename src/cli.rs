//! The `quire` command line (ssr-only): `quire serve` (the default) and `quire migrate`.

use std::process::ExitCode;

use anyhow::{Context, anyhow};
use clap::{Parser, Subcommand};
use leptos::config::{LeptosOptions, get_configuration};
use tower_sessions::cookie::Key;

use crate::config::{Config, load_or_create_secret};
use crate::db::Db;
use crate::state::AppState;

/// The file that holds the site settings of the release binary.
const LEPTOS_TOML: &str = "Leptos.toml";

#[derive(Debug, Parser)]
#[command(name = "quire", version, about = "Quire: a fast, secure blog", long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the web server (the default). Applies pending migrations first.
    Serve,
    /// Apply pending database migrations, then exit.
    Migrate,
}

/// Parses the command line, runs the command, and turns a failure into one clear line and
/// exit code 1.
pub async fn main() -> ExitCode {
    let cli = Cli::parse();
    let _ = dotenvy::dotenv();
    init_tracing();
    match run(cli.command.unwrap_or(Command::Serve)).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!("{error:#}");
            eprintln!("quire: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command) -> anyhow::Result<()> {
    let leptos_options = leptos_options()?;
    let config = Config::from_env(leptos_options.site_addr)?;
    let path = config.database_path()?;
    let db = Db::open(&path).await?;
    db.migrate().await?;
    match command {
        Command::Migrate => {
            tracing::info!(database = %path.display(), "migrations applied");
            db.close().await;
            Ok(())
        }
        Command::Serve => {
            let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
            let secret = load_or_create_secret(dir.unwrap_or(std::path::Path::new(".")))?;
            let key = Key::try_from(secret.as_slice()).context("the server secret is too short")?;
            let state = AppState::new(db, config, leptos_options)
                .map_err(|e| anyhow!("cannot start: {e}"))?;
            crate::http::serve(state, key).await
        }
    }
}

/// The site settings: `Leptos.toml` in the working folder (with `LEPTOS_*` variables taking
/// precedence), or the `LEPTOS_*` variables alone when there is no such file.
fn leptos_options() -> anyhow::Result<LeptosOptions> {
    let file = std::path::Path::new(LEPTOS_TOML)
        .exists()
        .then_some(LEPTOS_TOML);
    let options = get_configuration(file)
        .map_err(|e| anyhow!("cannot read the site settings: {e}"))?
        .leptos_options;
    if options.output_name.is_empty() {
        return Err(anyhow!(
            "no site settings: run quire from the folder that holds Leptos.toml, or set LEPTOS_OUTPUT_NAME and LEPTOS_SITE_ROOT"
        ));
    }
    Ok(options)
}

fn init_tracing() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_sessions=warn"));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).try_init();
}
