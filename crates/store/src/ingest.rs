//! Ingest: stores a batch of records the conferencing server pushed, in one transaction.
//!
//! Duplicates: every stored record leaves its `(kind, source id)` in `ingest_keys`; a record
//! whose key is there already (from an earlier batch or earlier in this one) is skipped.
//!
//! Out-of-order and late records (the source may send them in any order, and retry):
//! - A record of a session not known yet (participant, invitation, media, chat, file, end)
//!   creates a placeholder session (mode `unknown`, started at the earliest such record's time)
//!   so that nothing is lost; `session_started` completes it (owner, title, mode, start time,
//!   and the duration if it had ended). A session naming a conference not known yet creates a
//!   placeholder conference (kind `unknown`) that a `conference` record completes.
//! - `session_ended` reported twice: the later end time wins; an earlier one is ignored.
//! - `participant_left` (or `participant_renamed`) before `participant_joined`: a placeholder
//!   connection joined at that time is created; `participant_joined` completes it and keeps its
//!   `left_at`. Two `participant_left` of a connection: the later leave wins.
//! - `endpoint` updates: a connect older than the stored `last_seen` does not overwrite newer
//!   device fields; a `conference_end` older than `last_seen` is ignored; an update of an
//!   endpoint never connected (conference_end, network_test, authorization) has nothing to
//!   update: it is accepted (its key stored) without effect, as it carries no device to create.
//! - `participants` and `connections` of every touched session are recounted at the end.

use std::collections::{BTreeSet, HashSet};

use chrono::{DateTime, NaiveDateTime, Utc};
use confreports_types::ingest::{EndpointChange, EndpointRecord, IngestRecord};
use diesel::prelude::*;

use crate::DbConnection;
use crate::calls::{end_session, person_key, recount};
use crate::endpoints::{
    EndpointConnection, endpoint_conference_ended, endpoint_connected, endpoint_network_tested, endpoint_user_left,
};
use crate::events::NewEvent;
use crate::records::*;
use crate::report::{search_text, to_db_time};
use crate::schema::{call_sessions, conferences, ingest_keys, participations, users};

/// `mode` of a session known only from records about it, until `session_started` arrives.
pub const PLACEHOLDER_MODE: &str = "unknown";
/// `kind` of a conference known only from sessions naming it, until `conference` arrives.
pub const PLACEHOLDER_CONFERENCE_KIND: &str = "unknown";

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IngestOutcome {
    pub accepted: u64,
    pub duplicates: u64,
}

/// Checks what serde cannot: fields a record needs depending on its other fields.
/// `Err((field, message))` names the field relative to the record.
pub fn validate(record: &IngestRecord) -> Result<(), (String, String)> {
    let missing = |f: &str| Err((f.to_owned(), format!("`{f}` is required here")));
    if record.id().trim().is_empty() {
        return Err(("id".into(), "`id` must not be empty".into()));
    }
    match record {
        IngestRecord::Endpoint(e) => match e.change {
            EndpointChange::Connect | EndpointChange::Reconnect => {
                if e.endpoint_id.is_none() {
                    return missing("endpoint_id");
                }
                if e.app.is_none() {
                    return missing("app");
                }
                if e.endpoint_type.is_none() {
                    return missing("endpoint_type");
                }
            }
            EndpointChange::ConferenceEnd => {
                if e.endpoint_id.is_none() {
                    return missing("endpoint_id");
                }
                if e.conference.is_none() {
                    return missing("conference");
                }
            }
            EndpointChange::NetworkTest => {
                if e.endpoint_id.is_none() {
                    return missing("endpoint_id");
                }
                if e.network_test.is_none() {
                    return missing("network_test");
                }
            }
            EndpointChange::Authorization => {
                if e.endpoint_id.is_none() {
                    return missing("endpoint_id");
                }
                if e.system_info.is_none() {
                    return missing("system_info");
                }
            }
            EndpointChange::UserLeft => {
                if e.user_id.is_none() {
                    return missing("user_id");
                }
            }
        },
        IngestRecord::ChatMessage(m) if m.session_id.is_none() == m.recipient.is_none() => {
            return Err((
                "session_id".into(),
                "a message has either `session_id` (group) or `recipient` (personal)".into(),
            ));
        }
        IngestRecord::FileSent(f) if f.size_bytes < 0 => {
            return Err(("size_bytes".into(), "`size_bytes` must not be negative".into()));
        }
        IngestRecord::Recording(r) if r.duration_s < 0 || r.size_bytes < 0 => {
            return Err(("duration_s".into(), "`duration_s` and `size_bytes` must not be negative".into()));
        }
        _ => {}
    }
    Ok(())
}

