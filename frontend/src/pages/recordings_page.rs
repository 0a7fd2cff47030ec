//! Conference recordings: play, download, delete.

use confreports_types::Recording;
use leptos::prelude::*;

use crate::api::{self, segment};
use crate::auth::use_auth;
use crate::components::cells::{self, field};
use crate::components::report::{Column, Filter, ReportPage, ReportSpec};
use crate::pages::player_page::DeleteRecording;

#[component]
pub fn RecordingsPage() -> impl IntoView {
    view! { <ReportPage spec=&RECORDINGS /> }
}

static RECORDINGS: ReportSpec<Recording> = ReportSpec {
    title: "Recordings",
    api: "recordings",
    noun: "recordings",
    default_sort: "-started_at",
    search_placeholder: "Search title, owner…",
    date_range: true,
    filters: &[
        Filter::Text { param: "owner", label: "Owner", placeholder: "user ID" },
        Filter::Text { param: "session", label: "Session", placeholder: "session ID" },
        Filter::Text { param: "conference", label: "Conference", placeholder: "conference ID" },
    ],
    columns: &[
        Column {
            header: "Title",
            sort: Some("title"),
            key: "title",
            class: "",
            cell: |r| {
                let href = format!("/recordings/{}", r.id);
                view! {
                    <a href=href data-testid="play-link" on:click=|ev| ev.stop_propagation()>
                        {cells::title(r.title.as_deref())}
                    </a>
                }
                .into_any()
            },
        },
        Column {
            header: "Session",
            sort: None,
            key: "session",
            class: "nowrap",
            cell: |r| cells::session_link(Some(&r.session_id)),
        },
        Column {
            header: "Conference",
            sort: None,
            key: "conference",
            class: "nowrap",
            cell: |r| cells::conference_link(r.conference_id.as_deref()),
        },
        Column { header: "Owner", sort: None, key: "owner", class: "", cell: |r| cells::user_link(Some(&r.owner)) },
        Column {
            header: "Start",
            sort: Some("started_at"),
            key: "started-at",
            class: "nowrap time",
            cell: |r| cells::time(r.started_at),
        },
        Column {
            header: "Duration",
            sort: Some("duration_s"),
            key: "duration",
            class: "nowrap",
            cell: |r| cells::duration(Some(r.duration_s)),
        },
        Column {
            header: "Size",
            sort: Some("size_bytes"),
            key: "size",
            class: "nowrap",
            cell: |r| cells::size(r.size_bytes),
        },
    ],
    row_id: |r| r.id.to_string(),
    row_failed: |r| !r.has_media,
    details: recording_details,
    actions: Some(|r| recording_actions(r.id, r.has_media)),
};

/// Play, download and (for a sysadmin) delete one recording.
pub fn recording_actions(id: i64, has_media: bool) -> AnyView {
    let download = api::url(&format!("recordings/{id}/download"));
    let can_delete = use_auth().is_sysadmin();
    view! {
        <a class="button primary" href=format!("/recordings/{id}") data-testid="play-recording">
            "▶ Play"
        </a>
        {has_media
            .then(|| {
                view! {
                    <a class="button" href=download download="" data-testid="download-recording">
                        "Download"
                    </a>
                }
            })}
        {can_delete.then(|| view! { <DeleteRecording id /> })}
    }
    .into_any()
}

fn recording_details(r: Recording) -> AnyView {
    view! {
        {field("ID", cells::code(&r.id.to_string()))}
        {field("Title", view! { <span>{cells::title(r.title.as_deref())}</span> }.into_any())}
        {field("Session", cells::session_link(Some(&r.session_id)))}
        {field("Parent conference", cells::conference_link(r.conference_id.as_deref()))}
        {field("Owner", cells::user_link(Some(&r.owner)))}
        {field("Start", cells::time(r.started_at))}
        {field("Duration", cells::duration(Some(r.duration_s)))}
        {field("Size", cells::size(r.size_bytes))}
        {field(
            "Media file",
            if r.has_media { cells::yes_no(true) } else { view! { <span>"not uploaded"</span> }.into_any() },
        )}
        {field("Links", view! { <a href=format!("/calls/{}", segment(&r.session_id))>"Session page"</a> }.into_any())}
    }
    .into_any()
}
