//! Conference recordings: the report over `recordings`, one recording, its media bookkeeping
//! (storage key, size, duration), its session's chat on the recording's timeline, deletion
//! and the retention purge. Media files live in the recordings directory under a storage key
//! the API generates; the store only hands keys back so callers remove files after commit.

use std::collections::HashSet;

use chrono::{DateTime, NaiveDateTime, Utc};
use confreports_types::{Cursor, EventType, Recording, RecordingChatMessage, RecordingSort, Sort, SortKind, SortValue};
use diesel::prelude::*;
use serde::Serialize;

use crate::events::{self, NewEvent};
use crate::report::{Actor, CommonFilter, Report, cursor_int, cursor_text, cursor_time, deletion_event, from_db_time};
use crate::schema::{call_sessions, recordings};
use crate::{DbConnection, any_of, keyset};

/// Whether a storage key names a media file directly inside the recordings directory: a plain
/// name without separators and without any dot (so no `..`, no hidden or temporary files).
pub fn is_safe_media_key(key: &str) -> bool {
    crate::calls::is_safe_storage_key(key) && !key.contains('.')
}

/// A stored recording.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = recordings)]
pub struct RecordingRow {
    pub id: i64,
    pub source_id: Option<String>,
    pub session_id: String,
    pub conference_id: Option<String>,
    pub title: Option<String>,
    pub owner: String,
    pub started_at: NaiveDateTime,
    pub duration_s: i64,
    pub size_bytes: i64,
    pub content_type: String,
    pub storage_key: Option<String>,
}

impl RecordingRow {
    /// The storage key, when there is one that is safe to open.
    pub fn safe_storage_key(&self) -> Option<&str> {
        self.storage_key.as_deref().filter(|k| is_safe_media_key(k))
    }
}

impl From<RecordingRow> for Recording {
    fn from(r: RecordingRow) -> Self {
        Recording {
            has_media: r.safe_storage_key().is_some(),
            id: r.id,
            session_id: r.session_id,
            conference_id: r.conference_id,
            title: r.title.filter(|t| !t.is_empty()),
            owner: r.owner,
            started_at: from_db_time(r.started_at),
            duration_s: r.duration_s,
            size_bytes: r.size_bytes,
        }
    }
}

/// What the recordings report selects.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RecordingFilter {
    #[serde(flatten)]
    pub common: CommonFilter,
    #[serde(rename = "owner", skip_serializing_if = "Vec::is_empty")]
    pub owners: Vec<String>,
    #[serde(rename = "session", skip_serializing_if = "Vec::is_empty")]
    pub sessions: Vec<String>,
    #[serde(rename = "conference", skip_serializing_if = "Vec::is_empty")]
    pub conferences: Vec<String>,
}

type Predicate = crate::report::Predicate<recordings::table>;

/// The WHERE clause of the selection; list, count, export and delete all use this one. The
/// search words match the recorded session's search text (its ID, title, owner and owner name).
fn predicate(filter: &RecordingFilter) -> Predicate {
    let common = &filter.common;
    let mut p: Predicate = Box::new(diesel::dsl::sql::<diesel::sql_types::Bool>("1 = 1"));
    if let Some(from) = common.from {
        p = Box::new(p.and(recordings::started_at.ge(crate::report::to_db_time(from))));
    }
    if let Some(to) = common.to {
        p = Box::new(p.and(recordings::started_at.lt(crate::report::to_db_time(to))));
    }
    for pattern in common.like_patterns() {
        let sessions =
            call_sessions::table.filter(call_sessions::search.like(pattern).escape('\\')).select(call_sessions::id);
        p = Box::new(p.and(recordings::session_id.eq_any(sessions)));
    }
    if !filter.owners.is_empty() {
        p = Box::new(p.and(any_of!(recordings::owner, filter.owners.clone())));
    }
    if !filter.sessions.is_empty() {
        p = Box::new(p.and(any_of!(recordings::session_id, filter.sessions.clone())));
    }
    if !filter.conferences.is_empty() {
        p = Box::new(p.and(any_of!(recordings::conference_id.assume_not_null(), filter.conferences.clone())));
    }
    p
}

pub struct RecordingsReport;

impl Report for RecordingsReport {
    const NAME: &'static str = "recordings";
    const DELETE_EVENT: EventType = EventType::DeleteVideoRecording;
    const ID_KIND: SortKind = SortKind::Int;
    type Filter = RecordingFilter;
    type Sort = RecordingSort;
    type Item = Recording;

