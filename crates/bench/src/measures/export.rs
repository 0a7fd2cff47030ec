//! Export: the streamed CSV export against the database's own tool (`psql \copy ... TO STDOUT`,
//! `sqlite3 -csv`) reading the same rows in the same order, and the server's resident memory
//! meanwhile, which must stay flat whatever the size. Two selections: one type of about 10% of
//! the rows, and every row. Server and tool alternate; the ratio is taken per pair.

use std::time::{Duration, Instant};

use anyhow::{Context as _, ensure};

use super::{EXPORT_COLUMNS, Measure, Target, plans, type_with_share};
use crate::dataset::Backend;
use crate::results::{Goal, Results, mib, rate, spread};
use crate::server::RssSampler;
use crate::stats::median;
use crate::tools::{self, Streamed};

pub struct Export;

const RSS_EVERY: Duration = Duration::from_millis(20);
/// Rows the server reads per query while exporting from SQLite (`BATCH` in the API's
/// csv_export; on PostgreSQL it reads one `COPY`).
const BATCH: i64 = 2000;
/// "Flat": the export may hold a few batches, not the selection.
const MAX_EXTRA_RSS_MIB: f64 = 64.0;
/// Goal of the ~10% export: the server's rows/s over `sqlite3 -csv`'s.
const MIN_SPEED_VS_SQLITE3: f64 = 0.7;
/// Goal of the ~10% export: the server's rows/s over `psql \copy`'s.
const MIN_SPEED_VS_PSQL: f64 = 0.6;

struct Case {
    label: String,
    /// The `type` filter; empty for everything.
    types: Vec<String>,
    /// Filter parameters of the export URL (empty for everything).
    params: String,
    /// The same filter as SQL.
    where_sql: String,
    rows: u64,
    /// Whether the flat-memory goal applies (the full export).
    goal: bool,
    /// The least rows/s of the server over the tool's, where the speed goal applies (~10%).
    min_speed: Option<f64>,
}

struct Run {
    streamed: Streamed,
    peak: u64,
}

impl Export {
    fn server_run(&self, target: &Target<'_>, case: &Case) -> anyhow::Result<Run> {
        let sep = if case.params.is_empty() { "" } else { "&" };
        let path = format!("/api/v1/events/export?{}{sep}sort=-time", case.params);
        let url = target.server.url(&path);
        let sampler = RssSampler::start(target.server.pid, RSS_EVERY);
        let started = Instant::now();
        let result = (|| -> anyhow::Result<(u64, u64)> {
            let mut res = target.get(&path).call().with_context(|| format!("GET {url}"))?;
            ensure!(res.status() == 200, "GET {url}: {}", res.status());
            Ok(tools::count(res.body_mut().as_reader())?)
        })();
        let secs = started.elapsed().as_secs_f64();
        let peak = sampler.stop().peak;
        let (bytes, lines) = result?;
        ensure!(
            lines == case.rows + 1,
            "{url}: {} rows (and a header line) instead of {}",
            lines.saturating_sub(1),
            case.rows
        );
        Ok(Run { streamed: Streamed { bytes, lines: lines - 1, secs }, peak })
    }

    fn tool_run(&self, target: &Target<'_>, case: &Case) -> anyhow::Result<Streamed> {
        let select = format!("SELECT {EXPORT_COLUMNS} FROM events{} ORDER BY time DESC, id DESC", case.where_sql);
        let mut cmd = match target.dataset.backend {
            Backend::Postgres => {
                tools::psql(&target.dataset.url, &format!("\\copy ({select}) TO STDOUT WITH (FORMAT csv)"))
            }
            Backend::Sqlite => {
                let path = target.dataset.sqlite_path.as_deref().context("SQLite dataset without a path")?;
                tools::sqlite_csv(path, &select)
            }
        };
        let streamed = tools::run_counting(&mut cmd)?;
        ensure!(streamed.lines == case.rows, "{cmd:?}: {} rows instead of {}", streamed.lines, case.rows);
        Ok(streamed)
    }
}

fn tool_name(backend: Backend) -> &'static str {
    match backend {
        Backend::Postgres => "psql \\copy",
        Backend::Sqlite => "sqlite3 -csv",
    }
}

