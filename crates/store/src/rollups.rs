//! Dashboard rollups: what the dashboard counts, pre-aggregated on write so that it reads a few
//! thousand rows whatever the size of the events log.
//!
//! - `event_counts`: events per type per quarter hour (`bucket` = unix seconds / 900), and
//!   `event_counts_hourly` the same per hour (a day reads whole hours there, quarter hours only
//!   at its edges).
//! - `user_activity`: per UTC day (`day` = unix seconds / 86400) and user, one bit per quarter
//!   hour of that day in which the user was active (a successful `login` or `authorize` of a user,
//!   not an administrator): quarters 0-47 in `early`, 48-95 in `late`.
//!
//! Every time zone in use is a whole number of quarter hours from UTC, so a day cut in any of
//! them is a run of whole buckets; the dashboard falls back to counting the events themselves
//! for a day that is not (historic local mean times).
//!
//! Kept in step by [`add`] (every insert of events goes through `events::insert`, which calls
//! it in the same transaction) and by [`Removal`] (measured before a delete of events and
//! applied after it, in the delete's transaction). A database migrated from before the rollups
//! existed is counted once on start ([`rebuild_if_stale`]); `confreports rollups rebuild` and
//! the benchmark's bulk loader call [`rebuild`].

use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use confreports_types::EventType;
use diesel::connection::SimpleConnection;
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Text};
use diesel::upsert::excluded;

use crate::DbConnection;
use crate::report::Predicate;
use crate::schema::{event_counts, event_counts_hourly, events, settings, user_activity};

pub const BUCKET_SECS: i64 = 900;
pub const HOUR_SECS: i64 = 3600;
const QUARTERS_PER_HOUR: i64 = HOUR_SECS / BUCKET_SECS;
pub const DAY_SECS: i64 = 86_400;
/// Quarter hours kept in each of `early` and `late`.
const HALF: i64 = 48;

/// The event types whose successful events make a user active.
pub const ACTIVE_USER_EVENTS: [EventType; 2] = [EventType::Login, EventType::Authorize];

/// The settings key that asks for a rebuild on the next start.
const STALE_KEY: &str = "rollups_stale";

/// Rows per upsert statement (4 columns each: far under both databases' bind limits).
const CHUNK: usize = 1000;

/// One event as the rollups see it.
#[derive(Debug, Clone, Copy)]
pub struct Entry<'a> {
    pub time: NaiveDateTime,
    pub event_type: &'a str,
    /// The user this event makes active, if it does.
    pub active_user: Option<&'a str>,
}

impl<'a> Entry<'a> {
    pub fn new(
        time: NaiveDateTime,
        event_type: &'a str,
        success: bool,
        user_id: &'a str,
        admin_type: Option<&str>,
    ) -> Self {
        let active = success
            && admin_type.is_none()
            && !user_id.is_empty()
            && ACTIVE_USER_EVENTS.iter().any(|t| t.as_str() == event_type);
        Entry { time, event_type, active_user: active.then_some(user_id) }
    }
}

/// The quarter-hour bucket of an instant.
pub fn bucket_of(t: NaiveDateTime) -> i64 {
    t.and_utc().timestamp().div_euclid(BUCKET_SECS)
}

/// The UTC day of an instant and the bit of its quarter hour in `early` and `late`.
fn day_bits(t: NaiveDateTime) -> (i64, i64, i64) {
    let secs = t.and_utc().timestamp();
    let quarter = secs.rem_euclid(DAY_SECS) / BUCKET_SECS;
    let (early, late) = if quarter < HALF { (1 << quarter, 0) } else { (0, 1 << (quarter - HALF)) };
    (secs.div_euclid(DAY_SECS), early, late)
}

#[derive(Insertable)]
#[diesel(table_name = event_counts)]
struct CountRow<'a> {
    bucket: i64,
    event_type: &'a str,
    n: i64,
}

#[derive(Insertable)]
#[diesel(table_name = event_counts_hourly)]
struct HourRow<'a> {
    hour: i64,
    event_type: &'a str,
    n: i64,
}

#[derive(Insertable)]
#[diesel(table_name = user_activity)]
struct ActivityRow<'a> {
    day: i64,
    user_id: &'a str,
    early: i64,
    late: i64,
}

