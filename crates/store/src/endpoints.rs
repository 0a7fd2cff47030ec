//! The Endpoints report: its queries, and the update rules that ingest applies when the
//! conferencing server reports a connection, a conference end, a network test or an
//! authorization. Every write keeps the folded `search` column current.

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use confreports_types::{
    Cursor, Endpoint, EndpointSort, EndpointType, EventType, OlderThanDays, Sort, SortKind, SortValue,
};
use diesel::prelude::*;
use serde::Serialize;

use crate::records::NewEndpoint;
use crate::report::{CommonFilter, Report, cursor_text, cursor_time, from_db_time, search_text, to_db_time};
use crate::schema::endpoints;
use crate::{DbConnection, any_of, common_predicate, keyset, on_inner, settings};

/// A stored endpoint.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = endpoints, treat_none_as_null = true)]
pub struct EndpointRow {
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

fn non_empty(s: String) -> Option<String> {
    if s.is_empty() { None } else { Some(s) }
}

impl From<EndpointRow> for Endpoint {
    fn from(r: EndpointRow) -> Self {
        Endpoint {
            id: r.id,
            user_id: non_empty(r.user_id),
            app: non_empty(r.app),
            app_version: r.app_version,
            // Rows are written with an `EndpointType`; anything else reads as a guest.
            endpoint_type: EndpointType::parse(&r.endpoint_type).unwrap_or(EndpointType::Guest),
            os: r.os,
            cpu: r.cpu,
            ip: non_empty(r.ip),
            last_conference: r.last_conference,
            network_test: r.network_test,
            system_info: r.system_info,
            first_seen: from_db_time(r.first_seen),
            last_seen: from_db_time(r.last_seen),
        }
    }
}

/// The `search` value of an endpoint: every field the quick search looks at, folded.
#[expect(clippy::too_many_arguments, reason = "the endpoint's searchable fields, named")]
fn search_of(
    id: &str,
    user_id: &str,
    app: &str,
    app_version: Option<&str>,
    endpoint_type: &str,
    os: Option<&str>,
    cpu: Option<&str>,
    ip: &str,
    last_conference: Option<&str>,
    network_test: Option<&str>,
    system_info: Option<&str>,
) -> String {
    search_text([
        Some(id),
        Some(user_id),
        Some(app),
        app_version,
        Some(endpoint_type),
        os,
        cpu,
        Some(ip),
        last_conference,
        network_test,
        system_info,
    ])
}

impl EndpointRow {
    fn refresh_search(&mut self) {
        self.search = search_of(
            &self.id,
            &self.user_id,
            &self.app,
            self.app_version.as_deref(),
            &self.endpoint_type,
            self.os.as_deref(),
            self.cpu.as_deref(),
            &self.ip,
            self.last_conference.as_deref(),
            self.network_test.as_deref(),
            self.system_info.as_deref(),
        );
    }
}

/// The `search` value of an insert form (for bulk inserts such as the demo data).
pub fn search_of_new(e: &NewEndpoint) -> String {
    search_of(
        &e.id,
        &e.user_id,
        &e.app,
        e.app_version.as_deref(),
        &e.endpoint_type,
        e.os.as_deref(),
        e.cpu.as_deref(),
        &e.ip,
        e.last_conference.as_deref(),
        e.network_test.as_deref(),
        e.system_info.as_deref(),
    )
}

pub fn get(conn: &mut DbConnection, id: &str) -> QueryResult<Endpoint> {
    endpoints::table.find(id).select(EndpointRow::as_select()).first(conn).map(Endpoint::from)
}

fn find_row(conn: &mut DbConnection, id: &str) -> QueryResult<Option<EndpointRow>> {
    endpoints::table.find(id).select(EndpointRow::as_select()).first(conn).optional()
}

fn save(conn: &mut DbConnection, row: &mut EndpointRow) -> QueryResult<()> {
    row.refresh_search();
    diesel::update(endpoints::table.find(row.id.clone())).set(&*row).execute(conn)?;
    Ok(())
}

/// Loads the endpoint, lets `change` edit it, and writes it back with its search text, in one
/// transaction. `Ok(false)` when no endpoint has the id.
fn modify(conn: &mut DbConnection, id: &str, change: impl FnOnce(&mut EndpointRow)) -> QueryResult<bool> {
    crate::conn::write_transaction(conn, |conn| match find_row(conn, id)? {
        None => Ok(false),
        Some(mut row) => {
            change(&mut row);
            save(conn, &mut row)?;
            Ok(true)
        }
    })
}

/// A connection or reconnection of a device, as the conferencing server reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointConnection {
    pub id: String,
    /// The signed-in user; `None` for a guest or once nobody is signed in.
    pub user_id: Option<String>,
    pub app: String,
    pub app_version: Option<String>,
    pub endpoint_type: EndpointType,
    pub os: Option<String>,
    pub cpu: Option<String>,
    pub ip: Option<String>,
    pub time: DateTime<Utc>,
}

