//! `confreports-bench soak`: a bounded mixed load on loopback for a fixed time, on each
//! database, watching the server process for leaks.
//!
//! For each backend: a fresh database (a SQLite file in a scratch directory, or a PostgreSQL
//! database `confreports_soak_<random>` dropped afterwards), `confreports demo` data, a
//! read-only administrator `soak` (signed in: a session cookie), two OAuth applications (every
//! `:read` scope; `ingest`), a recording announced through `POST /api/v1/ingest` and its file
//! uploaded through `PUT /api/v1/ingest/recordings/{id}/media`. Then `--threads` clients, each
//! paced to its share of `--rate`, run a weighted mix: filtered first pages and the pages after
//! them, counts, item lookups (and a lookup of an id that does not exist: 404), the dashboard,
//! ingest batches of new events with unique ids, CSV exports read to the end or abandoned after
//! their first bytes (at most one export in flight per principal: the server allows two), random
//! `Range:` requests checked byte for byte (and an unsatisfiable one: 416), and token requests
//! as tokens age.
//!
//! Every 5 s the server's RSS (`VmRSS`) and open file descriptors (`/proc/PID/fd`) are sampled
//! with the requests done and the errors. An error is a transport failure or a status other than
//! the one expected (a 429 is counted apart, and is an error too: the load stays under every
//! limit). Verdict, per backend:
//! - no error at all, and every acknowledged ingested event counted afterwards by the API;
//! - descriptors: with the load stopped and the clients gone, back within
//!   [`FD_SLACK`] of the count before the load started;
//! - memory (runs of at least [`MEMORY_MIN_SECS`] s; shorter runs say it was not applied): over
//!   the samples after the warm-up (the first half of the run), the least-squares RSS slope times
//!   that span is at most [`MAX_TREND_MIB`] MiB, and the largest RSS of the last half of them is
//!   at most [`MAX_STEP_MIB`] MiB above the largest of the first half of them.
//!
//! The warm-up is long because the server's memory settles slowly under this load: the 16
//! pooled SQLite connections each fill a page cache (512 KiB, `SQLITE_CACHE_KIB` in the store)
//! as the database grows, and the allocator's arenas (jemalloc: up to four per core, the
//! threads spread over them) reach the sizes this mix needs. A cache levels off; a leak does
//! not. Before the load and after it, the figures are printed too.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, ensure};
use chrono::{Days, Utc};
use confreports_store::DbUrl;
use confreports_types::events::EventType;
use confreports_types::ingest::{EventRecord, IngestRecord};
use diesel::connection::SimpleConnection as _;
use rand::rngs::SmallRng;
use rand::{Rng as _, RngCore as _, SeedableRng as _};

use crate::auth;
use crate::dataset::{self, Backend};
use crate::server::{Server, rss_bytes};

/// Descriptors the idle server may hold above its count before the load.
pub const FD_SLACK: i64 = 4;
/// Shortest run whose memory trend is judged: at 120 operations/s SQLite's page caches were
/// still filling at 300 s (a 300 s run ended +14 MiB over its second half) and flat from about
/// 340 s on.
pub const MEMORY_MIN_SECS: f64 = 600.0;
/// Largest RSS growth over the post-warm-up span by the least-squares trend.
pub const MAX_TREND_MIB: f64 = 8.0;
/// Largest step of the RSS peak from the first to the second half of the samples after the
/// warm-up.
pub const MAX_STEP_MIB: f64 = 16.0;
/// Share of the run that is warm-up.
const WARM_UP: f64 = 0.5;
/// Tokens are fetched anew once this old (the server issues them for 60..=900 s).
const TOKEN_REFRESH: Duration = Duration::from_secs(45);

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Databases {
    Sqlite,
    Postgres,
    Both,
}

#[derive(Debug, clap::Args)]
pub struct SoakArgs {
    /// The databases to soak, one after the other.
    #[arg(long, value_enum, env = "SOAK_DATABASE", default_value = "both")]
    database: Databases,
    /// How long the load runs on each database (`600s`, `10m`, `45`).
    #[arg(long, env = "SOAK_DURATION", default_value = "600s", value_parser = parse_duration)]
    duration: Duration,
    /// The server binary (default: `confreports` next to this binary).
    #[arg(long)]
    server: Option<PathBuf>,
    /// Client threads (the fixed concurrency).
    #[arg(long, default_value_t = 8)]
    threads: usize,
    /// Target rate of operations over all threads, per second (an operation is one request, or a
    /// first page and up to three pages after it; 0: as fast as the threads go).
    #[arg(long, default_value_t = 120)]
    rate: u32,
    /// Size of the uploaded recording, in MiB.
    #[arg(long, default_value_t = 64)]
    recording_mib: usize,
    /// Events per ingest batch.
    #[arg(long, default_value_t = 20)]
    ingest_batch: usize,
    /// Seconds between samples of the server process.
    #[arg(long, default_value_t = 5)]
    sample_secs: u64,
    /// Days of demo data.
    #[arg(long, default_value_t = 30)]
    demo_days: u32,
    /// Users of the demo data.
    #[arg(long, default_value_t = 100)]
    demo_users: u32,
    /// PostgreSQL server, as the URL of a database to connect to for creating the soak database.
    #[arg(long, env = "BENCH_PG_URL", default_value = "postgres://postgres@127.0.0.1:5432/postgres")]
    pg_url: String,
    /// Keep the scratch directory (server logs, SQLite database) and the PostgreSQL database.
    #[arg(long)]
    keep: bool,
    /// Operations left out of the mix (to find which one a leak follows).
    #[arg(long, value_enum, value_delimiter = ',')]
    skip: Vec<Op>,
    /// Seed of the clients' choices.
    #[arg(long, default_value_t = 20261125)]
    seed: u64,
}

/// `600s`, `10m`, `1h`, `45` (seconds).
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let (num, unit) = match s.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => s.split_at(i),
        None => (s, "s"),
    };
    let n: u64 = num.parse().map_err(|_| format!("`{s}`: expected a number of seconds, e.g. 600s or 10m"))?;
    let secs = match unit.trim() {
        "s" | "" => n,
        "m" | "min" => n * 60,
        "h" => n * 3600,
        other => return Err(format!("`{s}`: unknown unit `{other}` (s, m or h)")),
    };
    if secs == 0 {
        return Err("the duration must be positive".into());
    }
    Ok(Duration::from_secs(secs))
}

