//! Records the conferencing server pushes through `POST /api/v1/ingest`.
//!
//! Every record is an object with a `kind` and an `id` (the source's id, unique per kind: a
//! record whose `(kind, id)` was already stored is skipped and counted as a duplicate).
//! Unknown fields are refused by the API (which compares a record with what it parsed), so a
//! typo fails the batch instead of losing data silently; the schemas stay open so that `kind`
//! composes with them in the OpenAPI document.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{ActorType, EndpointType, EventType, InvitationOutcome, ParameterChange};

/// One record of an ingest batch, by `kind`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum IngestRecord {
    Event(EventRecord),
    User(UserRecord),
    Conference(ConferenceRecord),
    SessionStarted(SessionStartedRecord),
    SessionEnded(SessionEndedRecord),
    ParticipantJoined(ParticipantJoinedRecord),
    ParticipantLeft(ParticipantLeftRecord),
    ParticipantRenamed(ParticipantRenamedRecord),
    Invitation(InvitationRecord),
    MediaStats(MediaStatsRecord),
    ChatMessage(ChatMessageRecord),
    FileSent(FileSentRecord),
    ConfigChange(ConfigChangeRecord),
    Endpoint(EndpointRecord),
    Recording(RecordingRecord),
}

impl IngestRecord {
    /// The `kind` as written in JSON (the first column of the duplicate key).
    pub fn kind(&self) -> &'static str {
        match self {
            IngestRecord::Event(_) => "event",
            IngestRecord::User(_) => "user",
            IngestRecord::Conference(_) => "conference",
            IngestRecord::SessionStarted(_) => "session_started",
            IngestRecord::SessionEnded(_) => "session_ended",
            IngestRecord::ParticipantJoined(_) => "participant_joined",
            IngestRecord::ParticipantLeft(_) => "participant_left",
            IngestRecord::ParticipantRenamed(_) => "participant_renamed",
            IngestRecord::Invitation(_) => "invitation",
            IngestRecord::MediaStats(_) => "media_stats",
            IngestRecord::ChatMessage(_) => "chat_message",
            IngestRecord::FileSent(_) => "file_sent",
            IngestRecord::ConfigChange(_) => "config_change",
            IngestRecord::Endpoint(_) => "endpoint",
            IngestRecord::Recording(_) => "recording",
        }
    }

    /// The source id of the record.
    pub fn id(&self) -> &str {
        match self {
            IngestRecord::Event(r) => &r.id,
            IngestRecord::User(r) => &r.id,
            IngestRecord::Conference(r) => &r.id,
            IngestRecord::SessionStarted(r) => &r.id,
            IngestRecord::SessionEnded(r) => &r.id,
            IngestRecord::ParticipantJoined(r) => &r.id,
            IngestRecord::ParticipantLeft(r) => &r.id,
            IngestRecord::ParticipantRenamed(r) => &r.id,
            IngestRecord::Invitation(r) => &r.id,
            IngestRecord::MediaStats(r) => &r.id,
            IngestRecord::ChatMessage(r) => &r.id,
            IngestRecord::FileSent(r) => &r.id,
            IngestRecord::ConfigChange(r) => &r.id,
            IngestRecord::Endpoint(r) => &r.id,
            IngestRecord::Recording(r) => &r.id,
        }
    }

    /// Every kind, in the order the API documents them.
    pub const KINDS: &'static [&'static str] = &[
        "event",
        "user",
        "conference",
        "session_started",
        "session_ended",
        "participant_joined",
        "participant_left",
        "participant_renamed",
        "invitation",
        "media_stats",
        "chat_message",
        "file_sent",
        "config_change",
        "endpoint",
        "recording",
    ];
}