/// Counts newly stored events. Call in the transaction that stores them.
pub fn add<'a>(conn: &mut DbConnection, entries: impl IntoIterator<Item = Entry<'a>>) -> QueryResult<()> {
    let mut counts: BTreeMap<(i64, &str), i64> = BTreeMap::new();
    let mut activity: BTreeMap<(i64, &str), (i64, i64)> = BTreeMap::new();
    for e in entries {
        *counts.entry((bucket_of(e.time), e.event_type)).or_default() += 1;
        if let Some(user) = e.active_user {
            let (day, early, late) = day_bits(e.time);
            let bits = activity.entry((day, user)).or_default();
            bits.0 |= early;
            bits.1 |= late;
        }
    }
    add_counts(conn, &counts)?;
    merge_activity(
        conn,
        activity.iter().map(|(&(day, user_id), &(early, late))| ActivityRow { day, user_id, early, late }),
    )
}

/// Runs the upsert `$stmt` (a function of its values) over `$rows`: in multi-row statements on
/// PostgreSQL; row by row on SQLite (diesel has no multi-row upsert there; SQLite runs the
/// cached statement in microseconds, inside the caller's transaction).
macro_rules! upsert_all {
    ($conn:expr, $rows:expr, |$values:ident| $stmt:expr) => {{
        let rows = $rows;
        match $conn {
            DbConnection::Postgres(c) => {
                for $values in rows.chunks(CHUNK) {
                    $stmt.execute(c)?;
                }
            }
            DbConnection::Sqlite(c) => {
                for $values in &rows {
                    $stmt.execute(c)?;
                }
            }
        }
        QueryResult::Ok(())
    }};
}

/// Adds `n` (negative to subtract) to the count of each (quarter hour, type), and to its hour's.
fn add_counts(conn: &mut DbConnection, quarters: &BTreeMap<(i64, &str), i64>) -> QueryResult<()> {
    let mut hours: BTreeMap<(i64, &str), i64> = BTreeMap::new();
    for (&(bucket, event_type), &n) in quarters {
        *hours.entry((bucket.div_euclid(QUARTERS_PER_HOUR), event_type)).or_default() += n;
    }
    let rows: Vec<CountRow<'_>> =
        quarters.iter().map(|(&(bucket, event_type), &n)| CountRow { bucket, event_type, n }).collect();
    upsert_all!(conn, rows, |values| diesel::insert_into(event_counts::table)
        .values(values)
        .on_conflict((event_counts::bucket, event_counts::event_type))
        .do_update()
        .set(event_counts::n.eq(event_counts::n + excluded(event_counts::n))))?;
    let rows: Vec<HourRow<'_>> =
        hours.iter().map(|(&(hour, event_type), &n)| HourRow { hour, event_type, n }).collect();
    upsert_all!(conn, rows, |values| diesel::insert_into(event_counts_hourly::table)
        .values(values)
        .on_conflict((event_counts_hourly::hour, event_counts_hourly::event_type))
        .do_update()
        .set(event_counts_hourly::n.eq(event_counts_hourly::n + excluded(event_counts_hourly::n))))
}

/// ORs each row's bits into what is stored.
fn merge_activity<'a>(conn: &mut DbConnection, rows: impl Iterator<Item = ActivityRow<'a>>) -> QueryResult<()> {
    upsert_all!(conn, rows.collect::<Vec<_>>(), |values| diesel::insert_into(user_activity::table)
        .values(values)
        .on_conflict((user_activity::day, user_activity::user_id))
        .do_update()
        .set((
            user_activity::early.eq(sql::<BigInt>("user_activity.early | excluded.early")),
            user_activity::late.eq(sql::<BigInt>("user_activity.late | excluded.late")),
        )))
}

/// What a delete of events takes out of the rollups, measured from the rows that go and
/// applied after the delete, in its transaction.
#[derive(Debug, Default)]
pub struct Removal {
    counts: Vec<(i64, String, i64)>,
    /// Per UTC day, the users some of whose activity that day goes.
    activity: BTreeMap<i64, Vec<String>>,
}

