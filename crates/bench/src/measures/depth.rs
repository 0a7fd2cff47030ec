//! Depth: a list page deep in a large selection must cost about what the first page costs
//! (keyset pagination). Requests page 1 and page 10,000 of a filtered list (limit 50, newest
//! first), alternating, and compares p50 and p99. The deep page's cursor is built directly from
//! the row that ends the page before it, found with SQL.
//!
//! Two selections: three types that make well over half the rows (the goal's case: page 10,000
//! exists with 1M events), and a single type of about 10% (page 10,000 or, when the selection is
//! smaller, the page three quarters down), which takes another path through the query planners. Also records the plans both databases choose for
//! the queries as the server sends them.

use anyhow::{Context as _, ensure};
use chrono::NaiveDateTime;
use confreports_store::DbConnection;
use confreports_store::schema::events;
use confreports_types::{Cursor, Event, Page, SortValue};
use diesel::prelude::*;

use super::plans::{ListQuery, row_at};
use super::{Measure, Target, type_with_share};
use crate::results::{Goal, Results, ms, ratio};
use crate::stats::percentile;

pub struct Depth;

const LIMIT: i64 = 50;
const DEEP_PAGE: i64 = 10_000;
const WARM_UP: usize = 10;
/// Goals of the deep page against page 1: p50 at most 1.2 times, p99 at most 1.5 times.
const MAX_P50_RATIO: f64 = 1.2;
const MAX_P99_RATIO: f64 = 1.5;

/// A filtered list to page through.
struct Case {
    types: Vec<String>,
    /// Whether the page-10,000 goal applies.
    goal: bool,
}

impl Case {
    fn label(&self) -> String {
        self.types.iter().map(|t| format!("type={t}")).collect::<Vec<_>>().join("&")
    }
}

/// The keys of the pages measured, found with SQL.
struct Pages {
    selected: i64,
    /// Page number of the deep page.
    deep: i64,
    /// `(time, id)` of the last row before the deep page: its cursor.
    key: (NaiveDateTime, i64),
    top_first: i64,
    deep_first: i64,
}

impl Case {
    /// The pages to measure; `None` when the selection has fewer than two full pages.
    fn pages(&self, conn: &mut DbConnection) -> anyhow::Result<Option<Pages>> {
        let selected: i64 = events::table.filter(events::event_type.eq_any(&self.types)).count().get_result(conn)?;
        let full = selected / LIMIT;
        if full < 2 {
            return Ok(None);
        }
        // Page 10,000, or three quarters down a smaller selection: the deepest page is cheap
        // for other reasons (few rows left behind the cursor).
        let deep = DEEP_PAGE.min(full * 3 / 4).max(2);
        Ok(Some(Pages {
            selected,
            deep,
            key: row_at(conn, &self.types, (deep - 1) * LIMIT - 1)?,
            top_first: row_at(conn, &self.types, 0)?.1,
            deep_first: row_at(conn, &self.types, (deep - 1) * LIMIT)?.1,
        }))
    }
}

fn check_page(target: &Target<'_>, path: &str, first_id: i64) -> anyhow::Result<()> {
    let (body, _) = target.get_text(path)?;
    let page: Page<Event> = serde_json::from_str(&body).with_context(|| format!("reading the answer to {path}"))?;
    ensure!(page.items.len() == LIMIT as usize, "{path}: {} items, expected {LIMIT}", page.items.len());
    ensure!(page.items[0].id == first_id, "{path}: first id {}, expected {first_id}", page.items[0].id);
    ensure!(page.next_cursor.is_some(), "{path}: no next_cursor");
    Ok(())
}

