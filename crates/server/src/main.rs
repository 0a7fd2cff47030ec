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
        /// PostgreSQL: connections each HTTP worker keeps for the report pages it reads itself
        /// (several queries share one under load).
        #[arg(long, env = "CONFREPORTS_PAGE_CONNECTIONS", default_value_t = PAGE_CONNECTIONS, value_parser = clap::value_parser!(u16).range(1..=64))]
        page_connections: u16,
        /// Largest recording upload accepted, in bytes (default 4 GiB).
        #[arg(long, env = "CONFREPORTS_RECORDING_MAX_BYTES", default_value_t = confreports_api::recordings::DEFAULT_MAX_UPLOAD_BYTES)]
        recording_max_bytes: u64,
        /// Seconds between signed checkpoints of the audit trail (written when it grew).
        #[arg(long, env = "CONFREPORTS_AUDIT_CHECKPOINT_SECS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..))]
        audit_checkpoint_secs: u64,
        #[command(flatten)]
        limits: LimitArgs,
        #[command(flatten)]
        auth: AuthArgs,
        #[command(flatten)]
        housekeeping: HousekeepingArgs,
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

/// The background work of one node; with several nodes on one PostgreSQL database, one of them
/// (the holder of an advisory lock) does it.
#[derive(Debug, Clone, clap::Args)]
struct HousekeepingArgs {
    /// Seconds between housekeeping rounds (expired account locks, sessions, revoked tokens).
    #[arg(long, env = "CONFREPORTS_HOUSEKEEPING_SECONDS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
    housekeeping_seconds: u64,
    /// Seconds between runs of the recording and endpoint retention.
    #[arg(long, env = "CONFREPORTS_RETENTION_SECONDS", default_value_t = 3600, value_parser = clap::value_parser!(u64).range(1..))]
    retention_seconds: u64,
}

/// Limits that keep one client from taking what others need.
#[derive(Debug, Clone, clap::Args)]
struct LimitArgs {
    /// Largest ingest body accepted, in bytes.
    #[arg(long, env = "CONFREPORTS_INGEST_MAX_BYTES", default_value_t = confreports_api::ingest::IngestLimits::DEFAULT_MAX_BYTES, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    ingest_max_bytes: usize,
    /// Most records in one ingest batch.
    #[arg(long, env = "CONFREPORTS_INGEST_MAX_RECORDS", default_value_t = confreports_api::ingest::IngestLimits::DEFAULT_MAX_RECORDS, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    ingest_max_records: usize,
    /// CSV exports one caller (administrator or OAuth application) may stream at once, per node.
    #[arg(long, env = "CONFREPORTS_EXPORTS_PER_PRINCIPAL", default_value_t = confreports_api::limits::Limits::DEFAULT_EXPORTS_PER_PRINCIPAL, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    exports_per_principal: usize,
    /// Seconds a client has to send a request's headers (408 after).
    #[arg(long, env = "CONFREPORTS_HEADER_TIMEOUT", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..))]
    header_timeout_secs: u64,
    /// Seconds a request body may pause between two parts (408 after).
    #[arg(long, env = "CONFREPORTS_BODY_IDLE_TIMEOUT", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
    body_idle_timeout_secs: u64,
    /// Seconds an idle keep-alive connection stays open.
    #[arg(long, env = "CONFREPORTS_KEEP_ALIVE", default_value_t = 5)]
    keep_alive_secs: u64,
    /// Seconds given to a client to close its connection after the answer was sent.
    #[arg(long, env = "CONFREPORTS_DISCONNECT_TIMEOUT", default_value_t = 5)]
    disconnect_timeout_secs: u64,
}