impl Removal {
    /// Deletes the events `selection` selects (it is called once per query) and returns how
    /// many went, with what the rollups lose.
    ///
    /// PostgreSQL reads the selection once: the `DELETE` returns its rows into a CTE, which
    /// the same statement counts per quarter hour and type and reduces to the active users
    /// per day (the rollups' rule, [`active_rows`], over the CTE). SQLite has no `DELETE` in
    /// a CTE, and would hold every returned row in memory before the first came out: it reads
    /// the selection for the counts first, then deletes.
    pub fn delete(
        conn: &mut DbConnection,
        selection: impl Fn() -> Predicate<events::table>,
    ) -> QueryResult<(usize, Self)> {
        let sql_of = Dialect::of(conn);
        let (bucket, day) = (sql_of.floor_div(BUCKET_SECS), sql_of.floor_div(DAY_SECS));
        if sql_of == Dialect::Sqlite {
            let removal = Self::measure(conn, &selection, &bucket, &day)?;
            let deleted = diesel::delete(events::table.filter(selection())).execute(conn)?;
            return Ok((deleted, removal));
        }
        let rows = DeleteCounted {
            delete: diesel::delete(events::table.filter(selection())),
            bucket,
            day,
            active: active_rows(),
        }
        .load::<(i64, Option<String>, Option<i64>, Option<String>)>(conn)?;
        let mut removal = Removal::default();
        let mut deleted = 0;
        for row in rows {
            match row {
                (bucket, Some(event_type), Some(n), _) => {
                    deleted += usize::try_from(n).unwrap_or(0);
                    removal.counts.push((bucket, event_type, n));
                }
                (day, _, _, Some(user)) => removal.activity.entry(day).or_default().push(user),
                _ => {}
            }
        }
        Ok((deleted, removal))
    }

    /// What the rollups lose when the events `selection` selects go, read before the delete.
    fn measure(
        conn: &mut DbConnection,
        selection: impl Fn() -> Predicate<events::table>,
        bucket: &str,
        day: &str,
    ) -> QueryResult<Self> {
        let counts = events::table
            .filter(selection())
            .select(sql::<(BigInt, Text, BigInt)>(&format!("{bucket}, type, COUNT(*)")))
            .group_by(sql::<BigInt>("1, 2"))
            .load::<(i64, String, i64)>(conn)?;
        let pairs = events::table
            .filter(selection())
            .filter(active_rows())
            .select(sql::<(BigInt, Text)>(&format!("{day}, user_id")))
            .distinct()
            .load::<(i64, String)>(conn)?;
        let mut activity: BTreeMap<i64, Vec<String>> = BTreeMap::new();
        for (day, user) in pairs {
            activity.entry(day).or_default().push(user);
        }
        Ok(Removal { counts, activity })
    }

    /// Takes the deleted events out of the rollups. Call after the delete, in its transaction.
    pub fn apply(self, conn: &mut DbConnection) -> QueryResult<()> {
        let (Some(first), Some(last)) = (self.counts.iter().map(|c| c.0).min(), self.counts.iter().map(|c| c.0).max())
        else {
            return Ok(());
        };
        let gone: BTreeMap<(i64, &str), i64> =
            self.counts.iter().map(|(bucket, event_type, n)| ((*bucket, event_type.as_str()), -n)).collect();
        add_counts(conn, &gone)?;
        diesel::delete(
            event_counts::table.filter(event_counts::bucket.between(first, last)).filter(event_counts::n.le(0)),
        )
        .execute(conn)?;
        let (first, last) = (first.div_euclid(QUARTERS_PER_HOUR), last.div_euclid(QUARTERS_PER_HOUR));
        diesel::delete(
            event_counts_hourly::table
                .filter(event_counts_hourly::hour.between(first, last))
                .filter(event_counts_hourly::n.le(0)),
        )
        .execute(conn)?;

        // A user's bits for a day are recomputed from the events left that day.
        let quarter = Dialect::of(conn).quarter_of_day();
        for (day, users) in &self.activity {
            let (from, to) = (utc(day * DAY_SECS), utc((day + 1) * DAY_SECS));
            for chunk in users.chunks(CHUNK) {
                let left = events::table
                    .filter(active_rows())
                    .filter(events::time.ge(from).and(events::time.lt(to)))
                    .filter(events::user_id.eq_any(chunk))
                    .select((events::user_id, sql::<BigInt>(&quarter)))
                    .distinct()
                    .load::<(String, i64)>(conn)?;
                diesel::delete(
                    user_activity::table
                        .filter(user_activity::day.eq(day))
                        .filter(user_activity::user_id.eq_any(chunk)),
                )
                .execute(conn)?;
                let mut bits: BTreeMap<&str, (i64, i64)> = BTreeMap::new();
                for (user, q) in &left {
                    let b = bits.entry(user).or_default();
                    if *q < HALF {
                        b.0 |= 1 << q;
                    } else {
                        b.1 |= 1 << (q - HALF);
                    }
                }
                merge_activity(
                    conn,
                    bits.iter().map(|(user_id, &(early, late))| ActivityRow { day: *day, user_id, early, late }),
                )?;
            }
        }
        Ok(())
    }
}

