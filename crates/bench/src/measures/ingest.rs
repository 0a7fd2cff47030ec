//! Ingest: N generated events pushed through `POST /api/v1/ingest` (batches of 5,000, an
//! OAuth application with scope `ingest`) into a fresh, app-migrated database, against the
//! database's own bulk path for the same rows into the same schema and indexes: `psql \copy
//! events(...) FROM STDIN CSV` and `sqlite3` `.import` inside one transaction. Every repetition
//! gets a fresh database for each side (a temporary SQLite file; a PostgreSQL database dropped
//! and created on the admin URL), migrated by `confreports migrate`; the two sides alternate
//! (A/B, then B/A) and the ratio (server rows/s over tool rows/s) is taken per pair. Row counts
//! are checked after every run. Needs no generated dataset.
//!
//! Not timed: migrating, creating the application, starting the server, getting the token, and
//! preparing the request bodies and the CSV file (the client's work, on both sides).
//!
//! Difference in what is stored: the server also records each `(kind, id)` in `ingest_keys`;
//! `sqlite3 .import` stores an absent optional field as `''` rather than NULL (it has no NULL
//! in CSV); the CSV for SQLite carries the ids (its `.import` fills columns from the left).

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail, ensure};
use confreports_store::events::NewEvent;
use confreports_store::report::to_db_time;
use confreports_store::schema::events;
use confreports_store::{DbConnection, DbUrl};
use confreports_types::ingest::{EventRecord, IngestRecord};
use diesel::connection::SimpleConnection as _;
use diesel::prelude::*;

use super::{Measure, Options, Target};
use crate::dataset::{self, Backend};
use crate::generator::Generator;
use crate::results::{Goal, Results, rate, spread};
use crate::server::Server;
use crate::stats::median;

pub struct Ingest;

/// Records per `POST /api/v1/ingest`.
pub const BATCH: usize = 5_000;
/// The API's body limit (16 MiB).
const MAX_BODY: usize = 16 << 20;
/// Name of the PostgreSQL database each repetition drops and creates.
const PG_DATABASE: &str = "confreports_bench_ingest";
/// Columns the events get, in the CSV's order (after `id` for SQLite).
const COLUMNS: &str = "source_id, time, type, success, user_id, display_name, ip, entered_login, real_user_id, \
     endpoint_id, app_name, auth_method, user_rights, previous_status, new_status, description, admin_type, \
     user_agent, users, details, search";

fn goal_of(backend: Backend) -> f64 {
    match backend {
        Backend::Postgres => 0.5,
        Backend::Sqlite => 0.7,
    }
}

fn tool_name(backend: Backend) -> &'static str {
    match backend {
        Backend::Postgres => "psql \\copy",
        Backend::Sqlite => "sqlite3 .import",
    }
}

