//! Conference recordings: list filters, sorts and keyset walks; media with HTTP Range (checked
//! byte for byte against the file), HEAD, If-Range, download names; ids that try to climb out
//! of the recordings directory; upload (magic, size limit, duration, temp files); delete;
//! retention; the chat on the recording's timeline.

use actix_web::test::TestRequest;
use chrono::{DateTime, Duration, TimeZone, Utc};
use confreports_store::records::*;
use confreports_store::report::{search_text, to_db_time};
use diesel::prelude::*;
use serde_json::{Value, json};

use crate::both_backends;
use crate::support::{RECORDING_MAX_BYTES, TestApp, app};

const SAMPLE: &[u8] = confreports_store::demo::SAMPLE_WEBM;
const OWNERS: [&str; 3] = ["alice@corp", "bob@corp", "carol@corp"];
const N: usize = 12;

fn base() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 1, 9, 0, 0).single().expect("valid time")
}

fn dir(app: &TestApp) -> std::path::PathBuf {
    app.keys_dir().join("recordings")
}

pub(crate) struct Spec {
    session: String,
    owner: &'static str,
    conference: Option<&'static str>,
    title: Option<String>,
    started: DateTime<Utc>,
    duration: i64,
    size: i64,
}

fn spec(i: usize) -> Spec {
    let conference = if i.is_multiple_of(3) { None } else { Some(["conf-a", "conf-b"][i % 2]) };
    Spec {
        session: format!("s{i:02}"),
        owner: OWNERS[i % 3],
        conference,
        title: conference.map(|_| format!("Meeting {}", ["Alpha", "Beta", "Gamma"][i % 3])),
        started: base() + Duration::hours(i as i64),
        // Ties on purpose: the id breaks them.
        duration: (i % 4) as i64 * 60,
        size: (i % 5) as i64 * 1000,
    }
}

/// Sessions with chat and one recording each; recording `i` has source id `src-i`.
pub(crate) fn seed(app: &TestApp) -> Vec<Spec> {
    let specs: Vec<Spec> = (0..N).map(spec).collect();
    let mut conn = app.pool.get().expect("connection");
    let conferences: Vec<NewConference> = ["conf-a", "conf-b"]
        .iter()
        .map(|c| NewConference {
            id: (*c).to_owned(),
            title: format!("Conference {c}"),
            owner: OWNERS[0].into(),
            kind: "virtual_room".into(),
            mode: "symmetric".into(),
            created_at: to_db_time(base()),
            search: String::new(),
        })
        .collect();
    insert_conferences(&mut conn, &conferences).expect("conferences");
    let sessions: Vec<NewCallSession> = specs
        .iter()
        .map(|s| NewCallSession {
            id: s.session.clone(),
            conference_id: s.conference.map(str::to_owned),
            title: s.title.clone(),
            title_sort: s.title.clone().unwrap_or_default(),
            owner: s.owner.into(),
            mode: "symmetric".into(),
            multicast: false,
            started_at: to_db_time(s.started),
            ended_at: Some(to_db_time(s.started + Duration::minutes(30))),
            duration_s: Some(1800),
            participants: 0,
            connections: 0,
            recorded: true,
            search: search_text([Some(s.session.as_str()), s.title.as_deref(), Some(s.owner)]),
        })
        .collect();
    insert_call_sessions(&mut conn, &sessions).expect("sessions");
    let recordings: Vec<NewRecording> = specs
        .iter()
        .enumerate()
        .map(|(i, s)| NewRecording {
            source_id: Some(format!("src-{i}")),
            session_id: s.session.clone(),
            conference_id: s.conference.map(str::to_owned),
            title: s.title.clone(),
            title_sort: s.title.clone().unwrap_or_default(),
            owner: s.owner.into(),
            // The recording starts 60 s after its session.
            started_at: to_db_time(s.started + Duration::seconds(60)),
            duration_s: s.duration,
            size_bytes: s.size,
            content_type: "video/webm".into(),
            storage_key: None,
            created_at: to_db_time(s.started),
        })
        .collect();
    insert_recordings(&mut conn, &recordings).expect("recordings");
    specs
}

pub(crate) fn id_of(app: &TestApp, source: &str) -> i64 {
    use confreports_store::schema::recordings;
    let mut conn = app.pool.get().expect("connection");
    recordings::table.filter(recordings::source_id.eq(source)).select(recordings::id).first(&mut conn).expect("id")
}