/// Stores a batch, all or nothing. Call with records that passed [`validate`].
pub fn ingest(
    conn: &mut DbConnection,
    records: &[IngestRecord],
    received_at: DateTime<Utc>,
) -> QueryResult<IngestOutcome> {
    let received_at = to_db_time(received_at);
    // Immediate on SQLite: the keys are looked up before anything is written.
    crate::conn::write_transaction(conn, |conn| {
        // Keys first, in a fixed order, so that two batches sharing keys wait for each other
        // instead of deadlocking; a key already there (or twice in the batch) is a duplicate.
        let mut keys: Vec<(&str, &str)> = records.iter().map(|r| (r.kind(), r.id())).collect();
        keys.sort_unstable();
        keys.dedup();
        let fresh = claim_keys(conn, &keys, received_at)?;
        let mut fresh: HashSet<(&str, &str)> =
            keys.into_iter().filter(|(kind, id)| fresh.contains(&(kind.to_string(), id.to_string()))).collect();
        let mut b = Batch::default();
        for r in records {
            // `remove`: only the first record with a fresh key is applied.
            if fresh.remove(&(r.kind(), r.id())) {
                b.outcome.accepted += 1;
                b.apply(conn, r)?;
            } else {
                b.outcome.duplicates += 1;
            }
        }
        b.flush(conn)?;
        Ok(b.outcome)
    })
}

/// Inserts the keys not stored yet and returns those it inserted, in multi-row statements.
/// PostgreSQL says which rows went in (`ON CONFLICT DO NOTHING RETURNING`), so a concurrent batch
/// holding the same key is never double-counted; SQLite has one writer at a time, so looking the
/// keys up first and inserting the rest within this transaction is exact there.
fn claim_keys(
    conn: &mut DbConnection,
    keys: &[(&str, &str)],
    received_at: chrono::NaiveDateTime,
) -> QueryResult<HashSet<(String, String)>> {
    let mut fresh = HashSet::with_capacity(keys.len());
    for chunk in keys.chunks(1000) {
        let rows: Vec<_> = chunk
            .iter()
            .map(|(kind, id)| {
                (ingest_keys::kind.eq(*kind), ingest_keys::source_id.eq(*id), ingest_keys::received_at.eq(received_at))
            })
            .collect();
        match conn {
            DbConnection::Postgres(c) => {
                let inserted: Vec<(String, String)> = diesel::insert_into(ingest_keys::table)
                    .values(&rows)
                    .on_conflict_do_nothing()
                    .returning((ingest_keys::kind, ingest_keys::source_id))
                    .get_results(c)?;
                fresh.extend(inserted);
            }
            DbConnection::Sqlite(c) => {
                let mut stored: HashSet<(String, String)> = HashSet::new();
                let mut by_kind: std::collections::BTreeMap<&str, Vec<&str>> = std::collections::BTreeMap::new();
                for (kind, id) in chunk {
                    by_kind.entry(kind).or_default().push(id);
                }
                for (kind, ids) in by_kind {
                    let found: Vec<String> = ingest_keys::table
                        .filter(ingest_keys::kind.eq(kind))
                        .filter(ingest_keys::source_id.eq_any(ids))
                        .select(ingest_keys::source_id)
                        .load(c)?;
                    stored.extend(found.into_iter().map(|id| (kind.to_owned(), id)));
                }
                let new: Vec<_> = chunk
                    .iter()
                    .zip(rows)
                    .filter(|((kind, id), _)| !stored.contains(&(kind.to_string(), id.to_string())))
                    .map(|(_, row)| row)
                    .collect();
                if !new.is_empty() {
                    diesel::insert_into(ingest_keys::table).values(&new).execute(c)?;
                }
                fresh.extend(
                    chunk
                        .iter()
                        .filter(|(kind, id)| !stored.contains(&(kind.to_string(), id.to_string())))
                        .map(|(kind, id)| (kind.to_string(), id.to_string())),
                );
            }
        }
    }
    Ok(fresh)
}

#[derive(Default)]
struct Batch {
    outcome: IngestOutcome,
    events: Vec<NewEvent>,
    invitations: Vec<NewInvitation>,
    media: Vec<NewMediaStats>,
    chat: Vec<NewChatMessage>,
    files: Vec<NewChatFile>,
    changes: Vec<(NewConfigChange, Vec<String>)>,
    recordings: Vec<NewRecording>,
    touched: BTreeSet<String>,
}

