//! Endpoints: one row per device connection, with a quick search across every field.

use confreports_types::{Endpoint, EndpointType};
use leptos::prelude::*;

use crate::components::cells::{self, field};
use crate::components::report::{Column, Filter, ReportPage, ReportSpec};

#[component]
pub fn EndpointsPage() -> impl IntoView {
    view! { <ReportPage spec=&ENDPOINTS /> }
}

static ENDPOINTS: ReportSpec<Endpoint> = ReportSpec {
    title: "Endpoints",
    api: "endpoints",
    noun: "endpoints",
    default_sort: "-last_seen",
    search_placeholder: "Quick search: words in any field (\"webclient guest\")",
    date_range: true,
    filters: &[
        Filter::Chips {
            param: "type",
            label: "Type",
            options: || EndpointType::ALL.iter().map(|t| (t.as_str(), t.as_str())).collect(),
        },
        Filter::Choice {
            param: "older_than_days",
            label: "Not seen for",
            options: &[
                ("", "any time"),
                ("30", "30 days"),
                ("90", "90 days"),
                ("180", "180 days"),
                ("365", "365 days"),
                ("retention", "the retention setting"),
            ],
        },
        Filter::Text { param: "user", label: "User", placeholder: "user ID" },
        Filter::Text { param: "app", label: "Application", placeholder: "app" },
    ],
    columns: &[
        Column { header: "Endpoint ID", sort: None, key: "id", class: "nowrap", cell: |e| cells::code(&e.id) },
        Column {
            header: "User",
            sort: Some("user_id"),
            key: "user",
            class: "",
            cell: |e| cells::user_link(e.user_id.as_deref()),
        },
        Column {
            header: "Application",
            sort: Some("app"),
            key: "app",
            class: "",
            cell: |e| {
                let text = match (&e.app, &e.app_version) {
                    (Some(a), Some(v)) => Some(format!("{a} {v}")),
                    (Some(a), None) => Some(a.clone()),
                    _ => None,
                };
                cells::text(text.as_deref())
            },
        },
        Column { header: "Type", sort: None, key: "type", class: "", cell: |e| cells::code(e.endpoint_type.as_str()) },
        Column { header: "OS", sort: None, key: "os", class: "", cell: |e| cells::text(e.os.as_deref()) },
        Column { header: "IP", sort: Some("ip"), key: "ip", class: "nowrap", cell: |e| cells::text(e.ip.as_deref()) },
        Column {
            header: "Last seen",
            sort: Some("last_seen"),
            key: "last-seen",
            class: "nowrap time",
            cell: |e| cells::time(e.last_seen),
        },
    ],
    row_id: |e| e.id.clone(),
    row_failed: |_| false,
    details: endpoint_details,
    actions: None,
};

fn endpoint_details(e: Endpoint) -> AnyView {
    view! {
        {field("Endpoint ID", cells::code(&e.id))}
        {field("User", cells::user_link(e.user_id.as_deref()))}
        {field("Application", cells::text(e.app.as_deref()))}
        {field("Version", cells::text(e.app_version.as_deref()))}
        {field("Type", cells::code(e.endpoint_type.as_str()))}
        {field("OS", cells::text(e.os.as_deref()))}
        {field("CPU", cells::text(e.cpu.as_deref()))}
        {field("IP", cells::text(e.ip.as_deref()))}
        {field("Last conference", cells::text(e.last_conference.as_deref()))}
        {field("Network test", cells::text(e.network_test.as_deref()))}
        {cells::wide_field("System information", view! { <pre class="json">{e.system_info.unwrap_or_default()}</pre> }.into_any())}
        {field("First seen", cells::time(e.first_seen))}
        {field("Last seen", cells::time(e.last_seen))}
    }
    .into_any()
}
