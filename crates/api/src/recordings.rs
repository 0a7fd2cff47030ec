//! Conference recordings over HTTP: the report (list, count, export, delete by filter), one
//! recording, its media (inline with HTTP Range, or as an attachment), its session's chat on
//! the recording's timeline, deletion, and the upload of the media by the conferencing server.
//!
//! Media files live in `AppState::recordings_dir` under a storage key we generate
//! (`rec-<id>-<random>`, no separators, no dots) and are reached by recording id only.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use actix_web::http::StatusCode;
use actix_web::http::header::{ContentDisposition, ContentEncoding, DispositionType};
use actix_web::{HttpRequest, HttpResponse, delete, get, put, route, web};
use chrono_tz::Tz;
use confreports_store::recordings::{self as store, RecordingFilter, RecordingRow, RecordingsReport, ebml};
use confreports_store::report::CommonFilter;
use confreports_types::{
    Count, DeleteParams, Deleted, ExportParams, Page, PageParams, Problem, RangeParams, Recording,
    RecordingChatMessage, RecordingFilterParams, RecordingUploaded,
};
use futures_util::StreamExt as _;

use crate::auth::Principal;
use crate::calls::{FileContent, StoredKind, UPLOAD_GRACE, attachment, sweep_unreferenced};
use crate::csv_export::Row;
use crate::error::{ApiError, ApiResult, framework_problem, or_not_found, path_id, problem_response};
use crate::params::no_query;
use crate::report::{self, ApiReport, db};
use crate::state::AppState;

/// The default upper bound of an uploaded recording (4 GiB).
pub const DEFAULT_MAX_UPLOAD_BYTES: u64 = 4 << 30;

impl ApiReport for RecordingsReport {
    type Params = RecordingFilterParams;
    const PARAM_NAMES: &'static [&'static str] = RecordingFilterParams::NAMES;

    fn params_empty(params: &RecordingFilterParams) -> bool {
        params.is_empty()
    }

    fn filter(common: CommonFilter, p: RecordingFilterParams) -> ApiResult<RecordingFilter> {
        Ok(RecordingFilter { common, owners: p.owner, sessions: p.session, conferences: p.conference })
    }

    const CSV_HEADER: &'static [&'static str] =
        &["id", "session_id", "conference_id", "title", "owner", "started_at", "duration_s", "size_bytes", "has_media"];

    fn csv_row(r: &Recording, _tz: Tz, row: &mut Row) {
        row.plain(r.id);
        row.text(Some(&r.session_id));
        row.text(r.conference_id.as_deref());
        row.text(r.title.as_deref());
        row.text(Some(&r.owner));
        row.time(Some(r.started_at));
        row.plain(r.duration_s);
        row.plain(r.size_bytes);
        row.plain(r.has_media);
    }
}

async fn load(state: &AppState, id: i64) -> ApiResult<RecordingRow> {
    db(state, move |conn| store::get(conn, id).map_err(or_not_found(format!("no recording with id {id}")))).await
}

/// Removes a media file; already gone is fine, other failures are logged.
fn remove_media(dir: &Path, key: &str, id: i64) {
    if let Err(e) = MEDIA.remove(dir, key) {
        tracing::error!(recording = id, error = %e, "recording media not removed from disk");
    }
}

/// Recording media, named by `recordings.storage_key`.
const MEDIA: StoredKind =
    StoredKind { is_safe_key: store::is_safe_media_key, referenced: store::referenced_storage_keys };

/// Removes the media files in `dir` no recording refers to any more, except those younger than
/// `min_age` (an upload may not have stored its key yet). Returns how many were removed.
pub fn sweep_unreferenced_media(
    conn: &mut confreports_store::DbConnection,
    dir: &Path,
    min_age: std::time::Duration,
) -> ApiResult<usize> {
    sweep_unreferenced(conn, dir, min_age, &MEDIA)
}

