//! Reusable views (shared).
//!
//! - `article`: previews, the paged list, pagination, favorite and follow buttons, tags, dates;
//! - `form`: `.error-messages`, forms checked before they are sent, the sign-in frame;
//! - `nav`: the navigation bar and the footer;
//! - `chart`: the admin page's bar chart, as inline SVG.

pub mod article;
pub mod chart;
pub mod form;
pub mod nav;

/// The avatar to show for a user's `image`: theirs, or our default picture.
pub fn avatar_url(image: Option<&str>) -> String {
    match image {
        Some(url) if !url.is_empty() => url.to_owned(),
        _ => "/default-avatar.svg".to_owned(),
    }
}

/// `1234567` → `1,234,567`.
pub fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A size in bytes for people: `812 B`, `4.2 KB`, `12.3 MB`, `1.1 GB` (powers of 1024).
pub fn human_bytes(bytes: i64) -> String {
    const UNITS: [&str; 4] = ["KB", "MB", "GB", "TB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut size = bytes as f64 / 1024.0;
    let mut unit = 0;
    while size >= 1024.0 && unit + 1 < UNITS.len() {
        size /= 1024.0;
        unit += 1;
    }
    format!("{size:.1} {}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_sizes_read_well() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(thousands(-12345), "-12,345");
        assert_eq!(human_bytes(812), "812 B");
        assert_eq!(human_bytes(4300), "4.2 KB");
        assert_eq!(human_bytes(12_900_000), "12.3 MB");
        assert_eq!(human_bytes(3 * 1024 * 1024 * 1024), "3.0 GB");
    }
}