impl Measure for Ingest {
    fn name(&self) -> &'static str {
        "ingest"
    }

    fn standalone(&self) -> bool {
        true
    }

    fn run(&self, target: &Target<'_>, out: &mut Results) -> anyhow::Result<()> {
        self.run_alone(target.dataset.backend, target.options, out)
    }

    fn run_alone(&self, backend: Backend, options: &Options, out: &mut Results) -> anyhow::Result<()> {
        let name = backend.name();
        let rows = options.ingest_rows;
        ensure!(rows > 0, "--ingest-rows must be positive");
        let dir = options.work.join("ingest");
        std::fs::create_dir_all(&dir)?;
        crate::log(&format!("{name}: ingest: generating {rows} events (seed {})", options.seed));
        let generated: Vec<NewEvent> = Generator::new(options.seed, rows).collect();
        let bodies = bodies(&generated)?;
        let csv_path = dir.join(format!("events-{}.csv", backend_key(backend)));
        write_csv(&csv_path, &generated, backend)?;
        drop(generated);
        let side = Side { backend, options, dir: &dir, csv: &csv_path, rows };
        let reps = options.ingest_reps.max(1);
        let (mut app_rates, mut tool_rates, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
        let mut log = String::from("| repetition | order | server s | tool s | ratio |\n|---|---|---|---|---|\n");
        for rep in 0..reps {
            crate::log(&format!("{name}: ingest repetition {} of {reps}", rep + 1));
            let (a, t) = if rep % 2 == 0 {
                let a = side.app_run(&bodies)?;
                (a, side.tool_run()?)
            } else {
                let t = side.tool_run()?;
                (side.app_run(&bodies)?, t)
            };
            crate::log(&format!(
                "{name}: server {:.0} rows/s ({a:.2} s), {} {:.0} rows/s ({t:.2} s)",
                rows as f64 / a,
                tool_name(backend),
                rows as f64 / t
            ));
            let order = if rep % 2 == 0 { "server, tool" } else { "tool, server" };
            log.push_str(&format!("| {} | {order} | {a:.2} | {t:.2} | {:.2} |\n", rep + 1, t / a));
            app_rates.push(rows as f64 / a);
            tool_rates.push(rows as f64 / t);
            ratios.push(t / a);
        }
        let _ = std::fs::remove_file(&csv_path);
        let m = self.name();
        let tool = tool_name(backend);
        out.note(
            format!("Ingest on {name}"),
            format!(
                "{rows} generated events per repetition, each side into a fresh database migrated by \
                 `confreports migrate`: `POST /api/v1/ingest` (JSON arrays of {BATCH} `event` records, \
                 an OAuth application with scope `ingest`; timed from the first request to the last \
                 answer) against {tool} of the same rows (same columns, `search` included) into the \
                 same schema and indexes{}. Stored rows counted after every run. The server also \
                 writes one `ingest_keys` row per record.\n\n{log}",
                match backend {
                    Backend::Sqlite => " inside one transaction (`BEGIN; .import; COMMIT`; absent fields stored as ''",
                    Backend::Postgres => " (`\\copy events(...) FROM STDIN CSV`",
                }
                .to_owned()
                    + ")"
            ),
        );
        let what = |s: &str| format!("{rows} events, batches of {BATCH}: {s}");
        out.add(m, name, what("server rows/s (median)"), rate(median(&app_rates)));
        out.add(m, name, what(&format!("{tool} rows/s (median)")), rate(median(&tool_rates)));
        let r = median(&ratios);
        let goal = goal_of(backend);
        out.add_goal(
            m,
            name,
            what(&format!("server rows/s / {tool} rows/s, median [min, max] of {}", ratios.len())),
            spread(&ratios),
            Goal::at_least(r, goal, ""),
        );
        Ok(())
    }
}

fn backend_key(backend: Backend) -> &'static str {
    match backend {
        Backend::Postgres => "postgresql",
        Backend::Sqlite => "sqlite",
    }
}

/// The request bodies: JSON arrays of `BATCH` event records.
fn bodies(events: &[NewEvent]) -> anyhow::Result<Vec<Vec<u8>>> {
    let mut out = Vec::new();
    for (c, chunk) in events.chunks(BATCH).enumerate() {
        let records: Vec<IngestRecord> = chunk
            .iter()
            .enumerate()
            .map(|(i, e)| {
                IngestRecord::Event(EventRecord {
                    id: source_id(c * BATCH + i),
                    time: e.time,
                    event_type: e.event_type,
                    success: e.success,
                    user_id: e.user_id.clone(),
                    display_name: e.display_name.clone(),
                    ip: e.ip.clone(),
                    entered_login: e.entered_login.clone(),
                    real_user_id: e.real_user_id.clone(),
                    endpoint_id: e.endpoint_id.clone(),
                    app_name: e.app_name.clone(),
                    auth_method: e.auth_method.clone(),
                    user_rights: e.user_rights.clone(),
                    previous_status: e.previous_status,
                    new_status: e.new_status,
                    description: e.description.clone(),
                    admin_type: e.admin_type.clone(),
                    user_agent: e.user_agent.clone(),
                    users: e.users.clone(),
                    details: e.details.clone(),
                })
            })
            .collect();
        let body = serde_json::to_vec(&records)?;
        ensure!(body.len() <= MAX_BODY, "a batch of {BATCH} events is {} bytes, over the API's limit", body.len());
        out.push(body);
    }
    Ok(out)
}

fn source_id(n: usize) -> String {
    format!("ev-{n}")
}

fn field(out: &mut Vec<u8>, value: Option<&str>) {
    out.push(b',');
    if let Some(v) = value {
        out.push(b'"');
        out.extend_from_slice(v.replace('"', "\"\"").as_bytes());
        out.push(b'"');
    }
}

