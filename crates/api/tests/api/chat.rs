//! The Chat messages report: filters, Unicode search, sorts, keyset walks, count, export and
//! delete by filter. `walk` and `sort_walks_agree` are shared with the other report tests.

use std::collections::HashSet;

use chrono::{DateTime, Duration, TimeZone, Utc};
use confreports_store::chat::new_message;
use confreports_store::records::{NewChatMessage, insert_chat_messages};
use serde_json::Value;

use crate::both_backends;
use crate::common::TestDb;
use crate::support::{TestApp, app};

const SENDERS: [(&str, &str); 4] = [
    ("alice@corp", "Алиса Смирнова"),
    ("bob@corp", "Bob Stone"),
    ("carol@corp", "Carol King"),
    ("dave@corp", "Dave Hill"),
];

fn base() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).single().expect("valid time")
}

/// One seeded message, as the test expects it back.
pub struct Seeded {
    pub sender: &'static str,
    pub recipient: Option<&'static str>,
    pub session: Option<String>,
    pub text: String,
    pub time: DateTime<Utc>,
}

/// 90 messages: even ones personal, odd ones in sessions s-0..s-2; pairs share a timestamp.
fn seed(db: &TestDb) -> Vec<Seeded> {
    let mut out = Vec::new();
    let mut rows: Vec<NewChatMessage> = Vec::new();
    for i in 0..90usize {
        let (sender, name) = SENDERS[i % SENDERS.len()];
        let time = base() + Duration::minutes((i / 2) as i64 * 53);
        let (recipient, session) = if i % 2 == 0 {
            (Some(SENDERS[(i / 2 + 1) % SENDERS.len()].0), None)
        } else {
            (None, Some(format!("s-{}", i % 3)))
        };
        let recipient = recipient.filter(|r| *r != sender);
        let text = match i % 5 {
            0 => "Привет, коллеги".to_owned(),
            1 => "привет всем и ПОКА".to_owned(),
            2 => "=1+2 formula".to_owned(),
            _ => format!("Message {i}"),
        };
        rows.push(new_message(None, time, sender, Some(name), recipient, session.as_deref(), &text));
        out.push(Seeded { sender, recipient, session, text, time });
    }
    let mut conn = db.pool().get().expect("connection");
    insert_chat_messages(&mut conn, &rows).expect("insert");
    out
}

/// For each sort field, both directions: small pages walk every row once, in the order of one
/// big page, ascending the reverse of descending, and keys in byte order (the seeds use keys
/// whose order no collation disputes). `key` reads the sort key of an item.
pub async fn sort_walks_agree(app: &TestApp, path: &str, fields: &[&str], total: usize, id_key: &str) {
    for field in fields {
        let mut walks = Vec::new();
        for sort in [field.to_string(), format!("-{field}")] {
            let items = app.walk(path, &format!("sort={sort}&limit=7")).await;
            assert_eq!(items.len(), total, "sort {sort}");
            let ids: Vec<String> = items.iter().map(|i| i[id_key].to_string()).collect();
            let unique: HashSet<&String> = ids.iter().collect();
            assert_eq!(unique.len(), total, "sort {sort}: each row once");
            let one = app.get(&format!("{path}?sort={sort}&limit=1000")).await.json();
            let one: Vec<String> =
                one["items"].as_array().expect("items").iter().map(|i| i[id_key].to_string()).collect();
            assert_eq!(ids, one, "sort {sort}: pages agree with one page");
            let keys: Vec<String> = items
                .iter()
                .map(|i| match &i[*field] {
                    Value::String(s) if *field == "time" => {
                        DateTime::parse_from_rfc3339(s).expect("time").timestamp_micros().to_string()
                    }
                    Value::String(s) => s.clone(),
                    Value::Null => String::new(),
                    other => other.to_string(),
                })
                .collect();
            let mut sorted = keys.clone();
            sorted.sort();
            if sort.starts_with('-') {
                sorted.reverse();
            }
            if *field != "time" {
                assert_eq!(keys, sorted, "sort {sort}: keys in order");
            } else {
                let t: Vec<i64> = keys.iter().map(|k| k.parse().expect("micros")).collect();
                assert!(
                    t.windows(2).all(|w| if sort.starts_with('-') { w[0] >= w[1] } else { w[0] <= w[1] }),
                    "sort {sort}"
                );
            }
            walks.push(ids);
        }
        let mut desc = walks.pop().expect("desc");
        desc.reverse();
        assert_eq!(walks.pop().expect("asc"), desc, "sort {field}: ascending is descending reversed");
    }
}

