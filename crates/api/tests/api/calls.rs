//! Call history and the session page: counting rules, active sessions, sorts and keyset walks,
//! filters, delete rules, the session's sub-resources, connection properties and chat files.

use std::collections::HashSet;

use chrono::{DateTime, Duration, TimeZone, Utc};
use confreports_store::calls;
use confreports_store::records::*;
use confreports_store::report::{search_text, to_db_time};
use serde_json::Value;

use crate::both_backends;
use crate::support::{Caller, TestApp, app};

const OWNERS: [&str; 3] = ["alice@corp", "bob@corp", "carol@corp"];
const USERS: [&str; 5] = ["u1@corp", "u2@corp", "u3@corp", "u4@corp", "u5@corp"];
const CONFS: [&str; 2] = ["conf-a", "conf-b"];
const TITLES: [&str; 5] = ["Alpha", "Beta", "Gamma", "Delta", "Epsilon"];
const SESSIONS: usize = 30;

fn base() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).single().expect("valid time")
}

/// What the seed holds for session `i`, for computing expectations.
#[derive(Debug, Clone)]
struct Spec {
    id: String,
    owner: &'static str,
    conference: Option<&'static str>,
    title: Option<String>,
    started: DateTime<Utc>,
    ended: Option<DateTime<Utc>>,
    duration: Option<i64>,
    recorded_flag: bool,
    has_recording_row: bool,
    users: Vec<&'static str>,
    chat: usize,
}

impl Spec {
    fn deletable(&self) -> bool {
        self.ended.is_some() && !self.recorded_flag && !self.has_recording_row
    }
}

fn spec(i: usize) -> Spec {
    // Every third session is a point-to-point call.
    let conference = match i % 3 {
        0 => None,
        _ => Some(CONFS[i % 2]),
    };
    let started = base() + Duration::minutes((i / 2) as i64 * 60);
    let active = i >= 28;
    let duration = (!active).then_some(((i * 7) % 11 + 1) as i64 * 60);
    Spec {
        id: format!("s{i:02}"),
        owner: OWNERS[i % 3],
        conference,
        title: conference.map(|_| format!("Meeting {}", TITLES[i % 5])),
        started,
        ended: duration.map(|d| started + Duration::seconds(d)),
        duration,
        recorded_flag: i % 5 == 1 && !active,
        has_recording_row: i == 7,
        users: (0..i % 4 + 1).map(|k| USERS[(i + k) % 5]).collect(),
        chat: if (10..20).contains(&i) { 2 } else { 0 },
    }
}

fn specs() -> Vec<Spec> {
    (0..SESSIONS).map(spec).collect()
}

fn user_part(
    cid: String,
    session: &str,
    user: &str,
    at: DateTime<Utc>,
    left: Option<DateTime<Utc>>,
) -> NewParticipation {
    NewParticipation {
        person_key: calls::person_key(user, Some(&format!("ep-{user}")), &cid),
        connection_id: cid,
        session_id: session.to_owned(),
        user_id: user.to_owned(),
        display_name: format!("Name of {user}"),
        is_guest: false,
        device: Some("desktop".into()),
        endpoint_id: Some(format!("ep-{user}")),
        joined_at: to_db_time(at),
        left_at: left.map(to_db_time),
        leave_reason: left.map(|_| "left".to_owned()),
        app: Some("TrueConf Client".into()),
        app_version: Some("8.5.2".into()),
        os: Some("Windows 11".into()),
        cpu: Some("Intel Core i5-1235U".into()),
        ip: Some("10.0.0.7".into()),
        system_info: Some("{\"ram_gb\": 16}".into()),
    }
}

fn guest_part(cid: &str, name: &str, at: DateTime<Utc>) -> NewParticipation {
    NewParticipation {
        person_key: calls::person_key("", Some("guest-ep-1"), cid),
        connection_id: cid.to_owned(),
        session_id: "s04".into(),
        user_id: String::new(),
        display_name: name.to_owned(),
        is_guest: true,
        device: Some("browser".into()),
        endpoint_id: Some("guest-ep-1".into()),
        joined_at: to_db_time(at),
        left_at: Some(to_db_time(at + Duration::seconds(30))),
        leave_reason: Some("connection lost".into()),
        app: Some("WebClient".into()),
        app_version: Some("8.5.2".into()),
        os: Some("Android 14".into()),
        cpu: None,
        ip: Some("203.0.113.7".into()),
        system_info: Some("Chrome 131".into()),
    }
}

/// The content of the downloadable file of session s04.
const FILE_BYTES: &[u8] = "hello, файл\n".as_bytes();

