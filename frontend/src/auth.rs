//! The session of the signed-in administrator, shared by every part of the app through a
//! context: whether someone is signed in (asked of `GET /auth/me` at start), who, and their
//! preferences.

use confreports_types::{Me, Preferences};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api;

/// Where the app stands with the server.
#[derive(Debug, Clone, PartialEq)]
pub enum Session {
    /// Asking the server whether the browser holds a session.
    Checking,
    /// Nobody signed in; `expired` when a session ended under the user's feet (an answer 401).
    SignedOut {
        expired: bool,
    },
    SignedIn(Me),
    /// The server could not say (down, or an unexpected answer).
    Unreachable(String),
}

/// Which screen the session calls for; changes only when the screen must.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    Checking,
    SignIn,
    App,
    Unreachable,
}

/// The session context (`Copy`: handles on signals).
#[derive(Debug, Clone, Copy)]
pub struct Auth {
    pub session: RwSignal<Session>,
    /// Which screen the session calls for; changes only when the screen must.
    pub screen: Memo<Screen>,
    /// Who is signed in (`None` while nobody is).
    pub me: Memo<Option<Me>>,
    /// The preferences of whoever is signed in (the defaults while nobody is); changes only
    /// when they do.
    pub preferences: Memo<Preferences>,
}

impl Auth {
    /// Creates the session, provides it as context, asks the server who is signed in, and goes
    /// back to signed-out whenever a call is answered 401.
    pub fn provide() -> Auth {
        let session = RwSignal::new(Session::Checking);
        let me = Memo::new(move |_| {
            session.with(|s| match s {
                Session::SignedIn(me) => Some(me.clone()),
                _ => None,
            })
        });
        let auth = Auth {
            session,
            screen: Memo::new(move |_| {
                session.with(|s| match s {
                    Session::Checking => Screen::Checking,
                    Session::SignedOut { .. } => Screen::SignIn,
                    Session::SignedIn(_) => Screen::App,
                    Session::Unreachable(_) => Screen::Unreachable,
                })
            }),
            me,
            preferences: Memo::new(move |_| {
                me.with(|me| me.as_ref().map(|me| me.preferences.clone()).unwrap_or_default())
            }),
        };
        provide_context(auth);
        api::on_unauthorized(move || {
            if matches!(session.get_untracked(), Session::SignedIn(_)) {
                session.set(Session::SignedOut { expired: true });
            }
        });
        auth.check();
        auth
    }

    /// Asks `GET /auth/me` whether the browser holds a session.
    pub fn check(self) {
        self.session.set(Session::Checking);
        spawn_local(async move {
            let next = match api::me().await {
                Ok(Some(me)) => Session::SignedIn(me),
                Ok(None) => Session::SignedOut { expired: false },
                Err(e) => Session::Unreachable(e.to_string()),
            };
            self.session.set(next);
        });
    }

    pub fn signed_in(self, me: Me) {
        self.session.set(Session::SignedIn(me));
    }

    /// Whether whoever is signed in may delete and change settings (role `sysadmin`; the role
    /// `security` reads only). The server enforces it; the app hides what would be refused.
    pub fn is_sysadmin(self) -> bool {
        self.me.with_untracked(|me| me.as_ref().is_some_and(|me| me.role == confreports_types::Role::Sysadmin))
    }

    pub fn signed_out(self) {
        self.session.set(Session::SignedOut { expired: false });
    }
}

pub fn use_auth() -> Auth {
    expect_context::<Auth>()
}
