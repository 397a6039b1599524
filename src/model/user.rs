//! Accounts as both sides see them, and the rules for what a user may type.
//! The browser runs `validate` for instant feedback; the service runs it again to enforce it,
//! and adds the checks that need the server (uniqueness, the common-password list).

use serde::{Deserialize, Serialize};

use crate::error::{AppResult, FieldErrors};
use crate::model::{NUL_MESSAGE, has_nul};

pub const USERNAME_MIN: usize = 2;
pub const USERNAME_MAX: usize = 32;
pub const EMAIL_MAX: usize = 254;
pub const PASSWORD_MIN: usize = 8;
pub const PASSWORD_MAX: usize = 128;
pub const BIO_MAX: usize = 1000;
pub const IMAGE_MAX: usize = 2048;

/// A user's id: what every layer passes for "this account", never a bare integer. Stored and
/// sent as the integer itself.
/// Shown (`Display`, `Debug`: in logs and spans) as the integer too.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
#[cfg_attr(feature = "ssr", derive(sqlx::Type), sqlx(transparent))]
pub struct UserId(pub i64);

impl std::fmt::Display for UserId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::fmt::Debug for UserId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// An account as every layer above the service sees it: everything but the password hash,
/// which stays in the db and service layers (`db::user::UserRecord`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct Account {
    pub id: UserId,
    pub username: String,
    pub email: String,
    pub bio: Option<String>,
    pub image: Option<String>,
    /// May open the admin pages.
    pub is_admin: bool,
}

impl Account {
    pub fn into_session_user(self) -> SessionUser {
        SessionUser {
            username: self.username,
            email: self.email,
            bio: self.bio,
            image: self.image,
            is_admin: self.is_admin,
        }
    }
}

/// What the UI knows about the signed-in user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionUser {
    pub username: String,
    pub email: String,
    pub bio: Option<String>,
    pub image: Option<String>,
    /// May open the admin pages.
    pub is_admin: bool,
}

/// Sign-up form.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewUser {
    pub username: String,
    pub email: String,
    pub password: String,
}

/// Sign-in form.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credentials {
    pub email: String,
    pub password: String,
}

/// Settings form. An empty `password` keeps the current one; changing the password or the
/// email needs `current_password`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettingsPatch {
    pub image: String,
    pub username: String,
    pub bio: String,
    pub email: String,
    pub password: String,
    pub current_password: String,
}

/// Trims; emails are also lower-cased so one mailbox is one account.
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

impl NewUser {
    pub fn normalized(self) -> Self {
        Self {
            username: self.username.trim().to_owned(),
            email: normalize_email(&self.email),
            password: self.password,
        }
    }

    pub fn validate(&self) -> AppResult<()> {
        let mut errors = FieldErrors::new();
        check_username(&mut errors, &self.username);
        check_email(&mut errors, &self.email);
        check_password(&mut errors, "password", &self.password);
        check_password_is_personal(&mut errors, &self.password, &self.username, &self.email);
        errors.into_result()
    }
}

impl Credentials {
    pub fn normalized(self) -> Self {
        Self {
            email: normalize_email(&self.email),
            password: self.password,
        }
    }

    /// Only presence and sanity: a sign-in never says which rule a stored password broke.
    pub fn validate(&self) -> AppResult<()> {
        let mut errors = FieldErrors::new();
        if self.email.is_empty() {
            errors.add("email", "can't be blank");
        } else if has_nul(&self.email) {
            errors.add("email", NUL_MESSAGE);
        } else if self.email.len() > EMAIL_MAX {
            errors.add("email", "is invalid");
        }
        if self.password.is_empty() {
            errors.add("password", "can't be blank");
        } else if has_nul(&self.password) {
            errors.add("password", NUL_MESSAGE);
        } else if self.password.chars().count() > PASSWORD_MAX {
            errors.add("password", "is invalid");
        }
        errors.into_result()
    }
}

impl SettingsPatch {
    pub fn normalized(self) -> Self {
        Self {
            image: self.image.trim().to_owned(),
            username: self.username.trim().to_owned(),
            bio: self.bio.trim().to_owned(),
            email: normalize_email(&self.email),
            password: self.password,
            current_password: self.current_password,
        }
    }

    /// The image URL to store: `None` for an empty field.
    pub fn image(&self) -> Option<&str> {
        Some(self.image.as_str()).filter(|s| !s.is_empty())
    }

    /// The bio to store: `None` for an empty field.
    pub fn bio(&self) -> Option<&str> {
        Some(self.bio.as_str()).filter(|s| !s.is_empty())
    }

