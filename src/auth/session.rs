//! What Quire keeps in a session, and what is done with it: sign in (a fresh id, against
//! fixation), read the signed-in user (enforcing the absolute timeout and keeping an active
//! session alive), note and check when the password was last proven (the admin pages ask for
//! it again after a while), and sign out (the row is deleted server-side).

use std::time::Duration;

use time::OffsetDateTime;
use tower_sessions::Session;

pub use crate::db::session::USER_ID_KEY;
use crate::error::AppResult;
use crate::model::user::UserId;

/// When the user signed in (unix seconds): the absolute timeout counts from here.
const SIGNED_IN_AT: &str = "signed_in_at";
/// When the session was last extended (unix seconds).
const SEEN_AT: &str = "seen_at";
/// When the password was last proven in this session, at sign-in or since (unix seconds).
const CONFIRMED_AT: &str = "password_confirmed_at";
/// Idle expiry only moves when the session is written, so an active reader's session is
/// rewritten at most this often (or every quarter of the idle timeout, if that is shorter).
const TOUCH_EVERY: i64 = 60;

fn unix_now() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

pub async fn sign_in(session: &Session, user_id: UserId) -> AppResult<()> {
    session.cycle_id().await?;
    session.insert(USER_ID_KEY, user_id).await?;
    let now = unix_now();
    session.insert(SIGNED_IN_AT, now).await?;
    session.insert(SEEN_AT, now).await?;
    session.insert(CONFIRMED_AT, now).await?;
    Ok(())
}

/// Notes that the signed-in user has just proven their password again.
pub async fn confirm_password(session: &Session) -> AppResult<()> {
    session.insert(CONFIRMED_AT, unix_now()).await?;
    Ok(())
}

/// True when the password was proven in this session less than `within` ago.
pub async fn password_confirmed(session: &Session, within: Duration) -> AppResult<bool> {
    let Some(at) = session.get::<i64>(CONFIRMED_AT).await? else {
        return Ok(false);
    };
    let within = i64::try_from(within.as_secs()).unwrap_or(i64::MAX);
    Ok(unix_now().saturating_sub(at) < within)
}

pub async fn sign_out(session: &Session) -> AppResult<()> {
    session.flush().await?;
    Ok(())
}

/// The signed-in user's id, if any. A session older than `absolute` is ended here; an active
/// one is kept from its `idle` timeout.
pub async fn user_id(
    session: &Session,
    idle: Duration,
    absolute: Duration,
) -> AppResult<Option<UserId>> {
    let Some(user_id) = session.get::<UserId>(USER_ID_KEY).await? else {
        return Ok(None);
    };
    let now = unix_now();
    let signed_in_at = session.get::<i64>(SIGNED_IN_AT).await?.unwrap_or(0);
    let absolute = i64::try_from(absolute.as_secs()).unwrap_or(i64::MAX);
    if now.saturating_sub(signed_in_at) >= absolute {
        session.flush().await?;
        return Ok(None);
    }
    let seen_at = session.get::<i64>(SEEN_AT).await?.unwrap_or(0);
    let touch_every = i64::try_from(idle.as_secs() / 4)
        .unwrap_or(i64::MAX)
        .min(TOUCH_EVERY);
    if now.saturating_sub(seen_at) >= touch_every {
        session.insert(SEEN_AT, now).await?;
    }
    Ok(Some(user_id))
}
