//! Test support: a `TestApp` on a fresh SQLite file, driven in-process through the same router
//! the binary serves (`tower::ServiceExt::oneshot`, no TCP).

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use http_body_util::BodyExt;
use leptos::config::LeptosOptions;
use leptos::server_fn::ServerFn;
use quire::config::Config;
use quire::db::Db;
use quire::state::AppState;
use tempfile::TempDir;
use tower::ServiceExt;
use tower_sessions::cookie::Key;

pub const ORIGIN: &str = "http://127.0.0.1:3000";
pub const PASSWORD: &str = "correct horse battery staple";

/// The client the tests' direct service calls come from (rate limits are off in tests).
pub fn client() -> quire::client_ip::ClientKey {
    quire::client_ip::ClientKey::named("test")
}

pub struct TestApp {
    pub state: AppState,
    pub router: Router,
    key: Key,
    dir: TempDir,
}

#[derive(Debug)]
pub struct TestResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
    /// The body's bytes as sent (compressed, when it was).
    pub raw: axum::body::Bytes,
}

impl TestResponse {
    /// The `name=value` of the session cookie this response sets, if any.
    pub fn session_cookie(&self) -> Option<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with("quire=") || v.starts_with("__Host-quire="))
            .and_then(|v| v.split(';').next())
            .map(str::to_owned)
    }

    pub fn set_cookie_header(&self) -> String {
        self.headers
            .get(header::SET_COOKIE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body as the client reads it, decoded by its `Content-Encoding` (gzip, br or none).
    pub fn decoded(&self) -> String {
        use std::io::Read;
        let mut out = Vec::new();
        match self.header("content-encoding") {
            Some("gzip") => {
                flate2::read::GzDecoder::new(&self.raw[..])
                    .read_to_end(&mut out)
                    .expect("gzip");
            }
            Some("br") => {
                brotli::Decompressor::new(&self.raw[..], 4096)
                    .read_to_end(&mut out)
                    .expect("brotli");
            }
            None => out = self.raw.to_vec(),
            Some(other) => panic!("unexpected encoding {other}"),
        }
        String::from_utf8(out).expect("utf-8")
    }

    /// The nonce of the answer's CSP header.
    pub fn nonce(&self) -> String {
        let csp = self.header("content-security-policy").expect("a CSP");
        let start = csp.find("'nonce-").expect("a nonce") + "'nonce-".len();
        csp[start..start + csp[start..].find('\'').expect("end")].to_owned()
    }

    /// The decoded page with its own nonce written `N`: what two answers of one page share.
    pub fn without_nonce(&self) -> String {
        self.decoded().replace(&self.nonce(), "N")
    }

    /// `cookie` (a `Cookie` header's value) updated by this response's `Set-Cookie`s, as a
    /// browser keeps them: new values replace old ones, removals remove.
    pub fn cookies_after(&self, cookie: Option<&str>) -> String {
        let mut jar: Vec<(String, String)> = cookie
            .unwrap_or_default()
            .split(';')
            .filter_map(|pair| pair.trim().split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        for set in self.headers.get_all(header::SET_COOKIE) {
            let set = set.to_str().unwrap_or_default();
            let Some((name, value)) = set.split(';').next().and_then(|p| p.split_once('=')) else {
                continue;
            };
            jar.retain(|(k, _)| k != name);
            let removed = set.to_ascii_lowercase().contains("max-age=0");
            if !removed {
                jar.push((name.to_owned(), value.to_owned()));
            }
        }
        jar.iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

impl TestApp {
    pub async fn new() -> Self {
        Self::with_config(|_| {}).await
    }

    pub async fn with_config(change: impl FnOnce(&mut Config)) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("quire.db");
        Self::open(dir, &path, change).await
    }

    /// An app serving the site's files (`/pkg/…`) from `site`.
    pub async fn with_site(site: &std::path::Path) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("quire.db");
        let options = LeptosOptions::builder()
            .output_name("quire")
            .site_root(site.to_string_lossy().into_owned())
            .build();
        Self::open_with(dir, &path, |_| {}, options).await
    }

    /// An app over an existing database file, migrated to the latest version as it opens
    /// (`restart` is not for these).
    pub async fn at(path: &std::path::Path) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        Self::open(dir, path, |_| {}).await
    }

    async fn open(dir: TempDir, path: &std::path::Path, change: impl FnOnce(&mut Config)) -> Self {
        let options = LeptosOptions::builder().output_name("quire").build();
        Self::open_with(dir, path, change, options).await
    }

    async fn open_with(
        dir: TempDir,
        path: &std::path::Path,
        change: impl FnOnce(&mut Config),
        options: LeptosOptions,
    ) -> Self {
        let mut config = Config::for_tests(path);
        change(&mut config);
        let db = Db::open(path).await.expect("open database");
        db.migrate().await.expect("migrate");
        let state = AppState::new(db, config, options).expect("state");
        let key = Key::generate();
        let router = quire::http::build_router(state.clone(), key.clone());
        Self {
            state,
            router,
            key,
            dir,
        }
    }

    /// The same app after a restart: new pools and state over the same file and secret.
    pub async fn restart(self) -> Self {
        self.state.db.close().await;
        let path = self.dir.path().join("quire.db");
        let db = Db::open(&path).await.expect("reopen database");
        db.migrate().await.expect("migrate");
        let state = AppState::new(
            db,
            (*self.state.config).clone(),
            (*self.state.leptos_options).clone(),
        )
        .expect("state");
        let router = quire::http::build_router(state.clone(), self.key.clone());
        Self {
            state,
            router,
            key: self.key,
            dir: self.dir,
        }
    }

    /// `GET path` as a browser asks for a page: `Accept: text/html`, the given
    /// `Accept-Encoding`, the cookie if any, and `extra` headers.
    pub async fn get_as(
        &self,
        path: &str,
        encodings: &str,
        cookie: Option<&str>,
        extra: &[(&str, &str)],
    ) -> TestResponse {
        let mut request = Request::get(path)
            .header(header::ACCEPT, "text/html")
            .header(header::ACCEPT_ENCODING, encodings);
        if let Some(cookie) = cookie {
            request = request.header(header::COOKIE, cookie);
        }
        for (name, value) in extra {
            request = request.header(*name, *value);
        }
        self.send(request.body(Body::empty()).expect("request"))
            .await
    }

    pub async fn send(&self, request: Request<Body>) -> TestResponse {
        Self::send_to(self.router.clone(), request).await
    }

    /// Sends `request` to `router` (one built around a test route, say) and reads the answer.
    pub async fn send_to(router: Router, request: Request<Body>) -> TestResponse {
        let response = router.oneshot(request).await.expect("infallible");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        TestResponse {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
            raw: bytes,
        }
    }

    /// The key that signs this app's cookies.
    pub fn key(&self) -> Key {
        self.key.clone()
    }

    /// Follows `response`'s redirect as a browser does: a GET of its location, with `cookie`
    /// and what the response set. Returns the page and the cookies it was asked with.
    pub async fn follow(
        &self,
        response: &TestResponse,
        cookie: Option<&str>,
    ) -> (TestResponse, String) {
        let location = response.header("location").expect("a redirect");
        let path = location.strip_prefix(ORIGIN).unwrap_or(location).to_owned();
        let cookies = response.cookies_after(cookie);
        let page = self.get(&path, Some(&cookies)).await;
        (page, cookies)
    }

    pub async fn get(&self, path: &str, cookie: Option<&str>) -> TestResponse {
        let mut request = Request::get(path).header(header::ACCEPT, "text/html");
        if let Some(cookie) = cookie {
            request = request.header(header::COOKIE, cookie);
        }
        self.send(request.body(Body::empty()).expect("request"))
            .await
    }

    /// Calls server function `F` the way the hydrated app does (same origin, form-encoded).
    pub async fn call<F: ServerFn>(
        &self,
        form: &[(&str, &str)],
        cookie: Option<&str>,
    ) -> TestResponse {
        self.call_from::<F>(form, cookie, &[("origin", ORIGIN)])
            .await
    }

    /// Calls server function `F` with the given extra headers (to test Origin checks).
    pub async fn call_from<F: ServerFn>(
        &self,
        form: &[(&str, &str)],
        cookie: Option<&str>,
        extra: &[(&str, &str)],
    ) -> TestResponse {
        let body = serde_urlencoded(form);
        let mut request = Request::post(F::PATH)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ACCEPT, "application/json");
        for (name, value) in extra {
            request = request.header(*name, *value);
        }
        if let Some(cookie) = cookie {
            request = request.header(header::COOKIE, cookie);
        }
        self.send(request.body(Body::from(body)).expect("request"))
            .await
    }

    /// Posts `form` to server function `F` as a browser without JavaScript does: a plain form
    /// post from the page at `from` (a path), which the answer redirects back to or onwards.
    pub async fn post_without_js<F: ServerFn>(
        &self,
        form: &[(&str, &str)],
        from: &str,
        cookie: Option<&str>,
    ) -> TestResponse {
        let mut request = Request::post(F::PATH)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ACCEPT, "text/html")
            .header(header::REFERER, format!("{ORIGIN}{from}"))
            .header("origin", ORIGIN);
        if let Some(cookie) = cookie {
            request = request.header(header::COOKIE, cookie);
        }
        self.send(
            request
                .body(Body::from(serde_urlencoded(form)))
                .expect("request"),
        )
        .await
    }

    /// Registers `name` (email `name@example.test`) and returns the session cookie.
    pub async fn register(&self, name: &str) -> String {
        let email = format!("{name}@example.test");
        let response = self
            .call::<quire::server::user::Register>(
                &[
                    ("username", name),
                    ("email", &email),
                    ("password", PASSWORD),
                ],
                None,
            )
            .await;
        assert!(
            response.status.is_success(),
            "register {name}: {response:?}"
        );
        response.session_cookie().expect("a session cookie")
    }

    /// Signs in as `name` (registered with `register`) and returns the session cookie.
    pub async fn login(&self, name: &str) -> String {
        let email = format!("{name}@example.test");
        let response = self
            .call::<quire::server::user::Login>(&[("email", &email), ("password", PASSWORD)], None)
            .await;
        assert!(response.status.is_success(), "login {name}: {response:?}");
        response.session_cookie().expect("a session cookie")
    }

    /// The username the session cookie is signed in as, via the `current_user` server function.
    pub async fn whoami(&self, cookie: Option<&str>) -> Option<String> {
        let response = self
            .call::<quire::server::user::CurrentUser>(&[], cookie)
            .await;
        assert_eq!(response.status, StatusCode::OK, "{response:?}");
        response.json()["username"].as_str().map(str::to_owned)
    }
}

