//! The Events report: filters, sorts, keyset walks, count, export and delete by filter.

use std::collections::HashSet;

use chrono::{DateTime, Duration, TimeZone, Utc};
use confreports_store::events::{self, NewEvent};
use confreports_types::EventType;
use serde_json::Value;

use crate::both_backends;
use crate::common::TestDb;
use crate::support::app;

const TYPES: [EventType; 6] =
    [EventType::Login, EventType::Logout, EventType::Status, EventType::Lock, EventType::Authorize, EventType::Restart];
const USERS: [Option<&str>; 5] = [Some("ivanov@corp"), Some("petrova@corp"), Some("smith@corp"), None, Some("zz@corp")];
const IPS: [Option<&str>; 4] = [Some("10.0.0.1"), Some("10.0.0.2"), None, Some("192.168.1.9")];

fn base() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).single().expect("valid time")
}

/// 240 events; pairs share a timestamp so that ties must be broken by id.
fn seed(db: &TestDb) -> Vec<NewEvent> {
    let mut evs = Vec::new();
    for i in 0..240usize {
        let mut e = NewEvent::new(base() + Duration::minutes((i / 2) as i64 * 97), TYPES[i % TYPES.len()], i % 5 != 0);
        e.user_id = USERS[i % USERS.len()].map(str::to_owned);
        e.ip = IPS[i % IPS.len()].map(str::to_owned);
        e.endpoint_id = Some(format!("ep-{}", i % 3));
        e.display_name = Some(if i % 4 == 0 { "Иван Петров".to_owned() } else { format!("User {i}") });
        if i == 7 {
            e.description = Some("=HYPERLINK(\"http://evil\")".into());
        }
        evs.push(e);
    }
    let mut conn = db.pool().get().expect("connection");
    events::insert(&mut conn, &evs).expect("insert");
    evs
}

fn ids(page: &Value) -> Vec<i64> {
    page["items"].as_array().expect("items").iter().map(|e| e["id"].as_i64().expect("id")).collect()
}

