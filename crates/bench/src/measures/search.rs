//! Search: `GET /api/v1/events?q=<word>&limit=50` and `GET /api/v1/events/count?q=<word>` for a
//! word the generator writes rarely (the user id of the least active of its users, who also
//! turns up now and then in `real_user_id` and `users`); p50 and p99 after a warm-up, goal
//! p50 < 50 ms.
//!
//! The answers are checked against SQL first: the count equals a count of the same `LIKE` on the
//! `search` column, and the page holds `min(50, count)` rows, all of the matching ones.
//!
//! What serves it: `q` is `search LIKE '%word%'` on the folded `search` column, which no B-tree
//! index can serve; PostgreSQL has a pg_trgm GIN index on that column that its planner uses
//! for the LIKE, and SQLite an FTS5 trigram table whose candidates the query narrows to before
//! the same LIKE decides (the `search_index` migrations).

use std::collections::{BTreeSet, HashMap};

use anyhow::{Context as _, bail, ensure};
use confreports_store::DbConnection;
use confreports_store::schema::events;
use confreports_types::{Count, Event, Page};
use diesel::prelude::*;

use super::{EXPORT_COLUMNS, Measure, Target};
use crate::dataset::{Backend, Dataset};
use crate::generator;
use crate::results::{Goal, Results, ms};
use crate::stats::percentile;

pub struct Search;

const LIMIT: i64 = 50;
const WARM_UP: usize = 3;
const GOAL_P50_SECS: f64 = 0.050;
/// The most a "selective" word may match.
const MAX_SHARE: f64 = 0.01;

/// The searched word: the id of the last generated user, the one picked least often.
fn word() -> String {
    format!("u{:04}@corp.example", generator::USERS - 1)
}

/// The `LIKE` pattern the server builds for `word` (nothing in it needs escaping).
fn pattern(word: &str) -> String {
    format!("%{word}%")
}

