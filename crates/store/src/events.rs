//! The Events report: rows, inserts and the report's queries.

use chrono::{DateTime, NaiveDateTime, Utc};
use confreports_types::{Cursor, Event, EventSort, EventType, Sort, SortKind, SortValue};
use diesel::prelude::*;
use serde::Serialize;

use crate::report::{
    self, Actor, CommonFilter, Report, cursor_int, cursor_text, cursor_time, from_db_time, search_text, to_db_time,
};
use crate::rollups;
use crate::schema::events;
use crate::sql_text::{self, Literals, Params, SqlValues};
use crate::{DbConnection, any_of, common_predicate, keyset, on_inner, search};

/// A stored event.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = events)]
pub struct EventRow {
    pub id: i64,
    pub time: NaiveDateTime,
    pub event_type: String,
    pub success: bool,
    pub user_id: String,
    pub display_name: Option<String>,
    pub ip: String,
    pub entered_login: Option<String>,
    pub real_user_id: Option<String>,
    pub endpoint_id: String,
    pub app_name: Option<String>,
    pub auth_method: Option<String>,
    pub user_rights: Option<String>,
    pub previous_status: Option<i32>,
    pub new_status: Option<i32>,
    pub description: Option<String>,
    pub admin_type: Option<String>,
    pub user_agent: Option<String>,
    pub users: Option<String>,
    pub details: Option<String>,
}

fn non_empty(s: String) -> Option<String> {
    if s.is_empty() { None } else { Some(s) }
}

impl From<EventRow> for Event {
    fn from(r: EventRow) -> Self {
        Event {
            id: r.id,
            time: from_db_time(r.time),
            // Rows are written through `NewEvent`, whose type is an `EventType`.
            event_type: EventType::parse(&r.event_type).unwrap_or(EventType::Status),
            success: r.success,
            user_id: non_empty(r.user_id),
            display_name: r.display_name,
            ip: non_empty(r.ip),
            entered_login: r.entered_login,
            real_user_id: r.real_user_id,
            endpoint_id: non_empty(r.endpoint_id),
            app_name: r.app_name,
            auth_method: r.auth_method,
            user_rights: r.user_rights,
            previous_status: r.previous_status,
            new_status: r.new_status,
            description: r.description,
            admin_type: r.admin_type,
            user_agent: r.user_agent,
            users: r.users.and_then(|u| serde_json::from_str(&u).ok()),
            details: r.details.and_then(|d| serde_json::from_str(&d).ok()),
        }
    }
}

/// An event to store. Build it with [`NewEvent::new`] and the `with_*` setters; `search` is
/// derived when inserted.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    pub source_id: Option<String>,
    pub time: DateTime<Utc>,
    pub event_type: EventType,
    pub success: bool,
    pub user_id: Option<String>,
    pub display_name: Option<String>,
    pub ip: Option<String>,
    pub entered_login: Option<String>,
    pub real_user_id: Option<String>,
    pub endpoint_id: Option<String>,
    pub app_name: Option<String>,
    pub auth_method: Option<String>,
    pub user_rights: Option<String>,
    pub previous_status: Option<i32>,
    pub new_status: Option<i32>,
    pub description: Option<String>,
    pub admin_type: Option<String>,
    pub user_agent: Option<String>,
    pub users: Option<Vec<String>>,
    pub details: Option<serde_json::Value>,
}

impl NewEvent {
    pub fn new(time: DateTime<Utc>, event_type: EventType, success: bool) -> Self {
        NewEvent {
            source_id: None,
            time,
            event_type,
            success,
            user_id: None,
            display_name: None,
            ip: None,
            entered_login: None,
            real_user_id: None,
            endpoint_id: None,
            app_name: None,
            auth_method: None,
            user_rights: None,
            previous_status: None,
            new_status: None,
            description: None,
            admin_type: None,
            user_agent: None,
            users: None,
            details: None,
        }
    }

    /// An action of `actor`, now.
    pub fn action(event_type: EventType, success: bool, actor: &Actor) -> Self {
        let mut e = NewEvent::new(Utc::now(), event_type, success);
        e.user_id = actor.name.clone().filter(|_| actor.app_name.is_none());
        e.admin_type = actor.admin_type.clone();
        e.app_name = actor.app_name.clone();
        e.ip = actor.ip.clone();
        e.user_agent = actor.user_agent.clone();
        e
    }

    pub fn with_description(mut self, d: impl Into<String>) -> Self {
        self.description = Some(d.into());
        self
    }

