//! The error of a form posted without JavaScript, carried to the page it returns to
//! (ssr-only), where only this server can have put it.
//!
//! When a server function called by a plain form post fails, Leptos redirects back to the
//! form's page with the error in the address (`__path` and `__err`, the error as base64 JSON),
//! and its router shows an error found in any address: `/login?__path=/rpc/login&__err=…`
//! put whatever text a link carried on our sign-in page, as if we had said it. So here:
//!
//! - the redirect's `__path` and `__err` are moved out of the address into a cookie signed
//!   with the server's key, naming the page it is for and expiring after `FLASH_TTL`;
//! - every request's address is stripped of every key that starts with `__` once decoded
//!   (`%5F%5Ferr`, `%5f%5Ferr` and `%255F%255Ferr` too: `is_reserved`) before anything reads
//!   it, so no spelling of `__err` reaches Leptos's router, which decodes keys;
//! - the page the cookie names shows its error once, and the cookie is removed. The page
//!   cache neither serves nor keeps that answer (`Flash` marks the request).
//!
//! An attacker can neither forge the cookie nor set it in someone else's browser, so the only
//! errors a page shows are the ones this server produced for that browser's own post.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::uri::PathAndQuery;
use axum::http::{HeaderValue, Method, Uri, header};
use axum::middleware::Next;
use axum::response::Response;
use leptos::prelude::{provide_context, use_context};
use leptos::server::ServerActionError;
use time::OffsetDateTime;
use tower_sessions::cookie::{Cookie, CookieJar, Key, SameSite};

/// How long a carried error waits for its page.
pub const FLASH_TTL: Duration = Duration::from_secs(60);
/// How many times a key is decoded to see whether it hides a reserved one (`is_reserved`).
const DECODINGS: usize = 4;
/// What a signed value starts with, so that no other signed cookie (the session's) can be
/// passed off as one.
const TAG: &str = "flash";
/// Past this size the error is replaced by a general one: browsers keep cookies of about 4 KB.
const MAX_VALUE: usize = 3000;

/// A verified error for the page this request asks for: the server function's path and its
/// error as Leptos encodes it. A request extension.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Flash {
    pub function: String,
    pub error: String,
}

/// What `carry` needs: the signing key and the cookie's attributes.
#[derive(Clone)]
pub struct Carrier {
    key: Key,
    https: bool,
}

impl Carrier {
    pub fn new(key: Key, https: bool) -> Arc<Self> {
        Arc::new(Self { key, https })
    }

    fn name(&self) -> &'static str {
        if self.https {
            "__Host-quire-flash"
        } else {
            "quire-flash"
        }
    }

    /// The cookie carrying `flash` to the page at `page` (a path).
    fn cookie(&self, page: &str, flash: &Flash) -> Cookie<'static> {
        let page = encoded(page);
        let expires = OffsetDateTime::now_utc().unix_timestamp() + FLASH_TTL.as_secs() as i64;
        let mut value = format!("{TAG}|{expires}|{page}|{}|{}", flash.function, flash.error);
        if value.len() > MAX_VALUE {
            let general = crate::error::AppError::BadRequest(
                "the form was refused; check what you typed and send it again".into(),
            );
            let error = leptos::server_fn::error::ServerFnUrlError::new("", general)
                .to_url("http://x/")
                .ok()
                .and_then(|url| {
                    url.query_pairs()
                        .find(|(k, _)| k == "__err")
                        .map(|(_, v)| v.into_owned())
                })
                .unwrap_or_default();
            value = format!("{TAG}|{expires}|{page}|{}|{error}", flash.function);
        }
        let mut jar = CookieJar::new();
        jar.signed_mut(&self.key).add(self.attributes(value));
        jar.get(self.name())
            .cloned()
            .unwrap_or_else(|| Cookie::new(self.name(), ""))
    }

    fn attributes(&self, value: String) -> Cookie<'static> {
        Cookie::build((self.name(), value))
            .path("/")
            .http_only(true)
            .secure(self.https)
            .same_site(SameSite::Lax)
            .max_age(time::Duration::seconds(FLASH_TTL.as_secs() as i64))
            .build()
    }

    /// The cookie that removes the flash.
    fn removal(&self) -> Cookie<'static> {
        let mut cookie = self.attributes(String::new());
        cookie.set_max_age(time::Duration::ZERO);
        cookie
    }

    /// The flash the request carries, verified: `(page, flash)`, or `None` when it carries
    /// none, or one that is forged, damaged or expired.
    fn read(&self, request: &Request) -> Option<(String, Flash)> {
        let raw = request
            .headers()
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(name, _)| *name == self.name())?
            .1;
        let mut jar = CookieJar::new();
        jar.add_original(Cookie::new(self.name(), raw.to_owned()));
        let verified = jar.signed(&self.key).get(self.name())?;
        let mut parts = verified.value().splitn(5, '|');
        let (tag, expires, page, function, error) = (
            parts.next()?,
            parts.next()?,
            parts.next()?,
            parts.next()?,
            parts.next()?,
        );
        let expires: i64 = expires.parse().ok()?;
        if tag != TAG || expires < OffsetDateTime::now_utc().unix_timestamp() {
            return None;
        }
        Some((
            page.to_owned(),
            Flash {
                function: function.to_owned(),
                error: error.to_owned(),
            },
        ))
    }
}

