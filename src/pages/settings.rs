//! `/settings`: profile picture, username, bio, email and password; and signing out.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;
use leptos_router::hooks::use_query_map;

use crate::components::form::{ErrorMessages, posted_errors, ssr_text, validated_form};
use crate::context::Auth;
use crate::model::user::{BIO_MAX, SessionUser, SettingsPatch};
use crate::routes;
use crate::server::user::{Logout, SignOutEverywhere, UpdateSettings};

#[component]
pub fn SettingsPage() -> impl IntoView {
    let auth = expect_context::<Auth>();
    let query = use_query_map();
    let saved = query.read_untracked().get("saved").is_some();
    view! {
        <Title text="Settings" />
        <div class="settings-page">
            <div class="container page">
                <div class="row">
                    <div class="col-md-6 offset-md-3 col-xs-12">
                        <h1 class="text-xs-center">"Your Settings"</h1>
                        <Transition fallback=|| view! { <p>"Loading your settings..."</p> }>
                            {move || Suspend::new(async move {
                                match auth.user.await {
                                    Ok(Some(user)) => view! { <SettingsFields user saved /> }.into_any(),
                                    Ok(None) => view! { <Redirect path=routes::LOGIN /> }.into_any(),
                                    Err(error) => {
                                        view! { <ErrorMessages messages=error.messages() /> }
                                            .into_any()
                                    }
                                }
                            })}
                        </Transition>
                    </div>
                </div>
            </div>
        </div>
    }
}

#[component]
fn SettingsFields(user: SessionUser, saved: bool) -> impl IntoView {
    let messages = posted_errors::<UpdateSettings>();
    let logout = ServerAction::<Logout>::new();
    let everywhere = ServerAction::<SignOutEverywhere>::new();
    view! {
        {(saved && messages.is_empty()).then(|| view! {
            <p class="success-message" role="status">
                "Your settings were saved."
            </p>
        })}
        <SettingsForm messages>
            <fieldset>
                <fieldset class="form-group">
                    <label for="settings-image">"Profile picture URL"</label>
                    <input
                        id="settings-image"
                        class="form-control"
                        type="url"
                        name="image"
                        placeholder="URL of profile picture"
                        value=user.image.unwrap_or_default()
                    />
                </fieldset>
                <fieldset class="form-group">
                    <label for="settings-username">"Username"</label>
                    <input
                        id="settings-username"
                        class="form-control form-control-lg"
                        type="text"
                        name="username"
                        placeholder="Your Name"
                        autocomplete="username"
                        value=user.username
                    />
                </fieldset>
                <fieldset class="form-group">
                    <label for="settings-bio">"Bio"</label>
                    <textarea
                        id="settings-bio"
                        class="form-control form-control-lg"
                        rows="8"
                        name="bio"
                        placeholder="Short bio about you"
                        maxlength=BIO_MAX
                    >
                        {ssr_text(user.bio.unwrap_or_default())}
                    </textarea>
                </fieldset>
                <fieldset class="form-group">
                    <label for="settings-email">"Email"</label>
                    <input
                        id="settings-email"
                        class="form-control form-control-lg"
                        type="email"
                        name="email"
                        placeholder="Email"
                        autocomplete="email"
                        value=user.email
                    />
                </fieldset>
                <fieldset class="form-group">
                    <label for="settings-password">"New Password"</label>
                    <input
                        id="settings-password"
                        class="form-control form-control-lg"
                        type="password"
                        name="password"
                        placeholder="New Password"
                        autocomplete="new-password"
                    />
                </fieldset>
                <fieldset class="form-group">
                    <label for="settings-current-password">"Current Password"</label>
                    <input
                        id="settings-current-password"
                        class="form-control form-control-lg"
                        type="password"
                        name="current_password"
                        placeholder="Current Password"
                        autocomplete="current-password"
                        aria-describedby="settings-current-password-help"
                    />
                    <small id="settings-current-password-help" class="form-text">
                        "Needed only to change your email or password."
                    </small>
                </fieldset>
                <button class="btn btn-lg btn-primary pull-xs-right" type="submit">
                    "Update Settings"
                </button>
            </fieldset>
        </SettingsForm>
        <hr />
        <div class="sign-out-actions">
            <ActionForm action=logout>
                <button class="btn btn-outline-danger" type="submit">
                    "Or click here to logout"
                </button>
            </ActionForm>
            <ActionForm action=everywhere>
                <button
                    class="btn btn-outline-danger sign-out-everywhere"
                    type="submit"
                    title="Ends your sessions in every browser and revokes every API token"
                >
                    "Sign out everywhere"
                </button>
            </ActionForm>
        </div>
    }
}

/// The settings form (an island), checked in the browser first by the same rules the server
/// applies. Saved, it leads to `routes::SETTINGS_SAVED`.
#[island]
fn SettingsForm(messages: Vec<String>, children: Children) -> impl IntoView {
    validated_form(
        messages,
        |args: &UpdateSettings| {
            SettingsPatch {
                image: args.image.clone(),
                username: args.username.clone(),
                bio: args.bio.clone(),
                email: args.email.clone(),
                password: args.password.clone(),
                current_password: args.current_password.clone(),
            }
            .normalized()
            .validate()
        },
        children,
    )
}
