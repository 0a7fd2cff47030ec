//! How values look in tables and details panels: times in the preference time zone, absent
//! values, durations, sizes, and links to the user, session, endpoint and conference pages.

use chrono::{DateTime, Utc};
use leptos::prelude::*;

use crate::api::segment;
use crate::auth::use_auth;
use crate::time_format::format_time;

/// A time in the signed-in administrator's time zone and date format (UTC in its tooltip).
#[component]
pub fn LocalTime(at: DateTime<Utc>) -> impl IntoView {
    let preferences = use_auth().preferences;
    let shown = move || preferences.with(|p| format_time(at, &p.time_zone, p.date_format));
    view! {
        <time datetime=at.to_rfc3339() title=at.format("%Y-%m-%d %H:%M:%S%.3f UTC").to_string()>
            {shown}
        </time>
    }
}

pub fn time(at: DateTime<Utc>) -> AnyView {
    view! { <LocalTime at /> }.into_any()
}

pub fn optional_time(at: Option<DateTime<Utc>>) -> AnyView {
    match at {
        Some(at) => time(at),
        None => none(),
    }
}

/// The mark of an absent value.
pub fn none() -> AnyView {
    view! { <span class="none" aria-label="none">"—"</span> }.into_any()
}

pub fn text(value: Option<&str>) -> AnyView {
    match value {
        Some(v) if !v.is_empty() => view! { <span>{v.to_owned()}</span> }.into_any(),
        _ => none(),
    }
}

pub fn code(value: &str) -> AnyView {
    view! { <code>{value.to_owned()}</code> }.into_any()
}

pub fn yes_no(value: bool) -> AnyView {
    if value {
        view! { <span class="badge ok">"yes"</span> }.into_any()
    } else {
        view! { <span class="badge fail">"no"</span> }.into_any()
    }
}

pub fn number(value: impl std::fmt::Display) -> AnyView {
    view! { <span class="num">{value.to_string()}</span> }.into_any()
}

/// `1:02:03`, `4:05` (hours only when there are some).
pub fn format_duration(seconds: i64) -> String {
    let s = seconds.max(0);
    let (h, m, s) = (s / 3600, s / 60 % 60, s % 60);
    if h > 0 { format!("{h}:{m:02}:{s:02}") } else { format!("{m}:{s:02}") }
}

pub fn duration(seconds: Option<i64>) -> AnyView {
    match seconds {
        Some(s) => view! { <span class="num">{format_duration(s)}</span> }.into_any(),
        None => view! { <span class="badge ok">"active"</span> }.into_any(),
    }
}

/// `1.5 MB`: bytes in powers of 1000, as file managers show them.
pub fn format_size(bytes: i64) -> String {
    const UNITS: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];
    let mut value = bytes.max(0) as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 { format!("{bytes} B") } else { format!("{value:.1} {}", UNITS[unit]) }
}

pub fn size(bytes: i64) -> AnyView {
    view! { <span class="num">{format_size(bytes)}</span> }.into_any()
}

/// "(no title)" for point-to-point calls.
pub fn title(value: Option<&str>) -> String {
    match value {
        Some(t) if !t.trim().is_empty() => t.to_owned(),
        _ => "(no title)".to_owned(),
    }
}

fn link(href: String, label: String, testid: &'static str) -> AnyView {
    // The router turns clicks on same-origin links into navigation within the app.
    view! {
        <a href=href data-testid=testid on:click=|ev| ev.stop_propagation()>
            {label}
        </a>
    }
    .into_any()
}

/// The user page of a user ID.
pub fn user_link(id: Option<&str>) -> AnyView {
    match id {
        Some(id) if !id.is_empty() => link(format!("/users/{}", segment(id)), id.to_owned(), "user-link"),
        _ => none(),
    }
}

/// The session page of a session ID.
pub fn session_link(id: Option<&str>) -> AnyView {
    match id {
        Some(id) if !id.is_empty() => link(format!("/calls/{}", segment(id)), id.to_owned(), "session-link"),
        _ => none(),
    }
}

/// The Endpoints report with that endpoint selected.
pub fn endpoint_link(id: Option<&str>) -> AnyView {
    match id {
        Some(id) if !id.is_empty() => {
            link(format!("/endpoints?selected={}", segment(id)), id.to_owned(), "endpoint-link")
        }
        _ => none(),
    }
}

/// The sessions of a parent (server-side) conference.
pub fn conference_link(id: Option<&str>) -> AnyView {
    match id {
        Some(id) if !id.is_empty() => {
            link(format!("/calls?conference={}", segment(id)), id.to_owned(), "conference-link")
        }
        _ => none(),
    }
}

/// The connection properties page of a participant connection.
pub fn connection_link(id: &str, label: String) -> AnyView {
    link(format!("/connections/{}", segment(id)), label, "connection-link")
}

/// One labelled value of a details panel.
pub fn field(label: &'static str, value: AnyView) -> AnyView {
    view! {
        <div class="detail-row">
            <dt>{label}</dt>
            <dd>{value}</dd>
        </div>
    }
    .into_any()
}

/// A labelled value of a details panel that needs the panel's whole width (a table, JSON).
pub fn wide_field(label: &'static str, value: AnyView) -> AnyView {
    view! {
        <div class="detail-row wide">
            <dt>{label}</dt>
            <dd>{value}</dd>
        </div>
    }
    .into_any()
}

/// A JSON value, pretty-printed.
pub fn json(value: Option<&serde_json::Value>) -> AnyView {
    match value {
        None | Some(serde_json::Value::Null) => none(),
        Some(v) => {
            let text = serde_json::to_string_pretty(v).unwrap_or_default();
            view! { <pre class="json">{text}</pre> }.into_any()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_sizes_read_naturally() {
        assert_eq!(format_duration(3723), "1:02:03");
        assert_eq!(format_duration(245), "4:05");
        assert_eq!(format_size(999), "999 B");
        assert_eq!(format_size(1_500_000), "1.5 MB");
        assert_eq!(title(Some("  ")), "(no title)");
    }
}
