//! Users of the conferencing server: the users list and the activity summary of the user page,
//! which reads the other reports' tables for one user.

use chrono::NaiveDateTime;
use confreports_types::{
    Activity, ChatMessage, Cursor, Event, EventType, Sort, SortField, SortKind, SortValue, User, UserCall,
    UserEndpoint, UserProfile, UserSort,
};
use diesel::prelude::*;
use serde::Serialize;

use crate::chat::{ChatFilter, ChatReport};
use crate::events::{EventFilter, EventsReport};
use crate::report::{CommonFilter, Report, cursor_text, from_db_time};
use crate::schema::{call_sessions, endpoints, participations, users};
use crate::{DbConnection, common_predicate, keyset};

/// A stored user.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub id: String,
    pub display_name: String,
    pub email: Option<String>,
    pub department: Option<String>,
    pub is_guest: bool,
    pub created_at: NaiveDateTime,
}

impl From<UserRow> for User {
    fn from(r: UserRow) -> Self {
        User {
            id: r.id,
            display_name: r.display_name,
            email: r.email,
            department: r.department,
            is_guest: r.is_guest,
            created_at: from_db_time(r.created_at),
        }
    }
}

/// The folded `search` text of a user: id, name, e-mail and department.
pub fn search_text(id: &str, display_name: &str, email: Option<&str>, department: Option<&str>) -> String {
    crate::report::search_text([Some(id), Some(display_name), email, department])
}

pub fn get(conn: &mut DbConnection, id: &str) -> QueryResult<User> {
    users::table.find(id).select(UserRow::as_select()).first(conn).map(User::from)
}

/// What the users list selects: `q` over the search text, `from`/`to` on the creation time.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct UserFilter {
    #[serde(flatten)]
    pub common: CommonFilter,
}

pub struct UsersReport;

impl Report for UsersReport {
    const NAME: &'static str = "users";
    /// Never recorded: users are not deleted through the API (there is no delete route).
    const DELETE_EVENT: EventType = EventType::Deactivation;
    const ID_KIND: SortKind = SortKind::Text;
    type Filter = UserFilter;
    type Sort = UserSort;
    type Item = User;

    fn list(
        conn: &mut DbConnection,
        filter: &UserFilter,
        sort: Sort<UserSort>,
        after: Option<&Cursor>,
        limit: i64,
    ) -> QueryResult<Vec<User>> {
        let predicate = common_predicate!(users::created_at, users::search, &filter.common);
        let q = users::table.filter(predicate).into_boxed().select(UserRow::as_select()).limit(limit);
        let after_id = after.map(|c| cursor_text(&c.id)).transpose()?;
        let after = after.map(|c| cursor_text(&c.key)).transpose()?.zip(after_id);
        let dir = sort.direction;
        let q = match sort.field {
            UserSort::DisplayName => keyset!(q, users::display_name, users::id, dir, after),
            UserSort::Id => keyset!(q, users::id, users::id, dir, after),
        };
        Ok(q.load::<UserRow>(conn)?.into_iter().map(User::from).collect())
    }

    fn count(conn: &mut DbConnection, filter: &UserFilter) -> QueryResult<i64> {
        let predicate = common_predicate!(users::created_at, users::search, &filter.common);
        users::table.filter(predicate).count().get_result(conn)
    }

    fn delete(_conn: &mut DbConnection, _filter: &UserFilter) -> QueryResult<usize> {
        Err(diesel::result::Error::QueryBuilderError("users are not deleted by filter".into()))
    }

    fn cursor_after(u: &User, sort: Sort<UserSort>) -> Cursor {
        let key = match sort.field {
            UserSort::DisplayName => SortValue::Text(u.display_name.clone()),
            UserSort::Id => SortValue::Text(u.id.clone()),
        };
        Cursor { sort: sort.to_string(), key, id: SortValue::Text(u.id.clone()) }
    }
}