/// Seeds 30 sessions (two active), their connections, chat, a guest who reconnects and renames
/// in s04, s04's invitations, media samples and files (one with content in the app's files
/// directory); the counts come from `calls::recount`.
fn seed(app: &TestApp) -> Vec<Spec> {
    let specs = specs();
    let mut conn = app.pool.get().expect("connection");
    let conferences: Vec<NewConference> = CONFS
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
    let mut sessions = Vec::new();
    let mut parts = Vec::new();
    let mut chats = Vec::new();
    for (i, s) in specs.iter().enumerate() {
        sessions.push(NewCallSession {
            id: s.id.clone(),
            conference_id: s.conference.map(str::to_owned),
            title: s.title.clone(),
            title_sort: s.title.clone().unwrap_or_default(),
            owner: s.owner.into(),
            mode: if s.conference.is_some() { "symmetric" } else { "p2p" }.into(),
            multicast: i == 2,
            started_at: to_db_time(s.started),
            ended_at: s.ended.map(to_db_time),
            duration_s: s.duration,
            participants: 0,
            connections: 0,
            recorded: s.recorded_flag,
            search: search_text([Some(s.id.as_str()), s.title.as_deref(), Some(s.owner)]),
        });
        let mut n = 0;
        for (k, u) in s.users.iter().enumerate() {
            n += 1;
            parts.push(user_part(format!("{}-c{n}", s.id), &s.id, u, s.started + Duration::seconds(k as i64), s.ended));
            if i % 4 == 0 && k == 0 {
                n += 1;
                parts.push(user_part(format!("{}-c{n}", s.id), &s.id, u, s.started + Duration::seconds(20), s.ended));
            }
        }
        for m in 0..s.chat {
            chats.push(NewChatMessage {
                source_id: None,
                time: to_db_time(s.started + Duration::seconds(10 * m as i64 + 5)),
                sender: s.users[0].into(),
                sender_name: Some("Sender".into()),
                recipient: String::new(),
                session_id: s.id.clone(),
                text: format!("message {m} of {}", s.id),
                search: String::new(),
            });
        }
    }
    for m in 0..3 {
        chats.push(NewChatMessage {
            source_id: None,
            time: to_db_time(base() + Duration::minutes(m)),
            sender: USERS[0].into(),
            sender_name: None,
            recipient: USERS[1].into(),
            session_id: String::new(),
            text: "personal".into(),
            search: String::new(),
        });
    }
    let s04 = &specs[4];
    parts.push(guest_part("s04-g1", "Guest", s04.started + Duration::seconds(40)));
    parts.push(guest_part("s04-g2", "Гость Петров", s04.started + Duration::seconds(90)));
    insert_call_sessions(&mut conn, &sessions).expect("sessions");
    insert_participations(&mut conn, &parts).expect("participations");
    insert_chat_messages(&mut conn, &chats).expect("chat");
    let renamed = participation_id(&mut conn, "s04-g2").expect("participation");
    insert_name_changes(
        &mut conn,
        &[NewNameChange {
            participation_id: renamed,
            time: to_db_time(s04.started + Duration::seconds(100)),
            old_name: "Гость Петров".into(),
            new_name: "Пётр Петров".into(),
        }],
    )
    .expect("name change");
    let at = to_db_time(s04.started);
    let invitation = |inviter: &str, server: bool, invitee: &str, outcome: &str| NewInvitation {
        source_id: None,
        session_id: "s04".into(),
        time: at,
        inviter: inviter.into(),
        inviter_is_server: server,
        invitee: invitee.into(),
        outcome: outcome.into(),
    };
    insert_invitations(
        &mut conn,
        &[
            invitation("conf.corp.example", true, USERS[4], "accepted"),
            invitation(OWNERS[1], false, USERS[1], "rejected"),
            invitation(OWNERS[1], false, USERS[2], "missed"),
        ],
    )
    .expect("invitations");
    let sample = |cid: &str, minutes: i64, kbps: i32| NewMediaStats {
        source_id: None,
        session_id: "s04".into(),
        connection_id: cid.into(),
        time: to_db_time(s04.started + Duration::minutes(minutes)),
        bitrate_in_kbps: Some(kbps),
        bitrate_out_kbps: Some(kbps / 2),
        resolution: Some("1280x720".into()),
        fps: Some(30.0),
        packet_loss_pct: Some(0.5),
        jitter_ms: Some(12.0),
        cpu_pct: Some(40.0),
    };
    insert_media_stats(&mut conn, &[sample("s04-g1", 1, 900), sample("s04-c1", 2, 2000), sample("s04-c1", 1, 1800)])
        .expect("media");
    let file = |name: &str, key: Option<&str>, content_type: &str, size: i64| NewChatFile {
        source_id: None,
        session_id: "s04".into(),
        sender: USERS[4].into(),
        file_name: name.into(),
        content_type: content_type.into(),
        size_bytes: size,
        sent_at: to_db_time(s04.started + Duration::minutes(1)),
        storage_key: key.map(str::to_owned),
    };
    insert_chat_files(
        &mut conn,
        &[
            file("Отчёт \"Q3\"/final.txt", Some("f-s04-a"), "text/plain; charset=utf-8", FILE_BYTES.len() as i64),
            file("slides.pptx", None, "application/vnd.ms-powerpoint", 1000),
            file("passwd", Some("../../etc/passwd"), "text/plain", 10),
        ],
    )
    .expect("files");
    let dir = files_dir(app);
    std::fs::create_dir_all(&dir).expect("files dir");
    std::fs::write(dir.join("f-s04-a"), FILE_BYTES).expect("file content");
    let recording = &specs[7];
    insert_recordings(
        &mut conn,
        &[NewRecording {
            source_id: None,
            session_id: recording.id.clone(),
            conference_id: recording.conference.map(str::to_owned),
            title: recording.title.clone(),
            title_sort: recording.title.clone().unwrap_or_default(),
            owner: recording.owner.into(),
            started_at: to_db_time(recording.started),
            duration_s: 60,
            size_bytes: 1000,
            content_type: "video/webm".into(),
            storage_key: None,
            created_at: to_db_time(recording.started),
        }],
    )
    .expect("recording");
    for s in &specs {
        calls::recount(&mut conn, &s.id).expect("recount");
    }
    specs
}

