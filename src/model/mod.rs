//! Shared data types (server and browser) and their pure validation rules.
//!
//! - `article`: articles, drafts, patches, the lists a page shows, tag rules;
//! - `comment`, `profile`: as others see them; `page`: one page of any list;
//! - `user`: accounts, sign-up and settings rules; `search`: search results;
//! - `admin`: the admin pages' figures and table pages.

pub mod admin;
pub mod article;
pub mod comment;
pub mod page;
pub mod profile;
pub mod search;
pub mod user;

/// True when `s` holds U+0000, which no text field accepts (PostgreSQL cannot store it).
pub fn has_nul(s: &str) -> bool {
    s.contains('\0')
}

/// What every field that holds U+0000 is told, whatever else is wrong with it.
pub const NUL_MESSAGE: &str = "must not contain the NUL character";

/// The rule every required text field shares: not blank, no NUL, at most `max` characters.
pub(crate) fn check_text(
    errors: &mut crate::error::FieldErrors,
    field: &str,
    value: &str,
    max: usize,
) {
    if value.is_empty() {
        errors.add(field, "can't be blank");
    } else if has_nul(value) {
        errors.add(field, NUL_MESSAGE);
    } else if value.chars().count() > max {
        errors.add(field, format!("is too long (maximum is {max} characters)"));
    }
}
