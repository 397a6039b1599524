//! `/login`: sign in with an email and a password.

use leptos::prelude::*;
use leptos::server_fn::ServerFn;

use crate::app::Auth;
use crate::components::form::{AuthLayout, ValidatedForm};
use crate::model::user::Credentials;
use crate::server::user::Login;

#[component]
pub fn LoginPage() -> impl IntoView {
    let login = ServerAction::<Login>::new();
    expect_context::<Auth>().track(login);
    // Checked in the browser first, by the same rules the server applies.
    let form = ValidatedForm::new(login, |args: &Login| {
        Credentials {
            email: args.email.clone(),
            password: args.password.clone(),
        }
        .normalized()
        .validate()
    });
    view! {
        <AuthLayout
            heading="Sign in"
            switch_href="/register"
            switch_text="Need an account?"
            messages=form.messages
        >
            <form method="post" action=Login::PATH on:submit=form.on_submit() novalidate>
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
                            <button
                                class="btn btn-lg btn-primary pull-xs-right"
                                type="submit"
                                disabled=move || login.pending().get()
                            >
                                "Sign in"
                            </button>
                        </form>
        </AuthLayout>
    }
}