impl Batch {
    fn apply(&mut self, conn: &mut DbConnection, r: &IngestRecord) -> QueryResult<()> {
        match r {
            IngestRecord::Event(e) => {
                let mut n = NewEvent::new(e.time, e.event_type, e.success);
                n.source_id = Some(e.id.clone());
                n.user_id = e.user_id.clone();
                n.display_name = e.display_name.clone();
                n.ip = e.ip.clone();
                n.entered_login = e.entered_login.clone();
                n.real_user_id = e.real_user_id.clone();
                n.endpoint_id = e.endpoint_id.clone();
                n.app_name = e.app_name.clone();
                n.auth_method = e.auth_method.clone();
                n.user_rights = e.user_rights.clone();
                n.previous_status = e.previous_status;
                n.new_status = e.new_status;
                n.description = e.description.clone();
                n.admin_type = e.admin_type.clone();
                n.user_agent = e.user_agent.clone();
                n.users = e.users.clone();
                n.details = e.details.clone();
                self.events.push(n);
            }
            IngestRecord::User(u) => {
                let search =
                    crate::users::search_text(&u.user_id, &u.display_name, u.email.as_deref(), u.department.as_deref());
                let exists: i64 = users::table.filter(users::id.eq(&u.user_id)).count().get_result(conn)?;
                if exists > 0 {
                    diesel::update(users::table.find(&u.user_id))
                        .set((
                            users::display_name.eq(&u.display_name),
                            users::email.eq(&u.email),
                            users::department.eq(&u.department),
                            users::is_guest.eq(u.is_guest),
                            users::search.eq(&search),
                        ))
                        .execute(conn)?;
                } else {
                    insert_users(
                        conn,
                        &[NewUser {
                            id: u.user_id.clone(),
                            display_name: u.display_name.clone(),
                            email: u.email.clone(),
                            department: u.department.clone(),
                            is_guest: u.is_guest,
                            created_at: to_db_time(u.created_at),
                            search,
                        }],
                    )?;
                }
            }
            IngestRecord::Conference(c) => {
                let search = search_text([Some(c.title.as_str()), Some(c.owner.as_str())]);
                let exists: i64 =
                    conferences::table.filter(conferences::id.eq(&c.conference_id)).count().get_result(conn)?;
                if exists > 0 {
                    diesel::update(conferences::table.find(&c.conference_id))
                        .set((
                            conferences::title.eq(&c.title),
                            conferences::owner.eq(&c.owner),
                            conferences::kind.eq(&c.conference_kind),
                            conferences::mode.eq(&c.mode),
                            conferences::created_at.eq(to_db_time(c.created_at)),
                            conferences::search.eq(&search),
                        ))
                        .execute(conn)?;
                } else {
                    insert_conferences(
                        conn,
                        &[NewConference {
                            id: c.conference_id.clone(),
                            title: c.title.clone(),
                            owner: c.owner.clone(),
                            kind: c.conference_kind.clone(),
                            mode: c.mode.clone(),
                            created_at: to_db_time(c.created_at),
                            search,
                        }],
                    )?;
                }
            }
            IngestRecord::SessionStarted(s) => {
                if let Some(conf) = &s.conference_id {
                    ensure_conference(conn, conf, &s.owner, &s.mode, s.started_at)?;
                }
                let started = to_db_time(s.started_at);
                let search = search_text([Some(s.session_id.as_str()), s.title.as_deref(), Some(s.owner.as_str())]);
                let found: Option<Option<NaiveDateTime>> =
                    call_sessions::table.find(&s.session_id).select(call_sessions::ended_at).first(conn).optional()?;
                match found {
                    None => {
                        insert_call_sessions(
                            conn,
                            &[NewCallSession {
                                id: s.session_id.clone(),
                                conference_id: s.conference_id.clone(),
                                title: s.title.clone(),
                                title_sort: s.title.clone().unwrap_or_default(),
                                owner: s.owner.clone(),
                                mode: s.mode.clone(),
                                multicast: s.multicast,
                                started_at: started,
                                ended_at: None,
                                duration_s: None,
                                participants: 0,
                                connections: 0,
                                recorded: s.recorded,
                                search,
                            }],
                        )?;
                    }
                    Some(ended) => {
                        diesel::update(call_sessions::table.find(&s.session_id))
                            .set((
                                call_sessions::conference_id.eq(&s.conference_id),
                                call_sessions::title.eq(&s.title),
                                call_sessions::title_sort.eq(s.title.clone().unwrap_or_default()),
                                call_sessions::owner.eq(&s.owner),
                                call_sessions::mode.eq(&s.mode),
                                call_sessions::multicast.eq(s.multicast),
                                call_sessions::started_at.eq(started),
                                call_sessions::search.eq(&search),
                            ))
                            .execute(conn)?;
                        if s.recorded {
                            diesel::update(call_sessions::table.find(&s.session_id))
                                .set(call_sessions::recorded.eq(true))
                                .execute(conn)?;
                        }
                        if let Some(ended) = ended {
                            let duration = (ended - started).num_seconds().max(0);
                            diesel::update(call_sessions::table.find(&s.session_id))
                                .set(call_sessions::duration_s.eq(Some(duration)))
                                .execute(conn)?;
                        }
                    }
                }
            }
            IngestRecord::SessionEnded(s) => {
                ensure_session(conn, &s.session_id, s.ended_at)?;
                let ended: Option<NaiveDateTime> =
                    call_sessions::table.find(&s.session_id).select(call_sessions::ended_at).first(conn)?;
                if ended.is_none_or(|e| to_db_time(s.ended_at) > e) {
                    end_session(conn, &s.session_id, s.ended_at)?;
                }
            }
            IngestRecord::ParticipantJoined(p) => {
                ensure_session(conn, &p.session_id, p.time)?;
                let user_id = p.user_id.clone().unwrap_or_default();
                let key = person_key(&user_id, p.endpoint_id.as_deref(), &p.connection_id);
                let existing = find_participation(conn, &p.connection_id)?;
                if existing.is_some() {
                    diesel::update(participations::table.filter(participations::connection_id.eq(&p.connection_id)))
                        .set((
                            participations::session_id.eq(&p.session_id),
                            participations::user_id.eq(&user_id),
                            participations::person_key.eq(&key),
                            participations::display_name.eq(&p.display_name),
                            participations::is_guest.eq(p.user_id.is_none()),
                            participations::device.eq(&p.device),
                            participations::endpoint_id.eq(&p.endpoint_id),
                            participations::joined_at.eq(to_db_time(p.time)),
                            participations::app.eq(&p.app),
                            participations::app_version.eq(&p.app_version),
                            participations::os.eq(&p.os),
                            participations::cpu.eq(&p.cpu),
                            participations::ip.eq(&p.ip),
                            participations::system_info.eq(&p.system_info),
                        ))
                        .execute(conn)?;
                } else {
                    insert_participations(
                        conn,
                        &[NewParticipation {
                            connection_id: p.connection_id.clone(),
                            session_id: p.session_id.clone(),
                            user_id: user_id.clone(),
                            person_key: key,
                            display_name: p.display_name.clone(),
                            is_guest: p.user_id.is_none(),
                            device: p.device.clone(),
                            endpoint_id: p.endpoint_id.clone(),
                            joined_at: to_db_time(p.time),
                            left_at: None,
                            leave_reason: None,
                            app: p.app.clone(),
                            app_version: p.app_version.clone(),
                            os: p.os.clone(),
                            cpu: p.cpu.clone(),
                            ip: p.ip.clone(),
                            system_info: p.system_info.clone(),
                        }],
                    )?;
                }
                self.touched.insert(p.session_id.clone());
            }
            IngestRecord::ParticipantLeft(p) => {
                ensure_session(conn, &p.session_id, p.time)?;
                let name = p.user_id.clone().unwrap_or_else(|| p.connection_id.clone());
                ensure_participation(conn, &p.session_id, &p.connection_id, p.user_id.as_deref(), &name, p.time)?;
                let left: Option<NaiveDateTime> = participations::table
                    .filter(participations::connection_id.eq(&p.connection_id))
                    .select(participations::left_at)
                    .first(conn)?;
                let time = to_db_time(p.time);
                if left.is_none_or(|l| time > l) {
                    diesel::update(participations::table.filter(participations::connection_id.eq(&p.connection_id)))
                        .set((participations::left_at.eq(Some(time)), participations::leave_reason.eq(&p.reason)))
                        .execute(conn)?;
                }
                self.touched.insert(p.session_id.clone());
            }
            IngestRecord::ParticipantRenamed(p) => {
                ensure_session(conn, &p.session_id, p.time)?;
                let pid = ensure_participation(conn, &p.session_id, &p.connection_id, None, &p.old_name, p.time)?;
                insert_name_changes(
                    conn,
                    &[NewNameChange {
                        participation_id: pid,
                        time: to_db_time(p.time),
                        old_name: p.old_name.clone(),
                        new_name: p.new_name.clone(),
                    }],
                )?;
                self.touched.insert(p.session_id.clone());
            }
            IngestRecord::Invitation(i) => {
                ensure_session(conn, &i.session_id, i.time)?;
                let outcome = serde_json::to_value(i.outcome).ok().and_then(|v| v.as_str().map(str::to_owned));
                self.invitations.push(NewInvitation {
                    source_id: Some(i.id.clone()),
                    session_id: i.session_id.clone(),
                    time: to_db_time(i.time),
                    inviter: i.inviter.clone(),
                    inviter_is_server: i.inviter_is_server,
                    invitee: i.invitee.clone(),
                    outcome: outcome.unwrap_or_default(),
                });
            }
            IngestRecord::MediaStats(m) => {
                ensure_session(conn, &m.session_id, m.time)?;
                self.media.push(NewMediaStats {
                    source_id: Some(m.id.clone()),
                    session_id: m.session_id.clone(),
                    connection_id: m.connection_id.clone(),
                    time: to_db_time(m.time),
                    bitrate_in_kbps: m.bitrate_in_kbps,
                    bitrate_out_kbps: m.bitrate_out_kbps,
                    resolution: m.resolution.clone(),
                    fps: m.fps,
                    packet_loss_pct: m.packet_loss_pct,
                    jitter_ms: m.jitter_ms,
                    cpu_pct: m.cpu_pct,
                });
            }
            IngestRecord::ChatMessage(m) => {
                if let Some(s) = &m.session_id {
                    ensure_session(conn, s, m.time)?;
                }
                self.chat.push(crate::chat::new_message(
                    Some(m.id.clone()),
                    m.time,
                    &m.sender,
                    m.sender_name.as_deref(),
                    m.recipient.as_deref(),
                    m.session_id.as_deref(),
                    &m.text,
                ));
            }
            IngestRecord::FileSent(f) => {
                ensure_session(conn, &f.session_id, f.time)?;
                self.files.push(NewChatFile {
                    source_id: Some(f.id.clone()),
                    session_id: f.session_id.clone(),
                    sender: f.sender.clone(),
                    file_name: f.file_name.clone(),
                    content_type: f.content_type.clone(),
                    size_bytes: f.size_bytes,
                    sent_at: to_db_time(f.time),
                    storage_key: None,
                });
            }
            IngestRecord::ConfigChange(c) => {
                self.changes.push(crate::config_changes::new_change(
                    Some(c.id.clone()),
                    c.time,
                    &c.actor,
                    c.actor_type,
                    &c.object_type,
                    &c.object,
                    &c.changes,
                ));
            }
            IngestRecord::Endpoint(e) => apply_endpoint(conn, e)?,
            IngestRecord::Recording(r) => {
                diesel::update(call_sessions::table.find(&r.session_id))
                    .set(call_sessions::recorded.eq(true))
                    .execute(conn)?;
                self.recordings.push(NewRecording {
                    source_id: Some(r.id.clone()),
                    session_id: r.session_id.clone(),
                    conference_id: r.conference_id.clone(),
                    title: r.title.clone(),
                    title_sort: r.title.clone().unwrap_or_default(),
                    owner: r.owner.clone(),
                    started_at: to_db_time(r.started_at),
                    duration_s: r.duration_s,
                    size_bytes: r.size_bytes,
                    content_type: r.content_type.clone().unwrap_or_else(|| "video/webm".into()),
                    storage_key: None,
                    created_at: to_db_time(Utc::now()),
                });
            }
        }
        Ok(())
    }

