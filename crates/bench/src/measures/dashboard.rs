//! Dashboard: `GET /api/v1/dashboard` over the whole generated month (days cut in UTC), p50 and
//! p99 after a warm-up; goal p50 < 50 ms (stated for 10M events; at fewer it is informative).
//!
//! The answer is checked before timing, so that a fast wrong answer cannot pass: 30 days; per
//! type, the sum of the days equals the total, and equals a SQL count over the same range; all
//! types together count every generated event; the range's active users equal a SQL count of
//! distinct users. What bounds it: the same event queries the store sends (per type and day
//! counts, per day distinct active users) are timed once directly. The bench dataset has no call sessions or recordings: those figures are zero.

use std::collections::BTreeMap;
use std::time::Instant;

use anyhow::{Context as _, ensure};
use confreports_store::DbConnection;
use confreports_store::dashboard::ACTIVE_USER_EVENTS;
use confreports_store::report::to_db_time;
use confreports_store::schema::events;
use confreports_types::{Dashboard as Answer, EventType};
use diesel::prelude::*;

use super::{Measure, Target};
use crate::generator;
use crate::results::{Goal, Results, ms};
use crate::stats::percentile;

pub struct Dashboard;

const WARM_UP: usize = 3;
const GOAL_P50_SECS: f64 = 0.050;

/// Events per type and distinct active users over `[from, to)`, by SQL.
fn expected(
    conn: &mut DbConnection,
    from: chrono::NaiveDateTime,
    to: chrono::NaiveDateTime,
) -> anyhow::Result<(BTreeMap<String, u64>, u64)> {
    let counts: Vec<(String, i64)> = events::table
        .filter(events::time.ge(from).and(events::time.lt(to)))
        .group_by(events::event_type)
        .select((events::event_type, diesel::dsl::count_star()))
        .load(conn)?;
    let mut by_type: BTreeMap<String, u64> = EventType::ALL.iter().map(|t| (t.as_str().to_owned(), 0)).collect();
    for (t, n) in counts {
        by_type.insert(t, n.max(0) as u64);
    }
    let types: Vec<&'static str> = ACTIVE_USER_EVENTS.iter().map(|t| t.as_str()).collect();
    let users: Vec<String> = events::table
        .filter(events::event_type.eq_any(types))
        .filter(events::time.ge(from).and(events::time.lt(to)))
        .filter(events::success.eq(true))
        .filter(events::user_id.ne(""))
        .filter(events::admin_type.is_null())
        .select(events::user_id)
        .distinct()
        .load(conn)?;
    Ok((by_type, users.len() as u64))
}

/// What the dashboard's event queries cost when sent directly (one pass, same connection
/// kind as the server): the per-type-and-day counts, and the per-day distinct active users.
fn breakdown(
    conn: &mut DbConnection,
    days: &[(chrono::NaiveDateTime, chrono::NaiveDateTime)],
) -> anyhow::Result<(usize, f64, f64)> {
    let started = Instant::now();
    let mut queries = 0;
    for &(from, to) in days {
        for t in EventType::ALL {
            let _: i64 = events::table
                .filter(events::event_type.eq(t.as_str()))
                .filter(events::time.ge(from).and(events::time.lt(to)))
                .count()
                .get_result(conn)?;
            queries += 1;
        }
    }
    let counts = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let types: Vec<&'static str> = ACTIVE_USER_EVENTS.iter().map(|t| t.as_str()).collect();
    for &(from, to) in days {
        let _: Vec<String> = events::table
            .filter(events::event_type.eq_any(&types))
            .filter(events::time.ge(from).and(events::time.lt(to)))
            .filter(events::success.eq(true))
            .filter(events::user_id.ne(""))
            .filter(events::admin_type.is_null())
            .select(events::user_id)
            .distinct()
            .load(conn)?;
    }
    Ok((queries, counts, started.elapsed().as_secs_f64()))
}

impl Measure for Dashboard {
    fn name(&self) -> &'static str {
        "dashboard"
    }

    fn run(&self, target: &Target<'_>, out: &mut Results) -> anyhow::Result<()> {
        let backend = target.backend();
        let m = self.name();
        let (start, end) = (generator::start(), generator::start() + chrono::Duration::days(generator::DAYS));
        let path = format!(
            "/api/v1/dashboard?from={}&to={}&tz=UTC",
            start.format("%Y-%m-%dT%H:%M:%SZ"),
            end.format("%Y-%m-%dT%H:%M:%SZ")
        );

        // The answer, checked against SQL.
        let mut conn = target.dataset.connect()?;
        let (by_type, active) = expected(&mut conn, to_db_time(start), to_db_time(end))?;
        let in_range: u64 = by_type.values().sum();
        let all: i64 = events::table.count().get_result(&mut conn)?;
        let (body, _) = target.get_text(&path)?;
        let answer: Answer = serde_json::from_str(&body).with_context(|| format!("reading the answer to {path}"))?;
        ensure!(
            answer.days.len() as i64 == generator::DAYS,
            "{path}: {} days, expected {}",
            answer.days.len(),
            generator::DAYS
        );
        ensure!(answer.from == start && answer.to == end, "{path}: range {}..{}", answer.from, answer.to);
        for (t, &n) in &by_type {
            let total = answer.totals.events.get(t).copied().with_context(|| format!("{path}: no total of `{t}`"))?;
            let days: u64 = answer.days.iter().map(|d| d.figures.events.get(t).copied().unwrap_or(0)).sum();
            ensure!(total == n, "{path}: total of `{t}` is {total}, SQL counts {n}");
            ensure!(days == n, "{path}: the days' `{t}` add up to {days}, SQL counts {n}");
        }
        let answered: u64 = answer.totals.events.values().sum();
        ensure!(answered == in_range, "{path}: {answered} events in all, SQL counts {in_range}");
        ensure!(
            answer.totals.active_users == active,
            "{path}: {} active users, SQL counts {active}",
            answer.totals.active_users
        );

        for _ in 0..WARM_UP {
            target.get_text(&path)?;
        }
        let mut samples = Vec::with_capacity(target.options.dashboard_requests);
        for _ in 0..target.options.dashboard_requests {
            samples.push(target.get_text(&path)?.1.as_secs_f64());
        }
        let (p50, p99) = (percentile(&samples, 50.0), percentile(&samples, 99.0));

        out.add(
            m,
            backend,
            "range (days cut in UTC)",
            format!(
                "{} .. {} ({} days)",
                start.date_naive(),
                (end - chrono::Duration::days(1)).date_naive(),
                answer.days.len()
            ),
        );
        out.add(
            m,
            backend,
            "events in range: answer = SQL count (per type, days and totals)",
            format!("{answered} of {all}"),
        );
        out.add(m, backend, "active users in range: answer = SQL count", active.to_string());
        out.add(m, backend, "requests (after warm-up)", format!("{} (+{WARM_UP})", samples.len()));
        out.add_goal(
            m,
            backend,
            "p50",
            ms(p50),
            Goal { text: format!("< {} ms (10M events)", GOAL_P50_SECS * 1000.0), met: p50 < GOAL_P50_SECS },
        );
        out.add(m, backend, "p99", ms(p99));

        let days: Vec<_> = answer.days.iter().map(|d| (to_db_time(d.from), to_db_time(d.to))).collect();
        let (queries, counts, users) = breakdown(&mut conn, &days)?;
        out.add(m, backend, format!("its SQL sent directly: {queries} per-type-and-day counts"), ms(counts));
        out.add(m, backend, format!("its SQL sent directly: {} per-day distinct active users", days.len()), ms(users));
        Ok(())
    }
}
