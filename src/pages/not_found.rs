//! The page for any unknown address, served with HTTP status 404.

use leptos::prelude::*;

use crate::context::error_view;
use crate::error::{AppError, Entity};

#[component]
pub fn NotFoundPage() -> impl IntoView {
    error_view(AppError::NotFound(Entity::Route))
}
