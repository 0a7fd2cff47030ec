//! Users of the conferencing server and the activity summary of the user page.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{ChatMessage, Direction, Event, Sort, SortField, SortKind};

/// A user of the conferencing server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "id": "ivanov@corp.example", "display_name": "Иван Иванов", "email": "ivanov@corp.example",
    "department": "Sales", "is_guest": false, "created_at": "2025-10-20T09:00:00Z"
})))]
pub struct User {
    /// User ID, as the other reports refer to the user.
    pub id: String,
    pub display_name: String,
    pub email: Option<String>,
    pub department: Option<String>,
    pub is_guest: bool,
    /// When the account was created (RFC 3339, UTC).
    pub created_at: DateTime<Utc>,
}

/// A call session the user owned or took part in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "session_id": "s-20261124-0042", "title": "Weekly sync", "conference_id": "conf-0007",
    "owner": "ivanov@corp.example", "started_at": "2026-11-24T10:00:00Z",
    "ended_at": "2026-11-24T10:45:00Z", "is_owner": true
})))]
pub struct UserCall {
    /// Links to the session page.
    pub session_id: String,
    /// `null` for point-to-point calls.
    pub title: Option<String>,
    pub conference_id: Option<String>,
    pub owner: Option<String>,
    pub started_at: DateTime<Utc>,
    /// `null` while the session is active.
    pub ended_at: Option<DateTime<Utc>>,
    /// Whether the user owned the session (else they took part).
    pub is_owner: bool,
}

/// An endpoint (device connection) the user is logged in on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "id": "ep-7f3a9c", "app": "TrueConf Client", "app_version": "8.5.2", "type": "desktop",
    "os": "Windows 11", "ip": "10.0.4.17", "last_seen": "2026-11-24T20:07:00Z"
})))]
pub struct UserEndpoint {
    /// Links to the endpoint page.
    pub id: String,
    pub app: Option<String>,
    pub app_version: Option<String>,
    #[serde(rename = "type")]
    pub endpoint_type: String,
    pub os: Option<String>,
    pub ip: Option<String>,
    pub last_seen: DateTime<Utc>,
}

/// One kind of activity of a user: how many entries, the latest few, and the list of all of
/// them in their report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Activity<T> {
    /// How many entries the user has in the report.
    pub count: u64,
    /// The newest entries, at most 10.
    pub latest: Vec<T>,
    /// The report's list filtered to this user (`/api/v1/events?user=...`).
    pub list: String,
}

/// The user page: the profile and the user's activity across the reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "user": {
        "id": "ivanov@corp.example", "display_name": "Иван Иванов", "email": "ivanov@corp.example",
        "department": "Sales", "is_guest": false, "created_at": "2025-10-20T09:00:00Z"
    },
    "events": {"count": 1, "list": "/api/v1/events?user=ivanov%40corp.example", "latest": [{
        "id": 1017, "time": "2026-11-24T20:07:00Z", "type": "login", "success": true,
        "user_id": "ivanov@corp.example", "display_name": "Иван Иванов", "ip": "10.0.4.17",
        "entered_login": "ivanov", "real_user_id": null, "endpoint_id": "ep-7f3a9c", "app_name": null,
        "auth_method": "kerberos", "user_rights": null, "previous_status": null, "new_status": null,
        "description": null, "admin_type": null, "user_agent": null, "users": null, "details": null
    }]},
    "calls": {"count": 1, "list": "/api/v1/calls?participant=ivanov%40corp.example", "latest": [{
        "session_id": "s-20261124-0042", "title": "Weekly sync", "conference_id": "conf-0007",
        "owner": "ivanov@corp.example", "started_at": "2026-11-24T10:00:00Z",
        "ended_at": "2026-11-24T10:45:00Z", "is_owner": true
    }]},
    "chat_messages": {"count": 1, "list": "/api/v1/chat-messages?user=ivanov%40corp.example", "latest": [{
        "id": 5120, "time": "2026-11-24T10:07:00Z", "sender": "ivanov@corp.example",
        "sender_name": "Иван Иванов", "recipient": null, "session_id": "s-20261124-0042",
        "text": "Коллеги, презентация в чате"
    }]},
    "endpoints": {"count": 1, "list": "/api/v1/endpoints?user=ivanov%40corp.example", "latest": [{
        "id": "ep-7f3a9c", "app": "TrueConf Client", "app_version": "8.5.2", "type": "desktop",
        "os": "Windows 11", "ip": "10.0.4.17", "last_seen": "2026-11-24T20:07:00Z"
    }]}
})))]
pub struct UserProfile {
    pub user: User,
    /// Events of the user (`user_id`).
    pub events: Activity<Event>,
    /// Sessions the user owned or took part in, newest first.
    pub calls: Activity<UserCall>,
    /// Messages the user sent or received.
    pub chat_messages: Activity<ChatMessage>,
    /// Endpoints the user is logged in on, most recently seen first.
    pub endpoints: Activity<UserEndpoint>,
}

impl UserProfile {
    /// Entries per `latest` list.
    pub const LATEST: usize = 10;
}

/// Sort fields of the users list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UserSort {
    DisplayName,
    Id,
}

impl SortField for UserSort {
    const ALL: &'static [Self] = &[UserSort::DisplayName, UserSort::Id];
    const DEFAULT: Sort<Self> = Sort { field: UserSort::DisplayName, direction: Direction::Asc };

    fn name(self) -> &'static str {
        match self {
            UserSort::DisplayName => "display_name",
            UserSort::Id => "id",
        }
    }

    fn kind(self) -> SortKind {
        SortKind::Text
    }
}

/// The users list has no filters of its own: `q` searches id, name, e-mail and department;
/// `from`/`to` select by account creation time.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserFilterParams {}

impl UserFilterParams {
    pub const NAMES: &'static [&'static str] = &[];
}
