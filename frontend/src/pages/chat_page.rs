//! Chat messages, personal and group, newest first.

use confreports_types::ChatMessage;
use leptos::prelude::*;

use crate::components::cells::{self, field};
use crate::components::report::{Column, Filter, ReportPage, ReportSpec};

#[component]
pub fn ChatPage() -> impl IntoView {
    view! { <ReportPage spec=&CHAT /> }
}

static CHAT: ReportSpec<ChatMessage> = ReportSpec {
    title: "Chat messages",
    api: "chat-messages",
    noun: "messages",
    default_sort: "-time",
    search_placeholder: "Search message text…",
    date_range: true,
    filters: &[
        Filter::Text { param: "sender", label: "Sender", placeholder: "user ID" },
        Filter::Text { param: "recipient", label: "Recipient", placeholder: "user ID" },
        Filter::Text { param: "session", label: "Session", placeholder: "session ID" },
    ],
    columns: &[
        Column { header: "Time", sort: Some("time"), key: "time", class: "nowrap", cell: |m| cells::time(m.time) },
        Column { header: "Sender", sort: Some("sender"), key: "sender", class: "", cell: |m| sender(m) },
        Column {
            header: "Recipient",
            sort: Some("recipient"),
            key: "recipient",
            class: "",
            cell: |m| cells::user_link(m.recipient.as_deref()),
        },
        Column {
            header: "Session",
            sort: None,
            key: "session",
            class: "nowrap",
            cell: |m| cells::session_link(m.session_id.as_deref()),
        },
        Column { header: "Message", sort: None, key: "text", class: "wide", cell: |m| cells::text(Some(&m.text)) },
    ],
    row_id: |m| m.id.to_string(),
    row_failed: |_| false,
    details: chat_details,
    actions: None,
};

fn sender(m: &ChatMessage) -> AnyView {
    view! {
        <span>
            {cells::user_link(Some(&m.sender))}
            {m.sender_name.clone().map(|n| view! { <span class="muted">" " {n}</span> })}
        </span>
    }
    .into_any()
}

fn chat_details(m: ChatMessage) -> AnyView {
    view! {
        {field("ID", cells::code(&m.id.to_string()))}
        {field("Time", cells::time(m.time))}
        {field("Sender", cells::user_link(Some(&m.sender)))}
        {field("Sender name", cells::text(m.sender_name.as_deref()))}
        {field("Recipient", cells::user_link(m.recipient.as_deref()))}
        {field("Session", cells::session_link(m.session_id.as_deref()))}
        {field("Message", view! { <p class="message-text">{m.text}</p> }.into_any())}
    }
    .into_any()
}
