//! One file per route (shared).
//!
//! `home` (`/`, `/tag/:tag`), `article`, `editor`, `profile`, `search`, `settings`, `login`,
//! `register`, `admin` (`/admin` and its tables) and `not_found` (any other address). Each is
//! named in `routes::PAGES` and routed by `app`; what they share is in `context` and
//! `components`, never in another page.

pub mod admin;
pub mod article;
pub mod editor;
pub mod home;
pub mod login;
pub mod not_found;
pub mod profile;
pub mod register;
pub mod search;
pub mod settings;