fn files_dir(app: &TestApp) -> std::path::PathBuf {
    app.keys_dir().join("files")
}

fn ids(items: &[Value]) -> Vec<String> {
    items.iter().map(|c| c["id"].as_str().expect("id").to_owned()).collect()
}

async fn count(app: &TestApp, query: &str) -> u64 {
    let res = app.get(&format!("/api/v1/calls/count?{query}")).await;
    assert_eq!(res.status, 200, "{query}: {}", res.text());
    res.json()["count"].as_u64().expect("count")
}

fn time(v: &Value) -> i64 {
    DateTime::parse_from_rfc3339(v.as_str().expect("time")).expect("rfc3339").timestamp_micros()
}

both_backends! {
    async fn people_are_counted_once_and_connections_each(db: TestDb) {
        let app = app(&db).await;
        seed(&app);
        // s04: one user connecting twice, one guest reconnecting from the same browser under a new name.
        let call = app.get("/api/v1/calls/s04").await;
        assert_eq!(call.status, 200, "{}", call.text());
        let call = call.json();
        assert_eq!(call["participants"], 2);
        assert_eq!(call["connections"], 4);
        assert_eq!(call["owner"], "bob@corp");
        assert_eq!(call["title"], "Meeting Epsilon");
        assert_eq!(call["conference_id"], "conf-a");
        assert_eq!(call["started_at"], "2026-11-01T02:00:00Z");
        // A point-to-point call has no title; s02 went by multicast.
        let p2p = app.get("/api/v1/calls/s03").await.json();
        assert!(p2p["title"].is_null() && p2p["conference_id"].is_null(), "{p2p}");
        assert_eq!(p2p["mode"], "p2p");
        assert_eq!(app.get("/api/v1/calls/s02").await.json()["multicast"], true);
        let list = app.get("/api/v1/calls/s04/participants").await.json();
        assert_eq!(list["connections"], 4);
        assert_eq!(list["participants"], 2);
        let items = list["items"].as_array().expect("items");
        assert_eq!(items.len(), 4);
        let guest = items.iter().find(|p| p["connection_id"] == "s04-g2").expect("the renamed guest");
        assert_eq!(guest["is_guest"], true);
        assert!(guest["user_id"].is_null());
        assert_eq!(guest["display_name"], "Гость Петров");
        assert_eq!(guest["device"], "browser");
        assert_eq!(guest["leave_reason"], "connection lost");
        assert_eq!(guest["name_changes"][0]["new_name"], "Пётр Петров");
        assert_eq!(guest["name_changes"][0]["old_name"], "Гость Петров");
        let joins: Vec<i64> = items.iter().map(|p| time(&p["joined_at"])).collect();
        assert!(joins.windows(2).all(|w| w[0] <= w[1]), "join order");
        // Another reconnection of the guest, under yet another name, then the session ends:
        // one more connection, still two people.
        {
            let mut conn = app.pool.get().expect("connection");
            let mut again = guest_part("s04-g3", "Пётр", base() + Duration::hours(3));
            again.left_at = None;
            insert_participations(&mut conn, &[again]).expect("reconnect");
            calls::end_session(&mut conn, "s04", base() + Duration::hours(4)).expect("end");
        }
        let call = app.get("/api/v1/calls/s04").await.json();
        assert_eq!((call["participants"].as_i64(), call["connections"].as_i64()), (Some(2), Some(5)));
        assert_eq!(call["ended_at"], "2026-11-01T04:00:00Z");
        assert_eq!(call["duration_s"], 2 * 3600);
        // Summaries elsewhere agree with the counts stored: every seeded session.
        for s in specs() {
            let c = app.get(&format!("/api/v1/calls/{}", s.id)).await.json();
            let people: HashSet<&str> = s.users.iter().copied().collect();
            let expected = people.len() as i64 + i64::from(s.id == "s04");
            assert_eq!(c["participants"].as_i64(), Some(expected), "{}", s.id);
        }
    }

    async fn session_page_lists_invitations_media_files_chat_and_connections(db: TestDb) {
        let app = app(&db).await;
        seed(&app);
        let inv = app.get("/api/v1/calls/s04/invitations").await.json();
        let inv = inv.as_array().expect("array");
        assert_eq!(inv.len(), 3);
        assert_eq!(inv[0]["inviter"], "conf.corp.example");
        assert_eq!(inv[0]["inviter_is_server"], true);
        assert_eq!(inv[0]["outcome"], "accepted");
        let outcomes: Vec<&str> = inv.iter().filter_map(|i| i["outcome"].as_str()).collect();
        assert_eq!(outcomes, ["accepted", "rejected", "missed"]);
        assert_eq!(inv[1]["inviter_is_server"], false);
        let media = app.get("/api/v1/calls/s04/media").await.json();
        let media = media.as_array().expect("array");
        let order: Vec<(&str, i64)> = media.iter().map(|m| (m["connection_id"].as_str().expect("cid"), m["bitrate_in_kbps"].as_i64().expect("kbps"))).collect();
        // Per connection in join order, each in time order.
        assert_eq!(order, [("s04-c1", 1800), ("s04-c1", 2000), ("s04-g1", 900)]);
        assert_eq!(media[0]["display_name"], "Name of u5@corp");
        assert_eq!(media[0]["resolution"], "1280x720");
        assert_eq!(media[0]["packet_loss_pct"], 0.5);
        let files = app.get("/api/v1/calls/s04/files").await.json();
        let files = files.as_array().expect("array");
        assert_eq!(files.len(), 3);
        let downloadable: Vec<(&str, bool)> = files.iter().map(|f| (f["name"].as_str().expect("name"), f["downloadable"].as_bool().expect("flag"))).collect();
        assert_eq!(downloadable, [("Отчёт \"Q3\"/final.txt", true), ("slides.pptx", false), ("passwd", false)]);
        assert_eq!(files[0]["sender"], "u5@corp");
        assert_eq!(files[0]["size_bytes"], FILE_BYTES.len());
        let chat = app.get("/api/v1/calls/s12/chat").await.json();
        let texts: Vec<&str> = chat.as_array().expect("array").iter().filter_map(|m| m["text"].as_str()).collect();
        assert_eq!(texts, ["message 0 of s12", "message 1 of s12"]);
        assert_eq!(chat[0]["session_id"], "s12");
        assert!(chat[0]["recipient"].is_null());
        assert_eq!(app.get("/api/v1/calls/s04/chat").await.json(), serde_json::json!([]));
        let props = app.get("/api/v1/connections/s04-c1").await.json();
        assert_eq!(props["session_id"], "s04");
        assert_eq!(props["user_id"], "u5@corp");
        assert_eq!(props["app"], "TrueConf Client");
        assert_eq!(props["app_version"], "8.5.2");
        assert_eq!(props["os"], "Windows 11");
        assert_eq!(props["cpu"], "Intel Core i5-1235U");
        assert_eq!(props["ip"], "10.0.0.7");
        assert_eq!(props["endpoint_id"], "ep-u5@corp");
        assert_eq!(props["system_info"]["ram_gb"], 16);
        // System information that is not JSON comes back as the string it was.
        assert_eq!(app.get("/api/v1/connections/s04-g1").await.json()["system_info"], "Chrome 131");
        // Unknown ids are 404 problems; query parameters are refused.
        for uri in ["/api/v1/calls/nope", "/api/v1/calls/nope/participants", "/api/v1/calls/nope/invitations", "/api/v1/calls/nope/media", "/api/v1/calls/nope/files", "/api/v1/calls/nope/chat", "/api/v1/connections/nope", "/api/v1/files/999999/content"] {
            app.get(uri).await.assert_status_problem(404);
        }
        for uri in ["/api/v1/calls/s04?x=1", "/api/v1/calls/s04/participants?limit=5", "/api/v1/calls/s04/invitations?x=1", "/api/v1/calls/s04/media?x=1", "/api/v1/calls/s04/files?x=1", "/api/v1/calls/s04/chat?sort=time", "/api/v1/connections/s04-c1?x=1"] {
            app.get(uri).await.assert_status_problem(400);
        }
    }

    async fn active_sessions_have_no_end_and_sort_after_the_ended_ones(db: TestDb) {
        let app = app(&db).await;
        seed(&app);
        let active = app.walk("/api/v1/calls", "active=true").await;
        assert_eq!(ids(&active), ["s29", "s28"]);
        for c in &active {
            assert!(c["ended_at"].is_null() && c["duration_s"].is_null(), "{c}");
        }
        for field in ["ended_at", "duration_s"] {
            let up = ids(&app.walk("/api/v1/calls", &format!("sort={field}&limit=4")).await);
            assert_eq!(&up[SESSIONS - 2..], ["s28", "s29"], "{field}: active last ascending");
            let down = ids(&app.walk("/api/v1/calls", &format!("sort=-{field}&limit=4")).await);
            assert_eq!(&down[..2], ["s29", "s28"], "-{field}: active first descending");
        }
        // Export leaves their end and duration empty.
        let csv = app.get("/api/v1/calls/export?active=true&sort=started_at").await;
        assert_eq!(csv.status, 200);
        assert!(csv.header("content-disposition").is_some_and(|c| c.starts_with("attachment")));
        let text = csv.text();
        let mut lines = text.lines();
        assert_eq!(lines.next(), Some("id,title,conference_id,owner,mode,multicast,started_at,ended_at,duration_s,participants,connections,recorded"));
        let row: Vec<&str> = lines.next().expect("row").split(',').collect();
        assert_eq!((row[0], row[7], row[8]), ("s28", "", ""));
    }

    async fn every_sort_both_ways_visits_each_row_once_in_order(db: TestDb) {
        let app = app(&db).await;
        let specs = seed(&app);
        let by_id = |id: &str| specs.iter().find(|s| s.id == id).cloned().expect("seeded");
        for field in ["started_at", "ended_at", "duration_s", "participants", "owner", "title"] {
            for sort in [field.to_owned(), format!("-{field}")] {
                let items = app.walk("/api/v1/calls", &format!("sort={sort}&limit=7")).await;
                let seen = ids(&items);
                assert_eq!(seen.len(), SESSIONS, "sort {sort}");
                assert_eq!(seen.iter().collect::<HashSet<_>>().len(), SESSIONS, "sort {sort}: each row once");
                // The expected order, computed from the seed: key, then id; active sessions after
                // every ended one for end and duration.
                let key = |c: &Value| -> (String, String) {
                    let s = by_id(c["id"].as_str().expect("id"));
                    let k = match field {
                        "started_at" => format!("{:020}", s.started.timestamp()),
                        "ended_at" => s.ended.map_or("~".to_owned(), |e| format!("{:020}", e.timestamp())),
                        "duration_s" => s.duration.map_or("~".to_owned(), |d| format!("{d:020}")),
                        "participants" => format!("{:020}", c["participants"].as_i64().expect("n")),
                        "owner" => s.owner.to_owned(),
                        _ => s.title.clone().unwrap_or_default(),
                    };
                    (k, s.id)
                };
                let keys: Vec<(String, String)> = items.iter().map(key).collect();
                let mut sorted = keys.clone();
                sorted.sort();
                if sort.starts_with('-') {
                    sorted.reverse();
                }
                assert_eq!(keys, sorted, "sort {sort}");
            }
        }
        // The default: newest first.
        let first = app.get("/api/v1/calls?limit=1").await.json();
        assert_eq!(first["items"][0]["id"], "s29");
    }

    async fn filters_select_what_they_name(db: TestDb) {
        let app = app(&db).await;
        let specs = seed(&app);
        let n = |f: &dyn Fn(&Spec) -> bool| specs.iter().filter(|s| f(s)).count() as u64;
        assert_eq!(count(&app, "owner=alice@corp").await, n(&|s| s.owner == "alice@corp"));
        assert_eq!(count(&app, "owner=alice@corp&owner=bob@corp").await, n(&|s| s.owner != "carol@corp"));
        assert_eq!(count(&app, "conference=conf-a").await, n(&|s| s.conference == Some("conf-a")));
        assert_eq!(count(&app, "active=true").await, 2);
        assert_eq!(count(&app, "active=false").await, SESSIONS as u64 - 2);
        assert_eq!(count(&app, "recorded=true").await, n(&|s| s.recorded_flag));
        assert_eq!(count(&app, "recorded=false&active=false").await, n(&|s| !s.recorded_flag && s.ended.is_some()));
        assert_eq!(count(&app, "participant=u3@corp").await, n(&|s| s.users.contains(&"u3@corp")));
        assert_eq!(count(&app, "participant=u3@corp&participant=u4@corp").await, n(&|s| s.users.iter().any(|u| ["u3@corp", "u4@corp"].contains(u))));
        assert_eq!(count(&app, "participant=u3@corp&owner=bob@corp").await, n(&|s| s.users.contains(&"u3@corp") && s.owner == "bob@corp"));
        // from/to are on the start time.
        let (from, to) = (base() + Duration::hours(3), base() + Duration::hours(7));
        let q = format!("from={}&to={}", from.to_rfc3339().replace('+', "%2B"), to.to_rfc3339().replace('+', "%2B"));
        assert_eq!(count(&app, &q).await, n(&|s| s.started >= from && s.started < to));
        assert_eq!(count(&app, "from=2026-11-01&to=2026-11-01&tz=Asia/Tokyo").await, n(&|s| s.started < base() + Duration::hours(15)));
        assert_eq!(count(&app, "q=GAMMA").await, n(&|s| s.title.as_deref() == Some("Meeting Gamma")));
        assert_eq!(count(&app, "q=meeting%20carol").await, n(&|s| s.title.is_some() && s.owner == "carol@corp"));
        let listed = app.walk("/api/v1/calls", "participant=u5@corp&sort=started_at").await;
        assert!(listed.iter().all(|c| specs.iter().any(|s| s.id == c["id"] && s.users.contains(&"u5@corp"))));
        // Bad values and unknown parameters are 400s naming them.
        app.get("/api/v1/calls?active=maybe").await.assert_problem(400, "active");
        app.get("/api/v1/calls?recorded=1x").await.assert_problem(400, "recorded");
        app.get("/api/v1/calls?colour=red").await.assert_problem(400, "colour");
        app.get("/api/v1/calls?sort=password").await.assert_problem(400, "sort");
        app.get("/api/v1/calls/count?limit=3").await.assert_problem(400, "limit");
        let page = app.get("/api/v1/calls?sort=-started_at&limit=2").await.json();
        let cursor = page["next_cursor"].as_str().expect("cursor");
        app.get(&format!("/api/v1/calls?sort=title&cursor={cursor}")).await.assert_problem(400, "cursor");
    }

    async fn delete_skips_active_and_recorded_sessions_and_takes_their_chat(db: TestDb) {
        let app = app(&db).await;
        let specs = seed(&app);
        app.call("DELETE", "/api/v1/calls").await.assert_problem(400, "all");
        // An auditor may read but not delete.
        app.create_admin("eve", "security", "a long enough password");
        let eve = Caller::Admin(app.sign_in("eve", "a long enough password").await);
        app.call_as(&eve, "DELETE", "/api/v1/calls?owner=alice@corp", None).await.assert_status_problem(403);
        assert_eq!(app.call_as(&eve, "GET", "/api/v1/calls/s04", None).await.status, 200);
        let alice: Vec<&Spec> = specs.iter().filter(|s| s.owner == "alice@corp").collect();
        let gone: Vec<&Spec> = alice.iter().copied().filter(|s| s.deletable()).collect();
        assert!(gone.len() < alice.len(), "the seed has recorded sessions of alice to skip");
        let chat_gone: usize = gone.iter().map(|s| s.chat).sum();
        assert!(chat_gone > 0);
        let res = app.call("DELETE", "/api/v1/calls?owner=alice@corp&reason=cleanup").await;
        assert_eq!(res.status, 200, "{}", res.text());
        assert_eq!(res.json()["deleted"].as_u64(), Some(gone.len() as u64));
        for s in &alice {
            let status = app.get(&format!("/api/v1/calls/{}", s.id)).await.status;
            assert_eq!(status, if s.deletable() { 404 } else { 200 }, "{}", s.id);
        }
        // Their connections went by cascade; chat of kept sessions stays.
        let gone_id = &gone[0].id;
        assert_eq!(app.get(&format!("/api/v1/connections/{gone_id}-c1")).await.status, 404);
        {
            use confreports_store::schema::chat_messages;
            use diesel::prelude::*;
            let mut conn = app.pool.get().expect("connection");
            let left: i64 = chat_messages::table.count().get_result(&mut *conn).expect("count");
            let seeded: usize = specs.iter().map(|s| s.chat).sum::<usize>() + 3;
            assert_eq!(left as usize, seeded - chat_gone);
        }
        let log = app.get("/api/v1/events?type=delete_conferences").await.json();
        let items = log["items"].as_array().expect("items");
        assert_eq!(items.len(), 1);
        assert_eq!(items[0]["details"]["deleted"].as_u64(), Some(gone.len() as u64));
        assert_eq!(items[0]["details"]["filter"]["owner"], serde_json::json!(["alice@corp"]));
        assert_eq!(items[0]["details"]["reason"], "cleanup");
        assert_eq!(items[0]["user_id"], crate::support::ROOT_LOGIN);
        let cascade = app.get("/api/v1/events?type=delete_chat_messages_cascade").await.json();
        let cascade = cascade["items"].as_array().expect("items");
        assert_eq!(cascade.len(), 1);
        assert_eq!(cascade[0]["details"]["deleted"].as_u64(), Some(chat_gone as u64));
        assert_eq!(cascade[0]["details"]["filter"]["owner"], serde_json::json!(["alice@corp"]));
        // Everything that may go: what stays is active, flagged recorded, or has a recording.
        let all = app.call("DELETE", "/api/v1/calls?all=true").await.json();
        let rest = specs.iter().filter(|s| s.owner != "alice@corp" && s.deletable()).count();
        assert_eq!(all["deleted"].as_u64(), Some(rest as u64));
        let kept = ids(&app.walk("/api/v1/calls", "sort=started_at").await);
        let expected: Vec<String> = specs.iter().filter(|s| !s.deletable()).map(|s| s.id.clone()).collect();
        assert_eq!(kept, expected);
        assert!(kept.contains(&"s07".to_owned()), "a session with a recording row stays");
        // A delete that removes sessions without chat logs no cascade event.
        assert_eq!(app.get("/api/v1/events/count?type=delete_conferences").await.json()["count"], 2);
        let cascades = app.get("/api/v1/events/count?type=delete_chat_messages_cascade").await.json()["count"].as_u64();
        let rest_chat: usize = specs.iter().filter(|s| s.owner != "alice@corp" && s.deletable()).map(|s| s.chat).sum();
        assert_eq!(cascades, Some(if rest_chat > 0 { 2 } else { 1 }));
        // The content of s04's chat file outlived its row only because it is younger than the
        // upload grace; a sweep without grace takes it.
        let content = files_dir(&app).join("f-s04-a");
        assert!(content.exists());
        {
            let mut conn = app.pool.get().expect("connection");
            let swept = confreports_api::calls::sweep_unreferenced_files(&mut conn, &files_dir(&app), std::time::Duration::ZERO);
            assert_eq!(swept.expect("sweep"), 1);
        }
        assert!(!content.exists());
        let nothing = app.call("DELETE", "/api/v1/calls?owner=nobody").await.json();
        assert_eq!(nothing["deleted"], 0);
        assert_eq!(app.get("/api/v1/events/count?type=delete_chat_messages_cascade").await.json()["count"].as_u64(), cascades);
    }

    async fn chat_files_download_and_delete(db: TestDb) {
        let app = app(&db).await;
        seed(&app);
        let files = app.get("/api/v1/calls/s04/files").await.json();
        let id = |name: &str| files.as_array().expect("array").iter().find(|f| f["name"] == name).and_then(|f| f["id"].as_i64()).expect("file");
        let (real, absent, evil) = (id("Отчёт \"Q3\"/final.txt"), id("slides.pptx"), id("passwd"));
        // A sweep leaves content that a chat file refers to, and files that are not ours.
        std::fs::write(files_dir(&app).join("orphan"), b"left over").expect("orphan");
        std::fs::write(files_dir(&app).join(".hidden"), b"not a storage key").expect("hidden");
        {
            let mut conn = app.pool.get().expect("connection");
            let swept = confreports_api::calls::sweep_unreferenced_files(&mut conn, &files_dir(&app), std::time::Duration::ZERO);
            assert_eq!(swept.expect("sweep"), 1);
        }
        assert!(!files_dir(&app).join("orphan").exists());
        assert!(files_dir(&app).join(".hidden").exists() && files_dir(&app).join("f-s04-a").exists());
        let res = app.get(&format!("/api/v1/files/{real}/content")).await;
        assert_eq!(res.status, 200);
        assert_eq!(res.body, FILE_BYTES);
        assert_eq!(res.header("content-type").as_deref(), Some("text/plain; charset=utf-8"));
        let cd = res.header("content-disposition").expect("Content-Disposition");
        assert!(cd.starts_with("attachment"), "{cd}");
        assert!(cd.contains("filename*=UTF-8''"), "{cd}");
        assert!(!cd.contains('/'), "no separator in the file name: {cd}");
        assert!(cd.contains("%D0%9E%D1%82%D1%87%D1%91%D1%82"), "UTF-8 name: {cd}");
        assert_eq!(res.header("x-content-type-options").as_deref(), Some("nosniff"));
        // No content on the server, or a storage key that is not a plain name: 404, never a file.
        app.get(&format!("/api/v1/files/{absent}/content")).await.assert_status_problem(404);
        app.get(&format!("/api/v1/files/{evil}/content")).await.assert_status_problem(404);
        for uri in ["/api/v1/files/..%2F..%2Fetc%2Fpasswd/content", "/api/v1/files/../../etc/passwd/content", "/api/v1/files/%2e%2e/content", "/api/v1/files/1.5/content"] {
            let res = app.get(uri).await;
            assert!(res.status == 400 || res.status == 404, "{uri}: {}", res.status);
            assert_eq!(res.header("content-type").as_deref(), Some("application/problem+json"), "{uri}");
        }
        app.get(&format!("/api/v1/files/{real}/content?download=1")).await.assert_status_problem(400);
        // An auditor may download but not delete.
        app.create_admin("eve", "security", "a long enough password");
        let eve = Caller::Admin(app.sign_in("eve", "a long enough password").await);
        assert_eq!(app.call_as(&eve, "GET", &format!("/api/v1/files/{real}/content"), None).await.status, 200);
        app.call_as(&eve, "DELETE", &format!("/api/v1/files/{real}"), None).await.assert_status_problem(403);
        let res = app.call("DELETE", &format!("/api/v1/files/{real}")).await;
        assert_eq!(res.status, 204, "{}", res.text());
        assert!(!files_dir(&app).join("f-s04-a").exists(), "content removed from disk");
        app.get(&format!("/api/v1/files/{real}/content")).await.assert_status_problem(404);
        app.call("DELETE", &format!("/api/v1/files/{real}")).await.assert_status_problem(404);
        let log = app.get("/api/v1/events?type=delete_chat_messages").await.json();
        let items = log["items"].as_array().expect("items");
        assert_eq!(items.len(), 1);
        assert_eq!(items[0]["details"]["file_id"], real);
        assert_eq!(items[0]["details"]["name"], "Отчёт \"Q3\"/final.txt");
        assert_eq!(items[0]["details"]["session_id"], "s04");
        assert_eq!(items[0]["user_id"], crate::support::ROOT_LOGIN);
        // A file whose content is already missing from disk is deleted all the same.
        assert_eq!(app.call("DELETE", &format!("/api/v1/files/{absent}")).await.status, 204);
        let left = app.get("/api/v1/calls/s04/files").await.json();
        assert_eq!(left.as_array().map(Vec::len), Some(1));
        app.call("DELETE", "/api/v1/files/abc").await.assert_problem(400, "id");
    }
}

#[test]
fn storage_keys_that_could_leave_the_directory_are_refused() {
    for bad in ["", ".", "..", "../x", "a/b", "a\\b", ".hidden", "c:x", "a\0b"] {
        assert!(!calls::is_safe_storage_key(bad), "{bad:?}");
    }
    for good in ["f-s04-a", "demo-sess-00006-minutes", "0f3a9c.bin"] {
        assert!(calls::is_safe_storage_key(good), "{good}");
    }
    assert_eq!(calls::person_key("u@corp", Some("ep"), "c1"), "u@corp");
    assert_eq!(calls::person_key("", Some("guest-ep"), "c1"), calls::person_key("", Some("guest-ep"), "c2"));
    assert_ne!(calls::person_key("", None, "c1"), calls::person_key("", None, "c2"));
}
