//! The list / count / delete machinery every report shares. A report declares its filter, sort
//! fields and row type by implementing [`Report`]; paging, cursors and the logged delete live
//! here once.

use chrono::{DateTime, NaiveDateTime, Utc};
use confreports_types::{Cursor, EventType, Sort, SortField, SortKind, SortValue};
use diesel::prelude::*;
use diesel::sql_types::Bool;
use serde::Serialize;

use crate::DbConnection;
use crate::events::{self, NewEvent};

/// The part of every report filter that is not report-specific: a time range and search words.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CommonFilter {
    /// Inclusive lower bound.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<DateTime<Utc>>,
    /// Exclusive upper bound.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<DateTime<Utc>>,
    /// Folded words (see [`fold`]); a row must contain every one of them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub words: Vec<String>,
}

impl CommonFilter {
    pub fn is_empty(&self) -> bool {
        self.from.is_none() && self.to.is_none() && self.words.is_empty()
    }

    /// The `LIKE` patterns of the search words, with `%`, `_` and `\` escaped.
    pub fn like_patterns(&self) -> impl Iterator<Item = String> + '_ {
        self.words.iter().map(|w| {
            let mut p = String::with_capacity(w.len() + 2);
            p.push('%');
            for c in w.chars() {
                if matches!(c, '%' | '_' | '\\') {
                    p.push('\\');
                }
                p.push(c);
            }
            p.push('%');
            p
        })
    }
}

/// Unicode case folding for search: what `search` columns hold and what `q` words become.
/// (SQLite's `lower()` folds ASCII only; names and chat are often Cyrillic.)
pub fn fold(s: &str) -> String {
    s.to_lowercase()
}

/// Splits a `q` parameter into folded words.
pub fn search_words(q: &str) -> Vec<String> {
    q.split_whitespace().map(fold).collect()
}

/// Builds a `search` column value from a row's searchable fields.
pub fn search_text<'a>(fields: impl IntoIterator<Item = Option<&'a str>>) -> String {
    let mut out = String::new();
    for f in fields.into_iter().flatten().filter(|f| !f.is_empty()) {
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(&fold(f));
    }
    out
}

/// Who performed an action, as recorded in the events log.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Actor {
    /// Administrator login or OAuth application name; `None` for the server itself.
    pub name: Option<String>,
    /// `sysadmin` / `security` for administrators.
    pub admin_type: Option<String>,
    /// Set when an OAuth application acted.
    pub app_name: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// A report: its filter, sort fields and rows, and the queries only it can write.
pub trait Report: 'static {
    /// The path segment of the report (`events`).
    const NAME: &'static str;
    /// The event recorded when entries are deleted by filter.
    const DELETE_EVENT: EventType;
    /// The kind of the row id that breaks ties in keyset order.
    const ID_KIND: SortKind;
    type Filter: Clone + Send + Sync + Serialize + 'static;
    type Sort: SortField;
    type Item: Send + 'static;

    /// Up to `limit` rows of the selection in `sort` order, after `after` when given.
    fn list(
        conn: &mut DbConnection,
        filter: &Self::Filter,
        sort: Sort<Self::Sort>,
        after: Option<&Cursor>,
        limit: i64,
    ) -> QueryResult<Vec<Self::Item>>;

    fn count(conn: &mut DbConnection, filter: &Self::Filter) -> QueryResult<i64>;

    /// Deletes the selection (inside the caller's transaction) and returns how many went.
    fn delete(conn: &mut DbConnection, filter: &Self::Filter) -> QueryResult<usize>;

    /// Deletes what goes with the selection but lives in other tables and is logged on its
    /// own (the chat of deleted calls), and returns the events that record it. Runs in the
    /// transaction of [`delete_by_filter`], just before [`Report::delete`]; most reports have
    /// nothing of the kind.
    fn delete_dependents(
        _conn: &mut DbConnection,
        _filter: &Self::Filter,
        _actor: &Actor,
        _reason: Option<&str>,
    ) -> QueryResult<Vec<NewEvent>> {
        Ok(Vec::new())
    }

    /// The cursor that continues after `item` under `sort`.
    fn cursor_after(item: &Self::Item, sort: Sort<Self::Sort>) -> Cursor;
}

