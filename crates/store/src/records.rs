//! Insert forms for the tables beside events: users, conferences, sessions and what happens in
//! them, chat, configuration changes, recordings and endpoints. The report modules read these
//! tables; ingest and the demo generator write them through these forms.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::schema::*;
use crate::{DbConnection, on_inner};

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = users, treat_none_as_default_value = false)]
pub struct NewUser {
    pub id: String,
    pub display_name: String,
    pub email: Option<String>,
    pub department: Option<String>,
    pub is_guest: bool,
    pub created_at: NaiveDateTime,
    pub search: String,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = conferences, treat_none_as_default_value = false)]
pub struct NewConference {
    pub id: String,
    pub title: String,
    pub owner: String,
    pub kind: String,
    pub mode: String,
    pub created_at: NaiveDateTime,
    pub search: String,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = call_sessions, treat_none_as_default_value = false)]
pub struct NewCallSession {
    pub id: String,
    pub conference_id: Option<String>,
    pub title: Option<String>,
    pub title_sort: String,
    pub owner: String,
    pub mode: String,
    pub multicast: bool,
    pub started_at: NaiveDateTime,
    pub ended_at: Option<NaiveDateTime>,
    pub duration_s: Option<i64>,
    pub participants: i32,
    pub connections: i32,
    pub recorded: bool,
    pub search: String,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = participations, treat_none_as_default_value = false)]
pub struct NewParticipation {
    pub connection_id: String,
    pub session_id: String,
    pub user_id: String,
    pub person_key: String,
    pub display_name: String,
    pub is_guest: bool,
    pub device: Option<String>,
    pub endpoint_id: Option<String>,
    pub joined_at: NaiveDateTime,
    pub left_at: Option<NaiveDateTime>,
    pub leave_reason: Option<String>,
    pub app: Option<String>,
    pub app_version: Option<String>,
    pub os: Option<String>,
    pub cpu: Option<String>,
    pub ip: Option<String>,
    pub system_info: Option<String>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = name_changes, treat_none_as_default_value = false)]
pub struct NewNameChange {
    pub participation_id: i64,
    pub time: NaiveDateTime,
    pub old_name: String,
    pub new_name: String,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = invitations, treat_none_as_default_value = false)]
pub struct NewInvitation {
    pub source_id: Option<String>,
    pub session_id: String,
    pub time: NaiveDateTime,
    pub inviter: String,
    pub inviter_is_server: bool,
    pub invitee: String,
    pub outcome: String,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = media_stats, treat_none_as_default_value = false)]
pub struct NewMediaStats {
    pub source_id: Option<String>,
    pub session_id: String,
    pub connection_id: String,
    pub time: NaiveDateTime,
    pub bitrate_in_kbps: Option<i32>,
    pub bitrate_out_kbps: Option<i32>,
    pub resolution: Option<String>,
    pub fps: Option<f64>,
    pub packet_loss_pct: Option<f64>,
    pub jitter_ms: Option<f64>,
    pub cpu_pct: Option<f64>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = chat_messages, treat_none_as_default_value = false)]
pub struct NewChatMessage {
    pub source_id: Option<String>,
    pub time: NaiveDateTime,
    pub sender: String,
    pub sender_name: Option<String>,
    pub recipient: String,
    pub session_id: String,
    pub text: String,
    pub search: String,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = chat_files, treat_none_as_default_value = false)]
pub struct NewChatFile {
    pub source_id: Option<String>,
    pub session_id: String,
    pub sender: String,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sent_at: NaiveDateTime,
    pub storage_key: Option<String>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = config_changes, treat_none_as_default_value = false)]
pub struct NewConfigChange {
    pub source_id: Option<String>,
    pub time: NaiveDateTime,
    pub actor: String,
    pub actor_type: String,
    pub object_type: String,
    pub object: String,
    pub changes: String,
    pub search: String,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = config_change_params)]
pub struct NewConfigChangeParam {
    pub change_id: i64,
    pub parameter: String,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = recordings, treat_none_as_default_value = false)]