/// PostgreSQL's one-pass delete of [`Removal::delete`]:
///
/// ```sql
/// WITH gone AS (DELETE FROM events WHERE … RETURNING time, type, success, user_id, admin_type)
/// SELECT <bucket>, type, COUNT(*), NULL FROM gone GROUP BY 1, 2
/// UNION ALL
/// SELECT DISTINCT <day>, NULL, NULL, user_id FROM gone AS events WHERE <active_rows()>
/// ```
///
/// (each `NULL` cast to its column's type; a `DISTINCT` would make an untyped one text). A row
/// with a type is a (quarter hour, type, count); a row with a user is a (day, user) whose
/// activity that day loses something. `gone` is named `events` in the second part so that
/// [`active_rows`], written over the events table's columns, reads it.
struct DeleteCounted<D> {
    delete: D,
    bucket: String,
    day: String,
    active: Predicate<events::table>,
}

impl<D> diesel::query_builder::Query for DeleteCounted<D> {
    type SqlType = (
        BigInt,
        diesel::sql_types::Nullable<Text>,
        diesel::sql_types::Nullable<BigInt>,
        diesel::sql_types::Nullable<Text>,
    );
}

impl<D> diesel::query_builder::QueryId for DeleteCounted<D> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<D> RunQueryDsl<DbConnection> for DeleteCounted<D> {}

impl<D> diesel::query_builder::QueryFragment<crate::MultiBackend> for DeleteCounted<D>
where
    D: diesel::query_builder::QueryFragment<crate::MultiBackend>,
{
    fn walk_ast<'b>(&'b self, mut out: diesel::query_builder::AstPass<'_, 'b, crate::MultiBackend>) -> QueryResult<()> {
        out.unsafe_to_cache_prepared();
        out.push_sql("WITH gone AS (");
        self.delete.walk_ast(out.reborrow())?;
        out.push_sql(" RETURNING time, type, success, user_id, admin_type) SELECT ");
        out.push_sql(&self.bucket);
        out.push_sql(", type, COUNT(*), CAST(NULL AS text) FROM gone GROUP BY 1, 2 UNION ALL SELECT DISTINCT ");
        out.push_sql(&self.day);
        out.push_sql(", CAST(NULL AS text), CAST(NULL AS bigint), user_id FROM gone AS events WHERE ");
        self.active.walk_ast(out.reborrow())?;
        Ok(())
    }
}

/// The events that make their user active.
fn active_rows() -> Predicate<events::table> {
    let types: Vec<&'static str> = ACTIVE_USER_EVENTS.iter().map(|t| t.as_str()).collect();
    Box::new(
        events::event_type
            .eq_any(types)
            .and(events::success.eq(true))
            .and(events::admin_type.is_null())
            .and(events::user_id.ne("")),
    )
}

fn utc(secs: i64) -> NaiveDateTime {
    chrono::DateTime::from_timestamp(secs, 0).unwrap_or_default().naive_utc()
}

/// Counts every stored event anew, in one transaction. On PostgreSQL, writes to events wait
/// until it is done.
pub fn rebuild(conn: &mut DbConnection) -> QueryResult<()> {
    crate::conn::write_transaction(conn, rebuild_tables)
}