/// Connect / reconnect: creates the endpoint, or updates its device fields and `last_seen`.
/// `first_seen` is kept (moved earlier only by a report older than it); a report older than
/// `last_seen` (arriving late) does not overwrite newer device fields.
pub fn endpoint_connected(conn: &mut DbConnection, c: &EndpointConnection) -> QueryResult<()> {
    let time = to_db_time(c.time);
    crate::conn::write_transaction(conn, |conn| {
        if find_row(conn, &c.id)?.is_none() {
            let mut row = EndpointRow {
                id: c.id.clone(),
                user_id: c.user_id.clone().unwrap_or_default(),
                app: c.app.clone(),
                app_version: c.app_version.clone(),
                endpoint_type: c.endpoint_type.as_str().to_owned(),
                os: c.os.clone(),
                cpu: c.cpu.clone(),
                ip: c.ip.clone().unwrap_or_default(),
                last_conference: None,
                network_test: None,
                system_info: None,
                first_seen: time,
                last_seen: time,
                search: String::new(),
            };
            row.refresh_search();
            let insert = diesel::insert_into(endpoints::table).values(&row).on_conflict_do_nothing();
            if on_inner!(conn, c => insert.execute(c))? == 1 {
                return Ok(());
            }
            // Another writer created it meanwhile: update it like an existing one.
        }
        modify(conn, &c.id, |row| {
            row.first_seen = row.first_seen.min(time);
            if time >= row.last_seen {
                row.user_id = c.user_id.clone().unwrap_or_default();
                row.app = c.app.clone();
                row.app_version = c.app_version.clone();
                row.endpoint_type = c.endpoint_type.as_str().to_owned();
                row.os = c.os.clone();
                row.cpu = c.cpu.clone();
                row.ip = c.ip.clone().unwrap_or_default();
                row.last_seen = time;
            }
        })?;
        Ok(())
    })
}

/// A conference the endpoint took part in ended: its title becomes `last_conference` and the
/// end time `last_seen` (unless a later report came first). `Ok(false)`: unknown endpoint.
pub fn endpoint_conference_ended(
    conn: &mut DbConnection,
    id: &str,
    conference: &str,
    time: DateTime<Utc>,
) -> QueryResult<bool> {
    let time = to_db_time(time);
    modify(conn, id, |row| {
        if time >= row.last_seen {
            row.last_conference = Some(conference.to_owned());
            row.last_seen = time;
        }
    })
}

/// A network test finished on the endpoint: its result replaces the previous one.
/// `Ok(false)`: unknown endpoint.
pub fn endpoint_network_tested(conn: &mut DbConnection, id: &str, result: &str) -> QueryResult<bool> {
    modify(conn, id, |row| row.network_test = Some(result.to_owned()))
}

/// The endpoint authorized on the server and reported its system information.
/// `Ok(false)`: unknown endpoint.
pub fn endpoint_authorized(conn: &mut DbConnection, id: &str, system_info: &str) -> QueryResult<bool> {
    modify(conn, id, |row| row.system_info = Some(system_info.to_owned()))
}

/// The user left (signed out of the endpoint, or the account was removed): the endpoint keeps
/// its history but no longer names them. Returns how many endpoints changed.
pub fn endpoint_user_left(conn: &mut DbConnection, user_id: &str) -> QueryResult<usize> {
    crate::conn::write_transaction(conn, |conn| {
        let rows: Vec<EndpointRow> =
            endpoints::table.filter(endpoints::user_id.eq(user_id)).select(EndpointRow::as_select()).load(conn)?;
        for mut row in rows.iter().cloned() {
            row.user_id = String::new();
            save(conn, &mut row)?;
        }
        Ok(rows.len())
    })
}

/// What the Endpoints report selects. `from`/`to` bound `last_seen`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct EndpointFilter {
    #[serde(flatten)]
    pub common: CommonFilter,
    #[serde(rename = "user", skip_serializing_if = "Vec::is_empty")]
    pub users: Vec<String>,
    #[serde(rename = "app", skip_serializing_if = "Vec::is_empty")]
    pub apps: Vec<String>,
    #[serde(rename = "type", skip_serializing_if = "Vec::is_empty")]
    pub types: Vec<EndpointType>,
    /// Not seen for more than N days (counted back from the time of the query).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub older_than_days: Option<OlderThanDays>,
}

