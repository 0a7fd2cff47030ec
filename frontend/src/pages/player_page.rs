//! The recording player: the video (streamed from the API with HTTP Range) beside the chat of
//! its session. The message of the moment is highlighted and kept in view as the video plays;
//! clicking a message seeks to it; the chat can be searched; speeds 0.5x to 2x; keyboard
//! shortcuts (`?` lists them); `?t=<seconds>` opens at a moment.

use confreports_types::{Recording, RecordingChatMessage};
use leptos::ev;
use leptos::html;
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};
use wasm_bindgen::JsCast;

use crate::api::{self, ApiError};
use crate::auth::use_auth;
use crate::components::cells::{self, field, format_duration};
use crate::components::report_states::Loaded;

const SPEEDS: [f64; 6] = [0.5, 0.75, 1.0, 1.25, 1.5, 2.0];
const SKIP_S: f64 = 5.0;

#[component]
pub fn PlayerPage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.with(|p| p.get("id").and_then(|id| id.parse::<i64>().ok())));
    move || match id.get() {
        Some(id) => view! { <Player id /> }.into_any(),
        None => view! {
            <div class="notice error" role="alert" data-testid="report-error">
                "No such recording."
            </div>
        }
        .into_any(),
    }
}

#[component]
fn Player(id: i64) -> impl IntoView {
    let recording = LocalResource::new(move || api::fetch::<Recording>(&format!("recordings/{id}")));
    let chat: LocalResource<Result<Vec<RecordingChatMessage>, ApiError>> =
        LocalResource::new(move || api::fetch::<Vec<RecordingChatMessage>>(&format!("recordings/{id}/chat")));
    let can_delete = use_auth().is_sysadmin();
    let query = use_query_map();
    let start_at = query.with_untracked(|q| q.get("t").and_then(|t| t.parse::<f64>().ok())).filter(|t| *t >= 0.0);

    let video = NodeRef::<html::Video>::new();
    let chat_box = NodeRef::<html::Ol>::new();
    let (now_ms, set_now_ms) = signal(0i64);
    let (speed, set_speed) = signal(1.0f64);
    let (search, set_search) = signal(String::new());
    let help_open = RwSignal::new(false);

    // Messages sent before the recording started or after it ended are shown, dimmed.
    let duration_ms = Memo::new(move |_| recording.get().and_then(Result::ok).map(|r| r.duration_s * 1000));
    // The messages, once loaded (empty until then or on error).
    let messages = Memo::new(move |_| chat.get().and_then(Result::ok).unwrap_or_default());
    // The message of the moment: the last one sent at or before the current time.
    let current = Memo::new(move |_| {
        let now = now_ms.get();
        messages.with(|m| m.iter().rposition(|c| c.offset_ms <= now))
    });

    // Keep the current message in view inside the chat column (not by scrolling the page).
    Effect::new(move |_| {
        let Some(index) = current.get() else { return };
        let Some(list) = chat_box.get() else { return };
        let Ok(Some(item)) = list.query_selector(&format!("[data-index=\"{index}\"]")) else { return };
        let Ok(item) = item.dyn_into::<web_sys::HtmlElement>() else { return };
        // The list is positioned, so an item's offsetTop is measured from the list's top.
        let top = item.offset_top() - list.client_height() / 2 + item.client_height() / 2;
        list.set_scroll_top(top.max(0));
    });

    let seek = move |seconds: f64| {
        if let Some(v) = video.get_untracked() {
            let duration = v.duration();
            let to = if duration.is_finite() { seconds.clamp(0.0, duration) } else { seconds.max(0.0) };
            v.set_current_time(to);
            set_now_ms.set((to * 1000.0) as i64);
        }
    };
    let toggle_play = move || {
        if let Some(v) = video.get_untracked() {
            if v.paused() {
                let _ = v.play();
            } else {
                let _ = v.pause();
            }
        }
    };
    let set_rate = move |rate: f64| {
        set_speed.set(rate);
        if let Some(v) = video.get_untracked() {
            v.set_playback_rate(rate);
        }
    };

    let keys = window_event_listener(ev::keydown, move |e: web_sys::KeyboardEvent| {
        // Typing in the search box or a control is not a shortcut.
        let in_field = e
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .is_some_and(|el| matches!(el.tag_name().as_str(), "INPUT" | "SELECT" | "TEXTAREA" | "BUTTON"));
        if in_field || e.ctrl_key() || e.meta_key() || e.alt_key() {
            return;
        }
        let now = now_ms.get_untracked() as f64 / 1000.0;
        match e.key().as_str() {
            " " | "k" => toggle_play(),
            "ArrowLeft" | "j" => seek(now - SKIP_S),
            "ArrowRight" | "l" => seek(now + SKIP_S),
            "ArrowUp" => {
                let i = current.get_untracked().map_or(0, |i| i.saturating_sub(1));
                if let Some(m) = messages.with_untracked(|m| m.get(i).map(|m| m.offset_ms)) {
                    seek(m as f64 / 1000.0);
                }
            }
            "ArrowDown" => {
                let i = current.get_untracked().map_or(0, |i| i + 1);
                if let Some(m) = messages.with_untracked(|m| m.get(i).map(|m| m.offset_ms)) {
                    seek(m as f64 / 1000.0);
                }
            }
            ">" => {
                let next = SPEEDS.iter().copied().find(|s| *s > speed.get_untracked()).unwrap_or(2.0);
                set_rate(next);
            }
            "<" => {
                let prev = SPEEDS.iter().rev().copied().find(|s| *s < speed.get_untracked()).unwrap_or(0.5);
                set_rate(prev);
            }
            "?" => help_open.update(|o| *o = !*o),
            "Escape" => help_open.set(false),
            _ => return,
        }
        e.prevent_default();
    });
    on_cleanup(move || keys.remove());

    let moment_link = move || format!("/recordings/{id}?t={}", now_ms.get() / 1000);
    let media = api::url(&format!("recordings/{id}/media"));

    let chat_view = move |items: Vec<RecordingChatMessage>| -> AnyView {
        if items.is_empty() {
            return view! { <p class="notice empty small" data-testid="player-chat-empty">"No chat in this session."</p> }
                .into_any();
        }
        let rows = items
            .into_iter()
            .enumerate()
            .map(|(index, m)| {
                let offset = m.offset_ms;
                let text = m.message.text.clone();
                let haystack =
                    format!("{} {} {}", m.message.sender, m.message.sender_name.clone().unwrap_or_default(), text)
                        .to_lowercase();
                let matches =
                    move || search.with(|s| s.trim().is_empty() || haystack.contains(&s.trim().to_lowercase()));
                view! {
                    <li
                        class="chat-message seekable"
                        class:current=move || current.get() == Some(index)
                        class:outside=move || offset < 0 || duration_ms.get().is_some_and(|d| offset > d)
                        data-index=index
                        data-offset-ms=offset
                        data-testid="player-message"
                        hidden=move || !matches()
                        tabindex="0"
                        on:click=move |_| seek(offset as f64 / 1000.0)
                        on:keydown=move |e| {
                            if e.key() == "Enter" {
                                seek(offset as f64 / 1000.0)
                            }
                        }
                    >
                        <div class="chat-meta">
                            <span class="offset num">{format_duration(offset / 1000)}</span>
                            " "
                            <strong>{m.message.sender_name.clone().unwrap_or_else(|| m.message.sender.clone())}</strong>
                        </div>
                        <p class="message-text">{text}</p>
                    </li>
                }
            })
            .collect_view();
        view! { {rows} }.into_any()
    };

    let header = move |r: Recording| -> AnyView {
        view! {
            <header class="page-header">
                <h1 data-testid="player-title">{cells::title(r.title.as_deref())}</h1>
                <a class="button" href=api::url(&format!("recordings/{}/download", r.id)) download="" data-testid="download-recording">
                    "Download"
                </a>
                {can_delete.then(|| view! { <DeleteRecording id=r.id /> })}
            </header>
            <dl class="details summary-grid compact">
                {field("Session", cells::session_link(Some(&r.session_id)))}
                {field("Conference", cells::conference_link(r.conference_id.as_deref()))}
                {field("Owner", cells::user_link(Some(&r.owner)))}
                {field("Start", cells::time(r.started_at))}
                {field("Duration", cells::duration(Some(r.duration_s)))}
                {field("Size", cells::size(r.size_bytes))}
            </dl>
        }
        .into_any()
    };

    view! {
        <section class="page player-page" data-testid="player-page">
            <nav class="breadcrumbs">
                <a href="/recordings">"Recordings"</a>
                " / "
                {id}
            </nav>
            <Loaded resource=recording testid="page-loading" render=Callback::new(header) />
            <div class="player">
                <div class="player-video">
                    <video
                        node_ref=video
                        src=media
                        controls
                        preload="metadata"
                        data-testid="player-video"
                        on:timeupdate=move |_| {
                            if let Some(v) = video.get_untracked() {
                                set_now_ms.set((v.current_time() * 1000.0) as i64);
                            }
                        }
                        on:seeked=move |_| {
                            if let Some(v) = video.get_untracked() {
                                set_now_ms.set((v.current_time() * 1000.0) as i64);
                            }
                        }
                        on:loadedmetadata=move |_| {
                            if let Some(t) = start_at {
                                seek(t);
                            }
                            if let Some(v) = video.get_untracked() {
                                v.set_playback_rate(speed.get_untracked());
                            }
                        }
                    ></video>
                    <div class="player-controls">
                        <label class="inline-field">
                            <span>"Speed"</span>
                            <select
                                data-testid="player-speed"
                                prop:value=move || speed.get().to_string()
                                on:change=move |e| {
                                    if let Ok(rate) = event_target_value(&e).parse::<f64>() {
                                        set_rate(rate);
                                    }
                                }
                            >
                                {SPEEDS
                                    .iter()
                                    .map(|&s| {
                                        view! {
                                            <option value=s.to_string() selected=move || speed.get() == s>
                                                {format!("{s}×")}
                                            </option>
                                        }
                                    })
                                    .collect_view()}
                            </select>
                        </label>
                        <span class="num muted" data-testid="player-time">{move || format_duration(now_ms.get() / 1000)}</span>
                        <a href=moment_link data-testid="moment-link" title="A link to this moment of the recording">
                            "Link to this moment"
                        </a>
                        <button
                            type="button"
                            class="link-button"
                            data-testid="shortcuts-open"
                            on:click=move |_| help_open.set(true)
                        >
                            "Keyboard shortcuts (?)"
                        </button>
                    </div>
                </div>
                <aside class="player-chat" aria-label="Chat of the session">
                    <input
                        type="search"
                        placeholder="Search the chat"
                        aria-label="Search the chat"
                        data-testid="player-chat-search"
                        prop:value=move || search.get()
                        on:input=move |e| set_search.set(event_target_value(&e))
                    />
                    <ol class="chat-log scroll" node_ref=chat_box data-testid="player-chat">
                        <Loaded resource=chat render=Callback::new(chat_view) />
                    </ol>
                </aside>
            </div>
            <Show when=move || help_open.get()>
                <div class="overlay" role="dialog" aria-modal="true" aria-labelledby="shortcuts-title" data-testid="shortcuts-help">
                    <div class="overlay-card">
                        <h2 id="shortcuts-title">"Keyboard shortcuts"</h2>
                        <dl class="shortcuts">
                            <dt><kbd>"Space"</kbd></dt><dd>"Play / pause"</dd>
                            <dt><kbd>"←"</kbd> " " <kbd>"→"</kbd></dt><dd>"Back / forward 5 seconds"</dd>
                            <dt><kbd>"↑"</kbd> " " <kbd>"↓"</kbd></dt><dd>"Previous / next chat message"</dd>
                            <dt><kbd>"<"</kbd> " " <kbd>">"</kbd></dt><dd>"Slower / faster"</dd>
                            <dt><kbd>"?"</kbd></dt><dd>"Show / hide this help"</dd>
                        </dl>
                        <div class="dialog-actions">
                            <button type="button" data-testid="shortcuts-close" on:click=move |_| help_open.set(false)>
                                "Close"
                            </button>
                        </div>
                    </div>
                </div>
            </Show>
        </section>
    }
}

/// Deletes the recording (sysadmin only) after a second click, then goes back to the list.
#[component]
pub fn DeleteRecording(id: i64) -> impl IntoView {
    let confirming = RwSignal::new(false);
    let (error, set_error) = signal(None::<String>);
    let navigate = leptos_router::hooks::use_navigate();
    let click = move |_| {
        if !confirming.get_untracked() {
            confirming.set(true);
            return;
        }
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            match api::delete(&format!("recordings/{id}")).await {
                Ok(()) => navigate("/recordings", Default::default()),
                Err(e) => set_error.set(Some(format!("Could not delete: {e}"))),
            }
        });
    };
    view! {
        <button type="button" class="danger" data-testid="delete-recording" on:click=click>
            {move || if confirming.get() { "Really delete?" } else { "Delete" }}
        </button>
        <span class="form-error" role="alert">{move || error.get()}</span>
    }
}