/// The page query and the count query as the server sends them, with the backend's placeholders.
fn queries(backend: Backend) -> [(&'static str, String); 2] {
    let (p1, p2) = match backend {
        Backend::Postgres => ("$1", "$2"),
        Backend::Sqlite => ("?", "?"),
    };
    [
        (
            "list page",
            format!(
                "SELECT {EXPORT_COLUMNS} FROM events WHERE 1 = 1 AND search LIKE {p1} ESCAPE '\\' \
                 ORDER BY time DESC, id DESC LIMIT {p2}"
            ),
        ),
        ("count", format!("SELECT COUNT(*) FROM events WHERE 1 = 1 AND search LIKE {p1} ESCAPE '\\'")),
    ]
}

/// The plans of both queries, as Markdown.
fn explain(dataset: &Dataset, conn: &mut DbConnection, pattern: &str) -> anyhow::Result<String> {
    let mut md = String::new();
    for (what, sql) in queries(dataset.backend) {
        let plan = match dataset.backend {
            Backend::Sqlite => sqlite_plan(conn, &sql, pattern, what == "list page")?,
            Backend::Postgres => {
                let (types, args) = if what == "list page" {
                    ("text, bigint", format!("'{pattern}', {}", LIMIT + 1))
                } else {
                    ("text", format!("'{pattern}'"))
                };
                crate::tools::psql_script(
                    &dataset.url,
                    &format!("PREPARE q({types}) AS {sql};\nEXPLAIN (ANALYZE, BUFFERS) EXECUTE q({args});\n"),
                )?
            }
        };
        md.push_str(&format!("{what}, `{pattern}`:\n\n```sql\n{sql}\n```\n\n```\n{}\n```\n\n", plan.trim_end()));
    }
    Ok(md)
}

fn sqlite_plan(conn: &mut DbConnection, sql: &str, pattern: &str, limited: bool) -> anyhow::Result<String> {
    use diesel::sql_types::{BigInt, Integer, Text};
    #[derive(QueryableByName)]
    struct PlanRow {
        #[diesel(sql_type = Integer)]
        id: i32,
        #[diesel(sql_type = Integer)]
        parent: i32,
        #[diesel(sql_type = Text)]
        detail: String,
    }
    let DbConnection::Sqlite(c) = conn else { bail!("not a SQLite connection") };
    let mut q = diesel::sql_query(format!("EXPLAIN QUERY PLAN {sql}")).into_boxed().bind::<Text, _>(pattern.to_owned());
    if limited {
        q = q.bind::<BigInt, _>(LIMIT + 1);
    }
    let rows: Vec<PlanRow> = q.load(c)?;
    let mut depth: HashMap<i32, usize> = HashMap::new();
    let mut tree = String::new();
    for r in &rows {
        let d = depth.get(&r.parent).map_or(0, |d| d + 1);
        depth.insert(r.id, d);
        tree.push_str(&format!("{}{}\n", "  ".repeat(d), r.detail));
    }
    Ok(tree)
}

/// Times `samples` GETs of `path` after the warm-up.
fn time(target: &Target<'_>, path: &str, samples: usize) -> anyhow::Result<Vec<f64>> {
    for _ in 0..WARM_UP {
        target.get_text(path)?;
    }
    (0..samples).map(|_| Ok(target.get_text(path)?.1.as_secs_f64())).collect()
}

impl Measure for Search {
    fn name(&self) -> &'static str {
        "search"
    }

    fn run(&self, target: &Target<'_>, out: &mut Results) -> anyhow::Result<()> {
        let backend = target.backend();
        let m = self.name();
        let word = word();
        let pattern = pattern(&word);
        let mut conn = target.dataset.connect()?;

        // What the answers must be, by SQL.
        let total: i64 = events::table.count().get_result(&mut conn)?;
        let matching: BTreeSet<i64> = events::table
            .filter(events::search.like(&pattern))
            .select(events::id)
            .load::<i64>(&mut conn)?
            .into_iter()
            .collect();
        let n = matching.len() as i64;
        let share = n as f64 / total.max(1) as f64;
        ensure!(share <= MAX_SHARE, "`{word}` matches {n} of {total} rows: not selective");

        let list = format!("/api/v1/events?q={word}&limit={LIMIT}");
        let count = format!("/api/v1/events/count?q={word}");
        let (body, _) = target.get_text(&count)?;
        let answer: Count = serde_json::from_str(&body).with_context(|| format!("reading the answer to {count}"))?;
        ensure!(answer.count as i64 == n, "{count}: {}, SQL counts {n}", answer.count);
        let (body, _) = target.get_text(&list)?;
        let page: Page<Event> = serde_json::from_str(&body).with_context(|| format!("reading the answer to {list}"))?;
        ensure!(
            page.items.len() as i64 == n.min(LIMIT),
            "{list}: {} items, expected {}",
            page.items.len(),
            n.min(LIMIT)
        );
        if let Some(e) = page.items.iter().find(|e| !matching.contains(&e.id)) {
            bail!("{list}: event {} does not match `{word}`", e.id);
        }
        if n == 0 {
            out.note(
                format!("search on {backend}: no match"),
                format!("`{word}` matches no row of this dataset: the page and count are empty."),
            );
        }

        let page_samples = time(target, &list, target.options.search_requests)?;
        let count_samples = time(target, &count, target.options.search_requests)?;

        out.add(m, backend, "q", format!("{word} (matches {n} of {total} rows, {:.4}%)", share * 100.0));
        out.add(m, backend, "requests each (after warm-up)", format!("{} (+{WARM_UP})", page_samples.len()));
        for (what, samples) in [(format!("list limit={LIMIT}"), &page_samples), ("count".to_owned(), &count_samples)] {
            let p50 = percentile(samples, 50.0);
            out.add_goal(
                m,
                backend,
                format!("{what}: p50"),
                ms(p50),
                Goal { text: format!("< {} ms", GOAL_P50_SECS * 1000.0), met: p50 < GOAL_P50_SECS },
            );
            out.add(m, backend, format!("{what}: p99"), ms(percentile(samples, 99.0)));
        }

        let mut plans = String::from(
            "`q` is matched on the folded `search` column. The server asks the database's trigram index \
             only for the word's rarest trigrams (at most three, estimated from a sample of 4,096 rows' \
             search texts kept per process: `store::search`), and checks the word on the rows they \
             select: on PostgreSQL each trigram as its own `search LIKE '%tri%'` (the `pg_trgm` GIN \
             index `events_search_trgm`) and the word with `strpos`; on SQLite as `events.id IN \
             (SELECT rowid FROM events_fts WHERE events_fts MATCH '\"t1\" AND \"t2\"')` (the FTS5 \
             trigram table) and the word with `LIKE`. The plans below are of the plain `LIKE` of the \
             whole word, as one would write it in the database's own tool, without those clauses.\n\n",
        );
        plans.push_str(&explain(target.dataset, &mut conn, &pattern)?);
        out.note(format!("Query plans of the search measure on {backend}"), plans);
        Ok(())
    }
}