both_backends! {
    /// The pool checks each connection as it hands it out (without a query: the socket is read);
    /// one the server closed is replaced, and no caller sees an error.
    async fn requests_after_the_database_closed_the_connections_are_answered(db: TestDb) {
        let app = app(&db).await;
        seed(&db);
        let first = app.get("/api/v1/events?limit=5").await;
        assert_eq!(first.status, 200, "{}", first.text());
        if !db.close_connections() {
            return; // SQLite: nothing closes a file under the pool.
        }
        // More requests than the pool has connections, each of which the server closed.
        for _ in 0..6 {
            let again = app.get("/api/v1/events?limit=5").await;
            assert_eq!(again.status, 200, "{}", again.text());
            assert_eq!(ids(&again.json()), ids(&first.json()));
        }
    }

    /// A filtered page without search words is prepared once per connection and reused (its
    /// type and limit written into the SQL, so PostgreSQL plans it once); a search is not. The
    /// pages are the same as through the API.
    async fn filtered_pages_are_prepared_once_and_searches_never(db: TestDb) {
        use confreports_store::events::{EventFilter, EventsReport};
        use confreports_store::report::page;
        use confreports_types::{EventSort, SortField as _};
        let app = app(&db).await;
        seed(&db);
        let sort = EventSort::DEFAULT;
        let login = EventFilter { types: vec![EventType::Login], ..Default::default() };
        let mut search = login.clone();
        search.common.words = vec!["петров".into()];
        let mut conn = db.pool().get().expect("connection");
        for _ in 0..3 {
            let (rows, _) = page::<EventsReport>(&mut conn, &login, sort, None, 7).expect("page");
            let api = app.get("/api/v1/events?type=login&limit=7").await.json();
            assert_eq!(rows.iter().map(|e| e.id).collect::<Vec<_>>(), ids(&api));
            let (found, _) = page::<EventsReport>(&mut conn, &search, sort, None, 7).expect("search");
            let api = app.get("/api/v1/events?type=login&q=%D0%9F%D0%B5%D1%82%D1%80%D0%BE%D0%B2&limit=7").await.json();
            assert_eq!(found.iter().map(|e| e.id).collect::<Vec<_>>(), ids(&api));
            assert!(!found.is_empty() && found.iter().all(|e| e.event_type == EventType::Login));
        }
        let confreports_store::DbConnection::Postgres(pg) = &mut *conn else {
            return; // SQLite keeps its prepared statements inside the connection, out of sight.
        };
        #[derive(diesel::QueryableByName)]
        struct Statement {
            #[diesel(sql_type = diesel::sql_types::Text)]
            statement: String,
        }
        use diesel::RunQueryDsl as _;
        let prepared: Vec<String> = diesel::sql_query("SELECT statement FROM pg_prepared_statements")
            .load::<Statement>(pg)
            .expect("pg_prepared_statements")
            .into_iter()
            .map(|s| s.statement)
            .filter(|s| s.contains("FROM \"events\"") && s.contains("ORDER BY"))
            .collect();
        assert_eq!(prepared.len(), 1, "one statement for three pages, none for the searches: {prepared:#?}");
        assert!(prepared[0].contains("\"events\".\"type\" = 'login'") && prepared[0].ends_with("LIMIT 8"), "{}", prepared[0]);
    }

    async fn two_types_newest_first_walk_count_and_export_agree(db: TestDb) {
        let evs = seed(&db);
        let app = app(&db).await;
        let q = "type=login&type=logout&sort=-time&limit=7";
        let items = app.walk("/api/v1/events", q).await;
        // The seeded events, and the `login` of the test's sysadmin signing in.
        let expected = evs.iter().filter(|e| matches!(e.event_type, EventType::Login | EventType::Logout)).count() + 1;
        assert_eq!(items.len(), expected);
        let seen: HashSet<i64> = items.iter().map(|e| e["id"].as_i64().expect("id")).collect();
        assert_eq!(seen.len(), items.len(), "each row exactly once");
        for pair in items.windows(2) {
            let (a, b) = (&pair[0], &pair[1]);
            assert!(["login", "logout"].contains(&a["type"].as_str().expect("type")));
            let (ta, tb) = (a["time"].as_str().expect("time"), b["time"].as_str().expect("time"));
            let (ta, tb) = (DateTime::parse_from_rfc3339(ta).expect("rfc3339"), DateTime::parse_from_rfc3339(tb).expect("rfc3339"));
            assert!(ta > tb || (ta == tb && a["id"].as_i64() > b["id"].as_i64()), "newest first, ties by id");
        }
        let count = app.get("/api/v1/events/count?type=login&type=logout").await.json();
        assert_eq!(count["count"], expected);
        let csv = app.get("/api/v1/events/export?type=login&type=logout&sort=-time").await;
        assert_eq!(csv.status, 200);
        assert!(csv.header("content-type").is_some_and(|c| c.starts_with("text/csv")));
        assert!(csv.header("content-disposition").is_some_and(|c| c.starts_with("attachment")));
        let text = csv.text();
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let exported: Vec<i64> = reader.records().map(|r| r.expect("record")[0].parse().expect("id")).collect();
        let walked: Vec<i64> = items.iter().map(|e| e["id"].as_i64().expect("id")).collect();
        assert_eq!(exported, walked, "export has the walk's rows in the walk's order");
    }

    async fn every_sort_both_ways_visits_each_row_once_in_order(db: TestDb) {
        seed(&db);
        let app = app(&db).await;
        for field in ["time", "type", "user_id", "ip"] {
            for sort in [field.to_owned(), format!("-{field}")] {
                let items = app.walk("/api/v1/events", &format!("sort={sort}&limit=13&endpoint=ep-1&endpoint=ep-2")).await;
                assert_eq!(items.len(), 160, "sort {sort}");
                let unique: HashSet<i64> = items.iter().map(|e| e["id"].as_i64().expect("id")).collect();
                assert_eq!(unique.len(), 160, "sort {sort}: each row once");
                let key = |e: &Value| -> (String, i64) {
                    let v = &e[field];
                    let k = match field {
                        "time" => DateTime::parse_from_rfc3339(v.as_str().expect("time")).expect("time").timestamp_micros().to_string(),
                        _ => v.as_str().unwrap_or("").to_owned(),
                    };
                    (k, e["id"].as_i64().expect("id"))
                };
                let keys: Vec<(String, i64)> = items.iter().map(key).collect();
                let mut sorted = keys.clone();
                // Byte order is the order both databases use for these ASCII keys.
                sorted.sort();
                if sort.starts_with('-') {
                    sorted.reverse();
                }
                if field == "time" {
                    let mut by_time: Vec<(i64, i64)> = keys.iter().map(|(k, i)| (k.parse().expect("micros"), *i)).collect();
                    let mut expect = by_time.clone();
                    expect.sort();
                    if sort.starts_with('-') { expect.reverse(); }
                    by_time.dedup();
                    assert_eq!(by_time, expect, "sort {sort}");
                } else {
                    assert_eq!(keys, sorted, "sort {sort}");
                }
            }
        }
    }

    async fn search_finds_every_substring_the_text_holds(db: TestDb) {
        // Words of every length at every position of texts in several scripts, upper and lower
        // case, with the characters LIKE treats specially: the answer is what the folded text
        // holds, whichever index the database has (FTS5 trigram on SQLite, pg_trgm here).
        let texts = [
            "Конференция «Планёрка» отдела продаж",
            "STRASSE straße Ärger ÉCOLE",
            "webclient guest 10.0.0.7",
            "emoji 🎉 party 🎉🎉 done",
            "u1999@corp.example joined",
            "ПРИВЕТ мир",
            "100% sure_thing \\ back",
        ];
        seed(&db);
        // A day of their own, before the seeded ones: the range keeps the administrators' own
        // events (signing in) out of the count.
        let day = base() - Duration::days(1);
        let evs: Vec<NewEvent> = texts
            .iter()
            .cycle()
            .take(3 * texts.len())
            .enumerate()
            .map(|(i, text)| {
                let mut e = NewEvent::new(day + Duration::minutes(i as i64), EventType::Status, i % 2 == 0);
                e.description = Some((*text).to_owned());
                e.user_id = Some(format!("user{i}@corp"));
                e
            })
            .collect();
        events::insert(&mut db.pool().get().expect("connection"), &evs).expect("insert");
        let range = "from=2026-10-31T00:00:00Z&to=2026-11-01T00:00:00Z";
        let app = app(&db).await;
        let mut words: Vec<String> = vec!["nothing-like-it".into(), "ПЛАНЁРКА ПРОДАЖ".into(), "GUEST webclient".into()];
        for text in texts {
            let chars: Vec<char> = text.chars().collect();
            for len in [1, 2, 3, 4, 6] {
                for start in (0..chars.len().saturating_sub(len)).step_by(3) {
                    let w: String = chars[start..start + len].iter().collect();
                    if !w.trim().is_empty() && !w.contains(' ') {
                        words.push(w.clone());
                        words.push(w.to_uppercase());
                    }
                }
            }
        }
        for q in &words {
            let folded: Vec<String> = q.split_whitespace().map(confreports_store::report::fold).collect();
            let want = evs.iter().filter(|e| folded.iter().all(|w| e.search_text().contains(w.as_str()))).count();
            let enc: String = url::form_urlencoded::byte_serialize(q.as_bytes()).collect();
            let got = app.get(&format!("/api/v1/events/count?q={enc}&{range}")).await.json()["count"].as_u64();
            assert_eq!(got, Some(want as u64), "q={q:?}");
            let page = app.get(&format!("/api/v1/events?q={enc}&{range}&limit=1000")).await.json();
            assert_eq!(page["items"].as_array().map(Vec::len), Some(want), "page of q={q:?}");
        }
    }

    /// Words held by one row in hundreds are looked up by their rarest trigrams (estimated from
    /// a sample of the rows), words in most rows by reading rows newest first: either way the
    /// answer is exactly the rows that hold them, alone or together.
    async fn rare_and_common_words_are_found_exactly(db: TestDb) {
        let day = base() - Duration::days(2);
        let mut evs: Vec<NewEvent> = (0..600)
            .map(|i| {
                let mut e = NewEvent::new(day + Duration::seconds(i * 60), EventType::Login, true);
                e.user_id = Some(format!("u{:04}@corp.example", i % 50));
                e.user_agent = Some("ConfClient/5.4.0 (Windows 11)".into());
                e
            })
            .collect();
        for (i, who) in ["u1999@corp.example", "Ёлкина Зоя", "u1999@corp.example"].iter().enumerate() {
            evs[100 + i * 200].user_id = Some((*who).to_owned());
        }
        events::insert(&mut db.pool().get().expect("connection"), &evs).expect("insert");
        let app = app(&db).await;
        let range = "from=2026-10-30T00:00:00Z&to=2026-10-31T00:00:00Z";
        for (q, want) in [
            ("u1999@corp.example", 2),
            ("1999", 2),
            ("ёлкина", 1),
            ("ЁЛКИНА%20зоя", 1),
            ("u1999%20windows", 2),
            ("corp.example", 599),
            ("windows%20u0001", 12),
            ("u0001@corp.example", 12),
            ("u2999", 0),
        ] {
            let count = app.get(&format!("/api/v1/events/count?q={q}&{range}")).await.json();
            assert_eq!(count["count"].as_u64(), Some(want), "count of q={q}");
            let page = app.get(&format!("/api/v1/events?q={q}&{range}&limit=1000")).await.json();
            assert_eq!(page["items"].as_array().map(Vec::len), Some(want as usize), "page of q={q}");
        }
    }

    async fn filters_select_what_they_name(db: TestDb) {
        let evs = seed(&db);
        let app = app(&db).await;
        let count = |q: &'static str| {
            let app = &app;
            async move { app.get(&format!("/api/v1/events/count?{q}")).await.json()["count"].as_u64().expect("count") }
        };
        let n = |f: &dyn Fn(&NewEvent) -> bool| evs.iter().filter(|e| f(e)).count() as u64;
        assert_eq!(count("user=ivanov@corp").await, n(&|e| e.user_id.as_deref() == Some("ivanov@corp")));
        assert_eq!(count("user=ivanov@corp&user=smith@corp").await, n(&|e| matches!(e.user_id.as_deref(), Some("ivanov@corp" | "smith@corp"))));
        assert_eq!(count("ip=10.0.0.2").await, n(&|e| e.ip.as_deref() == Some("10.0.0.2")));
        assert_eq!(count("endpoint=ep-0").await, n(&|e| e.endpoint_id.as_deref() == Some("ep-0")));
        assert_eq!(count("success=false").await, n(&|e| !e.success));
        assert_eq!(count("type=lock&success=true").await, n(&|e| e.event_type == EventType::Lock && e.success));
        // Unicode case folding: upper-case Cyrillic finds the lower-case name.
        assert_eq!(count("q=ИВАН").await, n(&|e| e.display_name.as_deref() == Some("Иван Петров")));
        assert_eq!(count("q=иван%20ПЕТРОВ%20login").await, n(&|e| e.display_name.as_deref() == Some("Иван Петров") && e.event_type == EventType::Login));
        // `%` and `_` in q are literal.
        assert_eq!(count("q=%25").await, 0);
        // Dates are days in `tz`; RFC 3339 bounds are instants, `to` exclusive.
        let day = |e: &NewEvent, from: DateTime<Utc>, to: DateTime<Utc>| e.time >= from && e.time < to;
        let msk_from = Utc.with_ymd_and_hms(2026, 11, 1, 21, 0, 0).single().expect("t");
        let msk_to = Utc.with_ymd_and_hms(2026, 11, 3, 21, 0, 0).single().expect("t");
        assert_eq!(count("from=2026-11-02&to=2026-11-03&tz=Europe/Moscow").await, n(&|e| day(e, msk_from, msk_to)));
        let from = base() + Duration::minutes(97 * 10);
        let to = base() + Duration::minutes(97 * 20);
        let q = format!("/api/v1/events/count?from={}&to={}", from.to_rfc3339().replace('+', "%2B"), to.to_rfc3339().replace('+', "%2B"));
        assert_eq!(app.get(&q).await.json()["count"].as_u64(), Some(n(&|e| day(e, from, to))));
    }

    async fn bad_parameters_are_400_naming_the_parameter(db: TestDb) {
        seed(&db);
        let app = app(&db).await;
        let bad_sort = app.get("/api/v1/events?sort=password").await;
        bad_sort.assert_problem(400, "sort");
        // Error answers carry the security headers too, and are never cached.
        assert_eq!(bad_sort.header("cache-control").as_deref(), Some("no-store"));
        assert_eq!(bad_sort.header("x-content-type-options").as_deref(), Some("nosniff"));
        let csp = bad_sort.header("content-security-policy").expect("CSP");
        assert!(csp.contains("frame-ancestors 'none'") && !csp.contains("unsafe-inline") && !csp.contains("'unsafe-eval'"), "{csp}");
        app.get("/api/v1/events?type=teleport").await.assert_problem(400, "type");
        app.get("/api/v1/events?colour=red").await.assert_problem(400, "colour");
        app.get("/api/v1/events?limit=0").await.assert_problem(400, "limit");
        app.get("/api/v1/events?limit=1001").await.assert_problem(400, "limit");
        app.get("/api/v1/events?limit=ten").await.assert_problem(400, "limit");
        app.get("/api/v1/events?success=maybe").await.assert_problem(400, "success");
        app.get("/api/v1/events?cursor=garbage!").await.assert_problem(400, "cursor");
        app.get("/api/v1/events?tz=Mars/Olympus").await.assert_problem(400, "tz");
        app.get("/api/v1/events?from=yesterday").await.assert_problem(400, "from");
        app.get("/api/v1/events?from=2026-11-05&to=2026-11-01").await.assert_problem(400, "to");
        app.get("/api/v1/events/export?delimiter=pipe").await.assert_problem(400, "delimiter");
        app.get("/api/v1/events/count?limit=5").await.assert_problem(400, "limit");
        app.get("/api/v1/events/abc").await.assert_problem(400, "id");
        // A cursor made for one sort is refused under another.
        let page = app.get("/api/v1/events?sort=-time&limit=2").await.json();
        let cursor = page["next_cursor"].as_str().expect("cursor");
        app.get(&format!("/api/v1/events?sort=ip&cursor={cursor}")).await.assert_problem(400, "cursor");
        let missing = app.get("/api/v1/events/999999").await;
        assert_eq!(missing.status, 404);
        assert_eq!(missing.header("content-type").as_deref(), Some("application/problem+json"));
        let nowhere = app.get("/api/v1/nowhere").await;
        assert_eq!(nowhere.status, 404);
        assert_eq!(nowhere.header("content-type").as_deref(), Some("application/problem+json"));
    }

    async fn one_event_and_the_event_types(db: TestDb) {
        seed(&db);
        let app = app(&db).await;
        let first = ids(&app.get("/api/v1/events?sort=time&limit=1").await.json())[0];
        let e = app.get(&format!("/api/v1/events/{first}")).await.json();
        assert_eq!(e["id"], first);
        assert_eq!(e["type"], "login");
        assert_eq!(e["time"], "2026-11-01T00:00:00Z");
        assert_eq!(e["user_id"], "ivanov@corp");
        assert!(e["real_user_id"].is_null());
        let types = app.get("/api/v1/event-types").await.json();
        let names: Vec<&str> = types.as_array().expect("array").iter().filter_map(|t| t["name"].as_str()).collect();
        assert_eq!(names.len(), 23);
        for n in ["authorize", "delete_chat_messages_cascade", "delete_video_recordings", "pro_license_revocation"] {
            assert!(names.contains(&n), "{n}");
        }
    }

    async fn export_formats_times_in_tz_and_neutralises_formulas(db: TestDb) {
        seed(&db);
        let app = app(&db).await;
        let res = app.get("/api/v1/events/export?delimiter=semicolon&bom=true&tz=Asia/Tokyo&sort=time&user=petrova@corp").await;
        let body = res.body.clone();
        assert_eq!(&body[..3], &[0xEF, 0xBB, 0xBF], "BOM first");
        let text = String::from_utf8(body[3..].to_vec()).expect("utf-8");
        let mut lines = text.lines();
        assert!(lines.next().expect("header").starts_with("id;time;type;success;user_id"));
        let first: Vec<&str> = lines.next().expect("row").split(';').collect();
        // Event 1 is at 2026-11-01T00:00Z: 09:00 in Tokyo.
        assert_eq!(first[1], "2026-11-01T09:00:00+09:00");
        assert_eq!(first[2], "logout");
        let text = app.get("/api/v1/events/export?q=hyperlink").await.text();
        let formula = text.lines().find(|l| l.contains("HYPERLINK")).expect("the formula row");
        assert!(formula.contains(",\"'=HYPERLINK(\"\"http://evil\"\")\","), "neutralised: {formula}");
        let tab = app.get("/api/v1/events/export?delimiter=tab&type=restart").await.text();
        assert!(tab.starts_with("id\ttime\ttype"));
        assert_eq!(tab.lines().count(), 1 + 40);
    }

    async fn delete_by_filter_removes_exactly_the_selection_and_logs_it(db: TestDb) {
        let evs = seed(&db);
        let app = app(&db).await;
        app.call("DELETE", "/api/v1/events").await.assert_problem(400, "all");
        let before_other = app.get("/api/v1/events/count?type=status").await.json()["count"].as_u64().expect("n");
        let selected = evs.iter().filter(|e| e.event_type == EventType::Lock && e.user_id.as_deref() == Some("zz@corp")).count() as u64;
        let preview = app.get("/api/v1/events/count?type=lock&user=zz@corp").await.json();
        assert_eq!(preview["count"].as_u64(), Some(selected));
        let res = app.call("DELETE", "/api/v1/events?type=lock&user=zz@corp&reason=GDPR%20request").await;
        assert_eq!(res.status, 200, "{}", res.text());
        assert_eq!(res.json()["deleted"].as_u64(), Some(selected));
        assert_eq!(app.get("/api/v1/events/count?type=lock&user=zz@corp").await.json()["count"], 0);
        assert_eq!(app.get("/api/v1/events/count?type=status").await.json()["count"].as_u64(), Some(before_other));
        let log = app.get("/api/v1/events?type=delete_events").await.json();
        let items = log["items"].as_array().expect("items");
        assert_eq!(items.len(), 1, "one delete_events event");
        let details = &items[0]["details"];
        assert_eq!(details["deleted"].as_u64(), Some(selected));
        assert_eq!(details["filter"]["type"], serde_json::json!(["lock"]));
        assert_eq!(details["filter"]["user"], serde_json::json!(["zz@corp"]));
        assert_eq!(details["reason"], "GDPR request");
        assert_eq!(items[0]["user_agent"], "confreports-tests");
        assert_eq!(items[0]["user_id"], crate::support::ROOT_LOGIN);
        assert_eq!(items[0]["admin_type"], "sysadmin");
        assert_eq!(details["actor"], crate::support::ROOT_LOGIN);
        // Everything, on purpose.
        let all = app.call("DELETE", "/api/v1/events?all=true").await.json();
        // The rest of the seed, the first deletion's event and the sysadmin's sign-in.
        assert_eq!(all["deleted"].as_u64(), Some(240 - selected + 1 + 1));
        let left = app.get("/api/v1/events").await.json();
        assert_eq!(left["items"].as_array().map(Vec::len), Some(1));
        assert_eq!(left["items"][0]["type"], "delete_events");
        assert_eq!(left["items"][0]["details"]["filter"], serde_json::json!({}));
    }
}