    pub fn with_details(mut self, d: serde_json::Value) -> Self {
        self.details = Some(d);
        self
    }
}

#[derive(Insertable)]
#[diesel(table_name = events, treat_none_as_default_value = false)]
struct EventInsert<'a> {
    source_id: Option<&'a str>,
    time: NaiveDateTime,
    event_type: &'static str,
    success: bool,
    user_id: &'a str,
    display_name: Option<&'a str>,
    ip: &'a str,
    entered_login: Option<&'a str>,
    real_user_id: Option<&'a str>,
    endpoint_id: &'a str,
    app_name: Option<&'a str>,
    auth_method: Option<&'a str>,
    user_rights: Option<&'a str>,
    previous_status: Option<i32>,
    new_status: Option<i32>,
    description: Option<&'a str>,
    admin_type: Option<&'a str>,
    user_agent: Option<&'a str>,
    users: Option<String>,
    details: Option<String>,
    search: String,
}

impl NewEvent {
    /// The folded text `q` searches: what the `search` column of this event holds.
    pub fn search_text(&self) -> String {
        let users = self.users.as_ref().map(|u| u.join(" "));
        search_text([
            Some(self.event_type.as_str()),
            self.user_id.as_deref(),
            self.display_name.as_deref(),
            self.ip.as_deref(),
            self.entered_login.as_deref(),
            self.real_user_id.as_deref(),
            self.endpoint_id.as_deref(),
            self.app_name.as_deref(),
            self.auth_method.as_deref(),
            self.description.as_deref(),
            self.admin_type.as_deref(),
            self.user_agent.as_deref(),
            users.as_deref(),
        ])
    }
}

impl<'a> From<&'a NewEvent> for EventInsert<'a> {
    fn from(e: &'a NewEvent) -> Self {
        let search = e.search_text();
        EventInsert {
            source_id: e.source_id.as_deref(),
            time: to_db_time(e.time),
            event_type: e.event_type.as_str(),
            success: e.success,
            user_id: e.user_id.as_deref().unwrap_or(""),
            display_name: e.display_name.as_deref(),
            ip: e.ip.as_deref().unwrap_or(""),
            entered_login: e.entered_login.as_deref(),
            real_user_id: e.real_user_id.as_deref(),
            endpoint_id: e.endpoint_id.as_deref().unwrap_or(""),
            app_name: e.app_name.as_deref(),
            auth_method: e.auth_method.as_deref(),
            user_rights: e.user_rights.as_deref(),
            previous_status: e.previous_status,
            new_status: e.new_status,
            description: e.description.as_deref(),
            admin_type: e.admin_type.as_deref(),
            user_agent: e.user_agent.as_deref(),
            users: e.users.as_ref().map(|u| serde_json::to_string(u).unwrap_or_default()),
            details: e.details.as_ref().map(|d| d.to_string()),
            search,
        }
    }
}

/// Rows per INSERT statement: 21 columns each, well under both databases' bind limits.
const INSERT_CHUNK: usize = 500;
/// From this many events on, PostgreSQL gets them by a binary `COPY FROM STDIN` rather than
/// multi-row INSERTs (an ingest batch: several times faster; a handful: no better).
const COPY_FROM: usize = 100;

/// Inserts events and counts them in the dashboard's rollups, all or nothing (a savepoint
/// inside the caller's transaction).
pub fn insert(conn: &mut DbConnection, events: &[NewEvent]) -> QueryResult<usize> {
    if events.is_empty() {
        return Ok(0);
    }
    crate::conn::write_transaction(conn, |conn| {
        let rows: Vec<EventInsert<'_>> = events.iter().map(EventInsert::from).collect();
        let n = match conn {
            DbConnection::Postgres(c) if rows.len() >= COPY_FROM => {
                diesel::copy_from(events::table).from_insertable(&rows).execute(c)?
            }
            _ => {
                let mut n = 0;
                for chunk in rows.chunks(INSERT_CHUNK) {
                    let insert = diesel::insert_into(events::table).values(chunk);
                    n += on_inner!(conn, c => insert.execute(c))?;
                }
                n
            }
        };
        rollups::add(
            conn,
            rows.iter().map(|r| rollups::Entry::new(r.time, r.event_type, r.success, r.user_id, r.admin_type)),
        )?;
        Ok(n)
    })
}

pub fn get(conn: &mut DbConnection, id: i64) -> QueryResult<Event> {
    events::table.find(id).select(EventRow::as_select()).first(conn).map(Event::from)
}

