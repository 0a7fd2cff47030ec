//! Two `serve` processes on one PostgreSQL database and one data directory, with no sticky
//! routing in front: what one node issues the other accepts, what one revokes the other refuses
//! within seconds, and the housekeeping (retention) runs on one node only, passing to the other
//! when that one stops.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::{BIN, PgDb, Server, TempDir, agent, create_app, free_port, token};

struct Node {
    server: Server,
    url: String,
    log: std::path::PathBuf,
}

impl Node {
    fn start(dir: &Path, db: &str, name: &str) -> Node {
        let log = format!("{name}.log");
        let extra =
            ["--housekeeping-seconds", "1", "--retention-seconds", "1", "--workers", "2", "--page-connections", "1"];
        let server = Server::start_logged(dir, db, free_port(), &extra, &log, "info");
        Node { url: server.url.clone(), server, log: dir.join(log) }
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn leads(&self) -> bool {
        self.log_text().contains("this node leads the housekeeping")
    }

    fn stop(&mut self) {
        self.server.kill();
    }
}

/// Polls `check` every 50 ms for up to `limit`; how long it took.
fn within(limit: Duration, what: &str, mut check: impl FnMut() -> bool) -> Duration {
    let start = Instant::now();
    while !check() {
        assert!(start.elapsed() < limit, "{what}: not within {limit:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
    start.elapsed()
}

fn status_with_bearer(url: &str, token: &str, path: &str) -> u16 {
    agent()
        .get(format!("{url}{path}"))
        .header("authorization", &format!("Bearer {token}"))
        .call()
        .expect("get")
        .status()
        .as_u16()
}

fn status_with_cookie(url: &str, cookie: &str, path: &str) -> u16 {
    agent().get(format!("{url}{path}")).header("cookie", cookie).call().expect("get").status().as_u16()
}

/// Signs `login` in at `url`: (the session cookie, the CSRF token).
fn sign_in(url: &str, login: &str, password: &str) -> (String, String) {
    let mut res = agent()
        .post(format!("{url}/api/v1/auth/login"))
        .send_json(json!({"login": login, "password": password}))
        .expect("login");
    assert_eq!(res.status().as_u16(), 200);
    let cookie = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("confreports_session="))
        .and_then(|v| v.split(';').next())
        .expect("session cookie")
        .to_owned();
    let me: Value = res.body_mut().read_json().expect("json");
    (cookie, me["csrf_token"].as_str().expect("csrf").to_owned())
}

fn ingest_expired_recording(url: &str, ingest: &str, id: &str) {
    let two_years_ago = chrono::Utc::now() - chrono::Duration::days(730);
    let body = json!([{
        "kind": "recording", "id": id, "session_id": format!("sess-{id}"), "owner": "owner@corp",
        "started_at": two_years_ago.to_rfc3339(), "duration_s": 60, "size_bytes": 0
    }]);
    let res = agent()
        .post(format!("{url}/api/v1/ingest"))
        .header("authorization", &format!("Bearer {ingest}"))
        .send_json(body)
        .expect("ingest");
    assert_eq!(res.status().as_u16(), 200);
}

fn recordings(url: &str, reader: &str) -> i64 {
    super::count(url, reader, "/api/v1/recordings/count")
}

/// Connections open to the test database under the name of the nodes' page readers.
fn page_connections(pg: &PgDb) -> i64 {
    use diesel::RunQueryDsl as _;
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut conn = confreports_store::DbUrl::parse(&pg.admin_url).expect("url").connect().expect("connect");
    diesel::sql_query("SELECT count(*) AS n FROM pg_stat_activity WHERE datname = $1 AND application_name = $2")
        .bind::<diesel::sql_types::Text, _>(&pg.name)
        .bind::<diesel::sql_types::Text, _>(confreports_store::pg_async::APPLICATION_NAME)
        .get_result::<Count>(&mut conn)
        .expect("pg_stat_activity")
        .n
}

#[test]
fn two_nodes_share_tokens_sessions_revocations_and_one_housekeeper() {
    let Some(pg) = PgDb::create() else {
        eprintln!("TEST_DATABASE_URL not set: several nodes need PostgreSQL; skipped");
        return;
    };
    let dir = TempDir::new();
    // Both start together on an empty data directory: one signing key is created, both use it.
    let (mut a, mut b) = std::thread::scope(|s| {
        let a = s.spawn(|| Node::start(&dir.0, &pg.url, "a"));
        let b = s.spawn(|| Node::start(&dir.0, &pg.url, "b"));
        (a.join().expect("a"), b.join().expect("b"))
    });
    let reader_app = create_app(&dir.0, &pg.url, "reader", &["events:read", "recordings:read"]);
    let ingest = token(&a.url, &create_app(&dir.0, &pg.url, "pusher", &["ingest"]));

    // An access token issued by A is good on B; revoked on A, B refuses it within seconds.
    let reader = token(&a.url, &reader_app);
    assert_eq!(status_with_bearer(&b.url, &reader, "/api/v1/events/count"), 200);
    let basic = base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        format!("{}:{}", reader_app.0, reader_app.1),
    );
    let revoked = agent()
        .post(format!("{}/oauth2/revoke", a.url))
        .header("authorization", &format!("Basic {basic}"))
        .send_form([("token", reader.as_str())])
        .expect("revoke");
    assert_eq!(revoked.status().as_u16(), 200);
    assert_eq!(status_with_bearer(&a.url, &reader, "/api/v1/events/count"), 401, "at once where revoked");
    let took = within(Duration::from_secs(5), "B refuses the revoked token", || {
        status_with_bearer(&b.url, &reader, "/api/v1/events/count") == 401
    });
    eprintln!("revoked token refused by the other node after {took:?}");

    // An administrator signed in on B is signed in on A; signed out on B, A follows.
    let out = Command::new(BIN)
        .args(["admin", "create", "--login", "ops", "--role", "sysadmin", "--password-stdin"])
        .env("DATABASE_URL", &pg.url)
        .env("CONFREPORTS_DATA_DIR", &dir.0)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write as _;
            writeln!(c.stdin.take().expect("stdin"), "correct horse battery staple")?;
            c.wait_with_output()
        })
        .expect("admin create");
    assert!(out.status.success(), "admin create: {}", String::from_utf8_lossy(&out.stderr));
    let (cookie, csrf) = sign_in(&b.url, "ops", "correct horse battery staple");
    assert_eq!(status_with_cookie(&a.url, &cookie, "/api/v1/auth/me"), 200);
    let res = agent()
        .post(format!("{}/api/v1/auth/logout", b.url))
        .header("cookie", &cookie)
        .header("x-csrf-token", &csrf)
        .send_empty()
        .expect("logout");
    assert!(res.status().is_success(), "logout: {}", res.status());
    let took = within(Duration::from_secs(5), "A ends the session signed out on B", || {
        status_with_cookie(&a.url, &cookie, "/api/v1/auth/me") == 401
    });
    eprintln!("signed-out session refused by the other node after {took:?}");

    // Pages read by each node's own PostgreSQL client: under 16 concurrent readers per node,
    // every page is answered, on at most `--page-connections` (1) connection per worker (2).
    let reader = token(&b.url, &reader_app);
    std::thread::scope(|s| {
        for url in [&a.url, &b.url].repeat(8) {
            let reader = &reader;
            s.spawn(move || {
                for _ in 0..20 {
                    assert_eq!(status_with_bearer(url, reader, "/api/v1/events?type=login&limit=20"), 200);
                }
            });
        }
    });
    let readers = page_connections(&pg);
    assert!((1..=4).contains(&readers), "{readers} page connections for two nodes of two workers");

    // Retention: one node leads the housekeeping; an expired recording goes once.
    ingest_expired_recording(&b.url, &ingest, "old-1");
    within(Duration::from_secs(10), "the retention deletes the expired recording", || recordings(&a.url, &reader) == 0);
    within(Duration::from_secs(5), "a node leads", || a.leads() || b.leads());
    std::thread::sleep(Duration::from_secs(2));
    assert!(a.leads() != b.leads(), "exactly one node leads:\nA: {}\nB: {}", a.log_text(), b.log_text());
    let (leader, other) = if a.leads() { (&mut a, &mut b) } else { (&mut b, &mut a) };
    assert!(!other.log_text().contains("recording retention ran"), "the other node ran the retention too");
    let deletions = super::count(
        &other.url,
        &token(&other.url, &create_app(&dir.0, &pg.url, "auditor", &["events:read"])),
        "/api/v1/events/count?type=delete_video_recordings",
    );
    assert_eq!(deletions, 1, "one retention deletion recorded");

    // The leader stops: the other takes over and runs the retention.
    leader.stop();
    let took = within(Duration::from_secs(10), "the other node takes over", || other.leads());
    eprintln!("housekeeping taken over after {took:?}");
    let reader = token(&other.url, &reader_app);
    let ingest = token(&other.url, &create_app(&dir.0, &pg.url, "pusher-2", &["ingest"]));
    ingest_expired_recording(&other.url, &ingest, "old-2");
    within(Duration::from_secs(10), "the new leader deletes the expired recording", || {
        recordings(&other.url, &reader) == 0
    });
}
