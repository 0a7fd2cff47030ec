//! Users: the keyset-paginated list with Unicode search, and the user page's activity summary
//! across events, calls, chat and endpoints.

use chrono::{DateTime, Duration, TimeZone, Utc};
use confreports_store::chat::new_message;
use confreports_store::events::{self, NewEvent};
use confreports_store::records::{
    NewCallSession, NewEndpoint, NewParticipation, NewUser, insert_call_sessions, insert_chat_messages,
    insert_endpoints, insert_participations, insert_users,
};
use confreports_store::report::to_db_time;
use confreports_types::EventType;

use crate::both_backends;
use crate::chat::sort_walks_agree;
use crate::common::TestDb;
use crate::support::app;

const IVAN: &str = "ivan@corp";

fn base() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).single().expect("valid time")
}

fn user(id: &str, name: &str, department: Option<&str>, is_guest: bool, days: i64) -> NewUser {
    NewUser {
        id: id.to_owned(),
        display_name: name.to_owned(),
        email: Some(id.replace("@corp", "@corp.example")),
        department: department.map(str::to_owned),
        is_guest,
        created_at: to_db_time(base() - Duration::days(days)),
        search: confreports_store::users::search_text(
            id,
            name,
            Some(&id.replace("@corp", "@corp.example")),
            department,
        ),
    }
}

/// 25 users `u01@corp` ("User 01", Sales or Support; two pairs share a name) and Ivan.
fn seed_users(db: &TestDb) {
    let mut rows: Vec<NewUser> = (1..=25)
        .map(|i| {
            let name = if i == 7 || i == 8 { "User 07".to_owned() } else { format!("User {i:02}") };
            let dept = if i % 2 == 0 { "Sales" } else { "Support" };
            user(&format!("u{i:02}@corp"), &name, Some(dept), i == 25, i)
        })
        .collect();
    rows.push(user(IVAN, "Иван Петров", Some("Отдел продаж"), false, 100));
    let mut conn = db.pool().get().expect("connection");
    insert_users(&mut conn, &rows).expect("users");
}

fn session(id: &str, owner: &str, start: DateTime<Utc>) -> NewCallSession {
    NewCallSession {
        id: id.to_owned(),
        conference_id: None,
        title: Some(format!("Call {id}")),
        title_sort: format!("call {id}"),
        owner: owner.to_owned(),
        mode: "symmetric".into(),
        multicast: false,
        started_at: to_db_time(start),
        ended_at: Some(to_db_time(start + Duration::minutes(30))),
        duration_s: Some(1800),
        participants: 2,
        connections: 2,
        recorded: false,
        search: String::new(),
    }
}

fn participation(connection: &str, session: &str, user: &str, at: DateTime<Utc>) -> NewParticipation {
    NewParticipation {
        connection_id: connection.to_owned(),
        session_id: session.to_owned(),
        user_id: user.to_owned(),
        person_key: user.to_owned(),
        display_name: user.to_owned(),
        is_guest: false,
        device: None,
        endpoint_id: None,
        joined_at: to_db_time(at),
        left_at: None,
        leave_reason: None,
        app: None,
        app_version: None,
        os: None,
        cpu: None,
        ip: None,
        system_info: None,
    }
}

fn endpoint(id: &str, user: &str, last_seen: DateTime<Utc>) -> NewEndpoint {
    NewEndpoint {
        id: id.to_owned(),
        user_id: user.to_owned(),
        app: "TrueConf Client".into(),
        app_version: Some("8.5.2".into()),
        endpoint_type: "desktop".into(),
        os: Some("Windows 11".into()),
        cpu: None,
        ip: "10.0.0.7".into(),
        last_conference: None,
        network_test: None,
        system_info: None,
        first_seen: to_db_time(last_seen - Duration::days(30)),
        last_seen: to_db_time(last_seen),
        search: String::new(),
    }
}

