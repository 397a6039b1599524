//! Accounts: sign up, sign in, settings and password change.

use crate::auth::limiter::{Credential, Key};
use crate::auth::password::is_common;
use crate::client_ip::ClientKey;
use crate::db::{self, user::UserRecord, user::UserWrite};
use crate::error::{AppError, AppResult, Entity, FieldErrors};
use crate::model::user::{Account, Credentials, NewUser, SettingsPatch, UserId};
use crate::state::AppState;

/// Who asks for a settings change, which decides the proof a sensitive change needs and what
/// survives a new password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    /// A browser session: changing the email or the password needs the current password, and a
    /// new password ends every session and API token of the user (the caller then signs this
    /// browser in again).
    Session { id: i128 },
    /// The REST API, holding the token with this id. A new email or password needs the
    /// current password (`currentPassword`, our extension of the contract): a token alone must
    /// not take the account over. Within `service::token::RECENT_SIGN_IN` of the sign-in or
    /// sign-up that issued the token (`recent_sign_in`), the password was just given and the
    /// token stands for it, as a recent sign-in does on sites that ask again later: the
    /// contract's own suite changes the email and the password right after signing up, with
    /// the token alone. A `currentPassword` that is sent is checked all the same. A new
    /// password ends every session and every other token; this one keeps working.
    Token { id: i64, recent_sign_in: bool },
}

impl Channel {
    /// The sign-in this channel holds, which the password budgets are kept per.
    pub fn credential(self) -> Credential {
        match self {
            Self::Session { id } => Credential::Session(id),
            Self::Token { id, .. } => Credential::Token(id),
        }
    }

    /// Whether a change of email (`email`) or password (`password`) needs the current
    /// password when it comes through this channel.
    fn needs_current_password(self, email: bool, password: bool) -> bool {
        match self {
            Self::Session { .. } => email || password,
            Self::Token { recent_sign_in, .. } => (email || password) && !recent_sign_in,
        }
    }
}

/// What a settings change did.
#[derive(Debug)]
pub struct SettingsOutcome {
    pub user: Account,
    /// The password changed, so every session of the user was ended.
    pub password_changed: bool,
}

/// Counts an authentication attempt (`what`: sign-up or sign-in) from `client` against the
/// address's budget (`ip_limiter`), or refuses it. It comes before anything is read of what was
/// typed, so a stream of malformed attempts is counted too.
fn limit_client(state: &AppState, what: &str, client: &ClientKey) -> AppResult<()> {
    state
        .ip_limiter
        .attempt(Key::Client(client))
        .inspect_err(|_| tracing::warn!(%client, what, "authentication rate limit"))
}

/// Counts an authentication attempt from `client` for `account`, already validated (so at most
/// `EMAIL_MAX` bytes, and only its digest is kept), or refuses it: per account and address
/// (`account_limiter`: keyed on both, so no one can use up another address's attempts), and
/// for sign-ins the failures' back-off and guard (`auth::guard`). Refusals are logged with
/// the client's address, never the account: a mistyped password can be in its place.
fn limit_account(state: &AppState, what: &str, client: &ClientKey, account: &str) -> AppResult<()> {
    state
        .account_limiter
        .attempt(Key::Attempt {
            what,
            account,
            client,
        })
        .and_then(|()| match what {
            "login" => state.sign_in_guard.check(client, account),
            _ => Ok(()),
        })
        .inspect_err(|_| tracing::warn!(%client, what, "authentication rate limit"))
}

/// Checks that `password` is the current password of `user`, proven again while signed in
/// (the admin pages, settings, the API's `currentPassword`). These have a budget of their
/// own per account and sign-in (`AppState::password_proofs`, counting wrong ones), apart
/// from sign-in's: failed sign-ins by someone else never stop the owner here, whoever holds a
/// session or token cannot guess the password quickly, and a stolen sign-in spending its
/// budget leaves the owner's own sign-ins theirs (the refusal says how to end the others).
async fn prove_password(
    state: &AppState,
    user: &UserRecord,
    credential: Credential,
    password: &str,
    (field, wrong): (&str, &str),
) -> AppResult<()> {
    let key = Key::Proof(user.id, credential);
    if let Some(refused) = state.password_proofs.refusal(key) {
        tracing::warn!(user_id = user.id.0, "password confirmation rate limit");
        return Err(match refused {
            AppError::TooManyRequests { retry_after_secs } => {
                AppError::TooManyPasswords { retry_after_secs }
            }
            other => other,
        });
    }
    if state
        .hasher
        .verify(password, Some(&user.password_hash))
        .await?
    {
        return Ok(());
    }
    state.password_proofs.record(key);
    tracing::info!(user_id = user.id.0, "password confirmation refused");
    Err(AppError::validation(field, wrong))
}

fn check_not_common(state: &AppState, password: &str) -> AppResult<()> {
    if state.config.common_passwords && is_common(password) {
        return Err(AppError::validation(
            "password",
            "is too common; choose one that is harder to guess",
        ));
    }
    Ok(())
}