/// What the Events report selects.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct EventFilter {
    #[serde(flatten)]
    pub common: CommonFilter,
    #[serde(rename = "type", skip_serializing_if = "Vec::is_empty")]
    pub types: Vec<EventType>,
    #[serde(rename = "user", skip_serializing_if = "Vec::is_empty")]
    pub users: Vec<String>,
    #[serde(rename = "ip", skip_serializing_if = "Vec::is_empty")]
    pub ips: Vec<String>,
    #[serde(rename = "endpoint", skip_serializing_if = "Vec::is_empty")]
    pub endpoints: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub success: Option<bool>,
}

impl EventFilter {
    /// What of the filter decides the SQL text of its [`predicate`] (without search words):
    /// which conditions it has and how many values each (SQLite lists them one by one), and a
    /// single type, which is written into the SQL.
    fn shape(&self) -> impl std::hash::Hash {
        let one_type = match self.types.as_slice() {
            [one] => Some(one.as_str()),
            _ => None,
        };
        (
            self.common.from.is_some(),
            self.common.to.is_some(),
            one_type,
            self.types.len(),
            self.users.len(),
            self.ips.len(),
            self.endpoints.len(),
            self.success.is_some(),
        )
    }
}

type Predicate = crate::report::Predicate<events::table>;

/// How `q` is answered: each word checked on the rows, which the database's trigram index (see
/// the `search_index` migrations) narrows down by the word's rarest trigrams ([`search::rarest`]).
#[derive(Debug, Clone, PartialEq, Eq)]
enum SearchIndex {
    /// PostgreSQL: per word, the trigrams to ask the `pg_trgm` GIN index for, each as its own
    /// `LIKE '%tri%'`; the word itself is checked with `strpos`, which the index does not serve
    /// (a `LIKE` of the whole word would make the planner read every trigram's rows).
    Trigrams(Vec<(String, Vec<String>)>),
    /// SQLite: the FTS5 trigram table `events_fts`, one `MATCH` query per word that has rare
    /// trigrams; the words are checked with the `LIKE` of the common predicate.
    Fts5(Vec<String>),
}

impl SearchIndex {
    fn of(conn: &mut DbConnection, filter: &EventFilter) -> QueryResult<Self> {
        let sample = if filter.common.words.is_empty() { None } else { search::events_sample(conn)? };
        let rarest = |word: &String| sample.as_deref().map(|s| search::rarest(s, word)).unwrap_or_default();
        Ok(match conn {
            DbConnection::Postgres(_) => {
                SearchIndex::Trigrams(filter.common.words.iter().map(|w| (w.clone(), rarest(w))).collect())
            }
            DbConnection::Sqlite(_) => SearchIndex::Fts5(
                filter
                    .common
                    .words
                    .iter()
                    .map(rarest)
                    .filter(|t| !t.is_empty())
                    .map(|t| {
                        let phrases: Vec<String> =
                            t.iter().map(|t| format!("\"{}\"", t.replace('"', "\"\""))).collect();
                        phrases.join(" AND ")
                    })
                    .collect(),
            ),
        })
    }
}

diesel::define_sql_function! {
    /// PostgreSQL's `strpos(string, substring)`: the substring's position, 0 when absent.
    fn strpos(string: diesel::sql_types::Text, substring: diesel::sql_types::Text) -> diesel::sql_types::Integer;
}

/// The WHERE clause of the selection; list, count, export and delete all use this one.
fn predicate(filter: &EventFilter, index: &SearchIndex) -> Predicate {
    let mut p = match index {
        SearchIndex::Trigrams(words) => {
            // The words are checked here, with the trigrams the index serves kept apart.
            let common = CommonFilter { words: Vec::new(), ..filter.common.clone() };
            let mut p = common_predicate!(events::time, events::search, &common);
            for (word, trigrams) in words {
                for t in trigrams {
                    p = Box::new(p.and(events::search.like(report::containing(t)).escape('\\')));
                }
                p = Box::new(p.and(strpos(events::search, word.clone()).gt(0)));
            }
            p
        }
        SearchIndex::Fts5(queries) => {
            let mut p = common_predicate!(events::time, events::search, &filter.common);
            // The trigram index narrows the rows to its candidates; the words' LIKE decides.
            for query in queries {
                let candidates = diesel::dsl::sql::<diesel::sql_types::Bool>(
                    "events.id IN (SELECT rowid FROM events_fts WHERE events_fts MATCH ",
                )
                .bind::<diesel::sql_types::Text, _>(query.clone())
                .sql(")");
                p = Box::new(p.and(candidates));
            }
            p
        }
    };
    if let [one] = filter.types.as_slice()
        && let Some(is) = crate::report::IsKeyword::new(events::event_type, one.as_str())
    {
        p = Box::new(p.and(is));
    } else if !filter.types.is_empty() {
        let types: Vec<&'static str> = filter.types.iter().map(|t| t.as_str()).collect();
        p = Box::new(p.and(any_of!(events::event_type, types)));
    }
    if !filter.users.is_empty() {
        p = Box::new(p.and(any_of!(events::user_id, filter.users.clone())));
    }
    if !filter.ips.is_empty() {
        p = Box::new(p.and(any_of!(events::ip, filter.ips.clone())));
    }
    if !filter.endpoints.is_empty() {
        p = Box::new(p.and(any_of!(events::endpoint_id, filter.endpoints.clone())));
    }
    if let Some(success) = filter.success {
        p = Box::new(p.and(events::success.eq(success)));
    }
    p
}