/// The middleware (see the module's comment): strips `__path`/`__err` from the address, hands
/// a verified flash to the page it names, and moves the error of a failed form post from its
/// redirect's address into the cookie.
pub async fn carry(
    State(carrier): State<Arc<Carrier>>,
    mut request: Request,
    next: Next,
) -> Response {
    strip_error_keys(&mut request);
    let carried = carrier.read(&request);
    let mut shown = false;
    if let Some((page, flash)) = carried
        && request.method() == Method::GET
        && page == encoded(request.uri().path())
    {
        request.extensions_mut().insert(flash);
        shown = true;
    }
    let mut response = next.run(request).await;
    if response.status().is_redirection()
        && let Some((location, page, flash)) = moved_out(&response)
    {
        if let Ok(location) = HeaderValue::from_str(&location) {
            response.headers_mut().insert(header::LOCATION, location);
        }
        set_cookie(&mut response, &carrier.cookie(&page, &flash));
    } else if shown {
        set_cookie(&mut response, &carrier.removal());
    }
    response
}

/// A path as the cookie holds it: percent-encoded, so that no `;` or `,` can end the value.
fn encoded(path: &str) -> String {
    form_urlencoded::byte_serialize(path.as_bytes()).collect()
}

fn set_cookie(response: &mut Response, cookie: &Cookie<'_>) {
    if let Ok(value) = HeaderValue::from_str(&cookie.to_string()) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
}

/// Gives the page the error a verified flash carried, the way Leptos's router gives one from
/// the address (call it where each request's contexts are provided).
pub fn provide_action_error() {
    let flash = use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<Flash>().cloned());
    if let Some(flash) = flash {
        provide_context(ServerActionError::new(&flash.function, &flash.error));
    }
}

/// Whether a query key (decoded once, as every reader of a query decodes it) is reserved: it
/// starts with `__`, the prefix of the keys Leptos reads a server function's error from, as it
/// is or once decoded again (up to `DECODINGS` times: `%255F%255Ferr` is `__err` twice
/// decoded). No page of ours reads such a key.
fn is_reserved(key: &str) -> bool {
    let mut key = std::borrow::Cow::Borrowed(key);
    for _ in 0..DECODINGS {
        if key.starts_with("__") {
            return true;
        }
        if !key.contains('%') && !key.contains('+') {
            return false;
        }
        let decoded: String = form_urlencoded::parse(key.as_bytes())
            .next()
            .map(|(k, _)| k.into_owned())
            .unwrap_or_default();
        if decoded == *key {
            return false;
        }
        key = decoded.into();
    }
    key.starts_with("__")
}

/// What `split_query` found: the query without the reserved keys, whether any were removed,
/// and the error Leptos wrote (`__path` and `__err`, when both were there).
struct Split {
    kept: String,
    removed: bool,
    error: Option<(String, String)>,
}

/// `query` without its reserved keys (`is_reserved`), and the values of `__path` and `__err`.
fn split_query(query: &str) -> Split {
    let mut kept = form_urlencoded::Serializer::new(String::new());
    let (mut function, mut error, mut removed) = (None, None, false);
    for (key, value) in form_urlencoded::parse(query.as_bytes()) {
        match key.as_ref() {
            "__path" => function = Some(value.into_owned()),
            "__err" => error = Some(value.into_owned()),
            _ if is_reserved(&key) => {}
            _ => {
                kept.append_pair(&key, &value);
                continue;
            }
        }
        removed = true;
    }
    Split {
        kept: kept.finish(),
        removed,
        error: function.zip(error),
    }
}

/// Removes the reserved keys (`is_reserved`) from the request's address; an address without
/// any is left exactly as it came.
fn strip_error_keys(request: &mut Request) {
    let Some(query) = request.uri().query() else {
        return;
    };
    if !query.contains("__") && !query.contains('%') {
        return;
    }
    let split = split_query(query);
    if !split.removed {
        return;
    }
    let path = request.uri().path();
    let stripped = if split.kept.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{}", split.kept)
    };
    let mut parts = request.uri().clone().into_parts();
    if let Ok(path_and_query) = PathAndQuery::try_from(stripped) {
        parts.path_and_query = Some(path_and_query);
        if let Ok(uri) = Uri::from_parts(parts) {
            *request.uri_mut() = uri;
        }
    }
}