/// Ivan's activity: 15 events, 5 calls (3 owned, 2 joined, one of them on two connections),
/// 7 chat messages (4 sent, 3 received), 2 endpoints; and others' activity beside it.
fn seed_activity(db: &TestDb) {
    let mut conn = db.pool().get().expect("connection");
    let mut evs = Vec::new();
    for i in 0..25i64 {
        let mut e = NewEvent::new(base() + Duration::minutes(i * 10), EventType::Login, true);
        e.user_id = Some(if i < 15 { IVAN.to_owned() } else { "u01@corp".to_owned() });
        evs.push(e);
    }
    events::insert(&mut conn, &evs).expect("events");
    let sessions = vec![
        session("s-own-1", IVAN, base()),
        session("s-own-2", IVAN, base() + Duration::hours(1)),
        session("s-own-3", IVAN, base() + Duration::hours(2)),
        session("s-part-1", "u01@corp", base() + Duration::hours(3)),
        session("s-part-2", "u01@corp", base() + Duration::hours(4)),
        session("s-other", "u02@corp", base() + Duration::hours(5)),
    ];
    insert_call_sessions(&mut conn, &sessions).expect("sessions");
    let parts = vec![
        participation("c1", "s-part-1", IVAN, base() + Duration::hours(3)),
        participation("c2", "s-part-1", IVAN, base() + Duration::hours(3) + Duration::minutes(5)),
        participation("c3", "s-part-2", IVAN, base() + Duration::hours(4)),
        participation("c4", "s-part-2", "u01@corp", base() + Duration::hours(4)),
        participation("c5", "s-other", "u02@corp", base() + Duration::hours(5)),
        participation("c6", "s-other", "u03@corp", base() + Duration::hours(5)),
    ];
    insert_participations(&mut conn, &parts).expect("participations");
    let mut chat = Vec::new();
    for i in 0..12i64 {
        let t = base() + Duration::minutes(i);
        chat.push(match i {
            0..4 => new_message(None, t, IVAN, Some("Иван Петров"), None, Some("s-own-1"), "Добрый день"),
            4..7 => new_message(None, t, "u02@corp", Some("User 02"), Some(IVAN), None, "hello"),
            _ => new_message(None, t, "u02@corp", Some("User 02"), Some("u03@corp"), None, "hi"),
        });
    }
    insert_chat_messages(&mut conn, &chat).expect("chat");
    let eps = vec![
        endpoint("ep-ivan-1", IVAN, base()),
        endpoint("ep-ivan-2", IVAN, base() + Duration::days(1)),
        endpoint("ep-other", "u01@corp", base()),
    ];
    insert_endpoints(&mut conn, &eps).expect("endpoints");
}

