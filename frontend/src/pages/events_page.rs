//! The Events report: sign-ins, status changes, server state, app actions, deletions.

use confreports_types::{Event, EventType};
use leptos::prelude::*;

use crate::components::cells::{self, field};
use crate::components::report::{Column, Filter, ReportPage, ReportSpec};

#[component]
pub fn EventsPage() -> impl IntoView {
    view! { <ReportPage spec=&EVENTS /> }
}

static EVENTS: ReportSpec<Event> = ReportSpec {
    title: "Events",
    api: "events",
    noun: "events",
    default_sort: "-time",
    search_placeholder: "Search user, name, IP, description…",
    date_range: true,
    filters: &[
        Filter::Chips {
            param: "type",
            label: "Event types",
            options: || EventType::ALL.iter().map(|t| (t.as_str(), t.description())).collect(),
        },
        Filter::Choice {
            param: "success",
            label: "Result",
            options: &[("", "any"), ("true", "succeeded"), ("false", "failed")],
        },
        Filter::Text { param: "user", label: "User ID", placeholder: "user ID" },
        Filter::Text { param: "ip", label: "IP", placeholder: "10.0.0.1" },
    ],
    columns: &[
        Column { header: "Time", sort: Some("time"), key: "time", class: "nowrap", cell: |e| cells::time(e.time) },
        Column {
            header: "Type",
            sort: Some("type"),
            key: "type",
            class: "",
            cell: |e| {
                let t = e.event_type;
                view! { <code title=t.description()>{t.as_str()}</code> }.into_any()
            },
        },
        Column { header: "Success", sort: None, key: "success", class: "", cell: |e| cells::yes_no(e.success) },
        Column {
            header: "User ID",
            sort: Some("user_id"),
            key: "user-id",
            class: "",
            cell: |e| cells::user_link(e.user_id.as_deref()),
        },
        Column {
            header: "Display name",
            sort: None,
            key: "display-name",
            class: "",
            cell: |e| cells::text(e.display_name.as_deref()),
        },
        Column { header: "IP", sort: Some("ip"), key: "ip", class: "nowrap", cell: |e| cells::text(e.ip.as_deref()) },
        Column {
            header: "Description",
            sort: None,
            key: "description",
            class: "wide",
            cell: |e| cells::text(e.description.as_deref()),
        },
    ],
    row_id: |e| e.id.to_string(),
    row_failed: |e| !e.success,
    details: event_details,
    actions: None,
};

fn status(code: Option<i32>) -> AnyView {
    let name = match code {
        None => return cells::none(),
        Some(-2) => "inactive",
        Some(0) => "offline",
        Some(1) => "online",
        Some(2) => "busy in a call or conference",
        Some(5) => "in a conference as its owner",
        Some(_) => "unknown",
    };
    view! { <span>{format!("{name} ({})", code.unwrap_or_default())}</span> }.into_any()
}

fn event_details(e: Event) -> AnyView {
    let users = match e.users.as_deref() {
        Some(users) if !users.is_empty() => view! {
            <ul class="plain-list">
                {users.iter().map(|u| view! { <li>{cells::user_link(Some(u))}</li> }).collect_view()}
            </ul>
        }
        .into_any(),
        _ => cells::none(),
    };
    let t = e.event_type;
    view! {
        {field("ID", cells::code(&e.id.to_string()))}
        {field("Time", cells::time(e.time))}
        {field("Type", view! { <span><code>{t.as_str()}</code> " — " {t.description()}</span> }.into_any())}
        {field("Success", cells::yes_no(e.success))}
        {field("User", cells::user_link(e.user_id.as_deref()))}
        {field("Display name", cells::text(e.display_name.as_deref()))}
        {field("Entered login", cells::text(e.entered_login.as_deref()))}
        {field("Real user", cells::user_link(e.real_user_id.as_deref()))}
        {field("IP address", cells::text(e.ip.as_deref()))}
        {field("Endpoint", cells::endpoint_link(e.endpoint_id.as_deref()))}
        {field("Application", cells::text(e.app_name.as_deref()))}
        {field("Authentication", cells::text(e.auth_method.as_deref()))}
        {field("User rights", cells::text(e.user_rights.as_deref()))}
        {field("Previous status", status(e.previous_status))}
        {field("New status", status(e.new_status))}
        {field("Description", cells::text(e.description.as_deref()))}
        {field("Administrator type", cells::text(e.admin_type.as_deref()))}
        {field("User agent", cells::text(e.user_agent.as_deref()))}
        {field("Users", users)}
        {cells::wide_field("Details", cells::json(e.details.as_ref()))}
    }
    .into_any()
}