/// Rebuilds when a migration asked for it (once, even with several nodes starting together:
/// the first takes the request away under a row lock). Returns whether it rebuilt.
pub fn rebuild_if_stale(conn: &mut DbConnection) -> QueryResult<bool> {
    crate::conn::write_transaction(conn, |conn| {
        if diesel::delete(settings::table.filter(settings::key.eq(STALE_KEY))).execute(conn)? == 0 {
            return Ok(false);
        }
        rebuild_tables(conn)?;
        Ok(true)
    })
}

fn rebuild_tables(conn: &mut DbConnection) -> QueryResult<()> {
    let sql_of = Dialect::of(conn);
    if sql_of == Dialect::Postgres {
        conn.batch_execute("LOCK TABLE events IN SHARE MODE")?;
    }
    diesel::delete(event_counts::table).execute(conn)?;
    diesel::delete(event_counts_hourly::table).execute(conn)?;
    diesel::delete(user_activity::table).execute(conn)?;
    let active: Vec<String> = ACTIVE_USER_EVENTS.iter().map(|t| format!("'{}'", t.as_str())).collect();
    let (bucket, day, quarter) = (sql_of.floor_div(BUCKET_SECS), sql_of.floor_div(DAY_SECS), sql_of.quarter_of_day());
    let bit = |q: &str| sql_of.bit(q);
    conn.batch_execute(&format!(
        "INSERT INTO event_counts (bucket, type, n) SELECT {bucket}, type, COUNT(*) FROM events GROUP BY 1, 2;
         INSERT INTO event_counts_hourly (hour, type, n)
         SELECT (bucket - ((bucket % {QUARTERS_PER_HOUR}) + {QUARTERS_PER_HOUR}) % {QUARTERS_PER_HOUR}) / {QUARTERS_PER_HOUR},
                type, SUM(n)
         FROM event_counts GROUP BY 1, 2;
         INSERT INTO user_activity (day, user_id, early, late)
         SELECT d, user_id,
                SUM(CASE WHEN q < {HALF} THEN {early} ELSE 0 END),
                SUM(CASE WHEN q >= {HALF} THEN {late} ELSE 0 END)
         FROM (SELECT DISTINCT {day} AS d, user_id, {quarter} AS q FROM events
               WHERE type IN ({active}) AND success AND admin_type IS NULL AND user_id <> '') AS a
         GROUP BY d, user_id;",
        early = bit("q"),
        late = bit(&format!("q - {HALF}")),
        active = active.join(", "),
    ))
}

