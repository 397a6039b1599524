//! `/login`: sign in with an email and a password.

use leptos::prelude::*;

use crate::components::form::{AuthLayout, posted_errors, validated_form};
use crate::model::user::Credentials;
use crate::server::user::Login;

#[component]
pub fn LoginPage() -> impl IntoView {
    view! {
        <AuthLayout heading="Sign in" switch_href=crate::routes::REGISTER switch_text="Need an account?">
            <LoginForm messages={posted_errors::<Login>()}>
                <fieldset class="form-group">
                    <label for="login-email">"Email"</label>
                    <input
                        id="login-email"
                        class="form-control form-control-lg"
                        type="email"
                        name="email"
                        placeholder="Email"
                        autocomplete="email"
                    />
                </fieldset>
                <fieldset class="form-group">
                    <label for="login-password">"Password"</label>
                    <input
                        id="login-password"
                        class="form-control form-control-lg"
                        type="password"
                        name="password"
                        placeholder="Password"
                        autocomplete="current-password"
                    />
                </fieldset>
                <button class="btn btn-lg btn-primary pull-xs-right" type="submit">
                    "Sign in"
                </button>
            </LoginForm>
        </AuthLayout>
    }
}

/// The sign-in form (an island), checked in the browser first by the same rules the server
/// applies.
#[island]
fn LoginForm(messages: Vec<String>, children: Children) -> impl IntoView {
    validated_form(
        messages,
        |args: &Login| {
            Credentials {
                email: args.email.clone(),
                password: args.password.clone(),
            }
            .normalized()
            .validate()
        },
        children,
    )
}
