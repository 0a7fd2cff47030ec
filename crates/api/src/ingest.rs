//! `POST /api/v1/ingest`: the conferencing server pushes its records in batches.

use actix_web::http::StatusCode;
use actix_web::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use actix_web::{HttpRequest, HttpResponse, post, web};
use chrono::Utc;
use confreports_types::ingest::{IngestRecord, IngestResult};
use confreports_types::{FieldError, Problem};
use futures_util::StreamExt as _;
use serde_json::Value;

use crate::auth::Principal;
use crate::error::{ApiResult, framework_problem, problem_response};
use crate::report::db;
use crate::state::AppState;

/// Limits of one ingest request (`confreports serve --ingest-max-bytes/--ingest-max-records`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IngestLimits {
    /// Body size in bytes (`CONFREPORTS_INGEST_MAX_BYTES`, default 16 MiB).
    pub max_bytes: usize,
    /// Records per batch (`CONFREPORTS_INGEST_MAX_RECORDS`, default 10,000).
    pub max_records: usize,
}

impl IngestLimits {
    pub const DEFAULT_MAX_BYTES: usize = 16 << 20;
    pub const DEFAULT_MAX_RECORDS: usize = 10_000;
}

impl Default for IngestLimits {
    fn default() -> Self {
        IngestLimits { max_bytes: Self::DEFAULT_MAX_BYTES, max_records: Self::DEFAULT_MAX_RECORDS }
    }
}

fn problem(status: StatusCode, detail: impl Into<String>, errors: Option<Vec<FieldError>>) -> HttpResponse {
    let mut p: Problem = framework_problem(status, detail);
    if status == StatusCode::UNSUPPORTED_MEDIA_TYPE {
        p.kind = "https://confreports.dev/problems/unsupported-media-type".into();
        p.title = "Unsupported media type".into();
    }
    p.errors = errors;
    problem_response(&p)
}

fn invalid(field: String, message: String) -> HttpResponse {
    let detail = format!("{field}: {message}; nothing of the batch was stored");
    problem(StatusCode::UNPROCESSABLE_ENTITY, detail, Some(vec![FieldError { field, message }]))
}

/// Which field of a record object a serde error is about, best effort: named in the message,
/// or the one whose removal makes the error go away.
fn culprit(obj: &Value, message: &str) -> Option<String> {
    let quoted = |prefix: &str| message.strip_prefix(prefix).and_then(|rest| rest.split('`').next()).map(str::to_owned);
    if let Some(f) = quoted("missing field `").or_else(|| quoted("unknown field `")) {
        return Some(f);
    }
    let map = obj.as_object()?;
    if let Some(v) = quoted("unknown variant `")
        && map.get("kind").and_then(Value::as_str) == Some(v.as_str())
        && !IngestRecord::KINDS.contains(&v.as_str())
    {
        return Some("kind".into());
    }
    for key in map.keys().filter(|k| *k != "kind") {
        let mut without = map.clone();
        without.remove(key);
        match serde_json::from_value::<IngestRecord>(Value::Object(without)) {
            Ok(_) => return Some(key.clone()),
            Err(e) if e.to_string() != message => return Some(key.clone()),
            Err(_) => {}
        }
    }
    None
}

/// Parses and checks record `index`; the error names `[index].field`.
fn parse_record(index: usize, value: Value) -> Result<IngestRecord, (String, String)> {
    if !value.is_object() {
        return Err((format!("[{index}]"), "a record is a JSON object".into()));
    }
    if let Some(field) = crate::body::nul_field(&value) {
        return Err((
            format!("[{index}].{field}"),
            "contains a NUL character (\\u0000), which cannot be stored".into(),
        ));
    }
    let record = match serde_json::from_value::<IngestRecord>(value.clone()) {
        Ok(r) => r,
        Err(e) => {
            let message = e.to_string();
            let field = match culprit(&value, &message) {
                Some(f) => format!("[{index}].{f}"),
                None => format!("[{index}]"),
            };
            return Err((field, message));
        }
    };
    // Unknown fields: what the record has beyond what it parsed into.
    if let (Some(given), Ok(Value::Object(known))) = (value.as_object(), serde_json::to_value(&record))
        && let Some(extra) = given.keys().find(|k| !known.contains_key(*k))
    {
        return Err((format!("[{index}].{extra}"), format!("unknown field `{extra}`")));
    }
    confreports_store::ingest::validate(&record).map_err(|(f, m)| (format!("[{index}].{f}"), m))?;
    Ok(record)
}