/// Refuses a sign-up whose username or email an account already has: 409 naming each (the
/// RealWorld contract's answer, which its suite checks).
async fn check_free(db: &mut sqlx::SqliteConnection, new: &NewUser) -> AppResult<()> {
    let mut taken = FieldErrors::new();
    if db::user::username_taken(&mut *db, &new.username, None).await? {
        taken.add("username", "has already been taken");
    }
    if db::user::email_taken(&mut *db, &new.email, None).await? {
        taken.add("email", "has already been taken");
    }
    if taken.is_empty() {
        Ok(())
    } else {
        Err(AppError::Conflict(taken))
    }
}

#[tracing::instrument(skip_all, fields(username = %new.username))]
pub async fn register(state: &AppState, client: &ClientKey, new: NewUser) -> AppResult<Account> {
    let new = new.normalized();
    limit_client(state, "register", client)?;
    new.validate()?;
    limit_account(state, "register", client, &new.email)?;
    check_not_common(state, &new.password)?;
    // Taken names are refused before the hash: a sign-up that cannot succeed costs no argon2
    // (issue 32, F5). The check is made again under the write lock, for a sign-up in between.
    let mut reader = state.db.reader.acquire().await?;
    check_free(&mut reader, &new).await?;
    drop(reader);
    let password_hash = state.hasher.hash(&new.password).await?;

    let mut tx = state.db.begin_write().await?;
    check_free(&mut tx, &new).await?;
    let write = UserWrite {
        username: &new.username,
        email: &new.email,
        bio: None,
        image: None,
    };
    let id = db::user::insert(&mut *tx, &write, &password_hash, &db::now()).await?;
    tx.commit().await?;
    tracing::info!(user_id = id.0, "account created");
    Ok(Account {
        id,
        username: new.username,
        email: new.email,
        bio: None,
        image: None,
        is_admin: false,
    })
}

/// Checks credentials. An unknown email and a wrong password get the same error after the
/// same amount of work.
#[tracing::instrument(skip_all)]
pub async fn login(
    state: &AppState,
    client: &ClientKey,
    credentials: Credentials,
) -> AppResult<Account> {
    let credentials = credentials.normalized();
    limit_client(state, "login", client)?;
    credentials.validate()?;
    limit_account(state, "login", client, &credentials.email)?;
    let user = db::user::find_by_email(&state.db.reader, &credentials.email).await?;
    let hash = user.as_ref().map(|u| u.password_hash.as_str());
    let matches = state.hasher.verify(&credentials.password, hash).await?;
    match user {
        Some(user) if matches => {
            tracing::info!(user_id = user.id.0, "signed in");
            if !crate::auth::password::is_current(&user.password_hash) {
                upgrade_hash(state, &user, &credentials.password).await;
            }
            Ok(user.account)
        }
        _ => {
            state.sign_in_guard.failed(client, &credentials.email);
            tracing::info!(%client, "sign-in refused: invalid credentials");
            Err(AppError::InvalidCredentials)
        }
    }
}

/// Checks the password of `user`, signed in, who is asked for it again (the admin pages): a
/// wrong one is a 422 on the password field, counted against the budget of the account and
/// this sign-in for proving the password (`prove_password`).
pub(crate) async fn check_password(
    state: &AppState,
    user: &UserRecord,
    credential: Credential,
    password: &str,
) -> AppResult<()> {
    prove_password(
        state,
        user,
        credential,
        password,
        ("password", "is not the right one"),
    )
    .await
}

/// Stores `password`, just verified, hashed with today's parameters in place of the older
/// hash of `user`. The sign-in succeeds whatever happens here: a failure is logged, and the
/// next sign-in tries again.
async fn upgrade_hash(state: &AppState, user: &UserRecord, password: &str) {
    let upgraded = match state.hasher.hash(password).await {
        Ok(new) => {
            db::user::upgrade_password_hash(&state.db, user.id, &user.password_hash, &new).await
        }
        Err(error) => Err(error),
    };
    match upgraded {
        Ok(true) => tracing::info!(user_id = user.id.0, "password hash upgraded"),
        Ok(false) => {}
        Err(error) => {
            tracing::warn!(user_id = user.id.0, %error, "could not upgrade a password hash")
        }
    }
}

pub async fn find(state: &AppState, id: UserId) -> AppResult<Option<Account>> {
    Ok(db::user::find_by_id(&state.db.reader, id)
        .await?
        .map(|user| user.account))
}