/// A cursor is usable when it was made for this sort and its values have the right kinds.
pub fn cursor_fits<R: Report>(cursor: &Cursor, sort: Sort<R::Sort>) -> bool {
    cursor.sort == sort.to_string() && cursor.key.kind() == sort.field.kind() && cursor.id.kind() == R::ID_KIND
}

/// One page: up to `limit` rows and the cursor of the next page when more rows follow.
pub fn page<R: Report>(
    conn: &mut DbConnection,
    filter: &R::Filter,
    sort: Sort<R::Sort>,
    after: Option<&Cursor>,
    limit: i64,
) -> QueryResult<(Vec<R::Item>, Option<Cursor>)> {
    let mut rows = R::list(conn, filter, sort, after, limit + 1)?;
    let next = if rows.len() as i64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(|last| R::cursor_after(last, sort))
    } else {
        None
    };
    Ok((rows, next))
}

/// What a deletion event records under `details`.
#[derive(Debug, Serialize)]
struct DeletionDetails<'a, F: Serialize> {
    deleted: u64,
    filter: &'a F,
    reason: Option<&'a str>,
    actor: Option<&'a str>,
}

/// Deletes what `filter` selects and records the report's deletion event, in one transaction
/// that takes SQLite's write lock up front (it reads what goes before deleting it; see
/// [`write_transaction`](crate::conn::write_transaction)).
pub fn delete_by_filter<R: Report>(
    conn: &mut DbConnection,
    filter: &R::Filter,
    actor: &Actor,
    reason: Option<&str>,
) -> QueryResult<u64> {
    crate::conn::write_transaction(conn, |conn| {
        let dependents = R::delete_dependents(conn, filter, actor, reason)?;
        let deleted = R::delete(conn, filter)? as u64;
        let event = deletion_event(R::DELETE_EVENT, deleted, filter, actor, reason)
            .with_description(format!("{deleted} {} entries deleted", R::NAME));
        events::insert(conn, std::slice::from_ref(&event))?;
        events::insert(conn, &dependents)?;
        // The server's own deletions are the retention settings at work.
        let action = if actor.name.is_none() { "retention_purge" } else { "delete" };
        let details = serde_json::json!({
            "report": R::NAME,
            "filter": filter,
            "reason": reason,
            "count": deleted,
        });
        crate::audit::append(conn, &crate::audit::Entry::by(actor, action).with_target(R::NAME).with_details(details))?;
        Ok(deleted)
    })
}

/// A deletion event of `actor`, with `details: {deleted, filter, reason, actor}`.
pub fn deletion_event<F: Serialize>(
    event_type: EventType,
    deleted: u64,
    filter: &F,
    actor: &Actor,
    reason: Option<&str>,
) -> NewEvent {
    let details = DeletionDetails { deleted, filter, reason, actor: actor.name.as_deref() };
    NewEvent::action(event_type, true, actor).with_details(serde_json::to_value(&details).unwrap_or_default())
}

/// Times as the database keeps them: naive UTC, microsecond precision (PostgreSQL's).
pub fn to_db_time(t: DateTime<Utc>) -> NaiveDateTime {
    let naive = t.naive_utc();
    let micros = naive.and_utc().timestamp_subsec_micros();
    naive.with_nanosecond(micros * 1000).unwrap_or(naive)
}

pub fn from_db_time(t: NaiveDateTime) -> DateTime<Utc> {
    t.and_utc()
}

/// The key values of a cursor as the SQL types of the sort column and of the id.
pub(crate) fn cursor_time(v: &SortValue) -> QueryResult<NaiveDateTime> {
    match v {
        SortValue::Time(t) => Ok(to_db_time(*t)),
        _ => Err(bad_cursor()),
    }
}

pub(crate) fn cursor_text(v: &SortValue) -> QueryResult<String> {
    match v {
        SortValue::Text(s) => Ok(s.clone()),
        _ => Err(bad_cursor()),
    }
}

pub(crate) fn cursor_int(v: &SortValue) -> QueryResult<i64> {
    match v {
        SortValue::Int(i) => Ok(*i),
        _ => Err(bad_cursor()),
    }
}

fn bad_cursor() -> diesel::result::Error {
    // Unreachable through the API, which checks `cursor_fits` first.
    diesel::result::Error::QueryBuilderError("cursor value of the wrong kind".into())
}

use chrono::Timelike as _;