/// Runs the recording retention: deletes the recordings older than the
/// `recording_retention_days` setting (one `delete_video_recordings` event with the count)
/// and, after the commit, their media files. Returns how many recordings went.
pub fn purge_expired(
    conn: &mut confreports_store::DbConnection,
    recordings_dir: Option<&Path>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<u64, diesel::result::Error> {
    let days = confreports_store::settings::recording_retention_days(conn)?;
    let purged = store::delete_older_than(conn, days, now)?;
    if let Some(dir) = recordings_dir {
        for key in &purged.storage_keys {
            remove_media(dir, key, 0);
        }
    }
    Ok(purged.deleted)
}

/// List recordings
///
/// One row per stored recording, newest first by default. `from`/`to` apply to the start time;
/// `q` matches words of the recorded session's ID, title, owner and owner name. `title` is null
/// for point-to-point calls (the web app shows "(no title)"); `has_media` tells whether the
/// file can be played. Every filter combines with AND; repeated values of one filter with OR.
#[utoipa::path(
    operation_id = "listRecordings",
    tag = "recordings",
    params(RecordingFilterParams, RangeParams, PageParams),
    responses(
        (status = 200, description = "One page of recordings", body = Page<Recording>,
         headers(("Link" = String, description = "`<next page URL>; rel=\"next\"` while more rows follow"))),
        (status = 400, description = "A parameter is invalid", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/recordings")]
pub async fn list_recordings(
    state: web::Data<AppState>,
    req: HttpRequest,
    principal: Principal,
) -> ApiResult<HttpResponse> {
    report::list::<RecordingsReport>(state, req, principal).await
}

/// Count recordings
///
/// How many recordings the filter selects.
#[utoipa::path(
    operation_id = "countRecordings",
    tag = "recordings",
    params(RecordingFilterParams, RangeParams),
    responses(
        (status = 200, description = "The number of matching recordings", body = Count),
        (status = 400, description = "A parameter is invalid", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/recordings/count")]
pub async fn count_recordings(
    state: web::Data<AppState>,
    req: HttpRequest,
    principal: Principal,
) -> ApiResult<HttpResponse> {
    report::count::<RecordingsReport>(state, req, principal).await
}

/// Export recordings as CSV
///
/// The whole selection, streamed, never truncated. Times in `tz` with their offset; cells a
/// spreadsheet would read as a formula are prefixed with `'`.
#[utoipa::path(
    operation_id = "exportRecordings",
    tag = "recordings",
    params(RecordingFilterParams, RangeParams, ExportParams),
    responses(
        (status = 200, description = "CSV, first line the header", content_type = "text/csv", body = String,
         headers(("Content-Disposition" = String, description = "`attachment; filename=\"recordings-<time>.csv\"`")),
         example = json!("id,session_id,conference_id,title,owner,started_at,duration_s,size_bytes,has_media\n17,sess-00412,conf-0002,Sprint review #5,user014@corp.example,2026-11-24T12:00:00+03:00,2832,424804352,true\n")),
        (status = 400, description = "A parameter is invalid", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "This caller already streams the most exports allowed at once (2 by default); retry after `Retry-After` seconds", body = Problem, content_type = "application/problem+json",
         headers(("Retry-After" = u32, description = "Seconds to wait before retrying (5)"))),
    )
)]
#[get("/recordings/export")]
pub async fn export_recordings(
    state: web::Data<AppState>,
    req: HttpRequest,
    principal: Principal,
) -> ApiResult<HttpResponse> {
    report::export::<RecordingsReport>(state, req, principal).await
}

/// Delete recordings by filter
///
/// Deletes the recordings the filter selects and records `delete_video_recording` (count,
/// filter, reason, actor) in the same transaction. Their media files leave the disk after the
/// commit (files stored in the last ten minutes, at a later delete). At least one filter is
/// required; `all=true` selects everything.
#[utoipa::path(
    operation_id = "deleteRecordings",
    tag = "recordings",
    params(RecordingFilterParams, RangeParams, DeleteParams),
    responses(
        (status = 200, description = "How many recordings were deleted", body = Deleted),
        (status = 400, description = "No filter, or a parameter is invalid", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/recordings")]
pub async fn delete_recordings(
    state: web::Data<AppState>,
    req: HttpRequest,
    principal: Principal,
) -> ApiResult<HttpResponse> {
    let answer = report::delete::<RecordingsReport>(state.clone(), req, principal).await?;
    if let Some(dir) = state.recordings_dir.clone() {
        let swept = db(&state, move |conn| sweep_unreferenced_media(conn, &dir, UPLOAD_GRACE)).await;
        if let Err(e) = swept {
            tracing::error!(error = %e, "recordings deleted, but not their media files");
        }
    }
    Ok(answer)
}

/// Get one recording
#[utoipa::path(
    operation_id = "getRecording",
    tag = "recordings",
    params(("id" = i64, Path, description = "Recording id", example = 17)),
    responses(
        (status = 200, description = "The recording", body = Recording),
        (status = 400, description = "The id is not a number, or a query parameter was given", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such recording", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/recordings/{id}")]
pub async fn get_recording(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
) -> ApiResult<web::Json<Recording>> {
    no_query(&req)?;
    let id = path_id("recording", &id)?;
    Ok(web::Json(Recording::from(load(&state, id).await?)))
}

/// Opens a recording's media file; 404 when the recording has none on this server.
async fn open_media(
    state: &AppState,
    req: &HttpRequest,
    id: &str,
) -> ApiResult<(RecordingRow, actix_files::NamedFile)> {
    no_query(req)?;
    let id = path_id("recording", id)?;
    let row = load(state, id).await?;
    let not_here = || ApiError::NotFound(format!("the media of recording {id} is not on this server"));
    let (Some(dir), Some(key)) = (state.recordings_dir.clone(), row.safe_storage_key()) else {
        if row.storage_key.is_some() && row.safe_storage_key().is_none() {
            tracing::warn!(recording = id, "refused a recording whose storage key is not a plain file name");
        }
        return Err(not_here());
    };
    let file = actix_files::NamedFile::open_async(dir.join(key)).await.map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => not_here(),
        _ => ApiError::Internal(format!("opening recording {id}: {e}")),
    })?;
    let file = file
        .set_content_type("video/webm".parse().unwrap_or(actix_web::mime::APPLICATION_OCTET_STREAM))
        // Byte ranges are of the file as stored: never compressed on the way.
        .set_content_encoding(ContentEncoding::Identity);
    Ok((row, file))
}

/// Play a recording
///
/// The WebM file, inline, with HTTP Range support: `Accept-Ranges: bytes`; one range
/// (`bytes=0-99`, open `bytes=100-`, suffix `bytes=-500`) answers 206 with `Content-Range`;
/// an unsatisfiable range answers 416 with `Content-Range: bytes */<size>`; `If-Range` with
/// the `ETag` or `Last-Modified` given here keeps the range, a stale one gives the whole file
/// (200). For several ranges (`bytes=0-9,20-29`) only the first is served (206, not
/// multipart). `If-None-Match` / `If-Modified-Since` answer 304. `HEAD` answers the headers only.
#[utoipa::path(
    get,
    path = "/recordings/{id}/media",
    operation_id = "getRecordingMedia",
    tag = "recordings",
    params(
        ("id" = i64, Path, description = "Recording id", example = 17),
        ("Range" = Option<String>, Header, description = "One byte range", example = "bytes=0-1048575"),
        ("If-Range" = Option<String>, Header, description = "An `ETag` or `Last-Modified` of this file"),
    ),
    responses(
        (status = 200, description = "The whole file", content_type = "video/webm", body = FileContent,
         headers(("Accept-Ranges" = String, description = "`bytes`"), ("ETag" = String), ("Last-Modified" = String))),
        (status = 206, description = "The requested range", content_type = "video/webm", body = FileContent,
         headers(("Content-Range" = String, description = "`bytes <first>-<last>/<size>`"))),
        (status = 400, description = "The id is not a number, or a query parameter was given", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such recording, or its media is not on this server", body = Problem, content_type = "application/problem+json"),
        (status = 416, description = "The range is outside the file",
         headers(("Content-Range" = String, description = "`bytes */<size>`"))),
    )
)]
#[route("/recordings/{id}/media", method = "GET", method = "HEAD")]
pub async fn get_recording_media(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let inline = |_: &RecordingRow| ContentDisposition { disposition: DispositionType::Inline, parameters: vec![] };
    serve_media(&state, &req, &id, inline).await
}

/// Whether an `If-Range` validator names the file as it is: a strong ETag equal to the
/// response's, or a date equal to its `Last-Modified` (RFC 9110 13.1.5). Weak tags never match.
fn if_range_holds(if_range: &str, res: &HttpResponse) -> bool {
    let if_range = if_range.trim();
    let header = |name| res.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    if if_range.starts_with('"') {
        header(actix_web::http::header::ETAG).is_some_and(|etag| etag == if_range)
    } else if if_range.starts_with("W/") {
        false
    } else {
        let date = |s: &str| s.parse::<actix_web::http::header::HttpDate>().ok();
        match (date(if_range), header(actix_web::http::header::LAST_MODIFIED).as_deref().and_then(date)) {
            (Some(a), Some(b)) => a == b,
            _ => false,
        }
    }
}

/// Bytes per blocking read of a media body. actix-files reads 64 KiB per blocking task, which
/// held a full GET of a large recording to about two thirds of nginx's rate (make bench, range).
const MEDIA_CHUNK: u64 = 1 << 20;

/// The first byte and the length of the body `res` (an answer of `NamedFile`) carries.
fn body_span(res: &HttpResponse, size: u64) -> Option<(u64, u64)> {
    match res.status() {
        StatusCode::OK => Some((0, size)),
        StatusCode::PARTIAL_CONTENT => {
            // `bytes <first>-<last>/<size>`
            let range = res.headers().get(actix_web::http::header::CONTENT_RANGE)?.to_str().ok()?;
            let (first, last) = range.strip_prefix("bytes ")?.split_once('/')?.0.split_once('-')?;
            let (first, last): (u64, u64) = (first.parse().ok()?, last.parse().ok()?);
            (first <= last && last < size).then_some((first, last - first + 1))
        }
        _ => None,
    }
}

/// `length` bytes of `file` from `offset`, in reads of [`MEDIA_CHUNK`] off the async workers.
fn media_body(
    file: std::fs::File,
    offset: u64,
    length: u64,
) -> impl futures_util::Stream<Item = std::io::Result<bytes::Bytes>> {
    let file = std::sync::Arc::new(file);
    futures_util::stream::try_unfold((offset, length), move |(offset, left)| {
        let file = file.clone();
        async move {
            if left == 0 {
                return Ok::<_, std::io::Error>(None);
            }
            let n = left.min(MEDIA_CHUNK) as usize;
            let chunk = web::block(move || -> std::io::Result<bytes::Bytes> {
                use std::io::{Read as _, Seek as _};
                // Read into the vector's spare capacity (`read_to_end` does not zero it first,
                // a pass over each MiB that `vec![0; n]` made). The chunks of one body are read
                // one after the other, so seeking the handle, this body's own, is safe.
                let mut handle = &*file;
                handle.seek(std::io::SeekFrom::Start(offset))?;
                let mut buf = Vec::with_capacity(n);
                handle.take(n as u64).read_to_end(&mut buf)?;
                if buf.len() != n {
                    return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "the recording was shortened"));
                }
                Ok(bytes::Bytes::from(buf))
            })
            .await
            .map_err(std::io::Error::other)??;
            Ok(Some((chunk, (offset + n as u64, left - n as u64))))
        }
    })
}

