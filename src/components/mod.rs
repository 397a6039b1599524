//! Reusable views (shared).

pub mod article;
pub mod form;
pub mod nav;

/// The avatar to show for a user's `image`: theirs, or our default picture.
pub fn avatar_url(image: Option<&str>) -> String {
    match image {
        Some(url) if !url.is_empty() => url.to_owned(),
        _ => "/default-avatar.svg".to_owned(),
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

/// The address of a tag's page, its name percent-encoded (tags may hold spaces).
pub fn tag_href(tag: &str) -> String {
    format!("/tag/{}", percent_encode(tag))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_links_are_percent_encoded() {
        assert_eq!(tag_href("rust"), "/tag/rust");
        assert_eq!(tag_href("web dev"), "/tag/web%20dev");
        assert_eq!(tag_href("c#/?"), "/tag/c%23%2F%3F");
    }
}
