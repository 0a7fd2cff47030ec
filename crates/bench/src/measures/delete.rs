//! Delete: deleting about 10% of the events by filter (`DELETE /api/v1/events?type=<type>`)
//! against the same `DELETE FROM events WHERE type IN (...)` in the database's own CLI (`psql`,
//! `sqlite3`). Every run gets a fresh copy of the dataset: a PostgreSQL database created with
//! the dataset's database as its template, or a copy of the SQLite file after a WAL checkpoint;
//! the server is started on its copy (not timed) with an administrator that may delete. Server
//! and tool alternate (A/B, then B/A); the ratio (server time over tool time) is taken per pair,
//! and both must delete the same number of rows.
//!
//! The server does more, in the same transaction, and that is the comparison: it counts what the
//! dashboard rollups lose and updates them, and writes the `delete_events` event recording the
//! deletion. Timed: the HTTP request from sending to the answer; the tool's process from start to
//! exit (connecting included).

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail, ensure};
use confreports_store::DbUrl;
use diesel::connection::SimpleConnection as _;

use super::{Measure, Options, type_counts};
use crate::dataset::{self, Backend, Dataset};
use crate::results::{Results, ms, spread};
use crate::server::{self, Server};
use crate::stats::median;
use crate::{auth, log};

pub struct Delete;

/// The administrator the measure signs in as: deleting needs `events:delete` (role sysadmin).
const LOGIN: &str = "bench-delete";
/// The PostgreSQL database each run drops and creates from the dataset's.
const PG_COPY: &str = "confreports_bench_delete";
/// Types the server itself logs while the copy is prepared (administrator created, sign-in),
/// and the deletion's own event: never the filter, or the two sides would not delete the same.
const LOGGED_BY_SERVER: &[&str] =
    &["login", "logout", "lock", "unlock", "status", "activation", "deactivation", "delete_events"];

/// The server's major version (`server_version_num` / 10000).
fn pg_major(conn: &mut confreports_store::DbConnection) -> anyhow::Result<i32> {
    let version = crate::machine::text_of(conn, "SELECT current_setting('server_version_num') AS version")?;
    Ok(version.parse::<i32>().context("server_version_num")? / 10_000)
}

fn tool_name(backend: Backend) -> &'static str {
    match backend {
        Backend::Postgres => "psql",
        Backend::Sqlite => "sqlite3",
    }
}

fn backend_key(backend: Backend) -> &'static str {
    match backend {
        Backend::Postgres => "postgresql",
        Backend::Sqlite => "sqlite",
    }
}

/// The generated type (not one the server logs) whose share is closest to 10%: name, count, total.
fn tenth_type(dataset: &Dataset) -> anyhow::Result<(String, i64, i64)> {
    let counts = type_counts(&mut dataset.connect()?)?;
    let total: i64 = counts.iter().map(|(_, n)| n).sum();
    let off = |n: i64| (n as f64 / total as f64 - 0.1).abs();
    let (name, n) = counts
        .into_iter()
        .filter(|(t, _)| !LOGGED_BY_SERVER.contains(&t.as_str()))
        .min_by(|a, b| off(a.1).total_cmp(&off(b.1)))
        .context("no events")?;
    Ok((name, n, total))
}

/// The copies of one backend's dataset.
struct Copier<'a> {
    dataset: &'a Dataset,
    options: &'a Options,
    dir: PathBuf,
}

