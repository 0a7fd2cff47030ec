//! The dashboard: activity per day over a range of days cut in a time zone, and totals.
//!
//! Every day carries its `from`/`to` (RFC 3339 UTC) so that a chart links to the table with the
//! same filter: calls `/calls?from=&to=`, events `/events?type=<t>&from=&to=`, active users
//! `/events?type=login&type=authorize&success=true&from=&to=`, recordings `/recordings?from=&to=`.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// Query parameters of `GET /api/v1/dashboard`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct DashboardParams {
    /// First day: a date `YYYY-MM-DD` in `tz`, or an RFC 3339 time. Default: 29 days before today.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(example = "2026-11-01"))]
    pub from: Option<String>,
    /// Last day, included: a date `YYYY-MM-DD` in `tz`, or an RFC 3339 time (exclusive).
    /// Default: today. At most 366 days from `from`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(example = "2026-11-24"))]
    pub to: Option<String>,
    /// IANA time zone that cuts the days (`Europe/Moscow`). Default the caller's preference, else UTC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(example = "Europe/Moscow"))]
    pub tz: Option<String>,
}

impl DashboardParams {
    pub const NAMES: &'static [&'static str] = &["from", "to", "tz"];
    /// The longest range, in days.
    pub const MAX_DAYS: i64 = 366;
}

/// What happened on one day (or, in `totals`, over the whole range).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DashboardFigures {
    /// Call sessions started.
    pub calls_started: u64,
    /// The most call sessions running at the same time.
    pub peak_concurrent_sessions: u64,
    /// Distinct users (not administrators) with a successful `login` or `authorize` event.
    pub active_users: u64,
    /// Events per type; every type is present, zero included.
    pub events: BTreeMap<String, u64>,
    /// Size of the recordings started, in bytes.
    pub recording_bytes: u64,
    /// Size of all stored recordings started before the end of the day (of the range, in
    /// `totals`), in bytes.
    pub recording_bytes_total: u64,
}

/// One day of the dashboard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DashboardDay {
    /// The day in `tz`.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date, example = "2026-11-24"))]
    pub date: NaiveDate,
    /// Start of the day (RFC 3339 UTC): the `from` of the tables' filter.
    pub from: DateTime<Utc>,
    /// Start of the next day: the `to` of the tables' filter (exclusive).
    pub to: DateTime<Utc>,
    #[serde(flatten)]
    pub figures: DashboardFigures,
}

/// Answer of `GET /api/v1/dashboard`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "from": "2026-11-23T21:00:00Z", "to": "2026-11-24T21:00:00Z", "tz": "Europe/Moscow",
    "days": [{
        "date": "2026-11-24", "from": "2026-11-23T21:00:00Z", "to": "2026-11-24T21:00:00Z",
        "calls_started": 57, "peak_concurrent_sessions": 9, "active_users": 131,
        "events": {"login": 412, "logout": 388, "status": 2210},
        "recording_bytes": 1843200000, "recording_bytes_total": 96636764160u64
    }],
    "totals": {
        "calls_started": 57, "peak_concurrent_sessions": 9, "active_users": 131,
        "events": {"login": 412, "logout": 388, "status": 2210},
        "recording_bytes": 1843200000, "recording_bytes_total": 96636764160u64
    }
})))]
pub struct Dashboard {
    /// Start of the first day.
    pub from: DateTime<Utc>,
    /// End of the last day (exclusive).
    pub to: DateTime<Utc>,
    /// The time zone that cut the days.
    pub tz: String,
    pub days: Vec<DashboardDay>,
    /// Over the whole range: sums, the highest peak, distinct active users of the range.
    pub totals: DashboardFigures,
}
