//! The sign-in form, shown in place of whatever page the address names while nobody is signed
//! in: the address stays, so signing in lands on the page (and filters) the user asked for.

use confreports_types::LoginRequest;
use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::{self, ApiError};
use crate::auth::use_auth;
use crate::theme::ThemeToggle;

#[component]
pub fn SignInPage(
    /// Whether a session just ended (then say so).
    expired: bool,
) -> impl IntoView {
    let auth = use_auth();
    let login = NodeRef::<html::Input>::new();
    let password = NodeRef::<html::Input>::new();
    let (busy, set_busy) = signal(false);
    let (error, set_error) = signal(None::<String>);
    // Seconds left before the server takes another attempt (after a 429).
    let (wait, set_wait) = signal(0_u32);

    let countdown = StoredValue::new_local(None::<IntervalHandle>);
    let start_countdown = move |seconds: u32| {
        if let Some(handle) = countdown.get_value() {
            handle.clear();
        }
        set_wait.set(seconds);
        let handle = set_interval_with_handle(
            move || {
                let left = wait.get_untracked().saturating_sub(1);
                set_wait.set(left);
                if left == 0
                    && let Some(handle) = countdown.get_value()
                {
                    handle.clear();
                }
            },
            std::time::Duration::from_secs(1),
        )
        .ok();
        countdown.set_value(handle);
    };
    on_cleanup(move || {
        if let Some(handle) = countdown.try_get_value().flatten() {
            handle.clear();
        }
    });

    let waiting = move || wait.get() != 0;

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() || wait.get_untracked() > 0 {
            return;
        }
        let (Some(login), Some(password)) = (login.get_untracked(), password.get_untracked()) else {
            return;
        };
        let request = LoginRequest { login: login.value().trim().to_owned(), password: password.value() };
        set_busy.set(true);
        set_error.set(None);
        spawn_local(async move {
            let result = api::login(&request).await;
            match result {
                Ok(me) => auth.signed_in(me),
                Err(e) => {
                    if let ApiError::Throttled { retry_after: Some(seconds), .. } = &e {
                        start_countdown(*seconds);
                    }
                    let message = match &e {
                        // The countdown below says how long; the title says why.
                        ApiError::Throttled { problem: Some(problem), retry_after: Some(_) }
                            if !problem.title.is_empty() =>
                        {
                            format!("{}.", problem.title.trim_end_matches('.'))
                        }
                        ApiError::Throttled { problem: Some(problem), .. } if !problem.detail.is_empty() => {
                            problem.detail.clone()
                        }
                        ApiError::Throttled { .. } => "Too many sign-in attempts.".to_owned(),
                        other => other.to_string(),
                    };
                    set_error.set(Some(message));
                    set_busy.set(false);
                    // A wrong password is typed again; a throttled one is kept for the retry.
                    if e.status() == Some(401) {
                        password.set_value("");
                    }
                    let _ = password.focus();
                }
            }
        });
    };

    view! {
        <main class="sign-in" data-testid="signin-page">
            <div class="sign-in-corner">
                <ThemeToggle />
            </div>
            <form class="sign-in-card" data-testid="signin-form" on:submit=submit>
                <h1>"confreports"</h1>
                <p class="muted">"Sign in to the conference reports."</p>
                {expired
                    .then(|| {
                        view! {
                            <p class="notice-inline" role="status" data-testid="signin-expired">
                                "Your session has ended. Sign in again to continue."
                            </p>
                        }
                    })}
                <label>
                    <span>"Login"</span>
                    <input
                        type="text"
                        name="login"
                        node_ref=login
                        autocomplete="username"
                        autocapitalize="none"
                        spellcheck="false"
                        required
                        autofocus
                        data-testid="signin-login"
                    />
                </label>
                <label>
                    <span>"Password"</span>
                    <input
                        type="password"
                        name="password"
                        node_ref=password
                        autocomplete="current-password"
                        required
                        data-testid="signin-password"
                    />
                </label>
                <div class="form-error" role="alert" data-testid="signin-error">
                    {move || error.get().map(|e| view! { <p>{e}</p> })}
                    {move || {
                        let seconds = wait.get();
                        (seconds > 0)
                            .then(|| {
                                let unit = if seconds == 1 { "second" } else { "seconds" };
                                view! { <p data-testid="signin-wait">{format!("Try again in {seconds} {unit}.")}</p> }
                            })
                    }}
                </div>
                <button type="submit" data-testid="signin-submit" disabled=move || busy.get() || waiting()>
                    "Sign in"
                </button>
            </form>
        </main>
    }
}