    fn flush(&mut self, conn: &mut DbConnection) -> QueryResult<()> {
        crate::events::insert(conn, &self.events)?;
        insert_invitations(conn, &self.invitations)?;
        insert_media_stats(conn, &self.media)?;
        insert_chat_messages(conn, &self.chat)?;
        insert_chat_files(conn, &self.files)?;
        insert_config_changes(conn, &self.changes)?;
        insert_recordings(conn, &self.recordings)?;
        for s in &self.touched {
            recount(conn, s)?;
        }
        Ok(())
    }
}

fn apply_endpoint(conn: &mut DbConnection, e: &EndpointRecord) -> QueryResult<()> {
    let id = e.endpoint_id.clone().unwrap_or_default();
    match e.change {
        EndpointChange::Connect | EndpointChange::Reconnect => {
            let Some(endpoint_type) = e.endpoint_type else { return Ok(()) };
            endpoint_connected(
                conn,
                &EndpointConnection {
                    id,
                    user_id: e.user_id.clone(),
                    app: e.app.clone().unwrap_or_default(),
                    app_version: e.app_version.clone(),
                    endpoint_type,
                    os: e.os.clone(),
                    cpu: e.cpu.clone(),
                    ip: e.ip.clone(),
                    time: e.time,
                },
            )?;
        }
        EndpointChange::ConferenceEnd => {
            endpoint_conference_ended(conn, &id, e.conference.as_deref().unwrap_or_default(), e.time)?;
        }
        EndpointChange::NetworkTest => {
            endpoint_network_tested(conn, &id, e.network_test.as_deref().unwrap_or_default())?;
        }
        EndpointChange::Authorization => {
            crate::endpoints::endpoint_authorized(conn, &id, e.system_info.as_deref().unwrap_or_default())?;
        }
        EndpointChange::UserLeft => {
            endpoint_user_left(conn, e.user_id.as_deref().unwrap_or_default())?;
        }
    }
    Ok(())
}