impl TestApp {
    /// Calls the REST API: `body` is sent as JSON, `token` as `Authorization: Token`.
    pub async fn api(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<serde_json::Value>,
    ) -> TestResponse {
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header(header::ACCEPT, "application/json");
        if let Some(token) = token {
            request = request.header(header::AUTHORIZATION, format!("Token {token}"));
        }
        let body = match body {
            Some(json) => {
                request = request.header(header::CONTENT_TYPE, "application/json");
                Body::from(json.to_string())
            }
            None => Body::empty(),
        };
        self.send(request.body(body).expect("request")).await
    }

    /// Registers `name` (email `name@example.test`) through the API and returns its token.
    pub async fn api_user(&self, name: &str) -> String {
        let response = self
            .api(
                "POST",
                "/api/users",
                None,
                Some(serde_json::json!({"user": {
                    "username": name,
                    "email": format!("{name}@example.test"),
                    "password": PASSWORD,
                }})),
            )
            .await;
        assert_eq!(response.status, StatusCode::CREATED, "{response:?}");
        response.json()["user"]["token"]
            .as_str()
            .expect("a token")
            .to_owned()
    }

    /// A write transaction, for a test that sets up rows by hand.
    pub async fn begin_write(&self) -> quire::db::WriteTx {
        self.state
            .db
            .begin_write()
            .await
            .expect("a write transaction")
    }