/// `NamedFile`'s answer to `req`, its body (when it has one) read in large chunks.
fn media_response(file: actix_files::NamedFile, req: &HttpRequest) -> HttpResponse {
    let size = file.metadata().len();
    let handle = file.file().try_clone();
    let res = file.into_response(req);
    let span = body_span(&res, size);
    match (handle, span) {
        (Ok(handle), Some((offset, length))) if req.method() != actix_web::http::Method::HEAD => {
            res.map_body(|_, _| {
                actix_web::body::BoxBody::new(actix_web::body::SizedStream::new(
                    length,
                    media_body(handle, offset, length),
                ))
            })
        }
        _ => res,
    }
}

/// Serves a recording's media with ranges; actix-files' `NamedFile` does `Range`, `HEAD` and
/// the `If-*` preconditions, this adds `If-Range` (a stale validator gets the whole file) and
/// reads the body in chunks of [`MEDIA_CHUNK`].
async fn serve_media(
    state: &AppState,
    req: &HttpRequest,
    id: &str,
    disposition: impl Fn(&RecordingRow) -> ContentDisposition,
) -> ApiResult<HttpResponse> {
    let (row, file) = open_media(state, req, id).await?;
    let res = media_response(file.set_content_disposition(disposition(&row)), req);
    let if_range = req.headers().get(actix_web::http::header::IF_RANGE).and_then(|v| v.to_str().ok());
    let res = match if_range {
        Some(v) if res.status() == StatusCode::PARTIAL_CONTENT && !if_range_holds(v, &res) => {
            // The same request without its range.
            let plain = actix_web::test::TestRequest::default().method(req.method().clone()).to_http_request();
            let (row, file) = open_media(state, req, id).await?;
            media_response(file.set_content_disposition(disposition(&row)), &plain)
        }
        _ => res,
    };
    // One record per playback or download: its first request, not every range after it.
    if crate::audit::starts_the_file(req, &res) {
        let what = if req.path().ends_with("/download") { "recording" } else { "recording_media" };
        let entry = crate::audit::entry(req, "download")
            .with_target(format!("recording:{}", row.id))
            .with_details(serde_json::json!({ "what": what, "id": row.id, "session_id": row.session_id }));
        crate::audit::record(state, entry).await?;
    }
    Ok(res)
}

