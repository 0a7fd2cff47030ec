//! Pages read from PostgreSQL on the server's own workers: an asynchronous client
//! (tokio-postgres) beside the diesel pool.
//!
//! Through diesel, a page went from the HTTP worker to a thread of the blocking pool and back,
//! and libpq's result was copied into diesel's rows and every field into a `String` of its own:
//! under load the server spent more CPU per page than PostgreSQL did, much of it handing work
//! between threads. Here the worker that took the request sends the query itself and goes on
//! with other requests until the rows come back.
//!
//! Each worker thread keeps a few connections of its own ([`PgReader::new`]'s `per_thread`),
//! so a page never leaves its thread, and a query goes to the connection with the fewest
//! queries in flight. Under load several queries wait on one connection: tokio-postgres sends
//! them one after the other without waiting for the answers (pipelining), and PostgreSQL's
//! backend runs them back to back instead of sleeping and waking between them (a quarter less
//! of its CPU per query, measured with `pgbench \startpipeline`). A slow query holds back only
//! what was sent behind it on its connection, and the next queries go to the others.
//!
//! Only the busiest statements come this way (report pages without search words, see
//! [`crate::report::Report::direct_page`]); everything else keeps the diesel pool, and a page
//! falls back to it when this client cannot connect.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

pub use tokio_postgres::Row;
use tokio_postgres::types::{FromSql, ToSql, Type};
use tokio_postgres::{Client, Statement};

use crate::DbUrl;
use crate::sql_text::Param;

/// The session setting of the page reader's connections ([`PgReader::new`]).
const GENERIC_PLANS: &str = "-c plan_cache_mode=force_generic_plan";

/// After a failed connection, how long a worker reads through the diesel pool before it tries
/// again (rather than paying for a refused connection on every page).
const RETRY_AFTER: Duration = Duration::from_secs(10);

/// How long opening a connection may take when the URL does not say.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The `application_name` of this client's connections (in `pg_stat_activity`) unless the
/// database URL names one.
pub const APPLICATION_NAME: &str = "confreports pages";

/// The asynchronous client of one database; cheap to clone. Its connections belong to the
/// threads that opened them.
#[derive(Clone)]
pub struct PgReader {
    shared: Arc<Shared>,
}

struct Shared {
    /// Tells this reader's connections apart from another reader's on the same thread.
    id: u64,
    config: tokio_postgres::Config,
    tls: postgres_openssl::MakeTlsConnector,
    per_thread: usize,
}

impl std::fmt::Debug for PgReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgReader").field("per_thread", &self.shared.per_thread).finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// No connection could be had (or its TLS set up): the caller reads through the diesel
    /// pool instead.
    #[error("the asynchronous PostgreSQL client has no connection: {0}")]
    Connect(String),
    #[error("database: {0}")]
    Query(#[from] tokio_postgres::Error),
    #[error("writing a page's JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// The statement could not be written (a cursor of the wrong kind).
    #[error(transparent)]
    Build(#[from] diesel::result::Error),
}

/// One connection of a worker thread.
struct Conn {
    client: Client,
    /// The statements prepared on it, by their SQL text.
    statements: RefCell<HashMap<String, Statement>>,
    in_flight: Cell<usize>,
}

/// A worker thread's connections of one reader.
#[derive(Default)]
struct Conns {
    open: RefCell<Vec<Rc<Conn>>>,
    opening: Cell<usize>,
    /// Woken when a connection is opened or fails to open.
    changed: tokio::sync::Notify,
    failed_at: Cell<Option<Instant>>,
}

thread_local! {
    static THREAD_CONNS: RefCell<Vec<(std::sync::Weak<Shared>, Rc<Conns>)>> = const { RefCell::new(Vec::new()) };
}

/// Counts a query in flight on a connection for as long as it lives (a request dropped midway
/// included).
struct InFlight(Rc<Conn>);

impl InFlight {
    fn new(conn: Rc<Conn>) -> Self {
        conn.in_flight.set(conn.in_flight.get() + 1);
        InFlight(conn)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.set(self.0.in_flight.get().saturating_sub(1));
    }
}

/// Counts a connection being opened for as long as it lives (a request dropped midway
/// included), and tells the queries waiting for one when it ends.
struct Opening<'a>(&'a Conns);