/// The export of `filter` in `sort` order as one `SELECT` of `columns` (SQL over the events
/// table's columns), every value written in as a literal, for PostgreSQL to turn into CSV
/// itself ([`crate::copy`]). `None` on SQLite, and when a value cannot be a literal (the
/// rows are then read and formatted by the caller).
pub fn copy_select(
    conn: &mut DbConnection,
    filter: &EventFilter,
    sort: Sort<EventSort>,
    columns: &str,
) -> QueryResult<Option<String>> {
    if !matches!(conn, DbConnection::Postgres(_)) {
        return Ok(None);
    }
    let index = SearchIndex::of(conn, filter)?;
    let (column, direction) = order(sort);
    Ok(where_sql(filter, &index, &mut Literals)
        .map(|w| format!("SELECT {columns} FROM events WHERE {w} ORDER BY {column} {direction}, id {direction}")))
}

/// The column of `sort` and its SQL direction.
fn order(sort: Sort<EventSort>) -> (&'static str, &'static str) {
    let column = match sort.field {
        EventSort::Time => "time",
        EventSort::Type => "type",
        EventSort::UserId => "user_id",
        EventSort::Ip => "ip",
    };
    let direction = match sort.direction {
        confreports_types::Direction::Asc => "ASC",
        confreports_types::Direction::Desc => "DESC",
    };
    (column, direction)
}

/// The columns of [`EventRow`], in its order, as PostgreSQL SQL (the unit test
/// `row_columns_are_the_rows_selection` holds them to diesel's `EventRow::as_select()`).
const ROW_COLUMNS: &str = "id, time, type, success, user_id, display_name, ip, entered_login, real_user_id, \
    endpoint_id, app_name, auth_method, user_rights, previous_status, new_status, description, admin_type, \
    user_agent, users, details";

/// [`EventsReport::list`] as PostgreSQL SQL with bound parameters: the same WHERE as the
/// export's ([`where_sql`]), the keyset after the cursor, the order and the limit. `None` with
/// search words (their trigrams come from a sample read through diesel) and for values
/// PostgreSQL cannot hold.
fn page_sql(
    filter: &EventFilter,
    sort: Sort<EventSort>,
    after: Option<&Cursor>,
    limit: i64,
) -> QueryResult<Option<(String, Params)>> {
    if !filter.common.words.is_empty() {
        return Ok(None);
    }
    let mut params = Params::default();
    let Some(mut w) = where_sql(filter, &SearchIndex::Trigrams(Vec::new()), &mut params) else { return Ok(None) };
    let (column, direction) = order(sort);
    if let Some(after) = after {
        let key = match sort.field {
            EventSort::Time => params.time(cursor_time(&after.key)?),
            EventSort::Type | EventSort::UserId | EventSort::Ip => params.text(&cursor_text(&after.key)?),
        };
        let id = params.int(cursor_int(&after.id)?);
        let Some((key, id)) = key.zip(id) else { return Ok(None) };
        // As `keyset!` writes it: the row-value comparison, and the plain bound that keeps the
        // planner from starting before the cursor.
        let (bound, beyond) = match sort.direction {
            confreports_types::Direction::Desc => ("<=", "<"),
            confreports_types::Direction::Asc => (">=", ">"),
        };
        w = format!("{w} AND {column} {bound} {key} AND ({column}, id) {beyond} ({key}, {id})");
    }
    let sql = format!(
        "SELECT {ROW_COLUMNS} FROM events WHERE {w} ORDER BY {column} {direction}, id {direction} LIMIT {limit}"
    );
    Ok(Some((sql, params)))
}

