//! `/register`: create an account.

use leptos::prelude::*;

use crate::components::form::{AuthLayout, posted_errors, validated_form};
use crate::model::user::{NewUser, PASSWORD_MAX, PASSWORD_MIN, USERNAME_MAX};
use crate::server::user::Register;

#[component]
pub fn RegisterPage() -> impl IntoView {
    view! {
        <AuthLayout
            heading="Sign up"
            switch_href=crate::routes::LOGIN
            switch_text="Have an account?"
        >
            <RegisterForm messages={posted_errors::<Register>()}>
                            <fieldset class="form-group">
                                <label for="register-username">"Username"</label>
                                <input
                                    id="register-username"
                                    class="form-control form-control-lg"
                                    type="text"
                                    name="username"
                                    placeholder="Username"
                                    autocomplete="username"
                                    maxlength=USERNAME_MAX
                                />
                            </fieldset>
                            <fieldset class="form-group">
                                <label for="register-email">"Email"</label>
                                <input
                                    id="register-email"
                                    class="form-control form-control-lg"
                                    type="email"
                                    name="email"
                                    placeholder="Email"
                                    autocomplete="email"
                                />
                            </fieldset>
                            <fieldset class="form-group">
                                <label for="register-password">"Password"</label>
                                <input
                                    id="register-password"
                                    class="form-control form-control-lg"
                                    type="password"
                                    name="password"
                                    placeholder="Password"
                                    autocomplete="new-password"
                                    aria-describedby="register-password-help"
                                />
                                <small id="register-password-help" class="form-text">
                                    {format!(
                                        "{PASSWORD_MIN} to {PASSWORD_MAX} characters; a sentence you will remember works well.",
                                    )}
                                </small>
                            </fieldset>
                            <button class="btn btn-lg btn-primary pull-xs-right" type="submit">
                                "Sign up"
                            </button>
            </RegisterForm>
        </AuthLayout>
    }
}

/// The sign-up form (an island), checked in the browser first by the same rules the server
/// applies (all but the common-password list, which stays on the server).
#[island]
fn RegisterForm(messages: Vec<String>, children: Children) -> impl IntoView {
    validated_form(
        messages,
        |args: &Register| {
            NewUser {
                username: args.username.clone(),
                email: args.email.clone(),
                password: args.password.clone(),
            }
            .normalized()
            .validate()
        },
        children,
    )
}
