//! Call history: the report over `call_sessions`, the session page (participants, invitations,
//! media quality, chat files, chat, connection properties), the participant counts and the
//! files sent to a session's chat.
//!
//! Counting rule: a session's `participants` are distinct `person_key`s of its participations
//! (a user's id; for a guest, the application or browser instance), its `connections` are its
//! participations. [`recount`] is the one place that computes them.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use confreports_types::{
    CallParticipants, CallSession, CallSort, ChatFile, ChatMessage, ConnectionProperties, Cursor, EventType,
    Invitation, InvitationOutcome, MediaQuality, NameChange, Participant, Sort, SortKind, SortValue,
};
use diesel::prelude::*;
use serde::Serialize;

use crate::events::{self, NewEvent};
use crate::report::{
    Actor, CommonFilter, Report, cursor_int, cursor_text, cursor_time, deletion_event, from_db_time, to_db_time,
};
use crate::schema::{
    call_sessions, chat_files, chat_messages, invitations, media_stats, name_changes, participations, recordings,
};
use crate::{DbConnection, any_of, common_predicate, keyset};

/// What `ended_sort` holds while a session is active (see the migration): after every real end.
pub fn active_end_sentinel() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(9999, 12, 31).and_then(|d| d.and_hms_opt(0, 0, 0)).unwrap_or(NaiveDateTime::MAX)
}

/// What `duration_sort` holds while a session is active.
pub const ACTIVE_DURATION_SENTINEL: i64 = i64::MAX;

/// Who a participation is for counting people: the user, or for a guest (no user id) the
/// application or browser instance it connected from, so that a guest reconnecting under a new
/// name counts once; a guest whose instance is unknown counts per connection.
pub fn person_key(user_id: &str, endpoint_id: Option<&str>, connection_id: &str) -> String {
    if !user_id.is_empty() {
        user_id.to_owned()
    } else if let Some(ep) = endpoint_id.filter(|e| !e.is_empty()) {
        format!("instance:{ep}")
    } else {
        format!("connection:{connection_id}")
    }
}

/// Whether a storage key names a file directly inside the files directory: we generate keys,
/// but a key that could climb out of the directory is refused wherever it is used.
pub fn is_safe_storage_key(key: &str) -> bool {
    !key.is_empty() && !key.starts_with('.') && !key.contains(['/', '\\', '\0', ':'])
}

/// A stored session, as the list reads it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = call_sessions)]
pub struct CallSessionRow {
    pub id: String,
    pub conference_id: Option<String>,
    pub title: Option<String>,
    pub owner: String,
    pub mode: String,
    pub multicast: bool,
    pub started_at: NaiveDateTime,
    pub ended_at: Option<NaiveDateTime>,
    pub duration_s: Option<i64>,
    pub participants: i32,
    pub connections: i32,
    pub recorded: bool,
}

impl From<CallSessionRow> for CallSession {
    fn from(r: CallSessionRow) -> Self {
        CallSession {
            id: r.id,
            title: r.title.filter(|t| !t.is_empty()),
            conference_id: r.conference_id,
            owner: r.owner,
            mode: r.mode,
            multicast: r.multicast,
            started_at: from_db_time(r.started_at),
            ended_at: r.ended_at.map(from_db_time),
            duration_s: r.duration_s,
            participants: i64::from(r.participants),
            connections: i64::from(r.connections),
            recorded: r.recorded,
        }
    }
}

/// What the call history selects.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CallFilter {
    #[serde(flatten)]
    pub common: CommonFilter,
    #[serde(rename = "owner", skip_serializing_if = "Vec::is_empty")]
    pub owners: Vec<String>,
    #[serde(rename = "conference", skip_serializing_if = "Vec::is_empty")]
    pub conferences: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recorded: Option<bool>,
    #[serde(rename = "participant", skip_serializing_if = "Vec::is_empty")]
    pub participants: Vec<String>,
}

type Predicate = crate::report::Predicate<call_sessions::table>;

/// The WHERE clause of the selection; list, count, export and delete all use this one.
fn predicate(filter: &CallFilter) -> Predicate {
    let mut p = common_predicate!(call_sessions::started_at, call_sessions::search, &filter.common);
    if !filter.owners.is_empty() {
        p = Box::new(p.and(any_of!(call_sessions::owner, filter.owners.clone())));
    }
    if !filter.conferences.is_empty() {
        p = Box::new(p.and(any_of!(call_sessions::conference_id.assume_not_null(), filter.conferences.clone())));
    }
    match filter.active {
        Some(true) => p = Box::new(p.and(call_sessions::ended_at.is_null())),
        Some(false) => p = Box::new(p.and(call_sessions::ended_at.is_not_null())),
        None => {}
    }
    if let Some(recorded) = filter.recorded {
        p = Box::new(p.and(call_sessions::recorded.eq(recorded)));
    }
    if !filter.participants.is_empty() {
        // A semi-join: the sessions in which one of these users had a connection.
        let took_part = participations::table
            .filter(participations::user_id.eq_any(filter.participants.clone()))
            .select(participations::session_id);
        p = Box::new(p.and(call_sessions::id.eq_any(took_part)));
    }
    p
}