#[derive(QueryableByName)]
struct SpanCount {
    #[diesel(sql_type = BigInt)]
    i: i64,
    #[diesel(sql_type = Text)]
    event_type: String,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct SpanUsers {
    #[diesel(sql_type = BigInt)]
    i: i64,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Events per type in each of `spans` (unix seconds `[from, to)`, whole quarter hours), in
/// one query: whole hours from `event_counts_hourly`, the quarter hours at the edges from
/// `event_counts`; the spans are `VALUES` lists joined to the bucket ranges.
pub fn counts_per_span(conn: &mut DbConnection, spans: &[(i64, i64)]) -> QueryResult<Vec<BTreeMap<String, i64>>> {
    let mut out = vec![BTreeMap::new(); spans.len()];
    if spans.is_empty() {
        return Ok(out);
    }
    // An empty VALUES list is not SQL: a row that selects nothing stands in.
    let (mut quarters, mut hours) = (vec!["(-1, 0, 0)".to_owned()], vec!["(-1, 0, 0)".to_owned()]);
    for (i, &(from, to)) in spans.iter().enumerate() {
        let (q_from, q_to) = (from.div_euclid(BUCKET_SECS), to.div_euclid(BUCKET_SECS));
        let (h_from, h_to) = ((from + HOUR_SECS - 1).div_euclid(HOUR_SECS), to.div_euclid(HOUR_SECS));
        if h_from < h_to {
            hours.push(format!("({i}, {h_from}, {h_to})"));
            quarters.push(format!("({i}, {q_from}, {})", h_from * QUARTERS_PER_HOUR));
            quarters.push(format!("({i}, {}, {q_to})", h_to * QUARTERS_PER_HOUR));
        } else {
            quarters.push(format!("({i}, {q_from}, {q_to})"));
        }
    }
    let rows: Vec<SpanCount> = diesel::sql_query(format!(
        "WITH q (i, lo, hi) AS (VALUES {}), h (i, lo, hi) AS (VALUES {})
         SELECT CAST(i AS BIGINT) AS i, event_type, CAST(SUM(n) AS BIGINT) AS n FROM (
             SELECT q.i AS i, c.type AS event_type, c.n AS n
             FROM q JOIN event_counts c ON c.bucket >= q.lo AND c.bucket < q.hi
             UNION ALL
             SELECT h.i AS i, c.type AS event_type, c.n AS n
             FROM h JOIN event_counts_hourly c ON c.hour >= h.lo AND c.hour < h.hi
         ) AS parts
         GROUP BY i, event_type",
        quarters.join(", "),
        hours.join(", ")
    ))
    .load(conn)?;
    for row in rows {
        if let Some(counts) = usize::try_from(row.i).ok().and_then(|i| out.get_mut(i)) {
            counts.insert(row.event_type, row.n);
        }
    }
    Ok(out)
}

/// Distinct active users in each of `spans` (unix seconds, whole quarter hours), in at most
/// two queries: a span that is one whole UTC day counts its rows (a user has one row a day);
/// the others count distinct users over the masked rows of the UTC days they touch.
pub fn active_users_per_span(conn: &mut DbConnection, spans: &[(i64, i64)]) -> QueryResult<Vec<u64>> {
    let mut out = vec![0; spans.len()];
    let full = mask(0, HALF);
    let (mut whole, mut parts) = (Vec::new(), Vec::new());
    for (i, &(from, to)) in spans.iter().enumerate() {
        match day_masks(from, to).as_slice() {
            [(day, early, late)] if *early == full && *late == full => whole.push(format!("({i}, {day})")),
            masks => parts.extend(masks.iter().map(|(day, early, late)| format!("({i}, {day}, {early}, {late})"))),
        }
    }
    let mut rows: Vec<SpanUsers> = Vec::new();
    if !whole.is_empty() {
        rows.extend(
            diesel::sql_query(format!(
                "WITH d (i, day) AS (VALUES {})
                 SELECT CAST(d.i AS BIGINT) AS i, COUNT(*) AS n
                 FROM d JOIN user_activity u ON u.day = d.day
                 GROUP BY d.i",
                whole.join(", ")
            ))
            .load::<SpanUsers>(conn)?,
        );
    }
    if !parts.is_empty() {
        rows.extend(
            diesel::sql_query(format!(
                "WITH d (i, day, early, late) AS (VALUES {})
                 SELECT CAST(d.i AS BIGINT) AS i, COUNT(DISTINCT u.user_id) AS n
                 FROM d JOIN user_activity u ON u.day = d.day AND ((u.early & d.early) <> 0 OR (u.late & d.late) <> 0)
                 GROUP BY d.i",
                parts.join(", ")
            ))
            .load::<SpanUsers>(conn)?,
        );
    }
    for row in rows {
        if let Some(n) = usize::try_from(row.i).ok().and_then(|i| out.get_mut(i)) {
            *n = row.n.max(0) as u64;
        }
    }
    Ok(out)
}

/// Distinct users active in `[from, to)` (unix seconds, whole quarter hours).
pub fn active_users_between(conn: &mut DbConnection, from: i64, to: i64) -> QueryResult<u64> {
    let n: i64 = user_activity::table
        .filter(sql::<Bool>(&activity_condition(from, to)))
        .select(sql::<BigInt>("COUNT(DISTINCT user_id)"))
        .get_result(conn)?;
    Ok(n.max(0) as u64)
}

/// The UTC days `[from, to)` touches, each with the masks of its quarters inside it.
fn day_masks(from: i64, to: i64) -> Vec<(i64, i64, i64)> {
    if to <= from {
        return Vec::new();
    }
    (from.div_euclid(DAY_SECS)..=(to - 1).div_euclid(DAY_SECS))
        .map(|day| {
            let start = day * DAY_SECS;
            let qa = (from.max(start) - start) / BUCKET_SECS;
            let qb = (to.min(start + DAY_SECS) - start) / BUCKET_SECS;
            (day, mask(qa.min(HALF), qb.min(HALF)), mask(qa.max(HALF) - HALF, qb.max(HALF) - HALF))
        })
        .filter(|&(_, early, late)| early != 0 || late != 0)
        .collect()
}

/// The `user_activity` rows with a bit in `[from, to)`: whole days by their number, the
/// partial first and last days by a mask of their quarters.
fn activity_condition(from: i64, to: i64) -> String {
    let full = mask(0, HALF);
    let mut parts = Vec::new();
    let mut whole: Option<(i64, i64)> = None;
    for (day, early, late) in day_masks(from, to) {
        if early == full && late == full {
            whole = Some((whole.map_or(day, |w| w.0), day));
            continue;
        }
        let mut bits = Vec::new();
        if early != 0 {
            bits.push(format!("(early & {early}) <> 0"));
        }
        if late != 0 {
            bits.push(format!("(late & {late}) <> 0"));
        }
        parts.push(format!("(day = {day} AND ({}))", bits.join(" OR ")));
    }
    if let Some((a, b)) = whole {
        parts.push(format!("(day >= {a} AND day <= {b})"));
    }
    if parts.is_empty() { "1 = 0".to_owned() } else { parts.join(" OR ") }
}

/// Bits `a..b` set.
fn mask(a: i64, b: i64) -> i64 {
    if b <= a { 0 } else { ((1i64 << (b - a)) - 1) << a }
}

/// The few SQL expressions that differ between the two databases.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dialect {
    Postgres,
    Sqlite,
}

impl Dialect {
    fn of(conn: &DbConnection) -> Self {
        match conn {
            DbConnection::Postgres(_) => Dialect::Postgres,
            DbConnection::Sqlite(_) => Dialect::Sqlite,
        }
    }

