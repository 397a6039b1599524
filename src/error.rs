//! `AppError`: the one error type that crosses the wire (shared), with its two adapters:
//! server functions (`FromServerFnError`) and, ssr-only, HTTP responses (`IntoResponse`) and the
//! mapping from database errors. Database text never reaches a client: it is logged and becomes
//! `Internal`.

use http::StatusCode;
use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

/// Messages per form field, in the order they were found (form order):
/// `{"email": ["is invalid"]}` on the wire.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors(Vec<(String, Vec<String>)>);

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }

    /// One message for one field.
    pub fn single(field: &str, message: impl Into<String>) -> Self {
        let mut errors = Self::new();
        errors.add(field, message);
        errors
    }

    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        let message = message.into();
        match self.0.iter_mut().find(|(f, _)| f == field) {
            Some((_, messages)) => messages.push(message),
            None => self.0.push((field.to_owned(), vec![message])),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The messages of one field, if any.
    pub fn get(&self, field: &str) -> &[String] {
        self.0
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.as_slice())
            .unwrap_or_default()
    }

    /// Each field with its messages, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[String])> {
        self.0.iter().map(|(f, m)| (f.as_str(), m.as_slice()))
    }

    /// `Ok(())` when nothing was added, else a `Validation` error with every message.
    pub fn into_result(self) -> AppResult<()> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(AppError::Validation(self))
        }
    }

    /// Human-readable lines such as "email is invalid", for `.error-messages`.
    pub fn messages(&self) -> Vec<String> {
        self.iter()
            .flat_map(|(field, messages)| {
                let field = field.replace('_', " ");
                messages.iter().map(move |m| format!("{field} {m}"))
            })
            .collect()
    }
}

impl Serialize for FieldErrors {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.iter())
    }
}

impl<'de> Deserialize<'de> for FieldErrors {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Fields;
        impl<'de> serde::de::Visitor<'de> for Fields {
            type Value = FieldErrors;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a map of field names to lists of messages")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<FieldErrors, A::Error> {
                let mut fields = Vec::new();
                while let Some(entry) = map.next_entry::<String, Vec<String>>()? {
                    fields.push(entry);
                }
                Ok(FieldErrors(fields))
            }
        }
        deserializer.deserialize_map(Fields)
    }
}

/// What a request was looking for or trying to change, so that "not found" and "forbidden"
/// can say which (the REST contract names it: `{"errors": {"comment": ["not found"]}}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Entity {
    Article,
    Comment,
    Profile,
    /// An address under `/api` that names no endpoint.
    Route,
    /// A row the request expected but the database did not have.
    Record,
    /// A table the admin pages do not show.
    Table,
}

impl Entity {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Article => "article",
            Self::Comment => "comment",
            Self::Profile => "profile",
            Self::Route => "route",
            Self::Record => "record",
            Self::Table => "table",
        }
    }
}

impl std::fmt::Display for Entity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// At most `max` characters of `text` (with "…" when cut), for quoting what a request sent in
/// an error message: a message never grows with the input.
pub fn excerpt(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}

/// Request bodies outside the REST API (server functions, forms) are refused with 413 past
/// this many bytes: room for the largest article body, percent-encoded.
pub const BODY_LIMIT: usize = 512 * 1024;

