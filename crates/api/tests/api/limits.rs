//! Resource limits: ingest body size and records with and without `Content-Length`, filter
//! values, `q`, query-string length, `limit`, `from` after `to`, concurrent exports per caller
//! (429 with `Retry-After`, slots given back at the end of a stream or when its client goes
//! away), and request bodies that stall (408).

use std::time::Duration;

use actix_web::body::MessageBody as _;
use actix_web::test::TestRequest;
use actix_web::web::Bytes;
use confreports_api::ingest::IngestLimits;
use confreports_api::limits::Limits;
use futures_util::StreamExt as _;
use serde_json::{Value, json};

use crate::both_backends;
use crate::support::{Answer, Caller, TestApp, app, app_with_limits, test_settings};

/// Every report, a multi-value filter of its own (the users list has none: `q` stands in), and
/// whether it has `/count` and `/export`.
const REPORTS: &[(&str, &str, bool)] = &[
    ("/api/v1/events", "user", true),
    ("/api/v1/calls", "owner", true),
    ("/api/v1/chat-messages", "sender", true),
    ("/api/v1/config-changes", "actor", true),
    ("/api/v1/recordings", "owner", true),
    ("/api/v1/endpoints", "user", true),
    ("/api/v1/users", "q", false),
];

fn event(i: usize, word: &str) -> Value {
    json!({"kind": "event", "id": format!("lim-{word}-{i}"), "time": "2026-11-24T11:00:00Z", "type": "status", "description": word})
}

fn ingest_request(app: &TestApp, content_type: &str) -> TestRequest {
    TestRequest::post()
        .uri("/api/v1/ingest")
        .insert_header(("cookie", app.root.cookie.clone()))
        .insert_header(("x-csrf-token", app.root.csrf.clone()))
        .insert_header(("content-type", content_type.to_owned()))
}

/// `body` in chunks of `size` bytes, streamed without a `Content-Length`.
fn chunks(
    body: Vec<u8>,
    size: usize,
) -> impl futures_util::Stream<Item = Result<Bytes, actix_http::error::PayloadError>> {
    let parts: Vec<Result<Bytes, actix_http::error::PayloadError>> =
        body.chunks(size).map(|c| Ok(Bytes::copy_from_slice(c))).collect();
    futures_util::stream::iter(parts)
}

async fn count(app: &TestApp, uri: &str) -> u64 {
    let res = app.get(uri).await;
    assert_eq!(res.status, 200, "{uri}: {}", res.text());
    res.json()["count"].as_u64().expect("count")
}

async fn export(app: &TestApp, caller: &Caller, path: &str) -> actix_web::dev::ServiceResponse {
    let mut req = TestRequest::get().uri(path).peer_addr("127.0.0.1:40000".parse().expect("addr"));
    match caller {
        Caller::Admin(s) => {
            req = req.insert_header(("cookie", s.cookie.clone())).insert_header(("x-csrf-token", s.csrf.clone()))
        }
        Caller::Bearer(t) => req = req.insert_header(("authorization", format!("Bearer {t}"))),
        _ => {}
    }
    app.send_unread(req.to_request()).await
}

async fn read_all(res: actix_web::dev::ServiceResponse) -> Answer {
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let body = actix_web::test::read_body(res).await.to_vec();
    Answer { status, headers, body }
}

