//! The audit trail (`GET /api/v1/audit`): every administrator and app action, append-only and
//! hash-chained row to row.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One row of the audit trail.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "seq": 42, "time": "2026-11-24T09:15:02.123456Z", "actor_kind": "admin", "actor": "alice",
    "ip": "10.0.0.7", "action": "delete", "target": "events",
    "details": {"report": "events", "filter": {"type": ["login"]}, "reason": "cleanup", "count": 17},
    "prev_hash": "9f2c...", "hash": "51ab..."
})))]
pub struct AuditEntry {
    /// 1, 2, 3, ... with no gaps.
    pub seq: i64,
    pub time: DateTime<Utc>,
    /// `admin`, `app`, `system` or `anonymous`.
    pub actor_kind: String,
    /// Administrator login or application name.
    pub actor: Option<String>,
    pub ip: Option<String>,
    /// `sign_in`, `sign_in_failed`, `sign_out`, `token_issued`, `token_revoked`, `delete`,
    /// `export`, `download`, `settings_changed`, `preferences_changed`, `app_created`,
    /// `app_deleted`, `app_secret_rotated`, `admin_created`, `admin_password_changed`,
    /// `admin_unlocked`, `admin_deleted`, `ingest`, `recording_uploaded`, `retention_purge`.
    pub action: String,
    /// What was acted on: a report name, `admin:<login>`, `app:<client id>`, `recording:<id>`...
    pub target: Option<String>,
    /// What else the action says (a deletion's filter and count, an export's filter...).
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub details: serde_json::Value,
    /// The hash of the row before (64 zeros for the first).
    pub prev_hash: String,
    /// SHA-256 (hex) over `prev_hash` and this row's fields.
    pub hash: String,
}

/// Paging of `GET /api/v1/audit` (newest first).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct AuditParams {
    /// Rows per page, 1 to 1000; default 50.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(minimum = 1, maximum = 1000, example = 50))]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page, unchanged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
}

impl AuditParams {
    pub const NAMES: &'static [&'static str] = &["limit", "cursor"];
}
