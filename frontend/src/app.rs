//! The app shell and every route of the web app. Nothing but the sign-in form is shown until
//! the server says who is signed in.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::NavigateOptions;
use leptos_router::components::{A, Route, Router, Routes};
use leptos_router::hooks::use_navigate;
use leptos_router::path;

use crate::api;
use crate::auth::{Auth, Screen, Session, use_auth};
use crate::components::preferences_dialog::PreferencesDialog;
use crate::pages::calls_page::CallsPage;
use crate::pages::chat_page::ChatPage;
use crate::pages::config_changes_page::ConfigChangesPage;
use crate::pages::connection_page::ConnectionPage;
use crate::pages::dashboard_page::DashboardPage;
use crate::pages::endpoints_page::EndpointsPage;
use crate::pages::events_page::EventsPage;
use crate::pages::not_found_page::NotFoundPage;
use crate::pages::player_page::PlayerPage;
use crate::pages::recordings_page::RecordingsPage;
use crate::pages::session_page::SessionPage;
use crate::pages::settings_page::SettingsPage;
use crate::pages::sign_in_page::SignInPage;
use crate::pages::user_page::UserPage;
use crate::theme::ThemeToggle;

#[component]
pub fn App() -> impl IntoView {
    let auth = Auth::provide();
    let screen = auth.screen;

    view! {
        <Router>
            {move || match screen.get() {
                Screen::Checking => {
                    view! {
                        <p class="notice boot" role="status" data-testid="session-loading">
                            "Loading…"
                        </p>
                    }
                        .into_any()
                }
                Screen::SignIn => {
                    let expired = auth
                        .session
                        .with_untracked(|s| matches!(s, Session::SignedOut { expired: true }));
                    view! { <SignInPage expired /> }.into_any()
                }
                Screen::App => view! { <Shell /> }.into_any(),
                Screen::Unreachable => view! { <Unreachable /> }.into_any(),
            }}
        </Router>
    }
}

/// The signed-in app: header, navigation and the page of the address.
#[component]
fn Shell() -> impl IntoView {
    view! {
        <AppHeader />
        <main class="app-main">
            <Routes fallback=NotFoundPage>
                <Route path=path!("/") view=EventsPage />
                <Route path=path!("/events") view=EventsPage />
                <Route path=path!("/calls") view=CallsPage />
                <Route path=path!("/calls/:id") view=SessionPage />
                <Route path=path!("/connections/:id") view=ConnectionPage />
                <Route path=path!("/chat") view=ChatPage />
                <Route path=path!("/config-changes") view=ConfigChangesPage />
                <Route path=path!("/recordings") view=RecordingsPage />
                <Route path=path!("/recordings/:id") view=PlayerPage />
                <Route path=path!("/endpoints") view=EndpointsPage />
                <Route path=path!("/users/:id") view=UserPage />
                <Route path=path!("/settings") view=SettingsPage />
                <Route path=path!("/dashboard") view=DashboardPage />
            </Routes>
        </main>
    }
}

#[component]
fn AppHeader() -> impl IntoView {
    let auth = use_auth();
    let preferences_open = RwSignal::new(false);
    let (signing_out, set_signing_out) = signal(false);
    let (sign_out_error, set_sign_out_error) = signal(None::<String>);

    // Who is signed in does not change while the shell is shown (signing out removes it).
    let (login, role) =
        auth.me.with_untracked(|me| me.as_ref().map(|me| (me.login.clone(), me.role.as_str()))).unwrap_or_default();

    let sign_out = {
        let navigate = use_navigate();
        move |_| {
            set_signing_out.set(true);
            set_sign_out_error.set(None);
            let navigate = navigate.clone();
            spawn_local(async move {
                let result = api::logout().await;
                match result {
                    Err(e) if e.status() != Some(401) => {
                        set_sign_out_error.set(Some(format!("Could not sign out: {e}")));
                        set_signing_out.set(false);
                    }
                    // Signed out, or the session had already ended (401). The next person to
                    // sign in starts from the first page, not from this one's filters.
                    _ => {
                        auth.signed_out();
                        navigate("/", NavigateOptions::default());
                    }
                }
            });
        }
    };

    view! {
        <header class="app-header">
            <A href="/" exact=true attr:class="brand">"confreports"</A>
            <nav class="app-nav" aria-label="Reports">
                <A href="/dashboard" attr:data-testid="nav-dashboard">"Dashboard"</A>
                <A href="/" exact=true attr:data-testid="nav-events">"Events"</A>
                <A href="/calls" attr:data-testid="nav-calls">"Call history"</A>
                <A href="/chat" attr:data-testid="nav-chat">"Chat"</A>
                <A href="/config-changes" attr:data-testid="nav-config-changes">"Configuration"</A>
                <A href="/recordings" attr:data-testid="nav-recordings">"Recordings"</A>
                <A href="/endpoints" attr:data-testid="nav-endpoints">"Endpoints"</A>
                {auth.is_sysadmin()
                    .then(|| view! { <A href="/settings" attr:data-testid="nav-settings">"Settings"</A> })}
            </nav>
            <div class="app-user">
                <span class="who" data-testid="current-user">{login}</span>
                <span class="role-badge" data-testid="current-role">{role}</span>
                <ThemeToggle />
                <button
                    type="button"
                    data-testid="open-preferences"
                    on:click=move |_| preferences_open.set(true)
                >
                    "Preferences"
                </button>
                <button
                    type="button"
                    data-testid="sign-out"
                    disabled=signing_out
                    on:click=sign_out
                >
                    "Sign out"
                </button>
            </div>
        </header>
        <p class="form-error banner" role="alert" data-testid="signout-error">
            {move || sign_out_error.get()}
        </p>
        <PreferencesDialog open=preferences_open />
    }
}

/// The server could not say who is signed in.
#[component]
fn Unreachable() -> impl IntoView {
    let auth = use_auth();
    let message = move || {
        auth.session.with(|s| match s {
            Session::Unreachable(message) => message.clone(),
            _ => String::new(),
        })
    };
    view! {
        <div class="notice error boot" role="alert" data-testid="session-error">
            <strong>"Could not reach the server"</strong>
            <p>{message}</p>
            <button type="button" data-testid="session-retry" on:click=move |_| auth.check()>
                "Try again"
            </button>
        </div>
    }
}
