//! The `quire` binary as an operator uses it: `migrate`, `serve` (the default), `--help`, and
//! clear failures with a non-zero exit code.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn quire(dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_quire"));
    // Run from the repository root, where Leptos.toml is, like `target/release/quire`.
    command
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("LEPTOS_OUTPUT_NAME")
        .env_remove("LEPTOS_SITE_ADDR")
        .env(
            "DATABASE_URL",
            format!("sqlite://{}/db/quire.db", dir.display()),
        )
        .env("RUST_LOG", "warn");
    command
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("a free port")
        .local_addr()
        .expect("its address")
        .port()
}

fn get(port: u16, path: &str) -> Option<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    Some(response)
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn help_lists_the_commands() {
    let dir = tempfile::tempdir().unwrap();
    let out = quire(dir.path()).arg("--help").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("serve"), "{text}");
    assert!(text.contains("migrate"), "{text}");
}

#[test]
fn migrate_creates_the_database_and_its_folder() {
    let dir = tempfile::tempdir().unwrap();
    let out = quire(dir.path()).arg("migrate").output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(dir.path().join("db/quire.db").exists());
    // Running it again is harmless.
    assert!(quire(dir.path()).arg("migrate").status().unwrap().success());
}

#[test]
fn a_bad_setting_fails_with_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    let out = quire(dir.path())
        .arg("migrate")
        .env("DATABASE_URL", "postgres://db.example/quire")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("quire: DATABASE_URL"), "{err}");

    let out = quire(dir.path())
        .arg("migrate")
        .env("QUIRE_COMMON_PASSWORDS", "maybe")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("QUIRE_COMMON_PASSWORDS must be `on` or `off`")
    );
}

#[test]
fn serve_is_the_default_and_answers_health_checks() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let child = quire(dir.path())
        .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let _server = Server(child);
    let deadline = Instant::now() + Duration::from_secs(20);
    let health = loop {
        if let Some(response) = get(port, "/healthz") {
            break response;
        }
        assert!(Instant::now() < deadline, "the server did not answer");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    assert!(health.contains(r#""database":"ok""#), "{health}");
    // The secret was generated beside the database.
    assert!(dir.path().join("db/quire.secret").exists());
    let home = get(port, "/").unwrap();
    assert!(home.starts_with("HTTP/1.1 200"), "{home}");
    assert!(
        home.contains("/pkg/quire.js"),
        "the site settings come from Leptos.toml"
    );
}