    fn list(
        conn: &mut DbConnection,
        filter: &RecordingFilter,
        sort: Sort<RecordingSort>,
        after: Option<&Cursor>,
        limit: i64,
    ) -> QueryResult<Vec<Recording>> {
        let q = recordings::table.filter(predicate(filter)).into_boxed().select(RecordingRow::as_select()).limit(limit);
        let after_id = after.map(|c| cursor_int(&c.id)).transpose()?;
        let dir = sort.direction;
        let q = match sort.field {
            RecordingSort::StartedAt => {
                let after = after.map(|c| cursor_time(&c.key)).transpose()?.zip(after_id);
                keyset!(q, recordings::started_at, recordings::id, dir, after)
            }
            RecordingSort::DurationS => {
                let after = after.map(|c| cursor_int(&c.key)).transpose()?.zip(after_id);
                keyset!(q, recordings::duration_s, recordings::id, dir, after)
            }
            RecordingSort::SizeBytes => {
                let after = after.map(|c| cursor_int(&c.key)).transpose()?.zip(after_id);
                keyset!(q, recordings::size_bytes, recordings::id, dir, after)
            }
            RecordingSort::Title => {
                let after = after.map(|c| cursor_text(&c.key)).transpose()?.zip(after_id);
                keyset!(q, recordings::title_sort, recordings::id, dir, after)
            }
        };
        Ok(q.load::<RecordingRow>(conn)?.into_iter().map(Recording::from).collect())
    }

    fn count(conn: &mut DbConnection, filter: &RecordingFilter) -> QueryResult<i64> {
        recordings::table.filter(predicate(filter)).count().get_result(conn)
    }

    /// Deletes the rows; their media files stay until [`referenced_storage_keys`] shows them
    /// orphaned (the API sweeps the recordings directory after the commit).
    fn delete(conn: &mut DbConnection, filter: &RecordingFilter) -> QueryResult<usize> {
        diesel::delete(recordings::table.filter(predicate(filter))).execute(conn)
    }

    fn cursor_after(r: &Recording, sort: Sort<RecordingSort>) -> Cursor {
        let key = match sort.field {
            RecordingSort::StartedAt => SortValue::Time(r.started_at),
            RecordingSort::DurationS => SortValue::Int(r.duration_s),
            RecordingSort::SizeBytes => SortValue::Int(r.size_bytes),
            RecordingSort::Title => SortValue::Text(r.title.clone().unwrap_or_default()),
        };
        Cursor { sort: sort.to_string(), key, id: SortValue::Int(r.id) }
    }
}

/// One recording; `NotFound` when there is none.
pub fn get(conn: &mut DbConnection, id: i64) -> QueryResult<RecordingRow> {
    recordings::table.find(id).select(RecordingRow::as_select()).first(conn)
}

/// The recording with this source id (the `id` of the ingested `recording` record).
pub fn by_source_id(conn: &mut DbConnection, source_id: &str) -> QueryResult<RecordingRow> {
    recordings::table.filter(recordings::source_id.eq(source_id)).select(RecordingRow::as_select()).first(conn)
}

/// Points a recording at its newly stored media file: key, size and, when the file told it,
/// the duration. Returns the previous storage key (its file is the caller's to remove).
pub fn set_media(
    conn: &mut DbConnection,
    id: i64,
    storage_key: &str,
    size_bytes: i64,
    duration_s: Option<i64>,
) -> QueryResult<(Option<String>, RecordingRow)> {
    crate::conn::write_transaction(conn, |conn| {
        let before = get(conn, id)?;
        diesel::update(recordings::table.find(id))
            .set((
                recordings::storage_key.eq(Some(storage_key)),
                recordings::size_bytes.eq(size_bytes),
                recordings::content_type.eq("video/webm"),
                recordings::duration_s.eq(duration_s.unwrap_or(before.duration_s)),
            ))
            .execute(conn)?;
        let after = get(conn, id)?;
        Ok((before.storage_key, after))
    })
}