/// An event borrowed from a row of [`ROW_COLUMNS`] read by the asynchronous client, written
/// as JSON the way [`Event`] serializes (its fields, in its order, with what [`Event::from`]
/// makes of a row: empty ids as null, the stored JSON parsed), without copying its text into
/// an `Event` first. The unit test `a_view_writes_the_json_of_its_event` and the API test
/// `pages_are_the_same_json_on_both_databases` hold the two to the same bytes.
struct EventView<'a> {
    id: i64,
    time: DateTime<Utc>,
    event_type: EventType,
    success: bool,
    user_id: Option<&'a [u8]>,
    display_name: Option<&'a [u8]>,
    ip: Option<&'a [u8]>,
    entered_login: Option<&'a [u8]>,
    real_user_id: Option<&'a [u8]>,
    endpoint_id: Option<&'a [u8]>,
    app_name: Option<&'a [u8]>,
    auth_method: Option<&'a [u8]>,
    user_rights: Option<&'a [u8]>,
    previous_status: Option<i32>,
    new_status: Option<i32>,
    description: Option<&'a [u8]>,
    admin_type: Option<&'a [u8]>,
    user_agent: Option<&'a [u8]>,
    users: Option<Vec<String>>,
    details: Option<serde_json::Value>,
}

impl<'a> EventView<'a> {
    fn of(row: &'a crate::pg_async::Row) -> Result<Self, tokio_postgres::Error> {
        use crate::pg_async::{Text, Timestamp};
        let text = |i: usize| -> Result<Option<&'a [u8]>, tokio_postgres::Error> {
            Ok(row.try_get::<_, Option<Text<'a>>>(i)?.map(|t| t.0))
        };
        let filled = |i: usize| -> Result<Option<&'a [u8]>, tokio_postgres::Error> {
            Ok(Some(row.try_get::<_, Text<'a>>(i)?.0).filter(|s| !s.is_empty()))
        };
        let json = |i: usize| -> Result<Option<&'a str>, tokio_postgres::Error> { row.try_get(i) };
        Ok(EventView {
            id: row.try_get(0)?,
            time: row.try_get::<_, Timestamp>(1)?.0,
            event_type: EventType::parse(row.try_get(2)?).unwrap_or(EventType::Status),
            success: row.try_get(3)?,
            user_id: filled(4)?,
            display_name: text(5)?,
            ip: filled(6)?,
            entered_login: text(7)?,
            real_user_id: text(8)?,
            endpoint_id: filled(9)?,
            app_name: text(10)?,
            auth_method: text(11)?,
            user_rights: text(12)?,
            previous_status: row.try_get(13)?,
            new_status: row.try_get(14)?,
            description: text(15)?,
            admin_type: text(16)?,
            user_agent: text(17)?,
            users: json(18)?.and_then(|u| serde_json::from_str(u).ok()),
            details: json(19)?.and_then(|d| serde_json::from_str(d).ok()),
        })
    }

    /// Appends the event's JSON object. The keys and the type's name are written as they are
    /// (plain ASCII); texts are escaped as serde_json escapes them; the time as chrono writes it.
    fn write_json(&self, out: &mut Vec<u8>) -> Result<(), serde_json::Error> {
        fn text(out: &mut Vec<u8>, key: &[u8], value: Option<&[u8]>) {
            out.extend_from_slice(key);
            match value {
                Some(v) => crate::json::write_str(out, v),
                None => out.extend_from_slice(b"null"),
            }
        }
        fn int(out: &mut Vec<u8>, key: &[u8], value: Option<i32>) {
            out.extend_from_slice(key);
            match value {
                Some(v) => out.extend_from_slice(itoa::Buffer::new().format(v).as_bytes()),
                None => out.extend_from_slice(b"null"),
            }
        }
        out.extend_from_slice(b"{\"id\":");
        out.extend_from_slice(itoa::Buffer::new().format(self.id).as_bytes());
        out.extend_from_slice(b",\"time\":\"");
        crate::json::write_utc(out, self.time);
        out.extend_from_slice(b"\",\"type\":\"");
        out.extend_from_slice(self.event_type.as_str().as_bytes());
        out.extend_from_slice(if self.success { b"\",\"success\":true" } else { b"\",\"success\":false" });
        text(out, b",\"user_id\":", self.user_id);
        text(out, b",\"display_name\":", self.display_name);
        text(out, b",\"ip\":", self.ip);
        text(out, b",\"entered_login\":", self.entered_login);
        text(out, b",\"real_user_id\":", self.real_user_id);
        text(out, b",\"endpoint_id\":", self.endpoint_id);
        text(out, b",\"app_name\":", self.app_name);
        text(out, b",\"auth_method\":", self.auth_method);
        text(out, b",\"user_rights\":", self.user_rights);
        int(out, b",\"previous_status\":", self.previous_status);
        int(out, b",\"new_status\":", self.new_status);
        text(out, b",\"description\":", self.description);
        text(out, b",\"admin_type\":", self.admin_type);
        text(out, b",\"user_agent\":", self.user_agent);
        out.extend_from_slice(b",\"users\":");
        serde_json::to_writer(&mut *out, &self.users)?;
        out.extend_from_slice(b",\"details\":");
        serde_json::to_writer(&mut *out, &self.details)?;
        out.push(b'}');
        Ok(())
    }
}

/// The rows of a direct page as the JSON array of its events.
fn events_json(rows: &[crate::pg_async::Row], out: &mut Vec<u8>) -> Result<(), crate::pg_async::ReadError> {
    out.push(b'[');
    for (i, row) in rows.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        EventView::of(row)?.write_json(out)?;
    }
    out.push(b']');
    Ok(())
}