/// `kind: event` — a sign-in, sign-out, status change… as the Events report shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "kind": "event", "id": "ev-100231", "time": "2026-11-24T09:00:00Z", "type": "login", "success": true,
    "user_id": "user027@corp.example", "ip": "10.0.4.17", "endpoint_id": "ep-5521", "auth_method": "password"
})))]
pub struct EventRecord {
    pub id: String,
    pub time: DateTime<Utc>,
    #[serde(rename = "type")]
    pub event_type: EventType,
    #[serde(default = "yes")]
    pub success: bool,
    #[serde(default)]
    pub user_id: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub ip: Option<String>,
    #[serde(default)]
    pub entered_login: Option<String>,
    #[serde(default)]
    pub real_user_id: Option<String>,
    #[serde(default)]
    pub endpoint_id: Option<String>,
    #[serde(default)]
    pub app_name: Option<String>,
    #[serde(default)]
    pub auth_method: Option<String>,
    #[serde(default)]
    pub user_rights: Option<String>,
    #[serde(default)]
    pub previous_status: Option<i32>,
    #[serde(default)]
    pub new_status: Option<i32>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub admin_type: Option<String>,
    #[serde(default)]
    pub user_agent: Option<String>,
    #[serde(default)]
    pub users: Option<Vec<String>>,
    #[serde(default)]
    pub details: Option<serde_json::Value>,
}

fn yes() -> bool {
    true
}

/// `kind: user` — a user account, created or updated (by `user_id`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "kind": "user", "id": "usr-27-v1", "user_id": "user027@corp.example", "display_name": "Анна Петрова",
    "email": "user027@corp.example", "department": "Sales", "created_at": "2026-01-10T08:00:00Z"
})))]
pub struct UserRecord {
    pub id: String,
    pub user_id: String,
    pub display_name: String,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub department: Option<String>,
    #[serde(default)]
    pub is_guest: bool,
    pub created_at: DateTime<Utc>,
}

/// `kind: conference` — a conference (a scheduled or permanent room), created or updated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "kind": "conference", "id": "conf-0007-v1", "conference_id": "conf-0007", "title": "Weekly sales",
    "owner": "user027@corp.example", "conference_kind": "scheduled", "mode": "symmetric",
    "created_at": "2026-11-01T08:00:00Z"
})))]
pub struct ConferenceRecord {
    pub id: String,
    pub conference_id: String,
    pub title: String,
    pub owner: String,
    /// The conference's own kind (`scheduled`, `permanent`, …).
    pub conference_kind: String,
    pub mode: String,
    pub created_at: DateTime<Utc>,
}

/// `kind: session_started` — a call session began. Completes the placeholder session that
/// earlier records of the session may have created.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "kind": "session_started", "id": "ss-9001", "session_id": "sess-9001", "conference_id": "conf-0007",
    "title": "Weekly sales", "owner": "user027@corp.example", "mode": "symmetric",
    "started_at": "2026-11-24T09:00:00Z"
})))]
pub struct SessionStartedRecord {
    pub id: String,
    pub session_id: String,
    #[serde(default)]
    pub conference_id: Option<String>,
    #[serde(default)]
    pub title: Option<String>,
    pub owner: String,
    pub mode: String,
    #[serde(default)]
    pub multicast: bool,
    #[serde(default)]
    pub recorded: bool,
    pub started_at: DateTime<Utc>,
}

/// `kind: session_ended` — a call session ended. Reported twice, the later end wins.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "kind": "session_ended", "id": "se-9001", "session_id": "sess-9001", "ended_at": "2026-11-24T10:00:00Z"
})))]
pub struct SessionEndedRecord {
    pub id: String,
    pub session_id: String,
    pub ended_at: DateTime<Utc>,
}

/// `kind: participant_joined` — a connection of a participant to a session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "kind": "participant_joined", "id": "pj-1", "session_id": "sess-9001", "connection_id": "c-77",
    "user_id": "user027@corp.example", "display_name": "Анна Петрова", "endpoint_id": "ep-5521",
    "device": "Laptop", "app": "Desktop client", "app_version": "5.2.1", "os": "Windows 11",
    "ip": "10.0.4.17", "time": "2026-11-24T09:01:00Z"
})))]
pub struct ParticipantJoinedRecord {
    pub id: String,
    pub session_id: String,
    pub connection_id: String,
    /// Absent for a guest.
    #[serde(default)]
    pub user_id: Option<String>,
    pub display_name: String,
    #[serde(default)]
    pub endpoint_id: Option<String>,
    #[serde(default)]
    pub device: Option<String>,
    #[serde(default)]
    pub app: Option<String>,
    #[serde(default)]
    pub app_version: Option<String>,
    #[serde(default)]
    pub os: Option<String>,
    #[serde(default)]
    pub cpu: Option<String>,
    #[serde(default)]
    pub ip: Option<String>,
    #[serde(default)]
    pub system_info: Option<String>,
    pub time: DateTime<Utc>,
}

