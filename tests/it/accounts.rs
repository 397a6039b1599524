//! Service tests for accounts, on a fresh SQLite database each: every rule of sign-up,
//! sign-in, settings and password change.

use crate::common;

use common::{PASSWORD, TestApp, client};
use quire::error::AppError;
use quire::model::user::{Credentials, NewUser, SettingsPatch};
use quire::service::user::{self, Channel};

fn new_user(username: &str, email: &str, password: &str) -> NewUser {
    NewUser {
        username: username.into(),
        email: email.into(),
        password: password.into(),
    }
}

/// Signs up `name` with email `name@example.test` and the shared test password.
async fn sign_up(app: &TestApp, name: &str) -> quire::model::user::Account {
    user::register(
        &app.state,
        &client(),
        new_user(name, &format!("{name}@example.test"), PASSWORD),
    )
    .await
    .expect("sign-up")
}

fn credentials(email: &str, password: &str) -> Credentials {
    Credentials {
        email: email.into(),
        password: password.into(),
    }
}

fn patch_of(user: &quire::model::user::Account) -> SettingsPatch {
    SettingsPatch {
        image: user.image.clone().unwrap_or_default(),
        username: user.username.clone(),
        bio: user.bio.clone().unwrap_or_default(),
        email: user.email.clone(),
        password: String::new(),
        current_password: String::new(),
    }
}

fn fields(error: AppError) -> quire::error::FieldErrors {
    match error {
        AppError::Validation(f) | AppError::Conflict(f) => f,
        other => panic!("expected field errors, got {other:?}"),
    }
}

#[tokio::test]
async fn register_stores_a_normalised_account_with_an_argon2id_hash() {
    let app = TestApp::new().await;
    let alice = user::register(
        &app.state,
        &client(),
        new_user(" alice ", " Alice@Example.TEST", PASSWORD),
    )
    .await
    .unwrap();
    assert_eq!(alice.username, "alice");
    assert_eq!(alice.email, "alice@example.test");
    assert_eq!(alice.bio, None);
    let stored: String = sqlx::query_scalar("select password_hash from users where id = $1")
        .bind(alice.id)
        .fetch_one(&app.state.db.reader)
        .await
        .unwrap();
    assert!(
        stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{stored}"
    );
    assert!(!stored.contains(PASSWORD));
}

#[tokio::test]
async fn usernames_and_emails_are_unique_whatever_their_case() {
    let app = TestApp::new().await;
    sign_up(&app, "alice").await;
    let err = user::register(
        &app.state,
        &client(),
        new_user("Alice", "ALICE@example.test", PASSWORD),
    )
    .await
    .unwrap_err();
    assert_eq!(err.status(), 409);
    let f = fields(err);
    assert_eq!(f.get("username"), ["has already been taken"]);
    assert_eq!(f.get("email"), ["has already been taken"]);
    let count: i64 = sqlx::query_scalar("select count(*) from users")
        .fetch_one(&app.state.db.reader)
        .await
        .unwrap();
    assert_eq!(count, 1);
}

#[tokio::test]
async fn the_database_itself_refuses_duplicates() {
    let app = TestApp::new().await;
    sign_up(&app, "alice").await;
    let mut tx = app.begin_write().await;
    let duplicate = sqlx::query(
        "insert into users (username, email, password_hash, created_at, updated_at) values ('ALICE', 'x@y.z', 'h', 'n', 'n')",
    )
    .execute(&mut *tx)
    .await;
    assert!(
        duplicate.is_err(),
        "the unique index on lower(username) must hold"
    );
}