/// Deletes one recording's row and records `delete_video_recording` (details: `deleted`,
/// `recording_id`, `session_id`, `title`, `actor`), in one transaction; returns the row, whose
/// media the caller removes once this has committed.
pub fn delete_one(conn: &mut DbConnection, id: i64, actor: &Actor) -> QueryResult<RecordingRow> {
    crate::conn::write_transaction(conn, |conn| {
        let row = get(conn, id)?;
        diesel::delete(recordings::table.find(id)).execute(conn)?;
        let details = serde_json::json!({
            "deleted": 1,
            "recording_id": row.id,
            "session_id": row.session_id,
            "title": row.title,
            "started_at": from_db_time(row.started_at),
            "actor": actor.name,
        });
        let event = NewEvent::action(EventType::DeleteVideoRecording, true, actor)
            .with_description(format!("recording {} of session {} deleted", row.id, row.session_id))
            .with_details(details.clone());
        events::insert(conn, std::slice::from_ref(&event))?;
        let entry = crate::audit::Entry::by(actor, "delete")
            .with_target(format!("recording:{}", row.id))
            .with_details(serde_json::json!({ "report": "recordings", "count": 1, "recording": details }));
        crate::audit::append(conn, &entry)?;
        Ok(row)
    })
}

/// What a retention purge removed: the number of rows and the media files to remove.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Purged {
    pub deleted: u64,
    pub storage_keys: Vec<String>,
}

/// Deletes the recordings that started more than `days` days before `now`, with ONE
/// `delete_video_recordings` event carrying the count (nothing is recorded when none went), in
/// one transaction. The media files are the caller's to remove after this returns.
pub fn delete_older_than(conn: &mut DbConnection, days: u32, now: DateTime<Utc>) -> QueryResult<Purged> {
    let cutoff = crate::report::to_db_time(now - chrono::Duration::days(i64::from(days)));
    crate::conn::write_transaction(conn, |conn| {
        let rows: Vec<(i64, Option<String>)> = recordings::table
            .filter(recordings::started_at.lt(cutoff))
            .select((recordings::id, recordings::storage_key))
            .load(conn)?;
        if rows.is_empty() {
            return Ok(Purged::default());
        }
        let ids: Vec<i64> = rows.iter().map(|(id, _)| *id).collect();
        let mut deleted = 0u64;
        for chunk in ids.chunks(1000) {
            deleted += diesel::delete(recordings::table.filter(recordings::id.eq_any(chunk))).execute(conn)? as u64;
        }
        let filter = serde_json::json!({ "older_than_days": days, "started_before": from_db_time(cutoff) });
        let event =
            deletion_event(EventType::DeleteVideoRecordings, deleted, &filter, &Actor::default(), Some("retention"))
                .with_description(format!("{deleted} recordings deleted after the retention timeout of {days} days"));
        events::insert(conn, std::slice::from_ref(&event))?;
        let details = serde_json::json!({
            "report": "recordings",
            "filter": filter,
            "reason": "retention",
            "count": deleted,
        });
        let entry = crate::audit::Entry::system("retention_purge").with_target("recordings").with_details(details);
        crate::audit::append(conn, &entry)?;
        let storage_keys = rows.into_iter().filter_map(|(_, k)| k).filter(|k| is_safe_media_key(k)).collect();
        Ok(Purged { deleted, storage_keys })
    })
}

/// Which of `keys` a recording still refers to.
pub fn referenced_storage_keys(conn: &mut DbConnection, keys: &[String]) -> QueryResult<HashSet<String>> {
    let mut found = HashSet::new();
    for chunk in keys.chunks(1000) {
        let rows: Vec<Option<String>> = recordings::table
            .filter(recordings::storage_key.eq_any(chunk))
            .select(recordings::storage_key)
            .load(conn)?;
        found.extend(rows.into_iter().flatten());
    }
    Ok(found)
}

/// The chat of the recorded session in time order, each message with its offset from the
/// recording start. Empty when the session is not (yet) in the call history.
pub fn chat(conn: &mut DbConnection, id: i64) -> QueryResult<Vec<RecordingChatMessage>> {
    let row = get(conn, id)?;
    let start = from_db_time(row.started_at);
    let messages = match crate::calls::chat(conn, &row.session_id) {
        Ok(m) => m,
        Err(diesel::result::Error::NotFound) => Vec::new(),
        Err(e) => return Err(e),
    };
    Ok(messages
        .into_iter()
        .map(|message| RecordingChatMessage { offset_ms: (message.time - start).num_milliseconds(), message })
        .collect())
}

