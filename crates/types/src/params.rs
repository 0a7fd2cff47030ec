//! Query parameters every report shares: the time range and text search of a filter, paging,
//! export format and delete options.

use serde::{Deserialize, Serialize};

use crate::CsvDelimiter;

/// The common part of every report filter.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct RangeParams {
    /// Start, inclusive: RFC 3339 (`2026-11-01T00:00:00Z`) or a date `YYYY-MM-DD` read in `tz`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(example = "2026-11-01"))]
    pub from: Option<String>,
    /// End: RFC 3339 (exclusive) or a date `YYYY-MM-DD` read in `tz` (that whole day included).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(example = "2026-11-24"))]
    pub to: Option<String>,
    /// IANA time zone for dates in `from`/`to` and times in exports (`Europe/Moscow`). Default UTC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(example = "Europe/Moscow"))]
    pub tz: Option<String>,
    /// Case-insensitive text search; several words must all match. At most 200 characters and
    /// 10 words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(max_length = 200))]
    pub q: Option<String>,
}

impl RangeParams {
    pub const NAMES: &'static [&'static str] = &["from", "to", "tz", "q"];

    pub fn is_empty(&self) -> bool {
        self.from.is_none() && self.to.is_none() && self.q.as_deref().is_none_or(|q| q.trim().is_empty())
    }
}

/// Paging and order of a list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct PageParams {
    /// A sort field of the report, `-` in front for descending (`-time`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(example = "-time"))]
    pub sort: Option<String>,
    /// Rows per page, 1 to 1000; default 50.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(minimum = 1, maximum = 1000, example = 50))]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page, unchanged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
}

impl PageParams {
    pub const NAMES: &'static [&'static str] = &["sort", "limit", "cursor"];
    pub const DEFAULT_LIMIT: u32 = 50;
    pub const MAX_LIMIT: u32 = 1000;
}

/// Order and format of a CSV export. Defaults come from the caller's preferences.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct ExportParams {
    /// A sort field of the report, `-` in front for descending.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sort: Option<String>,
    /// Field delimiter.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delimiter: Option<CsvDelimiter>,
    /// Start the file with a UTF-8 byte order mark (for Excel).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bom: Option<bool>,
}

impl ExportParams {
    pub const NAMES: &'static [&'static str] = &["sort", "delimiter", "bom"];
}

/// Options of a delete by filter.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct DeleteParams {
    /// Why, kept in the deletion event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// `true` to delete every entry when no filter is given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub all: Option<bool>,
}

impl DeleteParams {
    pub const NAMES: &'static [&'static str] = &["reason", "all"];
}
