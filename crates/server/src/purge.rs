//! `confreports purge`: runs the retention settings now, as the server's housekeeping does
//! hourly: recordings older than `recording_retention_days` (one `delete_video_recordings`
//! event with the count, media files removed after the commit) and endpoints not seen for
//! `endpoint_retention_days` (the Endpoints report's delete with `older_than_days=retention`,
//! logged as `delete_connections`).

use std::path::Path;

use confreports_store::DbConnection;
use confreports_store::endpoints::{EndpointFilter, EndpointsReport};
use confreports_store::report::{Actor, delete_by_filter};
use confreports_types::OlderThanDays;

/// What one run deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Purged {
    pub recordings: u64,
    pub endpoints: u64,
}

/// Deletes what the retention settings say has expired.
pub fn run(conn: &mut DbConnection, recordings_dir: &Path) -> anyhow::Result<Purged> {
    let recordings = confreports_api::recordings::purge_expired(conn, Some(recordings_dir), chrono::Utc::now())?;
    let filter = EndpointFilter { older_than_days: Some(OlderThanDays::Retention), ..EndpointFilter::default() };
    let endpoints = delete_by_filter::<EndpointsReport>(conn, &filter, &Actor::default(), Some("retention"))?;
    Ok(Purged { recordings, endpoints })
}

/// Recordings only, for the server's housekeeping (endpoints are purged by `confreports purge`
/// or by an explicit delete).
pub fn recordings(conn: &mut DbConnection, recordings_dir: &Path) -> anyhow::Result<u64> {
    Ok(confreports_api::recordings::purge_expired(conn, Some(recordings_dir), chrono::Utc::now())?)
}
