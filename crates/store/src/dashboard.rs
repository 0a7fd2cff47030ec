//! The dashboard's figures per day, in a handful of queries whatever the number of days:
//! - calls started and recording storage: the sessions and recordings started in the range, read
//!   once through their `started_at` indexes and put in their days here; the running total of
//!   storage adds everything started before the range;
//! - peak concurrent sessions: the sessions overlapping the range (started in it, through
//!   `call_sessions_started`; or started before and ended after its start or still running,
//!   through `call_sessions_ended`), swept in time order here;
//! - events per type and active users: from the rollups kept on write ([`crate::rollups`]:
//!   quarter-hour counts per type, and per UTC day each user's active quarter hours), every day
//!   in one query, so their cost does not grow with the events log. Days whose bounds are not
//!   whole quarter hours (only historic local mean times) are counted from the events
//!   themselves, as [`figures_from_events`] does for every day.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use confreports_types::{DashboardFigures, EventType};
use diesel::prelude::*;

use crate::DbConnection;
use crate::report::to_db_time;
pub use crate::rollups::ACTIVE_USER_EVENTS;
use crate::rollups::{self, BUCKET_SECS};
use crate::schema::{call_sessions, events, recordings};

/// One day of the dashboard: its date in the caller's time zone and its bounds in UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Day {
    pub date: NaiveDate,
    pub from: DateTime<Utc>,
    /// Exclusive.
    pub to: DateTime<Utc>,
}

/// The figures of each of `days` (consecutive, in order) and the totals over them.
pub fn figures(
    conn: &mut DbConnection,
    days: &[Day],
    now: DateTime<Utc>,
) -> QueryResult<(Vec<DashboardFigures>, DashboardFigures)> {
    let on_quarters = |t: DateTime<Utc>| t.timestamp().rem_euclid(BUCKET_SECS) == 0 && t.timestamp_subsec_nanos() == 0;
    let counting = if days.iter().all(|d| on_quarters(d.from) && on_quarters(d.to)) {
        Counting::Rollups
    } else {
        Counting::Events
    };
    figures_counted(conn, days, now, counting)
}

