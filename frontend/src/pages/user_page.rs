//! The user page: the profile and the user's activity across the reports.

use confreports_types::UserProfile;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::api::{self, segment};
use crate::components::cells::{self, field};
use crate::components::report_states::Loaded;

#[component]
pub fn UserPage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.with(|p| p.get("id").unwrap_or_default()));
    let profile = LocalResource::new(move || api::fetch::<UserProfile>(&format!("users/{}", segment(&id.get()))));
    view! {
        <section class="page" data-testid="user-page">
            <Loaded resource=profile testid="page-loading" render=Callback::new(profile_view) />
        </section>
    }
}

/// The web app's page of a report list the API names (`/api/v1/events?user=...` -> `/?user=...`).
fn app_list(api_list: &str, page: &str) -> String {
    let query = api_list.split_once('?').map(|(_, q)| q).unwrap_or_default();
    format!("{page}?{query}")
}

fn section(title: &'static str, count: u64, list: String, testid: &'static str, body: AnyView) -> AnyView {
    view! {
        <section class="activity" data-testid=testid>
            <header>
                <h2>{title} " " <span class="muted">{format!("({count})")}</span></h2>
                <a href=list data-testid=format!("{testid}-all")>"All in the report →"</a>
            </header>
            {if count == 0 { view! { <p class="muted">"None."</p> }.into_any() } else { body }}
        </section>
    }
    .into_any()
}

fn profile_view(p: UserProfile) -> AnyView {
    let u = p.user;
    let events = view! {
        <ul class="activity-list">
            {p.events.latest.into_iter().map(|e| view! {
                <li>{cells::time(e.time)} " " <code>{e.event_type.as_str()}</code> " " {cells::yes_no(e.success)}
                    " " <a href=format!("/?selected={}", e.id)>"details"</a></li>
            }).collect_view()}
        </ul>
    }
    .into_any();
    let calls = view! {
        <ul class="activity-list">
            {p.calls.latest.into_iter().map(|c| view! {
                <li>{cells::time(c.started_at)} " "
                    <a href=format!("/calls/{}", segment(&c.session_id))>{cells::title(c.title.as_deref())}</a>
                    {c.is_owner.then(|| view! { " " <span class="badge">"owner"</span> })}</li>
            }).collect_view()}
        </ul>
    }
    .into_any();
    let chats = view! {
        <ul class="activity-list">
            {p.chat_messages.latest.into_iter().map(|m| view! {
                <li>{cells::time(m.time)} " " <span class="muted">{m.sender}</span> " " {m.text}</li>
            }).collect_view()}
        </ul>
    }
    .into_any();
    let endpoints = view! {
        <ul class="activity-list">
            {p.endpoints.latest.into_iter().map(|e| {
                let label = format!("{} {} {}", e.endpoint_type, e.app.unwrap_or_default(), e.app_version.unwrap_or_default());
                view! {
                    <li>{cells::endpoint_link(Some(&e.id))} " " {label} " " <span class="muted">{e.os.unwrap_or_default()}</span>
                        " " {cells::time(e.last_seen)}</li>
                }
            }).collect_view()}
        </ul>
    }
    .into_any();
    view! {
        <header class="page-header">
            <h1 data-testid="user-name">{u.display_name.clone()}</h1>
            {u.is_guest.then(|| view! { <span class="badge">"guest"</span> })}
        </header>
        <dl class="details summary-grid">
            {field("User ID", cells::code(&u.id))}
            {field("E-mail", cells::text(u.email.as_deref()))}
            {field("Department", cells::text(u.department.as_deref()))}
            {field("Account created", cells::time(u.created_at))}
        </dl>
        <div class="activity-grid">
            {section("Events", p.events.count, app_list(&p.events.list, "/"), "user-events", events)}
            {section("Calls", p.calls.count, app_list(&p.calls.list, "/calls"), "user-calls", calls)}
            {section("Chat messages", p.chat_messages.count, app_list(&p.chat_messages.list, "/chat"), "user-chats", chats)}
            {section("Endpoints", p.endpoints.count, app_list(&p.endpoints.list, "/endpoints"), "user-endpoints", endpoints)}
        </div>
    }
    .into_any()
}
