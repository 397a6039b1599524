//! The admin pages: who may see them, which tables and columns they may show (an allowlist
//! read from the schema, minus secrets), live figures, and granting the role.
//!
//! Every name a request gives (table, sort column) is looked up in the allowlist; only names
//! found there reach SQL. Signed-out requests are refused before anything else (401), then
//! non-admins (403), so neither learns which tables exist. Then an administrator who last gave
//! their password too long ago in this session (`QUIRE_ADMIN_CONFIRM_SECS`) is asked for it
//! again (403, `ConfirmPassword`): a session left open on a shared computer, or stolen, does
//! not open the admin pages for long.

use time::OffsetDateTime;

use crate::auth::limiter::Credential;
use crate::db;
use crate::db::admin::{Slice, TableSchema};
use crate::db::user::UserRecord;
use crate::error::{AppError, AppResult, Entity, FieldErrors};
use crate::model::admin::{
    CELL_MAX_CHARS, CHART_DAYS, Column, DayCount, Overview, TablePage, TableParams, TableSummary,
};
use crate::model::page::Page;
use crate::model::user::{Account, UserId};
use crate::service::user::{self, Granter};
use crate::state::AppState;

/// Tables never shown: sign-in secrets. Tables whose name starts with `_` (the migration
/// ledger) are internal and not shown either.
const HIDDEN_TABLES: [&str; 2] = ["sessions", "api_tokens"];
/// Administrators listed on `/admin`.
const ADMINS_SHOWN: i64 = 100;

/// True for columns never shown: anything holding a password, a token, a secret or a hash;
/// and `body_html`, the rendered copy of `body`.
fn column_hidden(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    ["password", "token", "secret", "hash"]
        .iter()
        .any(|word| name.contains(word))
        || name == "body_html"
}

fn table_shown(name: &str) -> bool {
    !name.starts_with('_') && !HIDDEN_TABLES.contains(&name)
}

/// SQLite's rule for text affinity: a declared type naming CHAR, CLOB or TEXT.
fn is_text(declared_type: &str) -> bool {
    ["CHAR", "CLOB", "TEXT"]
        .iter()
        .any(|t| declared_type.contains(t))
}

/// The tables an administrator may browse, each with only its shown columns.
async fn allowlist(state: &AppState) -> AppResult<Vec<TableSchema>> {
    let mut tables = db::admin::schema(&state.db.reader).await?;
    tables.retain(|t| table_shown(&t.name));
    for table in &mut tables {
        table.columns.retain(|c| !column_hidden(&c.name));
    }
    tables.retain(|t| !t.columns.is_empty());
    Ok(tables)
}

/// Who asks for an admin page or action.
#[derive(Clone, Copy, Debug)]
pub struct AdminViewer {
    /// The signed-in user, if any.
    pub id: Option<UserId>,
    /// They gave their password in this session within `QUIRE_ADMIN_CONFIRM_SECS`.
    pub confirmed: bool,
}

/// The signed-in administrator who recently gave their password: `Unauthorized` when signed
/// out, `AdminOnly` for anyone else, `ConfirmPassword` for an administrator who did not.
pub async fn require_admin(state: &AppState, viewer: AdminViewer) -> AppResult<Account> {
    let admin = find_admin(state, viewer.id).await?;
    if !viewer.confirmed {
        return Err(AppError::ConfirmPassword);
    }
    Ok(admin.account)
}

async fn find_admin(state: &AppState, viewer: Option<UserId>) -> AppResult<UserRecord> {
    let id = viewer.ok_or(AppError::Unauthorized)?;
    match db::user::find_by_id(&state.db.reader, id).await? {
        Some(user) if user.is_admin => Ok(user),
        Some(_) => Err(AppError::AdminOnly),
        None => Err(AppError::Unauthorized),
    }
}

/// An administrator gives their password again (wrong ones counted against the account's own
/// budget for proving its password, apart from sign-in's); the caller then notes it in the
/// session. A wrong one is a 422 on the password field.
pub async fn confirm_password(
    state: &AppState,
    viewer: Option<UserId>,
    session: Credential,
    password: &str,
) -> AppResult<()> {
    let admin = find_admin(state, viewer).await?;
    crate::service::user::check_password(state, &admin, session, password).await
}

/// `/admin`: the figures, the chart's days, the tables with their row counts, the admins.
pub async fn overview(state: &AppState, viewer: AdminViewer) -> AppResult<Overview> {
    require_admin(state, viewer).await?;
    let tables = allowlist(state).await?;
    let names: Vec<&str> = tables.iter().map(|t| t.name.as_str()).collect();
    let mut conn = state.db.reader.acquire().await?;
    let counts = db::admin::row_counts(&mut *conn, &names).await?;
    let tables: Vec<TableSummary> = names
        .iter()
        .zip(counts)
        .map(|(name, rows)| TableSummary {
            name: (*name).to_owned(),
            rows,
        })
        .collect();
    let rows_of = |name: &str| tables.iter().find(|t| t.name == name).map_or(0, |t| t.rows);

    let today = OffsetDateTime::now_utc().date();
    let first = today - time::Duration::days(CHART_DAYS as i64 - 1);
    let since = db::timestamp(first.midnight().assume_utc());
    let counted = db::admin::articles_per_day(&mut *conn, &since).await?;
    let per_day = (0..CHART_DAYS as i64)
        .map(|n| {
            let day = (first + time::Duration::days(n)).to_string();
            let articles = counted
                .iter()
                .find(|(d, _)| *d == day)
                .map_or(0, |(_, n)| *n);
            DayCount { day, articles }
        })
        .collect();

    Ok(Overview {
        users: rows_of("users"),
        articles: rows_of("articles"),
        comments: rows_of("comments"),
        favorites: rows_of("favorites"),
        per_day,
        database_bytes: db::admin::database_bytes(&mut *conn).await?,
        admins: db::admin::admins(&mut *conn, ADMINS_SHOWN).await?,
        tables,
    })
}