/// Changes the user's profile, email and password (see `Channel` for the proof a change of
/// email or password needs, and what a new password ends).
#[tracing::instrument(skip_all, fields(user_id))]
pub async fn update_settings(
    state: &AppState,
    viewer: UserId,
    patch: SettingsPatch,
    channel: Channel,
) -> AppResult<SettingsOutcome> {
    let patch = patch.normalized();
    patch.validate()?;
    if let Some(password) = patch.new_password() {
        check_not_common(state, password)?;
    }
    let current = db::user::find_by_id(&state.db.reader, viewer)
        .await?
        .ok_or(AppError::Unauthorized)?;
    let email_changes = patch.email != current.email;
    let password_changes = patch.new_password().is_some();
    if email_changes || password_changes {
        state
            .account_limiter
            .attempt(Key::Settings(viewer, channel.credential()))?;
    }
    let given = !patch.current_password.is_empty();
    if channel.needs_current_password(email_changes, password_changes)
        || (given && (email_changes || password_changes))
    {
        let field = match channel {
            Channel::Session { .. } => "current_password",
            Channel::Token { .. } => "currentPassword",
        };
        if patch.current_password.is_empty() {
            return Err(AppError::validation(
                field,
                "is needed to change your email or password",
            ));
        }
        prove_password(
            state,
            &current,
            channel.credential(),
            &patch.current_password,
            (field, "is incorrect"),
        )
        .await?;
    }
    let new_hash = match patch.new_password() {
        Some(password) => Some(state.hasher.hash(password).await?),
        None => None,
    };

    let mut tx = state.db.begin_write().await?;
    let mut taken = FieldErrors::new();
    if db::user::username_taken(&mut *tx, &patch.username, Some(viewer)).await? {
        taken.add("username", "has already been taken");
    }
    if db::user::email_taken(&mut *tx, &patch.email, Some(viewer)).await? {
        taken.add("email", "has already been taken");
    }
    if !taken.is_empty() {
        return Err(AppError::Conflict(taken));
    }
    let now = db::now();
    let write = UserWrite {
        username: &patch.username,
        email: &patch.email,
        bio: patch.bio(),
        image: patch.image(),
    };
    db::user::update_profile(&mut *tx, viewer, &write, &now).await?;
    if let Some(hash) = &new_hash {
        db::user::update_password_hash(&mut *tx, viewer, hash, &now).await?;
        let keep = match channel {
            Channel::Session { .. } => None,
            Channel::Token { id, .. } => Some(id),
        };
        let sessions = db::session::delete_for_user(&mut *tx, viewer).await?;
        let tokens = db::token::delete_for_user(&mut *tx, viewer, keep).await?;
        tracing::info!(sessions, tokens, "password changed: other sign-ins ended");
    }
    tx.commit().await?;
    Ok(SettingsOutcome {
        user: Account {
            id: viewer,
            username: patch.username.clone(),
            email: patch.email.clone(),
            bio: patch.bio().map(str::to_owned),
            image: patch.image().map(str::to_owned),
            is_admin: current.is_admin,
        },
        password_changed: new_hash.is_some(),
    })
}

/// Ends every sign-in of the user: all sessions (this browser's included) and all API tokens.
#[tracing::instrument(skip(state))]
pub async fn sign_out_everywhere(state: &AppState, viewer: UserId) -> AppResult<()> {
    let mut tx = state.db.begin_write().await?;
    let sessions = db::session::delete_for_user(&mut *tx, viewer).await?;
    let tokens = db::token::delete_for_user(&mut *tx, viewer, None).await?;
    tx.commit().await?;
    tracing::info!(sessions, tokens, "signed out everywhere");
    Ok(())
}

/// The user called `username` (any case), or `NotFound`.
pub async fn find_by_name(state: &AppState, username: &str) -> AppResult<Account> {
    db::user::find_by_username(&state.db.reader, username)
        .await?
        .map(|user| user.account)
        .ok_or(AppError::NotFound(Entity::Profile))
}

/// Who changes someone's admin role.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Granter {
    /// The operator, at the command line (`quire user create --admin`, `quire user promote`).
    Operator,
    /// An administrator in the browser (`service::admin::set_admin` has checked them).
    Admin(UserId),
}

/// Grants or takes back the admin role of `username`: the one path that changes it. An
/// administrator cannot take the role from themselves (so one administrator is always left);
/// the operator can.
#[tracing::instrument(skip(state))]
pub async fn set_admin(
    state: &AppState,
    by: Granter,
    username: &str,
    admin: bool,
) -> AppResult<Account> {
    let user = find_by_name(state, username).await?;
    if by == Granter::Admin(user.id) && !admin {
        return Err(AppError::validation(
            "username",
            "is you: ask another administrator to take your role",
        ));
    }
    let mut tx = state.db.begin_write().await?;
    db::user::set_admin(&mut *tx, user.id, admin).await?;
    tx.commit().await?;
    tracing::info!(user_id = user.id.0, admin, ?by, "admin role changed");
    Ok(Account {
        is_admin: admin,
        ..user
    })
}

/// An operator sets a new password (the same rules as everywhere) and ends every session and
/// API token of the account.
#[tracing::instrument(skip(state, password))]
pub async fn reset_password(state: &AppState, username: &str, password: &str) -> AppResult<()> {
    let user = find_by_name(state, username).await?;
    crate::model::user::validate_new_password(password, &user.username, &user.email)?;
    check_not_common(state, password)?;
    let hash = state.hasher.hash(password).await?;
    let mut tx = state.db.begin_write().await?;
    db::user::update_password_hash(&mut *tx, user.id, &hash, &db::now()).await?;
    let sessions = db::session::delete_for_user(&mut *tx, user.id).await?;
    let tokens = db::token::delete_for_user(&mut *tx, user.id, None).await?;
    tx.commit().await?;
    tracing::info!(
        user_id = user.id.0,
        sessions,
        tokens,
        "password reset by an operator"
    );
    Ok(())
}