impl LimitArgs {
    fn limits(&self) -> confreports_api::limits::Limits {
        confreports_api::limits::Limits::new(
            confreports_api::ingest::IngestLimits {
                max_bytes: self.ingest_max_bytes,
                max_records: self.ingest_max_records,
            },
            self.exports_per_principal,
            std::time::Duration::from_secs(self.body_idle_timeout_secs),
        )
    }
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
    /// Seconds an authenticated caller is remembered without asking the database again; a
    /// sign-out or revocation made on another node holds here after at most this long (0: ask
    /// the database on every request).
    #[arg(long, env = "CONFREPORTS_AUTH_CACHE_SECONDS", default_value_t = 2, value_parser = clap::value_parser!(u64).range(0..=60))]
    auth_cache_seconds: u64,
}

impl AuthArgs {
    fn settings(&self) -> AuthSettings {
        AuthSettings {
            lock_after: self.lock_after.max(1),
            lock_minutes: self.lock_minutes.max(1),
            throttle_base_ms: self.login_delay_ms,
            token_issuer: self.token_issuer.clone(),
            token_ttl_seconds: self.token_ttl,
            cache_ttl: std::time::Duration::from_secs(self.auth_cache_seconds),
            ..AuthSettings::default()
        }
    }
}

mod admin;
mod app_cmd;
mod audit_cmd;
mod memory;
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
        Command::Serve {
            bind,
            web_dir,
            workers,
            page_connections,
            recording_max_bytes,
            audit_checkpoint_secs,
            limits,
            auth,
            housekeeping,
        } => {
            let auth = Auth::new(auth.settings(), &cli.data_dir).context("loading the token signing key")?;
            let dirs = (cli.data_dir.join("files"), cli.data_dir.join("recordings"), recording_max_bytes);
            let checkpoints =
                confreports_api::audit::CheckpointWriter::open(&confreports_api::audit::audit_dir(&cli.data_dir))
                    .context("loading the audit checkpoint signing key")?;
            let checkpoints = (std::sync::Arc::new(checkpoints), std::time::Duration::from_secs(audit_checkpoint_secs));
            serve(
                &database_url,
                &bind,
                web_dir,
                dirs,
                Tuning { workers, page_connections, limits, housekeeping },
                auth,
                checkpoints,
            )
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

/// Connections of a node's diesel pool to the database.
const POOL_SIZE: u32 = 16;

/// Connections each worker thread of a node keeps for the pages PostgreSQL's asynchronous
/// client reads ([`confreports_store::pg_async`]), unless `--page-connections` says otherwise.
const PAGE_CONNECTIONS: u16 = 4;

/// How one node runs: its workers, limits and housekeeping.
struct Tuning {
    workers: Option<usize>,
    page_connections: u16,
    limits: LimitArgs,
    housekeeping: HousekeepingArgs,
}

fn serve(
    database_url: &str,
    bind: &str,
    web_dir: PathBuf,
    (files_dir, recordings_dir, recording_max_bytes): (PathBuf, PathBuf, u64),
    Tuning { workers, page_connections, limits: limit_args, housekeeping: housekeeping_args }: Tuning,
    auth: std::sync::Arc<Auth>,
    (checkpoints, checkpoint_every): (std::sync::Arc<CheckpointWriter>, std::time::Duration),
) -> anyhow::Result<()> {
    let leadership = confreports_store::leader::Leadership::new(
        confreports_store::DbUrl::parse(database_url).context("the database URL")?,
    );
    let pool = confreports_store::open_pool(database_url, POOL_SIZE).context("opening the database")?;
    admin::ensure_first_admin(&mut *pool.get()?)?;
    let web_dir = if web_dir.join("index.html").is_file() {
        Some(web_dir)
    } else {
        tracing::warn!(dir = %web_dir.display(), "web app not built; serving the API only");
        None
    };
    let db_url = confreports_store::DbUrl::parse(database_url).context("the database URL")?;
    let state = AppState {
        pool,
        db_url: db_url.clone(),
        pg_reader: confreports_store::pg_async::PgReader::new(&db_url, usize::from(page_connections)),
        web_dir,
        files_dir: Some(files_dir),
        recordings_dir: Some(recordings_dir),
        recording_max_bytes,
        limits: limit_args.limits(),
        auth,
    };
    let secs = std::time::Duration::from_secs;
    let header_timeout = secs(limit_args.header_timeout_secs);
    let keep_alive = match limit_args.keep_alive_secs {
        0 => actix_web::http::KeepAlive::Disabled,
        n => actix_web::http::KeepAlive::Timeout(secs(n)),
    };
    let disconnect_timeout = secs(limit_args.disconnect_timeout_secs);
    let workers = workers.unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
    let pool = state.pool.clone();
    actix_web::rt::System::new().block_on(async move {
        actix_web::rt::spawn(housekeeping(
            state.pool.clone(),
            leadership,
            state.recordings_dir.clone(),
            housekeeping_args,
        ));
        actix_web::rt::spawn(audit_checkpoints(state.pool.clone(), checkpoints.clone(), checkpoint_every));
        let server = actix_web::HttpServer::new(move || confreports_api::build(state.clone()))
            .workers(workers)
            .client_request_timeout(header_timeout)
            .client_disconnect_timeout(disconnect_timeout)
            .keep_alive(keep_alive)
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

/// Every `--housekeeping-seconds` (30): records `unlock` for expired account locks and drops
/// expired sessions and revoked-token entries; every `--retention-seconds` (hourly) and at start:
/// the recording retention. With several nodes on one database, only the one that holds the
/// housekeeping lock does this ([`Leadership`](confreports_store::leader::Leadership)); another
/// takes over when it stops.
async fn housekeeping(
    pool: confreports_store::Pool,
    mut leadership: confreports_store::leader::Leadership,
    recordings_dir: Option<PathBuf>,
    args: HousekeepingArgs,
) {
    let retention_every = std::time::Duration::from_secs(args.retention_seconds);
    let mut tick = actix_web::rt::time::interval(std::time::Duration::from_secs(args.housekeeping_seconds));
    let mut last_retention: Option<std::time::Instant> = None;
    let mut leading = false;
    loop {
        tick.tick().await;
        let pool = pool.clone();
        let recordings_dir = recordings_dir.clone();
        let retention_due = last_retention.is_none_or(|t| t.elapsed() >= retention_every);
        let done = actix_web::web::block(move || -> (confreports_store::leader::Leadership, anyhow::Result<bool>) {
            let leads = match leadership.lead() {
                Ok(leads) => leads,
                Err(e) => return (leadership, Err(e.into())),
            };
            let work = || -> anyhow::Result<()> {
                let mut conn = pool.get()?;
                if retention_due && let Some(dir) = &recordings_dir {
                    let deleted = purge::recordings(&mut conn, dir)?;
                    tracing::info!(deleted, "recording retention ran");
                }
                confreports_api::auth::session::unlock_expired(&mut conn)?;
                let now = confreports_store::report::to_db_time(chrono::Utc::now());
                confreports_store::access::delete_expired_sessions(&mut conn, now)?;
                confreports_store::access::purge_revoked_tokens(&mut conn, now)?;
                Ok(())
            };
            let result = if leads { work().map(|()| true) } else { Ok(false) };
            (leadership, result)
        })
        .await;
        let result = match done {
            Ok((back, result)) => {
                leadership = back;
                result
            }
            Err(e) => {
                // The blocking pool is gone (shutting down): nothing more to do.
                tracing::warn!(error = %e, "housekeeping stopped");
                return;
            }
        };
        match result {
            Ok(leads) => {
                if leads != leading {
                    leading = leads;
                    if leads {
                        tracing::info!("this node leads the housekeeping (retention, expired sessions and locks)");
                    } else {
                        tracing::info!("another node leads the housekeeping");
                    }
                }
                if leads && retention_due {
                    last_retention = Some(std::time::Instant::now());
                }
            }
            Err(e) => tracing::warn!(error = %e, "housekeeping failed"),
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