/// Everything that can go wrong in a request, as the client may see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("{0} not found")]
    NotFound(Entity),
    #[error("you need to sign in first")]
    Unauthorized,
    /// An API token that is unknown, revoked or expired.
    #[error("your token is invalid or has expired; sign in again")]
    InvalidToken,
    #[error("only its author may change this {0}")]
    Forbidden(Entity),
    /// A signed-in user who is not an administrator asked for an admin page.
    #[error("only administrators may see this page")]
    AdminOnly,
    /// An administrator whose password was last given too long ago in this session
    /// (`QUIRE_ADMIN_CONFIRM_SECS`) asked for an admin page or action.
    #[error("confirm your password to continue")]
    ConfirmPassword,
    /// A state-changing request that a browser sent from another site (CSRF).
    #[error("this request came from another site and was refused")]
    CrossSite,
    /// Sign-in failed: the same answer for an unknown email and a wrong password.
    #[error("email or password is invalid")]
    InvalidCredentials,
    #[error("some fields are invalid")]
    Validation(FieldErrors),
    #[error("already taken")]
    Conflict(FieldErrors),
    #[error("too many attempts; try again in {retry_after_secs} seconds")]
    TooManyRequests { retry_after_secs: u64 },
    /// Too many wrong passwords given through one sign-in: the budget is that sign-in's, so
    /// the owner's other sign-ins still may, and ending the others stops whoever holds one.
    #[error(
        "too many wrong passwords from this sign-in; try again in {retry_after_secs} seconds. \
         If someone else may be signed in as you, \"Sign out everywhere\" in your settings \
         ends every other sign-in"
    )]
    TooManyPasswords { retry_after_secs: u64 },
    #[error("bad request: {0}")]
    BadRequest(String),
    /// The request body is larger than the route accepts.
    #[error("the request is too large (maximum is {limit_kb} KB)")]
    PayloadTooLarge { limit_kb: usize },
    /// The request body is not in a format the route reads.
    #[error("unsupported content type: {0}")]
    UnsupportedMediaType(String),
    /// The request was not answered in time (a slow upload, or a stuck request).
    #[error("the request took too long and was stopped; please try again")]
    Timeout,
    #[error("the service is temporarily unavailable: {0}")]
    Unavailable(String),
    #[error("something went wrong on our side; please try again")]
    Internal,
    /// The request never got a usable answer (network down, server restarting).
    #[error("could not reach the server: {0}")]
    Transport(String),
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Unauthorized | Self::InvalidToken | Self::InvalidCredentials => {
                StatusCode::UNAUTHORIZED
            }
            Self::Forbidden(_) | Self::AdminOnly | Self::ConfirmPassword | Self::CrossSite => {
                StatusCode::FORBIDDEN
            }
            Self::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::TooManyRequests { .. } | Self::TooManyPasswords { .. } => {
                StatusCode::TOO_MANY_REQUESTS
            }
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Timeout => StatusCode::REQUEST_TIMEOUT,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            Self::Transport(_) => StatusCode::BAD_GATEWAY,
        }
    }

    /// The lines a form shows in `.error-messages`.
    pub fn messages(&self) -> Vec<String> {
        match self {
            Self::Validation(fields) | Self::Conflict(fields) => fields.messages(),
            other => vec![other.to_string()],
        }
    }

    pub fn validation(field: &str, message: impl Into<String>) -> Self {
        Self::Validation(FieldErrors::single(field, message))
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            // The body went past the limit while it was read (`BODY_LIMIT`).
            ServerFnErrorErr::Deserialization(msg) if msg.contains("length limit exceeded") => {
                Self::PayloadTooLarge {
                    limit_kb: BODY_LIMIT / 1024,
                }
            }
            // The request's arguments could not be read: the client's fault. Leptos quotes
            // what was sent, which may be megabytes: keep the start.
            ServerFnErrorErr::Args(msg)
            | ServerFnErrorErr::MissingArg(msg)
            | ServerFnErrorErr::Deserialization(msg)
            | ServerFnErrorErr::UnsupportedRequestMethod(msg) => {
                Self::BadRequest(excerpt(&msg, 200))
            }
            ServerFnErrorErr::Request(msg) | ServerFnErrorErr::Response(msg) => {
                Self::Transport(msg)
            }
            ServerFnErrorErr::Registration(_)
            | ServerFnErrorErr::Serialization(_)
            | ServerFnErrorErr::MiddlewareError(_)
            | ServerFnErrorErr::ServerError(_) => Self::Internal,
        }
    }
}

#[cfg(feature = "ssr")]
mod ssr {
    use super::{AppError, FieldErrors};
    use axum::Json;
    use axum::http::{HeaderValue, header};
    use axum::response::{IntoResponse, Response};

    /// SQLite primary result codes that mean "the disk, not the request, is the problem".
    const SQLITE_READONLY: i32 = 8;
    /// A statement stopped by its progress handler: its request's reads ran out of time
    /// (`db::reads_until`).
    const SQLITE_INTERRUPT: i32 = 9;
    const SQLITE_IOERR: i32 = 10;
    const SQLITE_FULL: i32 = 13;
    const SQLITE_CANTOPEN: i32 = 14;

