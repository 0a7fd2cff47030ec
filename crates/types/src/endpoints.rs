//! The Endpoints report: one row per device connection (an application instance on a device),
//! with who last used it, what it is, and when it was first and last seen.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{Direction, Sort, SortField, SortKind};

/// What kind of device an endpoint is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum EndpointType {
    /// A desktop client application.
    Desktop,
    /// A mobile application.
    Mobile,
    /// The web client of a signed-in user.
    Browser,
    /// A meeting-room system (hardware terminal, room kit).
    RoomSystem,
    /// A guest without an account, usually from the browser.
    Guest,
}

impl EndpointType {
    pub const ALL: &'static [EndpointType] = &[
        EndpointType::Desktop,
        EndpointType::Mobile,
        EndpointType::Browser,
        EndpointType::RoomSystem,
        EndpointType::Guest,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EndpointType::Desktop => "desktop",
            EndpointType::Mobile => "mobile",
            EndpointType::Browser => "browser",
            EndpointType::RoomSystem => "room_system",
            EndpointType::Guest => "guest",
        }
    }

    pub fn parse(s: &str) -> Option<EndpointType> {
        EndpointType::ALL.iter().copied().find(|t| t.as_str() == s)
    }
}

impl std::fmt::Display for EndpointType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An entry of the Endpoints report. Absent values are `null`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "id": "ep-0017-0", "user_id": "ivanov@corp.example", "app": "TrueConf Client",
    "app_version": "8.5.2", "type": "desktop", "os": "Windows 11", "cpu": "Intel Core i5-1235U",
    "ip": "10.1.17.27", "last_conference": "Weekly sync",
    "network_test": "{\"down_kbps\": 48000, \"up_kbps\": 21000, \"rtt_ms\": 12}",
    "system_info": "{\"ram_gb\": 16, \"camera\": \"HD Webcam\"}",
    "first_seen": "2026-03-02T08:14:00Z", "last_seen": "2026-11-24T20:07:00Z"
})))]
pub struct Endpoint {
    /// Endpoint id (as in the `endpoint_id` of events).
    pub id: String,
    /// The user signed in on it; `null` once the user has left (and for guests).
    pub user_id: Option<String>,
    /// Client application name.
    pub app: Option<String>,
    pub app_version: Option<String>,
    #[serde(rename = "type")]
    pub endpoint_type: EndpointType,
    pub os: Option<String>,
    pub cpu: Option<String>,
    pub ip: Option<String>,
    /// Title of the last conference the endpoint took part in.
    pub last_conference: Option<String>,
    /// Result of the last network test, as the endpoint reported it.
    pub network_test: Option<String>,
    /// System information reported at the last authorization.
    pub system_info: Option<String>,
    /// First connection (RFC 3339, UTC).
    pub first_seen: DateTime<Utc>,
    /// Last connection or conference end (RFC 3339, UTC).
    pub last_seen: DateTime<Utc>,
}

/// Sort fields of the Endpoints report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EndpointSort {
    LastSeen,
    FirstSeen,
    UserId,
    App,
    Ip,
}

impl SortField for EndpointSort {
    const ALL: &'static [Self] =
        &[EndpointSort::LastSeen, EndpointSort::FirstSeen, EndpointSort::UserId, EndpointSort::App, EndpointSort::Ip];
    const DEFAULT: Sort<Self> = Sort { field: EndpointSort::LastSeen, direction: Direction::Desc };

    fn name(self) -> &'static str {
        match self {
            EndpointSort::LastSeen => "last_seen",
            EndpointSort::FirstSeen => "first_seen",
            EndpointSort::UserId => "user_id",
            EndpointSort::App => "app",
            EndpointSort::Ip => "ip",
        }
    }

    fn kind(self) -> SortKind {
        match self {
            EndpointSort::LastSeen | EndpointSort::FirstSeen => SortKind::Time,
            EndpointSort::UserId | EndpointSort::App | EndpointSort::Ip => SortKind::Text,
        }
    }
}

/// Filters of the Endpoints report besides `from`, `to` (on `last_seen`), `tz` and `q`.
/// Repeat a parameter to select several values (`type=desktop&type=mobile`): any of them matches.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct EndpointFilterParams {
    /// User IDs (exact); repeat for several.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "openapi", param(explode, style = Form, max_items = 100, example = json!(["ivanov@corp.example"])))]
    pub user: Vec<String>,
    /// Application names (exact); repeat for several.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "openapi", param(explode, style = Form, max_items = 100, example = json!(["WebClient"])))]
    pub app: Vec<String>,
    /// Endpoint types; repeat for several.
    #[serde(default, rename = "type", skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "openapi", param(rename = "type", explode, style = Form, max_items = 100, example = json!(["desktop", "guest"])))]
    pub endpoint_type: Vec<EndpointType>,
    /// Endpoints not seen for more than this many days (`last_seen` before now minus N days),
    /// 1 to 36500; or `retention` for the endpoint retention setting (180 days by default, see
    /// `GET /api/v1/settings`). `DELETE /endpoints?older_than_days=retention` is the purge of
    /// stale endpoints; `GET /endpoints/count` with the same value previews it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(value_type = Option<String>, example = "180"))]
    pub older_than_days: Option<OlderThanDays>,
}

impl EndpointFilterParams {
    /// Names of the parameters this struct reads.
    pub const NAMES: &'static [&'static str] = &["user", "app", "type", "older_than_days"];

    pub fn is_empty(&self) -> bool {
        self.user.is_empty() && self.app.is_empty() && self.endpoint_type.is_empty() && self.older_than_days.is_none()
    }
}

/// The value of `older_than_days`: a number of days, or the retention setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OlderThanDays {
    Days(u32),
    /// `endpoint_retention_days` of the settings.
    Retention,
}

impl OlderThanDays {
    pub fn parse(s: &str) -> Option<OlderThanDays> {
        match s.trim() {
            "retention" => Some(OlderThanDays::Retention),
            n => n.parse::<u32>().ok().map(OlderThanDays::Days),
        }
    }
}

impl std::fmt::Display for OlderThanDays {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OlderThanDays::Days(n) => write!(f, "{n}"),
            OlderThanDays::Retention => f.write_str("retention"),
        }
    }
}

impl Serialize for OlderThanDays {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            OlderThanDays::Days(n) => s.serialize_u32(*n),
            OlderThanDays::Retention => s.serialize_str("retention"),
        }
    }
}

impl<'de> Deserialize<'de> for OlderThanDays {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = OlderThanDays;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a number of days or `retention`")
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<OlderThanDays, E> {
                u32::try_from(v).map(OlderThanDays::Days).map_err(|_| E::custom("too many days"))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<OlderThanDays, E> {
                u32::try_from(v).map(OlderThanDays::Days).map_err(|_| E::custom("a number of days from 1"))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<OlderThanDays, E> {
                OlderThanDays::parse(v).ok_or_else(|| E::custom("expected a number of days or `retention`"))
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn older_than_days_reads_numbers_and_retention() {
        assert_eq!(OlderThanDays::parse("30"), Some(OlderThanDays::Days(30)));
        assert_eq!(OlderThanDays::parse("retention"), Some(OlderThanDays::Retention));
        assert_eq!(OlderThanDays::parse(""), None);
        assert_eq!(OlderThanDays::parse("-3"), None);
        assert_eq!(serde_json::to_value(OlderThanDays::Days(7)).ok(), Some(serde_json::json!(7)));
        assert_eq!(serde_json::to_value(OlderThanDays::Retention).ok(), Some(serde_json::json!("retention")));
    }
}
