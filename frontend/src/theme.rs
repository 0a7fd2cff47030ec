//! Light and dark themes: the system's choice (`prefers-color-scheme`) until the user picks one,
//! which is kept in localStorage and set as `data-theme` on the root element (`boot.js` sets it
//! too before the app loads, so a reload does not flash the other theme).

use leptos::prelude::*;

const KEY: &str = "confreports.theme";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Theme {
    Light,
    Dark,
}

impl Theme {
    fn as_str(self) -> &'static str {
        match self {
            Theme::Light => "light",
            Theme::Dark => "dark",
        }
    }

    fn other(self) -> Theme {
        match self {
            Theme::Light => Theme::Dark,
            Theme::Dark => Theme::Light,
        }
    }
}

/// The theme in force: the one picked, else the system's.
pub fn current() -> Theme {
    stored().unwrap_or_else(system)
}

fn stored() -> Option<Theme> {
    let storage = window().local_storage().ok().flatten()?;
    match storage.get_item(KEY).ok().flatten()?.as_str() {
        "light" => Some(Theme::Light),
        "dark" => Some(Theme::Dark),
        _ => None,
    }
}

fn system() -> Theme {
    let dark = window().match_media("(prefers-color-scheme: dark)").ok().flatten().is_some_and(|m| m.matches());
    if dark { Theme::Dark } else { Theme::Light }
}

fn apply(theme: Theme) {
    if let Some(root) = document().document_element() {
        let _ = root.set_attribute("data-theme", theme.as_str());
    }
    if let Some(storage) = window().local_storage().ok().flatten() {
        let _ = storage.set_item(KEY, theme.as_str());
    }
}

/// A button that switches to the other theme (and remembers the choice).
#[component]
pub fn ThemeToggle() -> impl IntoView {
    let theme = RwSignal::new(stored().unwrap_or_else(system));
    let label = move || match theme.get() {
        Theme::Light => "Dark theme",
        Theme::Dark => "Light theme",
    };
    view! {
        <button
            type="button"
            class="theme-toggle"
            data-testid="theme-toggle"
            data-theme-now=move || theme.get().as_str()
            title=label
            aria-label=label
            on:click=move |_| {
                let next = theme.get_untracked().other();
                apply(next);
                theme.set(next);
            }
        >
            {move || match theme.get() {
                Theme::Light => "☾",
                Theme::Dark => "☀",
            }}
        </button>
    }
}
