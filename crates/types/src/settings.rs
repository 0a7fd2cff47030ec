//! Server settings that sysadmins manage through the API (`GET|PUT /api/v1/settings`).

use serde::{Deserialize, Serialize};

/// The settings and their current values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({"endpoint_retention_days": 180, "recording_retention_days": 365})))]
pub struct Settings {
    /// Endpoints not seen for longer are stale: `DELETE /endpoints?older_than_days=retention`
    /// deletes them. 1 to 3650; default 180.
    pub endpoint_retention_days: u32,
    /// Recordings older than this are deleted automatically (`delete_video_recordings`).
    /// 1 to 3650; default 365.
    pub recording_retention_days: u32,
}

impl Settings {
    pub const DEFAULT: Settings = Settings { endpoint_retention_days: 180, recording_retention_days: 365 };
    /// The accepted range of every retention setting, in days.
    pub const RETENTION_DAYS: std::ops::RangeInclusive<u32> = 1..=3650;
}

impl Default for Settings {
    fn default() -> Self {
        Settings::DEFAULT
    }
}

/// Body of `PUT /api/v1/settings`: the settings to change; absent ones keep their value.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({"endpoint_retention_days": 90})))]
#[serde(deny_unknown_fields)]
pub struct SettingsUpdate {
    /// 1 to 3650.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint_retention_days: Option<u32>,
    /// 1 to 3650.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recording_retention_days: Option<u32>,
}