/// Waits up to 2 s for `path` to be exported again by `caller`; the answer is read whole.
async fn export_accepted_soon(app: &TestApp, caller: &Caller, path: &str) -> Answer {
    let started = std::time::Instant::now();
    loop {
        let res = read_all(export(app, caller, path).await).await;
        if res.status == 200 || started.elapsed() > Duration::from_secs(2) {
            return res;
        }
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
}

both_backends! {
    async fn ingest_bodies_and_batches_over_the_limits_are_413_with_or_without_length(db: TestDb) {
        let limits = Limits::new(IngestLimits { max_bytes: 4096, max_records: 5 }, 2, Duration::from_secs(30));
        let app = app_with_limits(&db, test_settings(), limits).await;
        // A body of 4 KiB and a bit: with a Content-Length it is refused before it is read.
        let big: Vec<Value> = (0..40).map(|i| event(i, "wombat")).collect();
        let big_bytes = serde_json::to_vec(&big).expect("json");
        assert!(big_bytes.len() > 4096);
        let res = app.send(ingest_request(&app, "application/json").set_payload(big_bytes.clone())).await;
        res.assert_status_problem(413);
        assert!(res.json()["detail"].as_str().expect("detail").contains("4096 bytes"), "{}", res.text());
        // The same body chunked, with no length: refused when it grows past the limit.
        let res = app.send_stream(ingest_request(&app, "application/json"), chunks(big_bytes, 700)).await;
        res.assert_status_problem(413);
        assert!(res.json()["detail"].as_str().expect("detail").contains("4096 bytes"), "{}", res.text());
        // NDJSON too.
        let lines: String = (0..40).map(|i| format!("{}\n", event(i, "wombat"))).collect();
        let res = app.send_stream(ingest_request(&app, "application/x-ndjson"), chunks(lines.into_bytes(), 500)).await;
        res.assert_status_problem(413);
        // Six records in a small body: too many for the batch.
        let six: Vec<Value> = (0..6).map(|i| event(i, "wombat")).collect();
        let res = app.send_stream(ingest_request(&app, "application/json"), chunks(serde_json::to_vec(&six).expect("json"), 100)).await;
        res.assert_status_problem(413);
        assert!(res.json()["detail"].as_str().expect("detail").contains("limit of 5"), "{}", res.text());
        assert_eq!(count(&app, "/api/v1/events/count?q=wombat").await, 0, "nothing of a refused batch is stored");
        // Five, chunked, go in.
        let res = app.send_stream(ingest_request(&app, "application/json"), chunks(serde_json::to_vec(&six[..5]).expect("json"), 100)).await;
        assert_eq!(res.status, 200, "{}", res.text());
        assert_eq!(count(&app, "/api/v1/events/count?q=wombat").await, 5);
    }

    async fn json_bodies_over_one_mib_are_413_with_or_without_length(db: TestDb) {
        let app = app(&db).await;
        let settings = || {
            TestRequest::put()
                .uri("/api/v1/settings")
                .insert_header(("cookie", app.root.cookie.clone()))
                .insert_header(("x-csrf-token", app.root.csrf.clone()))
                .insert_header(("content-type", "application/json"))
        };
        let mut big = b"{\"endpoint_retention_days\": 7, \"pad\": \"".to_vec();
        big.extend(std::iter::repeat_n(b'p', 1 << 20));
        big.extend(b"\"}");
        let res = app.send(settings().set_payload(big.clone())).await;
        res.assert_status_problem(413);
        assert!(res.text().contains("1048576"), "{}", res.text());
        app.send_stream(settings(), chunks(big, 64 << 10)).await.assert_status_problem(413);
        assert_eq!(app.get("/api/v1/settings").await.json()["endpoint_retention_days"], 180, "nothing changed");
    }

    async fn a_stalled_body_is_408_and_stores_nothing(db: TestDb) {
        let limits = Limits::new(IngestLimits::default(), 2, Duration::from_millis(300));
        let app = app_with_limits(&db, test_settings(), limits).await;
        let records: Vec<Value> = (0..3).map(|i| event(i, "dingo")).collect();
        let bytes = serde_json::to_vec(&records).expect("json");
        let half = Bytes::copy_from_slice(&bytes[..bytes.len() / 2]);
        let stalled = futures_util::stream::iter([Ok(half)]).chain(futures_util::stream::pending());
        let started = std::time::Instant::now();
        let res = app.send_stream(ingest_request(&app, "application/json"), stalled).await;
        res.assert_status_problem(408);
        assert!(res.json()["detail"].as_str().expect("detail").contains("stalled"), "{}", res.text());
        assert!(started.elapsed() < Duration::from_secs(5), "answered after {:?}", started.elapsed());
        assert_eq!(count(&app, "/api/v1/events/count?q=dingo").await, 0);
        // JSON bodies of other routes too (a settings update).
        let req = TestRequest::put()
            .uri("/api/v1/settings")
            .insert_header(("cookie", app.root.cookie.clone()))
            .insert_header(("x-csrf-token", app.root.csrf.clone()))
            .insert_header(("content-type", "application/json"));
        let stalled = futures_util::stream::iter([Ok(Bytes::from_static(b"{\"recording_retention"))]).chain(futures_util::stream::pending());
        app.send_stream(req, stalled).await.assert_status_problem(408);
        // A body that arrives slowly but steadily is fine.
        let slow = futures_util::stream::iter(bytes.chunks(40).map(Bytes::copy_from_slice).collect::<Vec<_>>())
            .then(|c| async move {
                actix_web::rt::time::sleep(Duration::from_millis(50)).await;
                Ok(c)
            });
        let res = app.send_stream(ingest_request(&app, "application/json"), slow).await;
        assert_eq!(res.status, 200, "{}", res.text());
        assert_eq!(count(&app, "/api/v1/events/count?q=dingo").await, 3);
    }

    async fn filter_values_q_query_length_limit_and_range_are_checked_on_every_report(db: TestDb) {
        let app = app(&db).await;
        for &(path, param, whole) in REPORTS {
            let ops: &[&str] = if whole { &["", "/count", "/export"] } else { &[""] };
            let count_op = if whole { "/count" } else { "" };
            let values = |n: usize| (0..n).map(|i| format!("{param}=v{i}")).collect::<Vec<_>>().join("&");
            if param != "q" {
                let res = app.get(&format!("{path}?{}", values(100))).await;
                assert_eq!(res.status, 200, "{path}: 100 values of `{param}` are fine: {}", res.text());
            }
            for op in ops {
                let res = app.get(&format!("{path}{op}?{}", values(101))).await;
                res.assert_problem(400, param);
                assert!(res.json()["detail"].as_str().expect("detail").contains("at most 100"), "{path}{op}: {}", res.text());
            }
            let long_q = "x".repeat(201);
            app.get(&format!("{path}?q={long_q}")).await.assert_problem(400, "q");
            let words = |n: usize| (0..n).map(|i| format!("w{i}")).collect::<Vec<_>>().join("+");
            app.get(&format!("{path}{count_op}?q={}", words(11))).await.assert_problem(400, "q");
            let res = app.get(&format!("{path}{count_op}?q={}", words(10))).await;
            assert_eq!(res.status, 200, "{path}: ten words are fine: {}", res.text());
            let res = app.get(&format!("{path}?q={}", "y".repeat(200))).await;
            assert_eq!(res.status, 200, "{path}: 200 characters are fine: {}", res.text());
            // The whole query string.
            let res = app.get(&format!("{path}?from=2026-01-01&tz=UTC&q={}", "z".repeat(9000))).await;
            res.assert_problem(400, "query");
            assert!(res.json()["detail"].as_str().expect("detail").contains("8192"), "{}", res.text());
            // `limit` is 1 to 1000.
            app.get(&format!("{path}?limit=1001")).await.assert_problem(400, "limit");
            app.get(&format!("{path}?limit=0")).await.assert_problem(400, "limit");
            assert_eq!(app.get(&format!("{path}?limit=1000")).await.status, 200);
            // `from` after `to` everywhere; a long range is fine on lists (keyset-paginated).
            for op in ops {
                app.get(&format!("{path}{op}?from=2026-11-05&to=2026-11-01")).await.assert_problem(400, "to");
            }
            assert_eq!(app.get(&format!("{path}{count_op}?from=2000-01-01&to=2026-11-01")).await.status, 200);
        }
        app.get("/api/v1/dashboard?from=2026-11-05&to=2026-11-01").await.assert_problem(400, "to");
        app.get("/api/v1/dashboard?from=2025-01-01&to=2026-01-02").await.assert_problem(400, "to");
    }

    async fn exports_per_caller_are_limited_and_given_back(db: TestDb) {
        let app = app(&db).await;
        // More than one batch of the export (2,000 rows), so a client can stop halfway.
        let records: Vec<Value> = (0..4500).map(|i| event(i, "numbat")).collect();
        let res = app.call_as(&Caller::Admin(app.root.clone()), "POST", "/api/v1/ingest", Some(Value::Array(records))).await;
        assert_eq!(res.status, 200, "{}", res.text());
        let root = Caller::Admin(app.root.clone());
        app.create_admin("other-admin", "sysadmin", "other password for tests");
        let other = Caller::Admin(app.sign_in("other-admin", "other password for tests").await);
        let rows = count(&app, "/api/v1/events/count").await as usize;
        assert!(rows > 4500, "{rows}");
        let first = export(&app, &root, "/api/v1/events/export").await;
        assert_eq!(first.status(), 200);
        let second = export(&app, &root, "/api/v1/calls/export").await;
        assert_eq!(second.status(), 200);
        // The third while two stream: 429 with Retry-After.
        let third = read_all(export(&app, &root, "/api/v1/chat-messages/export").await).await;
        third.assert_status_problem(429);
        assert_eq!(third.header("retry-after").as_deref(), Some("5"));
        assert!(third.json()["detail"].as_str().expect("detail").contains("at most 2 exports"), "{}", third.text());
        // Another administrator is not affected.
        let theirs = read_all(export(&app, &other, "/api/v1/events/export").await).await;
        assert_eq!(theirs.status, 200);
        assert_eq!(theirs.text().lines().count(), rows + 1, "header and every row");
        // Lists are not exports: still answered.
        assert_eq!(app.get("/api/v1/events?limit=1").await.status, 200);
        // A finished export gives its slot back.
        let done = read_all(first).await;
        assert_eq!(done.text().lines().count(), rows + 1);
        let res = export_accepted_soon(&app, &root, "/api/v1/events/export").await;
        assert_eq!(res.status, 200, "after a finished export: {}", String::from_utf8_lossy(&res.body));
        // A client that reads part of an export and goes away gives its slot back too.
        let mut body = export(&app, &root, "/api/v1/events/export").await.into_body();
        let mut got = 0;
        while got == 0 {
            let chunk = futures_util::future::poll_fn(|cx| std::pin::Pin::new(&mut body).poll_next(cx)).await;
            got += chunk.expect("a first chunk").expect("bytes").len();
        }
        let full = export(&app, &root, "/api/v1/events/export").await;
        assert_eq!(full.status(), 429, "two held: the half-read one and `second`");
        drop(read_all(full).await);
        drop(body);
        let res = export_accepted_soon(&app, &root, "/api/v1/events/export").await;
        assert_eq!(res.status, 200, "after a client went away: {}", String::from_utf8_lossy(&res.body));
        drop(second);
    }
}
