//! The JSON contract of confreports, shared by the server and the web app.
//!
//! serde only (utoipa schemas behind the `openapi` feature); this crate must build for
//! `wasm32-unknown-unknown`, so it never sees diesel, actix or jsonwebtoken.

pub mod audit;
pub mod auth;
pub mod calls;
pub mod chat;
pub mod config_changes;
pub mod cursor;
pub mod dashboard;
pub mod endpoints;
pub mod events;
pub mod ingest;
pub mod problem;
pub mod recordings;
pub mod settings;

pub use audit::{AuditEntry, AuditParams};
pub use auth::{
    AdminAccount, DateFormat, LoginRequest, Me, NewAdmin, NewAdminPassword, NewOAuthApp, OAuthApp, OAuthAppSecret,
    Preferences, Role, Scope,
};
pub use calls::{
    CallFilterParams, CallParticipants, CallSession, CallSort, ChatFile, ConnectionProperties, Invitation,
    InvitationOutcome, MediaQuality, NameChange, Participant,
};
pub use chat::{ChatFilterParams, ChatMessage, ChatSort};
pub use config_changes::{ActorType, ConfigChange, ConfigChangeFilterParams, ConfigChangeSort, ParameterChange};
pub use cursor::{Cursor, CursorError, SortValue};

pub use dashboard::{Dashboard, DashboardDay, DashboardFigures, DashboardParams};
pub use endpoints::{Endpoint, EndpointFilterParams, EndpointSort, EndpointType, OlderThanDays};
pub use events::{Event, EventFilterParams, EventSort, EventType, EventTypeInfo};
pub use problem::{FieldError, Problem};
pub use recordings::{Recording, RecordingChatMessage, RecordingFilterParams, RecordingSort, RecordingUploaded};
pub use settings::{Settings, SettingsUpdate};

use serde::{Deserialize, Serialize};

/// One page of a report list. Follow `next_cursor` (pass it back as `cursor`) until it is null.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Opaque; pass it back as the `cursor` parameter to read the next page. Null on the last page.
    pub next_cursor: Option<String>,
}

/// Answer of `GET /<report>/count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({"count": 1234})))]
pub struct Count {
    pub count: u64,
}

/// Answer of `DELETE /<report>?<filters>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({"deleted": 42})))]
pub struct Deleted {
    pub deleted: u64,
}

/// Sort direction of a list: `sort=time` ascending, `sort=-time` descending.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Direction {
    Asc,
    Desc,
}

/// A parsed `sort` parameter: a report's sort field and a direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Sort<F> {
    pub field: F,
    pub direction: Direction,
}

/// The kind of value a sort field (or a row id) holds, which a cursor's key must match.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SortKind {
    Time,
    Text,
    Int,
}

/// A report's sort fields, named as in the API.
pub trait SortField: Copy + Sized + Send + Sync + 'static {
    /// Every field, in the order the API documents them.
    const ALL: &'static [Self];
    /// The default sort of the report's lists.
    const DEFAULT: Sort<Self>;
    fn name(self) -> &'static str;
    fn kind(self) -> SortKind;
}

impl<F: SortField> Sort<F> {
    /// Parses `field` or `-field`; `None` names no known field.
    pub fn parse(s: &str) -> Option<Self> {
        let (direction, name) = match s.strip_prefix('-') {
            Some(rest) => (Direction::Desc, rest),
            None => (Direction::Asc, s),
        };
        F::ALL.iter().find(|f| f.name() == name).map(|&field| Sort { field, direction })
    }
}

impl<F: SortField> std::fmt::Display for Sort<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.direction == Direction::Desc {
            f.write_str("-")?;
        }
        f.write_str(self.field.name())
    }
}

/// CSV field delimiter of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CsvDelimiter {
    #[default]
    Comma,
    Semicolon,
    Tab,
}

impl CsvDelimiter {
    pub fn byte(self) -> u8 {
        match self {
            CsvDelimiter::Comma => b',',
            CsvDelimiter::Semicolon => b';',
            CsvDelimiter::Tab => b'\t',
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sort_round_trips_and_rejects_unknown_fields() {
        let s = Sort::<EventSort>::parse("-time").expect("known field");
        assert_eq!(s.field, EventSort::Time);
        assert_eq!(s.direction, Direction::Desc);
        assert_eq!(s.to_string(), "-time");
        assert_eq!(Sort::<EventSort>::parse("ip").map(|s| s.direction), Some(Direction::Asc));
        assert!(Sort::<EventSort>::parse("password").is_none());
        assert!(Sort::<EventSort>::parse("--time").is_none());
    }
}

pub mod params;
pub mod users;
pub use params::{DeleteParams, ExportParams, PageParams, RangeParams};
pub use users::{Activity, User, UserCall, UserEndpoint, UserFilterParams, UserProfile, UserSort};