/// Events whose every cell tests a CSV rule: formulas, delimiters, quotes, line breaks, empty
/// and absent values, JSON lists and objects, microseconds, offsets of every sign across a
/// daylight-saving change (spring 2020), Cyrillic.
fn awkward_events() -> Vec<NewEvent> {
    let texts = [
        "=SUM(A1:A2)",
        "+1 555",
        "-minus",
        "@at",
        "\tleading tab",
        "\rleading cr",
        "comma, inside",
        "semi; colon",
        "tab\tinside",
        "quote \" inside",
        "two\nlines",
        "cr\r\nlf",
        "",
        "Иван Петров",
        "back\\slash",
        " leading space",
        "o'brien",
        "50% off_now",
        "emoji 🎉",
    ];
    let base = Utc.with_ymd_and_hms(2020, 3, 20, 22, 59, 58).single().expect("valid time");
    let mut evs = Vec::new();
    for i in 0..96usize {
        let time = base + Duration::minutes(i as i64 * 257) + Duration::microseconds((i as i64 * 123_457) % 1_000_000);
        let mut e = NewEvent::new(time, TYPES[i % TYPES.len()], i % 3 != 0);
        let text = |k: usize| Some(texts[(i + k) % texts.len()].to_owned());
        e.user_id = [Some("ivanov@corp"), Some("o'brien@corp"), None, Some("zz@corp")][i % 4].map(str::to_owned);
        e.ip = [Some("10.0.0.1"), None, Some("192.168.1.9")][i % 3].map(str::to_owned);
        e.endpoint_id = (i % 5 != 0).then(|| format!("ep-{}", i % 2));
        e.display_name = text(0);
        e.entered_login = text(1);
        e.real_user_id = text(2).filter(|_| i % 2 == 0);
        e.app_name = text(3);
        e.auth_method = text(4).filter(|_| i % 3 == 1);
        e.user_rights = text(5);
        e.previous_status = (i % 4 == 1).then_some(i as i32 - 50);
        e.new_status = (i % 4 != 1).then_some(i as i32);
        e.description = text(6);
        e.admin_type = text(7).filter(|_| i % 6 == 5);
        e.user_agent = text(8);
        e.users = match i % 4 {
            0 => None,
            1 => Some(Vec::new()),
            2 => Some(vec!["=first".to_owned(), "second user".to_owned()]),
            _ => Some(vec![texts[i % texts.len()].to_owned(), "quote\"d, \\x".to_owned()]),
        };
        e.details = match i % 3 {
            0 => None,
            1 => Some(serde_json::json!({"zeta": 1.5, "alpha": [1, -2, 3e20], "text": texts[i % texts.len()]})),
            _ => Some(serde_json::json!({"nested": {"b": null, "a": true}, "n": i})),
        };
        evs.push(e);
    }
    evs
}

