//! The Endpoints report: quick search, filters, sorts, purge by age and by the retention
//! setting, the update rules ingest applies, and the settings that hold the retention.

use std::collections::HashSet;

use chrono::{DateTime, Duration, DurationRound, TimeZone, Utc};
use confreports_store::endpoints::{self, EndpointConnection, search_of_new};
use confreports_store::records::{NewEndpoint, insert_endpoints};
use confreports_store::report::to_db_time;
use confreports_types::EndpointType;
use serde_json::{Value, json};

use crate::both_backends;
use crate::common::TestDb;
use crate::support::{Caller, TestApp, app};

const USERS: [&str; 4] = ["ivanov@corp", "petrova@corp", "", "smith@corp"];
const APPS: [&str; 3] = ["TrueConf Client", "WebClient", "ConfMobile"];
const TYPES: [&str; 5] = ["desktop", "mobile", "browser", "room_system", "guest"];
const OSES: [&str; 4] = ["Windows 11", "Ubuntu 24.04", "Android 14", "macOS 14"];
const N: usize = 60;

fn now() -> DateTime<Utc> {
    Utc::now().duration_trunc(Duration::seconds(1)).expect("truncate")
}

/// 60 endpoints, last seen 0, 0, 5, 5, 10, ... days ago (pairs share a time, so ties are
/// broken by id), every sixth with a Cyrillic last conference.
fn seed(db: &TestDb) -> Vec<NewEndpoint> {
    let now = now();
    let rows: Vec<NewEndpoint> = (0..N)
        .map(|i| {
            let mut e = NewEndpoint {
                id: format!("ep-{i:03}"),
                user_id: USERS[i % 4].to_owned(),
                app: APPS[i % 3].to_owned(),
                app_version: Some(format!("8.{}.0", i % 4)),
                endpoint_type: TYPES[i % 5].to_owned(),
                os: Some(OSES[i % 4].to_owned()),
                cpu: Some("Intel Core i5".to_owned()),
                ip: format!("10.0.{}.{:03}", i % 7, i),
                last_conference: (i % 6 == 0).then(|| "Планёрка отдела".to_owned()),
                network_test: Some(format!("{{\"rtt_ms\": {}}}", 10 + i)),
                system_info: Some("{\"ram_gb\": 16}".to_owned()),
                first_seen: to_db_time(now - Duration::days(400) + Duration::hours((i * 7 % 60) as i64)),
                last_seen: to_db_time(now - Duration::days((i / 2) as i64 * 5) - Duration::hours(1)),
                search: String::new(),
            };
            e.search = search_of_new(&e);
            e
        })
        .collect();
    let mut conn = db.pool().get().expect("connection");
    insert_endpoints(&mut conn, &rows).expect("insert endpoints");
    rows
}

async fn count(app: &TestApp, q: &str) -> u64 {
    let res = app.get(&format!("/api/v1/endpoints/count?{q}")).await;
    assert_eq!(res.status, 200, "{q}: {}", res.text());
    res.json()["count"].as_u64().expect("count")
}

fn n(rows: &[NewEndpoint], f: impl Fn(usize, &NewEndpoint) -> bool) -> u64 {
    rows.iter().enumerate().filter(|(i, e)| f(*i, e)).count() as u64
}

fn rfc(t: DateTime<Utc>) -> String {
    t.to_rfc3339().replace('+', "%2B")
}