/// The sessions a delete may remove: ended, and neither flagged as recorded nor having a
/// server-side recording.
fn deletable() -> Predicate {
    let with_recording = recordings::table.select(recordings::session_id);
    Box::new(
        call_sessions::ended_at
            .is_not_null()
            .and(call_sessions::recorded.eq(false))
            .and(call_sessions::id.ne_all(with_recording)),
    )
}

fn deletable_selection(filter: &CallFilter) -> Predicate {
    Box::new(predicate(filter).and(deletable()))
}

pub struct CallsReport;

impl Report for CallsReport {
    const NAME: &'static str = "calls";
    const DELETE_EVENT: EventType = EventType::DeleteConferences;
    const ID_KIND: SortKind = SortKind::Text;
    type Filter = CallFilter;
    type Sort = CallSort;
    type Item = CallSession;

    fn list(
        conn: &mut DbConnection,
        filter: &CallFilter,
        sort: Sort<CallSort>,
        after: Option<&Cursor>,
        limit: i64,
    ) -> QueryResult<Vec<CallSession>> {
        let q = call_sessions::table
            .filter(predicate(filter))
            .into_boxed()
            .select(CallSessionRow::as_select())
            .limit(limit);
        let after_id = after.map(|c| cursor_text(&c.id)).transpose()?;
        let dir = sort.direction;
        let q = match sort.field {
            CallSort::StartedAt => {
                let after = after.map(|c| cursor_time(&c.key)).transpose()?.zip(after_id);
                keyset!(q, call_sessions::started_at, call_sessions::id, dir, after)
            }
            CallSort::EndedAt => {
                let after = after.map(|c| cursor_time(&c.key)).transpose()?.zip(after_id);
                keyset!(q, call_sessions::ended_sort, call_sessions::id, dir, after)
            }
            CallSort::DurationS => {
                let after = after.map(|c| cursor_int(&c.key)).transpose()?.zip(after_id);
                keyset!(q, call_sessions::duration_sort, call_sessions::id, dir, after)
            }
            CallSort::Participants => {
                let key = after
                    .map(|c| {
                        cursor_int(&c.key).map(|k| i32::try_from(k).unwrap_or(if k < 0 { i32::MIN } else { i32::MAX }))
                    })
                    .transpose()?;
                keyset!(q, call_sessions::participants, call_sessions::id, dir, key.zip(after_id))
            }
            CallSort::Owner => {
                let after = after.map(|c| cursor_text(&c.key)).transpose()?.zip(after_id);
                keyset!(q, call_sessions::owner, call_sessions::id, dir, after)
            }
            CallSort::Title => {
                let after = after.map(|c| cursor_text(&c.key)).transpose()?.zip(after_id);
                keyset!(q, call_sessions::title_sort, call_sessions::id, dir, after)
            }
        };
        Ok(q.load::<CallSessionRow>(conn)?.into_iter().map(CallSession::from).collect())
    }

    fn count(conn: &mut DbConnection, filter: &CallFilter) -> QueryResult<i64> {
        call_sessions::table.filter(predicate(filter)).count().get_result(conn)
    }

    /// Deletes the ended, unrecorded sessions of the selection; their participations,
    /// invitations, media samples and chat files go by foreign-key cascade.
    fn delete(conn: &mut DbConnection, filter: &CallFilter) -> QueryResult<usize> {
        diesel::delete(call_sessions::table.filter(deletable_selection(filter))).execute(conn)
    }

    /// The chat of the sessions about to be deleted, logged as `delete_chat_messages_cascade`.
    fn delete_dependents(
        conn: &mut DbConnection,
        filter: &CallFilter,
        actor: &Actor,
        reason: Option<&str>,
    ) -> QueryResult<Vec<NewEvent>> {
        let sessions: Vec<String> =
            call_sessions::table.filter(deletable_selection(filter)).select(call_sessions::id).load(conn)?;
        let mut deleted = 0u64;
        for chunk in sessions.chunks(1000) {
            deleted += diesel::delete(chat_messages::table.filter(chat_messages::session_id.eq_any(chunk)))
                .execute(conn)? as u64;
        }
        if deleted == 0 {
            return Ok(Vec::new());
        }
        let event = deletion_event(EventType::DeleteChatMessagesCascade, deleted, filter, actor, reason)
            .with_description(format!("{deleted} chat messages deleted with their calls"));
        Ok(vec![event])
    }

