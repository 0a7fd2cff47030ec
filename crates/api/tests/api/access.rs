//! Administrators: sign-in, sessions, CSRF, locking and throttling, roles, preferences; and
//! the policy table covering every route.

use confreports_api::auth::AuthSettings;
use confreports_api::auth::policy::{self, Access};
use serde_json::json;

use crate::both_backends;
use crate::support::{Caller, app, app_with, test_settings};

const PASSWORD: &str = "a long enough password";

both_backends! {
    async fn a_nul_character_in_the_url_is_a_400_not_a_500(db: TestDb) {
        // Found by schemathesis on PostgreSQL, which refuses NUL in text: a filter or an id with
        // %00 failed the query (500). No stored value has one.
        let app = app(&db).await;
        for (uri, field) in [
            ("/api/v1/endpoints?user=a%00b&sort=-last_seen", "user"),
            ("/api/v1/config-changes?object=%2F%004", "object"),
            ("/api/v1/events/count?q=%00", "q"),
            ("/api/v1/events?user=x&ip=%00", "ip"),
            ("/api/v1/calls/s%00/participants", "path"),
            ("/api/v1/users/u%00", "path"),
        ] {
            app.get(uri).await.assert_problem(400, field);
        }
        // Authentication comes first: an anonymous caller is still told to sign in.
        let anonymous = app.call_as(&Caller::Anonymous, "GET", "/api/v1/events?q=%00", None).await;
        assert_eq!(anonymous.status, 401);
        // `%2500` is a percent sign followed by 00, not a NUL.
        assert_eq!(app.get("/api/v1/events/count?q=%2500").await.status, 200);
    }

    async fn every_item_route_refuses_unknown_query_parameters(db: TestDb) {
        // The event, chat message and configuration change routes ignored them, unlike the
        // other item routes and the contract ("never ignored").
        let app = app(&db).await;
        for path in ["/api/v1/events/999999", "/api/v1/chat-messages/999999", "/api/v1/config-changes/999999", "/api/v1/endpoints/x", "/api/v1/calls/x"] {
            app.get(&format!("{path}?colour=red")).await.assert_problem(400, "colour");
            assert_eq!(app.get(path).await.status, 404, "{path}");
        }
    }

    async fn sign_in_me_and_sign_out(db: TestDb) {
        let app = app(&db).await;
        app.create_admin("alice", "security", PASSWORD);
        let res = app.login("alice", PASSWORD).await;
        assert_eq!(res.status, 200);
        let cookie = res.header("set-cookie").expect("cookie");
        assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), "{cookie}");
        let me = res.json();
        assert_eq!(me["login"], "alice");
        assert_eq!(me["role"], "security");
        assert_eq!(me["preferences"]["time_zone"], "UTC");
        let session = app.sign_in("alice", PASSWORD).await;
        // The session is what a reload of the page presents.
        let again = app.call_as(&Caller::Admin(session.clone()), "GET", "/api/v1/auth/me", None).await;
        assert_eq!(again.status, 200);
        assert_eq!(again.json()["csrf_token"], session.csrf);
        // Signing out needs the CSRF token, then ends the session.
        let no_csrf = app.call_as(&Caller::AdminNoCsrf(session.clone()), "POST", "/api/v1/auth/logout", None).await;
        no_csrf.assert_status_problem(403);
        let out = app.call_as(&Caller::Admin(session.clone()), "POST", "/api/v1/auth/logout", None).await;
        assert_eq!(out.status, 204);
        let after = app.call_as(&Caller::Admin(session), "GET", "/api/v1/events", None).await;
        after.assert_status_problem(401);
        // Both are in the events log, with IP, user agent, entered login and administrator type.
        let log = app.get("/api/v1/events?type=login&type=logout&user=alice&sort=time").await.json();
        let items = log["items"].as_array().expect("items");
        let kinds: Vec<(&str, bool)> = items.iter().map(|e| (e["type"].as_str().expect("type"), e["success"].as_bool().expect("success"))).collect();
        assert_eq!(kinds, vec![("login", true), ("login", true), ("logout", true)]);
        for e in items {
            assert_eq!(e["admin_type"], "security");
            assert_eq!(e["ip"], "127.0.0.1");
            assert_eq!(e["user_agent"], "confreports-tests");
            assert_eq!(e["entered_login"], "alice");
        }
    }

    async fn unknown_login_and_wrong_password_answer_alike(db: TestDb) {
        let app = app(&db).await;
        app.create_admin("bob", "sysadmin", PASSWORD);
        let wrong = app.login("bob", "not the password").await;
        let unknown = app.login("nobody", "not the password").await;
        assert_eq!(wrong.status, 401);
        assert_eq!(wrong.status, unknown.status);
        assert_eq!(wrong.body, unknown.body);
        assert_eq!(wrong.header("www-authenticate"), unknown.header("www-authenticate"));
        assert_eq!(wrong.header("content-type").as_deref(), Some("application/problem+json"));
        let failures = app.get("/api/v1/events/count?type=login&success=false").await.json();
        assert_eq!(failures["count"], 2, "both failures are logged");
        let unknown_event = app.get("/api/v1/events?type=login&success=false&q=nobody").await.json();
        assert_eq!(unknown_event["items"][0]["entered_login"], "nobody");
    }

    async fn wrong_passwords_lock_the_account_and_unlock_is_logged(db: TestDb) {
        let settings = AuthSettings { lock_after: 3, ..test_settings() };
        let app = app_with(&db, settings).await;
        app.create_admin("carol", "sysadmin", PASSWORD);
        for _ in 0..3 {
            assert_eq!(app.login("carol", "wrong wrong wrong").await.status, 401);
        }
        // Locked: even the right password is refused, answering like a wrong one.
        let locked = app.login("carol", PASSWORD).await;
        assert_eq!(locked.status, 401);
        assert_eq!(locked.body, app.login("carol", "wrong wrong wrong").await.body);
        let lock = app.get("/api/v1/events?type=lock").await.json();
        let items = lock["items"].as_array().expect("items");
        assert_eq!(items.len(), 1, "one lock event: {lock}");
        assert_eq!(items[0]["user_id"], "carol");
        assert_eq!(items[0]["admin_type"], "sysadmin");
        // A sysadmin unlocks (what `confreports admin unlock` does), or the lock expires.
        {
            use confreports_store::schema::admins;
            use diesel::prelude::*;
            let mut conn = app.pool.get().expect("connection");
            // Let the lock expire.
            let past = confreports_store::report::to_db_time(chrono::Utc::now() - chrono::Duration::minutes(1));
            diesel::update(admins::table.filter(admins::login.eq("carol")))
                .set(admins::locked_until.eq(Some(past)))
                .execute(&mut *conn)
                .expect("expire the lock");
            let unlocked = confreports_api::auth::session::unlock_expired(&mut conn).expect("sweep");
            assert_eq!(unlocked, 1);
            assert_eq!(confreports_api::auth::session::unlock_expired(&mut conn).expect("sweep"), 0, "reported once");
        }
        let unlock = app.get("/api/v1/events?type=unlock&user=carol").await.json();
        assert_eq!(unlock["items"].as_array().map(Vec::len), Some(1));
        assert_eq!(app.login("carol", PASSWORD).await.status, 200);
    }

    async fn wrong_passwords_slow_down_further_attempts(db: TestDb) {
        let settings = AuthSettings { throttle_base_ms: 60_000, lock_after: 100, ip_grace_failures: 2, ..test_settings() };
        let app = app_with(&db, settings).await;
        app.create_admin("dave", "sysadmin", PASSWORD);
        assert_eq!(app.login("dave", "wrong wrong wrong").await.status, 401);
        // The next attempt for the same login must wait, even with the right password.
        let throttled = app.login("dave", PASSWORD).await;
        throttled.assert_status_problem(429);
        let retry: u64 = throttled.header("retry-after").expect("Retry-After").parse().expect("seconds");
        assert!((1..=60).contains(&retry), "{retry}");
        // A login that does not exist is slowed down alike: the delay tells nothing.
        assert_eq!(app.login("nobody", "wrong wrong wrong").await.status, 401);
        let unknown = app.login("nobody", "wrong wrong wrong").await;
        unknown.assert_status_problem(429);
        assert_eq!(unknown.status, throttled.status);
        // One address gets a few failures for free (two here), then every login from it waits.
        assert_eq!(app.login("somebody", "wrong wrong wrong").await.status, 401);
        app.login(crate::support::ROOT_LOGIN, crate::support::ROOT_PASSWORD).await.assert_status_problem(429);
    }

    async fn csrf_token_is_required_for_changes(db: TestDb) {
        let app = app(&db).await;
        let root = app.root.clone();
        let res = app.call_as(&Caller::AdminNoCsrf(root.clone()), "DELETE", "/api/v1/events?all=true", None).await;
        res.assert_status_problem(403);
        let mut forged = root.clone();
        forged.csrf = "forged".into();
        app.call_as(&Caller::Admin(forged), "DELETE", "/api/v1/events?all=true", None).await.assert_status_problem(403);
        // Reads need no CSRF token.
        assert_eq!(app.call_as(&Caller::AdminNoCsrf(root), "GET", "/api/v1/events", None).await.status, 200);
    }

    async fn anonymous_callers_get_401_and_auditors_cannot_delete(db: TestDb) {
        let app = app(&db).await;
        for (method, uri) in [("GET", "/api/v1/events"), ("GET", "/api/v1/events/export"), ("DELETE", "/api/v1/events?all=true"), ("GET", "/api/v1/auth/me"), ("GET", "/api/v1/oauth-apps")] {
            let res = app.call_as(&Caller::Anonymous, method, uri, None).await;
            res.assert_status_problem(401);
            assert!(res.header("www-authenticate").is_some_and(|h| h.starts_with("Bearer")), "{method} {uri}");
        }
        app.create_admin("eve", "security", PASSWORD);
        let eve = Caller::Admin(app.sign_in("eve", PASSWORD).await);
        assert_eq!(app.call_as(&eve, "GET", "/api/v1/events/export", None).await.status, 200);
        app.call_as(&eve, "DELETE", "/api/v1/events?all=true", None).await.assert_status_problem(403);
        app.call_as(&eve, "GET", "/api/v1/oauth-apps", None).await.assert_status_problem(403);
        assert_eq!(app.call_as(&eve, "PUT", "/api/v1/auth/me/preferences", Some(json!({"time_zone": "Asia/Tokyo", "csv_delimiter": "tab", "csv_bom": false, "date_format": "us"}))).await.status, 200);
        // A bad cookie is a 401 too.
        let stale = Caller::Admin(crate::support::Session { cookie: "confreports_session=nope".into(), csrf: "x".into() });
        app.call_as(&stale, "GET", "/api/v1/events", None).await.assert_status_problem(401);
    }

    async fn preferences_are_validated_and_feed_tz_and_export_defaults(db: TestDb) {
        let app = app(&db).await;
        let root = Caller::Admin(app.root.clone());
        let bad = app.call_as(&root, "PUT", "/api/v1/auth/me/preferences", Some(json!({"time_zone": "Mars/Olympus", "csv_delimiter": "tab", "csv_bom": true, "date_format": "iso"}))).await;
        bad.assert_problem(400, "time_zone");
        let malformed = app.call_as(&root, "PUT", "/api/v1/auth/me/preferences", Some(json!({"time_zone": "UTC", "csv_delimiter": "pipe", "csv_bom": true, "date_format": "iso"}))).await;
        malformed.assert_status_problem(422);
        let ok = app.call_as(&root, "PUT", "/api/v1/auth/me/preferences", Some(json!({"time_zone": "Asia/Tokyo", "csv_delimiter": "semicolon", "csv_bom": true, "date_format": "european"}))).await;
        assert_eq!(ok.status, 200, "{}", ok.text());
        assert_eq!(ok.json()["preferences"]["time_zone"], "Asia/Tokyo");
        assert_eq!(app.get("/api/v1/auth/me").await.json()["preferences"]["csv_delimiter"], "semicolon");
        // The export now defaults to semicolons, a BOM and Tokyo time.
        let csv = app.get("/api/v1/events/export?type=login").await;
        assert_eq!(&csv.body[..3], &[0xEF, 0xBB, 0xBF]);
        let text = String::from_utf8(csv.body[3..].to_vec()).expect("utf-8");
        assert!(text.starts_with("id;time;type;"), "{text}");
        let row = text.lines().nth(1).expect("the sign-in event");
        assert!(row.split(';').nth(1).is_some_and(|t| t.ends_with("+09:00")), "{row}");
        // Dates in filters are read in Tokyo time: today's sign-in is in today's Tokyo date.
        let today = chrono::Utc::now().with_timezone(&chrono_tz::Asia::Tokyo).date_naive();
        let count = app.get(&format!("/api/v1/events/count?type=login&from={today}&to={today}")).await.json();
        assert_eq!(count["count"], 1);
        // An explicit tz wins.
        let utc = app.get("/api/v1/events/export?type=login&tz=UTC&delimiter=comma&bom=false").await.text();
        assert!(utc.lines().nth(1).is_some_and(|r| r.split(',').nth(1).is_some_and(|t| t.ends_with('Z'))), "{utc}");
    }
}

