//! Throughput: the first page of a filtered list (one type of about 10% of the rows, limit 50,
//! newest first) under load, 64 connections: `wrk -t2 -c64 --latency` on the server (signed in,
//! with the session cookie), against `pgbench -n -c 64 -j 2` running the very statement the
//! server prepares for that page, read back from `pg_prepared_statements` after the store read
//! the page as the server does, on a connection of the bench's own (same columns, WHERE, ORDER
//! BY and LIMIT 51).
//! pgbench runs it twice over: `-M prepared`, as the server sends it (prepared once per
//! connection, then executed), which the goal is checked against, and `-M extended`, parsed and
//! planned for every execution, as the server sent its queries before it prepared them.
//! Requests/s against transactions/s, and p99 latency (wrk's latency distribution; pgbench's
//! per-transaction log `-l`). The three alternate (their order turning each repetition), each
//! after an untimed warm-up; the ratios are taken per repetition. SQLite has no pgbench: there,
//! the server's figures alone.
//!
//! The load generators run on the same machine as what they load (2 threads each).

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, bail, ensure};
use confreports_types::{Event, Page};

use super::{Measure, Target, type_with_share};
use crate::dataset::Backend;
use crate::results::{Goal, Results, ms, spread};
use crate::stats::median;

pub struct Throughput;

const LIMIT: i64 = 50;
const CONNECTIONS: u32 = 64;
const THREADS: u32 = 2;
const WARM_UP_SECS: u32 = 2;
const MIN_RATIO: f64 = 0.7;

/// What one load run measured.
#[derive(Debug, Clone, Copy)]
struct Load {
    per_sec: f64,
    p99: f64,
}

/// A latency as wrk prints it (`843.00us`, `12.31ms`, `1.02s`, `1.50m`), in seconds.
fn wrk_duration(s: &str) -> Option<f64> {
    let s = s.trim();
    let (num, scale) = if let Some(n) = s.strip_suffix("us") {
        (n, 1e-6)
    } else if let Some(n) = s.strip_suffix("ms") {
        (n, 1e-3)
    } else if let Some(n) = s.strip_suffix('s') {
        (n, 1.0)
    } else if let Some(n) = s.strip_suffix('m') {
        (n, 60.0)
    } else if let Some(n) = s.strip_suffix('h') {
        (n, 3600.0)
    } else {
        return None;
    };
    num.parse::<f64>().ok().map(|v| v * scale)
}

/// Requests/s and p99 of wrk's report (`--latency`); fails on non-2xx answers or timeouts.
fn parse_wrk(out: &str) -> anyhow::Result<Load> {
    let mut per_sec = None;
    let mut p99 = None;
    for line in out.lines().map(str::trim) {
        if let Some(v) = line.strip_prefix("Requests/sec:") {
            per_sec = v.trim().parse::<f64>().ok();
        } else if let Some(v) = line.strip_prefix("99%") {
            p99 = wrk_duration(v);
        } else if line.starts_with("Non-2xx or 3xx responses:") {
            bail!("wrk: {line}");
        } else if let Some(v) = line.strip_prefix("Socket errors:")
            && let Some(t) = v.split(',').find_map(|p| p.trim().strip_prefix("timeout "))
            && t.trim() != "0"
        {
            bail!("wrk: {line}");
        }
    }
    match (per_sec, p99) {
        (Some(per_sec), Some(p99)) => Ok(Load { per_sec, p99 }),
        _ => bail!("no Requests/sec or 99% latency in wrk's report:\n{out}"),
    }
}

/// Transactions/s of pgbench's report (without the initial connection time); fails on failures.
fn parse_pgbench_tps(out: &str) -> anyhow::Result<f64> {
    for line in out.lines().map(str::trim) {
        if let Some(v) = line.strip_prefix("number of failed transactions:") {
            ensure!(v.trim().starts_with("0 "), "pgbench: {line}");
        }
    }
    out.lines()
        .filter_map(|l| l.trim().strip_prefix("tps = "))
        .find(|l| l.contains("without initial connection time"))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .with_context(|| format!("no tps in pgbench's report:\n{out}"))
}

/// Latencies, in seconds, of pgbench's per-transaction log lines
/// (`client transaction latency_us script epoch epoch_us ...`).
fn pgbench_latencies(log: &str) -> Vec<f64> {
    log.lines().filter_map(|l| l.split_whitespace().nth(2)?.parse::<f64>().ok()).map(|us| us / 1e6).collect()
}

