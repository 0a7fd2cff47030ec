//! The real binary: `confreports simulate` against `confreports serve`; ingest surviving a
//! SIGKILL of the server mid-stream (every acknowledged batch whole, no batch in part); and a
//! delete by filter surviving a SIGKILL at a random moment (all of it and one event, or none);
//! slow clients timed out without holding up others; an export's slot given back when its
//! client disconnects.

use std::io::Write as _;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use rand::Rng as _;
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_confreports");

#[path = "process/nodes.rs"]
mod nodes;

fn tag() -> String {
    format!("{:08x}", rand::rng().random::<u32>())
}

struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        let p = std::env::temp_dir().join(format!("confreports-proc-{}", tag()));
        std::fs::create_dir_all(&p).expect("temp dir");
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(20)))
        .build()
        .into()
}

struct Server {
    child: Child,
    url: String,
}

impl Server {
    fn start(dir: &Path, db: &str, port: u16) -> Server {
        Server::start_with(dir, db, port, &[])
    }

    /// `serve` with `extra` arguments.
    fn start_with(dir: &Path, db: &str, port: u16, extra: &[&str]) -> Server {
        Server::start_logged(dir, db, port, extra, "serve.log", "warn")
    }

    /// `serve` with `extra` arguments, its stderr appended to `dir/log` under `RUST_LOG=rust_log`;
    /// returns once it answers.
    fn start_logged(dir: &Path, db: &str, port: u16, extra: &[&str], log: &str, rust_log: &str) -> Server {
        let log = dir.join(log);
        let out = std::fs::OpenOptions::new().create(true).append(true).open(&log).expect("log");
        let child = Command::new(BIN)
            .args(["serve", "--bind", &format!("127.0.0.1:{port}"), "--web-dir", "/nonexistent"])
            .args(extra)
            .env("DATABASE_URL", db)
            .env("CONFREPORTS_DATA_DIR", dir)
            .env("RUST_LOG", rust_log)
            .stdout(Stdio::null())
            .stderr(out)
            .spawn()
            .expect("spawn serve");
        let mut s = Server { child, url: format!("http://127.0.0.1:{port}") };
        let a = agent();
        let started = Instant::now();
        loop {
            if let Ok(Some(status)) = s.child.try_wait() {
                panic!("serve exited ({status}): {}", std::fs::read_to_string(&log).unwrap_or_default());
            }
            if a.get(format!("{}/api/v1/event-types", s.url)).call().is_ok() {
                return s;
            }
            assert!(started.elapsed() < Duration::from_secs(30), "serve did not come up");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// SIGKILL.
    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// `confreports app create --json`: (client id, secret).
fn create_app(dir: &Path, db: &str, name: &str, scopes: &[&str]) -> (String, String) {
    let mut args = vec!["app", "create", "--name", name, "--json"];
    for s in scopes {
        args.extend(["--scope", s]);
    }
    let out = Command::new(BIN)
        .args(&args)
        .env("DATABASE_URL", db)
        .env("CONFREPORTS_DATA_DIR", dir)
        .output()
        .expect("app create");
    assert!(out.status.success(), "app create: {}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).expect("app create --json");
    (v["client_id"].as_str().expect("client_id").to_owned(), v["client_secret"].as_str().expect("secret").to_owned())
}

fn token(url: &str, (id, secret): &(String, String)) -> String {
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"));
    let mut res = agent()
        .post(format!("{url}/oauth2/token"))
        .header("authorization", &format!("Basic {basic}"))
        .send_form([("grant_type", "client_credentials")])
        .expect("token");
    assert_eq!(res.status().as_u16(), 200);
    let v: Value = res.body_mut().read_json().expect("json");
    v["access_token"].as_str().expect("access_token").to_owned()
}

fn count(url: &str, token: &str, path: &str) -> i64 {
    let mut res =
        agent().get(format!("{url}{path}")).header("authorization", &format!("Bearer {token}")).call().expect("count");
    let status = res.status().as_u16();
    let v: Value = res.body_mut().read_json().expect("json");
    assert_eq!(status, 200, "{path}: {v}");
    v["count"].as_i64().expect("count")
}

const READ: &[&str] = &["events:read", "calls:read", "chat:read"];

#[test]
fn simulate_pushes_a_realistic_mix_through_the_api() {
    let dir = TempDir::new();
    let db = format!("sqlite://{}", dir.0.join("confreports.db").display());
    let server = Server::start(&dir.0, &db, free_port());
    let ingest = create_app(&dir.0, &db, "simulator", &["ingest"]);
    let reader = token(&server.url, &create_app(&dir.0, &db, "reader", READ));
    let before = [
        count(&server.url, &reader, "/api/v1/events/count"),
        count(&server.url, &reader, "/api/v1/calls/count"),
        count(&server.url, &reader, "/api/v1/chat-messages/count"),
    ];
    let mut child = Command::new(BIN)
        .args(["simulate", "--url", &server.url, "--client-id", &ingest.0, "--client-secret-stdin"])
        .args(["--rate", "400", "--batch", "100", "--duration", "3"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("simulate");
    writeln!(child.stdin.take().expect("stdin"), "{}", ingest.1).expect("secret");
    let out = child.wait_with_output().expect("simulate output");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "simulate failed: {stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("accepted") && stdout.contains("errors 0"), "summary: {stdout}");
    let after = [
        count(&server.url, &reader, "/api/v1/events/count"),
        count(&server.url, &reader, "/api/v1/calls/count"),
        count(&server.url, &reader, "/api/v1/chat-messages/count"),
    ];
    for (what, (b, a)) in ["events", "calls", "chat"].iter().zip(before.iter().zip(after.iter())) {
        assert!(a > b, "{what}: {b} before, {a} after; simulate said {stdout}");
    }
}

/// A fresh PostgreSQL database on the server of `TEST_DATABASE_URL`, dropped afterwards.
struct PgDb {
    admin_url: String,
    name: String,
    url: String,
}

impl PgDb {
    fn create() -> Option<PgDb> {
        use diesel::RunQueryDsl as _;
        let admin_url = std::env::var("TEST_DATABASE_URL").ok()?;
        let name = format!("confreports_crash_{}", tag());
        let mut conn = confreports_store::DbUrl::parse(&admin_url).expect("url").connect().expect("connect");
        diesel::sql_query(format!("CREATE DATABASE {name}")).execute(&mut conn).expect("create database");
        let base = admin_url.rsplit_once('/').map(|(b, _)| b.to_owned()).expect("database url with a path");
        Some(PgDb { url: format!("{base}/{name}"), admin_url, name })
    }
}

impl Drop for PgDb {
    fn drop(&mut self) {
        use diesel::RunQueryDsl as _;
        if let Ok(mut conn) = confreports_store::DbUrl::parse(&self.admin_url).expect("url").connect() {
            let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name)).execute(&mut conn);
        }
    }
}

const PER_BATCH: usize = 40;

fn crash_run(dir: &Path, db: &str) {
    let port = free_port();
    let mut server = Server::start(dir, db, port);
    let ingest = create_app(dir, db, "crash-ingest", &["ingest"]);
    let reader = create_app(dir, db, "crash-reader", &["events:read"]);
    let t = token(&server.url, &ingest);
    let run = tag();
    let url = server.url.clone();
    // (batch number, acknowledged)
    let sent: Arc<Mutex<Vec<(usize, bool)>>> = Arc::default();
    let log = sent.clone();
    let pusher = std::thread::spawn(move || {
        let a = agent();
        for i in 0.. {
            let marker = format!("bm{run}x{i}y");
            let records: Vec<Value> = (0..PER_BATCH)
                .map(|j| {
                    json!({"kind": "event", "id": format!("{marker}-{j}"), "time": "2026-11-24T12:00:00Z",
                    "type": "status", "user_id": format!("u{j}"), "description": marker})
                })
                .collect();
            log.lock().expect("lock").push((i, false));
            match a
                .post(format!("{url}/api/v1/ingest"))
                .header("authorization", &format!("Bearer {t}"))
                .send_json(&records)
            {
                Ok(res) if res.status().as_u16() == 200 => {
                    log.lock().expect("lock").last_mut().expect("entry").1 = true
                }
                Ok(res) => panic!("batch {i}: status {}", res.status()),
                Err(_) => return (run, i),
            }
        }
        unreachable!()
    });
    std::thread::sleep(Duration::from_millis(rand::rng().random_range(700..2500)));
    server.kill();
    let (run, _) = pusher.join().expect("pusher");
    let sent = sent.lock().expect("lock").clone();
    let acked = sent.iter().filter(|(_, a)| *a).count();
    assert!(acked > 0, "no batch was acknowledged before the kill");

    let server = Server::start(dir, db, port);
    let reader = token(&server.url, &reader);
    for (i, ack) in &sent {
        let n = count(&server.url, &reader, &format!("/api/v1/events/count?q=bm{run}x{i}y"));
        if *ack {
            assert_eq!(n, PER_BATCH as i64, "acknowledged batch {i} is not whole");
        } else {
            assert!(n == 0 || n == PER_BATCH as i64, "batch {i} is partly stored: {n} of {PER_BATCH}");
        }
    }
    eprintln!("{db}: {acked} acknowledged batches of {} sent, all whole", sent.len());
}

#[test]
fn acknowledged_batches_survive_a_sigkill_whole() {
    on_both_databases(crash_run);
}

/// Runs `run(data dir, database URL)` on a fresh SQLite file, then on a fresh PostgreSQL
/// database when `TEST_DATABASE_URL` names a server.
fn on_both_databases(run: fn(&Path, &str)) {
    let dir = TempDir::new();
    run(&dir.0, &format!("sqlite://{}", dir.0.join("confreports.db").display()));
    if let Some(pg) = PgDb::create() {
        let dir = TempDir::new();
        run(&dir.0, &pg.url);
    } else {
        eprintln!("TEST_DATABASE_URL not set: PostgreSQL run skipped");
    }
}

/// Stores `n` `lock` events of `run` straight through the store (in one transaction).
fn store_locks(db: &str, run: &str, n: usize) {
    use confreports_store::events::{self, NewEvent};
    let mut conn = confreports_store::DbUrl::parse(db).expect("url").connect().expect("connect");
    confreports_store::run_migrations(&mut conn).expect("migrate");
    let t0 = chrono::DateTime::parse_from_rfc3339("2026-11-20T08:00:00Z").expect("time").to_utc();
    let evs: Vec<NewEvent> = (0..n)
        .map(|i| {
            let mut e =
                NewEvent::new(t0 + chrono::Duration::seconds(i as i64), confreports_types::EventType::Lock, true);
            e.user_id = Some(format!("u{}@corp", i % 500));
            e.description = Some(format!("locked {run} number {i}"));
            e
        })
        .collect();
    confreports_store::conn::write_transaction(&mut conn, |c| events::insert(c, &evs)).expect("store events");
}

/// A delete of every `lock` event, with the server SIGKILLed `kill_after` into the request
/// (`None`: left to finish). Returns how long the request ran before it ended or was killed.
fn delete_locks(dir: &Path, db: &str, app: &(String, String), kill_after: Option<Duration>) -> Duration {
    let port = free_port();
    let mut server = Server::start(dir, db, port);
    let t = token(&server.url, app);
    let url = format!("{}/api/v1/events?type=lock&reason=crash%20test", server.url);
    let started = Instant::now();
    let request = std::thread::spawn(move || {
        agent().delete(url).header("authorization", &format!("Bearer {t}")).call().map(|r| r.status().as_u16())
    });
    match kill_after {
        Some(after) => {
            std::thread::sleep(after);
            server.kill();
            let _ = request.join().expect("request thread");
        }
        None => assert_eq!(request.join().expect("request thread").ok(), Some(200), "the delete answers 200"),
    }
    started.elapsed()
}

/// (`lock` events, `delete_events` events, the `deleted` of the newest `delete_events`).
fn after_restart(dir: &Path, db: &str, reader: &(String, String)) -> (i64, i64, Option<i64>) {
    let server = Server::start(dir, db, free_port());
    let t = token(&server.url, reader);
    let locks = count(&server.url, &t, "/api/v1/events/count?type=lock");
    let deletions = count(&server.url, &t, "/api/v1/events/count?type=delete_events");
    let mut res = agent()
        .get(format!("{}/api/v1/events?type=delete_events&limit=1", server.url))
        .header("authorization", &format!("Bearer {t}"))
        .call()
        .expect("newest deletion");
    let page: Value = res.body_mut().read_json().expect("json");
    let deleted = page["items"][0]["details"]["deleted"].as_i64();
    (locks, deletions, deleted)
}

fn delete_crash_runs(dir: &Path, db: &str) {
    const LOCKS: usize = 40_000;
    let app = create_app(dir, db, "crash-deleter", &["events:delete"]);
    let reader = create_app(dir, db, "crash-auditor", &["events:read"]);
    store_locks(db, "calibration", LOCKS);
    // Uninterrupted, to learn how long the delete takes here.
    let whole = delete_locks(dir, db, &app, None);
    assert_eq!(after_restart(dir, db, &reader), (0, 1, Some(LOCKS as i64)), "an uninterrupted delete");
    let (mut none, mut all) = (0, 0);
    for round in 0..4 {
        store_locks(db, &format!("round{round}"), LOCKS);
        let (_, deletions_before, _) = after_restart(dir, db, &reader);
        // Somewhere inside the request, from its arrival to past its usual end.
        let kill_after = whole.mul_f64(rand::rng().random_range(0.1..1.2));
        delete_locks(dir, db, &app, Some(kill_after));
        let (locks, deletions, deleted) = after_restart(dir, db, &reader);
        if locks == LOCKS as i64 {
            assert_eq!(deletions, deletions_before, "round {round}: nothing deleted, yet a deletion was recorded");
            none += 1;
        } else {
            assert_eq!(locks, 0, "round {round}: {locks} of {LOCKS} left: a delete in part");
            assert_eq!(deletions, deletions_before + 1, "round {round}: all deleted: exactly one event records it");
            assert_eq!(deleted, Some(LOCKS as i64), "round {round}: the event counts what went");
            all += 1;
            continue;
        }
        // Nothing went: clear the round's rows for the next one, uninterrupted.
        delete_locks(dir, db, &app, None);
    }
    eprintln!("{db}: delete of {LOCKS} takes {whole:?}; SIGKILLs inside it left nothing deleted {none}x, all {all}x");
}

#[test]
fn a_delete_by_filter_killed_midway_is_all_or_nothing() {
    on_both_databases(delete_crash_runs);
}

/// Reads from `stream` until the server closes it (or 10 s pass); what was read and when it
/// ended, from `since`.
fn read_to_close(stream: &mut TcpStream, since: Instant) -> (String, Duration) {
    use std::io::Read as _;
    stream.set_read_timeout(Some(Duration::from_secs(10))).expect("read timeout");
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
        }
    }
    (String::from_utf8_lossy(&got).into_owned(), since.elapsed())
}

use std::net::TcpStream;

/// Slowloris: clients that send part of their headers, or their headers and part of a body,
/// and stall. Each is answered 408 and closed within the configured timeouts (1 s here), and
/// meanwhile a normal request of another client is answered at once by the server's only
/// worker. The database plays no part in this, so SQLite alone is used.
#[test]
fn slow_clients_are_timed_out_without_holding_up_others() {
    let dir = TempDir::new();
    let db = format!("sqlite://{}", dir.0.join("confreports.db").display());
    let port = free_port();
    let args = [
        "--workers",
        "1",
        "--header-timeout-secs",
        "1",
        "--body-idle-timeout-secs",
        "1",
        "--keep-alive-secs",
        "1",
        "--disconnect-timeout-secs",
        "1",
    ];
    let server = Server::start_with(&dir.0, &db, port, &args);
    let addr = format!("127.0.0.1:{port}");
    let started = Instant::now();
    let connect = || TcpStream::connect(&addr).expect("connect");
    let mut partial_headers: Vec<TcpStream> = (0..10)
        .map(|_| {
            let mut s = connect();
            s.write_all(b"GET /api/v1/event-types HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: slow").expect("write");
            s
        })
        .collect();
    let mut stalled_bodies: Vec<TcpStream> = (0..10)
        .map(|_| {
            let mut s = connect();
            s.write_all(
                b"POST /api/v1/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{\"login\": \"ro",
            )
            .expect("write");
            s
        })
        .collect();
    // Another client meanwhile: answered promptly.
    let asked = Instant::now();
    let res = agent().get(format!("{}/api/v1/event-types", server.url)).call().expect("a normal request");
    let took = asked.elapsed();
    assert!(res.status().as_u16() < 500, "{}", res.status());
    assert!(took < Duration::from_millis(800), "a normal request took {took:?} among slow clients");
    for s in &mut partial_headers {
        let (got, at) = read_to_close(s, started);
        assert!(got.is_empty() || got.starts_with("HTTP/1.1 408"), "partial headers: {got}");
        assert!(at < Duration::from_secs(4), "a client stalling its headers was closed after {at:?}");
    }
    for s in &mut stalled_bodies {
        let (got, at) = read_to_close(s, started);
        assert!(got.starts_with("HTTP/1.1 408"), "stalled body: {got}");
        assert!(got.contains("application/problem+json") && got.contains("stalled"), "{got}");
        assert!(at < Duration::from_secs(4), "a client stalling its body was closed after {at:?}");
    }
    // An idle keep-alive connection is closed after its timeout.
    let mut idle = connect();
    let since = Instant::now();
    idle.write_all(b"GET /api/v1/event-types HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").expect("write");
    let (got, at) = read_to_close(&mut idle, since);
    assert!(got.starts_with("HTTP/1.1 "), "{got}");
    assert!(at < Duration::from_secs(4), "an idle keep-alive connection stayed open {at:?}");
    assert!(server.url.starts_with("http://"));
}

#[test]
fn an_export_slot_is_given_back_when_its_client_disconnects() {
    on_both_databases(export_disconnect_run);
}

fn export_disconnect_run(dir: &Path, db: &str) {
    use std::io::Read as _;
    let port = free_port();
    let server = Server::start_with(dir, db, port, &["--exports-per-principal", "1"]);
    let pusher = create_app(dir, db, "pusher", &["ingest"]);
    let reader = create_app(dir, db, "reader", &["events:read"]);
    let push = token(&server.url, &pusher);
    let read = token(&server.url, &reader);
    // About 10 MB of CSV: more than the sockets between us hold.
    let note = "x".repeat(1000);
    let records: Vec<Value> = (0..10_000)
        .map(|i| json!({"kind": "event", "id": format!("big-{i}"), "time": "2026-11-24T11:00:00Z", "type": "status", "description": note}))
        .collect();
    let res = agent()
        .post(format!("{}/api/v1/ingest", server.url))
        .header("authorization", &format!("Bearer {push}"))
        .send_json(Value::Array(records))
        .expect("ingest");
    assert_eq!(res.status().as_u16(), 200);
    let export = || {
        agent()
            .get(format!("{}/api/v1/events/export", server.url))
            .header("authorization", &format!("Bearer {read}"))
            .call()
    };
    // A client that reads a little of an export and then stops reading holds its slot.
    let mut slow = TcpStream::connect(format!("127.0.0.1:{port}")).expect("connect");
    write!(slow, "GET /api/v1/events/export HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {read}\r\n\r\n")
        .expect("write");
    let mut head = [0u8; 1024];
    slow.set_read_timeout(Some(Duration::from_secs(10))).expect("timeout");
    let n = slow.read(&mut head).expect("read");
    assert!(String::from_utf8_lossy(&head[..n]).starts_with("HTTP/1.1 200"), "{}", String::from_utf8_lossy(&head[..n]));
    std::thread::sleep(Duration::from_millis(300));
    let mut busy = export().expect("export");
    assert_eq!(busy.status().as_u16(), 429, "the slot is held by the unfinished export");
    assert_eq!(busy.headers().get("retry-after").and_then(|v| v.to_str().ok()), Some("5"));
    let problem: Value = busy.body_mut().read_json().expect("problem");
    assert_eq!(problem["status"], 429);
    // Another application is not affected.
    let other = token(&server.url, &create_app(dir, db, "other reader", &["events:read"]));
    let res = agent()
        .get(format!("{}/api/v1/events/count", server.url))
        .header("authorization", &format!("Bearer {other}"))
        .call()
        .expect("count");
    assert_eq!(res.status().as_u16(), 200);
    // The client goes away: the slot comes back soon.
    let rows = count(&server.url, &read, "/api/v1/events/count") as usize;
    drop(slow);
    let gone = Instant::now();
    loop {
        let mut res = export().expect("export");
        if res.status().as_u16() == 200 {
            let body = res.body_mut().with_config().limit(64 << 20).read_to_vec().expect("csv");
            assert_eq!(body.iter().filter(|&&b| b == b'\n').count(), rows + 1, "header and every row");
            break;
        }
        assert!(gone.elapsed() < Duration::from_secs(5), "the slot was not given back: {}", res.status());
        std::thread::sleep(Duration::from_millis(100));
    }
    // After that finished export, another is accepted at once.
    assert_eq!(export().expect("export").status().as_u16(), 200);
}

/// `confreports audit ...` with the data dir and database of a test; (exit code, stdout).
fn audit_cmd(dir: &Path, db: &str, args: &[&str]) -> (i32, String) {
    let out = Command::new(BIN)
        .arg("audit")
        .args(args)
        .env("DATABASE_URL", db)
        .env("CONFREPORTS_DATA_DIR", dir)
        .env("RUST_LOG", "warn")
        .output()
        .expect("confreports audit");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    (out.status.code().unwrap_or(-1), format!("{stdout}{stderr}"))
}

/// Runs `sql` on the audit log past its append-only triggers.
fn tamper_audit(db: &str, sql: &str) {
    use diesel::connection::SimpleConnection as _;
    let mut conn = confreports_store::DbUrl::parse(db).expect("url").connect().expect("connect");
    let untrigger = match conn {
        confreports_store::DbConnection::Sqlite(_) => {
            "DROP TRIGGER IF EXISTS audit_log_no_update; DROP TRIGGER IF EXISTS audit_log_no_delete;"
        }
        confreports_store::DbConnection::Postgres(_) => "ALTER TABLE audit_log DISABLE TRIGGER USER;",
    };
    conn.batch_execute(untrigger).expect("disable the triggers");
    conn.batch_execute(sql).expect("tamper");
}

fn audit_run(dir: &Path, db: &str) {
    // The server checkpoints the trail every second while it grows.
    let port = free_port();
    let app = create_app(dir, db, "audited", &["events:read"]);
    let mut server = Server::start_with(dir, db, port, &["--audit-checkpoint-secs", "1"]);
    let reader = token(&server.url, &app);
    let res = agent()
        .get(format!("{}/api/v1/events/export", server.url))
        .header("authorization", &format!("Bearer {reader}"))
        .call()
        .expect("export");
    assert_eq!(res.status().as_u16(), 200);
    // admin_created (first start), app_created, token_issued, export.
    let tail = {
        let mut conn = confreports_store::DbUrl::parse(db).expect("url").connect().expect("connect");
        confreports_store::audit::tail(&mut conn).expect("tail").expect("rows").0
    };
    assert_eq!(tail, 4);
    let file = dir.join("audit").join("checkpoints.jsonl");
    let started = Instant::now();
    loop {
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        if text.lines().any(|l| serde_json::from_str::<Value>(l).is_ok_and(|v| v["seq"] == tail)) {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(15), "no checkpoint of seq {tail}: {text}");
        std::thread::sleep(Duration::from_millis(100));
    }
    server.kill();
    let (code, out) = audit_cmd(dir, db, &["checkpoint"]);
    assert_eq!((code, out.contains(&format!("checkpoint written: seq {tail}"))), (0, true), "{out}");
    let (code, out) = audit_cmd(dir, db, &["verify"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains(&format!("audit log OK: {tail} rows, last seq {tail}, ")), "{out}");
    // The tail truncated: only the checkpoints tell.
    tamper_audit(db, &format!("DELETE FROM audit_log WHERE seq = {tail}"));
    let (code, out) = audit_cmd(dir, db, &["verify"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains(&format!("row seq {tail}: missing")) && out.contains("tail truncated"), "{out}");
    let (code, out) = audit_cmd(dir, db, &["verify", "--checkpoints", &dir.join("none.jsonl").display().to_string()]);
    assert_eq!(code, 0, "without checkpoints the chain alone holds: {out}");
    // An edited row is the first bad one.
    tamper_audit(db, "UPDATE audit_log SET details = '{}' WHERE seq = 2");
    let (code, out) = audit_cmd(dir, db, &["verify"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("row seq 2: its content does not match its hash (edited)"), "{out}");
}

#[test]
fn audit_verify_names_the_first_bad_row_after_tampering() {
    on_both_databases(audit_run);
}