    impl From<sqlx::Error> for AppError {
        fn from(error: sqlx::Error) -> Self {
            match &error {
                sqlx::Error::RowNotFound => Self::NotFound(super::Entity::Record),
                sqlx::Error::PoolTimedOut => {
                    tracing::warn!("database pool timed out");
                    Self::Unavailable("the server is busy".into())
                }
                sqlx::Error::Database(db) => {
                    // sqlx reports SQLite's extended code; the primary code is its low byte.
                    let primary = db
                        .code()
                        .and_then(|c| c.parse::<i32>().ok())
                        .map(|c| c & 0xff);
                    match primary {
                        Some(SQLITE_FULL) => {
                            tracing::error!(%error, "database disk full");
                            Self::Unavailable("storage is full".into())
                        }
                        Some(SQLITE_READONLY) => {
                            tracing::error!(%error, "database is read-only");
                            Self::Unavailable("storage is read-only".into())
                        }
                        // What a write sees when the file system turned read-only under it
                        // (EROFS) or the device fails (EIO).
                        Some(SQLITE_IOERR) => {
                            tracing::error!(%error, "database storage failed");
                            Self::Unavailable("storage failed (input/output error)".into())
                        }
                        Some(SQLITE_INTERRUPT) => {
                            tracing::warn!("a read was stopped at its request's deadline");
                            Self::Timeout
                        }
                        Some(SQLITE_CANTOPEN) => {
                            tracing::error!(%error, "database file cannot be opened");
                            Self::Unavailable("storage cannot be opened".into())
                        }
                        _ => {
                            tracing::error!(%error, "database error");
                            Self::Internal
                        }
                    }
                }
                _ => {
                    tracing::error!(%error, "database error");
                    Self::Internal
                }
            }
        }
    }

    impl AppError {
        /// Headers that go with this error's status: `Retry-After` on 429.
        pub fn add_headers(&self, headers: &mut axum::http::HeaderMap) {
            if let Self::TooManyRequests { retry_after_secs }
            | Self::TooManyPasswords { retry_after_secs } = self
                && let Ok(value) = HeaderValue::from_str(&retry_after_secs.to_string())
            {
                headers.insert(header::RETRY_AFTER, value);
            }
        }
    }

    impl From<tower_sessions::session::Error> for AppError {
        fn from(error: tower_sessions::session::Error) -> Self {
            tracing::error!(%error, "session store error");
            Self::Internal
        }
    }

    impl AppError {
        /// The REST contract's error body: `{"errors": {"<field>": ["<message>"]}}`, where the
        /// field names what went wrong (`article`, `token`, `credentials`, a form field) and
        /// problems with the request as a whole come under `request`.
        pub fn rest_fields(&self) -> FieldErrors {
            match self {
                Self::Validation(fields) | Self::Conflict(fields) => fields.clone(),
                Self::NotFound(what) => FieldErrors::single(what.as_str(), "not found"),
                Self::Forbidden(what) => FieldErrors::single(what.as_str(), "forbidden"),
                Self::Unauthorized => FieldErrors::single("token", "is missing"),
                Self::InvalidToken => FieldErrors::single("token", "is invalid or expired"),
                Self::InvalidCredentials => FieldErrors::single("credentials", "invalid"),
                other => FieldErrors::single("request", other.to_string()),
            }
        }
    }

    /// The REST shape: `{"errors": {"<field>": ["<message>"]}}`, with the error's status.
    impl IntoResponse for AppError {
        fn into_response(self) -> Response {
            let status = self.status();
            let fields = self.rest_fields();
            let mut response =
                (status, Json(serde_json::json!({ "errors": fields }))).into_response();
            self.add_headers(response.headers_mut());
            response
        }
    }

    #[cfg(test)]
    mod tests {
        use super::AppError;
        use std::borrow::Cow;

        /// A database error with only a SQLite result code, as sqlx reports it.
        #[derive(Debug)]
        struct Coded(&'static str);

        impl std::fmt::Display for Coded {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "code {}", self.0)
            }
        }

        impl std::error::Error for Coded {}