/// Gives recording `id` the sample as media, stored under `key`.
pub(crate) fn attach(app: &TestApp, id: i64, key: &str) {
    use confreports_store::schema::recordings;
    std::fs::create_dir_all(dir(app)).expect("dir");
    std::fs::write(dir(app).join(key), SAMPLE).expect("write");
    let mut conn = app.pool.get().expect("connection");
    diesel::update(recordings::table.find(id))
        .set((recordings::storage_key.eq(Some(key)), recordings::size_bytes.eq(SAMPLE.len() as i64)))
        .execute(&mut conn)
        .expect("update");
}

fn ids(items: &[Value]) -> Vec<i64> {
    items.iter().map(|i| i["id"].as_i64().expect("id")).collect()
}

async fn with_headers(app: &TestApp, method: &str, uri: &str, headers: &[(&str, &str)]) -> crate::support::Answer {
    let mut req = TestRequest::default()
        .method(method.parse().expect("method"))
        .uri(uri)
        .insert_header(("cookie", app.root.cookie.clone()))
        .insert_header(("x-csrf-token", app.root.csrf.clone()));
    for (k, v) in headers {
        req = req.insert_header((*k, *v));
    }
    app.send(req).await
}

async fn upload(app: &TestApp, source: &str, body: Vec<u8>) -> crate::support::Answer {
    let req = TestRequest::put()
        .uri(&format!("/api/v1/ingest/recordings/{source}/media"))
        .insert_header(("cookie", app.root.cookie.clone()))
        .insert_header(("x-csrf-token", app.root.csrf.clone()))
        .insert_header(("content-type", "video/webm"))
        .set_payload(body);
    app.send(req).await
}

fn leftovers(app: &TestApp) -> Vec<String> {
    match std::fs::read_dir(dir(app)) {
        Ok(entries) => {
            entries.filter_map(|e| e.ok()?.file_name().into_string().ok()).filter(|n| n.starts_with('.')).collect()
        }
        Err(_) => Vec::new(),
    }
}

