//! Call history: one row per conferencing session.

use confreports_types::CallSession;
use leptos::prelude::*;

use crate::api::segment;
use crate::components::cells::{self, field};
use crate::components::report::{Column, Filter, ReportPage, ReportSpec};

#[component]
pub fn CallsPage() -> impl IntoView {
    view! { <ReportPage spec=&CALLS /> }
}

static CALLS: ReportSpec<CallSession> = ReportSpec {
    title: "Call history",
    api: "calls",
    noun: "sessions",
    default_sort: "-started_at",
    search_placeholder: "Search title, owner, session ID…",
    date_range: true,
    filters: &[
        Filter::Choice {
            param: "active",
            label: "State",
            options: &[("", "any"), ("true", "active"), ("false", "ended")],
        },
        Filter::Choice {
            param: "recorded",
            label: "Recorded",
            options: &[("", "any"), ("true", "recorded"), ("false", "not recorded")],
        },
        Filter::Text { param: "owner", label: "Owner", placeholder: "user ID" },
        Filter::Text { param: "participant", label: "Participant", placeholder: "user ID" },
        Filter::Text { param: "conference", label: "Conference", placeholder: "conference ID" },
    ],
    columns: &[
        Column {
            header: "Title",
            sort: Some("title"),
            key: "title",
            class: "title-cell",
            cell: |c| {
                let href = format!("/calls/{}", segment(&c.id));
                view! {
                    <a href=href data-testid="session-link" on:click=|ev| ev.stop_propagation()>
                        {cells::title(c.title.as_deref())}
                    </a>
                }
                .into_any()
            },
        },
        Column {
            header: "Owner",
            sort: Some("owner"),
            key: "owner",
            class: "",
            cell: |c| cells::user_link(Some(&c.owner)),
        },
        Column { header: "Mode", sort: None, key: "mode", class: "", cell: |c| mode(c) },
        Column {
            header: "Start",
            sort: Some("started_at"),
            key: "started-at",
            class: "nowrap time",
            cell: |c| cells::time(c.started_at),
        },
        Column {
            header: "End",
            sort: Some("ended_at"),
            key: "ended-at",
            class: "nowrap",
            cell: |c| cells::optional_time(c.ended_at),
        },
        Column {
            header: "Duration",
            sort: Some("duration_s"),
            key: "duration",
            class: "nowrap",
            cell: |c| cells::duration(c.duration_s),
        },
        Column {
            header: "Participants",
            sort: Some("participants"),
            key: "participants",
            class: "num",
            cell: |c| cells::number(c.participants),
        },
        Column { header: "Recorded", sort: None, key: "recorded", class: "", cell: |c| cells::yes_no(c.recorded) },
    ],
    row_id: |c| c.id.clone(),
    row_failed: |_| false,
    details: call_details,
    actions: Some(|c| {
        let href = format!("/calls/{}", segment(&c.id));
        view! {
            <a class="button" href=href data-testid="open-session">
                "Open session page"
            </a>
        }
        .into_any()
    }),
};

pub fn mode(c: &CallSession) -> AnyView {
    // The server's mode may already say so.
    let text = if c.multicast && !c.mode.contains("multicast") {
        format!("{} (UDP multicast)", c.mode)
    } else {
        c.mode.clone()
    };
    view! { <span>{text}</span> }.into_any()
}

fn call_details(c: CallSession) -> AnyView {
    view! {
        {field("Session ID", cells::session_link(Some(&c.id)))}
        {field("Title", view! { <span>{cells::title(c.title.as_deref())}</span> }.into_any())}
        {field("Parent conference", cells::conference_link(c.conference_id.as_deref()))}
        {field("Owner", cells::user_link(Some(&c.owner)))}
        {field("Mode", mode(&c))}
        {field("Start", cells::time(c.started_at))}
        {field("End", cells::optional_time(c.ended_at))}
        {field("Duration", cells::duration(c.duration_s))}
        {field("Participants (people)", cells::number(c.participants))}
        {field("Connections", cells::number(c.connections))}
        {field("Recorded", cells::yes_no(c.recorded))}
    }
    .into_any()
}
