//! What the edge and the page cache decide from a request's address (ssr-only), read from the
//! registries rather than from lists of strings: the pages (`routes::PAGES`), the API's routes
//! (`api::ROUTES`) and the server functions' own paths (`SERVER_FUNCTIONS`, each taken from
//! `<F as ServerFn>::PATH`). A test checks that every server function the binary registers is
//! classified here, so a new one cannot escape the write limit by being forgotten.

use axum::http::Method;
use leptos::server_fn::ServerFn;

use crate::routes;
use crate::server::admin::{AdminOverview, AdminTable, ConfirmAdminPassword, SetAdmin};
use crate::server::article::{
    DeleteArticle, FavoriteArticle, GetArticle, ListArticles, PreviewMarkdown, SaveArticle,
};
use crate::server::comment::{AddComment, DeleteComment, ListComments};
use crate::server::profile::{FollowProfile, GetProfile};
use crate::server::search::Search;
use crate::server::tag::PopularTags;
use crate::server::user::{
    CurrentUser, Login, Logout, Register, SignOutEverywhere, UpdateSettings,
};

/// How the edge treats a server function's requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rpc {
    /// Reads (sent as `POST`, as every server function is).
    Read,
    /// Writes an article, comment, favorite or follow: counted against the per-address write
    /// limit.
    Write,
    /// Changes the account or the session (sign up, in and out, settings, the admin role):
    /// limited by the service layer's own budgets.
    Account,
}

const fn rpc<F: ServerFn>(kind: Rpc) -> (&'static str, Rpc) {
    (F::PATH, kind)
}

/// Every server function, by its own path.
pub const SERVER_FUNCTIONS: [(&str, Rpc); 23] = [
    rpc::<ListArticles>(Rpc::Read),
    rpc::<GetArticle>(Rpc::Read),
    rpc::<SaveArticle>(Rpc::Write),
    rpc::<DeleteArticle>(Rpc::Write),
    rpc::<FavoriteArticle>(Rpc::Write),
    rpc::<PreviewMarkdown>(Rpc::Read),
    rpc::<ListComments>(Rpc::Read),
    rpc::<AddComment>(Rpc::Write),
    rpc::<DeleteComment>(Rpc::Write),
    rpc::<GetProfile>(Rpc::Read),
    rpc::<FollowProfile>(Rpc::Write),
    rpc::<PopularTags>(Rpc::Read),
    rpc::<Search>(Rpc::Read),
    rpc::<Register>(Rpc::Account),
    rpc::<Login>(Rpc::Account),
    rpc::<Logout>(Rpc::Account),
    rpc::<CurrentUser>(Rpc::Read),
    rpc::<UpdateSettings>(Rpc::Account),
    rpc::<SignOutEverywhere>(Rpc::Account),
    rpc::<AdminOverview>(Rpc::Read),
    rpc::<AdminTable>(Rpc::Read),
    rpc::<SetAdmin>(Rpc::Account),
    rpc::<ConfirmAdminPassword>(Rpc::Account),
];

/// `path` below `prefix` (`/api/tags` below `/api` is `/tags`), if it is.
fn below<'a>(prefix: &str, path: &'a str) -> Option<&'a str> {
    path.strip_prefix(prefix)
        .filter(|rest| rest.starts_with('/'))
}

/// An address of the REST API.
pub fn is_api(path: &str) -> bool {
    path == routes::API || below(routes::API, path).is_some()
}

/// An address of a server function.
pub fn is_rpc(path: &str) -> bool {
    below(routes::RPC, path).is_some()
}

/// The API route `path` is an address of.
fn api_route(path: &str) -> Option<&'static crate::api::Route> {
    let path = below(routes::API, path)?;
    crate::api::ROUTES
        .iter()
        .find(|route| routes::matches(route.path, path))
}

/// True for a request that writes an article, comment, favorite or follow.
pub fn is_write(method: &Method, path: &str) -> bool {
    if matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    ) {
        return false;
    }
    let path = path.trim_end_matches('/');
    SERVER_FUNCTIONS.contains(&(path, Rpc::Write)) || api_route(path).is_some_and(|r| r.writes)
}