fn wrk(url: &str, cookie: Option<&str>, secs: u32) -> anyhow::Result<Load> {
    let mut cmd = Command::new("wrk");
    cmd.args(["-t", &THREADS.to_string(), "-c", &CONNECTIONS.to_string(), "-d", &format!("{secs}s"), "--latency"]);
    if let Some(c) = cookie {
        cmd.args(["-H", &format!("Cookie: {c}")]);
    }
    cmd.arg(url);
    let out = cmd.output().context("starting wrk (make bench installs it: scripts/install-bench-tools.sh)")?;
    let text = String::from_utf8_lossy(&out.stdout);
    ensure!(out.status.success(), "wrk failed ({}): {}{text}", out.status, String::from_utf8_lossy(&out.stderr));
    parse_wrk(&text)
}

/// pgbench's protocols: `-M prepared` (the server's) and `-M extended` (parse and plan each time).
const MODES: [&str; 2] = ["prepared", "extended"];

/// One pgbench run of `script` on `url` with protocol `mode`, logging every transaction under
/// `dir`.
fn pgbench(url: &str, script: &Path, dir: &Path, secs: u32, mode: &str) -> anyhow::Result<Load> {
    let prefix = dir.join("pgbench-log");
    let logs = |prefix: &Path| -> anyhow::Result<Vec<PathBuf>> {
        let name = prefix.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let mut found = Vec::new();
        for entry in std::fs::read_dir(dir)? {
            let path = entry?.path();
            if path.file_name().is_some_and(|n| n.to_string_lossy().starts_with(&format!("{name}."))) {
                found.push(path);
            }
        }
        Ok(found)
    };
    for old in logs(&prefix)? {
        std::fs::remove_file(old)?;
    }
    let out = Command::new("pgbench")
        .args(["-n", "-M", mode, "-c", &CONNECTIONS.to_string(), "-j", &THREADS.to_string()])
        .args(["-T", &secs.to_string(), "-l"])
        .arg(format!("--log-prefix={}", prefix.display()))
        .arg("-f")
        .arg(script)
        .arg(url)
        .current_dir(dir)
        .output()
        .context("starting pgbench (make bench installs it: scripts/install-bench-tools.sh)")?;
    let text = String::from_utf8_lossy(&out.stdout);
    ensure!(out.status.success(), "pgbench failed ({}): {}{text}", out.status, String::from_utf8_lossy(&out.stderr));
    let per_sec = parse_pgbench_tps(&text)?;
    let mut latencies = Vec::new();
    for log in logs(&prefix)? {
        latencies.extend(pgbench_latencies(&std::fs::read_to_string(&log)?));
        std::fs::remove_file(log)?;
    }
    ensure!(!latencies.is_empty(), "pgbench logged no transaction");
    Ok(Load { per_sec, p99: crate::stats::percentile(&latencies, 99.0) })
}

/// The statement the server prepares for the first page of `type=<event_type>`, newest first,
/// `limit` rows: the store reads that page as the server does (PostgreSQL's asynchronous
/// client, [`confreports_store::report::page_direct`]) on a connection of the bench's own, which
/// then holds the statement in `pg_prepared_statements`. It has no parameter (the type and the
/// limit are written into it), so pgbench runs it as it is.
fn server_statement(dataset: &crate::dataset::Dataset, event_type: &str, limit: i64) -> anyhow::Result<String> {
    use confreports_store::events::{EventFilter, EventsReport};
    use confreports_store::pg_async::PgReader;
    use confreports_types::{EventSort, EventType, SortField as _};
    let t = EventType::parse(event_type).with_context(|| format!("event type `{event_type}`"))?;
    let filter = EventFilter { types: vec![t], ..Default::default() };
    let url = confreports_store::DbUrl::parse(&dataset.url)?;
    // One connection, so that the page and the question are asked on the same one.
    let reader = PgReader::new(&url, 1).context("not a PostgreSQL dataset")?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let statements = runtime.block_on(async {
        let page = confreports_store::report::page_direct::<EventsReport>(
            &reader,
            &filter,
            EventSort::DEFAULT,
            None,
            limit,
            Vec::new(),
        );
        anyhow::ensure!(page.await?.is_some(), "the server reads this page through its pool, not its own client");
        let rows = reader.query("SELECT statement FROM pg_prepared_statements", &[], false).await?;
        anyhow::Ok(rows.iter().map(|r| r.get::<_, String>(0)).filter(|s| s.contains("FROM events")).collect::<Vec<_>>())
    })?;
    match statements.as_slice() {
        [one] if !one.contains('$') => Ok(format!("{one};\n")),
        other => bail!("expected the server to prepare one statement without parameters for the page, found {other:?}"),
    }
}