    pub fn new_password(&self) -> Option<&str> {
        Some(self.password.as_str()).filter(|s| !s.is_empty())
    }

    pub fn validate(&self) -> AppResult<()> {
        let mut errors = FieldErrors::new();
        check_username(&mut errors, &self.username);
        check_email(&mut errors, &self.email);
        if let Some(password) = self.new_password() {
            check_password(&mut errors, "password", password);
            check_password_is_personal(&mut errors, password, &self.username, &self.email);
        }
        if self.bio.chars().count() > BIO_MAX {
            errors.add(
                "bio",
                format!("is too long (maximum is {BIO_MAX} characters)"),
            );
        } else if has_nul(&self.bio) {
            errors.add("bio", NUL_MESSAGE);
        }
        if has_nul(&self.image) {
            errors.add("image", NUL_MESSAGE);
        } else if self.image.len() > IMAGE_MAX {
            errors.add(
                "image",
                format!("is too long (maximum is {IMAGE_MAX} characters)"),
            );
        } else if !self.image.is_empty() && !is_image_url(&self.image) {
            errors.add("image", "must be an http(s) URL");
        }
        if has_nul(&self.current_password) {
            errors.add("current_password", NUL_MESSAGE);
        }
        errors.into_result()
    }
}

/// The rules for a new password of the account `username` / `email`.
pub fn validate_new_password(password: &str, username: &str, email: &str) -> AppResult<()> {
    let mut errors = FieldErrors::new();
    check_password(&mut errors, "password", password);
    check_password_is_personal(&mut errors, password, username, email);
    errors.into_result()
}

fn check_username(errors: &mut FieldErrors, username: &str) {
    let len = username.chars().count();
    if username.is_empty() {
        errors.add("username", "can't be blank");
    } else if has_nul(username) {
        errors.add("username", NUL_MESSAGE);
    } else if len < USERNAME_MIN {
        errors.add(
            "username",
            format!("is too short (minimum is {USERNAME_MIN} characters)"),
        );
    } else if len > USERNAME_MAX {
        errors.add(
            "username",
            format!("is too long (maximum is {USERNAME_MAX} characters)"),
        );
    } else if !username
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        errors.add("username", "may only contain letters, digits, '_' and '-'");
    }
}

fn check_email(errors: &mut FieldErrors, email: &str) {
    if email.is_empty() {
        errors.add("email", "can't be blank");
    } else if has_nul(email) {
        errors.add("email", NUL_MESSAGE);
    } else if email.chars().count() > EMAIL_MAX {
        errors.add(
            "email",
            format!("is too long (maximum is {EMAIL_MAX} characters)"),
        );
    } else if !is_email(email) {
        errors.add("email", "is invalid");
    }
}

fn check_password(errors: &mut FieldErrors, field: &str, password: &str) {
    let len = password.chars().count();
    if password.is_empty() {
        errors.add(field, "can't be blank");
    } else if has_nul(password) {
        errors.add(field, NUL_MESSAGE);
    } else if len < PASSWORD_MIN {
        errors.add(
            field,
            format!("is too short (minimum is {PASSWORD_MIN} characters)"),
        );
    } else if len > PASSWORD_MAX {
        errors.add(
            field,
            format!("is too long (maximum is {PASSWORD_MAX} characters)"),
        );
    }
}

fn check_password_is_personal(
    errors: &mut FieldErrors,
    password: &str,
    username: &str,
    email: &str,
) {
    let lowered = password.to_lowercase();
    if !username.is_empty() && lowered == username.to_lowercase()
        || !email.is_empty() && lowered == email
    {
        errors.add("password", "must not be your username or email");
    }
}

/// A deliberately simple shape check: one `@`, something before it, a dotted domain after it,
/// no spaces or control characters. Delivery is the real test.
pub fn is_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && email.chars().all(|c| !c.is_whitespace() && !c.is_control())
}