/// The same figures with events per type and active users counted from the events themselves:
/// slower, and what the rollups must agree with.
pub fn figures_from_events(
    conn: &mut DbConnection,
    days: &[Day],
    now: DateTime<Utc>,
) -> QueryResult<(Vec<DashboardFigures>, DashboardFigures)> {
    figures_counted(conn, days, now, Counting::Events)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Counting {
    Rollups,
    Events,
}

fn figures_counted(
    conn: &mut DbConnection,
    days: &[Day],
    now: DateTime<Utc>,
    counting: Counting,
) -> QueryResult<(Vec<DashboardFigures>, DashboardFigures)> {
    let mut out: Vec<DashboardFigures> = days.iter().map(|_| DashboardFigures::default()).collect();
    let mut totals = DashboardFigures::default();
    let (Some(first), Some(last)) = (days.first(), days.last()) else {
        return Ok((out, totals));
    };
    let (range_from, range_to) = (first.from, last.to);
    let (rf, rt) = (to_db_time(range_from), to_db_time(range_to));

    let (per_type, active, range_active) = match counting {
        Counting::Rollups => {
            let spans: Vec<(i64, i64)> = days.iter().map(|d| (d.from.timestamp(), d.to.timestamp())).collect();
            (
                rollups::counts_per_span(conn, &spans)?,
                rollups::active_users_per_span(conn, &spans)?,
                rollups::active_users_between(conn, range_from.timestamp(), range_to.timestamp())?,
            )
        }
        Counting::Events => {
            let (mut per_type, mut active, mut range_users) = (Vec::new(), Vec::new(), HashSet::new());
            for day in days {
                let (from, to) = (to_db_time(day.from), to_db_time(day.to));
                per_type.push(events_per_type(conn, from, to)?);
                let users = active_users(conn, from, to)?;
                active.push(users.len() as u64);
                range_users.extend(users);
            }
            (per_type, active, range_users.len() as u64)
        }
    };

    // The sessions and recordings started in the range, read once and put in their days here.
    // (start, end) of the sessions started in the range: their days' calls, and the peaks.
    let sessions: Vec<(NaiveDateTime, Option<NaiveDateTime>)> = call_sessions::table
        .filter(call_sessions::started_at.ge(rf).and(call_sessions::started_at.lt(rt)))
        .select((call_sessions::started_at, call_sessions::ended_at))
        .load(conn)?;
    let mut started: Vec<NaiveDateTime> = sessions.iter().map(|s| s.0).collect();
    started.sort_unstable();
    let mut recorded: Vec<(NaiveDateTime, i64)> = recordings::table
        .filter(recordings::started_at.ge(rf).and(recordings::started_at.lt(rt)))
        .select((recordings::started_at, recordings::size_bytes))
        .load(conn)?;
    recorded.sort_unstable();
    // Both sorted: a day is the slice between two binary searches.
    let day_of = |times: &[NaiveDateTime], from: NaiveDateTime, to: NaiveDateTime| {
        times.partition_point(|t| *t < from)..times.partition_point(|t| *t < to)
    };
    let recorded_at: Vec<NaiveDateTime> = recorded.iter().map(|r| r.0).collect();

    for (i, (day, fig)) in days.iter().zip(out.iter_mut()).enumerate() {
        let (from, to) = (to_db_time(day.from), to_db_time(day.to));
        fig.calls_started = day_of(&started, from, to).len() as u64;
        fig.active_users = active.get(i).copied().unwrap_or(0);
        for t in EventType::ALL {
            let n = per_type.get(i).and_then(|m| m.get(t.as_str())).copied().unwrap_or(0).max(0) as u64;
            fig.events.insert(t.as_str().to_owned(), n);
            *totals.events.entry(t.as_str().to_owned()).or_default() += n;
        }
        fig.recording_bytes =
            recorded[day_of(&recorded_at, from, to)].iter().map(|(_, size)| (*size).max(0) as u64).sum();
        totals.calls_started += fig.calls_started;
        totals.recording_bytes += fig.recording_bytes;
    }

    // Running total of recording storage.
    let mut stored = recording_bytes_before(conn, rf)?;
    for fig in &mut out {
        stored += fig.recording_bytes;
        fig.recording_bytes_total = stored;
    }
    totals.recording_bytes_total = stored;

    for (fig, peak) in out.iter_mut().zip(peaks(conn, days, sessions, rf, now)?) {
        fig.peak_concurrent_sessions = peak;
        totals.peak_concurrent_sessions = totals.peak_concurrent_sessions.max(peak);
    }
    totals.active_users = range_active;
    if totals.events.is_empty() {
        totals.events = EventType::ALL.iter().map(|t| (t.as_str().to_owned(), 0)).collect::<BTreeMap<_, _>>();
    }
    Ok((out, totals))
}

/// Events per type in `[from, to)`, counted over `events (type, time, id)`.
fn events_per_type(
    conn: &mut DbConnection,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> QueryResult<BTreeMap<String, i64>> {
    let mut out = BTreeMap::new();
    for t in EventType::ALL {
        let n = events::table
            .filter(events::event_type.eq(t.as_str()))
            .filter(events::time.ge(from).and(events::time.lt(to)))
            .count()
            .get_result::<i64>(conn)?;
        out.insert(t.as_str().to_owned(), n);
    }
    Ok(out)
}

/// The users active in `[from, to)`: distinct, so at most one row per user comes back.
fn active_users(conn: &mut DbConnection, from: NaiveDateTime, to: NaiveDateTime) -> QueryResult<Vec<String>> {
    let types: Vec<&'static str> = ACTIVE_USER_EVENTS.iter().map(|t| t.as_str()).collect();
    events::table
        .filter(events::event_type.eq_any(types))
        .filter(events::time.ge(from).and(events::time.lt(to)))
        .filter(events::success.eq(true))
        .filter(events::user_id.ne(""))
        .filter(events::admin_type.is_null())
        .select(events::user_id)
        .distinct()
        .load(conn)
}

/// Bytes of the recordings started before `to`.
fn recording_bytes_before(conn: &mut DbConnection, to: NaiveDateTime) -> QueryResult<u64> {
    // SUM of a BIGINT is NUMERIC on PostgreSQL: cast back so that one Rust type reads both.
    let sum = diesel::dsl::sql::<diesel::sql_types::BigInt>("CAST(COALESCE(SUM(size_bytes), 0) AS BIGINT)");
    let n: i64 = recordings::table.filter(recordings::started_at.lt(to)).select(sum).get_result(conn)?;
    Ok(n.max(0) as u64)
}

/// The most sessions running at once on each day. A session runs over `[started_at,
/// ended_at)`; one still running counts until `now`. `spans` are the sessions started in the
/// range (from `rf`); those started before it and still running at its start are added here.
fn peaks(
    conn: &mut DbConnection,
    days: &[Day],
    mut spans: Vec<(NaiveDateTime, Option<NaiveDateTime>)>,
    rf: NaiveDateTime,
    now: DateTime<Utc>,
) -> QueryResult<Vec<u64>> {
    spans.extend(
        call_sessions::table
            .filter(call_sessions::ended_at.gt(rf).or(call_sessions::ended_at.is_null()))
            .filter(call_sessions::started_at.lt(rf))
            .select((call_sessions::started_at, call_sessions::ended_at))
            .load::<(NaiveDateTime, Option<NaiveDateTime>)>(conn)?,
    );
    let now = to_db_time(now);
    // (time, change): ends sort before starts at the same instant, so that back-to-back
    // sessions do not overlap.
    let mut points: Vec<(NaiveDateTime, i64)> = Vec::with_capacity(spans.len() * 2);
    for (start, end) in spans {
        let end = end.unwrap_or(now.max(start));
        if end > start {
            points.push((start, 1));
            points.push((end, -1));
        }
    }
    points.sort_unstable();
    let mut peaks = Vec::with_capacity(days.len());
    let (mut i, mut running) = (0usize, 0i64);
    for day in days {
        let (from, to) = (to_db_time(day.from), to_db_time(day.to));
        while i < points.len() && points[i].0 <= from {
            running += points[i].1;
            i += 1;
        }
        let mut peak = running;
        while i < points.len() && points[i].0 < to {
            running += points[i].1;
            peak = peak.max(running);
            i += 1;
        }
        peaks.push(peak.max(0) as u64);
    }
    Ok(peaks)
}