impl Depth {
    fn run_case(
        &self,
        target: &Target<'_>,
        conn: &mut DbConnection,
        case: &Case,
        out: &mut Results,
    ) -> anyhow::Result<()> {
        let backend = target.backend();
        let Some(pages) = case.pages(conn)? else {
            out.note(
                format!("depth on {backend}: {} skipped", case.label()),
                format!("{} selects fewer than {} rows: no second page.", case.label(), 2 * LIMIT),
            );
            return Ok(());
        };
        let deep = pages.deep;
        let cursor = Cursor {
            sort: "-time".into(),
            key: SortValue::Time(pages.key.0.and_utc()),
            id: SortValue::Int(pages.key.1),
        };
        let first = format!("/api/v1/events?{}&sort=-time&limit={LIMIT}", case.label());
        let deeper = format!("{first}&cursor={}", cursor.encode());
        check_page(target, &first, pages.top_first)?;
        check_page(target, &deeper, pages.deep_first)?;

        for _ in 0..WARM_UP {
            target.get_text(&first)?;
            target.get_text(&deeper)?;
        }
        let (mut top, mut low) = (Vec::new(), Vec::new());
        for i in 0..target.options.depth_requests {
            let (samples, path) = if i % 2 == 0 { (&mut top, &first) } else { (&mut low, &deeper) };
            samples.push(target.get_text(path)?.1.as_secs_f64());
        }
        let (p50_top, p99_top) = (percentile(&top, 50.0), percentile(&top, 99.0));
        let (p50_low, p99_low) = (percentile(&low, 50.0), percentile(&low, 99.0));
        let m = self.name();
        let what = |s: String| format!("{}: {s}", case.label());
        out.add(m, backend, what("rows selected".into()), pages.selected.to_string());
        out.add(
            m,
            backend,
            what("requests page 1 / deep page (alternating)".into()),
            format!("{} / {}", top.len(), low.len()),
        );
        out.add(m, backend, what("page 1 p50".into()), ms(p50_top));
        out.add(m, backend, what(format!("page {deep} p50")), ms(p50_low));
        out.add(m, backend, what("page 1 p99".into()), ms(p99_top));
        out.add(m, backend, what(format!("page {deep} p99")), ms(p99_low));
        let r50 = p50_low / p50_top;
        let label = what(format!("p50 page {deep} / page 1"));
        let r99 = p99_low / p99_top;
        let label99 = what(format!("p99 page {deep} / page 1"));
        if case.goal {
            out.add_goal(m, backend, label, ratio(r50), Goal::at_most(r50, MAX_P50_RATIO, ""));
            out.add_goal(m, backend, label99, ratio(r99), Goal::at_most(r99, MAX_P99_RATIO, ""));
        } else {
            out.add(m, backend, label, ratio(r50));
            out.add(m, backend, label99, ratio(r99));
        }
        if case.goal && deep < DEEP_PAGE {
            out.note(
                format!("depth on {backend}: page {deep}, not {DEEP_PAGE}"),
                format!(
                    "{} selects {} rows: page {DEEP_PAGE} does not exist; page {deep} is three quarters down.",
                    case.label(),
                    pages.selected
                ),
            );
        }
        Ok(())
    }
}

impl Measure for Depth {
    fn name(&self) -> &'static str {
        "depth"
    }

    fn run(&self, target: &Target<'_>, out: &mut Results) -> anyhow::Result<()> {
        let mut conn = target.dataset.connect()?;
        let (tenth, _, _) = type_with_share(&mut conn, 0.1)?;
        let cases = [
            Case { types: vec!["login".into(), "logout".into(), "status".into()], goal: true },
            Case { types: vec![tenth], goal: false },
        ];
        let mut plans = String::new();
        for case in &cases {
            self.run_case(target, &mut conn, case, out)?;
            let Some(pages) = case.pages(&mut conn)? else { continue };
            for (page, after) in [(1, None), (pages.deep, Some(pages.key))] {
                let query = ListQuery { types: &case.types, after, limit: Some(LIMIT + 1) };
                let plan = query.explain(target.dataset, &mut conn)?;
                plans.push_str(&format!("{}, page {page}:\n\n{plan}\n", case.label()));
            }
        }
        out.note(format!("Query plans of the depth measure on {}", target.backend()), plans);
        Ok(())
    }
}