impl Copier<'_> {
    fn sqlite_copy(&self) -> PathBuf {
        self.dir.join("copy.db")
    }

    fn remove_sqlite_copy(&self) {
        let p = self.sqlite_copy();
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", p.display()));
        }
    }

    /// A fresh copy of the dataset; its URL.
    fn fresh(&self) -> anyhow::Result<String> {
        match self.dataset.backend {
            Backend::Sqlite => {
                let source = self.dataset.sqlite_path.as_deref().context("SQLite dataset without a path")?;
                self.remove_sqlite_copy();
                std::fs::copy(source, self.sqlite_copy())
                    .with_context(|| format!("copying {} to {}", source.display(), self.sqlite_copy().display()))?;
                Ok(format!("sqlite://{}", self.sqlite_copy().display()))
            }
            Backend::Postgres => {
                let template = url::Url::parse(&self.dataset.url)?.path().trim_start_matches('/').to_owned();
                let mut admin = DbUrl::parse(&self.options.pg_url)?
                    .connect()
                    .with_context(|| format!("connecting to {}", self.options.pg_url))?;
                admin.batch_execute(&format!("DROP DATABASE IF EXISTS {PG_COPY} WITH (FORCE)"))?;
                // The files copied between two checkpoints (PostgreSQL 15's default, WAL_LOG,
                // writes the whole database to the WAL, 11 GB at 10M events, for the checkpointer
                // to flush while the timed DELETE runs; 34 s against 27 s per copy at 10M).
                let strategy = if pg_major(&mut admin)? >= 15 { " STRATEGY FILE_COPY" } else { "" };
                admin
                    .batch_execute(&format!("CREATE DATABASE {PG_COPY} TEMPLATE {template}{strategy}"))
                    .with_context(|| format!("copying database {template} (is something connected to it?)"))?;
                dataset::database_url(&self.options.pg_url, PG_COPY)
            }
        }
    }

    fn drop_copy(&self) -> anyhow::Result<()> {
        match self.dataset.backend {
            Backend::Sqlite => self.remove_sqlite_copy(),
            Backend::Postgres => {
                let mut admin = DbUrl::parse(&self.options.pg_url)?.connect()?;
                admin.batch_execute(&format!("DROP DATABASE IF EXISTS {PG_COPY} WITH (FORCE)"))?;
            }
        }
        Ok(())
    }

    /// The server on a fresh copy: `DELETE /api/v1/events?type=...`; seconds and rows deleted.
    fn server_run(&self, event_type: &str) -> anyhow::Result<(f64, u64)> {
        let url = self.fresh()?;
        let key = format!("delete-{}", backend_key(self.dataset.backend));
        let data_dir = server::data_dir(&self.dir, &key);
        std::fs::create_dir_all(&data_dir)?;
        let credentials = auth::provision_as(&self.options.server_bin, &url, &data_dir, LOGIN, "sysadmin")?;
        let server = Server::start(&self.options.server_bin, &url, &self.dir, &key)?;
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(Duration::from_secs(10)))
            .build()
            .into();
        let session = match &credentials {
            Some(c) => Some(auth::sign_in_session(&agent, &server.base, c)?),
            None => None,
        };
        let target = server.url(&format!("/api/v1/events?type={event_type}"));
        let mut req = agent.delete(&target);
        if let Some(s) = &session {
            req = req.header("Cookie", &s.cookie).header(auth::CSRF_HEADER, &s.csrf_token);
        }
        let started = Instant::now();
        let mut res = req.call().with_context(|| format!("DELETE {target}"))?;
        let body = res.body_mut().read_to_string()?;
        let secs = started.elapsed().as_secs_f64();
        ensure!(res.status() == 200, "DELETE {target}: {} {body}", res.status());
        let answer: serde_json::Value = serde_json::from_str(&body).context("the answer of the delete")?;
        let deleted = answer["deleted"].as_u64().with_context(|| format!("no `deleted` in {body}"))?;
        drop(server);
        self.drop_copy()?;
        Ok((secs, deleted))
    }

    /// The tool on a fresh copy: the same DELETE; seconds and rows deleted.
    fn tool_run(&self, event_type: &str) -> anyhow::Result<(f64, u64)> {
        let url = self.fresh()?;
        let delete = format!("DELETE FROM events WHERE type IN ('{event_type}')");
        let mut cmd = match self.dataset.backend {
            Backend::Postgres => {
                let mut cmd = Command::new("psql");
                cmd.args(["-X", "-v", "ON_ERROR_STOP=1", "-d", &url, "-c", &delete]);
                cmd
            }
            Backend::Sqlite => {
                let mut cmd = Command::new("sqlite3");
                // The server's settings: busy timeout, foreign keys; synchronous FULL is the
                // CLI's default, WAL is the file's.
                cmd.arg("-bail")
                    .arg("-cmd")
                    .arg(".timeout 5000")
                    .arg(self.sqlite_copy())
                    .arg(format!("PRAGMA foreign_keys=ON; PRAGMA synchronous=FULL; {delete}; SELECT changes();"));
                cmd
            }
        };
        let started = Instant::now();
        let out = cmd.output().with_context(|| format!("starting {cmd:?}"))?;
        let secs = started.elapsed().as_secs_f64();
        let stdout = String::from_utf8_lossy(&out.stdout);
        ensure!(out.status.success(), "{cmd:?} failed ({}): {}", out.status, String::from_utf8_lossy(&out.stderr));
        let deleted = parse_deleted(self.dataset.backend, &stdout)?;
        self.drop_copy()?;
        Ok((secs, deleted))
    }
}

/// The row count the tool printed: psql's `DELETE <n>` tag, sqlite3's `changes()`.
fn parse_deleted(backend: Backend, stdout: &str) -> anyhow::Result<u64> {
    let last = stdout.lines().map(str::trim).rfind(|l| !l.is_empty()).unwrap_or("");
    let n = match backend {
        Backend::Postgres => last.strip_prefix("DELETE ").unwrap_or(""),
        Backend::Sqlite => last,
    };
    match n.parse() {
        Ok(n) => Ok(n),
        Err(_) => bail!("no row count in the tool's output: {stdout}"),
    }
}