/// The attachment name of a recording: its title (or "Recording <id>") and start date.
fn download_name(row: &RecordingRow) -> String {
    let title = row.title.as_deref().map(str::trim).filter(|t| !t.is_empty());
    let title = title.map(str::to_owned).unwrap_or_else(|| format!("Recording {}", row.id));
    format!("{title} {}.webm", row.started_at.format("%Y-%m-%d %H-%M"))
}

/// Download a recording
///
/// The WebM file as an attachment named after the title and start (UTC), e.g.
/// `Sprint review 2026-11-24 09-00.webm` (RFC 6266 `filename*` for non-ASCII titles). Ranges
/// work as for `/media`.
#[utoipa::path(
    operation_id = "downloadRecording",
    tag = "recordings",
    params(("id" = i64, Path, description = "Recording id", example = 17)),
    responses(
        (status = 200, description = "The file", content_type = "video/webm", body = FileContent,
         headers(("Content-Disposition" = String, description = "`attachment; filename=\"...\"; filename*=UTF-8''...`"))),
        (status = 400, description = "The id is not a number, or a query parameter was given", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such recording, or its media is not on this server", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/recordings/{id}/download")]
pub async fn download_recording(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    serve_media(&state, &req, &id, |row| attachment(&download_name(row))).await
}

