//! The `quire` binary: see `cli` for its commands.

#[tokio::main]
async fn main() -> std::process::ExitCode {
    quire::cli::main().await
}
