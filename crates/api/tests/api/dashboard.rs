//! The dashboard: figures per day against seeded sessions, events and recordings, days cut in
//! a non-UTC zone and across a DST change, the peak of concurrent sessions, and its limits; the
//! rollups it reads agree with the events after inserts, deletes and a rebuild.

use chrono::{DateTime, TimeZone, Utc};
use confreports_store::dashboard::{self, Day};
use confreports_store::events::{self, NewEvent};
use confreports_store::records::{NewCallSession, NewRecording, insert_call_sessions, insert_recordings};
use confreports_store::report::to_db_time;
use confreports_store::rollups;
use confreports_types::EventType;
use serde_json::Value;

use crate::both_backends;
use crate::common::TestDb;
use crate::support::app;

fn at(d: u32, h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, d, h, m, 0).single().expect("valid time")
}

fn oct(d: u32, h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 10, d, h, 0, 0).single().expect("valid time")
}

fn session(id: &str, start: DateTime<Utc>, end: Option<DateTime<Utc>>) -> NewCallSession {
    NewCallSession {
        id: id.into(),
        conference_id: None,
        title: Some(format!("Session {id}")),
        title_sort: format!("session {id}"),
        owner: "ivanov@corp".into(),
        mode: "symmetric".into(),
        multicast: false,
        started_at: to_db_time(start),
        ended_at: end.map(to_db_time),
        duration_s: end.map(|e| (e - start).num_seconds()),
        participants: 2,
        connections: 2,
        recorded: false,
        search: String::new(),
    }
}

fn recording(session: &str, start: DateTime<Utc>, size: i64) -> NewRecording {
    NewRecording {
        source_id: None,
        session_id: session.into(),
        conference_id: None,
        title: None,
        title_sort: String::new(),
        owner: "ivanov@corp".into(),
        started_at: to_db_time(start),
        duration_s: 60,
        size_bytes: size,
        content_type: "video/webm".into(),
        storage_key: None,
        created_at: to_db_time(start),
    }
}

fn event(t: DateTime<Utc>, kind: EventType, success: bool, user: &str) -> NewEvent {
    let mut e = NewEvent::new(t, kind, success);
    e.user_id = Some(user.into());
    e
}

/// Sessions: one running since October; S5 across midnight into Nov 2; on Nov 2 S1-S4 with
/// three overlapping at 11:30 (plus the running one: 4) and S1 ending when S4 starts.
fn seed(db: &TestDb) {
    let sessions = vec![
        session("s6", oct(30, 9), None),
        session("s5", at(1, 23, 0), Some(at(2, 1, 0))),
        session("s1", at(2, 10, 0), Some(at(2, 12, 0))),
        session("s2", at(2, 11, 0), Some(at(2, 13, 0))),
        session("s3", at(2, 11, 30), Some(at(2, 11, 45))),
        session("s4", at(2, 12, 0), Some(at(2, 14, 0))),
    ];
    let mut evs = vec![
        event(at(1, 22, 0), EventType::Login, true, "a@corp"),
        event(at(2, 8, 0), EventType::Login, true, "a@corp"),
        event(at(2, 9, 0), EventType::Login, true, "b@corp"),
        event(at(2, 10, 0), EventType::Login, true, "a@corp"),
        event(at(2, 10, 30), EventType::Login, false, "c@corp"),
        event(at(2, 11, 0), EventType::Authorize, true, "d@corp"),
        event(at(2, 12, 0), EventType::Logout, true, "a@corp"),
        event(at(2, 12, 30), EventType::Logout, true, "b@corp"),
    ];
    let mut admin = event(at(2, 13, 0), EventType::Login, true, "root");
    admin.admin_type = Some("sysadmin".into());
    evs.push(admin);
    for m in 0..5 {
        evs.push(event(at(3, 10, m), EventType::Status, true, "a@corp"));
    }
    let recs = vec![
        recording("s6", oct(20, 10), 1000),
        recording("s5", at(1, 12, 0), 200),
        recording("s1", at(2, 10, 0), 300),
        recording("s2", at(2, 11, 0), 400),
    ];
    let mut conn = db.pool().get().expect("connection");
    insert_call_sessions(&mut conn, &sessions).expect("sessions");
    events::insert(&mut conn, &evs).expect("events");
    insert_recordings(&mut conn, &recs).expect("recordings");
}

fn figure(v: &Value, name: &str) -> u64 {
    v[name].as_u64().unwrap_or_else(|| panic!("{name} in {v}"))
}

