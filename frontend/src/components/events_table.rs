use chrono::{DateTime, Utc};
use confreports_types::Event;
use leptos::prelude::*;

use crate::auth::use_auth;
use crate::time_format::format_time;

/// The rows of one page of the Events report; the Time header toggles the sort.
#[component]
pub fn EventsTable(
    events: Vec<Event>,
    /// The sort in force (`-time`, `time`, ...).
    #[prop(into)]
    sort: Signal<String>,
    on_toggle_time_sort: Callback<()>,
) -> impl IntoView {
    let preferences = use_auth().preferences;
    let time_zone = move || preferences.with(|p| p.time_zone.clone());
    let time_sort = move || match sort.get().as_str() {
        "-time" => Some(("descending", "▼")),
        "time" => Some(("ascending", "▲")),
        _ => None,
    };

    view! {
        <div class="table-wrap">
            <table class="report-table" data-testid="events-table">
                <thead>
                    <tr>
                        <th
                            scope="col"
                            aria-sort=move || time_sort().map_or("none", |(aria, _)| aria)
                        >
                            <button
                                type="button"
                                class="sort"
                                data-testid="sort-time"
                                title="Sort by time"
                                on:click=move |_| on_toggle_time_sort.run(())
                            >
                                "Time"
                                <span class="tz-label" data-testid="time-zone-label">
                                    {time_zone}
                                </span>
                                <span class="sort-mark" aria-hidden="true">
                                    {move || time_sort().map_or("", |(_, mark)| mark)}
                                </span>
                            </button>
                        </th>
                        <th scope="col">"Type"</th>
                        <th scope="col">"Success"</th>
                        <th scope="col">"User ID"</th>
                        <th scope="col">"Display name"</th>
                        <th scope="col">"IP"</th>
                        <th scope="col">"Description"</th>
                    </tr>
                </thead>
                <tbody>
                    {events.into_iter().map(|event| view! { <EventRow event /> }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

#[component]
fn EventRow(event: Event) -> impl IntoView {
    let event_type = event.event_type;
    let preferences = use_auth().preferences;
    let time = event.time;
    let shown = move || preferences.with(|p| format_time(time, &p.time_zone, p.date_format));
    view! {
        <tr data-testid="event-row" data-event-id=event.id class:failed=!event.success>
            <td class="nowrap" data-testid="event-time">
                <time datetime=event.time.to_rfc3339() title=utc_title(event.time)>
                    {shown}
                </time>
            </td>
            <td data-testid="event-type">
                <code title=event_type.description()>{event_type.as_str()}</code>
            </td>
            <td data-testid="event-success">
                {if event.success {
                    view! { <span class="badge ok">"yes"</span> }
                } else {
                    view! { <span class="badge fail">"no"</span> }
                }}
            </td>
            <td data-testid="event-user-id">{optional(event.user_id)}</td>
            <td data-testid="event-display-name">{optional(event.display_name)}</td>
            <td class="nowrap" data-testid="event-ip">{optional(event.ip)}</td>
            <td class="wide" data-testid="event-description">{optional(event.description)}</td>
        </tr>
    }
}

fn utc_title(time: DateTime<Utc>) -> String {
    time.format("%Y-%m-%d %H:%M:%S%.3f UTC").to_string()
}

fn optional(value: Option<String>) -> impl IntoView {
    match value {
        Some(v) if !v.is_empty() => view! { <span>{v}</span> }.into_any(),
        _ => view! { <span class="none" aria-label="none">"—"</span> }.into_any(),
    }
}
