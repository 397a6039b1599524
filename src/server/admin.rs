//! Server functions for the admin pages. Each one is refused with 401 when signed out, 403
//! for anyone but an administrator, and 403 `ConfirmPassword` for an administrator who last
//! gave their password too long ago in this session (see `service::admin`).

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::admin::{Overview, TablePage, TableParams};

/// The figures, the tables and the administrators shown on `/admin`.
#[server(prefix = "/rpc", endpoint = "admin_overview")]
pub async fn admin_overview() -> Result<Overview, AppError> {
    use crate::server::request;
    let (state, _, session) = request::parts().await?;
    let viewer = request::admin_viewer(&state, &session).await?;
    crate::service::admin::overview(&state, viewer).await
}

/// One page of table `name`: `params` is the table page's query string as typed (absent: the
/// defaults).
#[server(prefix = "/rpc", endpoint = "admin_table")]
pub async fn admin_table(
    name: String,
    #[server(default)] params: TableParams,
) -> Result<TablePage, AppError> {
    use crate::server::request;
    let (state, _, session) = request::parts().await?;
    let viewer = request::admin_viewer(&state, &session).await?;
    crate::service::admin::table(&state, viewer, &name, &params).await
}

/// Grants the admin role to `username` (`admin` true) or takes it back; answers with the new
/// list of administrators.
#[server(prefix = "/rpc", endpoint = "set_admin")]
pub async fn set_admin(username: String, admin: bool) -> Result<Vec<String>, AppError> {
    use crate::server::request;
    let (state, _, session) = request::parts().await?;
    let viewer = request::admin_viewer(&state, &session).await?;
    crate::service::admin::set_admin(&state, viewer, &username, admin).await
}

/// An administrator gives their password again, then goes on to `next` (an admin page).
#[server(prefix = "/rpc", endpoint = "confirm_admin_password")]
pub async fn confirm_admin_password(password: String, next: String) -> Result<(), AppError> {
    use crate::auth::session;
    use crate::server::request;
    let (state, _, session) = request::parts().await?;
    let viewer = request::viewer(&state, &session).await?;
    let credential = crate::auth::limiter::Credential::Session(request::session_id(&session)?);
    crate::service::admin::confirm_password(&state, viewer, credential, &password).await?;
    session::confirm_password(&session).await?;
    leptos_axum::redirect(crate::routes::admin_next(&next));
    Ok(())
}
