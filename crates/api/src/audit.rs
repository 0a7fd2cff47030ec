//! The audit trail's HTTP side and its signed checkpoints. Rows are appended by the store
//! (`confreports_store::audit`), in the transaction of the change they record; reads that
//! leave no other trace (exports, downloads) are recorded here before the data leaves.
//!
//! Checkpoints: lines `{"seq", "hash", "time", "signature"}` appended to
//! `<data-dir>/audit/checkpoints.jsonl`, each signing the log's last row at a time with an
//! Ed25519 key kept beside (`checkpoint-key.pem`, mode 0600; its public half in
//! `checkpoint-key.pub.pem`). A log truncated or rewritten after a checkpoint no longer matches
//! it. Keep a copy of the file (and of the public key) on other storage.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use actix_web::http::StatusCode;
use actix_web::{HttpMessage as _, HttpRequest, HttpResponse, get, web};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::{SecondsFormat, Utc};
use confreports_store::DbConnection;
use confreports_store::audit::{self, Checkpoint, Entry};
use ed25519_dalek::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey};
use ed25519_dalek::{Signature, Signer as _, SigningKey, Verifier as _, VerifyingKey};
use serde::{Deserialize, Serialize};

use crate::auth::{Principal, request_origin};
use crate::error::{ApiError, ApiResult};
use crate::params::QueryPairs;
use crate::report::db;
use crate::state::AppState;
use confreports_types::{AuditEntry, AuditParams, Cursor, Page, PageParams, Problem, SortValue};

/// The entry of `action` by whoever made `req` (the principal the policy check stored).
pub fn entry(req: &HttpRequest, action: &str) -> Entry {
    match req.extensions().get::<Principal>() {
        Some(p) => Entry::by(&p.actor(req), action),
        None => Entry::anonymous(action, request_origin(req).0),
    }
}

/// Appends `entry` on its own: for reads, before their data is sent.
pub async fn record(state: &AppState, entry: Entry) -> ApiResult<()> {
    db(state, move |conn| Ok(audit::append(conn, &entry).map(|_| ())?)).await
}

/// Whether a media response starts the file: a whole file (200), or a range from byte 0. A
/// player asking for the rest range by range is one playback, recorded once.
pub fn starts_the_file(req: &HttpRequest, res: &HttpResponse) -> bool {
    if req.method() != actix_web::http::Method::GET {
        return false;
    }
    match res.status() {
        StatusCode::OK => true,
        StatusCode::PARTIAL_CONTENT => res
            .headers()
            .get(actix_web::http::header::CONTENT_RANGE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("bytes 0-")),
        _ => false,
    }
}

/// One line of the checkpoint file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckpointLine {
    pub seq: i64,
    pub hash: String,
    pub time: String,
    /// Ed25519 over [`CheckpointLine::message`], base64.
    pub signature: String,
}

impl CheckpointLine {
    fn message(seq: i64, hash: &str, time: &str) -> String {
        format!("confreports audit checkpoint\n{seq}\n{hash}\n{time}")
    }
}

pub const CHECKPOINT_FILE: &str = "checkpoints.jsonl";
const KEY_FILE: &str = "checkpoint-key.pem";
const PUBLIC_KEY_FILE: &str = "checkpoint-key.pub.pem";

/// `<data-dir>/audit`.
pub fn audit_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("audit")
}

/// Signs checkpoints with the key in an audit directory.
pub struct CheckpointWriter {
    key: SigningKey,
    file: PathBuf,
}

