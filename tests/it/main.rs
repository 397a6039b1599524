//! Quire's integration tests, in one binary: service, router and CLI tests against a fresh
//! database each. One binary links once (each of these links the whole server, about 0.5 GB
//! with debug line tables), where one binary per file took 14 links and 7 GB of disk per build.

mod common;

mod accounts;
mod admin;
mod api;
mod article_fns;
mod articles;
mod assets;
mod cache;
mod cli;
mod compression;
mod hostile;
mod navigation;
mod observe;
mod queries;
mod routes;
mod search;
mod security;
mod server_fns;
mod sessions;
mod validation;