/// Orders a boxed query by `(column, id)` in `direction` and, given the last row's key and
/// id, keeps only the rows after it: `column <= key AND (column, id) < (key, id)` (descending).
/// The row-value comparison is one index range to both planners (an `OR` of two ranges was
/// not, on PostgreSQL); the redundant `column <= key` bound keeps any planner from starting
/// before the cursor.
#[macro_export]
macro_rules! keyset {
    ($query:expr, $column:expr, $id:expr, $direction:expr, $after:expr) => {{
        use diesel::prelude::*;
        let query = $query;
        match $direction {
            confreports_types::Direction::Desc => {
                let query = match $after {
                    Some((key, id)) => query
                        .filter($column.le(key.clone()))
                        .filter($crate::report::rows_beyond(&$column, &$id, "<", key, id)),
                    None => query,
                };
                query.order(($column.desc(), $id.desc()))
            }
            confreports_types::Direction::Asc => {
                let query = match $after {
                    Some((key, id)) => query
                        .filter($column.ge(key.clone()))
                        .filter($crate::report::rows_beyond(&$column, &$id, ">", key, id)),
                    None => query,
                };
                query.order(($column.asc(), $id.asc()))
            }
        }
    }};
}

/// The SQL of `(column, id) op (key, id)`, with the two values bound.
pub type RowComparison<K, V> = diesel::expression::SqlLiteral<
    Bool,
    diesel::expression::UncheckedBind<
        diesel::expression::SqlLiteral<
            Bool,
            diesel::expression::UncheckedBind<diesel::expression::SqlLiteral<Bool>, K>,
        >,
        V,
    >,
>;

/// `(column, id) < (key, id)` (or `>`) over one table's columns. Used by [`keyset!`].
pub fn rows_beyond<C, I, K, V>(
    _column: &C,
    _id: &I,
    op: &'static str,
    key: K,
    id: V,
) -> RowComparison<K::Expression, V::Expression>
where
    C: diesel::Column,
    I: diesel::Column<Table = C::Table>,
    C::SqlType: diesel::sql_types::SqlType + diesel::expression::TypedExpressionType,
    I::SqlType: diesel::sql_types::SqlType + diesel::expression::TypedExpressionType,
    K: diesel::expression::AsExpression<C::SqlType>,
    V: diesel::expression::AsExpression<I::SqlType>,
{
    diesel::dsl::sql::<Bool>(&format!("(\"{}\", \"{}\") {op} (", C::NAME, I::NAME))
        .bind::<C::SqlType, K>(key)
        .sql(", ")
        .bind::<I::SqlType, V>(id)
        .sql(")")
}

/// `column = v` for one value, `column IN (...)` for several. PostgreSQL plans `= ANY($1)`
/// without knowing the array has one element, and then cannot walk a `(column, time, id)` index
/// in order; a plain `=` lets it.
#[macro_export]
macro_rules! any_of {
    ($column:expr, $values:expr) => {{
        use diesel::prelude::*;
        let values = $values;
        let p: $crate::report::Predicate<_> = if values.len() == 1 {
            Box::new($column.eq(values.into_iter().next().unwrap_or_default()))
        } else {
            Box::new($column.eq_any(values))
        };
        p
    }};
}

/// A boxed WHERE clause over table `T`.
pub type Predicate<T> =
    Box<dyn diesel::expression::BoxableExpression<T, crate::MultiBackend, SqlType = diesel::sql_types::Bool>>;

/// The predicate of a [`CommonFilter`]: the time range on `$time`, each search word as a `LIKE`
/// on the folded `$search` column. Reports `and` their own conditions onto it.
#[macro_export]
macro_rules! common_predicate {
    ($time:expr, $search:expr, $common:expr) => {{
        use diesel::prelude::*;
        let common: &$crate::report::CommonFilter = $common;
        let mut p: $crate::report::Predicate<_> = Box::new(diesel::dsl::sql::<diesel::sql_types::Bool>("1 = 1"));
        if let Some(from) = common.from {
            p = Box::new(p.and($time.ge($crate::report::to_db_time(from))));
        }
        if let Some(to) = common.to {
            p = Box::new(p.and($time.lt($crate::report::to_db_time(to))));
        }
        for pattern in common.like_patterns() {
            p = Box::new(p.and($search.like(pattern).escape('\\')));
        }
        p
    }};
}
