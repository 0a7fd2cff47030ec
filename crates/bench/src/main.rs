//! `make bench`: confreports measured on generated events, side by side with the databases' own
//! tools. Generates (or reuses) the dataset in SQLite and PostgreSQL, starts
//! `target/release/confreports serve` on each, runs the measures, prints the figures and writes
//! them to `bench/results.md`.
//!
//! Exits non-zero when something could not be run; a missed goal is reported, not fatal.
//!
//! `confreports-bench soak` runs the soak test instead (see `soak`).
//!
//! Layout: `generator` (the synthetic events), `dataset` (the databases), `server` (the child
//! process and its RSS), `tools` (psql, sqlite3), `measures/*` (one module per measure),
//! `results` (the table and Markdown writer), `machine` (what it ran on).

mod auth;
mod dataset;
mod generator;
mod machine;
mod measures;
mod progress;
mod results;
mod server;
mod soak;
mod stats;
mod tools;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context as _, ensure};
use clap::Parser;

use crate::dataset::{Backend, Dataset, Fingerprint};
use crate::measures::{Options, Target};
use crate::results::Results;
use crate::server::Server;

#[derive(Debug, Parser)]
#[command(name = "confreports-bench", about = "Benchmarks of confreports against the databases' own tools")]
struct Args {
    /// Events to generate.
    #[arg(long, env = "BENCH_ROWS", default_value_t = DEFAULT_ROWS)]
    rows: u64,
    /// PostgreSQL server, as the URL of a database to connect to for creating the bench database.
    #[arg(long, env = "BENCH_PG_URL", default_value = "postgres://postgres@127.0.0.1:5432/postgres")]
    pg_url: String,
    /// Name of the PostgreSQL database the benchmark drops and creates (default:
    /// `confreports_bench_<size>`, `confreports_bench_1m` for 1M events).
    #[arg(long, env = "BENCH_PG_DATABASE")]
    pg_database: Option<String>,
    /// Backends to measure.
    #[arg(long, value_enum, value_delimiter = ',', default_values = ["sqlite", "postgres"])]
    backends: Vec<Backend>,
    /// Measures to run.
    #[arg(long, value_enum, value_delimiter = ',', default_values = ["depth", "export", "dashboard", "search", "ingest", "throughput", "delete", "range"])]
    measures: Vec<measures::Name>,
    /// Requests of the depth measure (half page 1, half page 10,000).
    #[arg(long, default_value_t = 200)]
    depth_requests: usize,
    /// Timed repetitions of each export, server and tool alternating.
    #[arg(long, default_value_t = 5)]
    export_reps: usize,
    /// Timed requests of the dashboard measure, after a warm-up.
    #[arg(long, default_value_t = 20)]
    dashboard_requests: usize,
    /// Timed requests of each search query (list page and count), after a warm-up.
    #[arg(long, default_value_t = 20)]
    search_requests: usize,
    /// Events the ingest measure pushes through the API (and the tool loads) per repetition.
    #[arg(long, default_value_t = 100_000)]
    ingest_rows: u64,
    /// Repetitions of the ingest measure, server and tool alternating (each into fresh databases).
    #[arg(long, default_value_t = 5)]
    ingest_reps: usize,
    /// Seconds of each load run of the throughput measure (wrk on the server, pgbench).
    #[arg(long, default_value_t = 5)]
    throughput_secs: u32,
    /// Load runs of each side of the throughput measure, server and pgbench alternating.
    #[arg(long, default_value_t = 5)]
    throughput_reps: usize,
    /// Repetitions of each side of the delete measure, server and tool alternating, each on a
    /// fresh copy of the dataset.
    #[arg(long, default_value_t = 5)]
    delete_reps: usize,
    /// Size of the range measure's recording file, in MiB.
    #[arg(long, default_value_t = 1024)]
    range_file_mib: u64,
    /// Full GETs of the recording on each side of the range measure, server and nginx alternating.
    #[arg(long, default_value_t = 5)]
    range_reps: usize,
    /// Random 1 MiB range requests on each side per repetition of the range measure.
    #[arg(long, default_value_t = 40)]
    range_requests: usize,
    /// Rewrite the results file whole, instead of keeping the figures of measures not run now.
    #[arg(long)]
    replace_results: bool,
    /// Generate the data even when a matching dataset exists.
    #[arg(long)]
    regenerate: bool,
    /// Seed of the generator.
    #[arg(long, default_value_t = 20261101)]
    seed: u64,
    /// The server binary (default: `confreports` next to this binary).
    #[arg(long)]
    server: Option<PathBuf>,
    /// Scratch directory for the SQLite dataset, server data and logs (default:
    /// bench/work/<size>, bench/work/1M for 1M events): each size keeps its datasets.
    #[arg(long)]
    work_dir: Option<PathBuf>,
    /// Where to write the results (default: bench/results.md for 1M events, else
    /// bench/results-<size>.md: bench/results-10M.md).
    #[arg(long)]
    results: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Cmd>,
}

