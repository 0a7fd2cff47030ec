//! The audit trail: an append-only record of every administrator and app action, beside the
//! events log (which administrators may delete from). Each row's `hash` is
//! `hex(sha256(prev_hash + "\n" + canonical text of the row))`, `prev_hash` being the hash of
//! the row before (64 zeros for the first), and `seq` is the previous row's plus one: an edit,
//! a deletion or a reordering breaks the chain at the first bad row, which [`verify`] names.
//! Database triggers refuse UPDATE and DELETE (and TRUNCATE on PostgreSQL). Truncating the tail,
//! or rewriting rows and every hash after them, keeps a consistent chain: signed checkpoints
//! kept outside the database (seq and hash of the last row at a time) catch those; this module
//! compares the rows with checkpoints whose signatures the caller has already checked.

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use sha2::{Digest as _, Sha256};

use crate::report::{Actor, to_db_time};
use crate::schema::audit_log;
use crate::{DbConnection, on_inner};

/// `prev_hash` of the first row.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The PostgreSQL advisory lock key that serializes appends (any constant unique to this use).
const APPEND_LOCK: i64 = 0x0061_7564_6974; // "audit"

/// Who acted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ActorKind {
    Admin,
    App,
    System,
    Anonymous,
}

impl ActorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ActorKind::Admin => "admin",
            ActorKind::App => "app",
            ActorKind::System => "system",
            ActorKind::Anonymous => "anonymous",
        }
    }
}

/// One action to record. Build it with [`Entry::by`] (or [`Entry::system`], [`Entry::anonymous`])
/// and the `with_*` setters.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub actor_kind: ActorKind,
    /// Administrator login, or application name.
    pub actor: Option<String>,
    pub ip: Option<String>,
    /// snake_case: `sign_in`, `delete`, `export`, ...
    pub action: String,
    pub target: Option<String>,
    pub details: serde_json::Value,
}

impl Entry {
    /// An action of `actor`: an app when it names one, the server when it names nobody, else
    /// an administrator.
    pub fn by(actor: &Actor, action: &str) -> Self {
        let actor_kind = if actor.app_name.is_some() {
            ActorKind::App
        } else if actor.name.is_none() {
            ActorKind::System
        } else {
            ActorKind::Admin
        };
        Entry {
            actor_kind,
            actor: actor.name.clone(),
            ip: actor.ip.clone(),
            action: action.to_owned(),
            target: None,
            details: serde_json::json!({}),
        }
    }

    pub fn system(action: &str) -> Self {
        Entry::by(&Actor::default(), action)
    }

    /// Someone not (yet) known: a failed sign-in, a client that did not authenticate.
    pub fn anonymous(action: &str, ip: Option<String>) -> Self {
        Entry { actor_kind: ActorKind::Anonymous, ip, ..Entry::system(action) }
    }

    pub fn with_actor(mut self, kind: ActorKind, name: Option<String>) -> Self {
        self.actor_kind = kind;
        self.actor = name;
        self
    }

    pub fn with_target(mut self, target: impl Into<String>) -> Self {
        self.target = Some(target.into());
        self
    }

    pub fn with_details(mut self, details: serde_json::Value) -> Self {
        self.details = details;
        self
    }
}

/// A stored row.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, Serialize)]
#[diesel(table_name = audit_log)]
pub struct AuditRow {
    pub seq: i64,
    pub time: NaiveDateTime,
    pub actor_kind: String,
    pub actor: Option<String>,
    pub ip: Option<String>,
    pub action: String,
    pub target: Option<String>,
    pub details: String,
    pub prev_hash: String,
    pub hash: String,
}

impl AuditRow {
    /// The hash this row should have after `prev_hash`.
    pub fn compute_hash(&self, prev_hash: &str) -> String {
        let canonical = serde_json::to_string(&(
            self.seq,
            self.time.format("%Y-%m-%dT%H:%M:%S%.6f").to_string(),
            &self.actor_kind,
            &self.actor,
            &self.ip,
            &self.action,
            &self.target,
            &self.details,
        ))
        .unwrap_or_default();
        let mut h = Sha256::new();
        h.update(prev_hash.as_bytes());
        h.update(b"\n");
        h.update(canonical.as_bytes());
        hex(&h.finalize())
    }
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// The last row's seq and hash, if any row exists.
pub fn tail(conn: &mut DbConnection) -> QueryResult<Option<(i64, String)>> {
    audit_log::table.order(audit_log::seq.desc()).select((audit_log::seq, audit_log::hash)).first(conn).optional()
}

/// Appends `entry`, chained to the last row, inside the caller's transaction when there is one
/// (so the record commits or rolls back with the change it records). Appends are serialized:
/// PostgreSQL takes a transaction-scoped advisory lock, SQLite its write lock, before reading
/// the tail. Returns the new row.
pub fn append(conn: &mut DbConnection, entry: &Entry) -> QueryResult<AuditRow> {
    crate::conn::write_transaction(conn, |conn| {
        match conn {
            DbConnection::Postgres(c) => {
                diesel::sql_query(format!("SELECT pg_advisory_xact_lock({APPEND_LOCK})")).execute(c)?;
            }
            // A write that changes nothing takes the write lock now (waiting for it under
            // busy_timeout), so that the tail read next is the tail the insert follows.
            DbConnection::Sqlite(c) => {
                diesel::sql_query("UPDATE audit_log SET seq = seq WHERE 0").execute(c)?;
            }
        }
        let (seq, prev_hash) = match tail(conn)? {
            Some((seq, hash)) => (seq + 1, hash),
            None => (1, GENESIS.to_owned()),
        };
        let mut row = AuditRow {
            seq,
            time: to_db_time(Utc::now()),
            actor_kind: entry.actor_kind.as_str().to_owned(),
            actor: entry.actor.clone(),
            ip: entry.ip.clone(),
            action: entry.action.clone(),
            target: entry.target.clone(),
            details: entry.details.to_string(),
            prev_hash,
            hash: String::new(),
        };
        row.hash = row.compute_hash(&row.prev_hash);
        let insert = diesel::insert_into(audit_log::table).values(&row);
        on_inner!(conn, c => insert.execute(c))?;
        Ok(row)
    })
}

/// Rows newest first, after the row `before` (a seq) when given.
pub fn list(conn: &mut DbConnection, before: Option<i64>, limit: i64) -> QueryResult<Vec<AuditRow>> {
    let mut q = audit_log::table.into_boxed().order(audit_log::seq.desc()).limit(limit);
    if let Some(before) = before {
        q = q.filter(audit_log::seq.lt(before));
    }
    q.select(AuditRow::as_select()).load(conn)
}

pub fn count(conn: &mut DbConnection) -> QueryResult<i64> {
    audit_log::table.count().get_result(conn)
}

/// A checkpoint whose signature has been checked: the row `seq` had `hash` at that time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub seq: i64,
    pub hash: String,
    /// Where it came from, for messages (`checkpoints.jsonl line 3`).
    pub source: String,
}

