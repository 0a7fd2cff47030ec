//! The Configuration changes report: the insert path with parameter rows, the `parameter`
//! filter, the before/after shape, sorts, export and delete by filter.

use chrono::{DateTime, Duration, TimeZone, Utc};
use confreports_store::config_changes::new_change;
use confreports_store::records::insert_config_changes;
use confreports_types::{ActorType, ParameterChange};

use crate::both_backends;
use crate::chat::sort_walks_agree;
use crate::common::TestDb;
use crate::support::{TestApp, app};

const ACTORS: [(&str, ActorType); 3] =
    [("admin", ActorType::Admin), ("provisioning-app", ActorType::App), ("root", ActorType::Admin)];

fn base() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).single().expect("valid time")
}

fn change(parameter: &str, before: Option<&str>, after: Option<&str>) -> ParameterChange {
    ParameterChange { parameter: parameter.into(), before: before.map(Into::into), after: after.map(Into::into) }
}

/// 60 changes; which parameters each touched, by index.
fn seed(db: &TestDb) -> Vec<(&'static str, String, Vec<&'static str>)> {
    let mut rows = Vec::new();
    let mut out = Vec::new();
    for i in 0..60usize {
        let (actor, actor_type) = ACTORS[i % ACTORS.len()];
        let (object_type, object, params) = match i % 4 {
            0 => (
                "conference",
                format!("conf-{:02}", i % 7),
                vec![change("topic", Some("Weekly sync"), Some("Еженедельная встреча"))],
            ),
            1 => (
                "conference",
                format!("conf-{:02}", i % 7),
                vec![
                    change("schedule", Some("Mon 10:00"), Some("Tue 11:00")),
                    change("registration", Some("closed"), Some("open")),
                ],
            ),
            2 => ("server", "network".to_owned(), vec![change("max_bitrate_kbps", Some("4096"), Some("8192"))]),
            _ => ("ldap", "corp.example".to_owned(), vec![change("sync_interval_min", None, Some("30"))]),
        };
        let names: Vec<&'static str> = match i % 4 {
            0 => vec!["topic"],
            1 => vec!["schedule", "registration"],
            2 => vec!["max_bitrate_kbps"],
            _ => vec!["sync_interval_min"],
        };
        let time = base() + Duration::minutes((i / 2) as i64 * 41);
        rows.push(new_change(None, time, actor, actor_type, object_type, &object, &params));
        out.push((actor, object, names));
    }
    let mut conn = db.pool().get().expect("connection");
    assert_eq!(insert_config_changes(&mut conn, &rows).expect("insert"), 60);
    out
}

async fn count(app: &TestApp, query: &str) -> u64 {
    let res = app.get(&format!("/api/v1/config-changes/count?{query}")).await;
    assert_eq!(res.status, 200, "{query}: {}", res.text());
    res.json()["count"].as_u64().expect("count")
}

/// A seeded change: actor, object, parameters.
type Seeded<'a> = (&'a str, String, Vec<&'a str>);