/// Makes sure the SQLite dataset is one file: its WAL checkpointed into it.
fn checkpoint(dataset: &Dataset) -> anyhow::Result<()> {
    if dataset.backend == Backend::Sqlite {
        let path = dataset.sqlite_path.as_deref().context("SQLite dataset without a path")?;
        let out = Command::new("sqlite3").arg(path).arg("PRAGMA wal_checkpoint(TRUNCATE);").output()?;
        let text = String::from_utf8_lossy(&out.stdout);
        // `busy|log|checkpointed`: busy must be 0, and the log empty after TRUNCATE.
        ensure!(out.status.success() && text.trim() == "0|0|0", "checkpointing {}: {text}", path.display());
        let wal = PathBuf::from(format!("{}-wal", path.display()));
        ensure!(
            !wal.exists() || std::fs::metadata(&wal)?.len() == 0,
            "{} is not empty after the checkpoint",
            wal.display()
        );
    }
    Ok(())
}

impl Measure for Delete {
    fn name(&self) -> &'static str {
        "delete"
    }

    fn run(&self, _target: &super::Target<'_>, _out: &mut Results) -> anyhow::Result<()> {
        bail!("delete runs on copies of the dataset, before the shared server starts")
    }

    fn on_copies(&self) -> bool {
        true
    }

    fn run_on_copies(&self, dataset: &Dataset, options: &Options, out: &mut Results) -> anyhow::Result<()> {
        let backend = dataset.backend;
        let name = backend.name();
        let tool = tool_name(backend);
        let (event_type, selected, total) = tenth_type(dataset)?;
        checkpoint(dataset)?;
        let dir = options.work.join("delete");
        std::fs::create_dir_all(&dir)?;
        let copier = Copier { dataset, options, dir: dir.clone() };
        let reps = options.delete_reps.max(1);
        let (mut server_secs, mut tool_secs, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
        let mut table =
            String::from("| repetition | order | server | tool | ratio | rows |\n|---|---|---|---|---|---|\n");
        for rep in 0..reps {
            let ((s, s_rows), (t, t_rows)) = if rep % 2 == 0 {
                let s = copier.server_run(&event_type)?;
                (s, copier.tool_run(&event_type)?)
            } else {
                let t = copier.tool_run(&event_type)?;
                (copier.server_run(&event_type)?, t)
            };
            ensure!(
                s_rows == t_rows && s_rows == selected as u64,
                "type={event_type}: the server deleted {s_rows} rows, {tool} {t_rows}, the dataset holds {selected}"
            );
            log(&format!("{name}: delete {} of {reps}: server {} ({s_rows} rows), {tool} {}", rep + 1, ms(s), ms(t)));
            let order = if rep % 2 == 0 { "server, tool" } else { "tool, server" };
            table.push_str(&format!("| {} | {order} | {} | {} | {:.2} | {s_rows} |\n", rep + 1, ms(s), ms(t), s / t));
            server_secs.push(s);
            tool_secs.push(t);
            ratios.push(s / t);
        }
        let _ = std::fs::remove_dir_all(server::data_dir(&dir, &format!("delete-{}", backend_key(backend))));
        let m = self.name();
        let what = |s: &str| format!("type={event_type} ({selected} of {total} rows): {s}");
        out.add(m, name, what("server time (median)"), ms(median(&server_secs)));
        out.add(m, name, what(&format!("{tool} DELETE time (median)")), ms(median(&tool_secs)));
        out.add(
            m,
            name,
            what(&format!("server time / {tool} time, median [min, max] of {}", ratios.len())),
            spread(&ratios),
        );
        out.note(
            format!("Delete on {name}"),
            format!(
                "`DELETE /api/v1/events?type={event_type}` (signed in as a sysadmin) against `{tool}` running \
                 `DELETE FROM events WHERE type IN ('{event_type}')`, each run on a fresh copy of the dataset ({}), \
                 the server started on its copy before the timed request. Both sides deleted {selected} rows every \
                 time. The server also updates the dashboard rollups and writes the `delete_events` event, in the \
                 same transaction; the tool deletes the rows only.\n\n{table}",
                match backend {
                    Backend::Postgres => "`CREATE DATABASE ... TEMPLATE` of the dataset's database, `STRATEGY FILE_COPY` from PostgreSQL 15",
                    Backend::Sqlite => "a copy of the file after a WAL checkpoint",
                }
            ),
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_tools_row_counts() {
        assert_eq!(parse_deleted(Backend::Postgres, "DELETE 105123\n").ok(), Some(105_123));
        assert_eq!(parse_deleted(Backend::Sqlite, "105123\n").ok(), Some(105_123));
        assert!(parse_deleted(Backend::Postgres, "").is_err());
    }
}