/// For a redirect whose address carries a server function's error: the address without it,
/// the path of the page it leads to, and the error.
fn moved_out(response: &Response) -> Option<(String, String, Flash)> {
    let location = response.headers().get(header::LOCATION)?.to_str().ok()?;
    let (base, query) = location.split_once('?')?;
    let Split {
        kept, error: found, ..
    } = split_query(query);
    let (function, error) = found?;
    let page = match base.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("/", |at| &rest[at..]),
        None => base,
    };
    let page = if page.is_empty() { "/" } else { page };
    let location = if kept.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{kept}")
    };
    Some((location, page.to_owned(), Flash { function, error }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;

    fn carrier() -> Arc<Carrier> {
        Carrier::new(Key::generate(), false)
    }

    fn flash() -> Flash {
        Flash {
            function: "/rpc/login".into(),
            error: "eyJJbnZhbGlkQ3JlZGVudGlhbHMiOm51bGx9".into(),
        }
    }

    fn request_with(cookie: &str, path: &str) -> Request {
        Request::get(path)
            .header(header::COOKIE, format!("other=1; {cookie}"))
            .body(Body::empty())
            .unwrap()
    }

    #[test]
    fn a_signed_flash_is_read_back_and_nothing_else_is() {
        let carrier = carrier();
        let cookie = carrier.cookie("/login", &flash());
        let pair = format!("{}={}", cookie.name(), cookie.value());
        assert_eq!(
            carrier.read(&request_with(&pair, "/login")),
            Some((encoded("/login"), flash()))
        );
        // Written by hand, or signed by another key: not ours.
        let forged = format!(
            "quire-flash=flash|9999999999|%2Flogin|/rpc/login|{}",
            flash().error
        );
        assert_eq!(carrier.read(&request_with(&forged, "/login")), None);
        let other = Carrier::new(Key::generate(), false).cookie("/login", &flash());
        let other = format!("{}={}", other.name(), other.value());
        assert_eq!(carrier.read(&request_with(&other, "/login")), None);
    }

    #[test]
    fn the_error_keys_leave_the_address_and_the_rest_stays() {
        let split = split_query("page=2&__path=%2Frpc%2Flogin&__err=abc%3D&q=a+b");
        assert_eq!(split.kept, "page=2&q=a+b");
        assert_eq!(split.error, Some(("/rpc/login".into(), "abc=".into())));
        let mut request = request_with("", "/login?__path=x&__err=y");
        strip_error_keys(&mut request);
        assert_eq!(request.uri().to_string(), "/login");
        let mut request = request_with("", "/search?q=rust&__err=y");
        strip_error_keys(&mut request);
        assert_eq!(request.uri().to_string(), "/search?q=rust");
    }

    /// Issue 32 F1: only the raw keys were stripped, and Leptos decodes keys, so
    /// `%5F%5Ferr` still put an attacker's words on our pages.
    #[test]
    fn every_spelling_of_a_reserved_key_leaves_the_address() {
        for query in [
            "%5F%5Fpath=x&%5F%5Ferr=y",
            "%5f%5Fpath=x&%5F%5ferr=y",
            "_%5Fpath=x&%5F_err=y",
            "%255F%255Fpath=x&%255F%255Ferr=y",
            "%25255F%25255Ferr=y",
            "__ERR=y&__Path=x&__anything=z",
        ] {
            let mut request = request_with("", &format!("/login?q=a%20b&{query}&page=2"));
            strip_error_keys(&mut request);
            assert_eq!(request.uri().to_string(), "/login?q=a+b&page=2", "{query}");
        }
        // An address without reserved keys is left as it came, its spelling included.
        let mut request = request_with("", "/search?q=a%20b_c&tag=x%5Fy&_one=1");
        strip_error_keys(&mut request);
        assert_eq!(
            request.uri().to_string(),
            "/search?q=a%20b_c&tag=x%5Fy&_one=1"
        );
    }

    #[test]
    fn a_failed_posts_redirect_is_moved_into_the_cookie() {
        let response = Response::builder()
            .status(302)
            .header(
                header::LOCATION,
                "http://127.0.0.1:3000/settings?saved=1&__path=%2Frpc%2Fupdate_settings&__err=e30%3D",
            )
            .body(Body::empty())
            .unwrap();
        let (location, page, flash) = moved_out(&response).expect("an error to move");
        assert_eq!(location, "http://127.0.0.1:3000/settings?saved=1");
        assert_eq!(page, "/settings");
        assert_eq!(flash.function, "/rpc/update_settings");
        assert_eq!(flash.error, "e30=");
    }

    #[test]
    fn an_error_too_long_for_a_cookie_is_replaced_by_a_general_one() {
        let carrier = carrier();
        let long = Flash {
            function: "/rpc/login".into(),
            error: "A".repeat(5000),
        };
        let cookie = carrier.cookie("/login", &long);
        assert!(cookie.value().len() < 4000, "{}", cookie.value().len());
        let pair = format!("{}={}", cookie.name(), cookie.value());
        let (_, read) = carrier
            .read(&request_with(&pair, "/login"))
            .expect("readable");
        assert_ne!(read.error, long.error);
    }
}