impl Measure for Throughput {
    fn name(&self) -> &'static str {
        "throughput"
    }

    fn run(&self, target: &Target<'_>, out: &mut Results) -> anyhow::Result<()> {
        let backend = target.backend();
        let options = target.options;
        let secs = options.throughput_secs.max(1);
        let reps = options.throughput_reps.max(1);
        let (event_type, selected, total) = type_with_share(&mut target.dataset.connect()?, 0.1)?;
        ensure!(event_type.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'), "type `{event_type}`");
        let path = format!("/api/v1/events?type={event_type}&sort=-time&limit={LIMIT}");
        let (body, _) = target.get_text(&path)?;
        let page: Page<Event> = serde_json::from_str(&body).with_context(|| format!("reading the answer to {path}"))?;
        ensure!(page.items.len() == LIMIT as usize, "{path}: {} items, expected {LIMIT}", page.items.len());
        let url = target.server.url(&path);
        let cookie = target.cookie.as_deref();

        let pg = target.dataset.backend == Backend::Postgres;
        let dir = options.work.join("throughput");
        std::fs::create_dir_all(&dir)?;
        let script = dir.join("first-page.sql");
        let sql = if pg { server_statement(target.dataset, &event_type, LIMIT)? } else { String::new() };
        if pg {
            std::fs::write(&script, &sql)?;
            // The same rows, checked once through psql.
            let rows = crate::tools::psql_script(
                &target.dataset.url,
                &format!(
                    "\\pset tuples_only on\n\\pset format unaligned\nSELECT id FROM ({}) AS page;\n",
                    sql.trim_end().trim_end_matches(';')
                ),
            )?;
            let first: Vec<i64> = rows.lines().take(LIMIT as usize).filter_map(|l| l.trim().parse().ok()).collect();
            let served: Vec<i64> = page.items.iter().map(|e| e.id).collect();
            ensure!(first == served, "pgbench's statement does not select the page the server answers");
        }

        crate::log(&format!("{backend}: throughput warm-up ({WARM_UP_SECS} s each)"));
        wrk(&url, cookie, WARM_UP_SECS)?;
        if pg {
            for mode in MODES {
                pgbench(&target.dataset.url, &script, &dir, WARM_UP_SECS, mode)?;
            }
        }
        // The server's runs, and per pgbench mode its runs and the ratios of the repetitions.
        let mut server = Vec::new();
        let mut tools: [(Vec<Load>, Vec<f64>); MODES.len()] = Default::default();
        for rep in 0..reps {
            // Server, then each mode, the order turning by one each repetition.
            let sides = if pg { 1 + MODES.len() } else { 1 };
            let mut s = None;
            let mut t: [Option<Load>; MODES.len()] = [None; MODES.len()];
            for k in 0..sides {
                match (k + rep) % sides {
                    0 => s = Some(wrk(&url, cookie, secs)?),
                    m => t[m - 1] = Some(pgbench(&target.dataset.url, &script, &dir, secs, MODES[m - 1])?),
                }
            }
            let s = s.context("no server run")?;
            let mut line = format!(
                "{backend}: throughput {} of {reps}: server {:.0} req/s (p99 {})",
                rep + 1,
                s.per_sec,
                ms(s.p99)
            );
            for (m, t) in t.into_iter().enumerate() {
                if let Some(t) = t {
                    line.push_str(&format!(", pgbench -M {} {:.0} tps (p99 {})", MODES[m], t.per_sec, ms(t.p99)));
                    tools[m].1.push(s.per_sec / t.per_sec);
                    tools[m].0.push(t);
                }
            }
            crate::log(&line);
            server.push(s);
        }
        let _ = std::fs::remove_file(&script);

        let m = self.name();
        let what = |s: &str| {
            format!("type={event_type}&limit={LIMIT} ({:.1}% of {total} rows), {CONNECTIONS} connections: {s}", {
                100.0 * selected as f64 / total as f64
            })
        };
        let rates = |l: &[Load]| l.iter().map(|l| l.per_sec).collect::<Vec<_>>();
        let p99s = |l: &[Load]| l.iter().map(|l| l.p99).collect::<Vec<_>>();
        out.add(m, backend, what(&format!("server req/s, median of {} runs of {secs} s", server.len())), {
            format!("{:.0}", median(&rates(&server)))
        });
        out.add(m, backend, what("server p99 (median of the runs)"), ms(median(&p99s(&server))));
        if pg {
            for (mode, (tool, ratios)) in MODES.iter().zip(&tools) {
                out.add(m, backend, what(&format!("pgbench -M {mode} tps (median)")), {
                    format!("{:.0}", median(&rates(tool)))
                });
                out.add(m, backend, what(&format!("pgbench -M {mode} p99 (median of the runs)")), {
                    ms(median(&p99s(tool)))
                });
                let r = median(ratios);
                let figure =
                    what(&format!("server req/s / pgbench -M {mode} tps, median [min, max] of {}", ratios.len()));
                let value = spread(ratios);
                if *mode == MODES[0] {
                    out.add_goal(m, backend, figure, value, Goal::at_least(r, MIN_RATIO, ""));
                } else {
                    out.add(m, backend, figure, value);
                }
            }
        } else {
            out.add(m, backend, what("pgbench tps"), "n/a: no pgbench for SQLite");
        }
        out.note(
            format!("Throughput on {backend}"),
            format!(
                "`wrk -t{THREADS} -c{CONNECTIONS} -d{secs}s --latency` with the session cookie on `GET {path}`{}",
                if pg {
                    format!(
                        ", alternating with `pgbench -n -M prepared -c {CONNECTIONS} -j {THREADS} -T {secs} -l` and the \
                         same with `-M extended`, each running the statement the server prepares for the page (read \
                         back from `pg_prepared_statements`; p99 from the per-transaction log). The goal is checked \
                         against `-M prepared`, the protocol the server uses for it:\n\n```sql\n{sql}```"
                    )
                } else {
                    "; SQLite has no pgbench, so the server's figures stand alone.".to_owned()
                }
            ),
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WRK: &str = "Running 5s test @ http://127.0.0.1:1/api/v1/events?type=authorize&limit=50
  2 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    21.46ms    4.00ms  61.21ms   73.00%
    Req/Sec     1.49k   120.00     1.80k    70.00%
  Latency Distribution
     50%   20.95ms
     75%   23.00ms
     90%   26.00ms
     99%  843.00us
  14884 requests in 5.00s, 60.23MB read
Requests/sec:   2974.82
Transfer/sec:     12.04MB
";

    #[test]
    fn reads_wrk_and_pgbench_reports() {
        let load = parse_wrk(WRK).expect("parsed");
        assert_eq!(load.per_sec, 2974.82);
        assert!((load.p99 - 843e-6).abs() < 1e-12);
        assert_eq!(wrk_duration("1.02s"), Some(1.02));
        assert_eq!(wrk_duration("12.50ms"), Some(0.0125));
        assert!(parse_wrk(&format!("{WRK}  Non-2xx or 3xx responses: 3\n")).is_err());
        assert!(parse_wrk(&format!("{WRK}  Socket errors: connect 0, read 0, write 0, timeout 2\n")).is_err());
        assert!(parse_wrk(&format!("{WRK}  Socket errors: connect 0, read 1, write 0, timeout 0\n")).is_ok());
        let pg = "number of transactions actually processed: 100\nnumber of failed transactions: 0 (0.000%)\n\
                  latency average = 21.3 ms\ninitial connection time = 40.1 ms\n\
                  tps = 3001.5 (without initial connection time)\n";
        assert_eq!(parse_pgbench_tps(pg).ok(), Some(3001.5));
        assert!(parse_pgbench_tps(&pg.replace("failed transactions: 0 ", "failed transactions: 4 ")).is_err());
        assert_eq!(pgbench_latencies("0 1 2500 0 1700000000 123\n3 9 1000 0 1700000000 456\n"), vec![0.0025, 0.001]);
    }
}
