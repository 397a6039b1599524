//! Argon2id password hashes (OWASP parameters: 19 MiB, t=2, p=1), computed off the async
//! runtime on two threads of their own that reuse their working memory, and the shipped
//! common-password list.

use std::collections::HashSet;
use std::sync::{Arc, OnceLock};

use argon2::password_hash::{Output, ParamsString, Salt};
use argon2::password_hash::{PasswordHash, PasswordHasher, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};

use crate::error::{AppError, AppResult};
use crate::workers::Workers;

/// Hashes in flight at once: each takes 19 MiB and most of a core for ~50 ms.
///
/// They run on this many threads of their own, each with its 19 MiB of working memory
/// allocated once and reused. Allocating it per hash (as `PasswordHasher` does) fragments the
/// heap: 400 sign-ins left the server at 486 MB, and still 233 MB on two threads.
const CONCURRENT_HASHES: usize = 2;

/// A hashing thread's working memory, grown to the largest parameters seen.
type Memory = Vec<Block>;

fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes and verifies passwords; clone freely.
#[derive(Clone, Debug)]
pub struct Hasher {
    /// The hashing threads, each with its working memory.
    workers: Workers<Memory>,
    /// A hash of a random password, verified against when an email is unknown so that
    /// "no such account" costs the same time as "wrong password".
    dummy: Arc<str>,
    /// New hashes made since start (`hashes_made`).
    made: Arc<std::sync::atomic::AtomicU64>,
}

impl Hasher {
    pub fn new() -> AppResult<Self> {
        let dummy = hash_now(&random_password())?;
        Ok(Self {
            workers: Workers::start("argon2", CONCURRENT_HASHES, Memory::new)?,
            dummy: dummy.into(),
            made: Arc::default(),
        })
    }

    /// How many new hashes (sign-ups, new passwords, upgrades) were asked for since start.
    pub fn hashes_made(&self) -> u64 {
        self.made.load(std::sync::atomic::Ordering::Relaxed)
    }

    pub async fn hash(&self, password: &str) -> AppResult<String> {
        self.made.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let password = password.to_owned();
        self.workers
            .run(None, move |memory| hash_with(memory, &password))
            .await
    }

    /// Checks `password` against `hash`; with no hash (unknown account) it does the same work
    /// against a dummy and answers `false`.
    pub async fn verify(&self, password: &str, hash: Option<&str>) -> AppResult<bool> {
        let known = hash.is_some();
        let hash = hash.unwrap_or(&self.dummy).to_owned();
        let password = password.to_owned();
        let matches = self
            .workers
            .run(None, move |memory| {
                Ok(verify_with(memory, &password, &hash))
            })
            .await?;
        Ok(known && matches)
    }
}

/// The first `params.block_count()` blocks of `memory`, growing it if needed. Argon2 writes
/// every block before it reads it, so what a previous hash left there does not matter.
fn blocks<'m>(memory: &'m mut Memory, params: &Params) -> &'m mut [Block] {
    let count = params.block_count();
    if memory.len() < count {
        memory.resize(count, Block::default());
    }
    &mut memory[..count]
}

/// The `len`-byte Argon2 output for `password` and `salt`, computed in `memory`.
fn output(
    memory: &mut Memory,
    argon2: &Argon2<'_>,
    password: &str,
    salt: Salt<'_>,
    len: usize,
) -> Result<Output, argon2::password_hash::Error> {
    let mut salt_bytes = [0u8; 64];
    let salt_bytes = salt.decode_b64(&mut salt_bytes)?;
    let params = argon2.params().clone();
    Output::init_with(len, |out| {
        argon2
            .hash_password_into_with_memory(
                password.as_bytes(),
                salt_bytes,
                out,
                blocks(memory, &params),
            )
            .map_err(|_| argon2::password_hash::Error::Password)
    })
}

