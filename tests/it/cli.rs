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

    // Every setting names its variable when it is wrong; a blank one counts as unset.
    let out = quire(dir.path())
        .arg("migrate")
        .env("QUIRE_SESSION_IDLE_SECS", "a day")
        .env("QUIRE_PAGE_CACHE_MB", " ")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("quire: QUIRE_SESSION_IDLE_SECS must be a whole number, not `a day`")
    );
    let out = quire(dir.path())
        .arg("migrate")
        .env("QUIRE_PAGE_CACHE_MB", " ")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");

    let out = quire(dir.path())
        .arg("migrate")
        .env("QUIRE_LOG_FORMAT", "xml")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("quire: QUIRE_LOG_FORMAT must be `text` or `json`, not `xml`")
    );
}

#[test]
fn serve_is_the_default_and_answers_health_checks() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let child = quire(dir.path())
        .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
        .env("QUIRE_LOG_FORMAT", "json")
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut server = Server(child);
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
    let search = get(port, "/search?q=private-words").unwrap();
    assert!(search.starts_with("HTTP/1.1 200"), "{search}");

    // One JSON log line per request, in the request's span, without the query string.
    let _ = server.0.kill();
    let _ = server.0.wait();
    let mut logs = String::new();
    server
        .0
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut logs)
        .unwrap();
    assert!(!logs.contains("private-words"), "{logs}");
    let lines: Vec<serde_json::Value> = logs
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let finished = |route: &str| {
        lines
            .iter()
            .find(|l| l["message"] == "finished" && l["span"]["route"] == route)
            .unwrap_or_else(|| panic!("no log line for {route} in {logs}"))
    };
    let home_log = finished("/");
    assert_eq!(home_log["level"], "INFO");
    assert_eq!(home_log["status"], 200);
    assert_eq!(home_log["path"], "/");
    assert_eq!(home_log["span"]["method"], "GET");
    assert!(home_log["latency_ms"].is_number(), "{home_log}");
    let id = home_log["span"]["request_id"].as_str().unwrap();
    assert!(home.contains(&format!("x-request-id: {id}\r\n")), "{home}");
    // Health probes are logged at debug only: at info they would drown the log.
    assert!(
        lines.iter().all(|l| l["span"]["route"] != "/healthz"),
        "{logs}"
    );
    assert_eq!(finished("/search")["path"], "/search");
}

fn run_ok(command: &mut Command) -> String {
    let out = command.output().expect("the quire binary runs");
    assert!(
        out.status.success(),
        "{:?}: {}",
        command,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The `table  count` lines that backup and restore print.
fn counts(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| l.starts_with("  "))
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect()
}

#[test]
fn seed_then_backup_then_restore_elsewhere_gives_the_same_rows() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_ok(quire(dir.path()).args(["seed", "--users", "30", "--articles", "300"]));
    assert!(out.contains("seed: 30 users and 300 articles"), "{out}");

    let backup = dir.path().join("backup.db");
    let saved = run_ok(quire(dir.path()).arg("backup").arg(&backup));
    assert!(saved.contains("integrity ok"), "{saved}");
    assert!(
        saved.contains("articles") && saved.contains("300"),
        "{saved}"
    );
    // A backup never overwrites a file.
    let out = quire(dir.path())
        .arg("backup")
        .arg(&backup)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("already exists"));

    let elsewhere = tempfile::tempdir().unwrap();
    let restored = run_ok(quire(elsewhere.path()).arg("restore").arg(&backup));
    assert_eq!(counts(&restored), counts(&saved));
    // The restored database serves: its counts read back the same through a new backup.
    let again = elsewhere.path().join("again.db");
    let reread = run_ok(quire(elsewhere.path()).arg("backup").arg(&again));
    assert_eq!(counts(&reread), counts(&saved));
}

#[test]
fn a_damaged_or_foreign_file_is_refused_and_nothing_changes() {
    let dir = tempfile::tempdir().unwrap();
    run_ok(quire(dir.path()).args(["seed", "--users", "5", "--articles", "40"]));
    let backup = dir.path().join("good.db");
    let before = run_ok(quire(dir.path()).arg("backup").arg(&backup));

    let bytes = std::fs::read(&backup).unwrap();
    let truncated = dir.path().join("truncated.db");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "just some notes, not a database").unwrap();
    for bad in [&truncated, &text, &dir.path().join("missing.db")] {
        let out = quire(dir.path()).arg("restore").arg(bad).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{}", bad.display());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.starts_with("quire: "), "{err}");
        assert_eq!(err.trim().lines().count(), 1, "one clear line: {err}");
    }
    // The live database is untouched.
    let after = run_ok(
        quire(dir.path())
            .arg("backup")
            .arg(dir.path().join("after.db")),
    );
    assert_eq!(counts(&after), counts(&before));
}

#[test]
fn operators_create_promote_and_reset_accounts() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_ok(quire(dir.path()).args([
        "user",
        "create",
        "--username",
        "root_ed",
        "--email",
        "ed@example.test",
        "--admin",
    ]));
    assert!(out.contains("created admin root_ed"), "{out}");
    assert!(
        out.contains("password: "),
        "a generated password is shown: {out}"
    );
    // Only what the command says: its logs go to standard error, and only warnings.
    assert_eq!(out.lines().count(), 2, "{out}");

    let mut create = quire(dir.path());
    create
        .args([
            "user",
            "create",
            "--username",
            "bea",
            "--email",
            "bea@example.test",
        ])
        .arg("--password-stdin")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = create.spawn().unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"a fine long passphrase\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!String::from_utf8_lossy(&out.stdout).contains("password: "));

    let out = run_ok(quire(dir.path()).args(["user", "promote", "bea"]));
    assert!(out.contains("bea is now an admin"), "{out}");
    let out = run_ok(quire(dir.path()).args(["user", "promote", "bea", "--revoke"]));
    assert!(out.contains("bea is now not an admin"), "{out}");
    let out = run_ok(quire(dir.path()).args(["user", "reset-password", "bea"]));
    assert!(out.contains("password: "), "{out}");

    // Clear refusals: a taken name, an unknown user, a bad password.
    for args in [
        vec![
            "user",
            "create",
            "--username",
            "bea",
            "--email",
            "other@example.test",
        ],
        vec!["user", "promote", "nobody"],
        vec![
            "user",
            "create",
            "--username",
            "x",
            "--email",
            "not-an-email",
        ],
    ] {
        let out = quire(dir.path()).args(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.starts_with("quire: "), "{args:?}: {err}");
    }
    for command in ["user", "seed", "backup", "restore"] {
        let out = quire(dir.path())
            .args([command, "--help"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{command} --help");
    }
}
