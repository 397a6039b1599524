//! Reusable views (shared).

pub mod form;
pub mod nav;

/// The avatar to show for a user's `image`: theirs, or our default picture.
pub fn avatar_url(image: Option<&str>) -> String {
    match image {
        Some(url) if !url.is_empty() => url.to_owned(),
        _ => "/default-avatar.svg".to_owned(),
    }
}
