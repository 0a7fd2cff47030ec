//! Connections: one `DbConnection` over SQLite and PostgreSQL, picked by the URL scheme; the
//! pool; SQLite pragmas on every new connection; embedded migrations per dialect.

use std::path::PathBuf;
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::{PgConnection, SqliteConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/postgres");

/// A connection to either database. Queries written once against `MultiBackend` run on both;
/// the few dialect-specific statements match on the variant.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgres(PgConnection),
    Sqlite(SqliteConnection),
}

/// Runs `$body` with `$c` bound to the inner connection, for statements `MultiBackend` cannot
/// express (multi-row INSERT, COPY, upserts): `on_inner!(conn, c => insert.execute(c))`.
#[macro_export]
macro_rules! on_inner {
    ($conn:expr, $c:ident => $body:expr) => {
        match $conn {
            $crate::DbConnection::Postgres($c) => $body,
            $crate::DbConnection::Sqlite($c) => $body,
        }
    };
}

pub type Pool = r2d2::Pool<ConnectionManager>;
pub type PooledConnection = r2d2::PooledConnection<ConnectionManager>;

/// Which database a URL names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DbUrl {
    Postgres(String),
    /// A file path, or `:memory:`.
    Sqlite(PathBuf),
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database URL `{0}`: expected postgres://..., sqlite://PATH or a file path")]
    BadUrl(String),
    #[error("cannot connect to the database: {0}")]
    Connection(#[from] diesel::ConnectionError),
    #[error("database pool: {0}")]
    Pool(#[from] r2d2::Error),
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
    #[error("migrations failed: {0}")]
    Migration(String),
    #[error("cannot create the database directory {0}: {1}")]
    Directory(PathBuf, std::io::Error),
}

/// SQLite's page cache per connection, in KiB (its default is 2,000). Each pooled connection
/// keeps its own, filled as it reads and never given back: with the defaults, 16 connections
/// held up to 32 MiB, grown slowly over the ten minutes of `make soak`. The operating system
/// caches the file anyway; what SQLite's own cache saves is a `pread` and a copy per page, and
/// the pages read again and again (the b-trees' upper levels) fit in this one.
pub const SQLITE_CACHE_KIB: u32 = 512;

impl DbUrl {
    pub fn parse(url: &str) -> Result<Self, StoreError> {
        let url = url.trim();
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(DbUrl::Postgres(url.to_owned()));
        }
        let path = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")).unwrap_or(url);
        if path.is_empty() || path.contains("://") {
            return Err(StoreError::BadUrl(url.to_owned()));
        }
        Ok(DbUrl::Sqlite(PathBuf::from(path)))
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self, DbUrl::Postgres(_))
    }

    /// Opens one connection, with the SQLite pragmas applied.
    pub fn connect(&self) -> Result<DbConnection, StoreError> {
        match self {
            DbUrl::Postgres(url) => Ok(DbConnection::Postgres(PgConnection::establish(url)?)),
            DbUrl::Sqlite(path) => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).map_err(|e| StoreError::Directory(dir.to_owned(), e))?;
                }
                let path = path.to_string_lossy();
                let mut conn = SqliteConnection::establish(&path)?;
                // busy_timeout first: the other pragmas may already need to wait for a lock.
                conn.batch_execute(
                    "PRAGMA busy_timeout = 10000;
                     PRAGMA journal_mode = WAL;
                     PRAGMA synchronous = FULL;
                     PRAGMA foreign_keys = ON;",
                )?;
                conn.batch_execute(&format!("PRAGMA cache_size = -{SQLITE_CACHE_KIB}"))?;
                Ok(DbConnection::Sqlite(conn))
            }
        }
    }
}

/// Runs `f` in a transaction that writes. On SQLite it begins with `BEGIN IMMEDIATE`, taking the
/// write lock up front (waiting for it up to `busy_timeout`): a deferred transaction that reads
/// and then writes fails at once with "database is locked" (`SQLITE_BUSY`, which `busy_timeout`
/// does not retry) whenever another writer committed between its first read and its first
/// write. On PostgreSQL, and nested in an open transaction, it is [`Connection::transaction`].
///
/// Every transaction of the server goes through here (they all write: most append to the audit
/// trail, which reads its last row first); `clippy.toml` refuses `Connection::transaction`
/// elsewhere.
#[expect(clippy::disallowed_methods, reason = "the one place that begins transactions")]
pub fn write_transaction<T, E, F>(conn: &mut DbConnection, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    use diesel::connection::{AnsiTransactionManager, TransactionManager};
    type Manager = <DbConnection as Connection>::TransactionManager;
    let DbConnection::Sqlite(sqlite) = conn else { return conn.transaction(f) };
    if AnsiTransactionManager::transaction_manager_status_mut(sqlite).transaction_depth()?.is_some() {
        return conn.transaction(f);
    }
    AnsiTransactionManager::begin_transaction_sql(sqlite, "BEGIN IMMEDIATE")?;
    match f(conn) {
        Ok(value) => {
            Manager::commit_transaction(conn)?;
            Ok(value)
        }
        Err(e) => match Manager::rollback_transaction(conn) {
            Ok(()) | Err(diesel::result::Error::BrokenTransactionManager) => Err(e),
            Err(rollback) => Err(rollback.into()),
        },
    }
}

