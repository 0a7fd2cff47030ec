//! Depth: a list page deep in a large selection must cost about what the first page costs
//! (keyset pagination). Requests page 1 and page 10,000 of a filtered list (limit 50, newest
//! first), alternating, and compares p50 and p99. The deep page's cursor is built directly from
//! the row that ends page 9,999, found with SQL.
//!
//! Also records the plans both databases choose for the two queries, as the server sends them.

use std::collections::HashMap;
use std::time::Duration;

use anyhow::{Context as _, bail, ensure};
use chrono::NaiveDateTime;
use confreports_store::DbConnection;
use confreports_store::schema::events;
use confreports_types::{Cursor, Event, EventType, Page, SortValue};
use diesel::prelude::*;

use super::{EXPORT_COLUMNS, Measure, Target};
use crate::dataset::Backend;
use crate::results::{Goal, Results, ms, ratio};
use crate::stats::percentile;

pub struct Depth;

const LIMIT: i64 = 50;
const DEEP_PAGE: i64 = 10_000;
const WARM_UP: usize = 10;
/// A selection of well over half the rows, so that page 10,000 exists with 1M events.
const TYPES: [EventType; 3] = [EventType::Login, EventType::Logout, EventType::Status];
const MAX_RATIO: f64 = 1.5;

fn type_names() -> Vec<&'static str> {
    TYPES.iter().map(|t| t.as_str()).collect()
}

/// `(time, id)` of the row at `offset` in the list's order.
fn row_at(conn: &mut DbConnection, offset: i64) -> QueryResult<(NaiveDateTime, i64)> {
    events::table
        .filter(events::event_type.eq_any(type_names()))
        .order((events::time.desc(), events::id.desc()))
        .select((events::time, events::id))
        .offset(offset)
        .limit(1)
        .first(conn)
}

fn check_page(target: &Target<'_>, path: &str, first_id: i64) -> anyhow::Result<()> {
    let (body, _) = target.get_text(path)?;
    let page: Page<Event> = serde_json::from_str(&body).with_context(|| format!("reading the answer to {path}"))?;
    ensure!(page.items.len() == LIMIT as usize, "{path}: {} items, expected {LIMIT}", page.items.len());
    ensure!(page.items[0].id == first_id, "{path}: first id {}, expected {first_id}", page.items[0].id);
    ensure!(page.next_cursor.is_some(), "{path}: no next_cursor");
    Ok(())
}

impl Measure for Depth {
    fn name(&self) -> &'static str {
        "depth"
    }

    fn run(&self, target: &Target<'_>, out: &mut Results) -> anyhow::Result<()> {
        let backend = target.backend();
        let mut conn = target.dataset.connect()?;
        let selected: i64 =
            events::table.filter(events::event_type.eq_any(type_names())).count().get_result(&mut conn)?;
        let deep = DEEP_PAGE.min(selected / LIMIT);
        if deep < 2 {
            bail!("the filter selects {selected} events: not even two pages of {LIMIT}");
        }
        let (key_time, key_id) = row_at(&mut conn, (deep - 1) * LIMIT - 1)?;
        let (_, deep_first) = row_at(&mut conn, (deep - 1) * LIMIT)?;
        let (_, top_first) = row_at(&mut conn, 0)?;
        let cursor = Cursor { sort: "-time".into(), key: SortValue::Time(key_time.and_utc()), id: SortValue::Int(key_id) };

        let query: Vec<String> = type_names().iter().map(|t| format!("type={t}")).collect();
        let first = format!("/api/v1/events?{}&sort=-time&limit={LIMIT}", query.join("&"));
        let deeper = format!("{first}&cursor={}", cursor.encode());
        check_page(target, &first, top_first)?;
        check_page(target, &deeper, deep_first)?;

        for _ in 0..WARM_UP {
            target.get_text(&first)?;
            target.get_text(&deeper)?;
        }
        let (mut top, mut low) = (Vec::new(), Vec::new());
        for i in 0..target.options.depth_requests {
            let (samples, path) = if i % 2 == 0 { (&mut top, &first) } else { (&mut low, &deeper) };
            let (_, took): (String, Duration) = target.get_text(path)?;
            samples.push(took.as_secs_f64());
        }
        let (p50_top, p99_top) = (percentile(&top, 50.0), percentile(&top, 99.0));
        let (p50_low, p99_low) = (percentile(&low, 50.0), percentile(&low, 99.0));
        let m = self.name();
        out.add(m, backend, format!("filter {} selects", query.join("&")), format!("{selected} rows"));
        out.add(m, backend, "requests (page 1 / deep page, alternating)", format!("{} / {}", top.len(), low.len()));
        out.add(m, backend, "page 1 p50", ms(p50_top));
        out.add(m, backend, format!("page {deep} p50"), ms(p50_low));
        out.add(m, backend, "page 1 p99", ms(p99_top));
        out.add(m, backend, format!("page {deep} p99"), ms(p99_low));
        let r50 = p50_low / p50_top;
        out.add_goal(m, backend, format!("p50 page {deep} / page 1"), ratio(r50), Goal::at_most(r50, MAX_RATIO, ""));
        out.add(m, backend, format!("p99 page {deep} / page 1"), ratio(p99_low / p99_top));
        if deep < DEEP_PAGE {
            out.note(
                format!("depth on {backend}: page {deep}, not {DEEP_PAGE}"),
                format!("The filter selects {selected} rows, so the deepest full page is {deep}."),
            );
        }

        let plans = match target.dataset.backend {
            Backend::Sqlite => sqlite_plans(&mut conn, key_time, key_id)?,
            Backend::Postgres => postgres_plans(&target.dataset.url, key_time, key_id)?,
        };
        out.note(format!("Query plans of the depth measure on {backend}"), plans);
        Ok(())
    }
}