        impl sqlx::error::DatabaseError for Coded {
            fn message(&self) -> &str {
                "disk I/O error"
            }
            fn code(&self) -> Option<Cow<'_, str>> {
                Some(Cow::Borrowed(self.0))
            }
            fn as_error(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
                self
            }
            fn as_error_mut(&mut self) -> &mut (dyn std::error::Error + Send + Sync + 'static) {
                self
            }
            fn into_error(self: Box<Self>) -> Box<dyn std::error::Error + Send + Sync + 'static> {
                self
            }
            fn kind(&self) -> sqlx::error::ErrorKind {
                sqlx::error::ErrorKind::Other
            }
        }

        fn from_code(code: &'static str) -> AppError {
            AppError::from(sqlx::Error::Database(Box::new(Coded(code))))
        }

        #[test]
        fn storage_failures_are_503_with_what_failed() {
            // SQLITE_IOERR_WRITE, as on a file system that went read-only under the server.
            let io = from_code("778");
            assert_eq!(io.status(), 503);
            assert!(io.to_string().contains("storage failed"), "{io}");
            assert_eq!(
                from_code("13"),
                AppError::Unavailable("storage is full".into())
            );
            assert_eq!(
                from_code("8"),
                AppError::Unavailable("storage is read-only".into())
            );
            assert_eq!(from_code("14").status(), 503);
            // Anything else stays an internal error, its text kept out of the answer.
            assert_eq!(from_code("1"), AppError::Internal);
        }

        #[tokio::test]
        async fn a_database_that_cannot_be_opened_is_503() {
            use sqlx::ConnectOptions;
            let dir = tempfile::tempdir().unwrap();
            let err = sqlx::sqlite::SqliteConnectOptions::new()
                .filename(dir.path().join("missing/quire.db"))
                .connect()
                .await
                .unwrap_err();
            assert_eq!(AppError::from(err).status(), 503);
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn excerpts_are_bounded() {
        assert_eq!(super::excerpt("short", 40), "short");
        assert_eq!(super::excerpt(&"é".repeat(100), 3), "ééé…");
    }

    use super::*;

    #[test]
    fn every_variant_has_the_status_a_client_expects() {
        assert_eq!(AppError::NotFound(Entity::Article).status(), 404);
        assert_eq!(AppError::Unauthorized.status(), 401);
        assert_eq!(AppError::InvalidToken.status(), 401);
        assert_eq!(AppError::Forbidden(Entity::Comment).status(), 403);
        assert_eq!(AppError::InvalidCredentials.status(), 401);
        assert_eq!(AppError::validation("email", "is invalid").status(), 422);
        assert_eq!(AppError::Conflict(FieldErrors::new()).status(), 409);
        assert_eq!(
            AppError::TooManyRequests {
                retry_after_secs: 3
            }
            .status(),
            429
        );
        assert_eq!(AppError::BadRequest("x".into()).status(), 400);
        assert_eq!(AppError::PayloadTooLarge { limit_kb: 1 }.status(), 413);
        assert_eq!(AppError::UnsupportedMediaType("x".into()).status(), 415);
        assert_eq!(AppError::Internal.status(), 500);
    }

    #[test]
    fn argument_errors_from_server_functions_are_the_clients_fault() {
        let err = AppError::from_server_fn_error(ServerFnErrorErr::Args("missing field".into()));
        assert_eq!(err.status(), 400);
    }

    #[test]
    fn field_errors_read_as_sentences_and_round_trip_as_json() {
        let mut fields = FieldErrors::new();
        fields.add("password", "is too short (minimum is 8 characters)");
        fields.add("email", "can't be blank");
        let err = AppError::Validation(fields);
        // In the order found, with readable field names.
        assert_eq!(
            err.messages(),
            vec![
                "password is too short (minimum is 8 characters)",
                "email can't be blank"
            ]
        );
        let mut current = FieldErrors::new();
        current.add("current_password", "is incorrect");
        assert_eq!(current.messages(), vec!["current password is incorrect"]);
        assert_eq!(
            serde_json::to_value(&current).unwrap(),
            serde_json::json!({"current_password": ["is incorrect"]})
        );
        let json = serde_json::to_string(&err).unwrap();
        assert_eq!(serde_json::from_str::<AppError>(&json).unwrap(), err);
    }

    #[test]
    fn internal_errors_carry_no_detail() {
        assert_eq!(
            AppError::Internal.messages(),
            vec!["something went wrong on our side; please try again"]
        );
    }
}
