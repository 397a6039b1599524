//! Shared data types (server and browser) and their pure validation rules.

pub mod admin;
pub mod article;
pub mod search;
pub mod user;

/// True when `s` holds U+0000, which no text field accepts (PostgreSQL cannot store it).
pub fn has_nul(s: &str) -> bool {
    s.contains('\0')
}

/// What every field that holds U+0000 is told, whatever else is wrong with it.
pub const NUL_MESSAGE: &str = "must not contain the NUL character";