/// Get a recording's chat
///
/// The chat messages of the recorded session in time order, each with `offset_ms` from the
/// recording start (negative before it), for playing the chat in sync. Empty when the session
/// had no chat or is not in the call history.
#[utoipa::path(
    operation_id = "getRecordingChat",
    tag = "recordings",
    params(("id" = i64, Path, description = "Recording id", example = 17)),
    responses(
        (status = 200, description = "The messages in time order", body = Vec<RecordingChatMessage>),
        (status = 400, description = "The id is not a number, or a query parameter was given", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such recording", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/recordings/{id}/chat")]
pub async fn get_recording_chat(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
) -> ApiResult<web::Json<Vec<RecordingChatMessage>>> {
    no_query(&req)?;
    let id = path_id("recording", &id)?;
    let chat =
        db(&state, move |conn| store::chat(conn, id).map_err(or_not_found(format!("no recording with id {id}"))))
            .await?;
    Ok(web::Json(chat))
}

/// Delete a recording
///
/// Deletes the recording and records `delete_video_recording` (`details: {deleted: 1,
/// recording_id, session_id, title, started_at, actor}`) in the same transaction; the media
/// file leaves the disk once that has committed.
#[utoipa::path(
    operation_id = "deleteRecording",
    tag = "recordings",
    params(("id" = i64, Path, description = "Recording id", example = 17)),
    responses(
        (status = 204, description = "The recording is deleted"),
        (status = 400, description = "The id is not a number, or a query parameter was given", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such recording", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/recordings/{id}")]