both_backends! {
    async fn users_list_search_and_sorts(db: TestDb) {
        seed_users(&db);
        let app = app(&db).await;
        // By display name by default, ties by id.
        let all = app.walk("/api/v1/users", "limit=4").await;
        assert_eq!(all.len(), 26);
        assert_eq!(all[0]["id"], "u01@corp");
        assert_eq!(all[6]["id"], "u07@corp");
        assert_eq!(all[7]["id"], "u08@corp");
        assert_eq!(all[7]["display_name"], "User 07");
        assert_eq!(all[25]["display_name"], "Иван Петров");
        assert_eq!(all[25]["department"], "Отдел продаж");
        assert_eq!(all[25]["email"], "ivan@corp.example");
        assert_eq!(all[24]["is_guest"], true);
        sort_walks_agree(&app, "/api/v1/users", &["display_name", "id"], 26, "id").await;
        // q over id, name, e-mail and department, Unicode-folded; several words all required.
        let ids = |q: &'static str| {
            let app = &app;
            async move {
                let page = app.get(&format!("/api/v1/users?q={q}&limit=100")).await;
                assert_eq!(page.status, 200, "{}", page.text());
                page.json()["items"].as_array().expect("items").iter().map(|u| u["id"].as_str().expect("id").to_owned()).collect::<Vec<_>>()
            }
        };
        assert_eq!(ids("ИВАН").await, vec![IVAN]);
        assert_eq!(ids("петров%20ПРОДАЖ").await, vec![IVAN]);
        assert_eq!(ids("петров%20support").await, Vec::<String>::new());
        assert_eq!(ids("u1").await.len(), 10);
        assert_eq!(ids("sales%20USER%201").await.len(), 5, "u10..u18 even");
        assert_eq!(ids("corp.example").await.len(), 26);
        // Creation time range.
        let created = app.get("/api/v1/users?from=2026-10-25&limit=100").await.json();
        assert_eq!(created["items"].as_array().map(Vec::len), Some(7));
        app.get("/api/v1/users?sort=email").await.assert_problem(400, "sort");
        app.get("/api/v1/users?department=Sales").await.assert_problem(400, "department");
        app.get("/api/v1/users?limit=0").await.assert_problem(400, "limit");
        // No delete: the method is not allowed on the route.
        let status = app.call("DELETE", "/api/v1/users?q=user").await.status;
        assert!(matches!(status, 404 | 405), "{status}");
    }

    async fn user_page_summarises_activity_across_reports(db: TestDb) {
        seed_users(&db);
        seed_activity(&db);
        let app = app(&db).await;
        let res = app.get("/api/v1/users/ivan@corp").await;
        assert_eq!(res.status, 200, "{}", res.text());
        let p = res.json();
        assert_eq!(p["user"]["id"], IVAN);
        assert_eq!(p["user"]["display_name"], "Иван Петров");

        assert_eq!(p["events"]["count"], 15);
        let evs = p["events"]["latest"].as_array().expect("events");
        assert_eq!(evs.len(), 10);
        assert!(evs.iter().all(|e| e["user_id"] == IVAN));
        assert_eq!(evs[0]["time"], "2026-11-01T02:20:00Z", "newest first");
        assert_eq!(p["events"]["list"], "/api/v1/events?user=ivan%40corp");

        assert_eq!(p["calls"]["count"], 5, "owned or joined, each session once");
        let calls: Vec<(&str, bool)> = p["calls"]["latest"]
            .as_array()
            .expect("calls")
            .iter()
            .map(|c| (c["session_id"].as_str().expect("id"), c["is_owner"].as_bool().expect("is_owner")))
            .collect();
        assert_eq!(calls, vec![("s-part-2", false), ("s-part-1", false), ("s-own-3", true), ("s-own-2", true), ("s-own-1", true)]);
        assert_eq!(p["calls"]["latest"][0]["owner"], "u01@corp");
        assert_eq!(p["calls"]["list"], "/api/v1/calls?participant=ivan%40corp");

        assert_eq!(p["chat_messages"]["count"], 7, "sent or received");
        let chat = p["chat_messages"]["latest"].as_array().expect("chat");
        assert_eq!(chat.len(), 7);
        assert_eq!(chat[0]["recipient"], IVAN);
        assert_eq!(chat[6]["sender"], IVAN);
        assert_eq!(p["chat_messages"]["list"], "/api/v1/chat-messages?user=ivan%40corp");
        // The link's filter selects the same messages.
        assert_eq!(app.get("/api/v1/chat-messages/count?user=ivan%40corp").await.json()["count"], 7);

        assert_eq!(p["endpoints"]["count"], 2);
        let eps: Vec<&str> = p["endpoints"]["latest"].as_array().expect("eps").iter().map(|e| e["id"].as_str().expect("id")).collect();
        assert_eq!(eps, vec!["ep-ivan-2", "ep-ivan-1"]);
        assert_eq!(p["endpoints"]["latest"][0]["type"], "desktop");
        assert_eq!(p["endpoints"]["list"], "/api/v1/endpoints?user=ivan%40corp");

        // A user without activity has empty sections.
        let quiet = app.get("/api/v1/users/u20@corp").await.json();
        for section in ["events", "calls", "chat_messages", "endpoints"] {
            assert_eq!(quiet[section]["count"], 0, "{section}");
            assert_eq!(quiet[section]["latest"], serde_json::json!([]), "{section}");
        }
        app.get("/api/v1/users/nobody@corp").await.assert_status_problem(404);
    }
}