/// `pg_advisory_lock` key held while migrating: "confrep" + 2.
const MIGRATION_LOCK: i64 = 0x636f_6e66_7265_7002;

/// Runs the pending migrations of the connection's dialect. On PostgreSQL, under an advisory
/// lock: several nodes starting together migrate one after the other (the later ones find
/// nothing pending) instead of racing to create the same tables.
pub fn run_migrations(conn: &mut DbConnection) -> Result<(), StoreError> {
    let applied = match conn {
        DbConnection::Postgres(c) => {
            c.batch_execute(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK})"))?;
            let applied = c.run_pending_migrations(POSTGRES_MIGRATIONS).map(|v| v.len());
            c.batch_execute(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})"))?;
            applied
        }
        DbConnection::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS).map(|v| v.len()),
    }
    .map_err(|e| StoreError::Migration(e.to_string()))?;
    if applied > 0 {
        tracing::info!(applied, "database migrated");
    }
    if crate::rollups::rebuild_if_stale(conn)? {
        tracing::info!("dashboard rollups counted from the stored events");
    }
    Ok(())
}

/// r2d2 manager that picks the connection type by URL scheme (the derived `establish` would
/// try each type in turn, and SQLite accepts any string as a path).
#[derive(Debug, Clone)]
pub struct ConnectionManager {
    url: DbUrl,
}

impl r2d2::ManageConnection for ConnectionManager {
    type Connection = DbConnection;
    type Error = StoreError;

    fn connect(&self) -> Result<DbConnection, StoreError> {
        self.url.connect()
    }

    /// Run on every checkout, so without a round trip (a `SELECT 1` here was a query more per
    /// request for PostgreSQL to answer): a PostgreSQL connection reads what waits on its socket
    /// (`PQconsumeInput`, which does not block), and fails when the server has closed it (a
    /// restart, `pg_terminate_backend`, an idle timeout); the pool then opens a new one. A
    /// SQLite connection is a file: nothing to check.
    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), StoreError> {
        match conn {
            DbConnection::Postgres(pg) => {
                // Twice: a server that ends a session first sends its reason (taken as a notice),
                // then closes; the first read takes the message, the second meets the end.
                for _ in 0..2 {
                    if let Some(Err(e)) = pg.notifications_iter().next() {
                        return Err(StoreError::from(e));
                    }
                }
                Ok(())
            }
            DbConnection::Sqlite(_) => Ok(()),
        }
    }

    fn has_broken(&self, _conn: &mut DbConnection) -> bool {
        false
    }
}

/// Opens a pool on `url` and brings the schema up to date.
pub fn open_pool(url: &str, max_size: u32) -> Result<Pool, StoreError> {
    let url = DbUrl::parse(url)?;
    let pool = r2d2::Pool::builder()
        .max_size(max_size)
        .connection_timeout(Duration::from_secs(30))
        .build(ConnectionManager { url })?;
    run_migrations(&mut *pool.get()?)?;
    Ok(pool)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_pick_the_backend_by_scheme() {
        assert!(DbUrl::parse("postgres://u@h/db").expect("valid").is_postgres());
        assert!(DbUrl::parse("postgresql://u@h/db").expect("valid").is_postgres());
        assert_eq!(DbUrl::parse("sqlite://data/x.db").expect("valid"), DbUrl::Sqlite(PathBuf::from("data/x.db")));
        assert_eq!(DbUrl::parse("x.db").expect("valid"), DbUrl::Sqlite(PathBuf::from("x.db")));
        assert!(DbUrl::parse("mysql://h/db").is_err());
        assert!(DbUrl::parse("").is_err());
    }

    #[derive(diesel::QueryableByName)]
    struct CacheSize {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        cache_size: i64,
    }

    #[test]
    fn sqlite_connections_keep_a_small_page_cache() {
        let path = std::env::temp_dir().join(format!("confreports-conn-{}.db", std::process::id()));
        let mut conn = DbUrl::Sqlite(path.clone()).connect().expect("opens");
        let DbConnection::Sqlite(sqlite) = &mut conn else { unreachable!("a SQLite URL") };
        let size = diesel::sql_query("PRAGMA cache_size").get_result::<CacheSize>(sqlite).expect("pragma");
        // Negative: a size in KiB, not in pages.
        assert_eq!(size.cache_size, -i64::from(SQLITE_CACHE_KIB));
        drop(conn);
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
    }
}