pub struct NewRecording {
    pub source_id: Option<String>,
    pub session_id: String,
    pub conference_id: Option<String>,
    pub title: Option<String>,
    pub title_sort: String,
    pub owner: String,
    pub started_at: NaiveDateTime,
    pub duration_s: i64,
    pub size_bytes: i64,
    pub content_type: String,
    pub storage_key: Option<String>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = endpoints, treat_none_as_default_value = false)]
pub struct NewEndpoint {
    pub id: String,
    pub user_id: String,
    pub app: String,
    pub app_version: Option<String>,
    pub endpoint_type: String,
    pub os: Option<String>,
    pub cpu: Option<String>,
    pub ip: String,
    pub last_conference: Option<String>,
    pub network_test: Option<String>,
    pub system_info: Option<String>,
    pub first_seen: NaiveDateTime,
    pub last_seen: NaiveDateTime,
    pub search: String,
}

/// Inserts rows of any of the forms above in multi-row statements of `chunk` rows.
macro_rules! insert_all_fn {
    ($name:ident, $table:path, $form:ty, $chunk:expr) => {
        pub fn $name(conn: &mut DbConnection, rows: &[$form]) -> QueryResult<usize> {
            let mut n = 0;
            for chunk in rows.chunks($chunk) {
                let insert = diesel::insert_into($table).values(chunk);
                n += on_inner!(conn, c => insert.execute(c))?;
            }
            Ok(n)
        }
    };
}

insert_all_fn!(insert_users, users::table, NewUser, 1000);
insert_all_fn!(insert_conferences, conferences::table, NewConference, 1000);
insert_all_fn!(insert_call_sessions, call_sessions::table, NewCallSession, 500);
insert_all_fn!(insert_participations, participations::table, NewParticipation, 400);
insert_all_fn!(insert_name_changes, name_changes::table, NewNameChange, 1000);
insert_all_fn!(insert_invitations, invitations::table, NewInvitation, 1000);
insert_all_fn!(insert_media_stats, media_stats::table, NewMediaStats, 500);
insert_all_fn!(insert_chat_messages, chat_messages::table, NewChatMessage, 1000);
insert_all_fn!(insert_chat_files, chat_files::table, NewChatFile, 1000);
insert_all_fn!(insert_config_change_params, config_change_params::table, NewConfigChangeParam, 1000);
insert_all_fn!(insert_recordings, recordings::table, NewRecording, 500);
insert_all_fn!(insert_endpoints, endpoints::table, NewEndpoint, 500);

/// Inserts configuration changes with their parameter rows, all or nothing. Each change's new
/// id comes from its own INSERT (RETURNING on PostgreSQL, the connection's `last_insert_rowid()`
/// on SQLite), so concurrent writers cannot hand a change another one's parameters.
pub fn insert_config_changes(conn: &mut DbConnection, rows: &[(NewConfigChange, Vec<String>)]) -> QueryResult<usize> {
    crate::conn::write_transaction(conn, |conn| {
        for (change, params) in rows {
            let insert = diesel::insert_into(config_changes::table).values(change);
            let id: i64 = match conn {
                DbConnection::Postgres(c) => insert.returning(config_changes::id).get_result(c)?,
                DbConnection::Sqlite(c) => {
                    insert.execute(c)?;
                    diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>("last_insert_rowid()"))
                        .get_result(c)?
                }
            };
            let mut names: Vec<&String> = params.iter().collect();
            names.sort();
            names.dedup();
            let params: Vec<NewConfigChangeParam> =
                names.into_iter().map(|p| NewConfigChangeParam { change_id: id, parameter: p.clone() }).collect();
            insert_config_change_params(conn, &params)?;
        }
        Ok(rows.len())
    })
}

/// The id of a participation by its connection id.
pub fn participation_id(conn: &mut DbConnection, connection_id: &str) -> QueryResult<i64> {
    participations::table.filter(participations::connection_id.eq(connection_id)).select(participations::id).first(conn)
}