/// Runs the soak on the chosen databases; `Ok(false)` when one of them failed its verdict.
pub fn run(args: &SoakArgs) -> anyhow::Result<bool> {
    ensure!(args.threads > 0, "--threads must be positive");
    ensure!(args.recording_mib > 0, "--recording-mib must be positive");
    ensure!((1..=1000).contains(&args.ingest_batch), "--ingest-batch must be 1..=1000");
    if !args.skip.is_empty() {
        crate::log(&format!("soak: left out of the mix: {:?}", args.skip));
    }
    let bin = match &args.server {
        Some(p) => p.clone(),
        None => std::env::current_exe()?.with_file_name("confreports"),
    };
    ensure!(
        bin.is_file(),
        "no server binary at {}; build it first: cargo build --release -p confreports",
        bin.display()
    );
    let backends = match args.database {
        Databases::Sqlite => vec![Backend::Sqlite],
        Databases::Postgres => vec![Backend::Postgres],
        Databases::Both => vec![Backend::Sqlite, Backend::Postgres],
    };
    let mut summaries = Vec::new();
    let mut passed = true;
    for backend in backends {
        match soak_one(args, &bin, backend) {
            Ok(outcome) => {
                passed &= outcome.failures.is_empty();
                summaries.push(outcome.summary());
            }
            Err(e) => {
                passed = false;
                summaries.push(format!("{}: could not run: {e:#}", backend.name()));
            }
        }
    }
    println!(
        "\nsoak summary ({} client threads, {})",
        args.threads,
        if args.rate == 0 { "unpaced".to_owned() } else { format!("{} operations/s", args.rate) },
    );
    for s in &summaries {
        println!("{s}");
    }
    println!("soak: {}", if passed { "PASSED" } else { "FAILED" });
    Ok(passed)
}

fn random_suffix() -> String {
    let mut rng = rand::rng();
    (0..8).map(|_| char::from(b"abcdefghijklmnopqrstuvwxyz0123456789"[rng.random_range(0..36)])).collect()
}

/// A fresh PostgreSQL database, dropped on drop unless kept.
struct PgDatabase {
    admin_url: String,
    name: String,
    keep: bool,
}

impl PgDatabase {
    fn create(admin_url: &str, name: &str, keep: bool) -> anyhow::Result<(PgDatabase, String)> {
        let mut admin = DbUrl::parse(admin_url)?.connect().with_context(|| format!("connecting to {admin_url}"))?;
        admin.batch_execute(&format!("CREATE DATABASE {name}"))?;
        let db = PgDatabase { admin_url: admin_url.to_owned(), name: name.to_owned(), keep };
        Ok((db, dataset::database_url(admin_url, name)?))
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        if self.keep {
            crate::log(&format!("soak: kept the PostgreSQL database {}", self.name));
            return;
        }
        let dropped = DbUrl::parse(&self.admin_url)
            .map_err(anyhow::Error::from)
            .and_then(|u| Ok(u.connect()?))
            .and_then(|mut c| Ok(c.batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name))?));
        if let Err(e) = dropped {
            crate::log(&format!("soak: database {} not dropped: {e:#}", self.name));
        }
    }
}

/// The scratch directory, removed on drop unless kept.
struct Scratch {
    dir: PathBuf,
    keep: bool,
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if self.keep {
            crate::log(&format!("soak: kept {}", self.dir.display()));
        } else {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

fn cli(bin: &Path, url: &str, data_dir: &Path, args: &[&str]) -> anyhow::Result<std::process::Output> {
    Command::new(bin)
        .arg("--database-url")
        .arg(url)
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .env_remove("DATABASE_URL")
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("running {}", bin.display()))
}

/// An OAuth application: its credentials and the current token.
struct App {
    client_id: String,
    secret: String,
    token: Mutex<(String, Instant)>,
}

impl App {
    fn create(bin: &Path, url: &str, data_dir: &Path, name: &str, scopes: &[&str]) -> anyhow::Result<App> {
        let mut args = vec!["app", "create", "--name", name, "--json"];
        for s in scopes {
            args.extend(["--scope", s]);
        }
        let out = cli(bin, url, data_dir, &args)?;
        ensure!(out.status.success(), "confreports app create: {}", String::from_utf8_lossy(&out.stderr));
        let app: serde_json::Value = serde_json::from_slice(&out.stdout).context("the JSON of app create")?;
        Ok(App {
            client_id: app["client_id"].as_str().context("no client_id")?.to_owned(),
            secret: app["client_secret"].as_str().context("no client_secret")?.to_owned(),
            token: Mutex::new((String::new(), Instant::now())),
        })
    }