    /// Unix seconds of `time`, floored.
    fn epoch(self) -> &'static str {
        match self {
            Dialect::Postgres => "CAST(FLOOR(EXTRACT(EPOCH FROM time)) AS BIGINT)",
            Dialect::Sqlite => "CAST(strftime('%s', time) AS INTEGER)",
        }
    }

    /// Unix seconds of `time` divided by `k`, floored (SQL's `/` truncates towards zero).
    fn floor_div(self, k: i64) -> String {
        let s = self.epoch();
        format!("({s} / {k} - CASE WHEN {s} % {k} < 0 THEN 1 ELSE 0 END)")
    }

    /// The quarter hour of the UTC day of `time`, 0-95.
    fn quarter_of_day(self) -> String {
        let s = self.epoch();
        format!("((({s} % {DAY_SECS}) + {DAY_SECS}) % {DAY_SECS} / {BUCKET_SECS})")
    }

    /// `1 << q` as a 64-bit integer.
    fn bit(self, q: &str) -> String {
        match self {
            Dialect::Postgres => format!("(CAST(1 AS BIGINT) << CAST({q} AS INTEGER))"),
            Dialect::Sqlite => format!("(1 << ({q}))"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_cover_the_quarters_asked() {
        assert_eq!(mask(0, 48), (1i64 << 48) - 1);
        assert_eq!(mask(2, 4), 0b1100);
        assert_eq!(mask(5, 5), 0);
    }

    #[test]
    fn whole_days_are_a_range_and_partial_days_a_mask() {
        // Kathmandu (+05:45): a local day runs 18:15 UTC to 18:15 UTC.
        let from = 20_000 * DAY_SECS - (5 * 3600 + 45 * 60);
        let to = from + DAY_SECS;
        let cond = activity_condition(from, to);
        assert!(cond.contains("day = 19999") && cond.contains("day = 20000"), "{cond}");
        assert!(!cond.contains(">="), "no whole day: {cond}");
        let cond = activity_condition(20_000 * DAY_SECS, 20_003 * DAY_SECS);
        assert_eq!(cond, "(day >= 20000 AND day <= 20002)");
    }

    #[test]
    fn quarters_split_at_noon() {
        let t = |s: i64| utc(20_000 * DAY_SECS + s);
        assert_eq!(day_bits(t(0)), (20_000, 1, 0));
        assert_eq!(day_bits(t(12 * 3600 - 1)), (20_000, 1 << 47, 0));
        assert_eq!(day_bits(t(12 * 3600)), (20_000, 0, 1));
        assert_eq!(day_bits(t(DAY_SECS - 1)), (20_000, 0, 1 << 47));
        assert_eq!(bucket_of(utc(-1)), -1);
    }
}