impl<'a> Opening<'a> {
    fn new(conns: &'a Conns) -> Self {
        conns.opening.set(conns.opening.get() + 1);
        Opening(conns)
    }
}

impl Drop for Opening<'_> {
    fn drop(&mut self) {
        self.0.opening.set(self.0.opening.get().saturating_sub(1));
        self.0.changed.notify_waiters();
    }
}

impl PgReader {
    /// Up to `per_thread` connections to `url` per worker thread, opened as pages need them;
    /// `None` for SQLite, and for URLs tokio-postgres does not take (libpq-only parameters,
    /// `sslmode=verify-ca` or `verify-full`), whose pages then all go through the diesel pool.
    pub fn new(url: &DbUrl, per_thread: usize) -> Option<Self> {
        static IDS: AtomicU64 = AtomicU64::new(0);
        let DbUrl::Postgres(url) = url else { return None };
        let mut config: tokio_postgres::Config = match url.parse() {
            Ok(config) => config,
            Err(e) => {
                tracing::info!("pages are read through the blocking pool: the asynchronous client takes no {e}");
                return None;
            }
        };
        if config.get_application_name().is_none() {
            config.application_name(APPLICATION_NAME);
        }
        // Pages are keyset scans, each filter with its sorted index: planned once, with their
        // bound values (a cursor, a time range) unknown, they keep their index. Left to choose,
        // PostgreSQL planned the statement of the pages after a cursor anew at every execution
        // (0.12 ms of planning for 0.07 ms of running it at 10M rows; depth 1.22–1.27 instead
        // of 1.05).
        let options = match config.get_options() {
            Some(theirs) => format!("{theirs} {GENERIC_PLANS}"),
            None => GENERIC_PLANS.to_owned(),
        };
        config.options(&options);
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        let tls = match tls() {
            Ok(tls) => tls,
            Err(e) => {
                tracing::warn!("pages are read through the blocking pool: TLS for the asynchronous client: {e}");
                return None;
            }
        };
        let id = IDS.fetch_add(1, Ordering::Relaxed);
        Some(PgReader { shared: Arc::new(Shared { id, config, tls, per_thread: per_thread.max(1) }) })
    }

    /// The rows of `sql` with `params` bound, on one of this thread's connections. When
    /// `prepare`, the statement is prepared once per connection and kept (the caller bounds how
    /// many texts it prepares, as [`crate::report::admit_shape`] does); otherwise it is sent
    /// unnamed with its parameters' types, parsed and planned for this execution only, in the
    /// same round trip. A connection the database closed (a restart, `pg_terminate_backend`, an
    /// idle timeout) is dropped and the query, a read, sent again once on another.
    pub async fn query(&self, sql: &str, params: &[Param], prepare: bool) -> Result<Vec<Row>, ReadError> {
        let conns = self.conns();
        let mut attempts = 0;
        loop {
            attempts += 1;
            let conn = InFlight::new(self.connection(&conns).await?);
            match Self::query_on(&conn.0, sql, params, prepare).await {
                Err(e) if attempts < 2 && (e.is_closed() || conn.0.client.is_closed() || ended_by_server(&e)) => {
                    conns.open.borrow_mut().retain(|c| !Rc::ptr_eq(c, &conn.0));
                }
                rows => return Ok(rows?),
            }
        }
    }