impl CheckpointWriter {
    /// Loads the key from `dir`, creating it (mode 0600) and its public half when absent.
    pub fn open(dir: &Path) -> std::io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        let path = dir.join(KEY_FILE);
        let key = loop {
            match std::fs::read_to_string(&path) {
                Ok(pem) if !pem.is_empty() => {
                    break SigningKey::from_pkcs8_pem(&pem)
                        .map_err(|e| std::io::Error::other(format!("{}: {e}", path.display())))?;
                }
                // Another node is writing it this moment.
                Ok(_) => std::thread::sleep(std::time::Duration::from_millis(50)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    let key = SigningKey::generate(&mut rand_core::OsRng);
                    let pem = key
                        .to_pkcs8_pem(ed25519_dalek::pkcs8::spki::der::pem::LineEnding::LF)
                        .map_err(|e| std::io::Error::other(e.to_string()))?;
                    match write_new(&path, pem.as_bytes(), 0o600) {
                        Ok(()) => {
                            let public = key
                                .verifying_key()
                                .to_public_key_pem(ed25519_dalek::pkcs8::spki::der::pem::LineEnding::LF)
                                .map_err(|e| std::io::Error::other(e.to_string()))?;
                            std::fs::write(dir.join(PUBLIC_KEY_FILE), public)?;
                            tracing::info!(path = %path.display(), "created the audit checkpoint signing key");
                            break key;
                        }
                        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                        Err(e) => return Err(e),
                    }
                }
                Err(e) => return Err(e),
            }
        };
        Ok(CheckpointWriter { key, file: dir.join(CHECKPOINT_FILE) })
    }

    /// Appends a signed checkpoint of `seq` / `hash`: one `write` of one line on a file opened
    /// with O_APPEND, so that nodes sharing the directory never interleave lines.
    pub fn write(&self, seq: i64, hash: &str) -> std::io::Result<CheckpointLine> {
        let time = Utc::now().to_rfc3339_opts(SecondsFormat::Micros, true);
        let signature = self.key.sign(CheckpointLine::message(seq, hash, &time).as_bytes());
        let line =
            CheckpointLine { seq, hash: hash.to_owned(), time, signature: STANDARD.encode(signature.to_bytes()) };
        let mut text = serde_json::to_string(&line).map_err(std::io::Error::other)?;
        text.push('\n');
        let mut f = std::fs::OpenOptions::new().append(true).create(true).open(&self.file)?;
        f.write_all(text.as_bytes())?;
        f.sync_data()?;
        Ok(line)
    }

    /// Writes a checkpoint of the log's last row unless it is `last_written`; returns the seq
    /// checkpointed (or `last_written` when nothing moved).
    pub fn checkpoint(
        &self,
        conn: &mut DbConnection,
        last_written: Option<i64>,
    ) -> Result<Option<i64>, CheckpointError> {
        match audit::tail(conn)? {
            Some((seq, hash)) if Some(seq) != last_written => {
                self.write(seq, &hash)?;
                Ok(Some(seq))
            }
            _ => Ok(last_written),
        }
    }
}

/// Errors of checkpointing: the database or the file.
#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

