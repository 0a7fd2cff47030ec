//! Configuration changes: who changed which object, before -> after per parameter.

use confreports_types::ConfigChange;
use leptos::prelude::*;

use crate::components::cells::{self, field};
use crate::components::report::{Column, Filter, ReportPage, ReportSpec};

#[component]
pub fn ConfigChangesPage() -> impl IntoView {
    view! { <ReportPage spec=&CONFIG_CHANGES /> }
}

static CONFIG_CHANGES: ReportSpec<ConfigChange> = ReportSpec {
    title: "Configuration changes",
    api: "config-changes",
    noun: "changes",
    default_sort: "-time",
    search_placeholder: "Search actor, object, values…",
    date_range: true,
    filters: &[
        Filter::Text { param: "actor", label: "Actor", placeholder: "admin or app" },
        Filter::Text { param: "object", label: "Object", placeholder: "object" },
        Filter::Text { param: "parameter", label: "Parameter", placeholder: "topic" },
    ],
    columns: &[
        Column { header: "Time", sort: Some("time"), key: "time", class: "nowrap", cell: |c| cells::time(c.time) },
        Column {
            header: "Actor",
            sort: Some("actor"),
            key: "actor",
            class: "",
            cell: |c| {
                view! {
                    <span>{c.actor.clone()} " " <span class="badge">{c.actor_type.as_str()}</span></span>
                }
                .into_any()
            },
        },
        Column {
            header: "Object",
            sort: Some("object"),
            key: "object",
            class: "",
            cell: |c| {
                view! { <span>{c.object.clone()} " " <span class="muted">{c.object_type.clone()}</span></span> }
                    .into_any()
            },
        },
        Column {
            header: "Parameters",
            sort: None,
            key: "parameters",
            class: "wide",
            cell: |c| {
                let names = c.changes.iter().map(|p| p.parameter.as_str()).collect::<Vec<_>>().join(", ");
                view! { <code>{names}</code> }.into_any()
            },
        },
    ],
    row_id: |c| c.id.to_string(),
    row_failed: |_| false,
    details: change_details,
    actions: None,
};

fn value(v: Option<String>) -> AnyView {
    match v {
        Some(v) => view! { <code class="value">{v}</code> }.into_any(),
        None => cells::none(),
    }
}

fn change_details(c: ConfigChange) -> AnyView {
    let changes = view! {
        <table class="diff-table" data-testid="config-diff">
            <thead>
                <tr>
                    <th scope="col">"Parameter"</th>
                    <th scope="col">"Before"</th>
                    <th scope="col" aria-hidden="true"></th>
                    <th scope="col">"After"</th>
                </tr>
            </thead>
            <tbody>
                {c
                    .changes
                    .into_iter()
                    .map(|p| {
                        view! {
                            <tr data-testid="config-diff-row">
                                <th scope="row"><code>{p.parameter}</code></th>
                                <td class="before">{value(p.before)}</td>
                                <td class="arrow" aria-label="changed to">"→"</td>
                                <td class="after">{value(p.after)}</td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    };
    view! {
        {field("ID", cells::code(&c.id.to_string()))}
        {field("Time", cells::time(c.time))}
        {field("Actor", view! { <span>{c.actor} " (" {c.actor_type.as_str()} ")"</span> }.into_any())}
        {field("Object", view! { <span>{c.object} " (" {c.object_type} ")"</span> }.into_any())}
        {cells::wide_field("Changes", changes.into_any())}
    }
    .into_any()
}
