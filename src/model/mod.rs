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

/// At most `max` characters of `text` (with "…" when cut), for quoting what a request sent in
/// an error message: a message never grows with the input.
pub fn excerpt(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn excerpts_are_bounded() {
        assert_eq!(super::excerpt("short", 40), "short");
        assert_eq!(super::excerpt(&"é".repeat(100), 3), "ééé…");
    }
}