    /// `POST /oauth2/token`; the `Authorization` header value.
    fn fetch(&self, agent: &ureq::Agent, base: &str) -> anyhow::Result<String> {
        let url = format!("{base}/oauth2/token");
        let mut res = agent
            .post(&url)
            .send_form([
                ("grant_type", "client_credentials"),
                ("client_id", self.client_id.as_str()),
                ("client_secret", self.secret.as_str()),
            ])
            .with_context(|| format!("POST {url}"))?;
        let status = res.status();
        let body: serde_json::Value = res.body_mut().read_json().unwrap_or(serde_json::Value::Null);
        ensure!(status == 200, "token request: {status} {body}");
        Ok(format!("Bearer {}", body["access_token"].as_str().context("no access_token")?))
    }
}

/// Counters shared by the clients and the sampler.
#[derive(Default)]
struct Stats {
    requests: AtomicU64,
    errors: AtomicU64,
    throttled: AtomicU64,
    /// Events the server acknowledged (`accepted`).
    ingested: AtomicU64,
    duplicates: AtomicU64,
    bytes: AtomicU64,
    ops: [AtomicU64; OPS.len()],
    /// The first errors, for the report.
    first_errors: Mutex<Vec<String>>,
}

impl Stats {
    fn error(&self, what: String) {
        self.errors.fetch_add(1, Ordering::Relaxed);
        let mut first = self.first_errors.lock().unwrap_or_else(|e| e.into_inner());
        if first.len() < 20 {
            crate::log(&format!("soak: error: {what}"));
            first.push(what);
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Op {
    Pages,
    Count,
    Item,
    Missing,
    Dashboard,
    Ingest,
    Range,
    BadRange,
    Export,
    AbandonedExport,
}

/// The mix: each operation and its weight.
const OPS: [(Op, u32); 10] = [
    (Op::Pages, 22),
    (Op::Count, 10),
    (Op::Item, 14),
    (Op::Missing, 2),
    (Op::Dashboard, 5),
    (Op::Ingest, 12),
    (Op::Range, 24),
    (Op::BadRange, 1),
    (Op::Export, 6),
    (Op::AbandonedExport, 4),
];

fn op_name(op: Op) -> &'static str {
    match op {
        Op::Pages => "pages",
        Op::Count => "counts",
        Op::Item => "item lookups",
        Op::Missing => "missing items (404)",
        Op::Dashboard => "dashboards",
        Op::Ingest => "ingest batches",
        Op::Range => "ranges",
        Op::BadRange => "unsatisfiable ranges (416)",
        Op::Export => "exports read whole",
        Op::AbandonedExport => "exports abandoned",
    }
}

/// What the clients share: the server, the principals, the recording, the values filters use.
struct Fixture {
    base: String,
    cookie: String,
    reader: App,
    ingest: App,
    recording_id: i64,
    recording: Vec<u8>,
    users: Vec<String>,
    /// Per report: ids of items seen on the first pages.
    items: Vec<(&'static str, Vec<String>)>,
    /// The user id of the ingested events (one per run).
    ingest_user: String,
    run_id: String,
    /// One export in flight per principal (session, reader application).
    exporting: [AtomicBool; 2],
    today: chrono::NaiveDate,
}

const REPORTS: [&str; 7] = ["events", "calls", "chat-messages", "config-changes", "recordings", "endpoints", "users"];
const EXPORTS: [&str; 6] = ["events", "calls", "chat-messages", "config-changes", "recordings", "endpoints"];

/// Percent-encodes a query value or path segment.
fn enc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_connect(Some(Duration::from_secs(10)))
        .timeout_global(Some(Duration::from_secs(120)))
        .build()
        .into()
}

/// One sample of the server process.
#[derive(Debug, Clone, Copy)]
struct Sample {
    t: f64,
    requests: u64,
    errors: u64,
    throttled: u64,
    rss: u64,
    fds: i64,
}

fn fd_count(pid: u32) -> anyhow::Result<i64> {
    Ok(std::fs::read_dir(format!("/proc/{pid}/fd"))?.count() as i64)
}

/// What one backend's soak gave.
struct Outcome {
    backend: Backend,
    secs: f64,
    samples: Vec<Sample>,
    requests: u64,
    errors: u64,
    throttled: u64,
    ingested: u64,
    counted: Option<u64>,
    fds_before: i64,
    fds_after: i64,
    rss_before: u64,
    rss_after: u64,
    ops: Vec<(Op, u64)>,
    memory: String,
    failures: Vec<String>,
    first_errors: Vec<String>,
}

fn mib(b: u64) -> f64 {
    b as f64 / (1024.0 * 1024.0)
}

impl Outcome {
    fn summary(&self) -> String {
        let name = self.backend.name();
        let rss_max = self.samples.iter().map(|s| s.rss).max().unwrap_or(0);
        let fds_max = self.samples.iter().map(|s| s.fds).max().unwrap_or(0);
        let mut s = format!(
            "{name}: {} requests in {:.0} s ({:.1} req/s), {} errors, {} throttled (429); {} events ingested, {} counted; \
             RSS before/after/max {:.1}/{:.1}/{:.1} MiB; fds before/after/max {}/{}/{}\n  mix: {}\n  memory: {}\n  {name}: {}",
            self.requests,
            self.secs,
            self.requests as f64 / self.secs.max(1e-9),
            self.errors,
            self.throttled,
            self.ingested,
            self.counted.map_or("not".into(), |c| c.to_string()),
            mib(self.rss_before),
            mib(self.rss_after),
            mib(rss_max),
            self.fds_before,
            self.fds_after,
            fds_max,
            self.ops.iter().map(|(op, n)| format!("{} {n}", op_name(*op))).collect::<Vec<_>>().join(", "),
            self.memory,
            if self.failures.is_empty() {
                "PASSED".to_owned()
            } else {
                format!("FAILED: {}", self.failures.join("; "))
            },
        );
        for e in &self.first_errors {
            s.push_str(&format!("\n  error: {e}"));
        }
        s
    }
}

/// Least-squares slope of `y` over `x`.
fn slope(points: &[(f64, f64)]) -> f64 {
    let n = points.len() as f64;
    if points.len() < 2 {
        return 0.0;
    }
    let (mx, my) = (points.iter().map(|p| p.0).sum::<f64>() / n, points.iter().map(|p| p.1).sum::<f64>() / n);
    let sxx: f64 = points.iter().map(|p| (p.0 - mx).powi(2)).sum();
    let sxy: f64 = points.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    if sxx == 0.0 { 0.0 } else { sxy / sxx }
}

/// The memory verdict over the samples: `Ok(figures)` or `Err(why)`; `None` when the run is too
/// short to judge.
fn memory_verdict(samples: &[Sample], secs: f64) -> Option<Result<String, String>> {
    if secs < MEMORY_MIN_SECS {
        return None;
    }
    let after: Vec<&Sample> = samples.iter().filter(|s| s.t >= WARM_UP * secs).collect();
    if after.len() < 4 {
        return Some(Err(format!("only {} samples after the warm-up", after.len())));
    }
    let points: Vec<(f64, f64)> = after.iter().map(|s| (s.t, mib(s.rss))).collect();
    let span = points[points.len() - 1].0 - points[0].0;
    let trend = slope(&points) * span;
    let half = after.len() / 2;
    let first = after[..half].iter().map(|s| s.rss).max().unwrap_or(0);
    let last = after[half..].iter().map(|s| s.rss).max().unwrap_or(0);
    let step = mib(last) - mib(first);
    let figures = format!(
        "trend {trend:+.1} MiB over the {span:.0} s after the warm-up (limit {MAX_TREND_MIB}), \
         peak of the last half {:.1} MiB vs first half {:.1} MiB ({step:+.1}, limit +{MAX_STEP_MIB})",
        mib(last),
        mib(first)
    );
    Some(if trend <= MAX_TREND_MIB && step <= MAX_STEP_MIB { Ok(figures) } else { Err(figures) })
}

/// The recording's bytes: the EBML magic, then pseudo-random bytes.
fn recording_bytes(mib_size: usize, seed: u64) -> Vec<u8> {
    let mut data = vec![0u8; mib_size << 20];
    SmallRng::seed_from_u64(seed).fill_bytes(&mut data);
    data[..4].copy_from_slice(&confreports_store::recordings::ebml::MAGIC);
    data
}

fn soak_one(args: &SoakArgs, bin: &Path, backend: Backend) -> anyhow::Result<Outcome> {
    let name = backend.name();
    let run_id = random_suffix();
    let dir = std::env::temp_dir().join(format!("confreports-soak-{run_id}"));
    std::fs::create_dir_all(&dir)?;
    // Kept (with the server's log) unless the soak passes.
    let mut scratch = Scratch { dir: dir.clone(), keep: true };
    let mut _pg = None;
    let url = match backend {
        Backend::Sqlite => format!("sqlite://{}", dir.join("confreports.db").display()),
        Backend::Postgres => {
            let db_name = format!("confreports_soak_{run_id}");
            let (db, url) = PgDatabase::create(&args.pg_url, &db_name, args.keep)?;
            crate::log(&format!("{name}: database {db_name}"));
            _pg = Some(db);
            url
        }
    };
    let key = name.to_lowercase();
    let data_dir = crate::server::data_dir(&dir, &key);
    std::fs::create_dir_all(&data_dir)?;

    crate::log(&format!("{name}: demo data ({} days, {} users)", args.demo_days, args.demo_users));
    let days = args.demo_days.to_string();
    let users = args.demo_users.to_string();
    let out = cli(bin, &url, &data_dir, &["demo", "--days", &days, "--users", &users])?;
    ensure!(out.status.success(), "confreports demo: {}", String::from_utf8_lossy(&out.stderr));
    let credentials = auth::provision_as(bin, &url, &data_dir, "soak", "security")?
        .context("the server binary has no `admin` subcommand")?;
    let read_scopes = [
        "events:read",
        "calls:read",
        "chat:read",
        "config:read",
        "recordings:read",
        "endpoints:read",
        "users:read",
        "dashboard:read",
    ];
    let reader = App::create(bin, &url, &data_dir, "soak-reader", &read_scopes)?;
    let ingest = App::create(bin, &url, &data_dir, "soak-ingest", &["ingest"])?;

    let server = Server::start_with_env(bin, &url, &dir, &key, &[])?;
    let server_log = server.log.clone();
    crate::log(&format!("{name}: server pid {} on {} (log {})", server.pid, server.base, server.log.display()));
    let fixture = setup(args, &server, credentials, reader, ingest, run_id)?;

    // Idle figures before the load: no client connection is open.
    std::thread::sleep(Duration::from_secs(1));
    let fds_before = fd_count(server.pid)?;
    let rss_before = rss_bytes(server.pid)?;
    crate::log(&format!(
        "{name}: before the load: RSS {:.1} MiB, {fds_before} fds; {} threads, {} for {} s",
        mib(rss_before),
        args.threads,
        if args.rate == 0 { "unpaced".to_owned() } else { format!("{} operations/s", args.rate) },
        args.duration.as_secs()
    ));

    let stats = Stats::default();
    let started = Instant::now();
    let deadline = started + args.duration;
    let samples = std::thread::scope(|scope| -> anyhow::Result<Vec<Sample>> {
        for t in 0..args.threads {
            let (fixture, stats) = (&fixture, &stats);
            let seed = args.seed ^ (t as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
            let plan = Plan {
                interval: (args.rate > 0).then(|| Duration::from_secs_f64(args.threads as f64 / f64::from(args.rate))),
                batch: args.ingest_batch,
                deadline,
                mix: OPS.iter().map(|&(op, w)| (op, if args.skip.contains(&op) { 0 } else { w })).collect(),
            };
            scope.spawn(move || client(fixture, stats, t, seed, plan));
        }
        sample_loop(&server, &stats, started, deadline, Duration::from_secs(args.sample_secs.max(1)), name)
    })?;
    let secs = started.elapsed().as_secs_f64();

    // The clients are gone: the server should let go of their connections.
    let settle = Instant::now();
    let mut fds_after = fd_count(server.pid)?;
    while fds_after > fds_before + FD_SLACK && settle.elapsed() < Duration::from_secs(15) {
        std::thread::sleep(Duration::from_millis(250));
        fds_after = fd_count(server.pid)?;
    }
    let rss_after = rss_bytes(server.pid)?;
    let ingested = stats.ingested.load(Ordering::Relaxed);
    let counted =
        count_ingested(&fixture).map_err(|e| stats.error(format!("counting the ingested events: {e:#}"))).ok();

    let mut failures = Vec::new();
    let errors = stats.errors.load(Ordering::Relaxed);
    let throttled = stats.throttled.load(Ordering::Relaxed);
    if errors > 0 {
        failures.push(format!("{errors} errors ({throttled} of them 429)"));
    }
    let duplicates = stats.duplicates.load(Ordering::Relaxed);
    if duplicates > 0 {
        failures.push(format!("{duplicates} ingested events reported as duplicates"));
    }
    match counted {
        Some(c) if c == ingested => {}
        Some(c) => failures.push(format!("{ingested} events acknowledged, {c} counted")),
        None => failures.push("the ingested events could not be counted".into()),
    }
    if fds_after > fds_before + FD_SLACK {
        failures.push(format!("{fds_after} fds after the load, {fds_before} before (slack {FD_SLACK})"));
    }
    let memory = match memory_verdict(&samples, secs) {
        None => format!(
            "not judged: the run is shorter than {MEMORY_MIN_SECS:.0} s (RSS {:.1} MiB before, {:.1} MiB after)",
            mib(rss_before),
            mib(rss_after)
        ),
        Some(Ok(f)) => format!("flat: {f}"),
        Some(Err(f)) => {
            failures.push(format!("memory not flat: {f}"));
            format!("NOT flat: {f}")
        }
    };
    let ops = OPS.iter().zip(&stats.ops).map(|((op, _), n)| (*op, n.load(Ordering::Relaxed))).collect();
    let first_errors = stats.first_errors.lock().unwrap_or_else(|e| e.into_inner()).clone();
    drop(server);
    if failures.is_empty() {
        scratch.keep = args.keep;
    } else {
        crate::log(&format!("{name}: the server's log is {}; its warnings and errors:", server_log.display()));
        let text = std::fs::read_to_string(&server_log).unwrap_or_default();
        for l in text.lines().filter(|l| l.contains("WARN") || l.contains("ERROR")).take(20) {
            eprintln!("  {l}");
        }
    }
    Ok(Outcome {
        backend,
        secs,
        samples,
        requests: stats.requests.load(Ordering::Relaxed),
        errors: stats.errors.load(Ordering::Relaxed),
        throttled,
        ingested,
        counted,
        fds_before,
        fds_after,
        rss_before,
        rss_after,
        ops,
        memory,
        failures,
        first_errors,
    })
}

/// Samples the server until the deadline; a table line per sample (and a bar on a terminal).
fn sample_loop(
    server: &Server,
    stats: &Stats,
    started: Instant,
    deadline: Instant,
    every: Duration,
    name: &str,
) -> anyhow::Result<Vec<Sample>> {
    use std::io::IsTerminal as _;
    let total = deadline.duration_since(started).as_secs();
    let bar = std::io::stderr().is_terminal().then(|| {
        let bar = indicatif::ProgressBar::new(total);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} s")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar.set_message(format!("soak {name}"));
        bar
    });
    let line = |s: &str| match &bar {
        Some(b) => b.println(s),
        None => eprintln!("{s}"),
    };
    line(&format!(
        "{name}: {:>7} {:>8} {:>8} {:>6} {:>5} {:>8} {:>5}",
        "t s", "req/s", "requests", "errors", "429", "RSS MiB", "fds"
    ));
    let mut samples = Vec::new();
    let mut last = (0.0, 0u64);
    let mut next = started + every;
    loop {
        let now = Instant::now();
        let wake = next.min(deadline);
        if wake > now {
            std::thread::sleep(wake - now);
        }
        let t = started.elapsed().as_secs_f64();
        let sample = Sample {
            t,
            requests: stats.requests.load(Ordering::Relaxed),
            errors: stats.errors.load(Ordering::Relaxed),
            throttled: stats.throttled.load(Ordering::Relaxed),
            rss: rss_bytes(server.pid).context("the server's RSS (did it exit?)")?,
            fds: fd_count(server.pid)?,
        };
        let rate = (sample.requests - last.1) as f64 / (t - last.0).max(1e-9);
        last = (t, sample.requests);
        line(&format!(
            "{name}: {t:>7.0} {rate:>8.1} {:>8} {:>6} {:>5} {:>8.1} {:>5}",
            sample.requests,
            sample.errors,
            sample.throttled,
            mib(sample.rss),
            sample.fds
        ));
        if let Some(b) = &bar {
            b.set_position((t as u64).min(total));
        }
        samples.push(sample);
        if Instant::now() >= deadline {
            break;
        }
        next += every;
    }
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    Ok(samples)
}

/// Signs in, gets the tokens, announces and uploads the recording, and reads the values the
/// filters use.
fn setup(
    args: &SoakArgs,
    server: &Server,
    credentials: auth::Credentials,
    reader: App,
    ingest: App,
    run_id: String,
) -> anyhow::Result<Fixture> {
    let agent = agent();
    let base = server.base.clone();
    let session = auth::sign_in_session(&agent, &base, &credentials)?;
    for app in [&reader, &ingest] {
        let token = app.fetch(&agent, &base)?;
        *app.token.lock().unwrap_or_else(|e| e.into_inner()) = (token, Instant::now());
    }
    let ingest_auth = ingest.token.lock().unwrap_or_else(|e| e.into_inner()).0.clone();
    let read_auth = reader.token.lock().unwrap_or_else(|e| e.into_inner()).0.clone();

    // The recording: announced, then its file uploaded.
    let source = format!("soak-rec-{run_id}");
    let record = serde_json::json!([{
        "kind": "recording", "id": source, "session_id": format!("soak-session-{run_id}"),
        "title": "Soak recording", "owner": "soak@soak.example", "started_at": Utc::now().to_rfc3339(),
    }]);
    let mut res = agent
        .post(format!("{base}/api/v1/ingest"))
        .header("Authorization", &ingest_auth)
        .send_json(&record)
        .context("POST /api/v1/ingest (the recording)")?;
    let status = res.status();
    let body = res.body_mut().read_to_string().unwrap_or_default();
    ensure!(status == 200, "announcing the recording: {status} {body}");
    let recording = recording_bytes(args.recording_mib, args.seed);
    crate::log(&format!("soak: uploading the {} MiB recording", args.recording_mib));
    let mut res = agent
        .put(format!("{base}/api/v1/ingest/recordings/{}/media", enc(&source)))
        .header("Authorization", &ingest_auth)
        .header("Content-Type", "video/webm")
        .send(&recording[..])
        .context("PUT the recording's media")?;
    let status = res.status();
    let body = res.body_mut().read_to_string().unwrap_or_default();
    ensure!(status == 200, "uploading the recording: {status} {body}");
    let uploaded: serde_json::Value = serde_json::from_str(&body)?;
    let recording_id = uploaded["id"].as_i64().context("no id in the upload's answer")?;
    ensure!(
        uploaded["size_bytes"].as_u64() == Some(recording.len() as u64),
        "the upload's answer gives size {} for {} bytes",
        uploaded["size_bytes"],
        recording.len()
    );

    // Values for the filters and the lookups.
    let get_json = |path: &str| -> anyhow::Result<serde_json::Value> {
        let mut res = agent
            .get(format!("{base}{path}"))
            .header("Authorization", &read_auth)
            .call()
            .with_context(|| format!("GET {path}"))?;
        let status = res.status();
        let body = res.body_mut().with_config().limit(16 << 20).read_to_string()?;
        ensure!(status == 200, "GET {path}: {status} {body}");
        Ok(serde_json::from_str(&body)?)
    };
    let users: Vec<String> = get_json("/api/v1/users?limit=100")?["items"]
        .as_array()
        .context("no items")?
        .iter()
        .filter_map(|u| u["id"].as_str().map(str::to_owned))
        .collect();
    ensure!(!users.is_empty(), "the demo data has no users");
    let mut items = Vec::new();
    for report in REPORTS {
        let page = get_json(&format!("/api/v1/{report}?limit=200"))?;
        let ids: Vec<String> = page["items"]
            .as_array()
            .context("no items")?
            .iter()
            .filter_map(|i| match &i["id"] {
                serde_json::Value::String(s) => Some(s.clone()),
                serde_json::Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
            .collect();
        ensure!(!ids.is_empty(), "the demo data has no {report}");
        items.push((report, ids));
    }
    Ok(Fixture {
        base,
        cookie: session.cookie,
        reader,
        ingest,
        recording_id,
        recording,
        users,
        items,
        ingest_user: format!("soak-{run_id}@soak.example"),
        run_id,
        exporting: [AtomicBool::new(false), AtomicBool::new(false)],
        today: Utc::now().date_naive(),
    })
}

/// `GET /api/v1/events/count?user=<the ingest user>` as the reader.
fn count_ingested(f: &Fixture) -> anyhow::Result<u64> {
    let agent = agent();
    let token = f.reader.fetch(&agent, &f.base)?;
    let path = format!("/api/v1/events/count?user={}", enc(&f.ingest_user));
    let mut res = agent.get(format!("{}{path}", f.base)).header("Authorization", &token).call()?;
    let status = res.status();
    let body = res.body_mut().read_to_string()?;
    ensure!(status == 200, "GET {path}: {status} {body}");
    let v: serde_json::Value = serde_json::from_str(&body)?;
    v["count"].as_u64().context("no count")
}

/// Who a read goes as.
#[derive(Debug, Clone, Copy)]
enum Who {
    Session,
    Reader,
}

struct Client<'a> {
    f: &'a Fixture,
    stats: &'a Stats,
    agent: ureq::Agent,
    rng: SmallRng,
    thread: usize,
    seq: u64,
}

/// How a response body is consumed.
enum Read {
    /// Read whole (up to a limit) and returned.
    Whole,
    /// Read to the end, counting bytes.
    Drain,
    /// Read this many bytes, then the connection is dropped.
    Abandon(usize),
}

/// What a client thread does: its pace, the ingest batch size, when to stop, and the mix.
struct Plan {
    interval: Option<Duration>,
    batch: usize,
    deadline: Instant,
    mix: Vec<(Op, u32)>,
}

fn client(f: &Fixture, stats: &Stats, thread: usize, seed: u64, plan: Plan) {
    let Plan { interval, batch, deadline, mix } = plan;
    let mut c = Client { f, stats, agent: agent(), rng: SmallRng::seed_from_u64(seed), thread, seq: 0 };
    let total: u32 = mix.iter().map(|(_, w)| w).sum();
    if total == 0 {
        return;
    }
    let mut next = Instant::now() + Duration::from_millis(thread as u64 * 7);
    while Instant::now() < deadline {
        if let Some(interval) = interval {
            let now = Instant::now();
            if next > now {
                std::thread::sleep(next - now);
            } else if now - next > Duration::from_secs(1) {
                next = now; // behind: no catching up in a burst
            }
            next += interval;
            if Instant::now() >= deadline {
                break;
            }
        }
        let mut pick = c.rng.random_range(0..total);
        let (idx, op) = mix
            .iter()
            .enumerate()
            .find_map(|(i, (op, w))| {
                if pick < *w {
                    Some((i, *op))
                } else {
                    pick -= w;
                    None
                }
            })
            .unwrap_or((0, Op::Pages));
        let done = match op {
            Op::Pages => c.pages(),
            Op::Count => c.count(),
            Op::Item => c.item(),
            Op::Missing => c.missing(),
            Op::Dashboard => c.dashboard(),
            Op::Ingest => c.ingest(batch),
            Op::Range => c.range(),
            Op::BadRange => c.bad_range(),
            Op::Export => c.export(false),
            Op::AbandonedExport => c.export(true),
        };
        if done {
            stats.ops[idx].fetch_add(1, Ordering::Relaxed);
        }
    }
}

impl<'a> Client<'a> {
    fn who(&mut self) -> Who {
        if self.rng.random_bool(0.5) { Who::Session } else { Who::Reader }
    }

    /// The reader's or the ingest application's token, fetched anew when old.
    fn token(&mut self, app: &App) -> Option<String> {
        let mut guard = app.token.lock().unwrap_or_else(|e| e.into_inner());
        if guard.1.elapsed() > TOKEN_REFRESH {
            self.stats.requests.fetch_add(1, Ordering::Relaxed);
            match app.fetch(&self.agent, &self.f.base) {
                Ok(t) => *guard = (t, Instant::now()),
                Err(e) => {
                    self.stats.error(format!("POST /oauth2/token: {e:#}"));
                    return None;
                }
            }
        }
        Some(guard.0.clone())
    }

    /// A request: counted, its status checked; the body as asked. `None` on an error.
    fn call(
        &mut self,
        req: ureq::RequestBuilder<ureq::typestate::WithoutBody>,
        what: &str,
        expected: u16,
        read: Read,
    ) -> Option<(Vec<u8>, Option<String>)> {
        self.stats.requests.fetch_add(1, Ordering::Relaxed);
        let mut res = match req.call() {
            Ok(r) => r,
            Err(e) => {
                self.stats.error(format!("{what}: {e}"));
                return None;
            }
        };
        self.check(&mut res, what, expected, read)
    }

    fn check(
        &mut self,
        res: &mut ureq::http::Response<ureq::Body>,
        what: &str,
        expected: u16,
        read: Read,
    ) -> Option<(Vec<u8>, Option<String>)> {
        let status = res.status().as_u16();
        let header = |name: &str| res.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let content_range = header("content-range");
        if status != expected {
            if status == 429 {
                self.stats.throttled.fetch_add(1, Ordering::Relaxed);
            }
            let body = res.body_mut().with_config().limit(1 << 20).read_to_string().unwrap_or_default();
            let excerpt: String = body.chars().take(300).collect();
            self.stats.error(format!("{what}: {status} (expected {expected}) {excerpt}"));
            return None;
        }
        let result = match read {
            Read::Whole => res.body_mut().with_config().limit(64 << 20).read_to_vec().map_err(|e| e.to_string()),
            Read::Drain => {
                let mut reader = res.body_mut().with_config().limit(u64::MAX).reader();
                let mut buf = vec![0u8; 64 << 10];
                let mut n = 0usize;
                let mut last = 0u8;
                loop {
                    match reader.read(&mut buf) {
                        Ok(0) => break Ok(vec![last]),
                        Ok(k) => {
                            n += k;
                            last = buf[k - 1];
                        }
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                        Err(e) => break Err(format!("after {n} bytes: {e}")),
                    }
                }
                .map(|v| {
                    self.stats.bytes.fetch_add(n as u64, Ordering::Relaxed);
                    if n == 0 { Vec::new() } else { v }
                })
            }
            Read::Abandon(k) => {
                let mut buf = vec![0u8; k];
                let mut reader = res.body_mut().as_reader();
                match reader.read(&mut buf) {
                    Ok(got) => Ok(buf[..got].to_vec()),
                    Err(e) => Err(e.to_string()),
                }
            }
        };
        match result {
            Ok(body) => Some((body, content_range)),
            Err(e) => {
                self.stats.error(format!("{what}: reading the body: {e}"));
                None
            }
        }
    }

    fn get(&mut self, who: Who, path: &str) -> Option<ureq::RequestBuilder<ureq::typestate::WithoutBody>> {
        let req = self.agent.get(format!("{}{path}", self.f.base));
        Some(match who {
            Who::Session => req.header("Cookie", &self.f.cookie),
            Who::Reader => {
                let f = self.fixture();
                let token = self.token(&f.reader)?;
                req.header("Authorization", &token)
            }
        })
    }

    fn json(&mut self, who: Who, path: &str, expected: u16) -> Option<serde_json::Value> {
        let req = self.get(who, path)?;
        let what = format!("GET {path}");
        let (body, _) = self.call(req, &what, expected, Read::Whole)?;
        match serde_json::from_slice(&body) {
            Ok(v) => Some(v),
            Err(e) => {
                self.stats.error(format!("{what}: not JSON: {e}"));
                None
            }
        }
    }

    fn pick<'s>(&mut self, from: &'s [String]) -> &'s str {
        &from[self.rng.random_range(0..from.len())]
    }

    fn fixture(&self) -> &'a Fixture {
        self.f
    }