/// Push records
///
/// Stores a batch of records of the conferencing server. The body is a JSON array
/// (`Content-Type: application/json`) or one record per line (`application/x-ndjson`); every
/// record has a `kind` and an `id`, the source's id, unique per kind. Each kind has its own
/// schema (see `IngestRecord`); unknown fields are refused.
///
/// **All or nothing.** The batch is stored in one transaction; the answer comes after the
/// commit, so a `200` means every record is stored. A malformed record fails the whole batch
/// with `422`, whose `errors` name the record's index and field (`[3].started_at`), and
/// nothing is stored. A record whose `(kind, id)` was stored before, by this batch or an
/// earlier one, is skipped and counted in `duplicates`: retrying a batch is safe.
///
/// **Limits.** At most 16 MiB of body and 10,000 records per batch by default (`serve
/// --ingest-max-bytes` / `--ingest-max-records`, or `CONFREPORTS_INGEST_MAX_BYTES` /
/// `CONFREPORTS_INGEST_MAX_RECORDS`); more is `413`, with or without a `Content-Length`, and
/// nothing of the batch is stored. A body that stalls longer than the body idle timeout (30 s
/// by default) is answered `408`.
///
/// **Records out of order** are kept rather than refused, since the source cannot resend them
/// in order: a participant, invitation, media, chat, file or end record of a session not known
/// yet creates a placeholder session (mode `unknown`, started at the earliest such record),
/// which `session_started` completes; a session naming an unknown conference creates a
/// placeholder conference (kind `unknown`) which `conference` completes. A session ended twice
/// keeps the later end. `participant_left` or `participant_renamed` before
/// `participant_joined` creates the connection, joined at that time; `participant_joined`
/// completes it and keeps the leave. Of two leaves of a connection, the later wins. An endpoint
/// connect older than the endpoint's last report does not overwrite newer device data, an
/// older `conference_end` is ignored, and an update of an endpoint never connected has nothing
/// to update and is accepted without effect. Participant and connection counts of the sessions
/// touched are recomputed with the batch.
///
/// Ingest is not itself logged in the Events report (only `event` records go there).
#[utoipa::path(
    operation_id = "ingestRecords",
    tag = "ingest",
    request_body(
        description = "A JSON array of records, or NDJSON (one record per line)",
        content(
            (Vec<IngestRecord> = "application/json", example = json!([
                {"kind": "session_started", "id": "ss-9001", "session_id": "sess-9001", "conference_id": "conf-0007",
                 "title": "Weekly sales", "owner": "user027@corp.example", "mode": "symmetric",
                 "started_at": "2026-11-24T09:00:00Z"},
                {"kind": "participant_joined", "id": "pj-1", "session_id": "sess-9001", "connection_id": "c-77",
                 "user_id": "user027@corp.example", "display_name": "Анна Петрова", "time": "2026-11-24T09:01:00Z"},
                {"kind": "chat_message", "id": "msg-1", "session_id": "sess-9001", "sender": "user027@corp.example",
                 "text": "Good morning, everyone", "time": "2026-11-24T09:02:00Z"},
                {"kind": "event", "id": "ev-100231", "time": "2026-11-24T09:00:00Z", "type": "login",
                 "user_id": "user027@corp.example", "ip": "10.0.4.17"}
            ])),
            (IngestRecord = "application/x-ndjson", example = json!(
                {"kind": "event", "id": "ev-100231", "time": "2026-11-24T09:00:00Z", "type": "login",
                 "user_id": "user027@corp.example", "ip": "10.0.4.17"}
            )),
        )
    ),
    responses(
        (status = 200, description = "The batch is committed", body = IngestResult),
        (status = 401, description = "No valid token or session", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The application lacks scope `ingest` (or the CSRF token is missing)", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body or the number of records exceeds the limit; nothing stored", body = Problem, content_type = "application/problem+json"),
        (status = 408, description = "The body stalled longer than the body idle timeout; nothing stored", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Content type other than `application/json` or `application/x-ndjson`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A malformed record; `errors` names `[index].field`; nothing stored", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/ingest")]
