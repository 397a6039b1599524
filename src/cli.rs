//! The `quire` command line (ssr-only): `serve` (the default), `migrate`, `user create`,
//! `user promote`, `user reset-password`, `seed`, `backup` and `restore`. Every command has
//! `--help`; a failure prints one clear line and exits 1.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, anyhow};
use clap::{Parser, Subcommand};
use leptos::config::{LeptosOptions, get_configuration};
use tower_sessions::cookie::Key;

use crate::config::{Config, LogFormat, load_or_create_secret};
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
    /// Manage accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Fill the database with demo users, articles, tags, comments, favorites and follows.
    Seed {
        /// How many users to create.
        #[arg(long, default_value_t = 100)]
        users: u32,
        /// How many articles to create.
        #[arg(long, default_value_t = 1000)]
        articles: u32,
        /// The random seed: the same numbers and seed give the same data.
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
    /// Write a consistent copy of the database to FILE (works while the server runs); the
    /// copy is checked with `PRAGMA integrity_check` before it is kept.
    Backup {
        /// Where to write the copy; it must not exist yet.
        file: PathBuf,
    },
    /// Replace the database with FILE, a backup. Refuses a damaged file or one from a newer
    /// Quire, and then changes nothing. Stop the server first.
    Restore {
        /// The backup to restore.
        file: PathBuf,
    },
    /// For `make bench`: serve BYTES fixed bytes of HTML at `/` from a bare axum handler (no
    /// database, sessions or middleware), the ceiling Quire's pages are measured against.
    #[command(hide = true)]
    Ceiling {
        /// Where to listen.
        #[arg(long, default_value = "127.0.0.1:3199")]
        addr: std::net::SocketAddr,
        /// The body's size.
        #[arg(long)]
        bytes: usize,
    },
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Create an account. Prints a generated password unless --password-stdin is given.
    Create {
        /// The username (letters, digits, '_' and '-', 2 to 32 characters).
        #[arg(long)]
        username: String,
        /// The email address.
        #[arg(long)]
        email: String,
        /// Make the account an admin.
        #[arg(long)]
        admin: bool,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Give an account the admin role (or take it back with --revoke).
    Promote {
        /// The account's username.
        username: String,
        /// Take the admin role away instead.
        #[arg(long)]
        revoke: bool,
    },
    /// Set a new password and end every session and API token of the account. Prints a
    /// generated password unless --password-stdin is given.
    ResetPassword {
        /// The account's username.
        username: String,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
}

/// Parses the command line, runs the command, and turns a failure into one clear line and
/// exit code 1.
pub async fn main() -> ExitCode {
    let cli = Cli::parse();
    let _ = dotenvy::dotenv();
    let serving = matches!(cli.command, None | Some(Command::Serve));
    match LogFormat::from_env() {
        Ok(format) => init_tracing(format, serving),
        Err(error) => {
            eprintln!("quire: {error:#}");
            return ExitCode::FAILURE;
        }
    }
    match run(cli.command.unwrap_or(Command::Serve)).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // The server's log is its record; the other commands log to standard error, where
            // this line already goes.
            if serving {
                tracing::error!("{error:#}");
            }
            eprintln!("quire: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command) -> anyhow::Result<()> {
    if let Command::Ceiling { addr, bytes } = command {
        return crate::http::serve_ceiling(addr, bytes).await;
    }
    let leptos_options = leptos_options()?;
    let config = Config::from_env(leptos_options.site_addr)?;
    let path = config.database_path()?;
    if let Command::Restore { file } = &command {
        // Nothing is opened before the file has been checked.
        return crate::ops::backup::restore(file, &path).await;
    }
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
        Command::Backup { file } => {
            let done = crate::ops::backup::backup(&db, &file).await;
            db.close().await;
            done
        }
        // Handled above, before the database is opened.
        Command::Restore { .. } | Command::Ceiling { .. } => Ok(()),
        Command::Seed {
            users,
            articles,
            seed,
        } => {
            let state = AppState::new(db.clone(), config, leptos_options)
                .map_err(|e| anyhow!("cannot start: {e}"))?;
            let plan = crate::ops::seed::SeedPlan {
                users,
                articles,
                seed,
            };
            let done = crate::ops::seed::seed(&state, plan).await;
            db.close().await;
            done
        }
        Command::User { command } => {
            let state = AppState::new(db.clone(), config, leptos_options)
                .map_err(|e| anyhow!("cannot start: {e}"))?;
            let done = user_command(&state, command).await;
            db.close().await;
            done
        }
    }
}

async fn user_command(state: &AppState, command: UserCommand) -> anyhow::Result<()> {
    use crate::service::user;
    let failed = |e: crate::error::AppError| anyhow!("{}", e.messages().join("; "));
    match command {
        UserCommand::Create {
            username,
            email,
            admin,
            password_stdin,
        } => {
            let (password, generated) = new_password(password_stdin)?;
            let new = crate::model::user::NewUser {
                username,
                email,
                password: password.clone(),
            };
            let created = user::register(state, &crate::client_ip::ClientKey::operator(), new)
                .await
                .map_err(failed)?;
            if admin {
                user::set_admin(state, user::Granter::Operator, &created.username, true)
                    .await
                    .map_err(failed)?;
            }
            let role = if admin { "admin" } else { "user" };
            println!("created {role} {} <{}>", created.username, created.email);
            if generated {
                println!("password: {password}");
            }
            Ok(())
        }
        UserCommand::Promote { username, revoke } => {
            let changed = user::set_admin(state, user::Granter::Operator, &username, !revoke)
                .await
                .map_err(failed)?;
            let now = if changed.is_admin {
                "an admin"
            } else {
                "not an admin"
            };
            println!("{} is now {now}", changed.username);
            Ok(())
        }
        UserCommand::ResetPassword {
            username,
            password_stdin,
        } => {
            let (password, generated) = new_password(password_stdin)?;
            user::reset_password(state, &username, &password)
                .await
                .map_err(failed)?;
            println!("{username}: password changed; every session and API token ended");
            if generated {
                println!("password: {password}");
            }
            Ok(())
        }
    }
}

/// The first line of standard input, or a generated password (and whether it was generated).
fn new_password(from_stdin: bool) -> anyhow::Result<(String, bool)> {
    if from_stdin {
        let mut line = String::new();
        std::io::stdin()
            .read_line(&mut line)
            .context("reading the password from standard input")?;
        let password = line.trim_end_matches(['\r', '\n']).to_owned();
        return Ok((password, false));
    }
    use rand::Rng;
    let password: String = rand::thread_rng()
        .sample_iter(&rand::distributions::Alphanumeric)
        .take(20)
        .map(char::from)
        .collect();
    Ok((password, true))
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
    Ok(with_fingerprints(options))
}

/// The bundle's file names carry their fingerprints when the build left them beside this
/// binary (`hash.txt`, written by `cargo leptos build` with `hash-files`), and are plain
/// otherwise (a binary built by cargo alone). Leptos panics on every page when told to read a
/// file that is not there, so the file decides, not a setting.
fn with_fingerprints(mut options: LeptosOptions) -> LeptosOptions {
    let beside = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join(&*options.hash_file)));
    options.hash_files = beside.is_some_and(|file| file.is_file());
    options
}

/// The server logs to standard output, by default at `info`; the other commands log to
/// standard error at `warn`, so that what they print (a generated password, say) stays alone
/// on standard output. `RUST_LOG` overrides the level. As text (coloured only on a terminal),
/// or with `QUIRE_LOG_FORMAT=json` one JSON object a line (the event's fields at the top level,
/// the request's span under `span`).
fn init_tracing(format: LogFormat, serving: bool) {
    use std::io::IsTerminal;
    use tracing_subscriber::EnvFilter;
    use tracing_subscriber::fmt::writer::BoxMakeWriter;
    let level = if serving { "info" } else { "warn" };
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new(format!("{level},sqlx=warn,tower_sessions=warn")));
    let (writer, ansi) = if serving {
        (
            BoxMakeWriter::new(std::io::stdout),
            std::io::stdout().is_terminal(),
        )
    } else {
        (
            BoxMakeWriter::new(std::io::stderr),
            std::io::stderr().is_terminal(),
        )
    };
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(ansi);
    let _ = match format {
        LogFormat::Text => logs.try_init(),
        LogFormat::Json => logs
            .json()
            .flatten_event(true)
            .with_span_list(false)
            .try_init(),
    };
}