both_backends! {
    async fn utc_days_count_calls_peaks_users_events_and_storage(db: TestDb) {
        seed(&db);
        let app = app(&db).await;
        let res = app.get("/api/v1/dashboard?from=2026-11-01&to=2026-11-03&tz=UTC").await;
        assert_eq!(res.status, 200, "{}", res.text());
        let d = res.json();
        assert_eq!(d["from"], "2026-11-01T00:00:00Z");
        assert_eq!(d["to"], "2026-11-04T00:00:00Z");
        assert_eq!(d["tz"], "UTC");
        let days = d["days"].as_array().expect("days");
        assert_eq!(days.len(), 3);
        let dates: Vec<&str> = days.iter().map(|d| d["date"].as_str().expect("date")).collect();
        assert_eq!(dates, ["2026-11-01", "2026-11-02", "2026-11-03"]);
        assert_eq!(days[1]["from"], "2026-11-02T00:00:00Z");
        assert_eq!(days[1]["to"], "2026-11-03T00:00:00Z");
        let col = |name: &str| days.iter().map(|d| figure(d, name)).collect::<Vec<_>>();
        assert_eq!(col("calls_started"), [1, 4, 0]);
        assert_eq!(col("peak_concurrent_sessions"), [2, 4, 1], "back-to-back sessions do not overlap");
        assert_eq!(col("active_users"), [1, 3, 0], "successful login/authorize of users, not administrators");
        assert_eq!(col("recording_bytes"), [200, 700, 0]);
        assert_eq!(col("recording_bytes_total"), [1200, 1900, 1900]);
        assert_eq!(days[1]["events"]["login"], 5);
        assert_eq!(days[1]["events"]["authorize"], 1);
        assert_eq!(days[1]["events"]["logout"], 2);
        assert_eq!(days[2]["events"]["status"], 5);
        assert_eq!(days[0]["events"].as_object().map(|m| m.len()), Some(EventType::ALL.len()), "every type, zeros too");
        let t = &d["totals"];
        assert_eq!(figure(t, "calls_started"), 5);
        assert_eq!(figure(t, "peak_concurrent_sessions"), 4);
        assert_eq!(figure(t, "active_users"), 3, "a, b and d over the range");
        assert_eq!(figure(t, "recording_bytes"), 900);
        assert_eq!(figure(t, "recording_bytes_total"), 1900);
        assert_eq!(t["events"]["login"], 6);
        assert_eq!(t["events"]["status"], 5);
    }

    async fn days_are_cut_in_the_time_zone(db: TestDb) {
        seed(&db);
        let app = app(&db).await;
        // Moscow's Nov 2 is 2026-11-01T21:00Z to 2026-11-02T21:00Z: it takes Nov 1's late
        // login and session S5, and not Nov 1's recording.
        let d = app.get("/api/v1/dashboard?from=2026-11-02&to=2026-11-02&tz=Europe/Moscow").await.json();
        let days = d["days"].as_array().expect("days");
        assert_eq!(days.len(), 1);
        let day = &days[0];
        assert_eq!(day["date"], "2026-11-02");
        assert_eq!(day["from"], "2026-11-01T21:00:00Z");
        assert_eq!(day["to"], "2026-11-02T21:00:00Z");
        assert_eq!(figure(day, "calls_started"), 5);
        assert_eq!(figure(day, "active_users"), 3);
        assert_eq!(day["events"]["login"], 6);
        assert_eq!(figure(day, "peak_concurrent_sessions"), 4);
        assert_eq!(figure(day, "recording_bytes"), 700);
        assert_eq!(figure(day, "recording_bytes_total"), 1900);
        // New York's 2026-03-08 has 23 hours.
        let d = app.get("/api/v1/dashboard?from=2026-03-07&to=2026-03-09&tz=America/New_York").await.json();
        let days = d["days"].as_array().expect("days");
        assert_eq!(days.len(), 3);
        assert_eq!(days[1]["from"], "2026-03-08T05:00:00Z");
        assert_eq!(days[1]["to"], "2026-03-09T04:00:00Z");
        // The administrator's preferred zone is the default.
        let default = app.get("/api/v1/dashboard").await;
        assert_eq!(default.status, 200, "{}", default.text());
        let d = default.json();
        let days = d["days"].as_array().expect("days");
        assert_eq!(days.len(), 30, "the last 30 days by default");
        let today = Utc::now().date_naive().format("%Y-%m-%d").to_string();
        assert_eq!(days[29]["date"].as_str(), Some(today.as_str()));
        assert_eq!(d["tz"], "UTC");
    }

    async fn bad_parameters_and_long_ranges_are_400(db: TestDb) {
        let app = app(&db).await;
        app.get("/api/v1/dashboard?from=2025-01-01&to=2026-06-30").await.assert_problem(400, "to");
        assert_eq!(app.get("/api/v1/dashboard?from=2025-01-01&to=2026-01-01").await.status, 200, "366 days are fine");
        app.get("/api/v1/dashboard?q=login").await.assert_problem(400, "q");
        app.get("/api/v1/dashboard?tz=Mars/Olympus").await.assert_problem(400, "tz");
        app.get("/api/v1/dashboard?from=last-week").await.assert_problem(400, "from");
        app.get("/api/v1/dashboard?from=2026-11-05&to=2026-11-01").await.assert_problem(400, "to");
    }

    async fn rollups_agree_with_the_events_through_inserts_deletes_and_rebuilds(db: TestDb) {
        // Three weeks around New York's DST change, every 17 minutes: logins and authorizations
        // (some failed, some of administrators, some without a user) and other types.
        let kinds = [EventType::Login, EventType::Authorize, EventType::Status, EventType::Logout, EventType::Lock];
        let evs: Vec<NewEvent> = (0..1800i64)
            .map(|i| {
                let t = at(1, 0, 0) - chrono::Duration::days(10) + chrono::Duration::minutes(17 * i);
                let mut e = event(t, kinds[(i % 5) as usize], i % 7 != 0, &format!("u{}@corp", i % 13));
                if i % 11 == 0 {
                    e.admin_type = Some("sysadmin".into());
                }
                if i % 19 == 0 {
                    e.user_id = None;
                }
                e
            })
            .collect();
        events::insert(&mut db.pool().get().expect("connection"), &evs).expect("events");
        let app = app(&db).await;
        let ranges = [
            "from=2026-10-22&to=2026-11-10&tz=UTC",
            "from=2026-10-25&to=2026-11-05&tz=America/New_York",
            "from=2026-10-22&to=2026-11-08&tz=Asia/Kathmandu",
            "from=2026-10-30&to=2026-11-02&tz=Australia/Eucla",
        ];
        let check = |when: &'static str| {
            let app = &app;
            let db = &db;
            async move {
                for range in ranges {
                    let d = app.get(&format!("/api/v1/dashboard?{range}")).await.json();
                    let days: Vec<Day> = d["days"]
                        .as_array()
                        .expect("days")
                        .iter()
                        .map(|day| Day {
                            date: day["date"].as_str().and_then(|s| s.parse().ok()).expect("date"),
                            from: day["from"].as_str().and_then(|s| s.parse().ok()).expect("from"),
                            to: day["to"].as_str().and_then(|s| s.parse().ok()).expect("to"),
                        })
                        .collect();
                    let mut conn = db.pool().get().expect("connection");
                    let (exact, totals) = dashboard::figures_from_events(&mut conn, &days, Utc::now()).expect("exact");
                    for (day, exact) in d["days"].as_array().expect("days").iter().zip(&exact) {
                        for name in ["active_users", "events"] {
                            let want = serde_json::to_value(exact).expect("json")[name].clone();
                            assert_eq!(day[name], want, "{when}: {name} of {} ({range})", day["date"]);
                        }
                    }
                    let want = serde_json::to_value(&totals).expect("json");
                    assert_eq!(d["totals"]["active_users"], want["active_users"], "{when}: total active users ({range})");
                    assert_eq!(d["totals"]["events"], want["events"], "{when}: total events ({range})");
                    assert!(want["active_users"].as_u64() > Some(5), "{when}: the data has active users ({range})");
                }
            }
        };
        check("after inserts").await;

        // Deletes by type and user, by time, and by a search word take their events out.
        for query in [
            "type=login&user=u3@corp",
            "from=2026-10-31T10:00:00Z&to=2026-11-01T06:00:00Z",
            "type=authorize&from=2026-10-26&to=2026-10-28",
            "user=u5@corp",
        ] {
            let res = app.call("DELETE", &format!("/api/v1/events?{query}")).await;
            assert_eq!(res.status, 200, "{query}: {}", res.text());
            assert!(res.json()["deleted"].as_u64() > Some(0), "{query} deletes something");
        }
        check("after deletes").await;

        // Counting everything anew gives the same answer, and so does a migration's request to.
        rollups::rebuild(&mut db.pool().get().expect("connection")).expect("rebuild");
        check("after a rebuild").await;
        {
            use diesel::connection::SimpleConnection;
            let mut conn = db.pool().get().expect("connection");
            conn.batch_execute(
                "INSERT INTO events (time, type, success, user_id) VALUES ('2026-11-03 10:00:00', 'login', true, 'late@corp');
                 INSERT INTO settings (key, value) VALUES ('rollups_stale', 'true');",
            )
            .expect("an event stored behind the rollups' back");
            confreports_store::run_migrations(&mut conn).expect("start");
        }
        check("after a start that found uncounted events").await;
    }
}