/// The list query as the server's keyset code writes it (`keyset!` in the store crate), with
/// `$types`, `$key`, `$id` and `$limit` for the dialect's placeholders.
fn list_sql(deep: bool) -> String {
    let keyset = if deep { " AND (time <= $key AND (time < $key OR (time = $key AND id < $id)))" } else { "" };
    format!(
        "SELECT {EXPORT_COLUMNS}, source_id FROM events WHERE 1 = 1 AND type IN ($types){keyset} \
         ORDER BY time DESC, id DESC LIMIT $limit"
    )
}

#[derive(QueryableByName)]
struct PlanRow {
    #[diesel(sql_type = diesel::sql_types::Integer)]
    id: i32,
    #[diesel(sql_type = diesel::sql_types::Integer)]
    parent: i32,
    #[diesel(sql_type = diesel::sql_types::Text)]
    detail: String,
}

/// `EXPLAIN QUERY PLAN` through the same SQLite library the server links, with bound
/// parameters as the server sends them.
fn sqlite_plans(conn: &mut DbConnection, key: NaiveDateTime, id: i64) -> anyhow::Result<String> {
    use diesel::sql_types::{BigInt, Text, Timestamp};
    let DbConnection::Sqlite(c) = conn else { bail!("not a SQLite connection") };
    let types = type_names();
    let placeholders = vec!["?"; types.len()].join(", ");
    let mut out = String::new();
    for deep in [false, true] {
        let sql = list_sql(deep)
            .replace("$types", &placeholders)
            .replace("$key", "?")
            .replace("$id", "?")
            .replace("$limit", "?");
        let mut q = diesel::sql_query(format!("EXPLAIN QUERY PLAN {sql}")).into_boxed();
        for t in &types {
            q = q.bind::<Text, _>(*t);
        }
        if deep {
            q = q.bind::<Timestamp, _>(key).bind::<Timestamp, _>(key).bind::<Timestamp, _>(key).bind::<BigInt, _>(id);
        }
        let rows: Vec<PlanRow> = q.bind::<BigInt, _>(LIMIT + 1).load(c)?;
        let mut depth: HashMap<i32, usize> = HashMap::new();
        let mut tree = String::new();
        for r in &rows {
            let d = depth.get(&r.parent).map_or(0, |d| d + 1);
            depth.insert(r.id, d);
            tree.push_str(&format!("{}{}\n", "  ".repeat(d), r.detail));
        }
        let label = if deep { "deep page" } else { "page 1" };
        out.push_str(&format!("{label}:\n\n```sql\n{sql}\n```\n\n```\n{tree}```\n\n"));
    }
    Ok(out)
}

/// `EXPLAIN (ANALYZE, BUFFERS)` of the two queries as prepared statements, with the custom plan
/// (values known) and the generic plan (what a cached prepared statement may switch to).
fn postgres_plans(url: &str, key: NaiveDateTime, id: i64) -> anyhow::Result<String> {
    let types = format!("'{{{}}}'", type_names().join(","));
    let key = format!("'{}'", key.format("%Y-%m-%d %H:%M:%S%.f"));
    let top = list_sql(false).replace("type IN ($types)", "type = ANY($1)").replace("$limit", "$2");
    let deep = list_sql(true)
        .replace("type IN ($types)", "type = ANY($1)")
        .replace("$key", "$2")
        .replace("$id", "$3")
        .replace("$limit", "$4");
    let limit = LIMIT + 1;
    let mut script = format!(
        "PREPARE top(text[], bigint) AS {top};\n\
         PREPARE deep(text[], timestamp, bigint, bigint) AS {deep};\n"
    );
    for mode in ["force_custom_plan", "force_generic_plan"] {
        script.push_str(&format!(
            "SET plan_cache_mode = {mode};\n\
             \\echo '-- page 1, {mode}'\n\
             EXPLAIN (ANALYZE, BUFFERS) EXECUTE top({types}, {limit});\n\
             \\echo '-- deep page, {mode}'\n\
             EXPLAIN (ANALYZE, BUFFERS) EXECUTE deep({types}, {key}, {id}, {limit});\n"
        ));
    }
    let plans = crate::tools::psql_script(url, &script)?;
    Ok(format!("```sql\n-- page 1\n{top}\n-- deep page\n{deep}\n```\n\n```\n{}\n```\n", plans.trim_end()))
}