both_backends! {
    async fn config_change_filters_and_parameter_rows(db: TestDb) {
        let seeded = seed(&db);
        let app = app(&db).await;
        let n = |f: &dyn Fn(&Seeded) -> bool| seeded.iter().filter(|c| f(c)).count() as u64;
        assert_eq!(count(&app, "").await, 60);
        assert_eq!(count(&app, "actor=root").await, n(&|c| c.0 == "root"));
        assert_eq!(count(&app, "actor=root&actor=provisioning-app").await, n(&|c| c.0 != "admin"));
        assert_eq!(count(&app, "object=network").await, n(&|c| c.1 == "network"));
        assert_eq!(count(&app, "object=conf-01&object=conf-02").await, n(&|c| c.1 == "conf-01" || c.1 == "conf-02"));
        // `parameter` matches a change by any of the parameters it touched.
        assert_eq!(count(&app, "parameter=registration").await, n(&|c| c.2.contains(&"registration")));
        assert_eq!(count(&app, "parameter=topic&parameter=registration").await, n(&|c| c.2.contains(&"topic") || c.2.contains(&"registration")));
        assert_eq!(count(&app, "parameter=topic&actor=admin").await, n(&|c| c.2.contains(&"topic") && c.0 == "admin"));
        assert_eq!(count(&app, "parameter=colour").await, 0);
        // q: folded over actor, object and parameters and their values.
        assert_eq!(count(&app, "q=ЕЖЕНЕДЕЛЬНАЯ").await, n(&|c| c.2.contains(&"topic")));
        assert_eq!(count(&app, "q=NETWORK%20bitrate").await, n(&|c| c.1 == "network"));
        assert_eq!(count(&app, "q=network%20topic").await, 0);
        // The list walks the same selection.
        let items = app.walk("/api/v1/config-changes", "parameter=schedule&limit=4").await;
        assert_eq!(items.len() as u64, n(&|c| c.2.contains(&"schedule")));
        // Before/after per parameter, typed; an absent value is null.
        let c = &items[0];
        assert_eq!(c["object_type"], "conference");
        assert_eq!(c["changes"], serde_json::json!([
            {"parameter": "schedule", "before": "Mon 10:00", "after": "Tue 11:00"},
            {"parameter": "registration", "before": "closed", "after": "open"},
        ]));
        let ldap = app.get("/api/v1/config-changes?object=corp.example&limit=1").await.json();
        let ldap = &ldap["items"][0];
        assert_eq!(ldap["changes"][0]["parameter"], "sync_interval_min");
        assert!(ldap["changes"][0]["before"].is_null());
        assert_eq!(ldap["changes"][0]["after"], "30");
        assert!(["admin", "app"].contains(&ldap["actor_type"].as_str().expect("actor_type")));
        let id = ldap["id"].as_i64().expect("id");
        assert_eq!(&app.get(&format!("/api/v1/config-changes/{id}")).await.json(), ldap);
        let app_made = app.get("/api/v1/config-changes?actor=provisioning-app&limit=1").await.json();
        assert_eq!(app_made["items"][0]["actor_type"], "app");
    }

    async fn config_change_sorts_walk_every_row_once_in_order(db: TestDb) {
        seed(&db);
        let app = app(&db).await;
        sort_walks_agree(&app, "/api/v1/config-changes", &["time", "actor", "object"], 60, "id").await;
    }

    async fn config_change_export_errors_and_delete(db: TestDb) {
        let seeded = seed(&db);
        let app = app(&db).await;
        let text = app.get("/api/v1/config-changes/export?parameter=registration&sort=time").await.text();
        let mut lines = text.lines();
        assert_eq!(lines.next(), Some("id,time,actor,actor_type,object,object_type,parameter,before,after"));
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("record")).collect();
        assert_eq!(rows.len(), seeded.iter().filter(|c| c.2.contains(&"registration")).count());
        assert_eq!(&rows[0][6], "schedule\nregistration");
        assert_eq!(&rows[0][7], "Mon 10:00\nclosed");
        assert_eq!(&rows[0][8], "Tue 11:00\nopen");

        app.get("/api/v1/config-changes?sort=changes").await.assert_problem(400, "sort");
        app.get("/api/v1/config-changes?param=topic").await.assert_problem(400, "param");
        app.get("/api/v1/config-changes/x1").await.assert_problem(400, "id");
        app.get("/api/v1/config-changes/424242").await.assert_status_problem(404);

        app.call("DELETE", "/api/v1/config-changes").await.assert_problem(400, "all");
        let selected = seeded.iter().filter(|c| c.2.contains(&"topic")).count() as u64;
        let res = app.call("DELETE", "/api/v1/config-changes?parameter=topic").await;
        assert_eq!(res.status, 200, "{}", res.text());
        assert_eq!(res.json()["deleted"].as_u64(), Some(selected));
        assert_eq!(count(&app, "parameter=topic").await, 0);
        assert_eq!(count(&app, "").await, 60 - selected);
        let log = app.get("/api/v1/events?type=delete_logs").await.json();
        let items = log["items"].as_array().expect("items");
        assert_eq!(items.len(), 1, "{log}");
        assert_eq!(items[0]["details"]["deleted"].as_u64(), Some(selected));
        assert_eq!(items[0]["details"]["filter"], serde_json::json!({"parameter": ["topic"]}));
        // The parameter rows went with their changes.
        {
            use confreports_store::schema::config_change_params;
            use diesel::prelude::*;
            let mut conn = app.pool.get().expect("connection");
            let left: i64 = config_change_params::table
                .filter(config_change_params::parameter.eq("topic"))
                .count()
                .get_result(&mut conn)
                .expect("count");
            assert_eq!(left, 0);
        }
    }
}
