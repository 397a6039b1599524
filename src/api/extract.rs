//! What REST handlers take from a request: the token's user, the JSON body and the list query
//! (the client's address is `client_ip::ClientIp`). Every rejection is an `AppError`, so it
//! answers in the contract's `{"errors": {...}}` shape with a 4xx status.

use axum::body::Bytes;
use axum::extract::{
    FromRequest, FromRequestParts, OptionalFromRequestParts, Path, Query, Request,
};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use serde::de::DeserializeOwned;

use crate::error::excerpt;
use crate::error::{AppError, FieldErrors};
use crate::model::user::Account;
use crate::service;
use crate::state::AppState;

/// The user whose token came with the request (`Authorization: Token <token>`; `Bearer` is
/// accepted too). As `Option<ApiUser>` a missing header is fine but a bad token is still 401.
#[derive(Debug)]
pub struct ApiUser {
    pub user: Account,
    pub token_id: i64,
    /// The token was issued less than `service::token::RECENT_SIGN_IN` ago.
    pub token_is_recent: bool,
    /// The token as sent: the contract echoes it in every user answer.
    pub token: String,
}

/// The token in the `Authorization` header: `None` without one, `InvalidToken` for a header
/// that holds no usable token.
fn token_of(headers: &HeaderMap) -> Result<Option<&str>, AppError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value.to_str().map_err(|_| AppError::InvalidToken)?.trim();
    let (scheme, token) = value.split_once(' ').ok_or(AppError::InvalidToken)?;
    if !scheme.eq_ignore_ascii_case("token") && !scheme.eq_ignore_ascii_case("bearer") {
        return Err(AppError::InvalidToken);
    }
    Ok(Some(token.trim()))
}

async fn authenticate(state: &AppState, token: &str) -> Result<ApiUser, AppError> {
    let owner = service::token::authenticate(state, token).await?;
    Ok(ApiUser {
        user: owner.user,
        token_id: owner.token_id,
        token_is_recent: owner.issued_recently,
        token: token.to_owned(),
    })
}

impl FromRequestParts<AppState> for ApiUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let token = token_of(&parts.headers)?.ok_or(AppError::Unauthorized)?;
        authenticate(state, token).await
    }
}

impl OptionalFromRequestParts<AppState> for ApiUser {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Option<Self>, AppError> {
        match token_of(&parts.headers)? {
            Some(token) => authenticate(state, token).await.map(Some),
            None => Ok(None),
        }
    }
}

/// A path parameter (`:slug`, `:username`, `:id`): one that cannot be read (percent-encoded
/// bytes that are not UTF-8) is a 400 in the contract's error shape, not axum's plain text.
pub struct ApiPath<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for ApiPath<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        match <Path<T> as FromRequestParts<S>>::from_request_parts(parts, state).await {
            Ok(Path(value)) => Ok(Self(value)),
            Err(rejection) => Err(AppError::BadRequest(rejection.body_text())),
        }
    }
}

/// A JSON request body: `Content-Type: application/json` (415 otherwise), within the body
/// limit (413), and readable as `T` (422 naming the field that is wrong).
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = AppError;

    async fn from_request(request: Request, state: &S) -> Result<Self, AppError> {
        if !is_json(request.headers()) {
            return Err(AppError::UnsupportedMediaType(
                "send the body as JSON with `Content-Type: application/json`".into(),
            ));
        }
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| {
                if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                    AppError::PayloadTooLarge {
                        limit_kb: super::BODY_LIMIT / 1024,
                    }
                } else {
                    AppError::BadRequest("the request body could not be read".into())
                }
            })?;
        parse_json(&bytes).map(Self)
    }
}

fn is_json(headers: &HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = value.split(';').next().unwrap_or_default().trim();
    essence.eq_ignore_ascii_case("application/json")
        || essence
            .rsplit_once('+')
            .is_some_and(|(_, suffix)| suffix.eq_ignore_ascii_case("json"))
}