/// Creates a placeholder session if none has the id; moves a placeholder's start earlier.
fn ensure_session(conn: &mut DbConnection, id: &str, time: DateTime<Utc>) -> QueryResult<()> {
    let time = to_db_time(time);
    let found: Option<(String, NaiveDateTime)> = call_sessions::table
        .find(id)
        .select((call_sessions::mode, call_sessions::started_at))
        .first(conn)
        .optional()?;
    match found {
        None => {
            insert_call_sessions(
                conn,
                &[NewCallSession {
                    id: id.to_owned(),
                    conference_id: None,
                    title: None,
                    title_sort: String::new(),
                    owner: String::new(),
                    mode: PLACEHOLDER_MODE.into(),
                    multicast: false,
                    started_at: time,
                    ended_at: None,
                    duration_s: None,
                    participants: 0,
                    connections: 0,
                    recorded: false,
                    search: search_text([Some(id)]),
                }],
            )?;
        }
        Some((mode, started)) if mode == PLACEHOLDER_MODE && time < started => {
            diesel::update(call_sessions::table.find(id)).set(call_sessions::started_at.eq(time)).execute(conn)?;
        }
        Some(_) => {}
    }
    Ok(())
}

fn ensure_conference(
    conn: &mut DbConnection,
    id: &str,
    owner: &str,
    mode: &str,
    time: DateTime<Utc>,
) -> QueryResult<()> {
    let exists: i64 = conferences::table.filter(conferences::id.eq(id)).count().get_result(conn)?;
    if exists == 0 {
        insert_conferences(
            conn,
            &[NewConference {
                id: id.to_owned(),
                title: id.to_owned(),
                owner: owner.to_owned(),
                kind: PLACEHOLDER_CONFERENCE_KIND.into(),
                mode: mode.to_owned(),
                created_at: to_db_time(time),
                search: search_text([Some(id), Some(owner)]),
            }],
        )?;
    }
    Ok(())
}

