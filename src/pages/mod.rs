//! One file per route (shared).

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