/// The first thing wrong with the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The first bad row.
    pub seq: i64,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "row seq {}: {}", self.seq, self.message)
    }
}

/// What [`verify`] found.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Report {
    /// Rows checked (all of them when no problem was found).
    pub rows: u64,
    pub last_seq: Option<i64>,
    pub last_hash: Option<String>,
    /// Checkpoints compared with the rows.
    pub checkpoints_checked: usize,
    pub problem: Option<Problem>,
}

/// Rows read per query.
const BATCH: i64 = 1000;

/// Walks the log in seq order, a batch at a time, recomputing every hash and link, and compares
/// the rows at the checkpoints' seqs with the signed hashes; stops at the first bad row.
/// `progress` is called with the rows checked so far after each batch.
pub fn verify(
    conn: &mut DbConnection,
    checkpoints: &[Checkpoint],
    progress: &mut dyn FnMut(u64),
) -> QueryResult<Report> {
    let mut by_seq: std::collections::BTreeMap<i64, Vec<&Checkpoint>> = std::collections::BTreeMap::new();
    for c in checkpoints {
        by_seq.entry(c.seq).or_default().push(c);
    }
    let mut report = Report::default();
    let mut prev: Option<(i64, String)> = None;
    // The last checkpoint that matched, to say where a rewrite can have started.
    let mut last_good_checkpoint: Option<i64> = None;
    loop {
        let after = prev.as_ref().map_or(0, |(s, _)| *s);
        let rows: Vec<AuditRow> = audit_log::table
            .filter(audit_log::seq.gt(after))
            .order(audit_log::seq.asc())
            .limit(BATCH)
            .select(AuditRow::as_select())
            .load(conn)?;
        let n = rows.len();
        for row in rows {
            if let Some(problem) = check_row(&row, prev.as_ref()) {
                report.problem = Some(problem);
                return Ok(report);
            }
            let hash = row.hash.clone();
            if let Some(signed) = by_seq.get(&row.seq) {
                for c in signed {
                    if c.hash != hash {
                        let since = last_good_checkpoint
                            .map_or("from the first row".to_owned(), |s| format!("after row seq {s}"));
                        report.problem = Some(Problem {
                            seq: row.seq,
                            message: format!(
                                "hash differs from the signed checkpoint ({}): rows rewritten {since} up to this one, \
                                 and the chain recomputed",
                                c.source
                            ),
                        });
                        return Ok(report);
                    }
                    report.checkpoints_checked += 1;
                }
                last_good_checkpoint = Some(row.seq);
            }
            report.rows += 1;
            prev = Some((row.seq, hash));
        }
        progress(report.rows);
        if (n as i64) < BATCH {
            break;
        }
    }
    let last_seq = prev.as_ref().map_or(0, |(s, _)| *s);
    if let Some((&seq, signed)) = by_seq.range(last_seq + 1..).next_back() {
        report.problem = Some(Problem {
            seq: last_seq + 1,
            message: format!(
                "missing: the log ends at seq {last_seq} but a signed checkpoint ({}) names seq {seq}: rows {}..={seq} \
                 deleted (tail truncated)",
                signed[0].source,
                last_seq + 1
            ),
        });
    }
    report.last_seq = prev.as_ref().map(|(s, _)| *s);
    report.last_hash = prev.map(|(_, h)| h);
    Ok(report)
}

fn check_row(row: &AuditRow, prev: Option<&(i64, String)>) -> Option<Problem> {
    let (expected_seq, expected_prev) = match prev {
        Some((s, h)) => (s + 1, h.as_str()),
        None => (1, GENESIS),
    };
    if row.seq != expected_seq {
        let missing = if row.seq - 1 == expected_seq {
            format!("row {expected_seq} is missing")
        } else {
            format!("rows {expected_seq}..={} are missing", row.seq - 1)
        };
        return Some(Problem { seq: row.seq, message: format!("{missing} before it (deleted)") });
    }
    if row.prev_hash != expected_prev {
        let what = if prev.is_some() {
            format!("its prev_hash is not the hash of row {}", row.seq - 1)
        } else {
            "the first row's prev_hash is not the genesis hash".to_owned()
        };
        return Some(Problem {
            seq: row.seq,
            message: format!("{what}: rows reordered, or the row before it rewritten"),
        });
    }
    if row.compute_hash(&row.prev_hash) != row.hash {
        return Some(Problem { seq: row.seq, message: "its content does not match its hash (edited)".to_owned() });
    }
    None
}