#[derive(Queryable)]
struct CallRow {
    id: String,
    title: Option<String>,
    conference_id: Option<String>,
    owner: String,
    started_at: NaiveDateTime,
    ended_at: Option<NaiveDateTime>,
}

#[derive(Queryable)]
struct EndpointRow {
    id: String,
    app: String,
    app_version: Option<String>,
    endpoint_type: String,
    os: Option<String>,
    ip: String,
    last_seen: NaiveDateTime,
}

fn non_empty(s: String) -> Option<String> {
    if s.is_empty() { None } else { Some(s) }
}

fn activity<T>(count: i64, latest: Vec<T>) -> Activity<T> {
    // `list` is the API's business: the HTTP layer fills it in.
    Activity { count: count.max(0) as u64, latest, list: String::new() }
}

/// The user page: the profile, and per report the user's count and newest entries. `NotFound`
/// when no such user exists.
pub fn profile(conn: &mut DbConnection, id: &str) -> QueryResult<UserProfile> {
    let user = get(conn, id)?;
    let latest = UserProfile::LATEST as i64;

    let event_filter = EventFilter { users: vec![id.to_owned()], ..Default::default() };
    let events: Vec<Event> =
        EventsReport::list(conn, &event_filter, confreports_types::EventSort::DEFAULT, None, latest)?;
    let event_count = EventsReport::count(conn, &event_filter)?;

    let chat_filter = ChatFilter { users: vec![id.to_owned()], ..Default::default() };
    let chat: Vec<ChatMessage> =
        ChatReport::list(conn, &chat_filter, confreports_types::ChatSort::DEFAULT, None, latest)?;
    let chat_count = ChatReport::count(conn, &chat_filter)?;

    // Sessions the user owned or joined (a participation of theirs, any connection).
    let took_part = || {
        diesel::dsl::exists(
            participations::table
                .filter(participations::session_id.eq(call_sessions::id))
                .filter(participations::user_id.eq(id.to_owned()))
                .select(participations::id),
        )
    };
    let call_count: i64 =
        call_sessions::table.filter(call_sessions::owner.eq(id).or(took_part())).count().get_result(conn)?;
    let calls: Vec<CallRow> = call_sessions::table
        .filter(call_sessions::owner.eq(id).or(took_part()))
        .order((call_sessions::started_at.desc(), call_sessions::id.desc()))
        .limit(latest)
        .select((
            call_sessions::id,
            call_sessions::title,
            call_sessions::conference_id,
            call_sessions::owner,
            call_sessions::started_at,
            call_sessions::ended_at,
        ))
        .load(conn)?;
    let calls = calls
        .into_iter()
        .map(|c| UserCall {
            is_owner: c.owner == id,
            session_id: c.id,
            title: c.title,
            conference_id: c.conference_id,
            owner: non_empty(c.owner),
            started_at: from_db_time(c.started_at),
            ended_at: c.ended_at.map(from_db_time),
        })
        .collect();

    let endpoint_count: i64 = endpoints::table.filter(endpoints::user_id.eq(id)).count().get_result(conn)?;
    let eps: Vec<EndpointRow> = endpoints::table
        .filter(endpoints::user_id.eq(id))
        .order((endpoints::last_seen.desc(), endpoints::id.desc()))
        .limit(latest)
        .select((
            endpoints::id,
            endpoints::app,
            endpoints::app_version,
            endpoints::endpoint_type,
            endpoints::os,
            endpoints::ip,
            endpoints::last_seen,
        ))
        .load(conn)?;
    let eps = eps
        .into_iter()
        .map(|e| UserEndpoint {
            id: e.id,
            app: non_empty(e.app),
            app_version: e.app_version,
            endpoint_type: e.endpoint_type,
            os: e.os,
            ip: non_empty(e.ip),
            last_seen: from_db_time(e.last_seen),
        })
        .collect();

    Ok(UserProfile {
        user,
        events: activity(event_count, events),
        calls: activity(call_count, calls),
        chat_messages: activity(chat_count, chat),
        endpoints: activity(endpoint_count, eps),
    })
}