fn write_new(path: &Path, bytes: &[u8], mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut f = std::fs::OpenOptions::new().write(true).create_new(true).mode(mode).open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

/// The public key that checks checkpoints in `dir`: its own file, else the private key's half.
pub fn public_key(dir: &Path) -> std::io::Result<VerifyingKey> {
    let public = dir.join(PUBLIC_KEY_FILE);
    match std::fs::read_to_string(&public) {
        Ok(pem) => VerifyingKey::from_public_key_pem(&pem)
            .map_err(|e| std::io::Error::other(format!("{}: {e}", public.display()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let path = dir.join(KEY_FILE);
            let pem = std::fs::read_to_string(&path)?;
            Ok(SigningKey::from_pkcs8_pem(&pem)
                .map_err(|e| std::io::Error::other(format!("{}: {e}", path.display())))?
                .verifying_key())
        }
        Err(e) => Err(e),
    }
}

/// The checkpoints of a file whose signatures hold, and a message for each line that does not
/// (unparsable, or signed by another key or over other values: forged or edited).
pub fn read_checkpoints(file: &Path, key: &VerifyingKey) -> std::io::Result<(Vec<Checkpoint>, Vec<String>)> {
    let text = match std::fs::read_to_string(file) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(e),
    };
    let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let mut good = Vec::new();
    let mut bad = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        if raw.trim().is_empty() {
            continue;
        }
        let source = format!("{name} line {}", i + 1);
        let line: CheckpointLine = match serde_json::from_str(raw) {
            Ok(l) => l,
            Err(e) => {
                bad.push(format!("{source}: not a checkpoint: {e}"));
                continue;
            }
        };
        let signature = STANDARD
            .decode(&line.signature)
            .ok()
            .and_then(|b| <[u8; 64]>::try_from(b.as_slice()).ok())
            .map(|b| Signature::from_bytes(&b));
        let holds = signature.is_some_and(|s| {
            key.verify(CheckpointLine::message(line.seq, &line.hash, &line.time).as_bytes(), &s).is_ok()
        });
        if holds {
            good.push(Checkpoint { seq: line.seq, hash: line.hash, source });
        } else {
            bad.push(format!("{source}: the signature does not hold (checkpoint forged or edited)"));
        }
    }
    Ok((good, bad))
}

/// The sort of the trail's pages, as their cursors name it.
const AUDIT_SORT: &str = "-seq";

fn to_dto(row: audit::AuditRow) -> AuditEntry {
    AuditEntry {
        seq: row.seq,
        time: confreports_store::report::from_db_time(row.time),
        actor_kind: row.actor_kind,
        actor: row.actor,
        ip: row.ip,
        action: row.action,
        target: row.target,
        details: serde_json::from_str(&row.details).unwrap_or(serde_json::Value::String(row.details)),
        prev_hash: row.prev_hash,
        hash: row.hash,
    }
}

/// List the audit trail
///
/// Every administrator and app action, newest first: sign-ins (and failures), sign-outs,
/// tokens, deletions with their filter and count, exports, downloads, settings, applications,
/// administrators, ingest batches and retention purges. Append-only and hash-chained; check it
/// with `confreports audit verify`. Administrators only (both roles), never applications.
#[utoipa::path(
    operation_id = "listAudit",
    tag = "audit",
    params(AuditParams),
    responses(
        (status = 200, description = "One page of the trail, newest first", body = Page<AuditEntry>,
         headers(("Link" = String, description = "`<next page URL>; rel=\"next\"` while more rows follow"))),
        (status = 400, description = "A parameter is invalid", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "An application, not an administrator", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/audit")]
pub async fn list_audit(state: web::Data<AppState>, req: HttpRequest) -> ApiResult<HttpResponse> {
    let pairs = QueryPairs::parse(req.query_string());
    pairs.check_known(&[AuditParams::NAMES])?;
    let params: AuditParams = pairs.take(AuditParams::NAMES)?;
    let limit = params.limit.unwrap_or(PageParams::DEFAULT_LIMIT);
    if !(1..=PageParams::MAX_LIMIT).contains(&limit) {
        return Err(ApiError::bad_parameter("limit", format!("`limit` must be 1 to {}", PageParams::MAX_LIMIT)));
    }
    let before = match params.cursor.as_deref() {
        None => None,
        Some(c) => {
            let cursor = Cursor::decode(c, AUDIT_SORT).map_err(|e| ApiError::bad_parameter("cursor", e.to_string()))?;
            match (cursor.sort.as_str(), cursor.id) {
                (AUDIT_SORT, SortValue::Int(seq)) => Some(seq),
                _ => {
                    return Err(ApiError::bad_parameter(
                        "cursor",
                        "malformed cursor; pass back a next_cursor unchanged",
                    ));
                }
            }
        }
    };
    let mut rows = db(&state, move |conn| Ok(audit::list(conn, before, i64::from(limit) + 1)?)).await?;
    let next_cursor = if rows.len() > limit as usize {
        rows.truncate(limit as usize);
        rows.last()
            .map(|r| Cursor { sort: AUDIT_SORT.into(), key: SortValue::Int(r.seq), id: SortValue::Int(r.seq) }.encode())
    } else {
        None
    };
    let items: Vec<AuditEntry> = rows.into_iter().map(to_dto).collect();
    let mut res = HttpResponse::Ok();
    if let Some(next) = &next_cursor {
        let link = format!("<{}?{}>; rel=\"next\"", req.path(), pairs.with("cursor", next));
        res.insert_header((actix_web::http::header::LINK, link));
    }
    Ok(res.json(Page { items, next_cursor }))
}
