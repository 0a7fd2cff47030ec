//! Call history over HTTP: the report (list, count, export, delete by filter), the session page
//! (participants, invitations, media quality, files, chat), connection properties, and the
//! files sent to chats (download, delete).
//!
//! The session page's lists are plain arrays, not pages: they are bounded by what one session
//! holds (its connections, invitations, samples, files and messages).

use actix_web::http::header::{Charset, ContentDisposition, DispositionParam, DispositionType, ExtendedValue};
use actix_web::{HttpRequest, HttpResponse, delete, get, web};
use chrono_tz::Tz;
use confreports_store::calls::{self as store, CallFilter, CallsReport};
use confreports_store::report::CommonFilter;
use confreports_types::{
    CallFilterParams, CallParticipants, CallSession, ChatFile, ChatMessage, ConnectionProperties, Count, DeleteParams,
    Deleted, ExportParams, Invitation, MediaQuality, Page, PageParams, Problem, RangeParams,
};

use crate::auth::Principal;
use crate::csv_export::Row;
use crate::error::{ApiError, ApiResult, or_not_found, path_id};
use crate::params::no_query;
use crate::report::{self, ApiReport, db};
use crate::state::AppState;

impl ApiReport for CallsReport {
    type Params = CallFilterParams;
    const PARAM_NAMES: &'static [&'static str] = CallFilterParams::NAMES;

    fn params_empty(params: &CallFilterParams) -> bool {
        params.is_empty()
    }

    fn filter(common: CommonFilter, p: CallFilterParams) -> ApiResult<CallFilter> {
        Ok(CallFilter {
            common,
            owners: p.owner,
            conferences: p.conference,
            active: p.active,
            recorded: p.recorded,
            participants: p.participant,
        })
    }

    const CSV_HEADER: &'static [&'static str] = &[
        "id",
        "title",
        "conference_id",
        "owner",
        "mode",
        "multicast",
        "started_at",
        "ended_at",
        "duration_s",
        "participants",
        "connections",
        "recorded",
    ];

    fn csv_row(c: &CallSession, _tz: Tz, row: &mut Row) {
        row.text(Some(&c.id));
        row.text(c.title.as_deref());
        row.text(c.conference_id.as_deref());
        row.text(Some(&c.owner));
        row.text(Some(&c.mode));
        row.plain(c.multicast);
        row.time(Some(c.started_at));
        row.time(c.ended_at);
        row.optional(c.duration_s);
        row.plain(c.participants);
        row.plain(c.connections);
        row.plain(c.recorded);
    }
}