/// `kind: participant_left` — a connection left its session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "kind": "participant_left", "id": "pl-1", "session_id": "sess-9001", "connection_id": "c-77",
    "reason": "hangup", "time": "2026-11-24T09:40:00Z"
})))]
pub struct ParticipantLeftRecord {
    pub id: String,
    pub session_id: String,
    pub connection_id: String,
    #[serde(default)]
    pub user_id: Option<String>,
    #[serde(default)]
    pub reason: Option<String>,
    pub time: DateTime<Utc>,
}

/// `kind: participant_renamed` — a participant (usually a guest) changed the shown name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "kind": "participant_renamed", "id": "pr-1", "session_id": "sess-9001", "connection_id": "c-78",
    "old_name": "Guest 1", "new_name": "Ivan (Contoso)", "time": "2026-11-24T09:05:00Z"
})))]
pub struct ParticipantRenamedRecord {
    pub id: String,
    pub session_id: String,
    pub connection_id: String,
    pub old_name: String,
    pub new_name: String,
    pub time: DateTime<Utc>,
}

/// `kind: invitation` — someone (or the server) invited someone into a session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "kind": "invitation", "id": "inv-1", "session_id": "sess-9001", "inviter": "conf.corp.example",
    "inviter_is_server": true, "invitee": "user031@corp.example", "outcome": "accepted",
    "time": "2026-11-24T09:00:05Z"
})))]
pub struct InvitationRecord {
    pub id: String,
    pub session_id: String,
    pub inviter: String,
    #[serde(default)]
    pub inviter_is_server: bool,
    pub invitee: String,
    pub outcome: InvitationOutcome,
    pub time: DateTime<Utc>,
}

/// `kind: media_stats` — a media quality sample of one connection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "kind": "media_stats", "id": "ms-1", "session_id": "sess-9001", "connection_id": "c-77",
    "bitrate_in_kbps": 1450, "bitrate_out_kbps": 980, "resolution": "1280x720", "fps": 30.0,
    "packet_loss_pct": 0.4, "jitter_ms": 12.5, "cpu_pct": 31.0, "time": "2026-11-24T09:10:00Z"
})))]
pub struct MediaStatsRecord {
    pub id: String,
    pub session_id: String,
    pub connection_id: String,
    #[serde(default)]
    pub bitrate_in_kbps: Option<i32>,
    #[serde(default)]
    pub bitrate_out_kbps: Option<i32>,
    #[serde(default)]
    pub resolution: Option<String>,
    #[serde(default)]
    pub fps: Option<f64>,
    #[serde(default)]
    pub packet_loss_pct: Option<f64>,
    #[serde(default)]
    pub jitter_ms: Option<f64>,
    #[serde(default)]
    pub cpu_pct: Option<f64>,
    pub time: DateTime<Utc>,
}

/// `kind: chat_message` — a group message (`session_id`) or a personal one (`recipient`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "kind": "chat_message", "id": "msg-1", "session_id": "sess-9001", "sender": "user027@corp.example",
    "sender_name": "Анна Петрова", "text": "Коллеги, начинаем через минуту", "time": "2026-11-24T09:00:30Z"
})))]
pub struct ChatMessageRecord {
    pub id: String,
    pub sender: String,
    #[serde(default)]
    pub sender_name: Option<String>,
    #[serde(default)]
    pub recipient: Option<String>,
    #[serde(default)]
    pub session_id: Option<String>,
    pub text: String,
    pub time: DateTime<Utc>,
}