    fn cursor_after(c: &CallSession, sort: Sort<CallSort>) -> Cursor {
        let key = match sort.field {
            CallSort::StartedAt => SortValue::Time(c.started_at),
            CallSort::EndedAt => SortValue::Time(c.ended_at.unwrap_or_else(|| from_db_time(active_end_sentinel()))),
            CallSort::DurationS => SortValue::Int(c.duration_s.unwrap_or(ACTIVE_DURATION_SENTINEL)),
            CallSort::Participants => SortValue::Int(c.participants),
            CallSort::Owner => SortValue::Text(c.owner.clone()),
            CallSort::Title => SortValue::Text(c.title.clone().unwrap_or_default()),
        };
        Cursor { sort: sort.to_string(), key, id: SortValue::Text(c.id.clone()) }
    }
}

/// One session; `NotFound` when there is none.
pub fn get(conn: &mut DbConnection, id: &str) -> QueryResult<CallSession> {
    call_sessions::table.find(id).select(CallSessionRow::as_select()).first(conn).map(CallSession::from)
}

fn ensure_session(conn: &mut DbConnection, id: &str) -> QueryResult<()> {
    let found: i64 = call_sessions::table.filter(call_sessions::id.eq(id)).count().get_result(conn)?;
    if found == 0 { Err(diesel::result::Error::NotFound) } else { Ok(()) }
}

/// Recomputes a session's `participants` (distinct people) and `connections` from its
/// participations, stores them and returns them.
pub fn recount(conn: &mut DbConnection, session_id: &str) -> QueryResult<(i64, i64)> {
    let keys: Vec<String> = participations::table
        .filter(participations::session_id.eq(session_id))
        .select(participations::person_key)
        .load(conn)?;
    let connections = keys.len();
    let people = keys.iter().collect::<HashSet<_>>().len();
    let updated = diesel::update(call_sessions::table.find(session_id))
        .set((
            call_sessions::participants.eq(i32::try_from(people).unwrap_or(i32::MAX)),
            call_sessions::connections.eq(i32::try_from(connections).unwrap_or(i32::MAX)),
        ))
        .execute(conn)?;
    if updated == 0 {
        return Err(diesel::result::Error::NotFound);
    }
    Ok((people as i64, connections as i64))
}

/// Ends a session: its end time and duration (the sort keys follow, being generated), and
/// its final participant counts.
pub fn end_session(conn: &mut DbConnection, session_id: &str, ended_at: DateTime<Utc>) -> QueryResult<()> {
    crate::conn::write_transaction(conn, |conn| {
        let started: NaiveDateTime =
            call_sessions::table.find(session_id).select(call_sessions::started_at).first(conn)?;
        let ended = to_db_time(ended_at);
        let duration = (ended - started).num_seconds().max(0);
        diesel::update(call_sessions::table.find(session_id))
            .set((call_sessions::ended_at.eq(Some(ended)), call_sessions::duration_s.eq(Some(duration))))
            .execute(conn)?;
        recount(conn, session_id).map(|_| ())
    })
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = participations)]
struct ParticipationRow {
    id: i64,
    connection_id: String,
    session_id: String,
    user_id: String,
    display_name: String,
    is_guest: bool,
    device: Option<String>,
    endpoint_id: Option<String>,
    joined_at: NaiveDateTime,
    left_at: Option<NaiveDateTime>,
    leave_reason: Option<String>,
    app: Option<String>,
    app_version: Option<String>,
    os: Option<String>,
    cpu: Option<String>,
    ip: Option<String>,
    system_info: Option<String>,
}

fn non_empty(s: String) -> Option<String> {
    if s.is_empty() { None } else { Some(s) }
}