impl Measure for Export {
    fn name(&self) -> &'static str {
        "export"
    }

    fn run(&self, target: &Target<'_>, out: &mut Results) -> anyhow::Result<()> {
        let backend = target.backend();
        let tool = tool_name(target.dataset.backend);
        let (tenth, tenth_rows, total) = type_with_share(&mut target.dataset.connect()?, 0.1)?;
        let cases = [
            Case {
                label: format!("type={tenth} ({:.1}%)", 100.0 * tenth_rows as f64 / total as f64),
                params: format!("type={tenth}"),
                where_sql: format!(" WHERE type IN ('{tenth}')"),
                types: vec![tenth.clone()],
                rows: tenth_rows as u64,
                goal: false,
                min_speed: Some(match target.dataset.backend {
                    Backend::Sqlite => MIN_SPEED_VS_SQLITE3,
                    Backend::Postgres => MIN_SPEED_VS_PSQL,
                }),
            },
            Case {
                label: "all rows".into(),
                params: String::new(),
                where_sql: String::new(),
                types: Vec::new(),
                rows: total as u64,
                goal: true,
                min_speed: None,
            },
        ];
        let mut conn = target.dataset.connect()?;
        let mut plans = String::new();
        for case in &cases {
            // PostgreSQL's export is one `COPY` of the whole selection; SQLite's, keyset batches.
            let (query, what) = match target.dataset.backend {
                Backend::Postgres => (
                    plans::ListQuery { types: &case.types, after: None, limit: None },
                    "the selection, as COPY reads it",
                ),
                Backend::Sqlite => {
                    let middle = plans::row_at(&mut conn, &case.types, case.rows as i64 / 2)?;
                    (
                        plans::ListQuery { types: &case.types, after: Some(middle), limit: Some(BATCH + 1) },
                        "the batch half-way",
                    )
                }
            };
            let plan = query.explain(target.dataset, &mut conn)?;
            plans.push_str(&format!("{}, {what}:\n\n{plan}\n", case.label));
        }
        out.note(format!("Query plans of the exports on {backend}"), plans);
        let idle = target.server.rss_bytes()? as f64;
        let m = self.name();
        out.add(m, backend, "server RSS before exporting", mib(idle));
        for case in &cases {
            crate::log(&format!(
                "{backend}: export {} ({} rows), {} repetitions",
                case.label, case.rows, target.options.export_reps
            ));
            // One untimed round each, so that both start from a warm cache.
            let warm = self.server_run(target, case)?;
            self.tool_run(target, case)?;
            let mut peak = warm.peak;
            let (mut server_rates, mut tool_rates, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
            let mut bytes = (0, 0);
            for _ in 0..target.options.export_reps {
                let s = self.server_run(target, case)?;
                let t = self.tool_run(target, case)?;
                peak = peak.max(s.peak);
                server_rates.push(case.rows as f64 / s.streamed.secs);
                tool_rates.push(case.rows as f64 / t.secs);
                ratios.push(s.streamed.secs / t.secs);
                bytes = (s.streamed.bytes, t.bytes);
            }
            let after = target.server.rss_bytes()? as f64;
            let what = |s: &str| format!("{}: {s}", case.label);
            out.add(m, backend, what("server rows/s (median)"), rate(median(&server_rates)));
            out.add(m, backend, what(&format!("{tool} rows/s (median)")), rate(median(&tool_rates)));
            out.add(
                m,
                backend,
                what(&format!("server time / {tool} time, median [min, max] of {}", ratios.len())),
                spread(&ratios),
            );
            // The goal is on rows/s, the inverse of the time ratio.
            let speed: Vec<f64> = ratios.iter().map(|r| 1.0 / r).collect();
            let label = what(&format!("server rows/s / {tool} rows/s, median [min, max] of {}", speed.len()));
            let value = spread(&speed);
            match case.min_speed {
                Some(least) => out.add_goal(m, backend, label, value, Goal::at_least(median(&speed), least, "")),
                None => out.add(m, backend, label, value),
            }
            out.add(
                m,
                backend,
                what("CSV size server / tool"),
                format!("{} / {}", mib(bytes.0 as f64), mib(bytes.1 as f64)),
            );
            let extra = (peak as f64 - idle).max(0.0);
            let label = what("server peak RSS above idle");
            if case.goal {
                out.add_goal(
                    m,
                    backend,
                    label,
                    mib(extra),
                    Goal::at_most(extra / (1024.0 * 1024.0), MAX_EXTRA_RSS_MIB, " MiB"),
                );
            } else {
                out.add(m, backend, label, mib(extra));
            }
            out.add(m, backend, what("server RSS above idle after the exports"), mib((after - idle).max(0.0)));
        }
        Ok(())
    }
}
