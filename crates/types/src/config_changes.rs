//! The Configuration changes report: who changed which object, and each parameter's value
//! before and after.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{Direction, Sort, SortField, SortKind};

/// Who made a configuration change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ActorType {
    /// An administrator of the conferencing server.
    Admin,
    /// An OAuth application.
    App,
}

impl ActorType {
    pub fn as_str(self) -> &'static str {
        match self {
            ActorType::Admin => "admin",
            ActorType::App => "app",
        }
    }

    pub fn parse(s: &str) -> Option<ActorType> {
        match s {
            "admin" => Some(ActorType::Admin),
            "app" => Some(ActorType::App),
            _ => None,
        }
    }
}

/// One parameter of a change: its value before and after (`null` when it did not exist).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({"parameter": "topic", "before": "Weekly sync", "after": "Weekly sync (new time)"})))]
pub struct ParameterChange {
    pub parameter: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// An entry of the Configuration changes report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "id": 311, "time": "2026-11-24T20:07:00Z", "actor": "admin", "actor_type": "admin",
    "object": "conf-0007", "object_type": "conference",
    "changes": [
        {"parameter": "schedule", "before": "Mon 10:00", "after": "Tue 11:00"},
        {"parameter": "registration", "before": "closed", "after": "open"}
    ]
})))]
pub struct ConfigChange {
    pub id: i64,
    /// When it was changed (RFC 3339, UTC).
    pub time: DateTime<Utc>,
    /// Administrator login or application name.
    pub actor: String,
    pub actor_type: ActorType,
    /// What was changed: a conference id, `network`, an LDAP domain, a user id, ...
    pub object: String,
    /// `server`, `conference`, `license`, `ldap`, `dlp`, `mail`, `survey`, `group`, `user`, ...
    pub object_type: String,
    /// Each changed parameter, before and after.
    pub changes: Vec<ParameterChange>,
}

/// Sort fields of the Configuration changes report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConfigChangeSort {
    Time,
    Actor,
    Object,
}

impl SortField for ConfigChangeSort {
    const ALL: &'static [Self] = &[ConfigChangeSort::Time, ConfigChangeSort::Actor, ConfigChangeSort::Object];
    const DEFAULT: Sort<Self> = Sort { field: ConfigChangeSort::Time, direction: Direction::Desc };

    fn name(self) -> &'static str {
        match self {
            ConfigChangeSort::Time => "time",
            ConfigChangeSort::Actor => "actor",
            ConfigChangeSort::Object => "object",
        }
    }

    fn kind(self) -> SortKind {
        match self {
            ConfigChangeSort::Time => SortKind::Time,
            ConfigChangeSort::Actor | ConfigChangeSort::Object => SortKind::Text,
        }
    }
}

/// Filters of the Configuration changes report besides `from`, `to`, `tz` and `q`.
/// Repeat a parameter to select several values: any of them matches.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct ConfigChangeFilterParams {
    /// Administrator logins or application names (exact); repeat for several.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "openapi", param(explode, style = Form, max_items = 100, example = json!(["admin"])))]
    pub actor: Vec<String>,
    /// Changed objects (exact); repeat for several.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "openapi", param(explode, style = Form, max_items = 100))]
    pub object: Vec<String>,
    /// Changes touching any of these parameters; repeat for several.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "openapi", param(explode, style = Form, max_items = 100, example = json!(["topic", "schedule"])))]
    pub parameter: Vec<String>,
}

impl ConfigChangeFilterParams {
    /// Names of the parameters this struct reads.
    pub const NAMES: &'static [&'static str] = &["actor", "object", "parameter"];

    pub fn is_empty(&self) -> bool {
        self.actor.is_empty() && self.object.is_empty() && self.parameter.is_empty()
    }
}
