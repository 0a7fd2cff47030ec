//! Managing administrators through the API (`/api/v1/admins`, sysadmins only).

use serde_json::json;

use crate::both_backends;
use crate::support::{Caller, ROOT_LOGIN, app, app_token};

const PASSWORD: &str = "a long enough password";
const NEW_PASSWORD: &str = "another long password";

both_backends! {
    /// Deleting an administrator reads (the account, the number of sysadmins) before it
    /// writes. On SQLite such a transaction, begun deferred, failed at once with "database is
    /// locked" when an ingest batch committed in between: every transaction now takes the write
    /// lock up front (`write_transaction`).
    async fn deletions_that_read_first_commit_beside_concurrent_writers(db: TestDb) {
        let app = app(&db).await;
        let root = Caller::Admin(app.root.clone());
        let (_, token) = app_token(&app, "concurrent-ingest", &["ingest"]).await;
        let ingest = Caller::Bearer(token);
        for i in 0..12 {
            let created = app
                .call_as(&root, "POST", "/api/v1/admins", Some(json!({"login": format!("temp{i}"), "role": "security", "password": PASSWORD})))
                .await;
            assert_eq!(created.status, 201, "{}", created.text());
        }
        let app = &app;
        for round in 0..3 {
            let deletes = (0..4).map(|k| {
                let uri = format!("/api/v1/admins/temp{}", round * 4 + k);
                let root = root.clone();
                async move { app.call_as(&root, "DELETE", &uri, None).await }
            });
            let batches = (0..8).map(|w| {
                let records: Vec<serde_json::Value> = (0..20)
                    .map(|i| json!({"kind": "event", "id": format!("del-{round}-{w}-{i}"), "time": "2026-11-24T09:00:00Z", "type": "login", "user_id": "writer@corp.example"}))
                    .collect();
                let ingest = &ingest;
                async move { app.call_as(ingest, "POST", "/api/v1/ingest", Some(json!(records))).await }
            });
            let (deleted, ingested) =
                futures_util::future::join(futures_util::future::join_all(deletes), futures_util::future::join_all(batches)).await;
            for res in deleted {
                assert_eq!(res.status, 204, "round {round}: {}", res.text());
            }
            for res in ingested {
                assert_eq!(res.status, 200, "round {round}: {}", res.text());
            }
        }
        let left = app.call_as(&root, "GET", "/api/v1/admins", None).await.json();
        assert_eq!(left.as_array().map(Vec::len), Some(1), "{left}");
    }

    async fn sysadmins_create_list_reset_unlock_and_delete_admins(db: TestDb) {
        let app = app(&db).await;
        let root = Caller::Admin(app.root.clone());
        let created = app.call_as(&root, "POST", "/api/v1/admins", Some(json!({"login": "auditor", "role": "security", "password": PASSWORD}))).await;
        assert_eq!(created.status, 201, "{}", created.text());
        assert!(!created.text().contains(PASSWORD), "the password is never echoed");
        let body = created.json();
        assert_eq!(body["login"], "auditor");
        assert_eq!(body["role"], "security");
        assert_eq!(body["locked"], false);
        assert!(body.get("password").is_none() && body.get("password_hash").is_none(), "{body}");
        // Listed, by login, without hashes.
        let list = app.get("/api/v1/admins").await;
        assert_eq!(list.status, 200);
        let text = list.text();
        assert!(!text.contains("argon2") && !text.contains(PASSWORD), "{text}");
        let logins: Vec<String> = list.json().as_array().expect("array").iter().map(|a| a["login"].as_str().expect("login").to_owned()).collect();
        assert_eq!(logins, vec!["auditor".to_owned(), ROOT_LOGIN.to_owned()]);
        // The new administrator signs in; a new password ends that session.
        let session = app.sign_in("auditor", PASSWORD).await;
        let reset = app.call_as(&root, "PUT", "/api/v1/admins/auditor/password", Some(json!({"password": NEW_PASSWORD}))).await;
        assert_eq!(reset.status, 204, "{}", reset.text());
        app.call_as(&Caller::Admin(session), "GET", "/api/v1/auth/me", None).await.assert_status_problem(401);
        assert_eq!(app.login("auditor", PASSWORD).await.status, 401);
        assert_eq!(app.login("auditor", NEW_PASSWORD).await.status, 200);
        // Unlock: a locked account is shown locked, then unlocked.
        {
            use confreports_store::schema::admins;
            use diesel::prelude::*;
            let mut conn = app.pool.get().expect("connection");
            let later = confreports_store::report::to_db_time(chrono::Utc::now() + chrono::Duration::minutes(30));
            diesel::update(admins::table.filter(admins::login.eq("auditor")))
                .set(admins::locked_until.eq(Some(later)))
                .execute(&mut *conn)
                .expect("lock");
        }
        let listed = app.get("/api/v1/admins").await.json();
        assert_eq!(listed[0]["locked"], true, "{listed}");
        assert_eq!(app.call("POST", "/api/v1/admins/auditor/unlock").await.status, 204);
        assert_eq!(app.get("/api/v1/admins").await.json()[0]["locked"], false);
        // Delete; the account and its sessions are gone.
        let session = app.sign_in("auditor", NEW_PASSWORD).await;
        assert_eq!(app.call("DELETE", "/api/v1/admins/auditor").await.status, 204);
        app.call_as(&Caller::Admin(session), "GET", "/api/v1/auth/me", None).await.assert_status_problem(401);
        assert_eq!(app.get("/api/v1/admins").await.json().as_array().map(Vec::len), Some(1));
        app.call("DELETE", "/api/v1/admins/auditor").await.assert_status_problem(404);
        app.call("POST", "/api/v1/admins/auditor/unlock").await.assert_status_problem(404);
        // Every action is an event naming the sysadmin who acted and the account.
        let log = app.get(&format!("/api/v1/events?user={ROOT_LOGIN}&type=activation&type=status&type=unlock&type=deactivation&sort=time")).await.json();
        let items = log["items"].as_array().expect("items");
        let kinds: Vec<&str> = items.iter().map(|e| e["type"].as_str().expect("type")).collect();
        assert_eq!(kinds, vec!["activation", "status", "unlock", "deactivation"], "{log}");
        for e in items {
            assert_eq!(e["admin_type"], "sysadmin");
            assert_eq!(e["details"]["admin"]["login"], "auditor", "{e}");
            assert!(!e.to_string().contains(PASSWORD) && !e.to_string().contains(NEW_PASSWORD));
        }
    }

    async fn bad_requests_are_refused_naming_the_field(db: TestDb) {
        let app = app(&db).await;
        let root = Caller::Admin(app.root.clone());
        let short = app.call_as(&root, "POST", "/api/v1/admins", Some(json!({"login": "x", "role": "security", "password": "short"}))).await;
        short.assert_problem(422, "password");
        assert!(!short.text().contains("\"short\""), "the password is never echoed");
        let role = app.call_as(&root, "POST", "/api/v1/admins", Some(json!({"login": "x", "role": "auditor", "password": PASSWORD}))).await;
        role.assert_problem(422, "role");
        let login = app.call_as(&root, "POST", "/api/v1/admins", Some(json!({"login": " ", "role": "security", "password": PASSWORD}))).await;
        login.assert_problem(422, "login");
        // A taken login.
        let taken = app.call_as(&root, "POST", "/api/v1/admins", Some(json!({"login": ROOT_LOGIN, "role": "security", "password": PASSWORD}))).await;
        taken.assert_status_problem(409);
        assert!(!taken.text().contains(PASSWORD));
        // A short new password, an unknown administrator.
        let reset = app.call_as(&root, "PUT", &format!("/api/v1/admins/{ROOT_LOGIN}/password"), Some(json!({"password": "short"}))).await;
        reset.assert_problem(422, "password");
        app.call_as(&root, "PUT", "/api/v1/admins/nobody/password", Some(json!({"password": PASSWORD}))).await.assert_status_problem(404);
        assert_eq!(app.get("/api/v1/admins").await.json().as_array().map(Vec::len), Some(1), "nothing was created");
    }

    async fn deleting_oneself_or_the_last_sysadmin_is_refused(db: TestDb) {
        let app = app(&db).await;
        let root = Caller::Admin(app.root.clone());
        let own = app.call_as(&root, "DELETE", &format!("/api/v1/admins/{ROOT_LOGIN}"), None).await;
        own.assert_status_problem(409);
        assert!(own.json()["detail"].as_str().is_some_and(|d| d.contains("your own account")), "{}", own.text());
        // Another sysadmin may be deleted while one is left; the last one stays.
        app.create_admin("second", "sysadmin", PASSWORD);
        let second = Caller::Admin(app.sign_in("second", PASSWORD).await);
        assert_eq!(app.call_as(&second, "DELETE", "/api/v1/admins/nobody", None).await.status, 404);
        assert_eq!(app.call_as(&root, "DELETE", "/api/v1/admins/second", None).await.status, 204);
        app.create_admin("third", "sysadmin", PASSWORD);
        let third = Caller::Admin(app.sign_in("third", PASSWORD).await);
        // Third deletes root and is the last sysadmin: deleting third is refused.
        assert_eq!(app.call_as(&third, "DELETE", &format!("/api/v1/admins/{ROOT_LOGIN}"), None).await.status, 204);
        app.create_admin("auditor", "security", PASSWORD);
        let last = app.call_as(&third, "DELETE", "/api/v1/admins/third", None).await;
        last.assert_status_problem(409);
        {
            // Not only as oneself: the command line (no acting login) is refused too.
            let mut conn = app.pool.get().expect("connection");
            let refused = confreports_api::auth::admins::delete_admin(&mut conn, "third", None, &confreports_api::auth::apps::Origin::CommandLine);
            let err = refused.expect_err("the last sysadmin stays");
            assert!(err.to_string().contains("last sysadmin"), "{err}");
        }
        assert_eq!(app.call_as(&third, "DELETE", "/api/v1/admins/auditor", None).await.status, 204);
    }

    async fn only_sysadmins_manage_admins(db: TestDb) {
        let app = app(&db).await;
        app.create_admin("eve", "security", PASSWORD);
        let eve = Caller::Admin(app.sign_in("eve", PASSWORD).await);
        let body = json!({"login": "mallory", "role": "sysadmin", "password": PASSWORD});
        let routes: [(&str, String, Option<serde_json::Value>); 5] = [
            ("GET", "/api/v1/admins".into(), None),
            ("POST", "/api/v1/admins".into(), Some(body.clone())),
            ("PUT", format!("/api/v1/admins/{ROOT_LOGIN}/password"), Some(json!({"password": PASSWORD}))),
            ("POST", format!("/api/v1/admins/{ROOT_LOGIN}/unlock"), None),
            ("DELETE", format!("/api/v1/admins/{ROOT_LOGIN}"), None),
        ];
        for (method, uri, json) in routes.iter().cloned() {
            app.call_as(&eve, method, &uri, json.clone()).await.assert_status_problem(403);
            let anon = app.call_as(&Caller::Anonymous, method, &uri, json).await;
            anon.assert_status_problem(401);
        }
        // Changes need the CSRF token.
        let no_csrf = app.call_as(&Caller::AdminNoCsrf(app.root.clone()), "POST", "/api/v1/admins", Some(body)).await;
        no_csrf.assert_status_problem(403);
        let list = app.get("/api/v1/admins").await.json();
        assert_eq!(list.as_array().map(Vec::len), Some(2), "nothing changed: {list}");
        assert_eq!(app.login(ROOT_LOGIN, crate::support::ROOT_PASSWORD).await.status, 200);
    }
}
