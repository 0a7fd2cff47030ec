//! `confreports`: the server binary and its command line.
//!
//! Errors here are `anyhow`: this is start-up and CLI code.

use std::io::IsTerminal;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use confreports_api::AppState;
use confreports_api::audit::CheckpointWriter;
use confreports_api::auth::{Auth, AuthSettings};
use confreports_store::demo::{self, DemoOptions, Progress};

#[derive(Debug, Parser)]
#[command(name = "confreports", version, about = "Reports of a video-conferencing server: API, web app and tools")]
struct Cli {
    /// Database URL: postgres://user@host/db, sqlite://PATH or a file path.
    /// Default: sqlite://<data-dir>/confreports.db
    #[arg(long, env = "DATABASE_URL", global = true)]
    database_url: Option<String>,

    /// Directory for the SQLite database, recordings, chat files and keys.
    #[arg(long, env = "CONFREPORTS_DATA_DIR", default_value = "data", global = true)]
    data_dir: PathBuf,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the API and the web app (migrates the database first).
    Serve {
        /// Address to listen on.
        #[arg(long, env = "CONFREPORTS_BIND", default_value = "127.0.0.1:8080")]
        bind: String,
        /// Directory of the built web app; the API alone is served when it is missing.
        #[arg(long, env = "CONFREPORTS_WEB_DIR", default_value = "frontend/dist")]
        web_dir: PathBuf,
        /// HTTP worker threads (default: one per core).
        #[arg(long, env = "CONFREPORTS_WORKERS")]
        workers: Option<usize>,
        /// Largest recording upload accepted, in bytes (default 4 GiB).
        #[arg(long, env = "CONFREPORTS_RECORDING_MAX_BYTES", default_value_t = confreports_api::recordings::DEFAULT_MAX_UPLOAD_BYTES)]
        recording_max_bytes: u64,
        /// Seconds between signed checkpoints of the audit trail (written when it grew).
        #[arg(long, env = "CONFREPORTS_AUDIT_CHECKPOINT_SECS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..))]
        audit_checkpoint_secs: u64,
        #[command(flatten)]
        auth: AuthArgs,
    },
    /// Delete what the retention settings say has expired (recordings, endpoints) and print it.
    Purge,
    /// Bring the database schema up to date.
    Migrate,
    /// Count the dashboard's rollups anew from the stored events (after rows were changed behind
    /// the server's back, e.g. restored or bulk-loaded with the database's own tools).
    RebuildRollups,
    /// Manage the administrators of the web app.
    Admin {
        #[command(subcommand)]
        command: admin::AdminCommand,
    },
    /// Manage the OAuth applications that call the API.
    App {
        #[command(subcommand)]
        command: app_cmd::AppCommand,
    },
    /// The audit trail: verify it, or checkpoint it now.
    Audit {
        #[command(subcommand)]
        command: audit_cmd::AuditCommand,
    },
    /// Print the OpenAPI document to stdout.
    Openapi,
    /// Fill an empty database with realistic demo data.
    Demo {
        /// Days of history.
        #[arg(long, default_value_t = 30)]
        days: u32,
        /// People in the organisation.
        #[arg(long, default_value_t = 200)]
        users: u32,
        /// Number of events (default: what the users' activity gives, about 6 a user a day).
        #[arg(long)]
        events: Option<u64>,
        /// Fill a database that already has data.
        #[arg(long)]
        force: bool,
        /// Do nothing, successfully, when the database already has data (for `make run`).
        #[arg(long, conflicts_with = "force")]
        if_empty: bool,
    },
    /// Drive a running server through the ingest API like a conferencing server would.
    Simulate {
        /// Base URL of the server.
        #[arg(long, env = "CONFREPORTS_URL", default_value = "http://127.0.0.1:8080")]
        url: String,
        /// Client id of an OAuth application with scope `ingest`.
        #[arg(long, env = "CONFREPORTS_CLIENT_ID")]
        client_id: String,
        /// Read the client secret from the first line of stdin.
        #[arg(long)]
        client_secret_stdin: bool,
        /// Records per second.
        #[arg(long, default_value_t = 200)]
        rate: u32,
        /// Seconds to run (default: until interrupted).
        #[arg(long)]
        duration: Option<u64>,
        /// Records per batch.
        #[arg(long, default_value_t = 100)]
        batch: u32,
    },
}