async fn count(app: &TestApp, query: &str) -> u64 {
    let res = app.get(&format!("/api/v1/chat-messages/count?{query}")).await;
    assert_eq!(res.status, 200, "{query}: {}", res.text());
    res.json()["count"].as_u64().expect("count")
}

both_backends! {
    async fn chat_filters_and_unicode_search_select_what_they_name(db: TestDb) {
        let seeded = seed(&db);
        let app = app(&db).await;
        let n = |f: &dyn Fn(&Seeded) -> bool| seeded.iter().filter(|m| f(m)).count() as u64;
        assert_eq!(count(&app, "").await, 90);
        assert_eq!(count(&app, "sender=bob@corp").await, n(&|m| m.sender == "bob@corp"));
        assert_eq!(count(&app, "sender=bob@corp&sender=carol@corp").await, n(&|m| matches!(m.sender, "bob@corp" | "carol@corp")));
        assert_eq!(count(&app, "recipient=alice@corp").await, n(&|m| m.recipient == Some("alice@corp")));
        assert_eq!(count(&app, "session=s-1").await, n(&|m| m.session.as_deref() == Some("s-1")));
        assert_eq!(count(&app, "session=s-1&session=s-2").await, n(&|m| matches!(m.session.as_deref(), Some("s-1" | "s-2"))));
        assert_eq!(count(&app, "user=alice@corp").await, n(&|m| m.sender == "alice@corp" || m.recipient == Some("alice@corp")));
        assert_eq!(count(&app, "sender=dave@corp&session=s-0").await, n(&|m| m.sender == "dave@corp" && m.session.as_deref() == Some("s-0")));
        // Unicode case folding over the text: upper case finds lower case and the reverse.
        let privet = n(&|m| m.text.to_lowercase().contains("привет"));
        assert!(privet > 0);
        assert_eq!(count(&app, "q=ПРИВЕТ").await, privet);
        assert_eq!(count(&app, "q=пока").await, n(&|m| m.text.contains("ПОКА")));
        // Several words: all required.
        assert_eq!(count(&app, "q=ПРИВЕТ%20пока").await, n(&|m| m.text.contains("привет") && m.text.contains("ПОКА")));
        assert_eq!(count(&app, "q=привет%20коллеги%20пока").await, 0);
        // And over the names.
        assert_eq!(count(&app, "q=АЛИСА").await, n(&|m| m.sender == "alice@corp"));
        assert_eq!(count(&app, "q=алиса%20привет").await, n(&|m| m.sender == "alice@corp" && m.text.to_lowercase().contains("привет")));
        // Time range: `to` exclusive.
        let from = base() + Duration::minutes(53 * 5);
        let to = base() + Duration::minutes(53 * 15);
        let q = format!("from={}&to={}", from.to_rfc3339().replace('+', "%2B"), to.to_rfc3339().replace('+', "%2B"));
        assert_eq!(count(&app, &q).await, n(&|m| m.time >= from && m.time < to));
        // Lists select the same rows as counts.
        let items = app.walk("/api/v1/chat-messages", "q=ПРИВЕТ&limit=4").await;
        assert_eq!(items.len() as u64, privet);
        assert!(items.iter().all(|m| m["text"].as_str().is_some_and(|t| t.to_lowercase().contains("привет"))));
    }

    async fn chat_sorts_walk_every_row_once_in_order(db: TestDb) {
        seed(&db);
        let app = app(&db).await;
        sort_walks_agree(&app, "/api/v1/chat-messages", &["time", "sender", "recipient"], 90, "id").await;
        // Newest first by default.
        let items = app.walk("/api/v1/chat-messages", "limit=11").await;
        let times: Vec<i64> = items.iter().map(|m| DateTime::parse_from_rfc3339(m["time"].as_str().expect("time")).expect("time").timestamp()).collect();
        assert!(times.windows(2).all(|w| w[0] >= w[1]), "newest first");
    }

    async fn chat_message_by_id_export_and_bad_parameters(db: TestDb) {
        seed(&db);
        let app = app(&db).await;
        let first = app.get("/api/v1/chat-messages?sort=time&limit=2").await.json();
        let personal = &first["items"][0];
        let id = personal["id"].as_i64().expect("id");
        let one = app.get(&format!("/api/v1/chat-messages/{id}")).await.json();
        assert_eq!(&one, personal);
        assert_eq!(one["sender"], "alice@corp");
        assert_eq!(one["sender_name"], "Алиса Смирнова");
        assert_eq!(one["recipient"], "bob@corp");
        assert!(one["session_id"].is_null(), "personal messages have no session: {one}");
        assert_eq!(one["time"], "2026-11-01T00:00:00Z");
        let group = &first["items"][1];
        assert!(group["recipient"].is_null() && group["session_id"] == "s-1", "{group}");
        app.get("/api/v1/chat-messages/999999").await.assert_status_problem(404);
        app.get("/api/v1/chat-messages/abc").await.assert_problem(400, "id");
        app.get("/api/v1/chat-messages?sort=text").await.assert_problem(400, "sort");
        app.get("/api/v1/chat-messages?colour=red").await.assert_problem(400, "colour");
        app.get("/api/v1/chat-messages/count?sort=time").await.assert_problem(400, "sort");
        app.get("/api/v1/chat-messages?tz=Mars/Olympus").await.assert_problem(400, "tz");
        // Export: header, one row per message, formulas neutralised.
        let csv = app.get("/api/v1/chat-messages/export?sort=time&tz=Europe/Moscow").await;
        assert_eq!(csv.status, 200);
        assert!(csv.header("content-disposition").is_some_and(|c| c.starts_with("attachment") && c.contains("chat-messages-")));
        let text = csv.text();
        let mut lines = text.lines();
        assert_eq!(lines.next(), Some("id,time,sender,sender_name,recipient,session_id,text"));
        let row = lines.next().expect("first row");
        assert_eq!(row, format!("{id},2026-11-01T03:00:00+03:00,alice@corp,Алиса Смирнова,bob@corp,,\"Привет, коллеги\""));
        assert_eq!(text.lines().count(), 1 + 90);
        assert!(text.contains(",'=1+2 formula"), "formulas neutralised");
    }

    async fn chat_delete_by_filter_logs_delete_chat_messages(db: TestDb) {
        let seeded = seed(&db);
        let app = app(&db).await;
        app.call("DELETE", "/api/v1/chat-messages").await.assert_problem(400, "all");
        let selected = seeded.iter().filter(|m| m.sender == "bob@corp" && m.session.is_some()).count() as u64;
        assert!(selected > 0);
        let res = app.call("DELETE", "/api/v1/chat-messages?sender=bob@corp&session=s-0&session=s-1&session=s-2&reason=cleanup").await;
        assert_eq!(res.status, 200, "{}", res.text());
        assert_eq!(res.json()["deleted"].as_u64(), Some(selected));
        assert_eq!(count(&app, "sender=bob@corp").await, seeded.iter().filter(|m| m.sender == "bob@corp").count() as u64 - selected);
        assert_eq!(count(&app, "").await, 90 - selected);
        let log = app.get("/api/v1/events?type=delete_chat_messages").await.json();
        let items = log["items"].as_array().expect("items");
        assert_eq!(items.len(), 1, "one delete_chat_messages event: {log}");
        let details = &items[0]["details"];
        assert_eq!(details["deleted"].as_u64(), Some(selected));
        assert_eq!(details["filter"]["sender"], serde_json::json!(["bob@corp"]));
        assert_eq!(details["filter"]["session"], serde_json::json!(["s-0", "s-1", "s-2"]));
        assert_eq!(details["reason"], "cleanup");
        assert_eq!(details["actor"], crate::support::ROOT_LOGIN);
        let all = app.call("DELETE", "/api/v1/chat-messages?all=true").await.json();
        assert_eq!(all["deleted"].as_u64(), Some(90 - selected));
        assert_eq!(count(&app, "").await, 0);
    }

    async fn security_role_reads_but_cannot_delete_chat_and_config(db: TestDb) {
        seed(&db);
        let app = app(&db).await;
        app.create_admin("auditor", "security", "a long enough password");
        let auditor = crate::support::Caller::Admin(app.sign_in("auditor", "a long enough password").await);
        for uri in ["/api/v1/chat-messages", "/api/v1/config-changes", "/api/v1/users", "/api/v1/chat-messages/count"] {
            assert_eq!(app.call_as(&auditor, "GET", uri, None).await.status, 200, "{uri}");
        }
        for uri in ["/api/v1/chat-messages?all=true", "/api/v1/config-changes?all=true"] {
            app.call_as(&auditor, "DELETE", uri, None).await.assert_status_problem(403);
        }
        assert_eq!(count(&app, "").await, 90);
        let anonymous = app.call_as(&crate::support::Caller::Anonymous, "GET", "/api/v1/users", None).await;
        anonymous.assert_status_problem(401);
    }
}
