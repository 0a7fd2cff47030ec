//! The Events report: consecutive records of sign-ins, status changes, server state, actions of
//! OAuth applications, licence revocations and deletions.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{Direction, Sort, SortField, SortKind};

macro_rules! event_types {
    ($($variant:ident => $name:literal, $description:literal;)*) => {
        /// The `type` of an event.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(rename_all = "snake_case")]
        pub enum EventType {
            $(#[doc = $description] $variant,)*
        }

        impl EventType {
            pub const ALL: &'static [EventType] = &[$(EventType::$variant,)*];

            pub fn as_str(self) -> &'static str {
                match self { $(EventType::$variant => $name,)* }
            }

            pub fn description(self) -> &'static str {
                match self { $(EventType::$variant => $description,)* }
            }

            pub fn parse(s: &str) -> Option<EventType> {
                match s { $($name => Some(EventType::$variant),)* _ => None }
            }
        }
    };
}

event_types! {
    Authorize => "authorize", "Sign-in through single sign-on (SSO)";
    Login => "login", "Sign-in of a user or an administrator";
    Logout => "logout", "Sign-out of a user or an administrator";
    Lock => "lock", "Account locked after wrong passwords";
    Unlock => "unlock", "Account unlocked";
    Activation => "activation", "Account activated";
    Deactivation => "deactivation", "Account deactivated";
    Status => "status", "User status changed";
    Connect => "connect", "Connection to the LDAP server established";
    Disconnect => "disconnect", "Connection to the LDAP server lost";
    DeleteChatMessages => "delete_chat_messages", "Chat messages deleted";
    DeleteChatMessagesCascade => "delete_chat_messages_cascade", "Chat messages deleted with their calls";
    DeleteConferences => "delete_conferences", "Call history entries deleted";
    DeleteConnections => "delete_connections", "Endpoints deleted";
    DeleteEvents => "delete_events", "Events deleted";
    DeleteLogs => "delete_logs", "Configuration change entries deleted";
    DeleteVideoRecording => "delete_video_recording", "A conference recording deleted";
    DeleteVideoRecordings => "delete_video_recordings", "Recordings deleted after the retention timeout";
    Start => "start", "Server started";
    Stop => "stop", "Server stopped";
    Restart => "restart", "Server restarted";
    ProLicenseLimit => "pro_license_limit", "PRO licence limit reached";
    ProLicenseRevocation => "pro_license_revocation", "PRO licence revoked from a user";
}

impl std::fmt::Display for EventType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An entry of the Events report. Absent details are `null`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "id": 1017, "time": "2026-11-24T20:07:00Z", "type": "login", "success": true,
    "user_id": "ivanov@corp.example", "display_name": "Иван Иванов", "ip": "10.0.4.17",
    "entered_login": "ivanov", "real_user_id": null, "endpoint_id": "ep-7f3a9c",
    "app_name": null, "auth_method": "kerberos", "user_rights": null,
    "previous_status": null, "new_status": null, "description": null, "admin_type": null,
    "user_agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/131.0", "users": null,
    "details": null
})))]
pub struct Event {
    pub id: i64,
    /// When it happened (RFC 3339, UTC).
    pub time: DateTime<Utc>,
    #[serde(rename = "type")]
    pub event_type: EventType,
    /// Whether the action succeeded.
    pub success: bool,
    pub user_id: Option<String>,
    pub display_name: Option<String>,
    pub ip: Option<String>,
    /// The login as the user typed it.
    pub entered_login: Option<String>,
    /// The account actually signed in, when it differs from `user_id`.
    pub real_user_id: Option<String>,
    /// Links to the Endpoints report.
    pub endpoint_id: Option<String>,
    /// The OAuth application that acted.
    pub app_name: Option<String>,
    /// password, ntlm, kerberos, ...
    pub auth_method: Option<String>,
    /// User rights as a binary string.
    pub user_rights: Option<String>,
    /// -2 inactive, 0 offline, 1 online, 2 busy in a call or conference, 5 in a conference as its owner.
    pub previous_status: Option<i32>,
    pub new_status: Option<i32>,
    pub description: Option<String>,
    /// `sysadmin` or `security` when an administrator acted.
    pub admin_type: Option<String>,
    pub user_agent: Option<String>,
    /// User IDs the event concerns.
    pub users: Option<Vec<String>>,
    /// For deletions: `{deleted, filter, reason, actor}`.
    pub details: Option<serde_json::Value>,
}

/// An event type with its description (`GET /event-types`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EventTypeInfo {
    pub name: EventType,
    pub description: String,
}

/// Sort fields of the Events report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventSort {
    Time,
    Type,
    UserId,
    Ip,
}

impl SortField for EventSort {
    const ALL: &'static [Self] = &[EventSort::Time, EventSort::Type, EventSort::UserId, EventSort::Ip];
    const DEFAULT: Sort<Self> = Sort { field: EventSort::Time, direction: Direction::Desc };

    fn name(self) -> &'static str {
        match self {
            EventSort::Time => "time",
            EventSort::Type => "type",
            EventSort::UserId => "user_id",
            EventSort::Ip => "ip",
        }
    }

    fn kind(self) -> SortKind {
        match self {
            EventSort::Time => SortKind::Time,
            EventSort::Type | EventSort::UserId | EventSort::Ip => SortKind::Text,
        }
    }
}

/// Filters of the Events report besides `from`, `to`, `tz` and `q`.
/// Repeat a parameter to select several values (`type=login&type=logout`): any of them matches.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct EventFilterParams {
    /// Event types; repeat for several.
    #[serde(default, rename = "type", skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "openapi", param(rename = "type", explode, style = Form, max_items = 100, example = json!(["login", "logout"])))]
    pub event_type: Vec<EventType>,
    /// User IDs (exact); repeat for several.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "openapi", param(explode, style = Form, max_items = 100))]
    pub user: Vec<String>,
    /// IP addresses (exact); repeat for several.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "openapi", param(explode, style = Form, max_items = 100))]
    pub ip: Vec<String>,
    /// Endpoint IDs (exact); repeat for several.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "openapi", param(explode, style = Form, max_items = 100))]
    pub endpoint: Vec<String>,
    /// `true` for successful actions only, `false` for failed ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub success: Option<bool>,
}

impl EventFilterParams {
    /// Names of the parameters this struct reads.
    pub const NAMES: &'static [&'static str] = &["type", "user", "ip", "endpoint", "success"];

    pub fn is_empty(&self) -> bool {
        self.event_type.is_empty()
            && self.user.is_empty()
            && self.ip.is_empty()
            && self.endpoint.is_empty()
            && self.success.is_none()
    }
}