/// Reads `T` from JSON text. Bytes that are not UTF-8 at all are a 400; a syntax error is a 422
/// under `request`; a field of the wrong type or a missing wrapper a 422 under the name of the
/// field (`{"tagList": ["invalid type: ..."]}`). The body and its wrapper (`user`, `article`,
/// `comment`) must be objects: serde would otherwise read a struct from an array too, so
/// `{"user": []}` used to be an empty change answered with 200.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    if let Err(error) = std::str::from_utf8(bytes) {
        return Err(AppError::BadRequest(format!(
            "the body is not valid UTF-8 (at byte {})",
            error.valid_up_to()
        )));
    }
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|error| {
        AppError::validation(
            "request",
            format!(
                "is not valid JSON (line {}, column {})",
                error.line(),
                error.column()
            ),
        )
    })?;
    let Some(fields) = value.as_object() else {
        return Err(AppError::validation("request", "must be a JSON object"));
    };
    for wrapper in ["user", "article", "comment"] {
        if fields.get(wrapper).is_some_and(|v| !v.is_object()) {
            return Err(AppError::validation(wrapper, "must be a JSON object"));
        }
    }
    serde_path_to_error::deserialize(value).map_err(|error| {
        let field = error.path().iter().rev().find_map(|segment| match segment {
            serde_path_to_error::Segment::Map { key } => Some(key.clone()),
            _ => None,
        });
        // serde quotes the value it could not read: at most 200 characters of it.
        let message = excerpt(&without_position(&error.into_inner().to_string()), 200);
        AppError::Validation(FieldErrors::single(
            field.as_deref().unwrap_or("request"),
            message,
        ))
    })
}

/// serde_json's message without its " at line 1 column 9" tail.
fn without_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message.to_owned(),
    }
}

/// The query of a list: `limit` (default 20, at least 1 as the contract says, and more than 100
/// reads as 100), `offset` (default 0) and the filters `tag`, `author` and `favorited`. A
/// number out of those ranges, not whole or past 2^63 - 1 is a 422 naming the parameter; an
/// empty filter is no filter.
///
/// Any offset is accepted: the list's length is a kept count, so an offset past the end answers
/// an empty page at once, and one inside the list skips index entries, never more than the list
/// holds (no offset cap is needed; keyset paging would change the contract).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ListQuery {
    pub limit: i64,
    pub offset: i64,
    pub tag: Option<String>,
    pub author: Option<String>,
    pub favorited: Option<String>,
    /// The text of a search (`/api/search`).
    pub q: Option<String>,
}

pub const DEFAULT_LIMIT: i64 = 20;
pub const MAX_LIMIT: i64 = 100;