pub async fn delete_recording(
    state: web::Data<AppState>,
    req: HttpRequest,
    principal: Principal,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    no_query(&req)?;
    let id = path_id("recording", &id)?;
    let actor = principal.actor(&req);
    let row = db(&state, move |conn| {
        store::delete_one(conn, id, &actor).map_err(or_not_found(format!("no recording with id {id}")))
    })
    .await?;
    if let (Some(dir), Some(key)) = (&state.recordings_dir, row.storage_key.as_deref()) {
        remove_media(dir, key, id);
    }
    Ok(HttpResponse::NoContent().finish())
}

/// A temporary upload file, removed on drop unless it was moved into place.
struct TempUpload {
    path: PathBuf,
    file: Option<std::fs::File>,
    keep: bool,
}

impl Drop for TempUpload {
    fn drop(&mut self) {
        self.file = None;
        if !self.keep {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

fn upload_problem(status: StatusCode, detail: String) -> HttpResponse {
    problem_response(&framework_problem(status, detail))
}

/// Upload a recording's media
///
/// The conferencing server sends the WebM file of a recording it announced with an ingest
/// `recording` record. `{id}` is that record's `id` (the recording's **source id**). The body
/// is streamed to a temporary file in the recordings directory (never held in memory), must
/// start with the EBML magic `1A 45 DF A3` (415 otherwise) and stay within the size limit
/// (413, 4 GiB by default); it is synced and moved into place atomically, replacing an earlier
/// upload. `size_bytes` becomes the file's size; `duration_s` the WebM `Duration` when the file
/// has one (browser-made WebM often lacks it), otherwise the recording keeps its duration.
#[utoipa::path(
    operation_id = "uploadRecordingMedia",
    tag = "recordings",
    params(("id" = String, Path, description = "Source id of the recording (the `id` of its ingest record)", example = "rec-20261124-0042")),
    request_body(content = FileContent, content_type = "video/webm", description = "The WebM file"),
    responses(
        (status = 200, description = "Stored", body = RecordingUploaded),
        (status = 400, description = "A query parameter was given, or the body could not be read", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No recording with this source id", body = Problem, content_type = "application/problem+json"),
        (status = 408, description = "The body stalled longer than the body idle timeout; nothing stored", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The file is larger than the limit (with or without `Content-Length`); nothing stored", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not a WebM (EBML) file", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "This server keeps no recordings", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/ingest/recordings/{id}/media")]
pub async fn upload_recording_media(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
    mut body: web::Payload,
) -> ApiResult<HttpResponse> {
    no_query(&req)?;
    let source_id = id.into_inner();
    let Some(dir) = state.recordings_dir.clone() else {
        return Err(ApiError::Unavailable("this server keeps no recordings".into()));
    };
    let max = state.recording_max_bytes;
    let row = {
        let sid = source_id.clone();
        db(&state, move |conn| {
            store::by_source_id(conn, &sid).map_err(or_not_found(format!("no recording with source id `{sid}`")))
        })
        .await?
    };
    let too_large =
        || upload_problem(StatusCode::PAYLOAD_TOO_LARGE, format!("a recording may have at most {max} bytes"));
    let declared = req
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max) {
        return Ok(too_large());
    }

    let io = |e: std::io::Error| ApiError::Internal(format!("storing a recording: {e}"));
    let tmp_path = dir.join(format!(".upload-{}", crate::auth::random_token(12)));
    let mut tmp = web::block({
        let dir = dir.clone();
        let path = tmp_path.clone();
        move || -> std::io::Result<TempUpload> {
            std::fs::create_dir_all(&dir)?;
            let file = std::fs::OpenOptions::new().write(true).create_new(true).open(&path)?;
            Ok(TempUpload { path, file: Some(file), keep: false })
        }
    })
    .await?
    .map_err(io)?;

    const FLUSH_AT: usize = 1 << 20;
    let mut total: u64 = 0;
    let mut checked_magic = false;
    let mut buf: Vec<u8> = Vec::with_capacity(FLUSH_AT);
    loop {
        let chunk = body.next().await;
        let done = chunk.is_none();
        if let Some(chunk) = chunk {
            let chunk = chunk.map_err(|e| ApiError::bad_parameter("body", format!("reading the upload: {e}")))?;
            total += chunk.len() as u64;
            if total > max {
                return Ok(too_large());
            }
            buf.extend_from_slice(&chunk);
        }
        if !checked_magic && (buf.len() >= 4 || done) {
            if !buf.starts_with(&ebml::MAGIC) {
                return Ok(upload_problem(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "the body is not a WebM file (no EBML magic 1A 45 DF A3 at its start)".into(),
                ));
            }
            checked_magic = true;
        }
        if buf.len() >= FLUSH_AT || (done && !buf.is_empty()) {
            let data = std::mem::replace(&mut buf, Vec::with_capacity(FLUSH_AT));
            let mut file = tmp.file.take().ok_or_else(|| ApiError::Internal("upload file lost".into()))?;
            let file = web::block(move || file.write_all(&data).map(|()| file)).await?.map_err(io)?;
            tmp.file = Some(file);
        }
        if done {
            break;
        }
    }

    // Sync, read the duration, move into place.
    let key = format!("rec-{}-{}", row.id, crate::auth::random_token(9));
    let final_path = dir.join(&key);
    let file = tmp.file.take().ok_or_else(|| ApiError::Internal("upload file lost".into()))?;
    let tmp_for_block = tmp_path.clone();
    let duration = web::block(move || -> std::io::Result<Option<i64>> {
        file.sync_all()?;
        drop(file);
        let duration = store::webm_duration_s(&tmp_for_block)?;
        std::fs::rename(&tmp_for_block, &final_path)?;
        if let Ok(d) = std::fs::File::open(final_path.parent().unwrap_or(Path::new("."))) {
            let _ = d.sync_all();
        }
        Ok(duration)
    })
    .await?
    .map_err(io)?;
    tmp.keep = true;

    let id = row.id;
    let size = i64::try_from(total).unwrap_or(i64::MAX);
    let stored_key = key.clone();
    let entry = crate::audit::entry(&req, "recording_uploaded")
        .with_target(format!("recording:{id}"))
        .with_details(serde_json::json!({ "id": id, "size_bytes": size, "duration_s": duration }));
    let updated = db(&state, move |conn| {
        confreports_store::conn::write_transaction(conn, |conn| {
            let done = store::set_media(conn, id, &stored_key, size, duration)?;
            confreports_store::audit::append(conn, &entry)?;
            Ok(done)
        })
        .map_err(or_not_found(format!("no recording with id {id}")))
    })
    .await;
    let (previous, after) = match updated {
        Ok(done) => done,
        Err(e) => {
            remove_media(&dir, &key, id);
            return Err(e);
        }
    };
    if let Some(old) = previous.filter(|old| *old != key) {
        remove_media(&dir, &old, id);
    }
    Ok(HttpResponse::Ok().json(RecordingUploaded {
        id,
        size_bytes: after.size_bytes,
        duration_s: after.duration_s,
        duration_from_file: duration.is_some(),
    }))
}