type Predicate = crate::report::Predicate<endpoints::table>;

/// The WHERE clause of the selection; list, count, export and delete all use this one.
/// Reads the retention setting when the filter names it.
fn predicate(conn: &mut DbConnection, filter: &EndpointFilter) -> QueryResult<Predicate> {
    let mut p = common_predicate!(endpoints::last_seen, endpoints::search, &filter.common);
    if !filter.users.is_empty() {
        p = Box::new(p.and(any_of!(endpoints::user_id, filter.users.clone())));
    }
    if !filter.apps.is_empty() {
        p = Box::new(p.and(any_of!(endpoints::app, filter.apps.clone())));
    }
    if !filter.types.is_empty() {
        let types: Vec<&'static str> = filter.types.iter().map(|t| t.as_str()).collect();
        p = Box::new(p.and(any_of!(endpoints::endpoint_type, types)));
    }
    if let Some(older) = filter.older_than_days {
        let days = match older {
            OlderThanDays::Days(n) => n,
            OlderThanDays::Retention => settings::endpoint_retention_days(conn)?,
        };
        let cutoff = Utc::now() - Duration::days(i64::from(days));
        p = Box::new(p.and(endpoints::last_seen.lt(to_db_time(cutoff))));
    }
    Ok(p)
}

pub struct EndpointsReport;

impl Report for EndpointsReport {
    const NAME: &'static str = "endpoints";
    const DELETE_EVENT: EventType = EventType::DeleteConnections;
    const ID_KIND: SortKind = SortKind::Text;
    type Filter = EndpointFilter;
    type Sort = EndpointSort;
    type Item = Endpoint;

    fn list(
        conn: &mut DbConnection,
        filter: &EndpointFilter,
        sort: Sort<EndpointSort>,
        after: Option<&Cursor>,
        limit: i64,
    ) -> QueryResult<Vec<Endpoint>> {
        let q = endpoints::table
            .filter(predicate(conn, filter)?)
            .into_boxed()
            .select(EndpointRow::as_select())
            .limit(limit);
        let after_id = after.map(|c| cursor_text(&c.id)).transpose()?;
        let dir = sort.direction;
        let q = match sort.field {
            EndpointSort::LastSeen => {
                let after = after.map(|c| cursor_time(&c.key)).transpose()?.zip(after_id);
                keyset!(q, endpoints::last_seen, endpoints::id, dir, after)
            }
            EndpointSort::FirstSeen => {
                let after = after.map(|c| cursor_time(&c.key)).transpose()?.zip(after_id);
                keyset!(q, endpoints::first_seen, endpoints::id, dir, after)
            }
            EndpointSort::UserId => {
                let after = after.map(|c| cursor_text(&c.key)).transpose()?.zip(after_id);
                keyset!(q, endpoints::user_id, endpoints::id, dir, after)
            }
            EndpointSort::App => {
                let after = after.map(|c| cursor_text(&c.key)).transpose()?.zip(after_id);
                keyset!(q, endpoints::app, endpoints::id, dir, after)
            }
            EndpointSort::Ip => {
                let after = after.map(|c| cursor_text(&c.key)).transpose()?.zip(after_id);
                keyset!(q, endpoints::ip, endpoints::id, dir, after)
            }
        };
        Ok(q.load::<EndpointRow>(conn)?.into_iter().map(Endpoint::from).collect())
    }

    fn count(conn: &mut DbConnection, filter: &EndpointFilter) -> QueryResult<i64> {
        let p = predicate(conn, filter)?;
        endpoints::table.filter(p).count().get_result(conn)
    }

    fn delete(conn: &mut DbConnection, filter: &EndpointFilter) -> QueryResult<usize> {
        let p = predicate(conn, filter)?;
        diesel::delete(endpoints::table.filter(p)).execute(conn)
    }

    fn cursor_after(e: &Endpoint, sort: Sort<EndpointSort>) -> Cursor {
        let key = match sort.field {
            EndpointSort::LastSeen => SortValue::Time(e.last_seen),
            EndpointSort::FirstSeen => SortValue::Time(e.first_seen),
            EndpointSort::UserId => SortValue::Text(e.user_id.clone().unwrap_or_default()),
            EndpointSort::App => SortValue::Text(e.app.clone().unwrap_or_default()),
            EndpointSort::Ip => SortValue::Text(e.ip.clone().unwrap_or_default()),
        };
        Cursor { sort: sort.to_string(), key, id: SortValue::Text(e.id.clone()) }
    }
}
