//! Call history: one row per conferencing session, and the session page (participants and their
//! connections, invitations, media quality, files, chat, connection properties).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{Direction, Sort, SortField, SortKind};

/// An entry of the call history: one conferencing session. Each start of the same conference
/// is a session of its own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "id": "sess-00412", "title": "Планёрка отдела продаж #2", "conference_id": "conf-0002",
    "owner": "user014@corp.example", "mode": "symmetric", "multicast": false,
    "started_at": "2026-11-24T09:00:00Z", "ended_at": "2026-11-24T09:47:12Z", "duration_s": 2832,
    "participants": 7, "connections": 9, "recorded": true
})))]
pub struct CallSession {
    /// Session ID.
    pub id: String,
    /// Null for point-to-point calls (shown as "(no title)").
    pub title: Option<String>,
    /// The server-side conference this session is a start of; null for ad hoc sessions and calls.
    pub conference_id: Option<String>,
    /// User ID of the owner.
    pub owner: String,
    /// `p2p`, `symmetric`, `role_based`, `lecture`, ...
    pub mode: String,
    /// Whether media went by UDP multicast.
    pub multicast: bool,
    pub started_at: DateTime<Utc>,
    /// Null while the session is active.
    pub ended_at: Option<DateTime<Utc>>,
    /// Null while the session is active.
    pub duration_s: Option<i64>,
    /// Distinct people: a user counts once however often they connected; a guest counts once
    /// per application or browser instance, even under a new display name.
    pub participants: i64,
    /// Connections, reconnections included.
    pub connections: i64,
    /// Whether the server recorded the session.
    pub recorded: bool,
}

/// Sort fields of the call history.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CallSort {
    StartedAt,
    /// Active sessions come after every ended one (ascending), before them (descending).
    EndedAt,
    /// Active sessions come after every ended one (ascending), before them (descending).
    DurationS,
    Participants,
    Owner,
    /// Point-to-point calls (no title) sort as the empty title.
    Title,
}

impl SortField for CallSort {
    const ALL: &'static [Self] = &[
        CallSort::StartedAt,
        CallSort::EndedAt,
        CallSort::DurationS,
        CallSort::Participants,
        CallSort::Owner,
        CallSort::Title,
    ];
    const DEFAULT: Sort<Self> = Sort { field: CallSort::StartedAt, direction: Direction::Desc };

    fn name(self) -> &'static str {
        match self {
            CallSort::StartedAt => "started_at",
            CallSort::EndedAt => "ended_at",
            CallSort::DurationS => "duration_s",
            CallSort::Participants => "participants",
            CallSort::Owner => "owner",
            CallSort::Title => "title",
        }
    }

    fn kind(self) -> SortKind {
        match self {
            CallSort::StartedAt | CallSort::EndedAt => SortKind::Time,
            CallSort::DurationS | CallSort::Participants => SortKind::Int,
            CallSort::Owner | CallSort::Title => SortKind::Text,
        }
    }
}

/// Filters of the call history besides `from`, `to` (on the start time), `tz` and `q`.
/// Repeat a parameter to select several values: any of them matches.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct CallFilterParams {
    /// Owner user IDs (exact); repeat for several.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "openapi", param(explode, style = Form, max_items = 100, example = json!(["user014@corp.example"])))]
    pub owner: Vec<String>,
    /// Parent conference IDs (exact); repeat for several.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "openapi", param(explode, style = Form, max_items = 100, example = json!(["conf-0002"])))]
    pub conference: Vec<String>,
    /// `true` for sessions still going on, `false` for ended ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
    /// `true` for recorded sessions, `false` for the others.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recorded: Option<bool>,
    /// User IDs that took part (connected at least once); repeat for several.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "openapi", param(explode, style = Form, max_items = 100, example = json!(["user027@corp.example"])))]
    pub participant: Vec<String>,
}

impl CallFilterParams {
    /// Names of the parameters this struct reads.
    pub const NAMES: &'static [&'static str] = &["owner", "conference", "active", "recorded", "participant"];

    pub fn is_empty(&self) -> bool {
        self.owner.is_empty()
            && self.conference.is_empty()
            && self.active.is_none()
            && self.recorded.is_none()
            && self.participant.is_empty()
    }
}

/// A guest's change of display name during a connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "time": "2026-11-24T09:09:00Z", "old_name": "Guest", "new_name": "Пётр Петров (ООО Ромашка)"
})))]
pub struct NameChange {
    pub time: DateTime<Utc>,
    pub old_name: String,
    pub new_name: String,
}

/// One connection of a participant to a session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "connection_id": "sess-00412-c10", "user_id": null, "display_name": "Guest", "is_guest": true,
    "device": "browser", "endpoint_id": "guest-ep-012", "joined_at": "2026-11-24T09:02:00Z",
    "left_at": "2026-11-24T09:47:12Z", "leave_reason": "left",
    "name_changes": [{"time": "2026-11-24T09:03:00Z", "old_name": "Guest", "new_name": "Пётр Петров (ООО Ромашка)"}]
})))]
pub struct Participant {
    /// Links to `GET /connections/{connection_id}`.
    pub connection_id: String,
    /// Null for guests without an account.
    pub user_id: Option<String>,
    /// The name the connection joined under.
    pub display_name: String,
    pub is_guest: bool,
    /// `desktop`, `mobile`, `browser`, `room_system`, ...
    pub device: Option<String>,
    pub endpoint_id: Option<String>,
    pub joined_at: DateTime<Utc>,
    /// Null while connected.
    pub left_at: Option<DateTime<Utc>>,
    /// `left`, `connection lost`, `removed by the owner`, ...
    pub leave_reason: Option<String>,
    /// Display name changes during this connection, oldest first.
    pub name_changes: Vec<NameChange>,
}

