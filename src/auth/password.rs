//! Argon2id password hashes (OWASP parameters: 19 MiB, t=2, p=1), computed off the async
//! runtime with bounded concurrency, and the shipped common-password list.

use std::collections::HashSet;
use std::sync::{Arc, OnceLock};

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::Semaphore;

use crate::error::{AppError, AppResult};

/// Hashes in flight at once: each takes 19 MiB and most of a core for ~50 ms.
const CONCURRENT_HASHES: usize = 2;

fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes and verifies passwords; clone freely.
#[derive(Clone, Debug)]
pub struct Hasher {
    permits: Arc<Semaphore>,
    /// A hash of a random password, verified against when an email is unknown so that
    /// "no such account" costs the same time as "wrong password".
    dummy: Arc<str>,
}

impl Hasher {
    pub fn new() -> AppResult<Self> {
        let dummy = hash_now(&random_password())?;
        Ok(Self {
            permits: Arc::new(Semaphore::new(CONCURRENT_HASHES)),
            dummy: dummy.into(),
        })
    }

    pub async fn hash(&self, password: &str) -> AppResult<String> {
        let password = password.to_owned();
        self.blocking(move || hash_now(&password)).await
    }

    /// Checks `password` against `hash`; with no hash (unknown account) it does the same work
    /// against a dummy and answers `false`.
    pub async fn verify(&self, password: &str, hash: Option<&str>) -> AppResult<bool> {
        let known = hash.is_some();
        let hash = hash.unwrap_or(&self.dummy).to_owned();
        let password = password.to_owned();
        let matches = self
            .blocking(move || Ok(verify_now(&password, &hash)))
            .await?;
        Ok(known && matches)
    }

    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> AppResult<T> + Send + 'static,
    ) -> AppResult<T> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| AppError::Internal)?;
        tokio::task::spawn_blocking(work).await.map_err(|e| {
            tracing::error!(error = %e, "password hashing task failed");
            AppError::Internal
        })?
    }
}

fn hash_now(password: &str) -> AppResult<String> {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| {
            tracing::error!(error = %e, "password hashing failed");
            AppError::Internal
        })
}

fn verify_now(password: &str, hash: &str) -> bool {
    match PasswordHash::new(hash) {
        Ok(parsed) => argon2()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(e) => {
            tracing::error!(error = %e, "a stored password hash is malformed");
            false
        }
    }
}

fn random_password() -> String {
    use rand::Rng;
    rand::rngs::OsRng
        .sample_iter(&rand::distributions::Alphanumeric)
        .take(32)
        .map(char::from)
        .collect()
}

/// True for a password on the shipped list of common passwords (case-insensitive).
pub fn is_common(password: &str) -> bool {
    static LIST: OnceLock<HashSet<&'static str>> = OnceLock::new();
    LIST.get_or_init(|| {
        include_str!("common_passwords.txt")
            .lines()
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .collect()
    })
    .contains(password.to_lowercase().as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_are_argon2id_with_owasp_parameters_and_verify() {
        let hasher = Hasher::new().unwrap();
        let hash = hasher.hash("correct horse battery").await.unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(
            hasher
                .verify("correct horse battery", Some(&hash))
                .await
                .unwrap()
        );
        assert!(
            !hasher
                .verify("correct horse batterY", Some(&hash))
                .await
                .unwrap()
        );
        // Unicode is taken as it is, not truncated or folded.
        let unicode = hasher.hash("пароль🙂пароль🙂xx").await.unwrap();
        assert!(
            hasher
                .verify("пароль🙂пароль🙂xx", Some(&unicode))
                .await
                .unwrap()
        );
        assert!(
            !hasher
                .verify("пароль🙂пароль🙂x", Some(&unicode))
                .await
                .unwrap()
        );
    }

    #[tokio::test]
    async fn an_unknown_account_never_verifies() {
        let hasher = Hasher::new().unwrap();
        assert!(!hasher.verify("anything at all", None).await.unwrap());
        assert!(!hasher.verify("x", Some("not a hash")).await.unwrap());
    }

    #[test]
    fn common_passwords_are_recognised_in_any_case() {
        assert!(is_common("password123"));
        assert!(is_common("PassWord123"));
        assert!(is_common("iloveyou"));
        assert!(!is_common("a very personal sentence of mine"));
    }
}
