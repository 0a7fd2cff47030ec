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
    Ok(copy_where(filter, &index)
        .map(|w| format!("SELECT {columns} FROM events WHERE {w} ORDER BY {column} {direction}, id {direction}")))
}

/// [`predicate`] as SQL text with its values as literals (PostgreSQL's side of it: the search
/// words by their trigrams and `strpos`). Kept in step with it by the API test that compares
/// the exports of both databases.
fn copy_where(filter: &EventFilter, index: &SearchIndex) -> Option<String> {
    use crate::copy::literal;
    let time = |t: DateTime<Utc>| literal(&to_db_time(t).format("%Y-%m-%d %H:%M:%S%.6f").to_string());
    let mut conditions = vec!["TRUE".to_owned()];
    if let Some(from) = filter.common.from {
        conditions.push(format!("time >= CAST({} AS timestamp)", time(from)?));
    }
    if let Some(to) = filter.common.to {
        conditions.push(format!("time < CAST({} AS timestamp)", time(to)?));
    }
    let SearchIndex::Trigrams(words) = index else { return None };
    for (word, trigrams) in words {
        for t in trigrams {
            conditions.push(format!("search LIKE {} ESCAPE E'\\\\'", literal(&report::containing(t))?));
        }
        conditions.push(format!("strpos(search, {}) > 0", literal(word)?));
    }
    let types: Vec<&str> = filter.types.iter().map(|t| t.as_str()).collect();
    for (column, values) in [
        ("type", types),
        ("user_id", filter.users.iter().map(String::as_str).collect()),
        ("ip", filter.ips.iter().map(String::as_str).collect()),
        ("endpoint_id", filter.endpoints.iter().map(String::as_str).collect()),
    ] {
        // `=` for one value, as `any_of!` writes it (the plan differs).
        match values.as_slice() {
            [] => {}
            [one] => conditions.push(format!("{column} = {}", literal(one)?)),
            many => conditions.push(format!("{column} IN {}", crate::copy::literal_list(many.iter().copied())?)),
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