/// [`EventsReport::cursor_after`] of a row of [`ROW_COLUMNS`].
fn cursor_after_row(row: &crate::pg_async::Row, sort: Sort<EventSort>) -> Result<Cursor, tokio_postgres::Error> {
    let text = |i: usize| -> Result<SortValue, tokio_postgres::Error> { Ok(SortValue::Text(row.try_get(i)?)) };
    let key = match sort.field {
        EventSort::Time => SortValue::Time(row.try_get::<_, crate::pg_async::Timestamp>(1)?.0),
        EventSort::Type => text(2)?,
        EventSort::UserId => text(4)?,
        EventSort::Ip => text(6)?,
    };
    Ok(Cursor { sort: sort.to_string(), key, id: SortValue::Int(row.try_get(0)?) })
}

/// [`predicate`] as PostgreSQL SQL text, each value a caller gave written by `values` (the
/// search words by their trigrams and `strpos`; the event types, a closed set of the server's
/// own, always as literals, as [`report::IsKeyword`] writes one). Kept in step with it by the
/// API tests that compare the exports and the pages of both databases.
fn where_sql(filter: &EventFilter, index: &SearchIndex, values: &mut impl SqlValues) -> Option<String> {
    let mut conditions = vec!["TRUE".to_owned()];
    if let Some(from) = filter.common.from {
        conditions.push(format!("time >= {}", values.time(to_db_time(from))?));
    }
    if let Some(to) = filter.common.to {
        conditions.push(format!("time < {}", values.time(to_db_time(to))?));
    }
    if let SearchIndex::Trigrams(words) = index {
        for (word, trigrams) in words {
            for t in trigrams {
                conditions.push(format!("search LIKE {} ESCAPE E'\\\\'", values.text(&report::containing(t))?));
            }
            conditions.push(format!("strpos(search, {}) > 0", values.text(word)?));
        }
    } else {
        return None;
    }
    let types: Vec<&str> = filter.types.iter().map(|t| t.as_str()).collect();
    match types.as_slice() {
        [] => {}
        [one] => conditions.push(format!("type = {}", sql_text::literal(one)?)),
        many => conditions.push(format!("type IN {}", sql_text::list(&mut Literals, many.iter().copied())?)),
    }
    for (column, chosen) in [("user_id", &filter.users), ("ip", &filter.ips), ("endpoint_id", &filter.endpoints)] {
        // `=` for one value, as `any_of!` writes it (the plan differs).
        match chosen.as_slice() {
            [] => {}
            [one] => conditions.push(format!("{column} = {}", values.text(one)?)),
            many => {
                conditions.push(format!("{column} IN {}", sql_text::list(values, many.iter().map(String::as_str))?))
            }
        }
    }
    if let Some(success) = filter.success {
        conditions.push(format!("success = {success}"));
    }
    Some(conditions.join(" AND "))
}

pub struct EventsReport;

impl Report for EventsReport {
    const NAME: &'static str = "events";
    const DELETE_EVENT: EventType = EventType::DeleteEvents;
    const ID_KIND: SortKind = SortKind::Int;
    type Filter = EventFilter;
    type Sort = EventSort;
    type Item = Event;