/// `GET /calls/{id}/participants`: every connection, in join order, with the totals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "connections": 3, "participants": 2,
    "items": [
        {"connection_id": "sess-00412-c1", "user_id": "user014@corp.example", "display_name": "Иван Иванов",
         "is_guest": false, "device": "desktop", "endpoint_id": "ep-0014-0", "joined_at": "2026-11-24T09:00:05Z",
         "left_at": "2026-11-24T09:47:12Z", "leave_reason": "left", "name_changes": []},
        {"connection_id": "sess-00412-c9", "user_id": null, "display_name": "Guest", "is_guest": true,
         "device": "browser", "endpoint_id": "guest-ep-012", "joined_at": "2026-11-24T09:02:00Z",
         "left_at": "2026-11-24T09:06:00Z", "leave_reason": "connection lost", "name_changes": []},
        {"connection_id": "sess-00412-c10", "user_id": null, "display_name": "Гость (Петров)", "is_guest": true,
         "device": "browser", "endpoint_id": "guest-ep-012", "joined_at": "2026-11-24T09:08:00Z",
         "left_at": "2026-11-24T09:47:12Z", "leave_reason": "left",
         "name_changes": [{"time": "2026-11-24T09:09:00Z", "old_name": "Гость (Петров)", "new_name": "Пётр Петров (ООО Ромашка)"}]}
    ]
})))]
pub struct CallParticipants {
    /// The "Total": connections, reconnections included (the length of `items`).
    pub connections: i64,
    /// Distinct people (the session's `participants`).
    pub participants: i64,
    pub items: Vec<Participant>,
}

/// What became of an invitation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum InvitationOutcome {
    Accepted,
    Rejected,
    Missed,
}

impl InvitationOutcome {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "accepted" => Some(InvitationOutcome::Accepted),
            "rejected" => Some(InvitationOutcome::Rejected),
            "missed" => Some(InvitationOutcome::Missed),
            _ => None,
        }
    }
}

/// Who invited whom into a session, and what came of it. People who joined on their own have
/// no invitation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "time": "2026-11-24T09:00:00Z", "inviter": "conf.corp.example", "inviter_is_server": true,
    "invitee": "user027@corp.example", "outcome": "missed"
})))]
pub struct Invitation {
    pub time: DateTime<Utc>,
    /// A user ID, or the server's address when the server called the participants at the start.
    pub inviter: String,
    /// Whether `inviter` is the server.
    pub inviter_is_server: bool,
    pub invitee: String,
    /// Null for an outcome this version does not know.
    pub outcome: Option<InvitationOutcome>,
}

/// A media quality sample of one participant connection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "connection_id": "sess-00412-c2", "display_name": "Мария Петрова", "time": "2026-11-24T09:03:00Z",
    "bitrate_in_kbps": 2140, "bitrate_out_kbps": 1250, "resolution": "1280x720", "fps": 30.0,
    "packet_loss_pct": 0.4, "jitter_ms": 12.0, "cpu_pct": 37.0
})))]
pub struct MediaQuality {
    pub connection_id: String,
    /// The connection's display name; null when the connection is unknown.
    pub display_name: Option<String>,
    pub time: DateTime<Utc>,
    pub bitrate_in_kbps: Option<i32>,
    pub bitrate_out_kbps: Option<i32>,
    /// `WIDTHxHEIGHT`.
    pub resolution: Option<String>,
    pub fps: Option<f64>,
    pub packet_loss_pct: Option<f64>,
    pub jitter_ms: Option<f64>,
    /// CPU load of the participant's device, percent.
    pub cpu_pct: Option<f64>,
}

/// A file sent to a session's chat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "id": 31, "session_id": "sess-00412", "name": "Отчёт за квартал.xlsx",
    "content_type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "size_bytes": 48213, "sender": "user014@corp.example", "sent_at": "2026-11-24T09:03:00Z",
    "downloadable": true
})))]
pub struct ChatFile {
    /// Links to `GET /files/{id}/content`.
    pub id: i64,
    pub session_id: String,
    /// The file name as sent.
    pub name: String,
    pub content_type: String,
    pub size_bytes: i64,
    /// User ID of the sender.
    pub sender: String,
    pub sent_at: DateTime<Utc>,
    /// Whether the server holds the content (`GET /files/{id}/content` answers it).
    pub downloadable: bool,
}

/// What the endpoint of a participant connection reported about itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "connection_id": "sess-00412-c2", "session_id": "sess-00412", "user_id": "user027@corp.example",
    "display_name": "Мария Петрова", "is_guest": false, "device": "desktop", "endpoint_id": "ep-0027-0",
    "app": "TrueConf Client", "app_version": "8.5.2", "os": "Windows 11", "cpu": "Intel Core i5-1235U",
    "ip": "10.1.189.37", "system_info": {"ram_gb": 16},
    "joined_at": "2026-11-24T09:00:40Z", "left_at": "2026-11-24T09:47:12Z"
})))]
pub struct ConnectionProperties {
    pub connection_id: String,
    /// Links to `GET /calls/{id}`.
    pub session_id: String,
    pub user_id: Option<String>,
    pub display_name: String,
    pub is_guest: bool,
    pub device: Option<String>,
    /// Links to the Endpoints report.
    pub endpoint_id: Option<String>,
    /// Client application.
    pub app: Option<String>,
    pub app_version: Option<String>,
    pub os: Option<String>,
    pub cpu: Option<String>,
    pub ip: Option<String>,
    /// The rest of what the endpoint reported, as it reported it (a JSON object when it was
    /// JSON, else a string).
    pub system_info: Option<serde_json::Value>,
    pub joined_at: DateTime<Utc>,
    pub left_at: Option<DateTime<Utc>>,
}
