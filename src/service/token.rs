//! REST API tokens: issued when a client signs in or signs up through the API, sent back as
//! `Authorization: Token <token>`, and checked on every API request.
//!
//! A token is 32 random bytes written as 64 hex digits; the database keeps only its SHA-256
//! hash. Tokens expire (`QUIRE_TOKEN_TTL_SECS`), a user holds at most `MAX_PER_USER` of them
//! (the oldest go first), and a password change or "sign out everywhere" deletes them.

use rand::RngCore;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::config::encode_hex;
use crate::db::{self, token::TokenOwner};
use crate::error::{AppError, AppResult};
use crate::model::user::UserId;
use crate::state::AppState;

/// A token issued by a sign-in or sign-up this recently stands for the password just given:
/// it may change the account's email or password without `currentPassword`
/// (`service::user::Channel`).
pub const RECENT_SIGN_IN: std::time::Duration = std::time::Duration::from_secs(300);

/// Live tokens one user may hold: one per device or client is plenty.
pub const MAX_PER_USER: i64 = 20;
const TOKEN_BYTES: usize = 32;

/// A token just made: `secret` is given to the client once and never stored.
#[derive(Debug)]
pub struct IssuedToken {
    pub id: i64,
    pub secret: String,
}

fn hash(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

/// Whether `secret` has the shape of a token Quire issues (so junk costs no query).
fn well_formed(secret: &str) -> bool {
    secret.len() == TOKEN_BYTES * 2 && secret.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Makes a token for the user, dropping their oldest ones past `MAX_PER_USER`.
pub async fn issue(state: &AppState, viewer: UserId) -> AppResult<IssuedToken> {
    let mut bytes = [0u8; TOKEN_BYTES];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let secret = encode_hex(&bytes);
    let now = OffsetDateTime::now_utc();
    let expires = now + state.config.token_ttl;
    let mut tx = state.db.begin_write().await?;
    let id = db::token::insert(
        &mut *tx,
        viewer,
        &hash(&secret),
        &db::timestamp(now),
        &db::timestamp(expires),
    )
    .await?;
    db::token::prune_for_user(&mut *tx, viewer, MAX_PER_USER).await?;
    tx.commit().await?;
    Ok(IssuedToken { id, secret })
}

/// The token's owner: `InvalidToken` when it is malformed, unknown, revoked or expired.
pub async fn authenticate(state: &AppState, secret: &str) -> AppResult<TokenOwner> {
    if !well_formed(secret) {
        return Err(AppError::InvalidToken);
    }
    let now = OffsetDateTime::now_utc();
    let recent_since = db::timestamp(now - RECENT_SIGN_IN);
    db::token::find_owner(
        &state.db.reader,
        &hash(secret),
        &db::timestamp(now),
        &recent_since,
    )
    .await?
    .ok_or(AppError::InvalidToken)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_64_hex_digits_look_like_a_token() {
        assert!(well_formed(&"ab".repeat(32)));
        assert!(!well_formed(&"ab".repeat(31)));
        assert!(!well_formed(&format!("{}zz", "a".repeat(62))));
        assert!(!well_formed(""));
    }

    #[test]
    fn the_hash_is_sha256_of_the_text() {
        assert_eq!(
            encode_hex(&hash("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