#[tokio::test]
async fn every_sign_up_rule_is_enforced_on_the_server() {
    let app = TestApp::new().await;
    let cases: &[(&str, &str, &str, &str, &str)] = &[
        ("", "a@b.co", PASSWORD, "username", "can't be blank"),
        ("alice", "", PASSWORD, "email", "can't be blank"),
        ("alice", "a@b.co", "", "password", "can't be blank"),
        ("alice", "not-an-email", PASSWORD, "email", "is invalid"),
        (
            "alice",
            "a@b.co",
            "short7c",
            "password",
            "is too short (minimum is 8 characters)",
        ),
        (
            "a b",
            "a@b.co",
            PASSWORD,
            "username",
            "may only contain letters, digits, '_' and '-'",
        ),
        (
            "alice",
            "a@b.co",
            "with\0nul!",
            "password",
            "must not contain the NUL character",
        ),
    ];
    for (username, email, password, field, message) in cases {
        let err = user::register(&app.state, &client(), new_user(username, email, password))
            .await
            .unwrap_err();
        assert_eq!(err.status(), 422);
        assert_eq!(
            fields(err).get(field),
            [*message],
            "{field} for {username:?}/{email:?}"
        );
    }
    let long = "x".repeat(129);
    let err = user::register(&app.state, &client(), new_user("alice", "a@b.co", &long))
        .await
        .unwrap_err();
    assert_eq!(
        fields(err).get("password"),
        ["is too long (maximum is 128 characters)"]
    );
    // 64 characters is fine.
    user::register(
        &app.state,
        &client(),
        new_user("alice", "a@b.co", &"k".repeat(64)),
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn common_passwords_are_refused_unless_switched_off() {
    let on = TestApp::with_config(|c| c.common_passwords = true).await;
    let err = user::register(
        &on.state,
        &client(),
        new_user("alice", "a@b.co", "password123"),
    )
    .await
    .unwrap_err();
    assert_eq!(
        fields(err).get("password"),
        ["is too common; choose one that is harder to guess"]
    );
    user::register(&on.state, &client(), new_user("alice", "a@b.co", PASSWORD))
        .await
        .unwrap();

    let off = TestApp::with_config(|c| c.common_passwords = false).await;
    user::register(
        &off.state,
        &client(),
        new_user("alice", "a@b.co", "password123"),
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn login_accepts_the_right_password_in_any_email_case() {
    let app = TestApp::new().await;
    let alice = sign_up(&app, "alice").await;
    let signed_in = user::login(
        &app.state,
        &client(),
        credentials(" ALICE@example.test ", PASSWORD),
    )
    .await
    .unwrap();
    assert_eq!(signed_in.id, alice.id);
}

#[tokio::test]
async fn login_refuses_wrong_password_and_unknown_email_alike() {
    let app = TestApp::new().await;
    sign_up(&app, "alice").await;
    let wrong = user::login(
        &app.state,
        &client(),
        credentials("alice@example.test", "wrong password"),
    )
    .await
    .unwrap_err();
    let unknown = user::login(
        &app.state,
        &client(),
        credentials("bob@example.test", PASSWORD),
    )
    .await
    .unwrap_err();
    assert_eq!(wrong, AppError::InvalidCredentials);
    assert_eq!(unknown, wrong);
    let blank = user::login(&app.state, &client(), credentials("", ""))
        .await
        .unwrap_err();
    assert_eq!(blank.status(), 422);
}

#[tokio::test]
async fn a_hash_with_older_parameters_is_replaced_at_the_next_sign_in() {
    use argon2::password_hash::{PasswordHasher, SaltString};
    use argon2::{Algorithm, Argon2, Params, Version};

    let app = TestApp::new().await;
    let alice = sign_up(&app, "alice").await;
    // The hash an older release made, with lighter parameters.
    let salt = SaltString::from_b64("b2xkZXJzYWx0b2xkZXJzYWx0").unwrap();
    let params = Params::new(8 * 1024, 1, 1, None).unwrap();
    let older = Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password(PASSWORD.as_bytes(), &salt)
        .unwrap()
        .to_string();
    assert!(older.starts_with("$argon2id$v=19$m=8192,t=1,p=1$"));
    let mut tx = app.begin_write().await;
    sqlx::query("update users set password_hash = $1 where id = $2")
        .bind(&older)
        .bind(alice.id)
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let stored = || async {
        sqlx::query_scalar::<_, String>("select password_hash from users where id = $1")
            .bind(alice.id)
            .fetch_one(&app.state.db.reader)
            .await
            .unwrap()
    };

    // A wrong password leaves it as it is.
    let wrong = credentials("alice@example.test", "not the password");
    assert!(user::login(&app.state, &client(), wrong).await.is_err());
    assert_eq!(stored().await, older);
    // The right one signs in and stores today's hash, which still takes the password.
    let right = || credentials("alice@example.test", PASSWORD);
    user::login(&app.state, &client(), right()).await.unwrap();
    let upgraded = stored().await;
    assert!(
        upgraded.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{upgraded}"
    );
    user::login(&app.state, &client(), right()).await.unwrap();
    assert_eq!(stored().await, upgraded, "a current hash is kept");
}

#[tokio::test]
async fn settings_update_profile_fields_and_store_empty_as_null() {
    let app = TestApp::new().await;
    let alice = sign_up(&app, "alice").await;
    let mut patch = patch_of(&alice);
    patch.bio = "  Writes about Rust.  ".into();
    patch.image = "https://example.test/a.png".into();
    patch.username = "alice2".into();
    let outcome = user::update_settings(&app.state, alice.id, patch, Channel::Session { id: 1 })
        .await
        .unwrap();
    assert!(!outcome.password_changed);
    let stored = user::find(&app.state, alice.id).await.unwrap().unwrap();
    assert_eq!(stored.username, "alice2");
    assert_eq!(stored.bio.as_deref(), Some("Writes about Rust."));
    assert_eq!(stored.image.as_deref(), Some("https://example.test/a.png"));

    let mut patch = patch_of(&stored);
    patch.bio = String::new();
    patch.image = String::new();
    user::update_settings(&app.state, alice.id, patch, Channel::Session { id: 1 })
        .await
        .unwrap();
    let stored = user::find(&app.state, alice.id).await.unwrap().unwrap();
    assert_eq!(stored.bio, None);
    assert_eq!(stored.image, None);
}

#[tokio::test]
async fn settings_cannot_take_another_users_name_or_email() {
    let app = TestApp::new().await;
    let alice = sign_up(&app, "alice").await;
    sign_up(&app, "bob").await;
    let mut patch = patch_of(&alice);
    patch.username = "BOB".into();
    let err = user::update_settings(&app.state, alice.id, patch, Channel::Session { id: 1 })
        .await
        .unwrap_err();
    assert_eq!(fields(err).get("username"), ["has already been taken"]);

    let mut patch = patch_of(&alice);
    patch.email = "bob@example.test".into();
    patch.current_password = PASSWORD.into();
    let err = user::update_settings(&app.state, alice.id, patch, Channel::Session { id: 1 })
        .await
        .unwrap_err();
    assert_eq!(fields(err).get("email"), ["has already been taken"]);
    // Keeping one's own name and email is not a conflict.
    user::update_settings(
        &app.state,
        alice.id,
        patch_of(&alice),
        Channel::Session { id: 1 },
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn changing_the_email_needs_the_current_password() {
    let app = TestApp::new().await;
    let alice = sign_up(&app, "alice").await;
    let mut patch = patch_of(&alice);
    patch.email = "new@example.test".into();
    let err = user::update_settings(
        &app.state,
        alice.id,
        patch.clone(),
        Channel::Session { id: 1 },
    )
    .await
    .unwrap_err();
    assert_eq!(
        fields(err).get("current_password"),
        ["is needed to change your email or password"]
    );
    patch.current_password = "wrong password".into();
    let err = user::update_settings(
        &app.state,
        alice.id,
        patch.clone(),
        Channel::Session { id: 1 },
    )
    .await
    .unwrap_err();
    assert_eq!(fields(err).get("current_password"), ["is incorrect"]);
    patch.current_password = PASSWORD.into();
    user::update_settings(&app.state, alice.id, patch, Channel::Session { id: 1 })
        .await
        .unwrap();
    user::login(
        &app.state,
        &client(),
        credentials("new@example.test", PASSWORD),
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn a_new_password_replaces_the_old_and_ends_every_session() {
    let app = TestApp::new().await;
    // Two browsers signed in.
    app.register("alice").await;
    app.login("alice").await;
    let alice = user::login(
        &app.state,
        &client(),
        credentials("alice@example.test", PASSWORD),
    )
    .await
    .unwrap();
    assert_eq!(
        quire::db::session::count_for_user(&app.state.db.reader, alice.id)
            .await
            .unwrap(),
        2
    );

    let mut patch = patch_of(&alice);
    patch.password = "an entirely new passphrase".into();
    patch.current_password = PASSWORD.into();
    let outcome = user::update_settings(&app.state, alice.id, patch, Channel::Session { id: 1 })
        .await
        .unwrap();
    assert!(outcome.password_changed);
    assert_eq!(
        quire::db::session::count_for_user(&app.state.db.reader, alice.id)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        user::login(
            &app.state,
            &client(),
            credentials("alice@example.test", PASSWORD)
        )
        .await
        .unwrap_err(),
        AppError::InvalidCredentials
    );
    user::login(
        &app.state,
        &client(),
        credentials("alice@example.test", "an entirely new passphrase"),
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn a_new_password_follows_the_same_rules() {
    let app = TestApp::with_config(|c| c.common_passwords = true).await;
    let alice = sign_up(&app, "alice").await;
    for (password, message) in [
        ("short", "is too short (minimum is 8 characters)"),
        (
            "password123",
            "is too common; choose one that is harder to guess",
        ),
        ("alice", "is too short (minimum is 8 characters)"),
    ] {
        let mut patch = patch_of(&alice);
        patch.password = password.into();
        patch.current_password = PASSWORD.into();
        let err = user::update_settings(&app.state, alice.id, patch, Channel::Session { id: 1 })
            .await
            .unwrap_err();
        assert_eq!(fields(err).get("password")[0], message, "{password}");
    }
}

#[tokio::test]
async fn settings_of_a_vanished_account_are_unauthorized() {
    let app = TestApp::new().await;
    let err = user::update_settings(
        &app.state,
        quire::model::user::UserId(4242),
        SettingsPatch {
            username: "ghost".into(),
            email: "g@example.test".into(),
            ..Default::default()
        },
        Channel::Session { id: 1 },
    )
    .await
    .unwrap_err();
    assert_eq!(err, AppError::Unauthorized);
}