    async fn query_on(
        conn: &Conn,
        sql: &str,
        params: &[Param],
        prepare: bool,
    ) -> Result<Vec<Row>, tokio_postgres::Error> {
        let client = &conn.client;
        if prepare {
            let cached = conn.statements.borrow().get(sql).cloned();
            let statement = match cached {
                Some(statement) => statement,
                None => {
                    let types: Vec<Type> = params.iter().map(sql_type).collect();
                    let statement = client.prepare_typed(sql, &types).await?;
                    conn.statements.borrow_mut().insert(sql.to_owned(), statement.clone());
                    statement
                }
            };
            let values: Vec<&(dyn ToSql + Sync)> = params.iter().map(value).collect();
            client.query(&statement, &values).await
        } else {
            let typed: Vec<(&(dyn ToSql + Sync), Type)> = params.iter().map(|p| (value(p), sql_type(p))).collect();
            client.query_typed(sql, &typed).await
        }
    }

    /// This thread's connections of this reader.
    fn conns(&self) -> Rc<Conns> {
        THREAD_CONNS.with_borrow_mut(|all| {
            // Readers dropped since (a test's database) leave their connections behind here.
            all.retain(|(shared, _)| shared.strong_count() > 0);
            if let Some((_, conns)) = all.iter().find(|(s, _)| s.upgrade().is_some_and(|s| s.id == self.shared.id)) {
                return conns.clone();
            }
            let conns = Rc::new(Conns::default());
            all.push((Arc::downgrade(&self.shared), conns.clone()));
            conns
        })
    }

    /// The open connection with the fewest queries in flight, or a new one while this thread
    /// has fewer than `per_thread` and each of them is busy (unless one failed to open in the
    /// last [`RETRY_AFTER`]: then a busy one).
    async fn connection(&self, conns: &Conns) -> Result<Rc<Conn>, ReadError> {
        loop {
            conns.open.borrow_mut().retain(|c| !c.client.is_closed());
            let least = conns.open.borrow().iter().min_by_key(|c| c.in_flight.get()).cloned();
            let count = conns.open.borrow().len() + conns.opening.get();
            let may_open = count < self.shared.per_thread;
            match least {
                Some(conn) if conn.in_flight.get() == 0 || !may_open => return Ok(conn),
                least if may_open => {
                    if let Some(at) = conns.failed_at.get()
                        && at.elapsed() < RETRY_AFTER
                    {
                        return least.ok_or_else(|| {
                            ReadError::Connect("the last connection failed to open; retrying later".into())
                        });
                    }
                    return match self.open(conns).await {
                        Err(e) => least.ok_or(e),
                        opened => opened,
                    };
                }
                // Every connection this thread may have is being opened: wait for one.
                _ => conns.changed.notified().await,
            }
        }
    }

    async fn open(&self, conns: &Conns) -> Result<Rc<Conn>, ReadError> {
        let opening = Opening::new(conns);
        let opened = self.shared.config.connect(self.shared.tls.clone()).await;
        drop(opening);
        let (client, connection) = opened.map_err(|e| {
            // Once per failure, at most every RETRY_AFTER: the pages meanwhile go through the pool.
            tracing::warn!(
                "pages are read through the pool for {RETRY_AFTER:?}: the asynchronous client cannot connect: {e}"
            );
            conns.failed_at.set(Some(Instant::now()));
            ReadError::Connect(e.to_string())
        })?;
        conns.failed_at.set(None);
        // On this thread's runtime; it ends when the client is dropped or the server closes.
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::warn!("asynchronous PostgreSQL connection: {e}");
            }
        });
        let conn = Rc::new(Conn { client, statements: RefCell::default(), in_flight: Cell::new(0) });
        conns.open.borrow_mut().push(conn.clone());
        Ok(conn)
    }
}

/// A text column as the bytes PostgreSQL sent. They are UTF-8 already: tokio-postgres asks for
/// `client_encoding` UTF8 when it connects (a startup parameter, which the URL's `options`
/// cannot override), and PostgreSQL converts what it sends to it. `&str`'s `FromSql` checks
/// them again, every text of every row (5% of a page's CPU under load).
pub struct Text<'a>(pub &'a [u8]);

