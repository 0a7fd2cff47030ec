//! Conference recordings: the report over stored recordings, and the chat of a recording's
//! session with offsets from the recording start (for the player).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{ChatMessage, Direction, Sort, SortField, SortKind};

/// A recording of a conferencing session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "id": 17, "session_id": "sess-00412", "conference_id": "conf-0002",
    "title": "Планёрка отдела продаж #2", "owner": "user014@corp.example",
    "started_at": "2026-11-24T09:00:00Z", "duration_s": 2832, "size_bytes": 424804352,
    "has_media": true
})))]
pub struct Recording {
    /// Recording id (numeric; used in every recording URL).
    pub id: i64,
    /// The recorded session (links to the session page).
    pub session_id: String,
    /// The server-side conference of the session; null for ad hoc sessions and calls.
    pub conference_id: Option<String>,
    /// Null for point-to-point calls (the web app shows "(no title)").
    pub title: Option<String>,
    /// User ID of the session's owner.
    pub owner: String,
    pub started_at: DateTime<Utc>,
    /// Length in seconds.
    pub duration_s: i64,
    /// Size of the media file in bytes.
    pub size_bytes: i64,
    /// Whether the media file is on this server (`/media` and `/download` answer 404 otherwise).
    pub has_media: bool,
}

/// Sort fields of the recordings report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecordingSort {
    StartedAt,
    DurationS,
    SizeBytes,
    /// Point-to-point calls (no title) sort as the empty title.
    Title,
}

impl SortField for RecordingSort {
    const ALL: &'static [Self] =
        &[RecordingSort::StartedAt, RecordingSort::DurationS, RecordingSort::SizeBytes, RecordingSort::Title];
    const DEFAULT: Sort<Self> = Sort { field: RecordingSort::StartedAt, direction: Direction::Desc };

    fn name(self) -> &'static str {
        match self {
            RecordingSort::StartedAt => "started_at",
            RecordingSort::DurationS => "duration_s",
            RecordingSort::SizeBytes => "size_bytes",
            RecordingSort::Title => "title",
        }
    }

    fn kind(self) -> SortKind {
        match self {
            RecordingSort::StartedAt => SortKind::Time,
            RecordingSort::DurationS | RecordingSort::SizeBytes => SortKind::Int,
            RecordingSort::Title => SortKind::Text,
        }
    }
}

/// Filters of the recordings report besides `from`, `to` (on the start time), `tz` and `q`
/// (words of the session's ID, title, owner ID or owner name).
/// Repeat a parameter to select several values: any of them matches.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct RecordingFilterParams {
    /// Owner user IDs (exact); repeat for several.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "openapi", param(explode, style = Form, max_items = 100, example = json!(["user014@corp.example"])))]
    pub owner: Vec<String>,
    /// Session IDs (exact); repeat for several.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "openapi", param(explode, style = Form, max_items = 100, example = json!(["sess-00412"])))]
    pub session: Vec<String>,
    /// Parent conference IDs (exact); repeat for several.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "openapi", param(explode, style = Form, max_items = 100, example = json!(["conf-0002"])))]
    pub conference: Vec<String>,
}

impl RecordingFilterParams {
    /// Names of the parameters this struct reads.
    pub const NAMES: &'static [&'static str] = &["owner", "session", "conference"];

    pub fn is_empty(&self) -> bool {
        self.owner.is_empty() && self.session.is_empty() && self.conference.is_empty()
    }
}

/// A chat message of the recorded session, placed on the recording's timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "offset_ms": 65000, "id": 5120, "time": "2026-11-24T09:01:05Z", "sender": "ivanov@corp.example",
    "sender_name": "Иван Иванов", "recipient": null, "session_id": "sess-00412",
    "text": "Коллеги, презентация в чате"
})))]
pub struct RecordingChatMessage {
    /// Milliseconds from the recording start (negative for messages sent before it started).
    pub offset_ms: i64,
    #[serde(flatten)]
    pub message: ChatMessage,
}

/// The result of an upload of a recording's media.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "id": 17, "size_bytes": 424804352, "duration_s": 2832, "duration_from_file": true
})))]
pub struct RecordingUploaded {
    pub id: i64,
    pub size_bytes: i64,
    pub duration_s: i64,
    /// Whether `duration_s` was read from the file's WebM Duration element (otherwise the
    /// recording kept the duration it had).
    pub duration_from_file: bool,
}