/// Every connection of a session in join order, with guests' name changes and the totals.
pub fn participants(conn: &mut DbConnection, session_id: &str) -> QueryResult<CallParticipants> {
    let session = get(conn, session_id)?;
    let rows: Vec<ParticipationRow> = participations::table
        .filter(participations::session_id.eq(session_id))
        .order((participations::joined_at.asc(), participations::id.asc()))
        .select(ParticipationRow::as_select())
        .load(conn)?;
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut changes: HashMap<i64, Vec<NameChange>> = HashMap::new();
    for chunk in ids.chunks(1000) {
        let found: Vec<(i64, NaiveDateTime, String, String)> = name_changes::table
            .filter(name_changes::participation_id.eq_any(chunk))
            .order((name_changes::time.asc(), name_changes::id.asc()))
            .select((
                name_changes::participation_id,
                name_changes::time,
                name_changes::old_name,
                name_changes::new_name,
            ))
            .load(conn)?;
        for (pid, time, old_name, new_name) in found {
            changes.entry(pid).or_default().push(NameChange { time: from_db_time(time), old_name, new_name });
        }
    }
    let items: Vec<Participant> = rows
        .into_iter()
        .map(|r| Participant {
            name_changes: changes.remove(&r.id).unwrap_or_default(),
            connection_id: r.connection_id,
            user_id: non_empty(r.user_id),
            display_name: r.display_name,
            is_guest: r.is_guest,
            device: r.device,
            endpoint_id: r.endpoint_id,
            joined_at: from_db_time(r.joined_at),
            left_at: r.left_at.map(from_db_time),
            leave_reason: r.leave_reason,
        })
        .collect();
    Ok(CallParticipants { connections: items.len() as i64, participants: session.participants, items })
}

/// The invitations of a session in time order.
pub fn invitations(conn: &mut DbConnection, session_id: &str) -> QueryResult<Vec<Invitation>> {
    ensure_session(conn, session_id)?;
    let rows: Vec<(NaiveDateTime, String, bool, String, String)> = invitations::table
        .filter(invitations::session_id.eq(session_id))
        .order((invitations::time.asc(), invitations::id.asc()))
        .select((
            invitations::time,
            invitations::inviter,
            invitations::inviter_is_server,
            invitations::invitee,
            invitations::outcome,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(time, inviter, inviter_is_server, invitee, outcome)| Invitation {
            time: from_db_time(time),
            inviter,
            inviter_is_server,
            invitee,
            outcome: InvitationOutcome::parse(&outcome),
        })
        .collect())
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = media_stats)]
struct MediaRow {
    connection_id: String,
    time: NaiveDateTime,
    bitrate_in_kbps: Option<i32>,
    bitrate_out_kbps: Option<i32>,
    resolution: Option<String>,
    fps: Option<f64>,
    packet_loss_pct: Option<f64>,
    jitter_ms: Option<f64>,
    cpu_pct: Option<f64>,
}

/// The media quality samples of a session, per connection in join order, each in time order.
pub fn media(conn: &mut DbConnection, session_id: &str) -> QueryResult<Vec<MediaQuality>> {
    ensure_session(conn, session_id)?;
    let connections: Vec<(String, String)> = participations::table
        .filter(participations::session_id.eq(session_id))
        .order((participations::joined_at.asc(), participations::id.asc()))
        .select((participations::connection_id, participations::display_name))
        .load(conn)?;
    let position: HashMap<&str, usize> = connections.iter().enumerate().map(|(i, (c, _))| (c.as_str(), i)).collect();
    let names: HashMap<&str, &str> = connections.iter().map(|(c, n)| (c.as_str(), n.as_str())).collect();
    let mut rows: Vec<MediaRow> = media_stats::table
        .filter(media_stats::session_id.eq(session_id))
        .order((media_stats::time.asc(), media_stats::id.asc()))
        .select(MediaRow::as_select())
        .load(conn)?;
    // Stable: samples stay in time order within a connection.
    rows.sort_by_key(|r| position.get(r.connection_id.as_str()).copied().unwrap_or(usize::MAX));
    Ok(rows
        .into_iter()
        .map(|r| MediaQuality {
            display_name: names.get(r.connection_id.as_str()).map(|n| (*n).to_owned()),
            connection_id: r.connection_id,
            time: from_db_time(r.time),
            bitrate_in_kbps: r.bitrate_in_kbps,
            bitrate_out_kbps: r.bitrate_out_kbps,
            resolution: r.resolution,
            fps: r.fps,
            packet_loss_pct: r.packet_loss_pct,
            jitter_ms: r.jitter_ms,
            cpu_pct: r.cpu_pct,
        })
        .collect())
}

/// A file sent to a chat, with where its content is kept.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = chat_files)]
pub struct ChatFileRow {
    pub id: i64,
    pub session_id: String,
    pub sender: String,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sent_at: NaiveDateTime,
    /// The file's name under the files directory; `None` until its content arrived.
    pub storage_key: Option<String>,
}

impl ChatFileRow {
    /// The storage key, when there is one that is safe to open.
    pub fn safe_storage_key(&self) -> Option<&str> {
        self.storage_key.as_deref().filter(|k| is_safe_storage_key(k))
    }
}