/// One page of table `name`, sorted, searched and paged as `params` say.
pub async fn table(
    state: &AppState,
    viewer: AdminViewer,
    name: &str,
    params: &TableParams,
) -> AppResult<TablePage> {
    require_admin(state, viewer).await?;
    let tables = allowlist(state).await?;
    let table = tables
        .iter()
        .find(|t| t.name == name)
        .ok_or(AppError::NotFound(Entity::Table))?;
    let query = params.parse()?;
    let columns: Vec<&str> = table.columns.iter().map(|c| c.name.as_str()).collect();
    let key: Vec<&str> = table
        .columns
        .iter()
        .filter(|c| c.primary_key)
        .map(|c| c.name.as_str())
        .collect();
    let sort = match &query.sort {
        None => key.first().or(columns.first()).copied().unwrap_or_default(),
        Some(wanted) => columns
            .iter()
            .find(|c| **c == wanted.as_str())
            .copied()
            .ok_or_else(|| {
                AppError::BadRequest("sort must name one of the columns shown".into())
            })?,
    };
    let searched: Vec<&str> = table
        .columns
        .iter()
        .filter(|c| is_text(&c.declared_type))
        .map(|c| c.name.as_str())
        .collect();
    let slice = Slice {
        table: &table.name,
        columns: &columns,
        searched: &searched,
        search: &query.q,
        sort,
        descending: query.dir == crate::model::admin::SortDir::Desc,
        tiebreak: &key,
    };

    // The count and the page come from one snapshot.
    let mut tx = state.db.reader.begin().await?;
    let total = db::admin::count(&mut *tx, &slice).await?;
    let per_page = i64::from(query.per_page);
    let pages = ((total + per_page - 1) / per_page).max(1);
    if i64::from(query.page) > pages {
        return Err(AppError::BadRequest(format!(
            "page {} is past the last page ({pages})",
            query.page
        )));
    }
    let offset = i64::from(query.page - 1) * per_page;
    let rows = db::admin::rows(&mut *tx, &slice, CELL_MAX_CHARS, per_page, offset).await?;
    tx.commit().await?;

    let rows = rows
        .into_iter()
        .map(|row| row.into_iter().map(|cell| cell.map(cut)).collect())
        .collect();
    Ok(TablePage {
        table: table.name.clone(),
        columns: table
            .columns
            .iter()
            .map(|c| Column {
                name: c.name.clone(),
                searchable: is_text(&c.declared_type),
            })
            .collect(),
        rows: Page {
            items: rows,
            total,
            page: query.page,
            per_page: query.per_page,
        },
        sort: sort.to_owned(),
        dir: query.dir,
        q: query.q,
    })
}

/// `text` cut to `CELL_MAX_CHARS` characters, with "…" when something was cut.
fn cut(text: String) -> String {
    match text.char_indices().nth(CELL_MAX_CHARS) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text,
    }
}

/// An administrator grants the role to `username` or takes it back, and gets the new list of
/// administrators. Nobody can take the role from themselves (so one administrator is always
/// left).
#[tracing::instrument(skip(state))]
pub async fn set_admin(
    state: &AppState,
    viewer: AdminViewer,
    username: &str,
    admin: bool,
) -> AppResult<Vec<String>> {
    let granter = require_admin(state, viewer).await?;
    let username = username.trim();
    if username.is_empty() {
        return Err(AppError::validation("username", "can't be blank"));
    }
    user::set_admin(state, Granter::Admin(granter.id), username, admin)
        .await
        .map_err(|error| match error {
            AppError::NotFound(_) => {
                AppError::Validation(FieldErrors::single("username", "is not a user"))
            }
            other => other,
        })?;
    db::admin::admins(&state.db.reader, ADMINS_SHOWN).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_never_shown() {
        for column in [
            "password_hash",
            "token_hash",
            "api_token",
            "Secret",
            "body_html",
        ] {
            assert!(column_hidden(column), "{column}");
        }
        for column in ["id", "username", "email", "body", "created_at", "is_admin"] {
            assert!(!column_hidden(column), "{column}");
        }
        for table in ["sessions", "api_tokens", "_sqlx_migrations"] {
            assert!(!table_shown(table), "{table}");
        }
        assert!(table_shown("articles"));
    }

    #[test]
    fn text_affinity_follows_sqlite() {
        assert!(is_text("TEXT"));
        assert!(is_text("VARCHAR(20)"));
        assert!(!is_text("INTEGER"));
        assert!(!is_text("BOOLEAN"));
        assert!(!is_text("BLOB"));
    }

    #[test]
    fn long_cells_are_cut_on_a_character_boundary() {
        let long = "é".repeat(CELL_MAX_CHARS + 1);
        let shown = cut(long);
        assert_eq!(shown.chars().count(), CELL_MAX_CHARS + 1);
        assert!(shown.ends_with('…'));
        assert_eq!(cut("short".into()), "short");
    }
}
