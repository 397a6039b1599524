//! Every address Quire answers, in one place (shared): the pages (`PAGES`, with whether their
//! answers may be kept by the page cache), the prefixes of the server functions (`RPC`) and
//! of the REST API (`API`), the probes, the functions that build links, and the guard that
//! keeps a form's "next" address on our own pages.
//!
//! Nothing else spells an address. The page table in `app.rs` is checked against `PAGES` by
//! a test (`tests/it/routes.rs`); the server functions' own paths (`<F as ServerFn>::PATH`)
//! start with `RPC`, which the `#[server]` macro can only take as a literal, so a test checks
//! that too; the API's routes are its router's table (`api::ROUTES`).

use crate::model::admin::{DEFAULT_PAGE_SIZE, SortDir};

/// The URL prefix of every server function.
pub const RPC: &str = "/rpc";
/// The URL prefix of the REST API.
pub const API: &str = "/api";

/// The liveness probe (`http::probes`).
pub const HEALTHZ: &str = "/healthz";
/// Prometheus's scrape address (`http::probes`).
pub const METRICS: &str = "/metrics";

pub const HOME: &str = "/";
pub const YOUR_FEED: &str = "/?feed=following";
pub const LOGIN: &str = "/login";
pub const REGISTER: &str = "/register";
pub const SETTINGS: &str = "/settings";
/// Where the settings form leads once saved: the page again, saying so.
pub const SETTINGS_SAVED: &str = "/settings?saved=1";
pub const EDITOR: &str = "/editor";
pub const SEARCH: &str = "/search";
pub const ADMIN: &str = "/admin";

/// Words the REST API's routes put where an article's slug goes (`/api/articles/feed`): an
/// article is never given one as its slug, which those routes would hide. A test checks the
/// list against the API's router (`api::ROUTES`).
pub const RESERVED_SLUGS: [&str; 1] = ["feed"];

/// One page of the app, as Leptos's router lists it (axum's syntax: `{param}`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Page {
    pub path: &'static str,
    /// Whether a `GET` of it may be answered from the page cache (`cache`): the pages that
    /// read, never the forms or the admin area.
    pub cached: bool,
}

const fn page(path: &'static str, cached: bool) -> Page {
    Page { path, cached }
}

/// Every page of `app::App`, in its order.
pub const PAGES: [Page; 13] = [
    page(HOME, true),
    page(LOGIN, false),
    page(REGISTER, false),
    page(SETTINGS, false),
    page("/article/{slug}", true),
    page(EDITOR, false),
    page("/editor/{slug}", false),
    page("/tag/{tag}", true),
    page(SEARCH, true),
    page(ADMIN, false),
    page("/admin/tables/{name}", false),
    page("/profile/{username}", true),
    page("/profile/{username}/favorites", true),
];

/// Whether `path` is an address of the route `pattern` (`/article/{slug}`): the same number of
/// segments, each literal equal, each `{param}` not empty.
pub fn matches(pattern: &str, path: &str) -> bool {
    let mut wanted = pattern.split('/');
    let mut given = path.split('/');
    loop {
        match (wanted.next(), given.next()) {
            (None, None) => return true,
            (Some(w), Some(g)) if w.starts_with('{') && w.ends_with('}') => {
                if g.is_empty() {
                    return false;
                }
            }
            (Some(w), Some(g)) if w == g => {}
            _ => return false,
        }
    }
}

/// `text` percent-encoded for a URL path segment or query value (only unreserved characters
/// stay as they are).
pub fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// An article's page. Slugs are made of `[a-z0-9-]` only.
pub fn article(slug: &str) -> String {
    format!("/article/{slug}")
}

/// The editor of an existing article.
pub fn editor_for(slug: &str) -> String {
    format!("/editor/{slug}")
}

/// A profile's page (its articles). Usernames are made of `[A-Za-z0-9_-]` only.
pub fn profile(username: &str) -> String {
    format!("/profile/{username}")
}

/// A profile's favorited articles.
pub fn favorites(username: &str) -> String {
    format!("/profile/{username}/favorites")
}

/// A tag's page, its name percent-encoded (tags may hold spaces).
pub fn tag(tag: &str) -> String {
    format!("/tag/{}", percent_encode(tag))
}