/// List calls
///
/// One row per conferencing session, newest first by default. `from`/`to` apply to the start
/// time. Active sessions have `ended_at` and `duration_s` null; sorted by either, they come
/// after every ended session ascending and before them descending. Every filter combines with
/// AND; repeated values of one filter with OR.
#[utoipa::path(
    operation_id = "listCalls",
    tag = "calls",
    params(CallFilterParams, RangeParams, PageParams),
    responses(
        (status = 200, description = "One page of sessions", body = Page<CallSession>,
         headers(("Link" = String, description = "`<next page URL>; rel=\"next\"` while more rows follow"))),
        (status = 400, description = "A parameter is invalid", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/calls")]
pub async fn list_calls(state: web::Data<AppState>, req: HttpRequest, principal: Principal) -> ApiResult<HttpResponse> {
    report::list::<CallsReport>(state, req, principal).await
}

/// Count calls
///
/// How many sessions the filter selects. A delete with the same filter removes these minus
/// the active and the recorded ones: add `active=false&recorded=false` to preview it.
#[utoipa::path(
    operation_id = "countCalls",
    tag = "calls",
    params(CallFilterParams, RangeParams),
    responses(
        (status = 200, description = "The number of matching sessions", body = Count),
        (status = 400, description = "A parameter is invalid", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/calls/count")]
pub async fn count_calls(
    state: web::Data<AppState>,
    req: HttpRequest,
    principal: Principal,
) -> ApiResult<HttpResponse> {
    report::count::<CallsReport>(state, req, principal).await
}

/// Export calls as CSV
///
/// The whole selection, streamed, never truncated. Times in `tz` with their offset; the end
/// and duration of active sessions are empty; cells a spreadsheet would read as a formula are
/// prefixed with `'`.
#[utoipa::path(
    operation_id = "exportCalls",
    tag = "calls",
    params(CallFilterParams, RangeParams, ExportParams),
    responses(
        (status = 200, description = "CSV, first line the header", content_type = "text/csv", body = String,
         headers(("Content-Disposition" = String, description = "`attachment; filename=\"calls-<time>.csv\"`")),
         example = json!("id,title,conference_id,owner,mode,multicast,started_at,ended_at,duration_s,participants,connections,recorded\nsess-00412,Sprint review #5,conf-0005,user014@corp.example,symmetric,false,2026-11-24T12:00:00+03:00,2026-11-24T12:47:12+03:00,2832,7,9,true\n")),
        (status = 400, description = "A parameter is invalid", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "This caller already streams the most exports allowed at once (2 by default); retry after `Retry-After` seconds", body = Problem, content_type = "application/problem+json",
         headers(("Retry-After" = u32, description = "Seconds to wait before retrying (5)"))),
    )
)]
#[get("/calls/export")]
pub async fn export_calls(
    state: web::Data<AppState>,
    req: HttpRequest,
    principal: Principal,
) -> ApiResult<HttpResponse> {
    report::export::<CallsReport>(state, req, principal).await
}

/// Delete call history by filter
///
/// Deletes the sessions the filter selects, except those still active (no end yet) and those
/// with a server-side recording: these are skipped and stay. With each deleted session go its
/// participants, invitations, media samples, files and chat messages. Records
/// `delete_conferences` (count, filter, reason, actor) and, when chat messages went with the
/// sessions, `delete_chat_messages_cascade` with their count, in the same transaction as the
/// deletion. `deleted` is the number of sessions deleted. The content of their chat files
/// leaves the disk after the commit (files stored in the last ten minutes, at a later delete).
/// At least one filter is required; `all=true` selects everything.
#[utoipa::path(
    operation_id = "deleteCalls",
    tag = "calls",
    params(CallFilterParams, RangeParams, DeleteParams),
    responses(
        (status = 200, description = "How many sessions were deleted", body = Deleted),
        (status = 400, description = "No filter, or a parameter is invalid", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/calls")]
pub async fn delete_calls(
    state: web::Data<AppState>,
    req: HttpRequest,
    principal: Principal,
) -> ApiResult<HttpResponse> {
    let answer = report::delete::<CallsReport>(state.clone(), req, principal).await?;
    // The rows of the deleted sessions' chat files went by cascade; their content goes now.
    if let Some(dir) = state.files_dir.clone() {
        let swept = db(&state, move |conn| sweep_unreferenced_files(conn, &dir, UPLOAD_GRACE)).await;
        if let Err(e) = swept {
            tracing::error!(error = %e, "call history deleted, but not the content of its chat files");
        }
    }
    Ok(answer)
}

/// How old a content file must be before a sweep may remove it: its row may not be stored yet.
pub const UPLOAD_GRACE: std::time::Duration = std::time::Duration::from_secs(10 * 60);

/// Chat-file content, named by `chat_files.storage_key`.
pub const CHAT_FILES: StoredKind =
    StoredKind { is_safe_key: store::is_safe_storage_key, referenced: store::referenced_storage_keys };

/// Removes the content files in `dir` that no chat file refers to any more (their rows went with
/// deleted call history), except those younger than `min_age`. Returns how many were removed.
pub fn sweep_unreferenced_files(
    conn: &mut confreports_store::DbConnection,
    dir: &std::path::Path,
    min_age: std::time::Duration,
) -> ApiResult<usize> {
    sweep_unreferenced(conn, dir, min_age, &CHAT_FILES)
}

/// Get one call
///
/// The session page's summary: time, owner, title, mode (with multicast), and the counts of
/// distinct people and of connections.
#[utoipa::path(
    operation_id = "getCall",
    tag = "calls",
    params(("id" = String, Path, description = "Session ID", example = "sess-00412")),
    responses(
        (status = 200, description = "The session", body = CallSession),
        (status = 400, description = "A query parameter was given", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such session", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/calls/{id}")]
pub async fn get_call(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
) -> ApiResult<web::Json<CallSession>> {
    no_query(&req)?;
    let id = id.into_inner();
    let call =
        db(&state, move |conn| store::get(conn, &id).map_err(or_not_found(format!("no session `{id}`")))).await?;
    Ok(web::Json(call))
}

/// List a call's participants
///
/// Every connection to the session in join order (a reconnection is a connection of its
/// own), with device, join and leave time, leave reason and a guest's name changes. `connections`
/// is the "Total"; `participants` counts people. A plain array: bounded by the session.
#[utoipa::path(
    operation_id = "listCallParticipants",
    tag = "calls",
    params(("id" = String, Path, description = "Session ID", example = "sess-00412")),
    responses(
        (status = 200, description = "The session's connections and totals", body = CallParticipants),
        (status = 400, description = "A query parameter was given", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such session", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/calls/{id}/participants")]
pub async fn list_call_participants(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
) -> ApiResult<web::Json<CallParticipants>> {
    no_query(&req)?;
    let id = id.into_inner();
    let list =
        db(&state, move |conn| store::participants(conn, &id).map_err(or_not_found(format!("no session `{id}`"))))
            .await?;
    Ok(web::Json(list))
}

/// List a call's invitations
///
/// Who invited whom and when, and whether the invitation was accepted, rejected or missed, in
/// time order. The server's address is the inviter (`inviter_is_server`) when the server called
/// the participants at the start; people who joined on their own have none.
#[utoipa::path(
    operation_id = "listCallInvitations",
    tag = "calls",
    params(("id" = String, Path, description = "Session ID", example = "sess-00412")),
    responses(
        (status = 200, description = "The session's invitations", body = Vec<Invitation>),
        (status = 400, description = "A query parameter was given", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such session", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/calls/{id}/invitations")]
pub async fn list_call_invitations(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
) -> ApiResult<web::Json<Vec<Invitation>>> {
    no_query(&req)?;
    let id = id.into_inner();
    let list =
        db(&state, move |conn| store::invitations(conn, &id).map_err(or_not_found(format!("no session `{id}`"))))
            .await?;
    Ok(web::Json(list))
}

/// List a call's media quality
///
/// Media quality samples per participant connection (in join order, each in time order):
/// bitrates in and out, resolution, frame rate, packet loss, jitter and CPU load.
#[utoipa::path(
    operation_id = "listCallMedia",
    tag = "calls",
    params(("id" = String, Path, description = "Session ID", example = "sess-00412")),
    responses(
        (status = 200, description = "The session's media quality samples", body = Vec<MediaQuality>),
        (status = 400, description = "A query parameter was given", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such session", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/calls/{id}/media")]
pub async fn list_call_media(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
) -> ApiResult<web::Json<Vec<MediaQuality>>> {
    no_query(&req)?;
    let id = id.into_inner();
    let list =
        db(&state, move |conn| store::media(conn, &id).map_err(or_not_found(format!("no session `{id}`")))).await?;
    Ok(web::Json(list))
}

/// List a call's files
///
/// Files sent to the session's chat, in time order. `downloadable` ones are served by
/// `GET /files/{id}/content`.
#[utoipa::path(
    operation_id = "listCallFiles",
    tag = "calls",
    params(("id" = String, Path, description = "Session ID", example = "sess-00412")),
    responses(
        (status = 200, description = "The session's chat files", body = Vec<ChatFile>),
        (status = 400, description = "A query parameter was given", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such session", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/calls/{id}/files")]
pub async fn list_call_files(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
) -> ApiResult<web::Json<Vec<ChatFile>>> {
    no_query(&req)?;
    let id = id.into_inner();
    let list =
        db(&state, move |conn| store::files(conn, &id).map_err(or_not_found(format!("no session `{id}`")))).await?;
    Ok(web::Json(list))
}

/// List a call's chat
///
/// The messages of the session's chat, oldest first.
#[utoipa::path(
    operation_id = "listCallChat",
    tag = "calls",
    params(("id" = String, Path, description = "Session ID", example = "sess-00412")),
    responses(
        (status = 200, description = "The session's chat messages", body = Vec<ChatMessage>),
        (status = 400, description = "A query parameter was given", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such session", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/calls/{id}/chat")]
pub async fn list_call_chat(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
) -> ApiResult<web::Json<Vec<ChatMessage>>> {
    no_query(&req)?;
    let id = id.into_inner();
    let list =
        db(&state, move |conn| store::chat(conn, &id).map_err(or_not_found(format!("no session `{id}`")))).await?;
    Ok(web::Json(list))
}

/// Get connection properties
///
/// What the endpoint of one participant connection reported: client application and version,
/// OS, CPU, IP and the rest of its system information, with its endpoint and session.
#[utoipa::path(
    operation_id = "getConnection",
    tag = "calls",
    params(("connection_id" = String, Path, description = "Connection ID", example = "sess-00412-c2")),
    responses(
        (status = 200, description = "The connection's properties", body = ConnectionProperties),
        (status = 400, description = "A query parameter was given", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such connection", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/connections/{connection_id}")]
pub async fn get_connection(
    state: web::Data<AppState>,
    req: HttpRequest,
    connection_id: web::Path<String>,
) -> ApiResult<web::Json<ConnectionProperties>> {
    no_query(&req)?;
    let id = connection_id.into_inner();
    let found =
        db(&state, move |conn| store::connection(conn, &id).map_err(or_not_found(format!("no connection `{id}`"))))
            .await?;
    Ok(web::Json(found))
}

/// The bytes of a file (in the OpenAPI document: `type: string, format: binary`).
#[derive(utoipa::ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct FileContent(pub Vec<u8>);

/// `Content-Disposition: attachment` with the name as sent (RFC 6266 `filename*`) and an ASCII
/// fallback; separators and control characters never reach the client's file system.
pub(crate) fn attachment(name: &str) -> ContentDisposition {
    let clean: String = name.chars().map(|c| if c.is_control() || matches!(c, '/' | '\\') { '_' } else { c }).collect();
    let clean = clean.trim_matches(|c: char| c == '.' || c.is_whitespace());
    let clean = if clean.is_empty() { "file" } else { clean };
    let ascii: String =
        clean.chars().map(|c| if (c.is_ascii_graphic() && c != '"') || c == ' ' { c } else { '_' }).collect();
    ContentDisposition {
        disposition: DispositionType::Attachment,
        parameters: vec![
            DispositionParam::Filename(ascii),
            DispositionParam::FilenameExt(ExtendedValue {
                charset: Charset::Ext("UTF-8".into()),
                language_tag: None,
                value: clean.as_bytes().to_vec(),
            }),
        ],
    }
}

/// Download a chat file
///
/// The content of a file sent to a session's chat, as an attachment under its original name
/// and with its content type. Files are reached by id only.
#[utoipa::path(
    operation_id = "downloadFile",
    tag = "calls",
    params(("id" = i64, Path, description = "File id", example = 31)),
    responses(
        (status = 200, description = "The file's content, with the media type it was sent with (`application/octet-stream` when that was not known), always as an attachment",
         content_type = "*/*", body = FileContent,
         headers(("Content-Disposition" = String, description = "`attachment; filename=\"...\"; filename*=UTF-8''...`"))),
        (status = 400, description = "The id is not a number, or a query parameter was given", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such file, or its content is not on this server", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/files/{id}/content")]
pub async fn download_file(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    no_query(&req)?;
    let id = path_id("file", &id)?;
    let dir = state.files_dir.clone();
    let row =
        db(&state, move |conn| store::file(conn, id).map_err(or_not_found(format!("no file with id {id}")))).await?;
    let not_here = || ApiError::NotFound(format!("the content of file {id} is not on this server"));
    let (Some(dir), Some(key)) = (dir, row.safe_storage_key()) else {
        if row.storage_key.is_some() && row.safe_storage_key().is_none() {
            tracing::warn!(file = id, "refused a chat file whose storage key is not a plain file name");
        }
        return Err(not_here());
    };
    let file = actix_files::NamedFile::open_async(dir.join(key)).await.map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => not_here(),
        _ => ApiError::Internal(format!("opening chat file {id}: {e}")),
    })?;
    let content_type =
        row.content_type.parse::<actix_web::mime::Mime>().unwrap_or(actix_web::mime::APPLICATION_OCTET_STREAM);
    let file = file.set_content_type(content_type).set_content_disposition(attachment(&row.file_name));
    let res = file.into_response(&req);
    if crate::audit::starts_the_file(&req, &res) {
        let entry = crate::audit::entry(&req, "download").with_target(format!("file:{}", row.id)).with_details(
            serde_json::json!({ "what": "file", "id": row.id, "name": row.file_name, "session_id": row.session_id }),
        );
        crate::audit::record(&state, entry).await?;
    }
    Ok(res)
}

/// Delete a chat file
///
/// Deletes a file sent to a session's chat and records a `delete_chat_messages` event naming
/// it (`details: {file_id, name, session_id, actor}`) in the same transaction; the content
/// leaves the disk once that has committed.
#[utoipa::path(
    operation_id = "deleteFile",
    tag = "calls",
    params(("id" = i64, Path, description = "File id", example = 31)),
    responses(
        (status = 204, description = "The file is deleted"),
        (status = 400, description = "The id is not a number, or a query parameter was given", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such file", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/files/{id}")]
pub async fn delete_file(
    state: web::Data<AppState>,
    req: HttpRequest,
    principal: Principal,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    no_query(&req)?;
    let id = path_id("file", &id)?;
    let actor = principal.actor(&req);
    let row = db(&state, move |conn| {
        store::delete_file(conn, id, &actor).map_err(or_not_found(format!("no file with id {id}")))
    })
    .await?;
    if let (Some(dir), Some(key)) = (&state.files_dir, row.storage_key.as_deref())
        && let Err(e) = CHAT_FILES.remove(dir, key)
    {
        tracing::error!(file = id, error = %e, "chat file deleted from the database but not from disk");
    }
    Ok(HttpResponse::NoContent().finish())
}

/// A stored kind of file (chat files, recording media): which names it may have, and which of a
/// list of names its table still refers to.
pub struct StoredKind {
    pub is_safe_key: fn(&str) -> bool,
    pub referenced:
        fn(&mut confreports_store::DbConnection, &[String]) -> diesel::QueryResult<std::collections::HashSet<String>>,
}

impl StoredKind {
    /// Removes the file named `key` from `dir`: only a name this kind may have is ever opened,
    /// and a file already gone is what was wanted. Returns whether a file was there.
    pub fn remove(&self, dir: &std::path::Path, key: &str) -> std::io::Result<bool> {
        if !(self.is_safe_key)(key) {
            return Ok(false);
        }
        match std::fs::remove_file(dir.join(key)) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e),
        }
    }
}

/// Removes the files in `dir` that no row of `kind` refers to any more, except those younger
/// than `min_age` (an upload may not have stored its key yet). Returns how many were removed.
pub fn sweep_unreferenced(
    conn: &mut confreports_store::DbConnection,
    dir: &std::path::Path,
    min_age: std::time::Duration,
    kind: &StoredKind,
) -> ApiResult<usize> {
    let io = |e: std::io::Error| ApiError::Internal(format!("sweeping {}: {e}", dir.display()));
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(io(e)),
    };
    let mut candidates = Vec::new();
    for entry in entries {
        let entry = entry.map_err(io)?;
        let Ok(name) = entry.file_name().into_string() else { continue };
        let meta = entry.metadata().map_err(io)?;
        let old_enough = meta.modified().ok().and_then(|m| m.elapsed().ok()).is_some_and(|age| age >= min_age);
        if meta.is_file() && old_enough && (kind.is_safe_key)(&name) {
            candidates.push(name);
        }
    }
    let referenced = (kind.referenced)(conn, &candidates)?;
    let mut removed = 0;
    for name in candidates.iter().filter(|n| !referenced.contains(*n)) {
        if kind.remove(dir, name).map_err(io)? {
            removed += 1;
        }
    }
    Ok(removed)
}