both_backends! {
    async fn list_filters_sorts_and_walks(db: TestDb) {
        let app = app(&db).await;
        let specs = seed(&app);
        let all: Vec<(i64, usize)> = (0..N).map(|i| (id_of(&app, &format!("src-{i}")), i)).collect();

        let one = app.get(&format!("/api/v1/recordings/{}", all[0].0)).await;
        assert_eq!(one.status, 200, "{}", one.text());
        let body = one.json();
        assert_eq!(body["session_id"], "s00");
        assert_eq!(body["title"], Value::Null, "point-to-point: null title");
        assert_eq!(body["has_media"], false);
        assert_eq!(body["conference_id"], Value::Null);
        assert_eq!(body["owner"], "alice@corp");

        type Key = fn(&Spec) -> (i64, String);
        let sorts: [(&str, Key); 4] = [
            ("started_at", |s| (s.started.timestamp(), String::new())),
            ("duration_s", |s| (s.duration, String::new())),
            ("size_bytes", |s| (s.size, String::new())),
            ("title", |s| (0, s.title.clone().unwrap_or_default())),
        ];
        for (name, key) in sorts {
            let mut expected: Vec<(i64, usize)> = all.clone();
            expected.sort_by(|a, b| key(&specs[a.1]).cmp(&key(&specs[b.1])).then(a.0.cmp(&b.0)));
            let asc: Vec<i64> = expected.iter().map(|e| e.0).collect();
            let got = ids(&app.walk("/api/v1/recordings", &format!("sort={name}&limit=5")).await);
            assert_eq!(got, asc, "sort={name}");
            let got = ids(&app.walk("/api/v1/recordings", &format!("sort=-{name}&limit=5")).await);
            assert_eq!(got, asc.into_iter().rev().collect::<Vec<_>>(), "sort=-{name}");
        }
        // Default: newest first.
        let got = ids(&app.walk("/api/v1/recordings", "limit=4").await);
        assert_eq!(got, all.iter().rev().map(|e| e.0).collect::<Vec<_>>());

        let pick = |f: &dyn Fn(&Spec) -> bool| -> Vec<i64> {
            let mut v: Vec<i64> = all.iter().filter(|e| f(&specs[e.1])).map(|e| e.0).collect();
            v.sort();
            v
        };
        let cases: Vec<(String, Vec<i64>)> = vec![
            ("owner=bob@corp".into(), pick(&|s| s.owner == "bob@corp")),
            ("owner=bob@corp&owner=carol@corp".into(), pick(&|s| s.owner != "alice@corp")),
            ("session=s03&session=s07".into(), pick(&|s| s.session == "s03" || s.session == "s07")),
            ("conference=conf-a".into(), pick(&|s| s.conference == Some("conf-a"))),
            ("conference=conf-b&owner=alice@corp".into(), pick(&|s| s.conference == Some("conf-b") && s.owner == "alice@corp")),
            ("from=2026-11-01T12:00:00Z&to=2026-11-01T15:00:00Z&tz=UTC".into(),
             pick(&|s| { let t = s.started + Duration::seconds(60); t >= base() + Duration::hours(3) && t < base() + Duration::hours(6) })),
            ("q=gamma".into(), pick(&|s| s.title.as_deref().is_some_and(|t| t.contains("Gamma")))),
            ("q=s05".into(), pick(&|s| s.session == "s05")),
        ];
        for (query, expected) in cases {
            let mut got = ids(&app.walk("/api/v1/recordings", &format!("{query}&limit=3")).await);
            got.sort();
            assert_eq!(got, expected, "{query}");
            let count = app.get(&format!("/api/v1/recordings/count?{query}")).await;
            assert_eq!(count.json()["count"].as_u64(), Some(expected.len() as u64), "count {query}");
        }
        app.get("/api/v1/recordings?sort=owner").await.assert_problem(400, "sort");
        app.get("/api/v1/recordings?user=x").await.assert_status_problem(400);
        let csv = app.get("/api/v1/recordings/export?owner=alice@corp").await;
        assert_eq!(csv.status, 200);
        assert!(csv.text().contains("id,session_id,conference_id,title,owner,started_at,duration_s,size_bytes,has_media"));
        assert_eq!(csv.text().lines().count(), 1 + N / 3);
    }

    async fn media_ranges_are_byte_exact(db: TestDb) {
        let app = app(&db).await;
        seed(&app);
        let id = id_of(&app, "src-1");
        attach(&app, id, "rec-test-1");
        let size = SAMPLE.len();
        let uri = format!("/api/v1/recordings/{id}/media");

        let full = app.get(&uri).await;
        assert_eq!(full.status, 200);
        assert_eq!(full.body, SAMPLE);
        assert_eq!(full.header("content-type").as_deref(), Some("video/webm"));
        assert_eq!(full.header("accept-ranges").as_deref(), Some("bytes"));
        let etag = full.header("etag").expect("ETag");
        let modified = full.header("last-modified").expect("Last-Modified");
        assert!(full.header("content-disposition").is_none_or(|d| d.starts_with("inline")));

        let cases: Vec<(String, usize, usize)> = vec![
            ("bytes=0-99".into(), 0, 99),
            ("bytes=1000-1999".into(), 1000, 1999),
            ("bytes=-500".into(), size - 500, size - 1),
            ("bytes=100-".into(), 100, size - 1),
            (format!("bytes={}-{}", size - 1, size + 1000), size - 1, size - 1),
        ];
        for (range, first, last) in cases {
            let res = with_headers(&app, "GET", &uri, &[("range", &range)]).await;
            assert_eq!(res.status, 206, "{range}");
            assert_eq!(res.body, &SAMPLE[first..=last], "{range}");
            assert_eq!(res.header("content-range"), Some(format!("bytes {first}-{last}/{size}")), "{range}");
        }
        let res = with_headers(&app, "GET", &uri, &[("range", &format!("bytes={size}-"))]).await;
        assert_eq!(res.status, 416);
        assert_eq!(res.header("content-range"), Some(format!("bytes */{size}")));

        // If-Range: a matching validator keeps the range, a stale one gets the whole file.
        let res = with_headers(&app, "GET", &uri, &[("range", "bytes=10-19"), ("if-range", &etag)]).await;
        assert_eq!(res.status, 206);
        assert_eq!(res.body, &SAMPLE[10..20]);
        let res = with_headers(&app, "GET", &uri, &[("range", "bytes=10-19"), ("if-range", &modified)]).await;
        assert_eq!(res.status, 206);
        let res = with_headers(&app, "GET", &uri, &[("range", "bytes=10-19"), ("if-range", "\"stale\"")]).await;
        assert_eq!(res.status, 200);
        assert_eq!(res.body, SAMPLE);
        let res = with_headers(&app, "GET", &uri, &[("if-none-match", &etag)]).await;
        assert_eq!(res.status, 304);

        let head = with_headers(&app, "HEAD", &uri, &[]).await;
        assert_eq!(head.status, 200);
        // (The HTTP/1 dispatcher drops a HEAD body on the wire; in process it is still there.)
        assert_eq!(head.header("etag"), Some(etag.clone()));
        assert_eq!(head.header("accept-ranges").as_deref(), Some("bytes"));

        let dl = app.get(&format!("/api/v1/recordings/{id}/download")).await;
        assert_eq!(dl.status, 200);
        assert_eq!(dl.body, SAMPLE);
        let disposition = dl.header("content-disposition").expect("Content-Disposition");
        assert!(disposition.starts_with("attachment"), "{disposition}");
        assert!(disposition.contains("Meeting Beta 2026-11-01 10-01.webm"), "{disposition}");
        assert!(disposition.contains("filename*=UTF-8''"), "{disposition}");

        // Reached by id only.
        for bad in ["..%2F..%2Fetc%2Fpasswd", "1.webm", "..", "rec-test-1", "-1"] {
            let res = app.get(&format!("/api/v1/recordings/{bad}/media")).await;
            assert!(matches!(res.status, 400 | 404), "{bad}: {}", res.status);
            assert_ne!(res.body, SAMPLE, "{bad}");
        }
        // A stored key with dots or separators is never opened.
        let other = id_of(&app, "src-2");
        std::fs::write(app.keys_dir().join("secret"), b"secret").expect("write");
        {
            use confreports_store::schema::recordings;
            let mut conn = app.pool.get().expect("connection");
            diesel::update(recordings::table.find(other))
                .set(recordings::storage_key.eq(Some("../secret")))
                .execute(&mut conn)
                .expect("update");
        }
        app.get(&format!("/api/v1/recordings/{other}/media")).await.assert_status_problem(404);
        assert_eq!(app.get(&format!("/api/v1/recordings/{other}")).await.json()["has_media"], false);
        // No media yet.
        app.get(&format!("/api/v1/recordings/{}/media", id_of(&app, "src-3"))).await.assert_status_problem(404);
        app.get("/api/v1/recordings/999999/media").await.assert_status_problem(404);
    }

    async fn large_media_is_byte_exact_across_read_chunks(db: TestDb) {
        // Larger than the server's 1 MiB reads: bodies cross chunk boundaries.
        let app = app(&db).await;
        seed(&app);
        let id = id_of(&app, "src-1");
        let size = 3 * (1 << 20) + 123;
        let data: Vec<u8> = (0..size).map(|i: usize| (i % 251) as u8 ^ (i >> 20) as u8).collect();
        attach(&app, id, "rec-test-large");
        std::fs::write(dir(&app).join("rec-test-large"), &data).expect("write");
        let uri = format!("/api/v1/recordings/{id}/media");

        let full = app.get(&uri).await;
        assert_eq!(full.status, 200);
        assert_eq!(full.body.len(), size);
        assert!(full.body == data, "the whole file differs");
        let mib = 1 << 20;
        let cases = [(0, mib), (mib - 10, mib + 10), (mib - 1, 3 * mib), (2 * mib + 5, size - 1), (size - 1, size - 1)];
        for (first, last) in cases {
            let range = format!("bytes={first}-{last}");
            let res = with_headers(&app, "GET", &uri, &[("range", &range)]).await;
            assert_eq!(res.status, 206, "{range}");
            assert!(res.body == data[first..=last], "{range}: the bytes differ");
            assert_eq!(res.header("content-range"), Some(format!("bytes {first}-{last}/{size}")), "{range}");
        }
        let dl = app.get(&format!("/api/v1/recordings/{id}/download")).await;
        assert_eq!(dl.status, 200);
        assert!(dl.body == data, "the download differs");
    }

    async fn upload_checks_magic_size_and_reads_duration(db: TestDb) {
        let app = app(&db).await;
        seed(&app);
        let id = id_of(&app, "src-4");

        upload(&app, "no-such-source", SAMPLE.to_vec()).await.assert_status_problem(404);

        let res = upload(&app, "src-4", b"RIFF....AVI not webm".to_vec()).await;
        assert_eq!(res.status, 415, "{}", res.text());
        assert!(leftovers(&app).is_empty(), "{:?}", leftovers(&app));
        assert_eq!(upload(&app, "src-4", vec![0x1A]).await.status, 415);

        let mut big = SAMPLE.to_vec();
        big.resize(RECORDING_MAX_BYTES as usize + 1, 0);
        let res = upload(&app, "src-4", big.clone()).await;
        assert_eq!(res.status, 413, "{}", res.text());
        assert!(leftovers(&app).is_empty(), "{:?}", leftovers(&app));
        assert_eq!(app.get(&format!("/api/v1/recordings/{id}")).await.json()["has_media"], false);
        // The same chunked, without a Content-Length: refused when it grows past the limit,
        // the part written so far removed.
        let req = TestRequest::put()
            .uri("/api/v1/ingest/recordings/src-4/media")
            .insert_header(("cookie", app.root.cookie.clone()))
            .insert_header(("x-csrf-token", app.root.csrf.clone()))
            .insert_header(("content-type", "video/webm"));
        let parts: Vec<Result<actix_web::web::Bytes, actix_http::error::PayloadError>> =
            big.chunks(64 << 10).map(|c| Ok(actix_web::web::Bytes::copy_from_slice(c))).collect();
        let res = app.send_stream(req, futures_util::stream::iter(parts)).await;
        res.assert_status_problem(413);
        assert!(res.text().contains(&format!("at most {RECORDING_MAX_BYTES} bytes")), "{}", res.text());
        assert!(leftovers(&app).is_empty(), "{:?}", leftovers(&app));
        assert_eq!(app.get(&format!("/api/v1/recordings/{id}")).await.json()["has_media"], false);

        let res = upload(&app, "src-4", SAMPLE.to_vec()).await;
        assert_eq!(res.status, 200, "{}", res.text());
        assert_eq!(res.json(), json!({"id": id, "size_bytes": SAMPLE.len(), "duration_s": 20, "duration_from_file": true}));
        let rec = app.get(&format!("/api/v1/recordings/{id}")).await.json();
        assert_eq!(rec["has_media"], true);
        assert_eq!(rec["duration_s"], 20);
        assert_eq!(rec["size_bytes"].as_u64(), Some(SAMPLE.len() as u64));
        assert_eq!(app.get(&format!("/api/v1/recordings/{id}/media")).await.body, SAMPLE);
        assert!(leftovers(&app).is_empty());

        // Without a Duration element (its id changed to an unknown one) the row keeps its own.
        let mut no_duration = SAMPLE.to_vec();
        let at = no_duration.windows(2).position(|w| w == [0x44, 0x89]).expect("Duration element");
        no_duration[at + 1] = 0x88;
        let other = id_of(&app, "src-5");
        let res = upload(&app, "src-5", no_duration.clone()).await;
        assert_eq!(res.status, 200, "{}", res.text());
        assert_eq!(res.json()["duration_from_file"], false);
        assert_eq!(res.json()["duration_s"].as_i64(), Some(spec(5).duration));
        // A second upload replaces the first file.
        let files_before = std::fs::read_dir(dir(&app)).expect("dir").count();
        assert_eq!(upload(&app, "src-5", SAMPLE.to_vec()).await.status, 200);
        assert_eq!(std::fs::read_dir(dir(&app)).expect("dir").count(), files_before);
        assert_eq!(app.get(&format!("/api/v1/recordings/{other}/media")).await.body, SAMPLE);
    }

    async fn delete_removes_file_and_logs(db: TestDb) {
        let app = app(&db).await;
        seed(&app);
        let id = id_of(&app, "src-7");
        attach(&app, id, "rec-test-7");
        let res = app.call("DELETE", &format!("/api/v1/recordings/{id}")).await;
        assert_eq!(res.status, 204, "{}", res.text());
        assert!(!dir(&app).join("rec-test-7").exists());
        app.get(&format!("/api/v1/recordings/{id}")).await.assert_status_problem(404);
        app.call("DELETE", &format!("/api/v1/recordings/{id}")).await.assert_status_problem(404);
        let events = app.get("/api/v1/events?type=delete_video_recording").await.json();
        let items = events["items"].as_array().expect("items");
        assert_eq!(items.len(), 1);
        assert_eq!(items[0]["details"]["recording_id"], id);
        assert_eq!(items[0]["details"]["session_id"], "s07");
        assert_eq!(items[0]["details"]["actor"], crate::support::ROOT_LOGIN);

        // By filter, through the shared machinery.
        let res = app.call("DELETE", "/api/v1/recordings?owner=alice@corp&reason=cleanup").await;
        assert_eq!(res.status, 200, "{}", res.text());
        assert_eq!(res.json()["deleted"].as_u64(), Some(4));
        assert_eq!(app.get("/api/v1/recordings/count?owner=alice@corp").await.json()["count"], 0);
        let events = app.get("/api/v1/events?type=delete_video_recording").await.json();
        assert_eq!(events["items"].as_array().expect("items").len(), 2);
        app.call("DELETE", "/api/v1/recordings").await.assert_status_problem(400);
    }

    async fn retention_deletes_old_ones_with_one_event(db: TestDb) {
        let app = app(&db).await;
        seed(&app);
        let res = app.call_as(&crate::support::Caller::Admin(app.root.clone()), "PUT", "/api/v1/settings",
            Some(json!({"recording_retention_days": 30}))).await;
        assert_eq!(res.status, 200, "{}", res.text());
        // "Now" is 30 days after the 6th session's start: the first five recordings are older.
        let now = base() + Duration::hours(5) + Duration::days(30);
        let old = id_of(&app, "src-0");
        let recent = id_of(&app, "src-11");
        attach(&app, old, "rec-old");
        attach(&app, recent, "rec-recent");
        let mut conn = app.pool.get().expect("connection");
        let deleted = confreports_api::recordings::purge_expired(&mut conn, Some(&dir(&app)), now).expect("purge");
        assert_eq!(deleted, 5, "recordings started before now - 30 days: s00..s04 (+60 s)");
        assert!(!dir(&app).join("rec-old").exists());
        assert!(dir(&app).join("rec-recent").exists());
        let again = confreports_api::recordings::purge_expired(&mut conn, Some(&dir(&app)), now).expect("purge");
        assert_eq!(again, 0);
        drop(conn);
        assert_eq!(app.get("/api/v1/recordings/count").await.json()["count"].as_u64(), Some((N - 5) as u64));
        let events = app.get("/api/v1/events?type=delete_video_recordings").await.json();
        let items = events["items"].as_array().expect("items");
        assert_eq!(items.len(), 1, "one event per purge that deleted something");
        assert_eq!(items[0]["details"]["deleted"], 5);
        assert_eq!(items[0]["details"]["filter"]["older_than_days"], 30);
    }

    async fn chat_has_offsets_from_the_recording_start(db: TestDb) {
        let app = app(&db).await;
        let specs = seed(&app);
        let s = &specs[2];
        let mut conn = app.pool.get().expect("connection");
        let chats: Vec<NewChatMessage> = [90i64, 30, 61, 200]
            .iter()
            .map(|sec| NewChatMessage {
                source_id: None,
                time: to_db_time(s.started + Duration::seconds(*sec)),
                sender: "bob@corp".into(),
                sender_name: Some("Bob".into()),
                recipient: String::new(),
                session_id: s.session.clone(),
                text: format!("at {sec}"),
                search: String::new(),
            })
            .collect();
        insert_chat_messages(&mut conn, &chats).expect("chat");
        drop(conn);
        let id = id_of(&app, "src-2");
        let res = app.get(&format!("/api/v1/recordings/{id}/chat")).await;
        assert_eq!(res.status, 200, "{}", res.text());
        let items = res.json();
        let got: Vec<(i64, String)> = items
            .as_array()
            .expect("array")
            .iter()
            .map(|m| (m["offset_ms"].as_i64().expect("offset"), m["text"].as_str().expect("text").to_owned()))
            .collect();
        // The recording started 60 s into the session.
        assert_eq!(got, vec![(-30_000, "at 30".into()), (1_000, "at 61".into()), (30_000, "at 90".into()), (140_000, "at 200".into())]);
        assert_eq!(items[0]["session_id"], "s02");
        assert_eq!(items[0]["sender_name"], "Bob");
        let empty = app.get(&format!("/api/v1/recordings/{}/chat", id_of(&app, "src-3"))).await;
        assert_eq!(empty.json(), json!([]));
        app.get("/api/v1/recordings/999999/chat").await.assert_status_problem(404);
        app.get("/api/v1/recordings/abc/chat").await.assert_problem(400, "id");
    }
}