both_backends! {
    async fn quick_search_is_case_insensitive_unicode_and_needs_every_word(db: TestDb) {
        let rows = seed(&db);
        let app = app(&db).await;
        let guests_in_browser = n(&rows, |_, e| e.app == "WebClient" && e.endpoint_type == "guest");
        assert!(guests_in_browser > 0);
        assert_eq!(count(&app, "q=webclient%20guest").await, guests_in_browser);
        assert_eq!(count(&app, "q=WEBCLIENT%20GUEST").await, guests_in_browser);
        // Cyrillic, upper case against the stored lower case, across two fields.
        assert_eq!(count(&app, "q=ПЛАНЁРКА").await, n(&rows, |i, _| i % 6 == 0));
        assert_eq!(count(&app, "q=планёрка%20WINDOWS").await, n(&rows, |i, _| i % 12 == 0));
        // Every field is searched: id, user, version, OS, CPU, IP, network test, system info.
        assert_eq!(count(&app, "q=ep-007").await, 1);
        assert_eq!(count(&app, "q=PETROVA").await, n(&rows, |_, e| e.user_id == "petrova@corp"));
        assert_eq!(count(&app, "q=8.3.0").await, n(&rows, |i, _| i % 4 == 3));
        assert_eq!(count(&app, "q=ubuntu").await, n(&rows, |_, e| e.os.as_deref() == Some("Ubuntu 24.04")));
        assert_eq!(count(&app, "q=i5").await, N as u64);
        assert_eq!(count(&app, "q=10.0.3.").await, n(&rows, |i, _| i % 7 == 3));
        // Words match separately: `15}` only ends one network test.
        assert_eq!(count(&app, "q=rtt_ms%22:%2015%7D").await, 1);
        assert_eq!(count(&app, "q=ram_gb").await, N as u64);
        assert_eq!(count(&app, "q=room_system").await, n(&rows, |_, e| e.endpoint_type == "room_system"));
        assert_eq!(count(&app, "q=webclient%20nothing-like-this").await, 0);
        assert_eq!(count(&app, "q=%25").await, 0);
    }

    async fn filters_select_what_they_name(db: TestDb) {
        let rows = seed(&db);
        let app = app(&db).await;
        assert_eq!(count(&app, "user=ivanov@corp").await, n(&rows, |_, e| e.user_id == "ivanov@corp"));
        assert_eq!(count(&app, "user=ivanov@corp&user=smith@corp").await, n(&rows, |_, e| matches!(e.user_id.as_str(), "ivanov@corp" | "smith@corp")));
        assert_eq!(count(&app, "app=WebClient").await, n(&rows, |_, e| e.app == "WebClient"));
        assert_eq!(count(&app, "type=guest").await, n(&rows, |_, e| e.endpoint_type == "guest"));
        assert_eq!(count(&app, "type=desktop&type=room_system").await, n(&rows, |_, e| matches!(e.endpoint_type.as_str(), "desktop" | "room_system")));
        assert_eq!(count(&app, "type=mobile&app=ConfMobile").await, n(&rows, |_, e| e.endpoint_type == "mobile" && e.app == "ConfMobile"));
        // Not seen for more than 50 days: last seen 55 days ago or earlier.
        let now = now();
        let older = |days: i64| n(&rows, move |_, e| e.last_seen < to_db_time(now - Duration::days(days)));
        assert_eq!(count(&app, "older_than_days=50").await, older(50));
        assert!(older(50) > 0 && older(50) < N as u64);
        // from/to bound last_seen.
        let (from, to) = (now - Duration::days(31), now - Duration::days(9));
        let expected = n(&rows, |_, e| e.last_seen >= to_db_time(from) && e.last_seen < to_db_time(to));
        assert_eq!(count(&app, &format!("from={}&to={}", rfc(from), rfc(to))).await, expected);
        assert!(expected > 0);
        // A user who left reads as null.
        let left = app.get("/api/v1/endpoints/ep-002").await.json();
        assert!(left["user_id"].is_null());
        let one = app.get("/api/v1/endpoints/ep-006").await.json();
        assert_eq!(one["type"], "mobile");
        assert_eq!(one["app"], "TrueConf Client");
        assert_eq!(one["last_conference"], "Планёрка отдела");
        assert_eq!(one["ip"], "10.0.6.006");
        // CSV export of the same selection.
        let csv = app.get("/api/v1/endpoints/export?type=guest&sort=ip").await;
        assert_eq!(csv.status, 200);
        let text = csv.text();
        assert!(text.starts_with("id,user_id,app,app_version,type,os,cpu,ip,last_conference"), "{text}");
        assert_eq!(text.lines().count() as u64, 1 + n(&rows, |_, e| e.endpoint_type == "guest"));
    }

    async fn every_sort_both_ways_visits_each_row_once_in_order(db: TestDb) {
        seed(&db);
        let app = app(&db).await;
        for field in ["last_seen", "first_seen", "user_id", "app", "ip"] {
            for sort in [field.to_owned(), format!("-{field}")] {
                let items = app.walk("/api/v1/endpoints", &format!("sort={sort}&limit=7")).await;
                assert_eq!(items.len(), N, "sort {sort}");
                let unique: HashSet<&str> = items.iter().map(|e| e["id"].as_str().expect("id")).collect();
                assert_eq!(unique.len(), N, "sort {sort}: each row once");
                let keys: Vec<(String, String)> = items
                    .iter()
                    .map(|e| {
                        let k = match field {
                            "last_seen" | "first_seen" => DateTime::parse_from_rfc3339(e[field].as_str().expect("time"))
                                .expect("time")
                                .timestamp_micros()
                                .to_string(),
                            _ => e[field].as_str().unwrap_or("").to_owned(),
                        };
                        (k, e["id"].as_str().expect("id").to_owned())
                    })
                    .collect();
                let mut sorted = keys.clone();
                // Times of the same digit count: string order is numeric order.
                sorted.sort();
                if sort.starts_with('-') {
                    sorted.reverse();
                }
                assert_eq!(keys, sorted, "sort {sort}");
            }
        }
    }

    async fn purge_by_age_and_by_the_retention_setting_is_logged(db: TestDb) {
        let rows = seed(&db);
        let app = app(&db).await;
        let now = now();
        let older = |days: i64| n(&rows, move |_, e| e.last_seen < to_db_time(now - Duration::days(days)));
        app.call("DELETE", "/api/v1/endpoints").await.assert_problem(400, "all");
        app.call("DELETE", "/api/v1/endpoints?older_than_days=").await.assert_problem(400, "older_than_days");
        app.call("DELETE", "/api/v1/endpoints?older_than_days=0").await.assert_problem(400, "older_than_days");
        app.call("DELETE", "/api/v1/endpoints?older_than_days=soon").await.assert_problem(400, "older_than_days");
        // By age.
        let res = app.call("DELETE", "/api/v1/endpoints?older_than_days=120&reason=cleanup").await;
        assert_eq!(res.status, 200, "{}", res.text());
        assert_eq!(res.json()["deleted"].as_u64(), Some(older(120)));
        assert_eq!(count(&app, "older_than_days=120").await, 0);
        assert_eq!(count(&app, "q=ep-").await, N as u64 - older(120));
        let log = app.get("/api/v1/events?type=delete_connections").await.json();
        let items = log["items"].as_array().expect("items");
        assert_eq!(items.len(), 1);
        assert_eq!(items[0]["details"]["deleted"].as_u64(), Some(older(120)));
        assert_eq!(items[0]["details"]["filter"], json!({"older_than_days": 120}));
        assert_eq!(items[0]["details"]["reason"], "cleanup");
        assert_eq!(items[0]["user_id"], crate::support::ROOT_LOGIN);
        // By the retention setting: 180 days by default, then what the sysadmin set.
        assert_eq!(count(&app, "older_than_days=retention").await, 0);
        let put = app.call_as(&Caller::Admin(app.root.clone()), "PUT", "/api/v1/settings", Some(json!({"endpoint_retention_days": 60}))).await;
        assert_eq!(put.status, 200, "{}", put.text());
        let preview = count(&app, "older_than_days=retention").await;
        assert_eq!(preview, older(60) - older(120));
        assert!(preview > 0);
        let res = app.call("DELETE", "/api/v1/endpoints?older_than_days=retention").await;
        assert_eq!(res.json()["deleted"].as_u64(), Some(preview));
        assert_eq!(count(&app, "q=ep-").await, N as u64 - older(60));
        let log = app.get("/api/v1/events?type=delete_connections&sort=-time").await.json();
        let items = log["items"].as_array().expect("items");
        assert_eq!(items.len(), 2);
        let newest = items.iter().find(|e| e["details"]["filter"]["older_than_days"] == "retention").expect("purge event");
        assert_eq!(newest["details"]["deleted"].as_u64(), Some(preview));
    }

    async fn update_rules_keep_fields_and_search_current(db: TestDb) {
        let app = app(&db).await;
        let mut conn = db.pool().get().expect("connection");
        let t0 = Utc.with_ymd_and_hms(2026, 10, 1, 8, 0, 0).single().expect("t");
        let mut c = EndpointConnection {
            id: "ep-new".into(),
            user_id: Some("ivanov@corp".into()),
            app: "TrueConf Client".into(),
            app_version: Some("8.5.0".into()),
            endpoint_type: EndpointType::Desktop,
            os: Some("Windows 10".into()),
            cpu: Some("Intel".into()),
            ip: Some("10.1.1.1".into()),
            time: t0,
        };
        endpoints::endpoint_connected(&mut conn, &c).expect("connect");
        let e = app.get("/api/v1/endpoints/ep-new").await.json();
        assert_eq!(e["first_seen"], "2026-10-01T08:00:00Z");
        assert_eq!(e["last_seen"], "2026-10-01T08:00:00Z");
        assert_eq!(e["os"], "Windows 10");
        // Reconnect from elsewhere, upgraded: device fields follow, first_seen stays.
        c.time = t0 + Duration::days(3);
        c.ip = Some("192.168.7.7".into());
        c.os = Some("Windows 11".into());
        c.app_version = Some("8.5.2".into());
        endpoints::endpoint_connected(&mut conn, &c).expect("reconnect");
        let e = app.get("/api/v1/endpoints/ep-new").await.json();
        assert_eq!(e["first_seen"], "2026-10-01T08:00:00Z");
        assert_eq!(e["last_seen"], "2026-10-04T08:00:00Z");
        assert_eq!((e["ip"].as_str(), e["os"].as_str(), e["app_version"].as_str()), (Some("192.168.7.7"), Some("Windows 11"), Some("8.5.2")));
        assert_eq!(count(&app, "q=192.168.7.7").await, 1);
        assert_eq!(count(&app, "q=10.1.1.1").await, 0, "the old IP is no longer found");
        // A late report of an older connection does not overwrite newer fields.
        let mut late = c.clone();
        late.time = t0 + Duration::days(1);
        late.ip = Some("172.16.0.1".into());
        endpoints::endpoint_connected(&mut conn, &late).expect("late");
        assert_eq!(app.get("/api/v1/endpoints/ep-new").await.json()["ip"], "192.168.7.7");
        // Conference end: last conference and last seen.
        assert!(endpoints::endpoint_conference_ended(&mut conn, "ep-new", "Совет директоров", t0 + Duration::days(4)).expect("ended"));
        let e = app.get("/api/v1/endpoints/ep-new").await.json();
        assert_eq!(e["last_conference"], "Совет директоров");
        assert_eq!(e["last_seen"], "2026-10-05T08:00:00Z");
        assert_eq!(count(&app, "q=СОВЕТ").await, 1);
        // Network test and authorization.
        assert!(endpoints::endpoint_network_tested(&mut conn, "ep-new", "{\"down_kbps\": 91000}").expect("tested"));
        assert!(endpoints::endpoint_authorized(&mut conn, "ep-new", "{\"camera\": \"Logitech BRIO\"}").expect("authorized"));
        let e = app.get("/api/v1/endpoints/ep-new").await.json();
        assert_eq!(e["network_test"], "{\"down_kbps\": 91000}");
        assert_eq!(e["system_info"], "{\"camera\": \"Logitech BRIO\"}");
        assert_eq!(e["last_seen"], "2026-10-05T08:00:00Z", "tests and authorizations leave last_seen");
        assert_eq!(count(&app, "q=logitech%20brio%2091000").await, 1);
        // Unknown endpoints are reported, not created.
        assert!(!endpoints::endpoint_network_tested(&mut conn, "ep-ghost", "x").expect("no row"));
        assert!(!endpoints::endpoint_authorized(&mut conn, "ep-ghost", "x").expect("no row"));
        assert!(!endpoints::endpoint_conference_ended(&mut conn, "ep-ghost", "x", t0).expect("no row"));
        assert_eq!(app.get("/api/v1/endpoints/ep-ghost").await.status, 404);
        // The user leaves: the endpoint stays, without them.
        assert_eq!(endpoints::endpoint_user_left(&mut conn, "ivanov@corp").expect("left"), 1);
        let e = app.get("/api/v1/endpoints/ep-new").await.json();
        assert!(e["user_id"].is_null());
        assert_eq!(count(&app, "q=ivanov").await, 0);
    }

    async fn json_bodies_must_be_objects(db: TestDb) {
        // Found by schemathesis: serde reads a struct from an array of its fields, so
        // `[null, null]` was a valid settings update (200) and an array a sign-in.
        let app = app(&db).await;
        let root = Caller::Admin(app.root.clone());
        for (method, uri, body) in [
            ("PUT", "/api/v1/settings", json!([null, null])),
            ("PUT", "/api/v1/settings", json!([90, 400])),
            ("PUT", "/api/v1/auth/me/preferences", json!(["UTC", "comma", false, "iso"])),
            ("POST", "/api/v1/oauth-apps", json!(["SIEM export", ["events:read"]])),
        ] {
            app.call_as(&root, method, uri, Some(body)).await.assert_status_problem(422);
        }
        let login = app.call_as(&Caller::Anonymous, "POST", "/api/v1/auth/login", Some(json!([crate::support::ROOT_LOGIN, crate::support::ROOT_PASSWORD]))).await;
        login.assert_status_problem(422);
        assert_eq!(app.get("/api/v1/settings").await.json(), json!({"endpoint_retention_days": 180, "recording_retention_days": 365}));
        // Objects still work.
        let put = app.call_as(&root, "PUT", "/api/v1/settings", Some(json!({"endpoint_retention_days": 90}))).await;
        assert_eq!(put.status, 200, "{}", put.text());
    }

    async fn settings_are_sysadmin_only_validated_and_recorded(db: TestDb) {
        let app = app(&db).await;
        let root = Caller::Admin(app.root.clone());
        let got = app.get("/api/v1/settings").await;
        assert_eq!(got.status, 200, "{}", got.text());
        assert_eq!(got.json(), json!({"endpoint_retention_days": 180, "recording_retention_days": 365}));
        let put = app.call_as(&root, "PUT", "/api/v1/settings", Some(json!({"endpoint_retention_days": 90}))).await;
        assert_eq!(put.status, 200, "{}", put.text());
        assert_eq!(put.json(), json!({"endpoint_retention_days": 90, "recording_retention_days": 365}));
        assert_eq!(app.get("/api/v1/settings").await.json()["endpoint_retention_days"], 90);
        // Validation names the field; nothing changes.
        app.call_as(&root, "PUT", "/api/v1/settings", Some(json!({"endpoint_retention_days": 0}))).await.assert_problem(400, "endpoint_retention_days");
        app.call_as(&root, "PUT", "/api/v1/settings", Some(json!({"recording_retention_days": 5000}))).await.assert_problem(400, "recording_retention_days");
        assert_eq!(app.call_as(&root, "PUT", "/api/v1/settings", Some(json!({"colour": 1}))).await.status, 422);
        // The same value again changes nothing and records nothing.
        let same = app.call_as(&root, "PUT", "/api/v1/settings", Some(json!({"endpoint_retention_days": 90, "recording_retention_days": 400}))).await;
        assert_eq!(same.status, 200);
        assert_eq!(app.get("/api/v1/settings").await.json(), json!({"endpoint_retention_days": 90, "recording_retention_days": 400}));
        // Each change is a configuration change row with before and after.
        {
            use confreports_store::schema::config_changes::dsl as cc;
            use diesel::prelude::*;
            let mut conn = db.pool().get().expect("connection");
            let rows: Vec<(String, String, String, String)> = cc::config_changes
                .filter(cc::object_type.eq("settings"))
                .order(cc::id.asc())
                .select((cc::actor, cc::actor_type, cc::object, cc::changes))
                .load(&mut conn)
                .expect("config changes");
            assert_eq!(rows.len(), 2, "{rows:?}");
            assert_eq!(rows[0].0, crate::support::ROOT_LOGIN);
            assert_eq!(rows[0].1, "admin");
            let first: Value = serde_json::from_str(&rows[0].3).expect("json");
            assert_eq!(first, json!([{"parameter": "endpoint_retention_days", "before": "180", "after": "90"}]));
            let second: Value = serde_json::from_str(&rows[1].3).expect("json");
            assert_eq!(second, json!([{"parameter": "recording_retention_days", "before": "365", "after": "400"}]));
        }
        // A security administrator reads the reports but not the settings.
        app.create_admin("sec-admin", "security", "security password for tests");
        let sec = Caller::Admin(app.sign_in("sec-admin", "security password for tests").await);
        app.call_as(&sec, "GET", "/api/v1/settings", None).await.assert_status_problem(403);
        app.call_as(&sec, "PUT", "/api/v1/settings", Some(json!({"endpoint_retention_days": 1}))).await.assert_status_problem(403);
        assert_eq!(app.call_as(&sec, "GET", "/api/v1/endpoints", None).await.status, 200);
        app.call_as(&sec, "DELETE", "/api/v1/endpoints?older_than_days=1", None).await.assert_status_problem(403);
        assert_eq!(app.get("/api/v1/settings").await.json()["endpoint_retention_days"], 90);
    }

    async fn bad_parameters_are_400_naming_the_parameter_and_unknown_ids_404(db: TestDb) {
        seed(&db);
        let app = app(&db).await;
        app.get("/api/v1/endpoints?sort=os").await.assert_problem(400, "sort");
        app.get("/api/v1/endpoints?type=fridge").await.assert_problem(400, "type");
        app.get("/api/v1/endpoints?colour=red").await.assert_problem(400, "colour");
        app.get("/api/v1/endpoints?ip=10.0.0.1").await.assert_problem(400, "ip");
        app.get("/api/v1/endpoints?older_than_days=").await.assert_problem(400, "older_than_days");
        app.get("/api/v1/endpoints/count?older_than_days=40000").await.assert_problem(400, "older_than_days");
        app.get("/api/v1/endpoints?limit=0").await.assert_problem(400, "limit");
        app.get("/api/v1/endpoints?from=yesterday").await.assert_problem(400, "from");
        app.get("/api/v1/endpoints/export?delimiter=pipe").await.assert_problem(400, "delimiter");
        let page = app.get("/api/v1/endpoints?sort=-last_seen&limit=2").await.json();
        let cursor = page["next_cursor"].as_str().expect("cursor");
        app.get(&format!("/api/v1/endpoints?sort=ip&cursor={cursor}")).await.assert_problem(400, "cursor");
        let missing = app.get("/api/v1/endpoints/no-such-endpoint").await;
        missing.assert_status_problem(404);
    }
}
