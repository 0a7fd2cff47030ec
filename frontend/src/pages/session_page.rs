//! The session page of one call: summary, participants with totals, invitations, media quality,
//! files sent to the chat, and the chat.

use confreports_types::{
    CallParticipants, CallSession, ChatFile, ChatMessage, Invitation, InvitationOutcome, MediaQuality,
};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_params_map;

use crate::api::{self, ApiError, segment};
use crate::auth::use_auth;
use crate::components::cells::{self, field};
use crate::components::report_states::Loaded;
use crate::pages::calls_page::mode;

#[component]
pub fn SessionPage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.with(|p| p.get("id").unwrap_or_default()));
    move || {
        let id = id.get();
        view! { <SessionView id /> }
    }
}

fn sub<T: serde::de::DeserializeOwned + 'static>(path: String) -> LocalResource<Result<T, ApiError>> {
    LocalResource::new(move || api::fetch::<T>(&path))
}

#[component]
fn SessionView(id: String) -> impl IntoView {
    let base = format!("calls/{}", segment(&id));
    let session = sub::<CallSession>(base.clone());
    let participants = sub::<CallParticipants>(format!("{base}/participants"));
    let invitations = sub::<Vec<Invitation>>(format!("{base}/invitations"));
    let media = sub::<Vec<MediaQuality>>(format!("{base}/media"));
    let files = sub::<Vec<ChatFile>>(format!("{base}/files"));
    let chat = sub::<Vec<ChatMessage>>(format!("{base}/chat"));
    let can_delete = use_auth().is_sysadmin();

    view! {
        <section class="page session-page" data-testid="session-page">
            <nav class="breadcrumbs">
                <a href="/calls">"Call history"</a>
                " / "
                <span>{id.clone()}</span>
            </nav>
            <Loaded resource=session testid="page-loading" render=Callback::new(session_summary) />
            <h2>"Participants"</h2>
            <Loaded resource=participants render=Callback::new(participants_table) />
            <h2>"Invitations"</h2>
            <Loaded resource=invitations render=Callback::new(invitations_table) />
            <h2>"Media quality"</h2>
            <Loaded resource=media render=Callback::new(media_table) />
            <h2>"Files"</h2>
            <Loaded resource=files render=Callback::new(move |f| files_table(f, can_delete, files)) />
            <h2>"Chat"</h2>
            <Loaded resource=chat render=Callback::new(chat_list) />
        </section>
    }
}

fn empty(text: &'static str) -> AnyView {
    view! { <p class="notice empty small" data-testid="section-empty">{text}</p> }.into_any()
}

fn session_summary(c: CallSession) -> AnyView {
    view! {
        <header class="page-header">
            <h1 data-testid="session-title">{cells::title(c.title.as_deref())}</h1>
            {c.ended_at.is_none().then(|| view! { <span class="badge ok">"active"</span> })}
            {c.recorded.then(|| {
                view! {
                    <a class="button" href=format!("/recordings?session={}", segment(&c.id)) data-testid="session-recordings">
                        "Recordings"
                    </a>
                }
            })}
        </header>
        <dl class="details summary-grid" data-testid="session-summary">
            {field("Session ID", cells::code(&c.id))}
            {field("Parent conference", cells::conference_link(c.conference_id.as_deref()))}
            {field("Owner", cells::user_link(Some(&c.owner)))}
            {field("Mode", mode(&c))}
            {field("Start", cells::time(c.started_at))}
            {field("End", cells::optional_time(c.ended_at))}
            {field("Duration", cells::duration(c.duration_s))}
            {field("Participants (people)", cells::number(c.participants))}
            {field("Connections", cells::number(c.connections))}
        </dl>
    }
    .into_any()
}