/// The duration in whole seconds (rounded) that a WebM file's header states: EBML
/// `Segment > Info > Duration` (a float) times `TimecodeScale` (ns, default 1 ms). `None` when
/// the header has no Duration (browser-made WebM often lacks it) or is not readable. Only the
/// start of the file is read: Info comes before the first Cluster.
pub fn webm_duration_s(path: &std::path::Path) -> std::io::Result<Option<i64>> {
    use std::io::Read as _;
    let mut head = Vec::with_capacity(64 * 1024);
    std::fs::File::open(path)?.take(1 << 20).read_to_end(&mut head)?;
    Ok(ebml::duration_s(&head))
}

/// A minimal EBML walker: just enough to reach Segment > Info > Duration.
pub mod ebml {
    const SEGMENT: u32 = 0x1853_8067;
    const INFO: u32 = 0x1549_A966;
    const CLUSTER: u32 = 0x1F43_B675;
    const TIMECODE_SCALE: u32 = 0x2A_D7B1;
    const DURATION: u32 = 0x4489;

    /// The magic every EBML (so every WebM) file starts with.
    pub const MAGIC: [u8; 4] = [0x1A, 0x45, 0xDF, 0xA3];

    /// An element ID (marker bits kept) and its length.
    fn id(b: &[u8]) -> Option<(u32, usize)> {
        let first = *b.first()?;
        let len = first.leading_zeros() as usize + 1;
        if len > 4 || b.len() < len {
            return None;
        }
        Some((b[..len].iter().fold(0u32, |acc, x| (acc << 8) | u32::from(*x)), len))
    }

    /// A data size (marker bit removed; `None` inside for "unknown size") and its length.
    fn size(b: &[u8]) -> Option<(Option<u64>, usize)> {
        let first = *b.first()?;
        let len = first.leading_zeros() as usize + 1;
        if len > 8 || b.len() < len {
            return None;
        }
        let mask = if len == 8 { 0 } else { 0xFFu8 >> len };
        let mut v = u64::from(first & mask);
        let mut all_ones = (first & mask) == mask;
        for x in &b[1..len] {
            v = (v << 8) | u64::from(*x);
            all_ones &= *x == 0xFF;
        }
        Some((if all_ones { None } else { Some(v) }, len))
    }

    /// Element header at `b`: (id, data size, header length).
    fn header(b: &[u8]) -> Option<(u32, Option<u64>, usize)> {
        let (id, il) = id(b)?;
        let (sz, sl) = size(&b[il..])?;
        Some((id, sz, il + sl))
    }

    /// The Duration of the WebM file whose start is `head`, in seconds (rounded).
    pub fn duration_s(head: &[u8]) -> Option<i64> {
        let mut pos = 0usize;
        // Top level: skip the EBML header, enter the Segment.
        loop {
            let (id, sz, hl) = header(head.get(pos..)?)?;
            pos += hl;
            if id == SEGMENT {
                break;
            }
            pos = pos.checked_add(usize::try_from(sz?).ok()?)?;
        }
        // Segment children until Info.
        loop {
            let (id, sz, hl) = header(head.get(pos..)?)?;
            pos += hl;
            if id == CLUSTER {
                return None;
            }
            let len = usize::try_from(sz?).ok()?;
            if id == INFO {
                return info_duration(head.get(pos..pos.checked_add(len)?)?);
            }
            pos = pos.checked_add(len)?;
        }
    }

    fn info_duration(info: &[u8]) -> Option<i64> {
        let mut pos = 0usize;
        let mut scale: u64 = 1_000_000;
        let mut duration: Option<f64> = None;
        while pos < info.len() {
            let (id, sz, hl) = header(&info[pos..])?;
            pos += hl;
            let len = usize::try_from(sz?).ok()?;
            let data = info.get(pos..pos.checked_add(len)?)?;
            match id {
                TIMECODE_SCALE if (1..=8).contains(&len) => {
                    scale = data.iter().fold(0u64, |acc, x| (acc << 8) | u64::from(*x));
                }
                DURATION if len == 4 => duration = Some(f64::from(f32::from_be_bytes(data.try_into().ok()?))),
                DURATION if len == 8 => duration = Some(f64::from_be_bytes(data.try_into().ok()?)),
                _ => {}
            }
            pos += len;
        }
        let seconds = duration? * scale as f64 / 1e9;
        (seconds.is_finite() && seconds >= 0.0).then(|| seconds.round() as i64)
    }
}