/// A SQLite and a PostgreSQL database holding the same [`awkward_events`] (`None`, and the test
/// `name` skipped, without `TEST_DATABASE_URL`).
fn awkward_on_both(name: &str) -> Option<(TestDb, TestDb)> {
    use crate::common::Backend;
    let Some(pg) = TestDb::new(Backend::Postgres) else {
        eprintln!("TEST_DATABASE_URL not set: {name} skipped");
        return None;
    };
    let sqlite = TestDb::new(Backend::Sqlite).expect("sqlite");
    let evs = awkward_events();
    for db in [&sqlite, &pg] {
        events::insert(&mut db.pool().get().expect("connection"), &evs).expect("insert");
    }
    Some((sqlite, pg))
}

/// An export on PostgreSQL is written by the database (`COPY`), on SQLite by the server from
/// the rows it reads: the same events give the same bytes in every delimiter, time zone, sort
/// and filter. (Without `Cell` writing as `Row` does, or `copy_select` selecting what
/// `predicate` does, some export here differs.)
#[actix_web::test]
async fn exports_are_the_same_csv_on_both_databases() {
    let Some((sqlite, pg)) = awkward_on_both("exports_are_the_same_csv_on_both_databases") else { return };
    let (sqlite_app, pg_app) = (app(&sqlite).await, app(&pg).await);
    // Only the seeded events: signing in records events of its own, now.
    let window = "from=2020-01-01T00:00:00Z&to=2021-01-01T00:00:00Z";
    let queries = [
        "sort=-time",
        "sort=time&delimiter=semicolon&bom=true&tz=Asia/Tokyo",
        "sort=time&delimiter=tab&tz=America/St_Johns",
        "sort=-time&tz=Asia/Kathmandu",
        "sort=time&tz=Europe/London",
        "sort=type&type=login&type=lock",
        "sort=-time&type=status",
        "sort=-user_id&user=zz@corp&user=ivanov@corp",
        "user=o%27brien@corp&tz=Europe/Moscow",
        "sort=ip&ip=10.0.0.1&success=true",
        "endpoint=ep-1&success=false",
        "sort=time&delimiter=semicolon&tz=Europe/Berlin&type=login&type=logout&type=status",
        "q=%D0%B8%D0%B2%D0%B0%D0%BD",
        "q=50%25&sort=time",
        "q=off_now%20ivanov",
        "q=quote",
        "type=restart&user=nobody@corp",
    ];
    let sessions_before = pg.sessions_opened().expect("PostgreSQL");
    let mut rows = 0;
    for query in queries {
        let url = format!("/api/v1/events/export?{window}&{query}");
        let (a, b) = (sqlite_app.get(&url).await, pg_app.get(&url).await);
        assert_eq!((a.status, b.status), (200, 200), "{url}: {} / {}", a.text(), b.text());
        assert_eq!(
            String::from_utf8_lossy(&b.body),
            String::from_utf8_lossy(&a.body),
            "{url}: PostgreSQL's export (left) differs from SQLite's (right)"
        );
        rows += a.text().lines().count();
    }
    assert!(rows > 300, "the exports hold rows ({rows} lines)");
    // Each export on PostgreSQL ran its `COPY` on a connection of its own (the pool's were all
    // open before): the bytes above are PostgreSQL's, not the rows path's. The counter is
    // flushed as sessions end.
    let wanted = sessions_before + queries.len() as i64;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while pg.sessions_opened().expect("PostgreSQL") < wanted && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let opened = pg.sessions_opened().expect("PostgreSQL") - sessions_before;
    assert!(opened >= queries.len() as i64, "{opened} sessions opened for {} exports", queries.len());
}

