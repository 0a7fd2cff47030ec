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

    /// The `LIKE` patterns of the search words ([`containing`]).
    pub fn like_patterns(&self) -> impl Iterator<Item = String> + '_ {
        self.words.iter().map(|w| containing(w))
    }
}

/// The `LIKE ... ESCAPE '\'` pattern of the strings holding `text`: `%text%`, with `%`, `_` and
/// `\` in it escaped.
pub fn containing(text: &str) -> String {
    let mut p = String::with_capacity(text.len() + 2);
    p.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
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

    /// What [`list`](Self::list) reads, as PostgreSQL SQL for the asynchronous client
    /// ([`page_direct`]); `None` (the default) where only `list` reads it: the other reports,
    /// and selections that need a diesel connection to be written (search words).
    fn direct_page(
        _filter: &Self::Filter,
        _sort: Sort<Self::Sort>,
        _after: Option<&Cursor>,
        _limit: i64,
    ) -> QueryResult<Option<DirectPage<Self::Sort>>> {
        Ok(None)
    }
}

/// A list query as PostgreSQL SQL text with its values as parameters, and how its rows become
/// the page's JSON ([`Report::direct_page`]).
pub struct DirectPage<S> {
    pub sql: String,
    pub params: crate::sql_text::Params,
    /// Appends the rows as the JSON array of the page's items, each as the report's `Item`
    /// serializes, without making an `Item` of it.
    pub items_json: fn(&[crate::pg_async::Row], &mut Vec<u8>) -> Result<(), crate::pg_async::ReadError>,
    /// The cursor that continues after a row.
    pub cursor_after: fn(&crate::pg_async::Row, Sort<S>) -> Result<Cursor, tokio_postgres::Error>,
}

/// A page read by [`page_direct`]: what the caller gave it with the items appended as a JSON
/// array, and the cursor of the next page when more rows follow.
#[derive(Debug)]
pub struct ItemsJson {
    pub json: Vec<u8>,
    pub next: Option<Cursor>,
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
    let next = cut_to(&mut rows, limit, |last| R::cursor_after(last, sort));
    Ok((rows, next))
}

/// Keeps the first `limit` of `rows` (read with one more) and, when more followed, returns what
/// `after` says of the last one kept (the next page's cursor).
fn cut_to<T, C>(rows: &mut Vec<T>, limit: i64, after: impl FnOnce(&T) -> C) -> Option<C> {
    if rows.len() as i64 <= limit {
        return None;
    }
    rows.truncate(usize::try_from(limit).unwrap_or(0));
    rows.last().map(after)
}

/// [`page`] read by PostgreSQL's asynchronous client ([`crate::pg_async`]) on the caller's
/// worker, as JSON; `None` when the report or the filter is not read that way
/// ([`Report::direct_page`]). The statement is prepared when its text is one of the admitted
/// shapes ([`admit_shape`]). The items are appended to `json` (the start of the response's
/// body, so that they are not copied once more).
pub async fn page_direct<R: Report>(
    reader: &crate::pg_async::PgReader,
    filter: &R::Filter,
    sort: Sort<R::Sort>,
    after: Option<&Cursor>,
    limit: i64,
    mut json: Vec<u8>,
) -> Result<Option<ItemsJson>, crate::pg_async::ReadError> {
    let Some(direct) = R::direct_page(filter, sort, after, limit + 1)? else { return Ok(None) };
    let prepare = admit_shape(text_shape(&direct.sql));
    let mut rows = reader.query(&direct.sql, &direct.params.0, prepare).await?;
    let next = cut_to(&mut rows, limit, |last| (direct.cursor_after)(last, sort)).transpose()?;
    json.reserve(rows.len() * 640 + 64);
    (direct.items_json)(&rows, &mut json)?;
    Ok(Some(ItemsJson { json, next }))
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

/// `column = 'keyword'`, the value written into the SQL rather than bound: for the closed sets
/// of values the server itself defines (event types), never for what a caller typed. A
/// statement without bound values is planned once by PostgreSQL and its plan reused; with the
/// value bound, it would plan every execution anew (a generic plan cannot know how common the
/// value is).
#[derive(Debug, Clone, Copy)]
pub struct IsKeyword<C> {
    column: C,
    keyword: &'static str,
}

impl<C> IsKeyword<C> {
    /// `None` unless `keyword` is made of `a-z`, `0-9` and `_` only (nothing to quote).
    pub fn new(column: C, keyword: &'static str) -> Option<Self> {
        let plain =
            !keyword.is_empty() && keyword.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        plain.then_some(IsKeyword { column, keyword })
    }
}

impl<C> diesel::Expression for IsKeyword<C> {
    type SqlType = Bool;
}

impl<C: diesel::expression::ValidGrouping<GB>, GB> diesel::expression::ValidGrouping<GB> for IsKeyword<C> {
    type IsAggregate = C::IsAggregate;
}

impl<C> diesel::query_builder::QueryId for IsKeyword<C> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<C: diesel::AppearsOnTable<QS>, QS> diesel::AppearsOnTable<QS> for IsKeyword<C> {}

impl<C: diesel::SelectableExpression<QS>, QS> diesel::SelectableExpression<QS> for IsKeyword<C> {}

impl<C, DB> diesel::query_builder::QueryFragment<DB> for IsKeyword<C>
where
    DB: diesel::backend::Backend,
    C: diesel::query_builder::QueryFragment<DB>,
{
    fn walk_ast<'b>(&'b self, mut out: diesel::query_builder::AstPass<'_, 'b, DB>) -> QueryResult<()> {
        self.column.walk_ast(out.reborrow())?;
        out.push_sql(" = '");
        out.push_sql(self.keyword);
        out.push_sql("'");
        Ok(())
    }
}

