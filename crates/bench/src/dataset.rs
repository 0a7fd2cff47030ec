//! The benchmark databases: a fresh SQLite file under the work directory and a fresh PostgreSQL
//! database, both created through `confreports_store` (so the schema and indexes are the app's)
//! and holding the same rows with the same ids. SQLite is filled through `events::insert` (so
//! the `search` column is exactly what the app writes); PostgreSQL is then filled from the SQLite
//! rows with a binary `COPY`. In both, `events`' own indexes are dropped before the rows go in
//! and built again after (each as the migrations define it, read back from the database). Both
//! are analysed. A dataset whose fingerprint (generator version, seed, row count) and row count
//! match is reused as is.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context as _, bail, ensure};
use chrono::NaiveDateTime;
use confreports_store::schema::events;
use confreports_store::{DbConnection, DbUrl, events::insert};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;

use crate::generator::{self, Generator};
use crate::progress::Progress;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        }
    }
}

/// What a stored dataset was generated from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint {
    pub seed: u64,
    pub rows: u64,
    /// Hash of the migrations: a schema change means a new database.
    pub schema: String,
}

/// FNV-1a over the migration files (paths and contents, in path order) under `root/migrations`.
pub fn schema_hash(root: &Path) -> anyhow::Result<String> {
    fn walk(dir: &Path, files: &mut Vec<PathBuf>) -> std::io::Result<()> {
        for entry in std::fs::read_dir(dir)? {
            let path = entry?.path();
            if path.is_dir() { walk(&path, files)? } else { files.push(path) }
        }
        Ok(())
    }
    let dir = root.join("migrations");
    let mut files = Vec::new();
    walk(&dir, &mut files).with_context(|| format!("reading {}", dir.display()))?;
    files.sort();
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for f in files {
        let rel = f.strip_prefix(&dir).unwrap_or(&f).to_string_lossy().into_owned();
        for b in rel.bytes().chain(std::fs::read(&f)?) {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    Ok(format!("{h:016x}"))
}

impl Fingerprint {
    fn to_json(&self, extra: &str) -> String {
        serde_json::json!({
            "generator": generator::VERSION,
            "seed": self.seed,
            "rows": self.rows,
            "schema": self.schema,
            "extra": extra,
        })
        .to_string()
    }
}

/// A database filled with the benchmark's events.
#[derive(Debug, Clone)]
pub struct Dataset {
    pub backend: Backend,
    /// The database URL, as given to the server.
    pub url: String,
    /// The SQLite file, for the `sqlite3` CLI.
    pub sqlite_path: Option<PathBuf>,
    /// Seconds spent generating and loading; `None` when an existing dataset was reused.
    pub load_secs: Option<f64>,
}

impl Dataset {
    pub fn connect(&self) -> anyhow::Result<DbConnection> {
        Ok(DbUrl::parse(&self.url)?.connect()?)
    }

    /// Removes what servers of earlier runs added (the generated events have ids 1..=rows;
    /// sign-ins and administrator changes are logged after them). Returns how many went.
    pub fn reset(&self, rows: u64) -> anyhow::Result<usize> {
        let mut conn = self.connect()?;
        Ok(reset(&mut conn, rows)?)
    }
}

fn reset(conn: &mut DbConnection, rows: u64) -> QueryResult<usize> {
    diesel::delete(events::table.filter(events::id.gt(rows as i64))).execute(conn)
}

/// Rows per `events::insert` call into SQLite.
const INSERT_BATCH: usize = 10_000;
/// Rows per `COPY` into PostgreSQL.
const COPY_BATCH: i64 = 50_000;

fn meta_path(work: &Path, backend: Backend) -> PathBuf {
    work.join(match backend {
        Backend::Sqlite => "sqlite.dataset.json",
        Backend::Postgres => "postgres.dataset.json",
    })
}

fn stored_matches(work: &Path, backend: Backend, fingerprint: &str) -> bool {
    std::fs::read_to_string(meta_path(work, backend)).is_ok_and(|s| s.trim() == fingerprint)
}

fn count_events(conn: &mut DbConnection) -> QueryResult<i64> {
    events::table.count().get_result(conn)
}

/// The SQLite dataset, generated unless a matching one exists (or `regenerate`).
pub fn prepare_sqlite(work: &Path, fp: &Fingerprint, regenerate: bool) -> anyhow::Result<Dataset> {
    let path = work.join("events.db");
    let url = format!("sqlite://{}", path.display());
    let fingerprint = fp.to_json("");
    let mut dataset =
        Dataset { backend: Backend::Sqlite, url: url.clone(), sqlite_path: Some(path.clone()), load_secs: None };
    if !regenerate && path.is_file() && stored_matches(work, Backend::Sqlite, &fingerprint) {
        let mut conn = dataset.connect()?;
        reset(&mut conn, fp.rows)?;
        let n = count_events(&mut conn)?;
        if n as u64 == fp.rows {
            crate::log(&format!("SQLite: reusing {} ({n} events)", path.display()));
            return Ok(dataset);
        }
        crate::log(&format!("SQLite: {} has {n} events, not {}; regenerating", path.display(), fp.rows));
    }
    // The PostgreSQL dataset is copied from this one: it goes stale with it.
    for stale in [meta_path(work, Backend::Sqlite), meta_path(work, Backend::Postgres)] {
        let _ = std::fs::remove_file(stale);
    }
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let file = PathBuf::from(format!("{}{suffix}", path.display()));
        if file.exists() {
            std::fs::remove_file(&file).with_context(|| format!("removing {}", file.display()))?;
        }
    }
    let started = Instant::now();
    let pool = confreports_store::open_pool(&url, 1).context("creating the SQLite database")?;
    let mut conn = pool.get()?;
    // Rows go in by id, which appends to the table; each index would take them scattered, and
    // once an index outgrew the page cache every batch paid for it (at 10M rows each million
    // took 3.6 times as long as the first): the indexes are built once the rows are in.
    let DbConnection::Sqlite(sq) = &mut *conn else { bail!("{url} is not a SQLite URL") };
    let found = diesel::sql_query(SQLITE_INDEXES).load(sq)?;
    let indexes = drop_indexes(&mut *conn, found)?;
    conn.batch_execute(&format!("PRAGMA cache_size = -{LOAD_CACHE_KIB}"))?;
    let mut progress = Progress::new("SQLite: generating events", fp.rows);
    // One deferred transaction on a database nothing else uses.
    #[expect(clippy::disallowed_methods, reason = "the bench is alone on its database")]
    conn.transaction::<_, anyhow::Error, _>(|conn| {
        let mut generator = Generator::new(fp.seed, fp.rows);
        loop {
            let chunk: Vec<_> = generator.by_ref().take(INSERT_BATCH).collect();
            if chunk.is_empty() {
                return Ok(());
            }
            insert(conn, &chunk)?;
            progress.inc(chunk.len() as u64);
        }
    })?;
    progress.finish();
    create_indexes(&mut *conn, Backend::Sqlite, &indexes)?;
    crate::log("SQLite: ANALYZE");
    conn.batch_execute("ANALYZE; PRAGMA wal_checkpoint(TRUNCATE);")?;
    let n = count_events(&mut conn)?;
    ensure!(n as u64 == fp.rows, "SQLite holds {n} events after generating {}", fp.rows);
    drop(conn);
    drop(pool);
    std::fs::write(meta_path(work, Backend::Sqlite), &fingerprint)?;
    dataset.load_secs = Some(started.elapsed().as_secs_f64());
    Ok(dataset)
}

/// Memory for loading: SQLite's page cache while generating and building indexes, PostgreSQL's
/// `maintenance_work_mem` while building them (KiB).
const LOAD_CACHE_KIB: u32 = 1024 * 1024;

/// `events`' own indexes (not the primary key's): name and definition.
const SQLITE_INDEXES: &str = "SELECT name, sql AS definition FROM sqlite_master \
     WHERE type = 'index' AND tbl_name = 'events' AND sql IS NOT NULL ORDER BY name";
const POSTGRES_INDEXES: &str = "SELECT indexname AS name, indexdef AS definition FROM pg_indexes \
     WHERE schemaname = current_schema() AND tablename = 'events' AND NOT EXISTS \
     (SELECT 1 FROM pg_constraint WHERE conindid = format('%I.%I', schemaname, indexname)::regclass) \
     ORDER BY indexname";

#[derive(QueryableByName)]
struct IndexDef {
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    definition: String,
}

/// Drops the `indexes` (read with [`SQLITE_INDEXES`] or [`POSTGRES_INDEXES`]) before a bulk
/// load; their definitions, for [`create_indexes`].
fn drop_indexes(conn: &mut impl SimpleConnection, indexes: Vec<IndexDef>) -> QueryResult<Vec<String>> {
    for index in &indexes {
        conn.batch_execute(&format!("DROP INDEX \"{}\"", index.name.replace('"', "\"\"")))?;
    }
    Ok(indexes.into_iter().map(|i| i.definition).collect())
}

/// Creates the indexes [`drop_indexes`] dropped, once the rows are in.
fn create_indexes(conn: &mut impl SimpleConnection, backend: Backend, definitions: &[String]) -> QueryResult<()> {
    let mut progress = Progress::new(&format!("{}: creating indexes", backend.name()), definitions.len() as u64);
    for definition in definitions {
        conn.batch_execute(definition)?;
        progress.inc(1);
    }
    progress.finish();
    Ok(())
}

/// Every column of `events`, to copy rows from SQLite to PostgreSQL unchanged.
#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = events, treat_none_as_default_value = false)]
struct FullRow {
    id: i64,
    source_id: Option<String>,
    time: NaiveDateTime,
    event_type: String,
    success: bool,
    user_id: String,
    display_name: Option<String>,
    ip: String,
    entered_login: Option<String>,
    real_user_id: Option<String>,
    endpoint_id: String,
    app_name: Option<String>,
    auth_method: Option<String>,
    user_rights: Option<String>,
    previous_status: Option<i32>,
    new_status: Option<i32>,
    description: Option<String>,
    admin_type: Option<String>,
    user_agent: Option<String>,
    users: Option<String>,
    details: Option<String>,
    search: String,
}

/// `admin_url` with its database replaced by `database`.
pub fn database_url(admin_url: &str, database: &str) -> anyhow::Result<String> {
    let mut url = url::Url::parse(admin_url).with_context(|| format!("parsing the PostgreSQL URL {admin_url}"))?;
    url.set_path(&format!("/{database}"));
    Ok(url.to_string())
}

/// Drops database `database` on the server of `admin_url` if it exists and creates it empty.
fn recreate_database(admin_url: &str, database: &str) -> anyhow::Result<()> {
    let mut admin = DbUrl::parse(admin_url)?.connect().with_context(|| format!("connecting to {admin_url}"))?;
    // Separate statements: neither may run inside a transaction block.
    admin.batch_execute(&format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)"))?;
    admin.batch_execute(&format!("CREATE DATABASE {database}"))?;
    Ok(())
}

/// The PostgreSQL dataset: database `database` on the server of `admin_url`, dropped, created
/// and filled from `sqlite` unless a matching one exists.
pub fn prepare_postgres(
    work: &Path,
    admin_url: &str,
    database: &str,
    sqlite: &Dataset,
    fp: &Fingerprint,
    regenerate: bool,
) -> anyhow::Result<Dataset> {
    ensure!(
        !database.is_empty() && database.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
        "database name `{database}`: use a-z, 0-9 and _"
    );
    let url = database_url(admin_url, database)?;
    let fingerprint = fp.to_json(&url);
    let mut dataset = Dataset { backend: Backend::Postgres, url: url.clone(), sqlite_path: None, load_secs: None };
    if !regenerate && stored_matches(work, Backend::Postgres, &fingerprint) {
        match dataset.connect().and_then(|mut c| {
            reset(&mut c, fp.rows)?;
            Ok(count_events(&mut c)?)
        }) {
            Ok(n) if n as u64 == fp.rows => {
                crate::log(&format!("PostgreSQL: reusing database {database} ({n} events)"));
                return Ok(dataset);
            }
            Ok(n) => crate::log(&format!("PostgreSQL: {database} has {n} events, not {}; regenerating", fp.rows)),
            Err(e) => crate::log(&format!("PostgreSQL: cannot reuse {database} ({e:#}); regenerating")),
        }
    }
    let _ = std::fs::remove_file(meta_path(work, Backend::Postgres));
    let started = Instant::now();
    recreate_database(admin_url, database)?;
    let pool = confreports_store::open_pool(&url, 1).context("migrating the PostgreSQL database")?;
    let mut conn = pool.get()?;
    let DbConnection::Postgres(pg) = &mut *conn else { bail!("{url} is not a PostgreSQL URL") };
    let mut source = sqlite.connect()?;
    let DbConnection::Sqlite(sq) = &mut source else { bail!("the source dataset is not SQLite") };
    // As for SQLite, and more so for the trigram index (GIN), slow to grow row by row.
    let found = diesel::sql_query(POSTGRES_INDEXES).load(pg)?;
    let indexes = drop_indexes(pg, found)?;
    let mut progress = Progress::new("PostgreSQL: copying events", fp.rows);
    #[expect(clippy::disallowed_methods, reason = "the bench is alone on its database")]
    pg.transaction::<_, anyhow::Error, _>(|pg| {
        let mut last = 0i64;
        loop {
            let rows: Vec<FullRow> = events::table
                .filter(events::id.gt(last))
                .order(events::id.asc())
                .limit(COPY_BATCH)
                .select(FullRow::as_select())
                .load(sq)?;
            let Some(tail) = rows.last() else {
                return Ok(());
            };
            last = tail.id;
            diesel::copy_from(events::table).from_insertable(&rows).execute(pg)?;
            progress.inc(rows.len() as u64);
        }
    })?;
    progress.finish();
    pg.batch_execute(&format!("SET maintenance_work_mem = '{LOAD_CACHE_KIB}kB'"))?;
    create_indexes(pg, Backend::Postgres, &indexes)?;
    pg.batch_execute("SELECT setval(pg_get_serial_sequence('events', 'id'), (SELECT max(id) FROM events))")?;
    // COPY went past `events::insert`: count the dashboard's rollups from the rows.
    crate::log("PostgreSQL: counting the dashboard rollups");
    confreports_store::rollups::rebuild(&mut conn)?;
    crate::log("PostgreSQL: VACUUM ANALYZE");
    let DbConnection::Postgres(pg) = &mut *conn else { bail!("{url} is not a PostgreSQL URL") };
    // Alone: VACUUM may not run inside the implicit transaction of a multi-statement string.
    for table in ["events", "event_counts", "user_activity"] {
        pg.batch_execute(&format!("VACUUM (ANALYZE) {table}"))?;
    }
    let n = count_events(&mut conn)?;
    ensure!(n as u64 == fp.rows, "PostgreSQL holds {n} events after copying {}", fp.rows);
    drop(conn);
    drop(pool);
    std::fs::write(meta_path(work, Backend::Postgres), &fingerprint)?;
    dataset.load_secs = Some(started.elapsed().as_secs_f64());
    Ok(dataset)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `events`' indexes on `conn` (by the queries the load uses), and the events whose search
    /// column holds the trigram `word` according to the database's search index (FTS5 or the
    /// trigram GIN).
    fn indexes_and_search(conn: &mut DbConnection, word: &str) -> anyhow::Result<(Vec<String>, i64)> {
        #[derive(QueryableByName)]
        struct Count {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        Ok(match conn {
            DbConnection::Sqlite(sq) => {
                let found: Vec<IndexDef> = diesel::sql_query(SQLITE_INDEXES).load(sq)?;
                let n = diesel::sql_query(format!(
                    "SELECT count(*) AS n FROM events_fts WHERE events_fts MATCH '\"{word}\"'"
                ))
                .get_result::<Count>(sq)?;
                (found.into_iter().map(|i| i.definition).collect(), n.n)
            }
            DbConnection::Postgres(pg) => {
                let found: Vec<IndexDef> = diesel::sql_query(POSTGRES_INDEXES).load(pg)?;
                // The trigram index, not a sequential scan, should answer (scans discouraged).
                pg.batch_execute("SET enable_seqscan = off")?;
                let n = diesel::sql_query(format!("SELECT count(*) AS n FROM events WHERE search LIKE '%{word}%'"))
                    .get_result::<Count>(pg)?;
                (found.into_iter().map(|i| i.definition).collect(), n.n)
            }
        })
    }

    /// The loads drop `events`' indexes and build them again once the rows are in: the datasets
    /// end with the indexes a database the app migrated has, and they answer.
    #[test]
    fn datasets_keep_the_apps_indexes_on_both_databases() -> anyhow::Result<()> {
        let admin_url = std::env::var("TEST_DATABASE_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
        let work = std::env::temp_dir().join(format!("confreports-bench-dataset-{}", std::process::id()));
        std::fs::create_dir_all(&work)?;
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let fp = Fingerprint { seed: 7, rows: 3_000, schema: schema_hash(&root)? };
        let database = format!("confreports_bench_dataset_{}", std::process::id());
        let sqlite = prepare_sqlite(&work, &fp, true)?;
        let postgres = prepare_postgres(&work, &admin_url, &database, &sqlite, &fp, true)?;

        // Databases as the app migrates them, empty.
        let fresh_sqlite = format!("sqlite://{}", work.join("fresh.db").display());
        let fresh_database = format!("{database}_fresh");
        recreate_database(&admin_url, &fresh_database)?;
        let fresh_postgres = database_url(&admin_url, &fresh_database)?;
        // A trigram of the generated search texts: the first user id's first characters.
        let word: String = {
            let mut conn = sqlite.connect()?;
            let user: String = events::table.select(events::user_id).order(events::id.asc()).first(&mut conn)?;
            user.chars().take(3).collect::<String>().to_lowercase()
        };
        for (dataset, fresh) in [(&sqlite, fresh_sqlite), (&postgres, fresh_postgres)] {
            let mut conn = dataset.connect()?;
            let (indexes, found) = indexes_and_search(&mut conn, &word)?;
            let expected_found: i64 =
                events::table.filter(events::search.like(format!("%{word}%"))).count().get_result(&mut conn)?;
            drop(conn);
            let pool = confreports_store::open_pool(&fresh, 1)?;
            let (expected, _) = indexes_and_search(&mut *pool.get()?, &word)?;
            assert_eq!(indexes, expected, "{}: indexes after the load", dataset.backend.name());
            assert!(indexes.len() >= 8, "{}: {indexes:?}", dataset.backend.name());
            assert!(found > 0, "{}: the search index finds no `{word}`", dataset.backend.name());
            assert_eq!(found, expected_found, "{}: the search index and the rows disagree", dataset.backend.name());
            assert_eq!(count_events(&mut dataset.connect()?)?, 3_000);
        }
        let mut admin = DbUrl::parse(&admin_url)?.connect()?;
        for db in [database, fresh_database] {
            admin.batch_execute(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"))?;
        }
        std::fs::remove_dir_all(&work)?;
        Ok(())
    }
}
