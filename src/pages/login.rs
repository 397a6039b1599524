//! `/login`: sign in with an email and a password.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;

use crate::app::Auth;
use crate::components::form::{ErrorMessages, action_messages};
use crate::model::user::Credentials;
use crate::server::user::Login;

#[component]
pub fn LoginPage() -> impl IntoView {
    let login = ServerAction::<Login>::new();
    expect_context::<Auth>().track(login);
    let local = RwSignal::new(Vec::new());
    let messages = action_messages(login, local);
    // Without JavaScript the form posts itself; hydrated, it is checked here first and sent
    // without a page load.
    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        match Login::from_event(&ev) {
            Ok(args) => {
                let credentials = Credentials {
                    email: args.email.clone(),
                    password: args.password.clone(),
                };
                match credentials.normalized().validate() {
                    Ok(()) => {
                        local.set(Vec::new());
                        login.dispatch(args);
                    }
                    Err(error) => local.set(error.messages()),
                }
            }
            Err(error) => local.set(vec![error.to_string()]),
        }
    };
    view! {
        <Title text="Sign in" />
        <div class="auth-page">
            <div class="container page">
                <div class="row">
                    <div class="col-md-6 offset-md-3 col-xs-12">
                        <h1 class="text-xs-center">"Sign in"</h1>
                        <p class="text-xs-center">
                            <a href="/register">"Need an account?"</a>
                        </p>
                        <ErrorMessages messages />
                        <form method="post" action=Login::PATH on:submit=on_submit novalidate>
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
                    </div>
                </div>
            </div>
        </div>
    }
}