    fn list(
        conn: &mut DbConnection,
        filter: &EventFilter,
        sort: Sort<EventSort>,
        after: Option<&Cursor>,
        limit: i64,
    ) -> QueryResult<Vec<Event>> {
        let index = SearchIndex::of(conn, filter)?;
        let q = events::table.filter(predicate(filter, &index)).into_boxed().select(EventRow::as_select());
        let after_id = after.map(|c| cursor_int(&c.id)).transpose()?;
        let dir = sort.direction;
        let q = match sort.field {
            EventSort::Time => {
                let after = after.map(|c| cursor_time(&c.key)).transpose()?.zip(after_id);
                keyset!(q, events::time, events::id, dir, after)
            }
            EventSort::Type => {
                let after = after.map(|c| cursor_text(&c.key)).transpose()?.zip(after_id);
                keyset!(q, events::event_type, events::id, dir, after)
            }
            EventSort::UserId => {
                let after = after.map(|c| cursor_text(&c.key)).transpose()?.zip(after_id);
                keyset!(q, events::user_id, events::id, dir, after)
            }
            EventSort::Ip => {
                let after = after.map(|c| cursor_text(&c.key)).transpose()?.zip(after_id);
                keyset!(q, events::ip, events::id, dir, after)
            }
        };
        // A search is never prepared: its words are the most varied part of any query, and
        // PostgreSQL's plan for a `LIKE` must know how rare the word is.
        let prepare = filter.common.words.is_empty()
            && report::admit_shape(report::list_shape::<Self>(filter.shape(), sort, after.is_some(), limit));
        // Straight into a vector of the page's size: collecting rows of unknown number grew
        // and copied it several times per page.
        let mut events = Vec::with_capacity(usize::try_from(limit).unwrap_or(0).min(1024));
        let rows = report::Prepared::new(q, limit, prepare)
            .load_iter::<EventRow, diesel::connection::DefaultLoadingMode>(conn)?;
        for row in rows {
            events.push(Event::from(row?));
        }
        Ok(events)
    }

    fn count(conn: &mut DbConnection, filter: &EventFilter) -> QueryResult<i64> {
        let index = SearchIndex::of(conn, filter)?;
        events::table.filter(predicate(filter, &index)).count().get_result(conn)
    }

    fn delete(conn: &mut DbConnection, filter: &EventFilter) -> QueryResult<usize> {
        let index = SearchIndex::of(conn, filter)?;
        let (deleted, removal) = rollups::Removal::delete(conn, || predicate(filter, &index))?;
        removal.apply(conn)?;
        Ok(deleted)
    }

    fn direct_page(
        filter: &EventFilter,
        sort: Sort<EventSort>,
        after: Option<&Cursor>,
        limit: i64,
    ) -> QueryResult<Option<report::DirectPage<EventSort>>> {
        Ok(page_sql(filter, sort, after, limit)?.map(|(sql, params)| report::DirectPage {
            sql,
            params,
            items_json: events_json,
            cursor_after: cursor_after_row,
        }))
    }

    fn cursor_after(e: &Event, sort: Sort<EventSort>) -> Cursor {
        let key = match sort.field {
            EventSort::Time => SortValue::Time(e.time),
            EventSort::Type => SortValue::Text(e.event_type.as_str().to_owned()),
            EventSort::UserId => SortValue::Text(e.user_id.clone().unwrap_or_default()),
            EventSort::Ip => SortValue::Text(e.ip.clone().unwrap_or_default()),
        };
        Cursor { sort: sort.to_string(), key, id: SortValue::Int(e.id) }
    }
}

/// Whether the events table has any row (demo refuses a non-empty database).
pub fn any(conn: &mut DbConnection) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(events::table.select(events::id))).get_result(conn)
}