/// True for the addresses whose `GET` answers the page cache may keep: the reading pages and
/// the API's reading routes.
pub fn cacheable(path: &str) -> bool {
    if is_api(path) {
        return api_route(path).is_some_and(|r| r.cached);
    }
    routes::PAGES
        .iter()
        .any(|page| page.cached && routes::matches(page.path, path))
}

/// The REST routes whose answers carry the account's API token: never compressed (BREACH).
const SECRET_ROUTES: [&str; 3] = ["/api/users", "/api/users/login", "/api/user"];

/// True for the addresses whose answers carry a secret: sent uncompressed.
pub fn carries_a_secret(path: &str) -> bool {
    SECRET_ROUTES.contains(&path.trim_end_matches('/'))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn the_routes_that_carry_a_token_are_api_routes() {
        for path in SECRET_ROUTES {
            assert!(api_route(path).is_some(), "{path}");
            assert!(carries_a_secret(path) && carries_a_secret(&format!("{path}/")));
        }
        assert!(!carries_a_secret("/api/articles"));
        assert!(!carries_a_secret("/api/users/logins"));
    }

    #[test]
    fn every_server_function_is_classified_once() {
        let registered: BTreeSet<&str> = leptos::server_fn::axum::server_fn_paths()
            .map(|(path, _)| path)
            .collect();
        let classified: BTreeSet<&str> = SERVER_FUNCTIONS.iter().map(|(path, _)| *path).collect();
        assert_eq!(classified.len(), SERVER_FUNCTIONS.len(), "a path twice");
        assert_eq!(registered, classified);
        for path in registered {
            assert!(is_rpc(path), "{path} is outside {}", routes::RPC);
        }
    }

    #[test]
    fn every_api_route_is_under_the_prefix_once() {
        let paths: BTreeSet<&str> = crate::api::ROUTES.iter().map(|r| r.path).collect();
        assert_eq!(paths.len(), crate::api::ROUTES.len());
        for route in &crate::api::ROUTES {
            assert!(route.path.starts_with('/'), "{}", route.path);
            let full = format!("{}{}", routes::API, route.path);
            assert!(is_api(&full), "{full}");
        }
    }

    #[test]
    fn the_prefixes_are_whole_segments() {
        assert!(is_api("/api"));
        assert!(is_api("/api/tags"));
        assert!(!is_api("/apis"));
        assert!(is_rpc("/rpc/login"));
        assert!(!is_rpc("/rpc"));
        assert!(!is_rpc("/rpcx/login"));
    }

    #[test]
    fn writes_are_told_from_reads() {
        for (method, path) in [
            (Method::POST, "/api/articles"),
            (Method::PUT, "/api/articles/a-slug"),
            (Method::DELETE, "/api/articles/a-slug/favorite"),
            (Method::POST, "/api/articles/a-slug/comments"),
            (Method::POST, "/api/profiles/jake/follow"),
            (Method::POST, "/rpc/save_article"),
            (Method::POST, "/rpc/favorite_article"),
        ] {
            assert!(is_write(&method, path), "{method} {path}");
        }
        for (method, path) in [
            (Method::GET, "/api/articles"),
            (Method::POST, "/api/users/login"),
            (Method::PUT, "/api/user"),
            (Method::POST, "/rpc/preview_markdown"),
            (Method::POST, "/rpc/login"),
            (Method::POST, "/rpc/list_articles"),
        ] {
            assert!(!is_write(&method, path), "{method} {path}");
        }
    }

    #[test]
    fn only_the_reading_routes_are_cacheable() {
        for path in [
            "/",
            "/search",
            "/tag/rust",
            "/profile/alice",
            "/profile/alice/favorites",
            "/article/hello",
            "/api/articles",
            "/api/articles/hello",
            "/api/articles/hello/comments",
            "/api/tags",
            "/api/profiles/alice",
            "/api/search",
        ] {
            assert!(cacheable(path), "{path}");
        }
        for path in [
            "/settings",
            "/editor",
            "/editor/hello",
            "/admin",
            "/admin/tables/users",
            "/rpc/search",
            "/api/user",
            "/api/users/login",
            "/metrics",
            "/healthz",
            "/tag/",
            "/searching",
            "/pkg/quire.wasm",
        ] {
            assert!(!cacheable(path), "{path}");
        }
    }
}