#[derive(Debug, clap::Subcommand)]
enum Cmd {
    /// A bounded mixed load for a fixed time on each database, watching the server's memory and
    /// file descriptors (make soak).
    Soak(soak::SoakArgs),
}

/// A progress line on stderr, stamped with the time since start.
pub fn log(msg: &str) {
    use std::sync::OnceLock;
    static START: OnceLock<Instant> = OnceLock::new();
    let t = START.get_or_init(Instant::now).elapsed().as_secs_f64();
    eprintln!("bench [{t:7.1}s] {msg}");
}

/// Events generated unless `BENCH_ROWS` says otherwise.
const DEFAULT_ROWS: u64 = 1_000_000;

/// A dataset size as it names files: `1M`, `10M`, `250k`, or the number itself.
fn size_label(rows: u64) -> String {
    match rows {
        r if r % 1_000_000 == 0 => format!("{}M", r / 1_000_000),
        r if r % 1_000 == 0 => format!("{}k", r / 1_000),
        r => r.to_string(),
    }
}

fn workspace_root() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    root.canonicalize().unwrap_or(root)
}

fn main() -> ExitCode {
    log("start");
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("bench: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Signs up the bench administrator when the server
/// has sign-in, starts the server and signs in.
fn start_server(
    bin: &Path,
    dataset: &Dataset,
    work: &Path,
    agent: &ureq::Agent,
) -> anyhow::Result<(Server, Option<String>)> {
    let name = dataset.backend.name();
    let key = name.to_lowercase();
    let data_dir = server::data_dir(work, &key);
    std::fs::create_dir_all(&data_dir)?;
    let credentials = auth::provision(bin, &dataset.url, &data_dir)?;
    log(&format!("{name}: starting the server"));
    let server = Server::start(bin, &dataset.url, work, &key)?;
    log(&format!("{name}: server pid {} on {}", server.pid, server.base));
    let cookie = match &credentials {
        Some(c) => {
            let cookie = auth::sign_in(agent, &server.base, c)?;
            log(&format!("{name}: signed in as `{}`", c.login));
            Some(cookie)
        }
        None => None,
    };
    Ok((server, cookie))
}

/// The results file while a run goes on: written again after each measure, so that a run
/// stopped midway keeps what it measured.
struct ResultsFile<'a> {
    path: &'a Path,
    /// `--replace-results`: this run's figures alone.
    replace: bool,
    /// The (measure, backend) pairs run so far.
    done: Vec<(&'static str, &'static str)>,
}

impl ResultsFile<'_> {
    /// Runs one measure on one backend (`name`): logs it and how long it took, records its
    /// failure, and writes the file.
    fn measure(
        &mut self,
        results: &mut Results,
        name: &'static str,
        measure: &'static str,
        run: impl FnOnce(&mut Results) -> anyhow::Result<()>,
    ) {
        log(&format!("{name}: {measure}"));
        let started = Instant::now();
        if let Err(e) = run(results) {
            log(&format!("{name}: {measure} failed: {e:#}"));
            results.failures.push(format!("{name}: {measure}: {e:#}"));
        }
        log(&format!("{name}: {measure} took {:.1} s", started.elapsed().as_secs_f64()));
        self.done.push((measure, name));
        let written = if self.replace {
            results.write_markdown(self.path)
        } else {
            results.write_markdown_replacing(self.path, &self.done)
        };
        if let Err(e) = written {
            log(&format!("writing {}: {e:#}", self.path.display()));
        }
    }
}