/// Sign-in protection and access tokens.
#[derive(Debug, clap::Args)]
struct AuthArgs {
    /// Consecutive wrong passwords that lock an administrator account.
    #[arg(long, env = "CONFREPORTS_LOCK_AFTER", default_value_t = 5)]
    lock_after: i32,
    /// Minutes an account stays locked.
    #[arg(long, env = "CONFREPORTS_LOCK_MINUTES", default_value_t = 15)]
    lock_minutes: i64,
    /// First delay after a wrong password, in milliseconds (doubled each time, capped at 30 s).
    #[arg(long, env = "CONFREPORTS_LOGIN_DELAY_MS", default_value_t = 1000)]
    login_delay_ms: u64,
    /// `iss` of the access tokens (the server's public URL is a good value).
    #[arg(long, env = "CONFREPORTS_TOKEN_ISSUER", default_value = "confreports")]
    token_issuer: String,
    /// Lifetime of access tokens in seconds (at most 900).
    #[arg(long, env = "CONFREPORTS_TOKEN_TTL", default_value_t = 600, value_parser = clap::value_parser!(i64).range(60..=900))]
    token_ttl: i64,
}

impl AuthArgs {
    fn settings(&self) -> AuthSettings {
        AuthSettings {
            lock_after: self.lock_after.max(1),
            lock_minutes: self.lock_minutes.max(1),
            throttle_base_ms: self.login_delay_ms,
            token_issuer: self.token_issuer.clone(),
            token_ttl_seconds: self.token_ttl,
            ..AuthSettings::default()
        }
    }
}

