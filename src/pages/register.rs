//! `/register`: create an account.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;

use crate::app::Auth;
use crate::components::form::{ErrorMessages, action_messages};
use crate::model::user::{NewUser, PASSWORD_MAX, PASSWORD_MIN, USERNAME_MAX};
use crate::server::user::Register;

#[component]
pub fn RegisterPage() -> impl IntoView {
    let register = ServerAction::<Register>::new();
    expect_context::<Auth>().track(register);
    let local = RwSignal::new(Vec::new());
    let messages = action_messages(register, local);
    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        match Register::from_event(&ev) {
            Ok(args) => {
                let new = NewUser {
                    username: args.username.clone(),
                    email: args.email.clone(),
                    password: args.password.clone(),
                };
                match new.normalized().validate() {
                    Ok(()) => {
                        local.set(Vec::new());
                        register.dispatch(args);
                    }
                    Err(error) => local.set(error.messages()),
                }
            }
            Err(error) => local.set(vec![error.to_string()]),
        }
    };
    view! {
        <Title text="Sign up" />
        <div class="auth-page">
            <div class="container page">
                <div class="row">
                    <div class="col-md-6 offset-md-3 col-xs-12">
                        <h1 class="text-xs-center">"Sign up"</h1>
                        <p class="text-xs-center">
                            <a href="/login">"Have an account?"</a>
                        </p>
                        <ErrorMessages messages />
                        <form method="post" action=Register::PATH on:submit=on_submit novalidate>
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
                            <button
                                class="btn btn-lg btn-primary pull-xs-right"
                                type="submit"
                                disabled=move || register.pending().get()
                            >
                                "Sign up"
                            </button>
                        </form>
                    </div>
                </div>
            </div>
        </div>
    }
}