/// Runs everything; `Ok(false)` when some measure could not be run (the others still are).
fn run() -> anyhow::Result<bool> {
    let args = Args::parse();
    if let Some(Cmd::Soak(soak)) = &args.command {
        return soak::run(soak);
    }
    ensure!(args.rows > 0, "BENCH_ROWS must be positive");
    ensure!(!args.backends.is_empty() && !args.measures.is_empty(), "nothing to measure");
    let root = workspace_root();
    let size = size_label(args.rows);
    let work = args.work_dir.clone().unwrap_or_else(|| root.join("bench/work").join(&size));
    std::fs::create_dir_all(&work).with_context(|| format!("creating {}", work.display()))?;
    let results_path = args.results.clone().unwrap_or_else(|| {
        root.join(if args.rows == DEFAULT_ROWS {
            "bench/results.md".to_owned()
        } else {
            format!("bench/results-{size}.md")
        })
    });
    let pg_database = args.pg_database.clone().unwrap_or_else(|| format!("confreports_bench_{}", size.to_lowercase()));
    let server_bin = match &args.server {
        Some(p) => p.clone(),
        None => std::env::current_exe()?.with_file_name("confreports"),
    };
    ensure!(
        server_bin.is_file(),
        "no server binary at {}; build it first: cargo build --release -p confreports",
        server_bin.display()
    );

    let options = Options {
        depth_requests: args.depth_requests,
        export_reps: args.export_reps,
        dashboard_requests: args.dashboard_requests,
        search_requests: args.search_requests,
        ingest_rows: args.ingest_rows,
        ingest_reps: args.ingest_reps,
        throughput_secs: args.throughput_secs,
        throughput_reps: args.throughput_reps,
        delete_reps: args.delete_reps,
        range_file_mib: args.range_file_mib,
        range_reps: args.range_reps,
        range_requests: args.range_requests,
        seed: args.seed,
        server_bin: server_bin.clone(),
        work: work.clone(),
        pg_url: args.pg_url.clone(),
    };
    let (alone, with_dataset): (Vec<_>, Vec<_>) =
        args.measures.iter().map(|n| measures::by_name(*n)).partition(|m| m.standalone());
    let (copies, shared): (Vec<_>, Vec<_>) = with_dataset.into_iter().partition(|m| m.on_copies());

    let mut datasets: Vec<Dataset> = Vec::new();
    if !shared.is_empty() || !copies.is_empty() {
        let fp = Fingerprint { seed: args.seed, rows: args.rows, schema: dataset::schema_hash(&root)? };
        // The SQLite dataset is always made: PostgreSQL's is copied from it.
        let sqlite = dataset::prepare_sqlite(&work, &fp, args.regenerate)?;
        if args.backends.contains(&Backend::Sqlite) {
            datasets.push(sqlite.clone());
        }
        if args.backends.contains(&Backend::Postgres) {
            datasets.push(dataset::prepare_postgres(&work, &args.pg_url, &pg_database, &sqlite, &fp, args.regenerate)?);
        }
    }

    let mut results = Results { machine: machine::describe(args.rows, &datasets, &root), ..Results::default() };
    let mut file = ResultsFile { path: &results_path, replace: args.replace_results, done: Vec::new() };
    // Measures that make their own databases: no dataset, no shared server.
    for backend in &args.backends {
        let name = backend.name();
        for measure in &alone {
            file.measure(&mut results, name, measure.name(), |results| measure.run_alone(*backend, &options, results));
        }
    }
    for dataset in &datasets {
        let name = dataset.backend.name();
        // Back to the generated rows: servers of earlier runs logged sign-ins and the like.
        match dataset.reset(args.rows) {
            Ok(0) => {}
            Ok(removed) => log(&format!("{name}: removed {removed} events logged by earlier runs")),
            Err(e) => {
                log(&format!("{name}: reset: {e:#}"));
                results.failures.push(format!("{name}: reset: {e:#}"));
                continue;
            }
        }
        // Measures on copies first: nothing may be connected to the database while it is copied.
        for measure in &copies {
            file.measure(&mut results, name, measure.name(), |results| {
                measure.run_on_copies(dataset, &options, results)
            });
        }
        if shared.is_empty() {
            continue;
        }
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(Duration::from_secs(10)))
            .build()
            .into();
        let (server, cookie) = match start_server(&server_bin, dataset, &work, &agent) {
            Ok(s) => s,
            Err(e) => {
                log(&format!("{name}: server: {e:#}"));
                results.failures.push(format!("{name}: server: {e:#}"));
                continue;
            }
        };
        let target = Target { dataset, server: &server, agent, cookie, options: &options };
        for measure in &shared {
            file.measure(&mut results, name, measure.name(), |results| measure.run(&target, results));
        }
    }

    results.machine.push(("load average after measuring".into(), machine::load_average()));
    println!("{}", results.table());
    for f in &results.failures {
        println!("FAILED: {f}");
    }
    let ran: Vec<&str> = args.measures.iter().map(|n| measures::by_name(*n).name()).collect();
    if args.replace_results {
        results.write_markdown(&results_path)?;
    } else {
        let backends: Vec<&str> = args.backends.iter().map(|b| b.name()).collect();
        results.write_markdown_keeping(&results_path, &ran, &backends)?;
    }
    log(&format!("results written to {}", results_path.display()));
    Ok(results.failures.is_empty())
}

#[cfg(test)]
mod tests {
    use super::size_label;

    #[test]
    fn sizes_name_their_files() {
        assert_eq!(size_label(1_000_000), "1M");
        assert_eq!(size_label(10_000_000), "10M");
        assert_eq!(size_label(250_000), "250k");
        assert_eq!(size_label(1_234), "1234");
    }
}