/// A PHC string (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`) for `password`, hashed in
/// `memory`.
fn hash_with(memory: &mut Memory, password: &str) -> AppResult<String> {
    let failed = |e: &dyn std::fmt::Display| {
        tracing::error!(error = %e, "password hashing failed");
        AppError::Internal
    };
    let argon2 = argon2();
    let params = argon2.params().clone();
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    let len = params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN);
    let hash = output(memory, &argon2, password, salt.as_salt(), len).map_err(|e| failed(&e))?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).map_err(|e| failed(&e))?,
        salt: Some(salt.as_salt()),
        hash: Some(hash),
    };
    Ok(phc.to_string())
}

/// True when `password` matches the PHC string `hash`, hashed in `memory` with the
/// algorithm and parameters the string names; the comparison takes constant time.
fn verify_with(memory: &mut Memory, password: &str, hash: &str) -> bool {
    let mut check = || -> Result<bool, argon2::password_hash::Error> {
        let parsed = PasswordHash::new(hash)?;
        let algorithm = Algorithm::try_from(parsed.algorithm)?;
        let version = parsed
            .version
            .map(Version::try_from)
            .transpose()?
            .unwrap_or_default();
        let params = Params::try_from(&parsed)?;
        let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
            return Err(argon2::password_hash::Error::PhcStringField);
        };
        let argon2 = Argon2::new(algorithm, version, params);
        let actual = output(memory, &argon2, password, salt, expected.len())?;
        // `Output` compares in constant time.
        Ok(actual == expected)
    };
    check().unwrap_or_else(|e| {
        tracing::error!(error = %e, "a stored password hash is malformed");
        false
    })
}

/// True when `hash` was made with today's algorithm and parameters. A sign-in with an older
/// hash stores a new one, so raising the parameters reaches every account that signs in.
pub fn is_current(hash: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(hash) else {
        return false;
    };
    let current = argon2();
    let want = current.params();
    parsed.algorithm == Algorithm::Argon2id.ident()
        && parsed.version == Some(Version::V0x13.into())
        && Params::try_from(&parsed).is_ok_and(|p| {
            (p.m_cost(), p.t_cost(), p.p_cost()) == (want.m_cost(), want.t_cost(), want.p_cost())
        })
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
    use argon2::password_hash::PasswordVerifier;

    #[tokio::test]
    async fn hashes_are_argon2id_with_owasp_parameters_and_verify() {
        let hasher = Hasher::new().unwrap();
        let hash = hasher.hash("correct horse battery").await.unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(is_current(&hash));
        let salt = SaltString::from_b64("b2xkZXJzYWx0b2xkZXJzYWx0").unwrap();
        for (algorithm, m, t) in [
            (Algorithm::Argon2id, 8 * 1024, 2),
            (Algorithm::Argon2id, 19 * 1024, 1),
            (Algorithm::Argon2i, 19 * 1024, 2),
        ] {
            let older = Argon2::new(
                algorithm,
                Version::V0x13,
                Params::new(m, t, 1, None).unwrap(),
            )
            .hash_password(b"correct horse battery", &salt)
            .unwrap()
            .to_string();
            assert!(!is_current(&older), "{older}");
        }
        assert!(!is_current("not a hash"));
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

    #[test]
    fn reused_memory_agrees_with_the_reference_implementation() {
        let mut memory = Memory::new();
        // Dirty the memory with another hash first.
        let first = hash_with(&mut memory, "something else entirely").unwrap();
        let ours = hash_with(&mut memory, "correct horse battery").unwrap();
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(
            argon2()
                .verify_password(b"correct horse battery", &parsed)
                .is_ok()
        );
        let theirs = hash_now("correct horse battery").unwrap();
        assert!(verify_with(&mut memory, "correct horse battery", &theirs));
        assert!(!verify_with(&mut memory, "correct horse batter", &theirs));
        assert!(verify_with(&mut memory, "something else entirely", &first));
        // Weaker parameters from an older hash still verify (the memory is sliced to them).
        let weak = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(8 * 1024, 1, 1, None).unwrap(),
        )
        .hash_password(b"legacy", &SaltString::generate(&mut rand::rngs::OsRng))
        .unwrap()
        .to_string();
        assert!(verify_with(&mut memory, "legacy", &weak));
        assert!(!verify_with(&mut memory, "legacy!", &weak));
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
