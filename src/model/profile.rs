//! A user as others see them (article authors, comment authors, profile pages).

use serde::{Deserialize, Serialize};

/// A user as others see them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    pub username: String,
    pub bio: Option<String>,
    pub image: Option<String>,
    /// Whether the viewer follows them (false when signed out).
    pub following: bool,
}

impl Profile {
    pub fn new(
        username: String,
        bio: Option<String>,
        image: Option<String>,
        following: bool,
    ) -> Self {
        Self {
            username,
            bio,
            image,
            following,
        }
    }
}