impl<'a> FromSql<'a> for Text<'a> {
    fn from_sql(_: &Type, raw: &'a [u8]) -> Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        Ok(Text(raw))
    }

    /// The text types of the schema's columns (`&str` also takes extension types, by their
    /// names, compared for every column of every row).
    fn accepts(ty: &Type) -> bool {
        matches!(*ty, Type::TEXT | Type::VARCHAR)
    }
}

/// A `timestamp` column (stored in UTC) read straight from its wire form, microseconds since
/// 2000-01-01, as [`crate::report::from_db_time`] reads diesel's `NaiveDateTime`.
pub struct Timestamp(pub chrono::DateTime<chrono::Utc>);

/// 2000-01-01T00:00:00Z, PostgreSQL's epoch, in microseconds since 1970's.
const PG_EPOCH_MICROS: i64 = 946_684_800_000_000;

impl<'a> FromSql<'a> for Timestamp {
    fn from_sql(_: &Type, raw: &'a [u8]) -> Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        let micros = i64::from_be_bytes(raw.try_into().map_err(|_| "a timestamp of other than 8 bytes")?);
        micros
            .checked_add(PG_EPOCH_MICROS)
            .and_then(chrono::DateTime::from_timestamp_micros)
            .map(Timestamp)
            .ok_or_else(|| "a timestamp out of range (infinity?)".into())
    }

    fn accepts(ty: &Type) -> bool {
        *ty == Type::TIMESTAMP
    }
}

/// Whether the server ended the session (`admin_shutdown`, `crash_shutdown`,
/// `idle_session_timeout`: `57P…`), which closes the connection (not a cancelled statement, `57014`).
fn ended_by_server(e: &tokio_postgres::Error) -> bool {
    e.code().is_some_and(|c| c.code().starts_with("57P"))
}

fn value(param: &Param) -> &(dyn ToSql + Sync) {
    match param {
        Param::Text(text) => text,
        Param::Time(time) => time,
        Param::Int(int) => int,
    }
}

fn sql_type(param: &Param) -> Type {
    match param {
        Param::Text(_) => Type::TEXT,
        Param::Time(_) => Type::TIMESTAMP,
        Param::Int(_) => Type::INT8,
    }
}

/// TLS as libpq's `sslmode=prefer` and `require` do it (the default is `prefer`): encrypted
/// when the server offers it, the certificate not checked. (tokio-postgres refuses the modes
/// that check it, and such URLs keep the diesel pool.)
fn tls() -> Result<postgres_openssl::MakeTlsConnector, openssl::error::ErrorStack> {
    let mut builder = openssl::ssl::SslConnector::builder(openssl::ssl::SslMethod::tls_client())?;
    builder.set_verify(openssl::ssl::SslVerifyMode::NONE);
    Ok(postgres_openssl::MakeTlsConnector::new(builder.build()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_read_as_tokio_postgres_reads_them() {
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        let mut micros: Vec<i64> = vec![0, 1, -1, 86_400_000_000, -PG_EPOCH_MICROS, 1_000_000_000_000_000];
        for _ in 0..5_000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            micros.push((seed % 8_000_000_000_000_000) as i64 - 4_000_000_000_000_000);
        }
        for m in micros {
            let raw = m.to_be_bytes();
            let theirs = <chrono::NaiveDateTime as FromSql>::from_sql(&Type::TIMESTAMP, &raw).expect("in range");
            let ours = Timestamp::from_sql(&Type::TIMESTAMP, &raw).expect("in range").0;
            assert_eq!(ours, crate::report::from_db_time(theirs), "{m}");
        }
        // PostgreSQL's infinity and a short value are errors, not panics.
        assert!(Timestamp::from_sql(&Type::TIMESTAMP, &i64::MAX.to_be_bytes()).is_err());
        assert!(Timestamp::from_sql(&Type::TIMESTAMP, &[0, 1]).is_err());
        assert!(!Timestamp::accepts(&Type::TIMESTAMPTZ) && !Text::accepts(&Type::INT8) && Text::accepts(&Type::TEXT));
    }
}