/// A list query, with its `LIMIT` written into the SQL, that the connection prepares once and
/// then reuses when `prepare` says so ([`admit_shape`]): PostgreSQL then neither parses nor
/// plans it again, and the page costs one round trip instead of two. `LIMIT 51` rather than
/// `LIMIT $1`: PostgreSQL's generic plans assume a bound limit selects a tenth of the table, and
/// would never be chosen.
///
/// Whether it is prepared is decided here, not by the parts of the query: a prepared statement
/// stays on its connection for the connection's life, so only the shapes [`admit_shape`] let in
/// are, and their number is bounded.
#[derive(Debug, Clone)]
pub struct Prepared<Q> {
    query: Q,
    limit: i64,
    prepare: bool,
}

impl<Q> Prepared<Q> {
    pub fn new(query: Q, limit: i64, prepare: bool) -> Self {
        Prepared { query, limit, prepare }
    }
}

impl<Q: diesel::query_builder::Query> diesel::query_builder::Query for Prepared<Q> {
    type SqlType = Q::SqlType;
}

/// No static id: the SQL differs with the limit and the query's parts. diesel keys the
/// statements of such queries by their SQL text.
impl<Q> diesel::query_builder::QueryId for Prepared<Q> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q> diesel::query_dsl::RunQueryDsl<crate::DbConnection> for Prepared<Q> {}

impl<Q, DB> diesel::query_builder::QueryFragment<DB> for Prepared<Q>
where
    DB: diesel::backend::Backend,
    Q: diesel::query_builder::QueryFragment<DB>,
{
    fn walk_ast<'b>(&'b self, mut out: diesel::query_builder::AstPass<'_, 'b, DB>) -> QueryResult<()> {
        self.query.walk_ast(out.reborrow())?;
        out.push_sql(" LIMIT ");
        out.push_sql(&self.limit.to_string());
        Ok(())
    }

    /// The parts' own verdicts (a `sql()` literal, an `IN` list) are about statements whose
    /// cache key is their type; this one's key is its SQL text, which those parts are in.
    fn is_safe_to_cache_prepared(&self, _backend: &DB) -> QueryResult<bool> {
        Ok(self.prepare)
    }
}

/// The shape of a list query of report `R`: `filter_shape` (what of the filter changes its SQL
/// text: which conditions are there, how many values each has, the values written into the SQL)
/// with the sort, whether a cursor continues an earlier page, and the limit.
pub fn list_shape<R: Report>(filter_shape: impl std::hash::Hash, sort: Sort<R::Sort>, after: bool, limit: i64) -> u64 {
    use std::hash::{Hash as _, Hasher as _};
    let mut h = std::hash::DefaultHasher::new();
    (R::NAME, sort.to_string(), after, limit).hash(&mut h);
    filter_shape.hash(&mut h);
    h.finish()
}

/// The shape of a statement written as text with its values as parameters: the text itself.
pub fn text_shape(sql: &str) -> u64 {
    use std::hash::{Hash as _, Hasher as _};
    let mut h = std::hash::DefaultHasher::new();
    sql.hash(&mut h);
    h.finish()
}

/// Query shapes (distinct SQL texts) this process prepares at most: each is a statement kept on
/// every pooled connection that runs it, some 30 to 50 KiB of a PostgreSQL backend's memory.
pub const PREPARED_SHAPES: usize = 128;

/// The query shapes admitted to be prepared: the first `capacity` seen, no other, so that
/// callers varying their filters cannot fill the database's memory with statements.
#[derive(Debug)]
pub struct Shapes {
    capacity: usize,
    admitted: std::sync::Mutex<std::collections::HashSet<u64>>,
}

impl Shapes {
    pub fn new(capacity: usize) -> Self {
        Shapes { capacity, admitted: Default::default() }
    }

    /// Whether a query of `shape` (a hash of everything its SQL text depends on, never of its
    /// bound values) may be prepared.
    pub fn admit(&self, shape: u64) -> bool {
        let mut admitted = self.admitted.lock().unwrap_or_else(|e| e.into_inner());
        if admitted.contains(&shape) {
            return true;
        }
        if admitted.len() < self.capacity {
            admitted.insert(shape);
            return true;
        }
        false
    }
}

/// [`Shapes::admit`] on the process's [`PREPARED_SHAPES`].
pub fn admit_shape(shape: u64) -> bool {
    static SHAPES: std::sync::OnceLock<Shapes> = std::sync::OnceLock::new();
    SHAPES.get_or_init(|| Shapes::new(PREPARED_SHAPES)).admit(shape)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_admit_the_first_ones_up_to_the_capacity_and_keep_admitting_them() {
        let shapes = Shapes::new(2);
        assert!(shapes.admit(10));
        assert!(shapes.admit(20));
        assert!(!shapes.admit(30), "a third shape is over the capacity");
        assert!(shapes.admit(10) && shapes.admit(20), "admitted shapes stay admitted");
        assert!(!shapes.admit(30));
    }

    #[test]
    fn only_plain_keywords_are_written_into_the_sql() {
        use crate::schema::events;
        assert!(IsKeyword::new(events::event_type, "delete_events").is_some());
        assert!(IsKeyword::new(events::event_type, "login2").is_some());
        for unsafe_text in ["", "x'; DROP TABLE events; --", "Login", "a b", "é", "a\\"] {
            assert!(IsKeyword::new(events::event_type, unsafe_text).is_none(), "{unsafe_text:?}");
        }
    }
}