/// The pages PostgreSQL's asynchronous client reads and writes as JSON itself (no search words)
/// are byte for byte SQLite's pages, which go through diesel and `Event`'s `Serialize`: every
/// page of each walk, its `next_cursor` and its `Link`. Pages with search words go through
/// diesel on both. The asynchronous client opened connections of its own, so it read them.
#[actix_web::test]
async fn pages_are_the_same_json_on_both_databases() {
    let Some((sqlite, pg)) = awkward_on_both("pages_are_the_same_json_on_both_databases") else { return };
    let (sqlite_app, pg_app) = (app(&sqlite).await, app(&pg).await);
    let window = "from=2020-01-01T00:00:00Z&to=2021-01-01T00:00:00Z";
    let queries = [
        "limit=7",
        "sort=time&limit=5",
        "sort=type&limit=9",
        "sort=-type&type=login&type=lock&limit=3",
        "sort=user_id&limit=11",
        "sort=-user_id&user=zz@corp&user=ivanov@corp&limit=2",
        "sort=ip&ip=10.0.0.1&success=true&limit=4",
        "sort=-ip&limit=13",
        "type=status&limit=6",
        "endpoint=ep-1&success=false",
        "user=o%27brien@corp&limit=1",
        "q=quote&limit=3",
        "type=restart&user=nobody@corp",
    ];
    let mut pages = 0;
    for query in queries {
        let mut url = format!("/api/v1/events?{window}&{query}");
        loop {
            let (a, b) = (sqlite_app.get(&url).await, pg_app.get(&url).await);
            assert_eq!((a.status, b.status), (200, 200), "{url}: {} / {}", a.text(), b.text());
            assert_eq!(b.text(), a.text(), "{url}: PostgreSQL's page (left) differs from SQLite's (right)");
            assert_eq!(b.header("link"), a.header("link"), "{url}");
            pages += 1;
            match a.json()["next_cursor"].as_str() {
                Some(next) => url = format!("/api/v1/events?{window}&{query}&cursor={next}"),
                None => break,
            }
        }
    }
    assert!(pages > 40, "walked {pages} pages");
    let readers = pg.connections_named(confreports_store::pg_async::APPLICATION_NAME).expect("PostgreSQL");
    assert!(readers >= 1, "the asynchronous client has no connection: the pages came through diesel");
}