pub use report::delete_by_filter;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn row_columns_are_the_rows_selection() {
        let diesel_sql =
            diesel::debug_query::<diesel::pg::Pg, _>(&events::table.select(EventRow::as_select())).to_string();
        let selected = diesel_sql
            .strip_prefix("SELECT ")
            .and_then(|s| s.split(" FROM ").next())
            .expect("a SELECT")
            .replace("\"events\".", "")
            .replace('"', "");
        let ours: Vec<&str> = ROW_COLUMNS.split(',').map(str::trim).collect();
        assert_eq!(ours, selected.split(", ").collect::<Vec<_>>());
    }

    #[test]
    fn a_view_writes_the_json_of_its_event() {
        use chrono::TimeZone as _;
        let awkward =
            [None, Some(""), Some("plain"), Some("quote \" back\\slash \u{1} tab\t"), Some("Иван 🎉 </script>")];
        let lists = [None, Some(r#"["a@corp","b\"c"]"#), Some("not json"), Some(r#"{"not":"a list"}"#)];
        let details = [None, Some(r#"{"z":1,"a":[true,null,"x"],"n":{"deleted":3}}"#), Some("[1, 2]"), Some("{broken")];
        for (i, text) in awkward.iter().enumerate() {
            for (j, list) in lists.iter().enumerate() {
                let detail = details[(i + j) % details.len()];
                let row = EventRow {
                    id: (i * 10 + j) as i64 - 3,
                    time: Utc.with_ymd_and_hms(2026, 3, 29, 1, 30, 0).single().expect("valid").naive_utc()
                        + chrono::Duration::microseconds((i * 1_234_567 + j) as i64),
                    event_type: ["login", "delete_events", "no_such_type"][(i + j) % 3].to_owned(),
                    success: (i + j) % 2 == 0,
                    user_id: text.unwrap_or_default().to_owned(),
                    display_name: text.map(str::to_owned),
                    ip: text.unwrap_or("10.0.0.1").to_owned(),
                    entered_login: text.map(str::to_owned),
                    real_user_id: None,
                    endpoint_id: text.unwrap_or_default().to_owned(),
                    app_name: text.map(str::to_owned),
                    auth_method: Some("kerberos".into()),
                    user_rights: text.map(str::to_owned),
                    previous_status: Some(-2),
                    new_status: (j % 2 == 0).then_some(5),
                    description: text.map(str::to_owned),
                    admin_type: text.map(str::to_owned),
                    user_agent: text.map(str::to_owned),
                    users: list.map(str::to_owned),
                    details: detail.map(str::to_owned),
                };
                let view = EventView {
                    id: row.id,
                    time: from_db_time(row.time),
                    event_type: EventType::parse(&row.event_type).unwrap_or(EventType::Status),
                    success: row.success,
                    user_id: Some(row.user_id.as_bytes()).filter(|s| !s.is_empty()),
                    display_name: row.display_name.as_deref().map(str::as_bytes),
                    ip: Some(row.ip.as_bytes()).filter(|s| !s.is_empty()),
                    entered_login: row.entered_login.as_deref().map(str::as_bytes),
                    real_user_id: row.real_user_id.as_deref().map(str::as_bytes),
                    endpoint_id: Some(row.endpoint_id.as_bytes()).filter(|s| !s.is_empty()),
                    app_name: row.app_name.as_deref().map(str::as_bytes),
                    auth_method: row.auth_method.as_deref().map(str::as_bytes),
                    user_rights: row.user_rights.as_deref().map(str::as_bytes),
                    previous_status: row.previous_status,
                    new_status: row.new_status,
                    description: row.description.as_deref().map(str::as_bytes),
                    admin_type: row.admin_type.as_deref().map(str::as_bytes),
                    user_agent: row.user_agent.as_deref().map(str::as_bytes),
                    users: row.users.as_deref().and_then(|u| serde_json::from_str(u).ok()),
                    details: row.details.as_deref().and_then(|d| serde_json::from_str(d).ok()),
                };
                let mut ours = Vec::new();
                view.write_json(&mut ours).expect("writes");
                let theirs = serde_json::to_vec(&Event::from(row)).expect("serializes");
                assert_eq!(String::from_utf8_lossy(&ours), String::from_utf8_lossy(&theirs));
            }
        }
    }

    #[test]
    fn a_page_after_a_cursor_binds_its_values_and_writes_the_types_in() {
        let filter = EventFilter {
            types: vec![EventType::Authorize],
            users: vec!["o'brien".into(), "b".into()],
            success: Some(true),
            ..Default::default()
        };
        let sort = Sort { field: EventSort::Time, direction: confreports_types::Direction::Desc };
        let cursor = Cursor { sort: sort.to_string(), key: SortValue::Time(Utc::now()), id: SortValue::Int(42) };
        let (sql, params) = page_sql(&filter, sort, Some(&cursor), 51).expect("writes").expect("no search words");
        assert!(sql.contains("type = E'authorize'"), "{sql}");
        assert!(sql.contains("user_id IN ($1::text, $2::text)"), "{sql}");
        assert!(sql.contains("AND time <= $3::timestamp AND (time, id) < ($3::timestamp, $4::bigint)"), "{sql}");
        assert!(sql.ends_with("ORDER BY time DESC, id DESC LIMIT 51"), "{sql}");
        assert_eq!(params.0.len(), 4);
        let searching =
            EventFilter { common: CommonFilter { words: vec!["x".into()], ..Default::default() }, ..filter };
        assert_eq!(page_sql(&searching, sort, None, 51).expect("writes"), None, "searches keep the diesel path");
    }
}