pub async fn ingest_records(
    state: web::Data<AppState>,
    req: HttpRequest,
    principal: Principal,
    mut payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let limits = state.limits.ingest;
    let essence = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or("").trim().to_ascii_lowercase());
    let ndjson = match essence.as_deref() {
        Some("application/json") => false,
        Some("application/x-ndjson") | Some("application/ndjson") => true,
        _ => {
            return Ok(problem(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "send `Content-Type: application/json` (an array) or `application/x-ndjson`",
                None,
            ));
        }
    };
    let too_large = || {
        problem(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the body exceeds the ingest limit of {} bytes; nothing of the batch was stored", limits.max_bytes),
            None,
        )
    };
    if let Some(len) =
        req.headers().get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok())
        && len > limits.max_bytes as u64
    {
        return Ok(too_large());
    }
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| crate::error::ApiError::bad_parameter("body", e.to_string()))?;
        if body.len() + chunk.len() > limits.max_bytes {
            return Ok(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    let too_many = |n: usize| {
        problem(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("{n} records exceed the limit of {} per batch", limits.max_records),
            None,
        )
    };
    let values: Vec<Value> = if ndjson {
        let text = match std::str::from_utf8(&body) {
            Ok(t) => t,
            Err(e) => return Ok(invalid(String::new(), format!("the body is not UTF-8: {e}"))),
        };
        let mut values = Vec::new();
        for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
            if values.len() >= limits.max_records {
                return Ok(too_many(text.lines().filter(|l| !l.trim().is_empty()).count()));
            }
            match serde_json::from_str::<Value>(line) {
                Ok(v) => values.push(v),
                Err(e) => return Ok(invalid(format!("[{}]", values.len()), format!("not JSON: {e}"))),
            }
        }
        values
    } else {
        match serde_json::from_slice::<Vec<Value>>(&body) {
            Ok(v) => v,
            Err(e) => return Ok(invalid(String::new(), format!("the body is not a JSON array of records: {e}"))),
        }
    };
    if values.len() > limits.max_records {
        return Ok(too_many(values.len()));
    }
    let mut records = Vec::with_capacity(values.len());
    for (i, v) in values.into_iter().enumerate() {
        match parse_record(i, v) {
            Ok(r) => records.push(r),
            Err((field, message)) => return Ok(invalid(field, message)),
        }
    }
    let n = records.len();
    let entry = crate::audit::entry(&req, "ingest").with_target("ingest");
    let outcome = db(&state, move |conn| {
        // SQLite's write lock up front: the batch reads its keys before writing (see
        // `write_transaction`); a deferred transaction failed with "database is locked" when
        // another batch committed in between (found by the soak).
        Ok(confreports_store::conn::write_transaction(conn, |conn| {
            let outcome = confreports_store::ingest::ingest(conn, &records, Utc::now())?;
            let details = serde_json::json!({
                "records": records.len(),
                "accepted": outcome.accepted,
                "duplicates": outcome.duplicates,
            });
            confreports_store::audit::append(conn, &entry.with_details(details))?;
            Ok::<_, diesel::result::Error>(outcome)
        })?)
    })
    .await?;
    let who = match &principal {
        Principal::App(a) => a.client_id.clone(),
        Principal::Admin(a) => a.login.clone(),
    };
    tracing::info!(caller = %who, records = n, accepted = outcome.accepted, duplicates = outcome.duplicates, "ingest batch");
    Ok(HttpResponse::Ok().json(IngestResult { accepted: outcome.accepted, duplicates: outcome.duplicates }))
}