impl From<ChatFileRow> for ChatFile {
    fn from(r: ChatFileRow) -> Self {
        ChatFile {
            downloadable: r.safe_storage_key().is_some(),
            id: r.id,
            session_id: r.session_id,
            name: r.file_name,
            content_type: r.content_type,
            size_bytes: r.size_bytes,
            sender: r.sender,
            sent_at: from_db_time(r.sent_at),
        }
    }
}

/// The files sent to a session's chat, in time order.
pub fn files(conn: &mut DbConnection, session_id: &str) -> QueryResult<Vec<ChatFile>> {
    ensure_session(conn, session_id)?;
    let rows: Vec<ChatFileRow> = chat_files::table
        .filter(chat_files::session_id.eq(session_id))
        .order((chat_files::sent_at.asc(), chat_files::id.asc()))
        .select(ChatFileRow::as_select())
        .load(conn)?;
    Ok(rows.into_iter().map(ChatFile::from).collect())
}

pub fn file(conn: &mut DbConnection, id: i64) -> QueryResult<ChatFileRow> {
    chat_files::table.find(id).select(ChatFileRow::as_select()).first(conn)
}

/// Deletes a chat file's row and records a `delete_chat_messages` event, in one transaction;
/// returns the row, whose content the caller removes from disk once this has committed.
pub fn delete_file(conn: &mut DbConnection, id: i64, actor: &Actor) -> QueryResult<ChatFileRow> {
    crate::conn::write_transaction(conn, |conn| {
        let row = file(conn, id)?;
        diesel::delete(chat_files::table.find(id)).execute(conn)?;
        let details = serde_json::json!({
            "file_id": row.id,
            "name": row.file_name,
            "session_id": row.session_id,
            "actor": actor.name,
        });
        let event = NewEvent::action(EventType::DeleteChatMessages, true, actor)
            .with_description(format!("file `{}` deleted from the chat of session {}", row.file_name, row.session_id))
            .with_details(details.clone());
        events::insert(conn, std::slice::from_ref(&event))?;
        let entry = crate::audit::Entry::by(actor, "delete")
            .with_target(format!("file:{}", row.id))
            .with_details(serde_json::json!({ "report": "files", "count": 1, "file": details }));
        crate::audit::append(conn, &entry)?;
        Ok(row)
    })
}

/// Which of `keys` a chat file still refers to.
pub fn referenced_storage_keys(conn: &mut DbConnection, keys: &[String]) -> QueryResult<HashSet<String>> {
    let mut found = HashSet::new();
    for chunk in keys.chunks(1000) {
        let rows: Vec<Option<String>> = chat_files::table
            .filter(chat_files::storage_key.eq_any(chunk))
            .select(chat_files::storage_key)
            .load(conn)?;
        found.extend(rows.into_iter().flatten());
    }
    Ok(found)
}

/// The messages of a session's chat, in time order.
pub fn chat(conn: &mut DbConnection, session_id: &str) -> QueryResult<Vec<ChatMessage>> {
    ensure_session(conn, session_id)?;
    let rows: Vec<(i64, NaiveDateTime, String, Option<String>, String, String)> = chat_messages::table
        .filter(chat_messages::session_id.eq(session_id))
        .order((chat_messages::time.asc(), chat_messages::id.asc()))
        .select((
            chat_messages::id,
            chat_messages::time,
            chat_messages::sender,
            chat_messages::sender_name,
            chat_messages::recipient,
            chat_messages::text,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, time, sender, sender_name, recipient, text)| ChatMessage {
            id,
            time: from_db_time(time),
            sender,
            sender_name,
            recipient: non_empty(recipient),
            session_id: Some(session_id.to_owned()),
            text,
        })
        .collect())
}

/// The properties of one participant connection.
pub fn connection(conn: &mut DbConnection, connection_id: &str) -> QueryResult<ConnectionProperties> {
    let r: ParticipationRow = participations::table
        .filter(participations::connection_id.eq(connection_id))
        .select(ParticipationRow::as_select())
        .first(conn)?;
    let system_info = r.system_info.map(|s| serde_json::from_str(&s).unwrap_or(serde_json::Value::String(s)));
    Ok(ConnectionProperties {
        connection_id: r.connection_id,
        session_id: r.session_id,
        user_id: non_empty(r.user_id),
        display_name: r.display_name,
        is_guest: r.is_guest,
        device: r.device,
        endpoint_id: r.endpoint_id,
        app: r.app,
        app_version: r.app_version,
        os: r.os,
        cpu: r.cpu,
        ip: r.ip,
        system_info,
        joined_at: from_db_time(r.joined_at),
        left_at: r.left_at.map(from_db_time),
    })
}