mod admin;
mod app_cmd;
mod audit_cmd;
mod purge;
mod simulate;

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info,actix_server=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let database_url = cli
        .database_url
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}", cli.data_dir.join("confreports.db").display()));
    match cli.command {
        Command::Openapi => {
            print!("{}", confreports_api::openapi::document_json());
            Ok(())
        }
        Command::Migrate => {
            confreports_store::open_pool(&database_url, 1).context("migrating the database")?;
            eprintln!("database is up to date");
            Ok(())
        }
        Command::RebuildRollups => {
            let pool = confreports_store::open_pool(&database_url, 1).context("opening the database")?;
            let started = std::time::Instant::now();
            confreports_store::rollups::rebuild(&mut *pool.get()?).context("counting the rollups")?;
            eprintln!("dashboard rollups rebuilt in {:.1} s", started.elapsed().as_secs_f64());
            Ok(())
        }
        Command::Demo { days, users, events, force, if_empty } => {
            let pool = confreports_store::open_pool(&database_url, 1).context("opening the database")?;
            let mut conn = pool.get()?;
            if !demo::is_empty(&mut conn)? {
                if if_empty {
                    eprintln!("database already has data; demo data not added");
                    return Ok(());
                }
                anyhow::ensure!(force, "the database already has data; pass --force to add demo data anyway");
            }
            let opts = DemoOptions {
                days,
                users,
                events,
                files_dir: Some(cli.data_dir.join("files")),
                recordings_dir: Some(cli.data_dir.join("recordings")),
                ..DemoOptions::default()
            };
            let mut progress = DemoProgress::new();
            let summary = demo::generate(&mut conn, &opts, &mut progress)?;
            progress.finish();
            eprintln!(
                "demo data: {} users, {} endpoints, {} events, {} conferences, {} sessions, {} connections, {} chat messages, {} configuration changes, {} recordings",
                summary.users,
                summary.endpoints,
                summary.events,
                summary.conferences,
                summary.sessions,
                summary.participations,
                summary.chat_messages,
                summary.config_changes,
                summary.recordings
            );
            Ok(())
        }
        Command::Admin { command } => {
            let pool = confreports_store::open_pool(&database_url, 1).context("opening the database")?;
            admin::run(&mut *pool.get()?, command)
        }
        Command::Audit { command } => {
            let pool = confreports_store::open_pool(&database_url, 1).context("opening the database")?;
            if !audit_cmd::run(&mut *pool.get()?, &cli.data_dir, command)? {
                std::process::exit(1);
            }
            Ok(())
        }
        Command::App { command } => {
            let pool = confreports_store::open_pool(&database_url, 1).context("opening the database")?;
            app_cmd::run(&mut *pool.get()?, command)
        }
        Command::Serve { bind, web_dir, workers, recording_max_bytes, audit_checkpoint_secs, auth } => {
            let auth = Auth::new(auth.settings(), &cli.data_dir).context("loading the token signing key")?;
            let dirs = (cli.data_dir.join("files"), cli.data_dir.join("recordings"), recording_max_bytes);
            let checkpoints =
                confreports_api::audit::CheckpointWriter::open(&confreports_api::audit::audit_dir(&cli.data_dir))
                    .context("loading the audit checkpoint signing key")?;
            let checkpoints = (std::sync::Arc::new(checkpoints), std::time::Duration::from_secs(audit_checkpoint_secs));
            serve(&database_url, &bind, web_dir, dirs, workers, auth, checkpoints)
        }
        Command::Simulate { url, client_id, client_secret_stdin, rate, duration, batch } => {
            anyhow::ensure!(client_secret_stdin, "pass --client-secret-stdin and the secret on stdin");
            let mut secret = String::new();
            std::io::stdin().read_line(&mut secret).context("reading the client secret from stdin")?;
            let opts = simulate::SimulateOptions {
                url,
                client_id,
                client_secret: secret.trim().to_owned(),
                rate,
                duration,
                batch,
            };
            simulate::run(&opts)?;
            Ok(())
        }
        Command::Purge => {
            let pool = confreports_store::open_pool(&database_url, 1).context("opening the database")?;
            let purged = purge::run(&mut *pool.get()?, &cli.data_dir.join("recordings"))?;
            println!("deleted {} recordings and {} endpoints", purged.recordings, purged.endpoints);
            Ok(())
        }
    }
}

fn serve(
    database_url: &str,
    bind: &str,
    web_dir: PathBuf,
    (files_dir, recordings_dir, recording_max_bytes): (PathBuf, PathBuf, u64),
    workers: Option<usize>,
    auth: std::sync::Arc<Auth>,
    (checkpoints, checkpoint_every): (std::sync::Arc<CheckpointWriter>, std::time::Duration),
) -> anyhow::Result<()> {
    let pool = confreports_store::open_pool(database_url, 16).context("opening the database")?;
    admin::ensure_first_admin(&mut *pool.get()?)?;
    let web_dir = if web_dir.join("index.html").is_file() {
        Some(web_dir)
    } else {
        tracing::warn!(dir = %web_dir.display(), "web app not built; serving the API only");
        None
    };
    let state = AppState {
        pool,
        web_dir,
        files_dir: Some(files_dir),
        recordings_dir: Some(recordings_dir),
        recording_max_bytes,
        auth,
    };
    let workers = workers.unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
    let pool = state.pool.clone();
    actix_web::rt::System::new().block_on(async move {
        actix_web::rt::spawn(housekeeping(state.pool.clone(), state.recordings_dir.clone()));
        actix_web::rt::spawn(audit_checkpoints(state.pool.clone(), checkpoints.clone(), checkpoint_every));
        let server = actix_web::HttpServer::new(move || confreports_api::build(state.clone()))
            .workers(workers)
            .bind(bind)
            .with_context(|| format!("cannot listen on {bind}"))?;
        for addr in server.addrs() {
            eprintln!("confreports is serving on http://{addr}/ (API docs: http://{addr}/swagger-ui/)");
        }
        let stopped = server.run().await.context("server stopped");
        // A last checkpoint on a clean stop, so the tail written since the last one is covered.
        let last = actix_web::web::block(move || -> anyhow::Result<()> {
            checkpoints.checkpoint(&mut *pool.get()?, None)?;
            Ok(())
        })
        .await;
        if let Ok(Err(e)) | Err(e) = last.map_err(anyhow::Error::from) {
            tracing::warn!(error = %e, "final audit checkpoint failed");
        }
        stopped
    })
}

