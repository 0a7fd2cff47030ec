//! The Chat messages report: personal and group messages, newest first.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{Direction, Sort, SortField, SortKind};

/// A chat message. Personal messages have a `recipient` and no `session_id`; group messages
/// have a `session_id` (links to the session page) and no `recipient`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "id": 5120, "time": "2026-11-24T20:07:00Z", "sender": "ivanov@corp.example",
    "sender_name": "Иван Иванов", "recipient": null, "session_id": "s-20261124-0042",
    "text": "Коллеги, презентация в чате"
})))]
pub struct ChatMessage {
    pub id: i64,
    /// When it was sent (RFC 3339, UTC).
    pub time: DateTime<Utc>,
    /// User ID of the sender (links to the user page).
    pub sender: String,
    /// The sender's display name at the time.
    pub sender_name: Option<String>,
    /// User ID of the recipient of a personal message.
    pub recipient: Option<String>,
    /// The session a group message was sent in.
    pub session_id: Option<String>,
    pub text: String,
}

/// Sort fields of the Chat messages report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChatSort {
    Time,
    Sender,
    Recipient,
}

impl SortField for ChatSort {
    const ALL: &'static [Self] = &[ChatSort::Time, ChatSort::Sender, ChatSort::Recipient];
    const DEFAULT: Sort<Self> = Sort { field: ChatSort::Time, direction: Direction::Desc };

    fn name(self) -> &'static str {
        match self {
            ChatSort::Time => "time",
            ChatSort::Sender => "sender",
            ChatSort::Recipient => "recipient",
        }
    }

    fn kind(self) -> SortKind {
        match self {
            ChatSort::Time => SortKind::Time,
            ChatSort::Sender | ChatSort::Recipient => SortKind::Text,
        }
    }
}

/// Filters of the Chat messages report besides `from`, `to`, `tz` and `q` (which searches the
/// text and the names). Repeat a parameter to select several values: any of them matches.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct ChatFilterParams {
    /// Sender user IDs (exact); repeat for several.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "openapi", param(explode, style = Form, max_items = 100, example = json!(["ivanov@corp.example"])))]
    pub sender: Vec<String>,
    /// Recipient user IDs of personal messages (exact); repeat for several.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "openapi", param(explode, style = Form, max_items = 100))]
    pub recipient: Vec<String>,
    /// Session IDs of group messages; repeat for several.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "openapi", param(explode, style = Form, max_items = 100, example = json!(["s-20261124-0042"])))]
    pub session: Vec<String>,
    /// User IDs that sent or received the message (a user's whole chat); repeat for several.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "openapi", param(explode, style = Form, max_items = 100))]
    pub user: Vec<String>,
}

impl ChatFilterParams {
    /// Names of the parameters this struct reads.
    pub const NAMES: &'static [&'static str] = &["sender", "recipient", "session", "user"];

    pub fn is_empty(&self) -> bool {
        self.sender.is_empty() && self.recipient.is_empty() && self.session.is_empty() && self.user.is_empty()
    }
}
