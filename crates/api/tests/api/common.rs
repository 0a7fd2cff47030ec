//! Test databases: a fresh SQLite file, or a fresh PostgreSQL database on the server
//! `TEST_DATABASE_URL` names, per test.

use std::sync::atomic::{AtomicU32, Ordering};

use confreports_store::{DbUrl, Pool, open_pool};
use diesel::connection::SimpleConnection;

static COUNTER: AtomicU32 = AtomicU32::new(0);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub struct TestDb {
    pub pool: Option<Pool>,
    /// What the pool connects to.
    pub url: DbUrl,
    cleanup: Cleanup,
}

enum Cleanup {
    /// Removed when dropped.
    File(#[expect(dead_code, reason = "held for its Drop")] tempdir::Dir),
    Postgres {
        admin_url: String,
        name: String,
    },
}

mod tempdir {
    pub struct Dir(pub std::path::PathBuf);
    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

impl TestDb {
    /// `None` when the backend is PostgreSQL and no `TEST_DATABASE_URL` is set.
    pub fn new(backend: Backend) -> Option<TestDb> {
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let tag = format!("{}_{}", std::process::id(), n);
        match backend {
            Backend::Sqlite => {
                let dir = std::env::temp_dir().join(format!("confreports-test-{tag}"));
                std::fs::create_dir_all(&dir).expect("temp dir");
                let url = format!("sqlite://{}", dir.join("test.db").display());
                let pool = open_pool(&url, 4).expect("sqlite pool");
                let url = DbUrl::parse(&url).expect("SQLite URL");
                Some(TestDb { pool: Some(pool), url, cleanup: Cleanup::File(tempdir::Dir(dir)) })
            }
            Backend::Postgres => {
                let admin_url = std::env::var("TEST_DATABASE_URL").ok().filter(|u| !u.is_empty())?;
                let name = format!("confreports_test_{tag}");
                let mut admin = DbUrl::parse(&admin_url)
                    .expect("TEST_DATABASE_URL")
                    .connect()
                    .expect("connect to TEST_DATABASE_URL");
                admin.batch_execute(&format!("CREATE DATABASE {name}")).expect("create test database");
                let mut url = url::Url::parse(&admin_url).expect("TEST_DATABASE_URL is a URL");
                url.set_path(&name);
                let pool = open_pool(url.as_str(), 4).expect("postgres pool");
                let url = DbUrl::parse(url.as_str()).expect("PostgreSQL URL");
                Some(TestDb { pool: Some(pool), url, cleanup: Cleanup::Postgres { admin_url, name } })
            }
        }
    }

    pub fn pool(&self) -> Pool {
        self.pool.clone().expect("pool")
    }

    /// On PostgreSQL, has the server close every connection to the test database (as a restart
    /// or an idle timeout would) and waits until they are gone; `false` on SQLite, whose
    /// connections are files and are never closed under the pool.
    pub fn close_connections(&self) -> bool {
        let Cleanup::Postgres { admin_url, name } = &self.cleanup else { return false };
        let mut admin = DbUrl::parse(admin_url).and_then(|u| u.connect()).expect("connect to TEST_DATABASE_URL");
        admin
            .batch_execute(&format!("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"))
            .expect("terminate the test database's connections");
        for _ in 0..500 {
            #[derive(diesel::QueryableByName)]
            struct Left {
                #[diesel(sql_type = diesel::sql_types::BigInt)]
                n: i64,
            }
            use diesel::RunQueryDsl as _;
            let left =
                diesel::sql_query(format!("SELECT COUNT(*) AS n FROM pg_stat_activity WHERE datname = '{name}'"))
                    .get_result::<Left>(&mut admin)
                    .expect("pg_stat_activity");
            if left.n == 0 {
                return true;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        panic!("the connections to {name} are still open 5 s after pg_terminate_backend");
    }
}

impl TestDb {
    /// On PostgreSQL, how many sessions have been opened to the test database so far
    /// (`pg_stat_database.sessions`, counted as they start; read afresh each call).
    pub fn sessions_opened(&self) -> Option<i64> {
        let Cleanup::Postgres { admin_url, name } = &self.cleanup else { return None };
        #[derive(diesel::QueryableByName)]
        struct Sessions {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        use diesel::RunQueryDsl as _;
        let mut admin = DbUrl::parse(admin_url).and_then(|u| u.connect()).expect("connect to TEST_DATABASE_URL");
        let query = format!("SELECT sessions AS n FROM pg_stat_database WHERE datname = '{name}'");
        Some(diesel::sql_query(query).get_result::<Sessions>(&mut admin).expect("pg_stat_database").n)
    }

    /// On PostgreSQL, how many connections to the test database are open now under
    /// `application_name`.
    pub fn connections_named(&self, application_name: &str) -> Option<i64> {
        let Cleanup::Postgres { admin_url, name } = &self.cleanup else { return None };
        #[derive(diesel::QueryableByName)]
        struct Connections {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        use diesel::RunQueryDsl as _;
        let mut admin = DbUrl::parse(admin_url).and_then(|u| u.connect()).expect("connect to TEST_DATABASE_URL");
        let query = diesel::sql_query(
            "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = $1 AND application_name = $2",
        )
        .bind::<diesel::sql_types::Text, _>(name)
        .bind::<diesel::sql_types::Text, _>(application_name);
        Some(query.get_result::<Connections>(&mut admin).expect("pg_stat_activity").n)
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        self.pool.take();
        if let Cleanup::Postgres { admin_url, name } = &self.cleanup
            && let Ok(mut admin) = DbUrl::parse(admin_url).and_then(|u| u.connect())
        {
            let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
        }
    }
}

/// Runs each listed test body on SQLite and on PostgreSQL:
/// `both_backends! { async fn name(db: TestDb) { ... } }`.
#[macro_export]
macro_rules! both_backends {
    ($($(#[$doc:meta])* async fn $name:ident($db:ident: TestDb) $body:block)*) => {
        mod sqlite {
            $(
                #[actix_web::test]
                async fn $name() {
                    let $db = $crate::common::TestDb::new($crate::common::Backend::Sqlite).expect("sqlite");
                    super::$name($db).await;
                }
            )*
        }
        mod postgres {
            $(
                #[actix_web::test]
                async fn $name() {
                    let Some($db) = $crate::common::TestDb::new($crate::common::Backend::Postgres) else {
                        eprintln!("TEST_DATABASE_URL not set: PostgreSQL run of {} skipped", stringify!($name));
                        return;
                    };
                    super::$name($db).await;
                }
            )*
        }
        $($(#[$doc])* async fn $name($db: $crate::common::TestDb) $body)*
    };
}