/// Every `every`: a signed checkpoint of the audit trail's last row, when it moved.
async fn audit_checkpoints(
    pool: confreports_store::Pool,
    writer: std::sync::Arc<CheckpointWriter>,
    every: std::time::Duration,
) {
    let mut tick = actix_web::rt::time::interval(every);
    let mut last: Option<i64> = None;
    loop {
        tick.tick().await;
        let pool = pool.clone();
        let writer = writer.clone();
        let done = actix_web::web::block(move || -> anyhow::Result<Option<i64>> {
            Ok(writer.checkpoint(&mut *pool.get()?, last)?)
        })
        .await;
        match done.map_err(anyhow::Error::from) {
            Ok(Ok(seq)) => last = seq,
            Ok(Err(e)) | Err(e) => tracing::warn!(error = %e, "audit checkpoint failed"),
        }
    }
}

/// Every 30 s: records `unlock` for expired account locks and drops expired sessions and
/// revoked-token entries. At most hourly (and at start): the recording retention.
async fn housekeeping(pool: confreports_store::Pool, recordings_dir: Option<PathBuf>) {
    const RETENTION_EVERY: std::time::Duration = std::time::Duration::from_secs(3600);
    let mut tick = actix_web::rt::time::interval(std::time::Duration::from_secs(30));
    let mut last_retention: Option<std::time::Instant> = None;
    loop {
        tick.tick().await;
        let pool = pool.clone();
        let retention_due = last_retention.is_none_or(|t| t.elapsed() >= RETENTION_EVERY);
        if retention_due {
            last_retention = Some(std::time::Instant::now());
        }
        let recordings_dir = recordings_dir.clone();
        let done = actix_web::web::block(move || -> anyhow::Result<()> {
            let mut conn = pool.get()?;
            if retention_due && let Some(dir) = &recordings_dir {
                let deleted = purge::recordings(&mut conn, dir)?;
                if deleted > 0 {
                    tracing::info!(deleted, "recordings deleted after the retention timeout");
                }
            }
            confreports_api::auth::session::unlock_expired(&mut conn)?;
            let now = confreports_store::report::to_db_time(chrono::Utc::now());
            confreports_store::access::delete_expired_sessions(&mut conn, now)?;
            confreports_store::access::purge_revoked_tokens(&mut conn, now)?;
            Ok(())
        })
        .await;
        if let Ok(Err(e)) | Err(e) = done.map_err(anyhow::Error::from) {
            tracing::warn!(error = %e, "housekeeping failed");
        }
    }
}

/// A progress bar on a terminal, log lines otherwise.
struct DemoProgress {
    bar: Option<indicatif::ProgressBar>,
    total: u64,
    done: u64,
    last_logged: u64,
}

impl DemoProgress {
    fn new() -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = indicatif::ProgressBar::new(0);
            bar.set_style(
                indicatif::ProgressStyle::with_template("{spinner} demo data [{bar:40}] {pos}/{len} {msg} ({eta})")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            bar
        });
        DemoProgress { bar, total: 0, done: 0, last_logged: 0 }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl Progress for DemoProgress {
    fn set_total(&mut self, total: u64) {
        self.total = total;
        if let Some(bar) = &self.bar {
            bar.set_length(total);
        }
    }

    fn advance(&mut self, what: &str, n: u64) {
        self.done += n;
        match &self.bar {
            Some(bar) => {
                bar.set_message(what.to_owned());
                bar.inc(n);
            }
            None if self.done - self.last_logged >= self.total / 10 || self.done >= self.total => {
                self.last_logged = self.done;
                tracing::info!(done = self.done, total = self.total, "demo data: {what}");
            }
            None => {}
        }
    }
}
