//! The measures, one module each. A measure runs against one backend at a time: the dataset,
//! the server started on it, and an HTTP agent; it adds its figures (and notes) to the results.
//! To add a measure: a module with a type implementing [`Measure`], listed in [`Name`] and
//! [`by_name`].

use std::time::{Duration, Instant};

use anyhow::{Context as _, ensure};
use confreports_store::schema::events;
use diesel::prelude::*;

use crate::dataset::{Backend, Dataset};
use crate::results::Results;
use crate::server::Server;

pub mod dashboard;
pub mod delete;
pub mod depth;
pub mod export;
pub mod ingest;
pub mod plans;
pub mod range;
pub mod search;
pub mod throughput;

/// Settings of the measures (from the command line).
#[derive(Debug, Clone)]
pub struct Options {
    /// Requests of the depth measure, alternating page 1 and the deep page.
    pub depth_requests: usize,
    /// Timed repetitions of each export (server and tool alternating).
    pub export_reps: usize,
    /// Timed requests of the dashboard measure (after a warm-up).
    pub dashboard_requests: usize,
    /// Timed requests of each search query (after a warm-up).
    pub search_requests: usize,
    /// Events the ingest measure pushes per repetition.
    pub ingest_rows: u64,
    /// Repetitions of the ingest measure (server and tool alternating).
    pub ingest_reps: usize,
    /// Seconds of each load run of the throughput measure (wrk, pgbench).
    pub throughput_secs: u32,
    /// Load runs of each side of the throughput measure (server and pgbench alternating).
    pub throughput_reps: usize,
    /// Repetitions of each side of the delete measure, each on a fresh copy of the dataset.
    pub delete_reps: usize,
    /// Size of the range measure's recording file, in MiB.
    pub range_file_mib: u64,
    /// Full GETs of each side of the range measure (server and nginx alternating).
    pub range_reps: usize,
    /// Random 1 MiB range requests of each side per repetition of the range measure.
    pub range_requests: usize,
    /// Seed of the generator.
    pub seed: u64,
    /// The server binary.
    pub server_bin: std::path::PathBuf,
    /// The scratch directory.
    pub work: std::path::PathBuf,
    /// The PostgreSQL admin URL (for measures that create their own databases).
    pub pg_url: String,
}

/// One backend under test.
pub struct Target<'a> {
    pub dataset: &'a Dataset,
    pub server: &'a Server,
    /// Answers every status as a response (`http_status_as_error(false)`).
    pub agent: ureq::Agent,
    /// The `Cookie` header of the signed-in session, when the server asks for sign-in.
    pub cookie: Option<String>,
    pub options: &'a Options,
}

impl Target<'_> {
    pub fn backend(&self) -> &'static str {
        self.dataset.backend.name()
    }

    /// A GET of `path_and_query` on the server, signed in.
    pub fn get(&self, path_and_query: &str) -> ureq::RequestBuilder<ureq::typestate::WithoutBody> {
        let req = self.agent.get(self.server.url(path_and_query));
        match &self.cookie {
            Some(c) => req.header("Cookie", c),
            None => req,
        }
    }

    /// GET `path_and_query` on the server; the body as text and the time to the last byte.
    pub fn get_text(&self, path_and_query: &str) -> anyhow::Result<(String, Duration)> {
        let url = self.server.url(path_and_query);
        let started = Instant::now();
        let mut res = self.get(path_and_query).call().with_context(|| format!("GET {url}"))?;
        let body = res.body_mut().with_config().limit(64 << 20).read_to_string()?;
        let elapsed = started.elapsed();
        ensure!(res.status() == 200, "GET {url}: {} {body}", res.status());
        Ok((body, elapsed))
    }
}

pub trait Measure {
    fn name(&self) -> &'static str;
    fn run(&self, target: &Target<'_>, out: &mut Results) -> anyhow::Result<()>;

    /// Whether the measure makes its own databases (no dataset, no shared server needed); it is
    /// then run through [`Measure::run_alone`].
    fn standalone(&self) -> bool {
        false
    }

    fn run_alone(&self, _backend: Backend, _options: &Options, _out: &mut Results) -> anyhow::Result<()> {
        anyhow::bail!("{} needs the dataset and a running server", self.name())
    }

    /// Whether the measure starts servers of its own on copies of the dataset; it is then run
    /// through [`Measure::run_on_copies`], before the shared server starts on the dataset (a
    /// PostgreSQL database can only be copied while nobody is connected to it).
    fn on_copies(&self) -> bool {
        false
    }

    fn run_on_copies(&self, _dataset: &Dataset, _options: &Options, _out: &mut Results) -> anyhow::Result<()> {
        anyhow::bail!("{} needs a running server", self.name())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Name {
    /// p50/p99 of page 10,000 against page 1.
    Depth,
    /// CSV export: rows/s against the database's own tool, and the server's RSS meanwhile.
    Export,
    /// p50/p99 of the dashboard over the dataset's whole month, totals checked against SQL.
    Dashboard,
    /// p50 of a selective `q` search (list page and count), answers checked against SQL.
    Search,
    /// Rows/s of `POST /api/v1/ingest` into a fresh database against the database's bulk load.
    Ingest,
    /// Requests/s and p99 of a filtered first page at 64 connections (wrk) against pgbench
    /// running the server's SQL.
    Throughput,
    /// Delete by filter of ~10% of the rows through the API against the same DELETE in the
    /// database's CLI, each on a fresh copy of the dataset.
    Delete,
    /// A large recording through the media endpoint (full GET and random 1 MiB ranges) against
    /// nginx serving the same file.
    Range,
}

pub fn by_name(name: Name) -> Box<dyn Measure> {
    match name {
        Name::Depth => Box::new(depth::Depth),
        Name::Export => Box::new(export::Export),
        Name::Dashboard => Box::new(dashboard::Dashboard),
        Name::Search => Box::new(search::Search),
        Name::Ingest => Box::new(ingest::Ingest),
        Name::Throughput => Box::new(throughput::Throughput),
        Name::Delete => Box::new(delete::Delete),
        Name::Range => Box::new(range::Range),
    }
}

/// The columns of the CSV export, in its order, as SQL.
pub const EXPORT_COLUMNS: &str = "id, time, type, success, user_id, display_name, ip, entered_login, real_user_id, \
     endpoint_id, app_name, auth_method, user_rights, previous_status, new_status, description, admin_type, \
     user_agent, users, details";

/// How many events of each type, most frequent first.
pub fn type_counts(conn: &mut confreports_store::DbConnection) -> QueryResult<Vec<(String, i64)>> {
    let mut counts: Vec<(String, i64)> = events::table
        .group_by(events::event_type)
        .select((events::event_type, diesel::dsl::count_star()))
        .load(conn)?;
    counts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    Ok(counts)
}

/// The event type whose share of all events is closest to `share`, with its count and the total.
pub fn type_with_share(conn: &mut confreports_store::DbConnection, share: f64) -> anyhow::Result<(String, i64, i64)> {
    let counts = type_counts(conn)?;
    let total: i64 = counts.iter().map(|(_, n)| n).sum();
    let off = |n: i64| (n as f64 / total as f64 - share).abs();
    let (name, n) = counts.into_iter().min_by(|a, b| off(a.1).total_cmp(&off(b.1))).context("no events")?;
    Ok((name, n, total))
}