fn find_participation(conn: &mut DbConnection, connection_id: &str) -> QueryResult<Option<i64>> {
    participations::table
        .filter(participations::connection_id.eq(connection_id))
        .select(participations::id)
        .first(conn)
        .optional()
}

/// The participation of a connection, created as a placeholder joined at `time` if unknown.
fn ensure_participation(
    conn: &mut DbConnection,
    session_id: &str,
    connection_id: &str,
    user_id: Option<&str>,
    name: &str,
    time: DateTime<Utc>,
) -> QueryResult<i64> {
    if let Some(id) = find_participation(conn, connection_id)? {
        return Ok(id);
    }
    let uid = user_id.unwrap_or_default();
    insert_participations(
        conn,
        &[NewParticipation {
            connection_id: connection_id.to_owned(),
            session_id: session_id.to_owned(),
            user_id: uid.to_owned(),
            person_key: person_key(uid, None, connection_id),
            display_name: name.to_owned(),
            is_guest: user_id.is_none(),
            device: None,
            endpoint_id: None,
            joined_at: to_db_time(time),
            left_at: None,
            leave_reason: None,
            app: None,
            app_version: None,
            os: None,
            cpu: None,
            ip: None,
            system_info: None,
        }],
    )?;
    participation_id(conn, connection_id)
}