/// The asynchronous client prepares a page's statement once per connection and reuses it
/// (PostgreSQL's own `pg_prepared_statements`, read on that connection, lists it once for three
/// first pages and once for the pages after a cursor), with generic plans; a search is not read
/// by it at all.
#[actix_web::test]
async fn direct_pages_are_prepared_once_per_connection() {
    use crate::common::Backend;
    use confreports_store::events::{EventFilter, EventsReport};
    use confreports_store::pg_async::PgReader;
    use confreports_store::report::{page, page_direct};
    use confreports_types::{EventSort, SortField as _};
    let Some(pg) = TestDb::new(Backend::Postgres) else {
        eprintln!("TEST_DATABASE_URL not set: direct_pages_are_prepared_once_per_connection skipped");
        return;
    };
    seed(&pg);
    let reader = PgReader::new(&pg.url, 1).expect("a PostgreSQL URL");
    let sort = EventSort::DEFAULT;
    let status = EventFilter { types: vec![EventType::Status], ..Default::default() };
    let mut conn = pg.pool().get().expect("connection");
    for _ in 0..3 {
        let (rows, next) = page::<EventsReport>(&mut conn, &status, sort, None, 6).expect("page");
        let direct = page_direct::<EventsReport>(&reader, &status, sort, None, 6, Vec::new())
            .await
            .expect("reads")
            .expect("direct");
        let items: Value = serde_json::from_slice(&direct.json).expect("JSON");
        assert_eq!(items, serde_json::to_value(&rows).expect("JSON"), "the same page as diesel's");
        assert_eq!(direct.next, next);
        let after =
            page_direct::<EventsReport>(&reader, &status, sort, next.as_ref(), 6, Vec::new()).await.expect("reads");
        assert!(after.expect("direct").json.len() > 2, "a second page");
    }
    let mut search = status.clone();
    search.common.words = vec!["петров".into()];
    assert!(page_direct::<EventsReport>(&reader, &search, sort, None, 6, Vec::new()).await.expect("reads").is_none());
    let prepared =
        reader.query("SELECT statement FROM pg_prepared_statements", &[], false).await.expect("pg_prepared_statements");
    let statements: Vec<String> = prepared.iter().map(|r| r.get::<_, String>(0)).collect();
    assert_eq!(statements.len(), 2, "one statement for the first pages, one after a cursor: {statements:#?}");
    assert!(statements.iter().all(|s| s.contains("type = E'status'") && s.ends_with("LIMIT 7")), "{statements:#?}");
    // Planned once, whatever values are bound (PostgreSQL planned the cursor pages anew each time).
    let mode = reader.query("SELECT current_setting('plan_cache_mode')", &[], false).await.expect("setting");
    assert_eq!(mode[0].get::<_, String>(0), "force_generic_plan");
}