#[test]
fn every_route_of_the_openapi_document_has_a_policy_and_every_policy_a_route() {
    let doc: serde_json::Value = serde_json::from_str(&confreports_api::openapi::document_json()).expect("JSON");
    let mut documented = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("item").keys() {
            let m = method.to_uppercase();
            let parsed: actix_web::http::Method = m.parse().expect("method");
            assert!(policy::access(&parsed, path).is_some(), "{m} {path} has no entry in the policy table");
            documented.push((m, path.clone()));
        }
    }
    for (m, p, _) in policy::POLICY {
        assert!(documented.iter().any(|(dm, dp)| dm == m && dp == p), "policy entry {m} {p} names no documented route");
    }
    // Scopes: every `:read` of the table is held by `security`, no `:delete` is.
    for (_, _, access) in policy::POLICY {
        if let Access::Scope(s) = access {
            assert_eq!(confreports_types::Role::Security.grants(*s), s.is_read());
            assert!(confreports_types::Role::Sysadmin.grants(*s));
        }
    }
}

#[test]
fn operations_document_their_security() {
    let doc: serde_json::Value = serde_json::from_str(&confreports_api::openapi::document_json()).expect("JSON");
    let schemes = &doc["components"]["securitySchemes"];
    let flow = &schemes["oauth2"]["flows"]["clientCredentials"];
    assert_eq!(flow["tokenUrl"], "/oauth2/token");
    for scope in confreports_types::Scope::ALL {
        assert!(flow["scopes"][scope.as_str()].is_string(), "{scope} documented");
    }
    assert_eq!(schemes["session"]["in"], "cookie");
    let list = &doc["paths"]["/api/v1/events"]["get"]["security"];
    assert_eq!(list[0]["oauth2"], json!(["events:read"]));
    let delete = &doc["paths"]["/api/v1/events"]["delete"]["security"];
    assert_eq!(delete[0]["oauth2"], json!(["events:delete"]));
    let me = &doc["paths"]["/api/v1/auth/me"]["get"]["security"];
    assert_eq!(me, &json!([{"session": []}]));
}

mod methods {
    use crate::both_backends;
    use crate::support::{Caller, app};

    both_backends! {
        async fn a_known_route_with_another_method_is_405(db: TestDb) {
            let app = app(&db).await;
            let res = app.call_as(&Caller::Anonymous, "GET", "/oauth2/token", None).await;
            res.assert_status_problem(405);
            assert_eq!(res.header("allow").as_deref(), Some("POST"));
            let res = app.call("PUT", "/api/v1/events").await;
            res.assert_status_problem(405);
            assert_eq!(res.header("allow").as_deref(), Some("GET, DELETE"));
        }
    }
}