/// The rows the server would store, as CSV in [`COLUMNS`] order (with `id` first for SQLite):
/// `search` computed as the store computes it, absent fields empty and unquoted (NULL for
/// `\copy`), present ones quoted.
fn write_csv(path: &Path, events: &[NewEvent], backend: Backend) -> anyhow::Result<()> {
    let mut out = Vec::with_capacity(events.len() * 600);
    for (n, e) in events.iter().enumerate() {
        let search = e.search_text();
        let time = to_db_time(e.time).format("%Y-%m-%d %H:%M:%S%.f").to_string();
        let (success, sid) = (
            match (backend, e.success) {
                (Backend::Sqlite, true) => "1",
                (Backend::Sqlite, false) => "0",
                (Backend::Postgres, true) => "t",
                (Backend::Postgres, false) => "f",
            },
            source_id(n),
        );
        let users_json = e.users.as_ref().map(|u| serde_json::to_string(u).unwrap_or_default());
        let details = e.details.as_ref().map(|d| d.to_string());
        let prev = e.previous_status.map(|v| v.to_string());
        let new = e.new_status.map(|v| v.to_string());
        match backend {
            Backend::Sqlite => out.extend_from_slice(format!("{},\"{sid}\"", n + 1).as_bytes()),
            Backend::Postgres => out.extend_from_slice(format!("\"{sid}\"").as_bytes()),
        }
        for v in [
            Some(time.as_str()),
            Some(e.event_type.as_str()),
            Some(success),
            Some(e.user_id.as_deref().unwrap_or("")),
            e.display_name.as_deref(),
            Some(e.ip.as_deref().unwrap_or("")),
            e.entered_login.as_deref(),
            e.real_user_id.as_deref(),
            Some(e.endpoint_id.as_deref().unwrap_or("")),
            e.app_name.as_deref(),
            e.auth_method.as_deref(),
            e.user_rights.as_deref(),
            prev.as_deref(),
            new.as_deref(),
            e.description.as_deref(),
            e.admin_type.as_deref(),
            e.user_agent.as_deref(),
            users_json.as_deref(),
            details.as_deref(),
            Some(search.as_str()),
        ] {
            field(&mut out, v);
        }
        out.push(b'\n');
    }
    std::fs::write(path, out).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

fn base64(input: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in input.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// One backend's fresh databases and runs.
struct Side<'a> {
    backend: Backend,
    options: &'a Options,
    dir: &'a Path,
    csv: &'a Path,
    rows: u64,
}

impl Side<'_> {
    fn sqlite_path(&self, side: &str) -> PathBuf {
        self.dir.join(format!("ingest-{side}.db"))
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.join(format!("data-{}", backend_key(self.backend)))
    }

    /// A fresh, migrated database; its URL.
    fn fresh(&self, side: &str) -> anyhow::Result<String> {
        let url = match self.backend {
            Backend::Sqlite => {
                self.drop_sqlite(side);
                format!("sqlite://{}", self.sqlite_path(side).display())
            }
            Backend::Postgres => {
                let mut admin = DbUrl::parse(&self.options.pg_url)?
                    .connect()
                    .with_context(|| format!("connecting to {}", self.options.pg_url))?;
                admin.batch_execute(&format!("DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)"))?;
                admin.batch_execute(&format!("CREATE DATABASE {PG_DATABASE}"))?;
                dataset::database_url(&self.options.pg_url, PG_DATABASE)?
            }
        };
        let out = self.cli(&url, &["migrate"])?;
        ensure!(out.status.success(), "confreports migrate on {url}: {}", String::from_utf8_lossy(&out.stderr));
        Ok(url)
    }

    fn drop_sqlite(&self, side: &str) {
        let p = self.sqlite_path(side);
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", p.display()));
        }
    }

    /// Drops the database, unless `BENCH_INGEST_KEEP` is set (to compare what both sides stored).
    fn cleanup(&self, side: &str) -> anyhow::Result<()> {
        if std::env::var_os("BENCH_INGEST_KEEP").is_some() {
            return Ok(());
        }
        match self.backend {
            Backend::Sqlite => self.drop_sqlite(side),
            Backend::Postgres => {
                let mut admin = DbUrl::parse(&self.options.pg_url)?.connect()?;
                admin.batch_execute(&format!("DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)"))?;
            }
        }
        Ok(())
    }

    fn cli(&self, url: &str, args: &[&str]) -> anyhow::Result<std::process::Output> {
        let data_dir = self.data_dir();
        std::fs::create_dir_all(&data_dir)?;
        Command::new(&self.options.server_bin)
            .arg("--database-url")
            .arg(url)
            .arg("--data-dir")
            .arg(&data_dir)
            .args(args)
            .env_remove("DATABASE_URL")
            .stdin(Stdio::null())
            .output()
            .with_context(|| format!("running {}", self.options.server_bin.display()))
    }

    /// Events stored with a source id (what either side loaded).
    fn count(&self, url: &str) -> anyhow::Result<u64> {
        let mut conn: DbConnection = DbUrl::parse(url)?.connect()?;
        let n: i64 = events::table.filter(events::source_id.is_not_null()).count().get_result(&mut conn)?;
        Ok(n as u64)
    }

    /// Pushes the bodies through the API; seconds from the first request to the last answer.
    fn app_run(&self, bodies: &[Vec<u8>]) -> anyhow::Result<f64> {
        let url = self.fresh("app")?;
        let out = self.cli(&url, &["app", "create", "--name", "bench-ingest", "--scope", "ingest", "--json"])?;
        ensure!(out.status.success(), "confreports app create: {}", String::from_utf8_lossy(&out.stderr));
        let app: serde_json::Value = serde_json::from_slice(&out.stdout).context("the JSON of app create")?;
        let id = app["client_id"].as_str().context("no client_id")?;
        let secret = app["client_secret"].as_str().context("no client_secret")?;
        let safe = |s: &str| s.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
        ensure!(safe(id) && safe(secret), "client id or secret needs percent-encoding");
        let key = format!("ingest-{}", backend_key(self.backend));
        let server = Server::start(&self.options.server_bin, &url, self.dir, &key)?;
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(Duration::from_secs(10)))
            .build()
            .into();
        let token_url = server.url("/oauth2/token");
        let mut res = agent
            .post(&token_url)
            .header("Authorization", &format!("Basic {}", base64(format!("{id}:{secret}").as_bytes())))
            .send_form([("grant_type", "client_credentials")])
            .with_context(|| format!("POST {token_url}"))?;
        let status = res.status();
        let body: serde_json::Value = res.body_mut().read_json().unwrap_or(serde_json::Value::Null);
        ensure!(status == 200, "token request: {status} {body}");
        let bearer = format!("Bearer {}", body["access_token"].as_str().context("no access_token")?);
        let ingest_url = server.url("/api/v1/ingest");
        let started = Instant::now();
        let mut accepted = 0u64;
        for (i, b) in bodies.iter().enumerate() {
            let mut res = agent
                .post(&ingest_url)
                .header("Authorization", &bearer)
                .header("Content-Type", "application/json")
                .send(&b[..])
                .with_context(|| format!("POST {ingest_url}"))?;
            let status = res.status();
            let text = res.body_mut().with_config().limit(1 << 20).read_to_string()?;
            if status != 200 {
                bail!("batch {i}: POST {ingest_url}: {status} {text}");
            }
            let answer: serde_json::Value = serde_json::from_str(&text)?;
            accepted += answer["accepted"].as_u64().context("no `accepted` in the answer")?;
        }
        let secs = started.elapsed().as_secs_f64();
        drop(server);
        ensure!(accepted == self.rows, "the server accepted {accepted} events of {}", self.rows);
        let n = self.count(&url)?;
        ensure!(n == self.rows, "{n} events stored after ingesting {}", self.rows);
        self.cleanup("app")?;
        Ok(secs)
    }

    /// Loads the CSV with the database's own tool; seconds the tool ran.
    fn tool_run(&self) -> anyhow::Result<f64> {
        let url = self.fresh("tool")?;
        let csv = std::fs::File::open(self.csv)?;
        let (mut cmd, script) = match self.backend {
            Backend::Postgres => {
                let mut cmd = Command::new("psql");
                cmd.args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", &url, "-c"])
                    .arg(format!("\\copy events({COLUMNS}) FROM STDIN WITH (FORMAT csv)"))
                    .stdin(Stdio::from(csv));
                (cmd, None)
            }
            Backend::Sqlite => {
                let mut cmd = Command::new("sqlite3");
                cmd.arg(self.sqlite_path("tool")).stdin(Stdio::piped());
                let path = self.csv.display().to_string();
                ensure!(!path.contains('\''), "CSV path with a quote: {path}");
                let script = format!(".bail on\n.mode csv\nBEGIN;\n.import '{path}' events\nCOMMIT;\n");
                (cmd, Some(script))
            }
        };
        let started = Instant::now();
        let mut child =
            cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().with_context(|| format!("starting {cmd:?}"))?;
        if let Some(s) = script {
            child.stdin.take().context("no stdin")?.write_all(s.as_bytes())?;
        }
        let out = child.wait_with_output()?;
        let secs = started.elapsed().as_secs_f64();
        let stderr = String::from_utf8_lossy(&out.stderr);
        ensure!(out.status.success() && stderr.trim().is_empty(), "{cmd:?} failed ({}): {stderr}", out.status);
        let n = self.count(&url)?;
        ensure!(n == self.rows, "{n} events stored after loading {} with {}", self.rows, tool_name(self.backend));
        self.cleanup("tool")?;
        Ok(secs)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn base64_pads() {
        assert_eq!(super::base64(b"a:b"), "YTpi");
        assert_eq!(super::base64(b"ab"), "YWI=");
        assert_eq!(super::base64(b"a"), "YQ==");
    }
}