/// When PostgreSQL refuses the export's own connection and the asynchronous client's (here:
/// nothing listens where they would connect; in production, `max_connections` reached), the
/// export still comes whole and the pages still come, read through the pool.
#[actix_web::test]
async fn exports_and_pages_without_connections_of_their_own_are_read_through_the_pool() {
    use crate::common::Backend;
    let Some(mut pg) = TestDb::new(Backend::Postgres) else {
        eprintln!(
            "TEST_DATABASE_URL not set: exports_and_pages_without_connections_of_their_own_are_read_through_the_pool skipped"
        );
        return;
    };
    let evs = awkward_events();
    events::insert(&mut pg.pool().get().expect("connection"), &evs).expect("insert");
    pg.url = confreports_store::DbUrl::parse("postgres://postgres@127.0.0.1:9/closed").expect("URL");
    let app = app(&pg).await;
    let res = app.get("/api/v1/events/export?from=2020-01-01T00:00:00Z&to=2021-01-01T00:00:00Z&sort=time").await;
    assert_eq!(res.status, 200, "{}", res.text());
    let mut reader = csv::ReaderBuilder::new().from_reader(res.body.as_slice());
    let ids: Vec<i64> = reader.records().map(|r| r.expect("record")[0].parse().expect("id")).collect();
    assert_eq!(ids, (1..=evs.len() as i64).collect::<Vec<_>>(), "every seeded event, oldest first");
    let mut walked = Vec::new();
    let first = "/api/v1/events?from=2020-01-01T00:00:00Z&to=2021-01-01T00:00:00Z&sort=time&limit=40";
    let mut url = first.to_owned();
    loop {
        let page = app.get(&url).await;
        assert_eq!(page.status, 200, "{}", page.text());
        let page = page.json();
        walked.extend(page["items"].as_array().expect("items").iter().map(|e| e["id"].as_i64().expect("id")));
        match page["next_cursor"].as_str() {
            Some(next) => url = format!("{first}&cursor={next}"),
            None => break,
        }
    }
    assert_eq!(walked, ids, "every page, read through the pool");
}