pub fn is_image_url(url: &str) -> bool {
    (url.starts_with("https://") || url.starts_with("http://"))
        && url.len() <= IMAGE_MAX
        && url.len() > "https://".len()
        && url
            .chars()
            .all(|c| !c.is_whitespace() && !c.is_control() && c != '"' && c != '<' && c != '>')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::AppError;

    fn field_errors(result: AppResult<()>) -> FieldErrors {
        match result {
            Err(AppError::Validation(fields)) => fields,
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    fn new_user(username: &str, email: &str, password: &str) -> NewUser {
        NewUser {
            username: username.into(),
            email: email.into(),
            password: password.into(),
        }
        .normalized()
    }

    #[test]
    fn a_reasonable_sign_up_passes() {
        assert_eq!(
            new_user("alice_1", "Alice@Example.COM ", "correct horse battery").validate(),
            Ok(())
        );
        assert_eq!(new_user("alice", "a@b.co", "x").email, "a@b.co");
        assert_eq!(new_user(" alice ", " A@B.CO", "x").email, "a@b.co");
    }

    #[test]
    fn blank_fields_are_each_named() {
        let errors = field_errors(new_user("", "", "").validate());
        assert_eq!(errors.get("username"), ["can't be blank"]);
        assert_eq!(errors.get("email"), ["can't be blank"]);
        assert_eq!(errors.get("password"), ["can't be blank"]);
    }

    #[test]
    fn malformed_emails_are_refused() {
        for email in [
            "plain", "@x.io", "a@", "a@b", "a@.b", "a@b.", "a b@c.d", "a@b@c.d", "a@b..c",
        ] {
            let errors = field_errors(new_user("alice", email, "correct horse").validate());
            assert_eq!(errors.get("email"), ["is invalid"], "{email}");
        }
    }

    #[test]
    fn password_length_is_8_to_128_and_64_works() {
        let short = field_errors(new_user("alice", "a@b.co", "short7c").validate());
        assert_eq!(
            short.get("password"),
            ["is too short (minimum is 8 characters)"]
        );
        assert_eq!(new_user("alice", "a@b.co", "abcdefgh").validate(), Ok(()));
        assert_eq!(
            new_user("alice", "a@b.co", &"a".repeat(64)).validate(),
            Ok(())
        );
        assert_eq!(
            new_user("alice", "a@b.co", &"é".repeat(128)).validate(),
            Ok(())
        );
        let long = field_errors(new_user("alice", "a@b.co", &"a".repeat(129)).validate());
        assert_eq!(
            long.get("password"),
            ["is too long (maximum is 128 characters)"]
        );
    }

    #[test]
    fn usernames_are_url_safe_and_bounded() {
        for bad in [
            "a",
            "has space",
            "slash/y",
            "dot.name",
            "<b>",
            &"x".repeat(33),
        ] {
            let errors = field_errors(new_user(bad, "a@b.co", "correct horse").validate());
            assert_eq!(errors.get("username").len(), 1, "{bad}");
        }
        assert_eq!(new_user("ab", "a@b.co", "correct horse").validate(), Ok(()));
    }

    #[test]
    fn nul_characters_are_refused() {
        let errors = field_errors(new_user("alice", "a@b.co", "correct\0horse").validate());
        assert_eq!(
            errors.get("password"),
            ["must not contain the NUL character"]
        );
        let patch = SettingsPatch {
            username: "alice".into(),
            email: "a@b.co".into(),
            bio: "hi\0".into(),
            ..Default::default()
        };
        assert_eq!(
            field_errors(patch.validate()).get("bio"),
            ["must not contain the NUL character"]
        );
    }

    #[test]
    fn password_may_not_be_the_username_or_email() {
        let errors = field_errors(new_user("longusername", "a@b.co", "LongUserName").validate());
        assert_eq!(
            errors.get("password"),
            ["must not be your username or email"]
        );
    }

    #[test]
    fn settings_keep_empty_password_and_null_out_empty_fields() {
        let patch = SettingsPatch {
            image: "  ".into(),
            username: "alice".into(),
            bio: "".into(),
            email: "a@b.co".into(),
            password: "".into(),
            current_password: "".into(),
        }
        .normalized();
        assert_eq!(patch.validate(), Ok(()));
        assert_eq!(patch.image(), None);
        assert_eq!(patch.bio(), None);
        assert_eq!(patch.new_password(), None);
    }

    #[test]
    fn settings_image_must_be_a_web_url() {
        for bad in [
            "javascript:alert(1)",
            "data:image/png;base64,xx",
            "ftp://x",
            "https://",
            "https://x y",
        ] {
            let patch = SettingsPatch {
                image: bad.into(),
                username: "alice".into(),
                email: "a@b.co".into(),
                ..Default::default()
            };
            assert_eq!(
                field_errors(patch.validate()).get("image"),
                ["must be an http(s) URL"],
                "{bad}"
            );
        }
    }

    #[test]
    fn sign_in_checks_only_presence() {
        let errors = field_errors(Credentials::default().validate());
        assert_eq!(errors.get("email"), ["can't be blank"]);
        assert_eq!(errors.get("password"), ["can't be blank"]);
        let ok = Credentials {
            email: "a@b.co".into(),
            password: "x".into(),
        };
        assert_eq!(ok.validate(), Ok(()));
    }
}