/// `base` (an address without a query) with `page=N`, or with `&page=N` when it has a query.
pub fn paged(base: &str, page: u32) -> String {
    let join = if base.contains('?') { '&' } else { '?' };
    format!("{base}{join}page={page}")
}

/// `/search?q=…&page=N` for `q`: the address of one page of results.
pub fn search(q: &str, page: u32) -> String {
    let mut href = format!("/search?q={}", percent_encode(q));
    if page > 1 {
        href.push_str(&format!("&page={page}"));
    }
    href
}

/// An admin table's address without a query: the action of its search form.
pub fn admin_table_base(table: &str) -> String {
    format!("/admin/tables/{}", percent_encode(table))
}

/// `/admin/tables/{table}?…` with only the parameters that differ from the defaults.
pub fn admin_table(
    table: &str,
    page: u32,
    per_page: u32,
    sort: &str,
    dir: SortDir,
    q: &str,
) -> String {
    let mut params = Vec::new();
    if page > 1 {
        params.push(format!("page={page}"));
    }
    if per_page != DEFAULT_PAGE_SIZE {
        params.push(format!("size={per_page}"));
    }
    if !sort.is_empty() {
        params.push(format!("sort={}", percent_encode(sort)));
    }
    if dir == SortDir::Desc {
        params.push("dir=desc".to_owned());
    }
    if !q.is_empty() {
        params.push(format!("q={}", percent_encode(q)));
    }
    let mut href = admin_table_base(table);
    if !params.is_empty() {
        href.push('?');
        href.push_str(&params.join("&"));
    }
    href
}

/// Where a confirmed admin password leads: `next` when it is an admin page's address, `/admin`
/// otherwise, so the form cannot be used to send anyone elsewhere (an open redirect).
pub fn admin_next(next: &str) -> &str {
    let admin = next == ADMIN || next.starts_with("/admin/") || next.starts_with("/admin?");
    if admin && !next.contains(['\\', '\r', '\n']) {
        next
    } else {
        ADMIN
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_whole_segments() {
        assert!(matches("/", "/"));
        assert!(matches("/article/{slug}", "/article/hello"));
        assert!(matches(
            "/profile/{username}/favorites",
            "/profile/alice/favorites"
        ));
        assert!(!matches("/article/{slug}", "/article/"));
        assert!(!matches("/article/{slug}", "/article"));
        assert!(!matches("/article/{slug}", "/article/a/b"));
        assert!(!matches("/search", "/searching"));
        assert!(!matches("/", "/login"));
    }

    #[test]
    fn tag_links_are_percent_encoded() {
        assert_eq!(tag("rust"), "/tag/rust");
        assert_eq!(tag("web dev"), "/tag/web%20dev");
        assert_eq!(tag("c#/?"), "/tag/c%23%2F%3F");
    }

    #[test]
    fn admin_links_leave_out_the_defaults_and_encode_text() {
        assert_eq!(
            admin_table("articles", 1, DEFAULT_PAGE_SIZE, "", SortDir::Asc, ""),
            "/admin/tables/articles"
        );
        assert_eq!(
            admin_table("articles", 2, 50, "title", SortDir::Desc, "a&b c"),
            "/admin/tables/articles?page=2&size=50&sort=title&dir=desc&q=a%26b%20c"
        );
    }

    #[test]
    fn paging_adds_to_the_query() {
        assert_eq!(paged(HOME, 2), "/?page=2");
        assert_eq!(paged(YOUR_FEED, 3), "/?feed=following&page=3");
        assert_eq!(paged(&favorites("ada"), 2), "/profile/ada/favorites?page=2");
    }

    #[test]
    fn a_confirmed_password_only_leads_to_admin_pages() {
        assert_eq!(
            admin_next("/admin/tables/users?page=2"),
            "/admin/tables/users?page=2"
        );
        assert_eq!(admin_next("/admin"), "/admin");
        for elsewhere in [
            "https://evil.test",
            "//evil.test",
            "/administrator",
            "/admin\\x",
            "/",
        ] {
            assert_eq!(admin_next(elsewhere), "/admin", "{elsewhere}");
        }
    }
}