/// `kind: file_sent` — a file sent to a session's chat (its content is not part of ingest).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "kind": "file_sent", "id": "file-1", "session_id": "sess-9001", "sender": "user027@corp.example",
    "file_name": "agenda.pdf", "content_type": "application/pdf", "size_bytes": 182044,
    "time": "2026-11-24T09:02:00Z"
})))]
pub struct FileSentRecord {
    pub id: String,
    pub session_id: String,
    pub sender: String,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub time: DateTime<Utc>,
}

/// `kind: config_change` — a change of the conferencing server's configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "kind": "config_change", "id": "cc-1", "actor": "admin", "actor_type": "admin",
    "object_type": "conference", "object": "conf-0007",
    "changes": [{"parameter": "max_participants", "before": "50", "after": "100"}],
    "time": "2026-11-24T20:07:00Z"
})))]
pub struct ConfigChangeRecord {
    pub id: String,
    pub actor: String,
    pub actor_type: ActorType,
    pub object_type: String,
    pub object: String,
    pub changes: Vec<ParameterChange>,
    pub time: DateTime<Utc>,
}

/// What happened to an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum EndpointChange {
    /// Connected: needs `user_id` (absent for a guest), `app`, `endpoint_type`, and the device fields.
    Connect,
    /// Reconnected: as `connect`.
    Reconnect,
    /// A conference it took part in ended: needs `conference`.
    ConferenceEnd,
    /// A network test finished: needs `network_test`.
    NetworkTest,
    /// It authorized on the server: needs `system_info`.
    Authorization,
    /// The user signed out / was removed: needs `user_id`; every endpoint of the user forgets them.
    UserLeft,
}

/// `kind: endpoint` — a device's connection, or an update of it (`change`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "kind": "endpoint", "id": "epc-1", "change": "connect", "endpoint_id": "ep-5521",
    "user_id": "user027@corp.example", "app": "Desktop client", "app_version": "5.2.1",
    "endpoint_type": "desktop", "os": "Windows 11", "ip": "10.0.4.17", "time": "2026-11-24T08:59:00Z"
})))]
pub struct EndpointRecord {
    pub id: String,
    pub change: EndpointChange,
    /// The endpoint; not needed for `user_left`.
    #[serde(default)]
    pub endpoint_id: Option<String>,
    #[serde(default)]
    pub user_id: Option<String>,
    #[serde(default)]
    pub app: Option<String>,
    #[serde(default)]
    pub app_version: Option<String>,
    #[serde(default)]
    pub endpoint_type: Option<EndpointType>,
    #[serde(default)]
    pub os: Option<String>,
    #[serde(default)]
    pub cpu: Option<String>,
    #[serde(default)]
    pub ip: Option<String>,
    #[serde(default)]
    pub conference: Option<String>,
    #[serde(default)]
    pub network_test: Option<String>,
    #[serde(default)]
    pub system_info: Option<String>,
    pub time: DateTime<Utc>,
}

/// `kind: recording` — the metadata of a recording; its media is uploaded with
/// `PUT /api/v1/ingest/recordings/{id}/media` using the same `id`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "kind": "recording", "id": "rec-1", "session_id": "sess-9001", "conference_id": "conf-0007",
    "title": "Weekly sales", "owner": "user027@corp.example", "started_at": "2026-11-24T09:00:00Z",
    "duration_s": 3600, "size_bytes": 0
})))]
pub struct RecordingRecord {
    pub id: String,
    pub session_id: String,
    #[serde(default)]
    pub conference_id: Option<String>,
    #[serde(default)]
    pub title: Option<String>,
    pub owner: String,
    pub started_at: DateTime<Utc>,
    #[serde(default)]
    pub duration_s: i64,
    #[serde(default)]
    pub size_bytes: i64,
    #[serde(default)]
    pub content_type: Option<String>,
}

/// Answer of `POST /api/v1/ingest`, sent once the batch is committed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({"accepted": 998, "duplicates": 2})))]
pub struct IngestResult {
    /// Records stored by this batch.
    pub accepted: u64,
    /// Records skipped because their `(kind, id)` was stored before (or earlier in the batch).
    pub duplicates: u64,
}