    fn day(&mut self, back: u64) -> String {
        self.f.today.checked_sub_days(Days::new(back)).unwrap_or(self.f.today).format("%Y-%m-%d").to_string()
    }

    /// A report, a filter query its list, count and export accept, and a sort for lists and
    /// exports (`&sort=...` or empty).
    fn filtered(&mut self, reports: &[&'static str]) -> (&'static str, String, &'static str) {
        let report = reports[self.rng.random_range(0..reports.len())];
        let f = self.fixture();
        let user = enc(self.pick(&f.users));
        let back = self.rng.random_range(2..25);
        let (from, to) = (self.day(back), self.day(back - 2));
        let (q, sort) = match (report, self.rng.random_range(0..4)) {
            ("events", 0) => ("type=login&type=logout".to_owned(), "&sort=-time"),
            ("events", 1) => (format!("user={user}"), "&sort=time"),
            ("events", 2) => (format!("success=false&from={from}&to={to}&tz=Europe%2FMoscow"), ""),
            ("events", _) => (format!("from={from}&to={to}"), "&sort=-time"),
            ("calls", 0) => (format!("owner={user}"), "&sort=-started_at"),
            ("calls", 1) => ("active=false".to_owned(), "&sort=-duration_s"),
            ("calls", 2) => (format!("from={from}&to={to}"), "&sort=participants"),
            ("calls", _) => ("recorded=true".to_owned(), ""),
            ("chat-messages", 0) => (format!("sender={user}"), ""),
            ("chat-messages", 1) => (format!("from={from}&to={to}"), "&sort=-time"),
            ("chat-messages", _) => ("q=a".to_owned(), "&sort=sender"),
            ("config-changes", 0) => ("q=a".to_owned(), "&sort=actor"),
            ("config-changes", _) => (format!("from={from}&to={to}"), ""),
            ("recordings", 0) => (format!("owner={user}"), ""),
            ("recordings", _) => ("q=a".to_owned(), "&sort=-size_bytes"),
            ("endpoints", 0) => (format!("user={user}"), ""),
            ("endpoints", _) => ("q=a".to_owned(), "&sort=-last_seen"),
            ("users", 0) => ("q=a".to_owned(), ""),
            _ => ("q=e".to_owned(), ""),
        };
        (report, q, sort)
    }

    /// A filtered first page, and sometimes the pages after it.
    fn pages(&mut self) -> bool {
        let (report, q, sort) = self.filtered(&REPORTS);
        let q = format!("{q}{sort}");
        let who = self.who();
        let limit = [10, 50, 100][self.rng.random_range(0..3)];
        let mut path = format!("/api/v1/{report}?{q}&limit={limit}");
        let more = self.rng.random_range(0..4);
        for _ in 0..=more {
            let Some(page) = self.json(who, &path, 200) else { return false };
            let Some(cursor) = page["next_cursor"].as_str() else { break };
            path = format!("/api/v1/{report}?{q}&limit={limit}&cursor={}", enc(cursor));
        }
        true
    }

    fn count(&mut self) -> bool {
        let (report, q, _) = self.filtered(&EXPORTS);
        let who = self.who();
        let path = format!("/api/v1/{report}/count?{q}");
        match self.json(who, &path, 200) {
            Some(v) if v["count"].is_u64() => true,
            Some(v) => {
                self.stats.error(format!("GET {path}: no count in {v}"));
                false
            }
            None => false,
        }
    }

    fn item(&mut self) -> bool {
        let f = self.fixture();
        let (report, ids) = &f.items[self.rng.random_range(0..f.items.len())];
        let id = enc(self.pick(ids));
        let who = self.who();
        self.json(who, &format!("/api/v1/{report}/{id}"), 200).is_some()
    }

    fn missing(&mut self) -> bool {
        let who = self.who();
        let path = if self.rng.random_bool(0.5) {
            "/api/v1/events/999999999999".to_owned()
        } else {
            format!("/api/v1/calls/soak-no-such-session-{}", self.f.run_id)
        };
        self.json(who, &path, 404).is_some()
    }

    fn dashboard(&mut self) -> bool {
        let back = self.rng.random_range(1..30);
        let (from, to) = (self.day(back), self.day(0));
        let tz = if self.rng.random_bool(0.5) { "UTC" } else { "Asia%2FYekaterinburg" };
        let who = self.who();
        self.json(who, &format!("/api/v1/dashboard?from={from}&to={to}&tz={tz}"), 200).is_some()
    }

    fn ingest(&mut self, batch: usize) -> bool {
        let f = self.fixture();
        let Some(token) = self.token(&f.ingest) else { return false };
        let now = Utc::now();
        let records: Vec<IngestRecord> = (0..batch)
            .map(|_| {
                self.seq += 1;
                let event_type = EventType::ALL[self.rng.random_range(0..EventType::ALL.len())];
                IngestRecord::Event(EventRecord {
                    id: format!("soak-{}-{}-{}", self.f.run_id, self.thread, self.seq),
                    time: now - chrono::Duration::seconds(self.rng.random_range(0..3600)),
                    event_type,
                    success: self.rng.random_bool(0.9),
                    user_id: Some(self.f.ingest_user.clone()),
                    display_name: Some("Соак Тестов".into()),
                    ip: Some(format!("10.9.{}.{}", self.thread, self.rng.random_range(1..255))),
                    entered_login: None,
                    real_user_id: None,
                    endpoint_id: Some(format!("soak-endpoint-{}", self.thread)),
                    app_name: Some("soak".into()),
                    auth_method: None,
                    user_rights: None,
                    previous_status: None,
                    new_status: None,
                    description: Some(format!("soak event {}", self.seq)),
                    admin_type: None,
                    user_agent: None,
                    users: None,
                    details: None,
                })
            })
            .collect();
        let body = match serde_json::to_vec(&records) {
            Ok(b) => b,
            Err(e) => {
                self.stats.error(format!("serialising a batch: {e}"));
                return false;
            }
        };
        self.stats.requests.fetch_add(1, Ordering::Relaxed);
        let what = "POST /api/v1/ingest";
        let sent = self
            .agent
            .post(format!("{}/api/v1/ingest", self.f.base))
            .header("Authorization", &token)
            .header("Content-Type", "application/json")
            .send(&body[..]);
        let mut res = match sent {
            Ok(r) => r,
            Err(e) => {
                self.stats.error(format!("{what}: {e}"));
                return false;
            }
        };
        let Some((body, _)) = self.check(&mut res, what, 200, Read::Whole) else { return false };
        let answer: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
        match (answer["accepted"].as_u64(), answer["duplicates"].as_u64()) {
            (Some(a), Some(d)) => {
                self.stats.ingested.fetch_add(a, Ordering::Relaxed);
                self.stats.duplicates.fetch_add(d, Ordering::Relaxed);
                if a + d != batch as u64 {
                    self.stats.error(format!("{what}: {a} accepted + {d} duplicates of {batch}"));
                }
                true
            }
            _ => {
                self.stats.error(format!("{what}: unexpected answer {answer}"));
                false
            }
        }
    }

    /// A random range of the recording (up to 1 MiB, sometimes a suffix), checked byte for byte.
    fn range(&mut self) -> bool {
        let size = self.f.recording.len() as u64;
        let len = self.rng.random_range(1..=(1u64 << 20).min(size));
        let (spec, start) = if self.rng.random_range(0..8) == 0 {
            (format!("bytes=-{len}"), size - len)
        } else {
            let start = self.rng.random_range(0..=size - len);
            (format!("bytes={start}-{}", start + len - 1), start)
        };
        let path = format!("/api/v1/recordings/{}/media", self.f.recording_id);
        let who = self.who();
        let Some(req) = self.get(who, &path) else { return false };
        let what = format!("GET {path} Range: {spec}");
        let Some((body, content_range)) = self.call(req.header("Range", &spec), &what, 206, Read::Whole) else {
            return false;
        };
        let expected_range = format!("bytes {start}-{}/{size}", start + len - 1);
        if content_range.as_deref() != Some(expected_range.as_str()) {
            self.stats.error(format!("{what}: Content-Range {content_range:?}, expected {expected_range}"));
            return false;
        }
        let (a, b) = (start as usize, (start + len) as usize);
        if body[..] != self.f.recording[a..b] {
            self.stats.error(format!("{what}: {} bytes that are not the file's", body.len()));
            return false;
        }
        self.stats.bytes.fetch_add(len, Ordering::Relaxed);
        true
    }

    fn bad_range(&mut self) -> bool {
        let size = self.f.recording.len();
        let path = format!("/api/v1/recordings/{}/media", self.f.recording_id);
        let who = self.who();
        let Some(req) = self.get(who, &path) else { return false };
        let spec = format!("bytes={size}-");
        let what = format!("GET {path} Range: {spec}");
        self.call(req.header("Range", &spec), &what, 416, Read::Drain).is_some()
    }

    /// A CSV export read to the end (header line, last byte a newline), or abandoned after its
    /// first bytes. One in flight per principal; a page read instead when both are busy.
    fn export(&mut self, abandon: bool) -> bool {
        let first = self.rng.random_range(0..2usize);
        let Some(slot) = [first, 1 - first]
            .into_iter()
            .find(|&i| self.f.exporting[i].compare_exchange(false, true, Ordering::AcqRel, Ordering::Relaxed).is_ok())
        else {
            return self.pages();
        };
        let who = if slot == 0 { Who::Session } else { Who::Reader };
        let (report, q, sort) = self.filtered(&EXPORTS);
        let delimiter = ["comma", "semicolon", "tab"][self.rng.random_range(0..3)];
        let path = format!("/api/v1/{report}/export?{q}{sort}&delimiter={delimiter}&bom=false");
        let what = format!("GET {path}");
        let ok = match self.get(who, &path) {
            None => false,
            Some(req) if abandon => self.call(req, &what, 200, Read::Abandon(4096)).is_some(),
            Some(req) => match self.call(req, &what, 200, Read::Drain) {
                Some((last, _)) if last == b"\n" => true,
                Some((last, _)) => {
                    self.stats.error(format!("{what}: the CSV does not end with a newline (last bytes {last:?})"));
                    false
                }
                None => false,
            },
        };
        self.f.exporting[slot].store(false, Ordering::Release);
        ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_with_units() {
        assert_eq!(parse_duration("600s"), Ok(Duration::from_secs(600)));
        assert_eq!(parse_duration("10m"), Ok(Duration::from_secs(600)));
        assert_eq!(parse_duration("45"), Ok(Duration::from_secs(45)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("10x").is_err());
        assert!(parse_duration("s").is_err());
    }

    fn samples(rss_mib: impl Fn(f64) -> f64, secs: f64) -> Vec<Sample> {
        (1..=(secs as usize / 5))
            .map(|i| {
                let t = i as f64 * 5.0;
                Sample { t, requests: 0, errors: 0, throttled: 0, rss: (rss_mib(t) * 1048576.0) as u64, fds: 20 }
            })
            .collect()
    }

    #[test]
    fn a_flat_rss_passes_and_a_growing_one_fails() {
        // Noise and an early step during the warm-up are fine.
        let flat = samples(|t| if t < 60.0 { 40.0 } else { 60.0 + (t / 5.0) % 3.0 }, 600.0);
        assert!(matches!(memory_verdict(&flat, 600.0), Some(Ok(_))));
        // 20 MiB over ten minutes, steadily: a leak.
        let leak = samples(|t| 60.0 + t / 30.0, 600.0);
        assert!(matches!(memory_verdict(&leak, 600.0), Some(Err(_))));
        // A late jump of 30 MiB.
        let jump = samples(|t| if t > 500.0 { 90.0 } else { 60.0 }, 600.0);
        assert!(matches!(memory_verdict(&jump, 600.0), Some(Err(_))));
        // Too short to judge.
        assert!(memory_verdict(&samples(|t| t, 45.0), 45.0).is_none());
    }

    #[test]
    fn least_squares_slope() {
        let pts: Vec<(f64, f64)> = (0..10).map(|i| (f64::from(i), 2.0 * f64::from(i) + 1.0)).collect();
        assert!((slope(&pts) - 2.0).abs() < 1e-9);
        assert_eq!(slope(&[(1.0, 1.0)]), 0.0);
    }

    #[test]
    fn encoding_keeps_unreserved_bytes() {
        assert_eq!(enc("a-b_c.d~e"), "a-b_c.d~e");
        assert_eq!(enc("u@x y/é"), "u%40x%20y%2F%C3%A9");
    }
}