    /// Makes `name` an administrator, as the operator does with `quire user promote`.
    pub async fn promote(&self, name: &str) {
        quire::service::user::set_admin(
            &self.state,
            quire::service::user::Granter::Operator,
            name,
            true,
        )
        .await
        .expect("promote");
    }

    /// Signs `name` up through the service (email `name@example.test`); returns the user id.
    pub async fn sign_up(&self, name: &str) -> quire::model::user::UserId {
        quire::service::user::register(
            &self.state,
            &client(),
            quire::model::user::NewUser {
                username: name.into(),
                email: format!("{name}@example.test"),
                password: PASSWORD.into(),
            },
        )
        .await
        .expect("sign-up")
        .id
    }

    /// Publishes an article through the API and returns its slug.
    pub async fn api_article(&self, token: &str, title: &str, tags: &[&str]) -> String {
        let response = self
            .api(
                "POST",
                "/api/articles",
                Some(token),
                Some(serde_json::json!({"article": {
                    "title": title,
                    "description": format!("About {title}"),
                    "body": format!("# {title}\n\nSome *Markdown*."),
                    "tagList": tags,
                }})),
            )
            .await;
        assert_eq!(response.status, StatusCode::CREATED, "{response:?}");
        response.json()["article"]["slug"]
            .as_str()
            .expect("a slug")
            .to_owned()
    }
}

fn serde_urlencoded(form: &[(&str, &str)]) -> String {
    form.iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}