impl ListQuery {
    pub fn from_pairs(pairs: Vec<(String, String)>) -> Result<Self, AppError> {
        let mut query = Self {
            limit: DEFAULT_LIMIT,
            ..Self::default()
        };
        let mut errors = FieldErrors::new();
        for (key, value) in pairs {
            let text = || Some(value.trim().to_owned()).filter(|v| !v.is_empty());
            match key.as_str() {
                "limit" => match value.trim().parse::<i64>() {
                    Ok(n) if n >= 1 => query.limit = n.min(MAX_LIMIT),
                    _ => errors.add(
                        "limit",
                        format!(
                            "must be a whole number from 1 (above {MAX_LIMIT} reads as {MAX_LIMIT})"
                        ),
                    ),
                },
                "offset" => match value.trim().parse::<i64>() {
                    Ok(n) if n >= 0 => query.offset = n,
                    _ => errors.add("offset", "must be a whole number from 0"),
                },
                "tag" => query.tag = text(),
                "author" => query.author = text(),
                "favorited" => query.favorited = text(),
                "q" => query.q = text(),
                _ => {}
            }
        }
        errors.into_result()?;
        Ok(query)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for ListQuery {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, AppError> {
        let Query(pairs) = Query::<Vec<(String, String)>>::try_from_uri(&parts.uri)
            .map_err(|_| AppError::BadRequest("the query string is not valid".into()))?;
        Self::from_pairs(pairs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn fields(error: AppError) -> FieldErrors {
        match error {
            AppError::Validation(f) => f,
            other => panic!("expected field errors, got {other:?}"),
        }
    }

    #[test]
    fn list_queries_have_defaults_and_a_ceiling() {
        let q = ListQuery::from_pairs(vec![]).unwrap();
        assert_eq!((q.limit, q.offset), (20, 0));
        let q = ListQuery::from_pairs(pairs(&[("limit", "5000"), ("offset", "3")])).unwrap();
        assert_eq!((q.limit, q.offset), (100, 3));
        let q = ListQuery::from_pairs(pairs(&[("offset", "9223372036854775807")])).unwrap();
        assert_eq!(q.offset, i64::MAX);
        let q =
            ListQuery::from_pairs(pairs(&[("tag", "  "), ("author", "bob"), ("x", "y")])).unwrap();
        assert_eq!(q.tag, None);
        assert_eq!(q.author.as_deref(), Some("bob"));
    }

    #[test]
    fn bad_numbers_name_their_parameter() {
        for (key, value) in [
            ("limit", "-1"),
            ("limit", "ten"),
            ("limit", "1e3"),
            ("limit", "99999999999999999999999"),
            ("limit", "0"),
            ("offset", "-5"),
            ("offset", "9223372036854775808"),
        ] {
            let err = ListQuery::from_pairs(pairs(&[(key, value)])).unwrap_err();
            assert_eq!(err.status(), 422);
            assert_eq!(fields(err).get(key).len(), 1, "{key}={value}");
        }
    }

    #[test]
    fn json_errors_say_where() {
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Outer {
            article: Inner,
        }
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Inner {
            #[serde(rename = "tagList")]
            tag_list: Vec<String>,
        }
        let err = parse_json::<Outer>(br#"{"article": {"tagList": [1]}}"#).unwrap_err();
        assert_eq!(
            fields(err).get("tagList"),
            ["invalid type: integer `1`, expected a string"]
        );
        let err = parse_json::<Outer>(br#"{"article": "#).unwrap_err();
        assert_eq!(
            fields(err).get("request"),
            ["is not valid JSON (line 1, column 12)"]
        );
        let err = parse_json::<Outer>(b"{}").unwrap_err();
        assert_eq!(fields(err).get("request"), ["missing field `article`"]);
        for (body, field) in [
            (&br#"{"article": []}"#[..], "article"),
            (br#"{"article": "x"}"#, "article"),
            (br#"[{"tagList": []}]"#, "request"),
            (b"null", "request"),
        ] {
            let err = parse_json::<Outer>(body).unwrap_err();
            assert_eq!(fields(err).get(field), ["must be a JSON object"]);
        }
        let err = parse_json::<Outer>(b"{\"article\": \"\xff\"}").unwrap_err();
        assert_eq!(
            err,
            AppError::BadRequest("the body is not valid UTF-8 (at byte 13)".into())
        );
    }

    #[test]
    fn tokens_come_from_the_token_or_bearer_scheme() {
        let mut headers = HeaderMap::new();
        assert_eq!(token_of(&headers).unwrap(), None);
        headers.insert(header::AUTHORIZATION, "Token abc".parse().unwrap());
        assert_eq!(token_of(&headers).unwrap(), Some("abc"));
        headers.insert(header::AUTHORIZATION, "Bearer  abc ".parse().unwrap());
        assert_eq!(token_of(&headers).unwrap(), Some("abc"));
        headers.insert(header::AUTHORIZATION, "Basic abc".parse().unwrap());
        assert_eq!(token_of(&headers).unwrap_err(), AppError::InvalidToken);
        headers.insert(header::AUTHORIZATION, "Token".parse().unwrap());
        assert_eq!(token_of(&headers).unwrap_err(), AppError::InvalidToken);
    }
}