fn participants_table(p: CallParticipants) -> AnyView {
    if p.items.is_empty() {
        return empty("No one joined this session.");
    }
    let rows = p
        .items
        .into_iter()
        .map(|c| {
            let renames = (!c.name_changes.is_empty()).then(|| {
                view! {
                    <ul class="plain-list muted">
                        {c
                            .name_changes
                            .into_iter()
                            .map(|n| {
                                view! {
                                    <li>
                                        {cells::time(n.time)} " " {n.old_name} " → " {n.new_name}
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ul>
                }
            });
            view! {
                <tr data-testid="participant-row">
                    <td>
                        {cells::connection_link(&c.connection_id, c.display_name.clone())}
                        {c.is_guest.then(|| view! { <span class="badge">"guest"</span> })}
                        {renames}
                    </td>
                    <td>{cells::user_link(c.user_id.as_deref())}</td>
                    <td>{cells::text(c.device.as_deref())}</td>
                    <td>{cells::endpoint_link(c.endpoint_id.as_deref())}</td>
                    <td class="nowrap">{cells::time(c.joined_at)}</td>
                    <td class="nowrap">{cells::optional_time(c.left_at)}</td>
                    <td>{cells::text(c.leave_reason.as_deref())}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="table-wrap">
            <table class="report-table" data-testid="participants-table">
                <thead>
                    <tr>
                        <th scope="col">"Display name"</th>
                        <th scope="col">"User"</th>
                        <th scope="col">"Device"</th>
                        <th scope="col">"Endpoint"</th>
                        <th scope="col">"Joined"</th>
                        <th scope="col">"Left"</th>
                        <th scope="col">"Leave reason"</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
                <tfoot>
                    <tr>
                        <th scope="row" colspan="7" data-testid="participants-total">
                            {format!("Total: {} connections · {} people", p.connections, p.participants)}
                        </th>
                    </tr>
                </tfoot>
            </table>
        </div>
    }
    .into_any()
}

fn invitations_table(items: Vec<Invitation>) -> AnyView {
    if items.is_empty() {
        return empty("No invitations: everyone joined on their own.");
    }
    let rows = items
        .into_iter()
        .map(|i| {
            let outcome = match i.outcome {
                Some(InvitationOutcome::Accepted) => view! { <span class="badge ok">"accepted"</span> }.into_any(),
                Some(InvitationOutcome::Rejected) => view! { <span class="badge fail">"rejected"</span> }.into_any(),
                Some(InvitationOutcome::Missed) => view! { <span class="badge">"missed"</span> }.into_any(),
                None => cells::none(),
            };
            let inviter = if i.inviter_is_server {
                view! { <span>{i.inviter} " " <span class="badge">"server"</span></span> }.into_any()
            } else {
                cells::user_link(Some(&i.inviter))
            };
            view! {
                <tr data-testid="invitation-row">
                    <td class="nowrap">{cells::time(i.time)}</td>
                    <td>{inviter}</td>
                    <td>{cells::user_link(Some(&i.invitee))}</td>
                    <td>{outcome}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="table-wrap">
            <table class="report-table" data-testid="invitations-table">
                <thead>
                    <tr>
                        <th scope="col">"Time"</th>
                        <th scope="col">"Inviter"</th>
                        <th scope="col">"Invitee"</th>
                        <th scope="col">"Outcome"</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
    .into_any()
}

fn opt_num<T: std::fmt::Display>(v: Option<T>, unit: &'static str) -> AnyView {
    match v {
        Some(v) => view! { <span class="num">{format!("{v}{unit}")}</span> }.into_any(),
        None => cells::none(),
    }
}

fn opt_f(v: Option<f64>, unit: &'static str) -> AnyView {
    opt_num(v.map(|v| format!("{v:.1}")), unit)
}

fn media_table(items: Vec<MediaQuality>) -> AnyView {
    if items.is_empty() {
        return empty("No media statistics were reported.");
    }
    let rows = items
        .into_iter()
        .map(|m| {
            let name = m.display_name.clone().unwrap_or_else(|| m.connection_id.clone());
            view! {
                <tr data-testid="media-row">
                    <td>{cells::connection_link(&m.connection_id, name)}</td>
                    <td class="nowrap">{cells::time(m.time)}</td>
                    <td>{opt_num(m.bitrate_in_kbps, " kbit/s")}</td>
                    <td>{opt_num(m.bitrate_out_kbps, " kbit/s")}</td>
                    <td>{cells::text(m.resolution.as_deref())}</td>
                    <td>{opt_f(m.fps, "")}</td>
                    <td>{opt_f(m.packet_loss_pct, " %")}</td>
                    <td>{opt_f(m.jitter_ms, " ms")}</td>
                    <td>{opt_f(m.cpu_pct, " %")}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="table-wrap">
            <table class="report-table" data-testid="media-table">
                <thead>
                    <tr>
                        <th scope="col">"Participant"</th>
                        <th scope="col">"Time"</th>
                        <th scope="col">"Bitrate in"</th>
                        <th scope="col">"Bitrate out"</th>
                        <th scope="col">"Resolution"</th>
                        <th scope="col">"Frame rate"</th>
                        <th scope="col">"Packet loss"</th>
                        <th scope="col">"Jitter"</th>
                        <th scope="col">"CPU"</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
    .into_any()
}

fn files_table(
    items: Vec<ChatFile>,
    can_delete: bool,
    resource: LocalResource<Result<Vec<ChatFile>, ApiError>>,
) -> AnyView {
    if items.is_empty() {
        return empty("No files were sent to the chat.");
    }
    let (error, set_error) = signal(None::<String>);
    let confirming = RwSignal::new(None::<i64>);
    let rows = items
        .into_iter()
        .map(|f| {
            let id = f.id;
            let download = f.downloadable.then(|| {
                view! {
                    <a class="button small" href=api::url(&format!("files/{id}/content")) download="" data-testid="file-download">
                        "Download"
                    </a>
                }
            });
            let remove = move |_| {
                if confirming.get_untracked() != Some(id) {
                    confirming.set(Some(id));
                    return;
                }
                spawn_local(async move {
                    match api::delete(&format!("files/{id}")).await {
                        Ok(()) => resource.refetch(),
                        Err(e) => set_error.set(Some(format!("Could not delete the file: {e}"))),
                    }
                });
            };
            let delete = (can_delete && f.downloadable).then(|| {
                view! {
                    <button type="button" class="small danger" data-testid="file-delete" on:click=remove>
                        {move || if confirming.get() == Some(id) { "Really delete?" } else { "Delete" }}
                    </button>
                }
            });
            view! {
                <tr data-testid="file-row">
                    <td>{f.name} " " <span class="muted">{f.content_type}</span></td>
                    <td>{cells::size(f.size_bytes)}</td>
                    <td>{cells::user_link(Some(&f.sender))}</td>
                    <td class="nowrap">{cells::time(f.sent_at)}</td>
                    <td class="nowrap actions">
                        {download}
                        {(!f.downloadable).then(|| view! { <span class="muted">"removed from the server"</span> })}
                        {delete}
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <p class="form-error" role="alert" data-testid="file-error">{move || error.get()}</p>
        <div class="table-wrap">
            <table class="report-table" data-testid="files-table">
                <thead>
                    <tr>
                        <th scope="col">"File"</th>
                        <th scope="col">"Size"</th>
                        <th scope="col">"Sender"</th>
                        <th scope="col">"Sent"</th>
                        <th scope="col">""</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
    .into_any()
}

fn chat_list(items: Vec<ChatMessage>) -> AnyView {
    if items.is_empty() {
        return empty("No chat messages in this session.");
    }
    view! {
        <ol class="chat-log" data-testid="session-chat">
            {items
                .into_iter()
                .map(|m| {
                    view! {
                        <li class="chat-message" data-testid="chat-message">
                            <div class="chat-meta">
                                {cells::user_link(Some(&m.sender))}
                                {m.sender_name.map(|n| view! { <span class="muted">" " {n}</span> })}
                                {m.recipient.map(|r| view! { <span class="muted">" → " {r}</span> })}
                                " " {cells::time(m.time)}
                            </div>
                            <p class="message-text">{m.text}</p>
                        </li>
                    }
                })
                .collect_view()}
        </ol>
    }
    .into_any()
}
