//! The audit trail: every administrator and app action leaves exactly its row; the database
//! refuses UPDATE and DELETE; concurrent appends keep one chain; and `verify` names the first
//! bad row after an edit, a deletion, a reordering, a tail truncation (checkpoints) and a
//! rewrite with every later hash recomputed (checkpoint signatures), and refuses forged
//! checkpoint lines.

use actix_web::test::TestRequest;
use confreports_api::audit::{CheckpointWriter, public_key, read_checkpoints};
use confreports_store::audit::{self, AuditRow, Checkpoint, Entry, Report};
use confreports_store::schema::audit_log;
use confreports_store::{Actor, DbConnection, Pool};
use diesel::connection::SimpleConnection as _;
use diesel::prelude::*;
use serde_json::{Value, json};

use crate::both_backends;
use crate::support::{Caller, ROOT_LOGIN, TestApp, app};

const PASSWORD: &str = "a long enough password";

/// Every row, oldest first.
fn rows(pool: &Pool) -> Vec<AuditRow> {
    let mut conn = pool.get().expect("connection");
    let mut rows = audit::list(&mut conn, None, 100_000).expect("list");
    rows.reverse();
    rows
}

fn last_seq(pool: &Pool) -> i64 {
    audit::tail(&mut pool.get().expect("connection")).expect("tail").map_or(0, |(s, _)| s)
}

fn verify(pool: &Pool, checkpoints: &[Checkpoint]) -> Report {
    audit::verify(&mut pool.get().expect("connection"), checkpoints, &mut |_| {}).expect("verify")
}

fn details(row: &AuditRow) -> Value {
    serde_json::from_str(&row.details).expect("details are JSON")
}

/// An access token of a new application with `scopes`: (client id, token).
async fn app_token(app: &TestApp, scopes: &[&str]) -> (String, String) {
    crate::support::app_token(app, "audited app", scopes).await
}

async fn media(app: &TestApp, uri: &str, range: Option<&str>) -> u16 {
    let mut req = TestRequest::get()
        .uri(uri)
        .peer_addr("127.0.0.1:40000".parse().expect("addr"))
        .insert_header(("cookie", app.root.cookie.clone()))
        .insert_header(("x-csrf-token", app.root.csrf.clone()));
    if let Some(r) = range {
        req = req.insert_header(("range", r));
    }
    app.send(req).await.status
}

/// Runs `sql` past the append-only triggers, as someone with the database's own tools would.
fn tamper(pool: &Pool, sql: &str) {
    let mut conn = pool.get().expect("connection");
    untrigger(&mut conn);
    conn.batch_execute(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
}

fn untrigger(conn: &mut DbConnection) {
    let sql = match conn {
        DbConnection::Sqlite(_) => {
            "DROP TRIGGER IF EXISTS audit_log_no_update; DROP TRIGGER IF EXISTS audit_log_no_delete;"
        }
        DbConnection::Postgres(_) => "ALTER TABLE audit_log DISABLE TRIGGER USER;",
    };
    conn.batch_execute(sql).expect("disable the triggers");
}

/// Overwrites row `seq` with `row`'s fields (not its seq).
fn overwrite(conn: &mut DbConnection, seq: i64, row: &AuditRow) {
    diesel::update(audit_log::table.find(seq))
        .set((
            audit_log::time.eq(row.time),
            audit_log::actor_kind.eq(&row.actor_kind),
            audit_log::actor.eq(&row.actor),
            audit_log::ip.eq(&row.ip),
            audit_log::action.eq(&row.action),
            audit_log::target.eq(&row.target),
            audit_log::details.eq(&row.details),
            audit_log::prev_hash.eq(&row.prev_hash),
            audit_log::hash.eq(&row.hash),
        ))
        .execute(conn)
        .expect("overwrite");
}

/// Ten rows, with signed checkpoints after row 3 and after row 10.
struct Trail {
    pool: Pool,
    dir: std::path::PathBuf,
    writer: CheckpointWriter,
}

impl Drop for Trail {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Trail {
    fn new(db: &crate::common::TestDb) -> Trail {
        let pool = db.pool();
        let dir = std::env::temp_dir().join(format!("confreports-audit-{}", confreports_api::auth::random_token(9)));
        let writer = CheckpointWriter::open(&dir).expect("checkpoint key");
        let mut conn = pool.get().expect("connection");
        let actor = Actor { name: Some("alice".into()), admin_type: Some("sysadmin".into()), ..Actor::default() };
        for i in 1..=10 {
            let entry = Entry::by(&actor, "export").with_target("events").with_details(json!({ "n": i }));
            let row = audit::append(&mut conn, &entry).expect("append");
            assert_eq!(row.seq, i);
            if i == 3 || i == 10 {
                writer.write(row.seq, &row.hash).expect("checkpoint");
            }
        }
        drop(conn);
        Trail { pool, dir, writer }
    }

    fn file(&self) -> std::path::PathBuf {
        self.dir.join(confreports_api::audit::CHECKPOINT_FILE)
    }

    fn checkpoints(&self) -> Vec<Checkpoint> {
        let (good, bad) = read_checkpoints(&self.file(), &public_key(&self.dir).expect("key")).expect("read");
        assert!(bad.is_empty(), "{bad:?}");
        good
    }

    /// `verify` with the checkpoints finds a problem at `seq` whose message contains `words`.
    fn assert_first_bad(&self, seq: i64, words: &str) {
        let report = verify(&self.pool, &self.checkpoints());
        let problem = report.problem.unwrap_or_else(|| panic!("no problem found; expected row {seq}: {words}"));
        assert_eq!(problem.seq, seq, "{problem}");
        assert!(problem.message.contains(words), "{problem}");
        assert!(problem.to_string().starts_with(&format!("row seq {seq}: ")), "{problem}");
    }
}

both_backends! {
    async fn each_action_leaves_exactly_its_row(db: TestDb) {
        let app = app(&db).await;
        // The test app signed its sysadmin in: the first row.
        let first = rows(&app.pool);
        assert_eq!(first.len(), 1, "{first:?}");
        assert_eq!((first[0].action.as_str(), first[0].actor_kind.as_str(), first[0].actor.as_deref()), ("sign_in", "admin", Some(ROOT_LOGIN)));
        assert_eq!(first[0].prev_hash, audit::GENESIS);
        let start = last_seq(&app.pool);

        // Sign-in failures: a wrong password, an unknown login.
        assert_eq!(app.login(ROOT_LOGIN, "wrong password!").await.status, 401);
        assert_eq!(app.login("nobody", "wrong password!").await.status, 401);
        // A second administrator, who signs in, sets preferences and signs out.
        let created = app.call_as(&Caller::Admin(app.root.clone()), "POST", "/api/v1/admins", Some(json!({"login": "auditor", "role": "security", "password": PASSWORD}))).await;
        assert_eq!(created.status, 201, "{}", created.text());
        let auditor = app.sign_in("auditor", PASSWORD).await;
        let prefs = json!({"time_zone": "Asia/Tokyo", "csv_delimiter": "tab", "csv_bom": false, "date_format": "us"});
        assert_eq!(app.call_as(&Caller::Admin(auditor.clone()), "PUT", "/api/v1/auth/me/preferences", Some(prefs)).await.status, 200);
        // An export, a deletion by filter, a settings change.
        let csv = app.get("/api/v1/events/export?type=login&success=false").await;
        assert_eq!(csv.status, 200);
        let deleted = app.call("DELETE", "/api/v1/events?type=login&success=false&reason=cleanup").await;
        assert_eq!(deleted.status, 200, "{}", deleted.text());
        let count = deleted.json()["deleted"].as_u64().expect("deleted");
        assert_eq!(count, 2, "the two failed sign-ins");
        let put = app.call_as(&Caller::Admin(app.root.clone()), "PUT", "/api/v1/settings", Some(json!({"endpoint_retention_days": 60}))).await;
        assert_eq!(put.status, 200, "{}", put.text());
        assert_eq!(app.call_as(&Caller::Admin(auditor), "POST", "/api/v1/auth/logout", None).await.status, 204);
        // An application: created, given a token, ingesting a batch.
        let (client_id, token) = app_token(&app, &["ingest"]).await;
        let ingested = app.call_as(&Caller::Bearer(token.clone()), "POST", "/api/v1/ingest", Some(json!([{"kind": "user", "id": "u-1", "user_id": "anna@corp.example", "display_name": "Anna", "email": "anna@corp.example", "department": "Sales", "created_at": "2026-11-01T08:00:00Z"}]))).await;
        assert_eq!(ingested.status, 200, "{}", ingested.text());
        // A recording: played from the start (one row), its later ranges (none), downloaded.
        crate::recordings::seed(&app);
        let id = crate::recordings::id_of(&app, "src-1");
        crate::recordings::attach(&app, id, "rec-audit-1");
        let uri = format!("/api/v1/recordings/{id}/media");
        assert_eq!(media(&app, &uri, Some("bytes=0-99")).await, 206);
        assert_eq!(media(&app, &uri, Some("bytes=100-199")).await, 206);
        assert_eq!(media(&app, &uri, Some("bytes=200-")).await, 206);
        assert_eq!(media(&app, &format!("/api/v1/recordings/{id}/download"), None).await, 200);
        // A read that is not an export or a download leaves nothing.
        assert_eq!(app.get("/api/v1/events?limit=5").await.status, 200);
        // A recording deleted by id; another one's media uploaded by the application.
        assert_eq!(app.call("DELETE", &format!("/api/v1/recordings/{id}")).await.status, 204);
        let upload = TestRequest::put()
            .uri("/api/v1/ingest/recordings/src-2/media")
            .peer_addr("127.0.0.1:40000".parse().expect("addr"))
            .insert_header(("authorization", format!("Bearer {token}")))
            .insert_header(("content-type", "video/webm"))
            .set_payload(confreports_store::demo::SAMPLE_WEBM);
        let uploaded = app.send(upload).await;
        assert_eq!(uploaded.status, 200, "{}", uploaded.text());
        let uploaded_id = uploaded.json()["id"].as_i64().expect("id");

        let all = rows(&app.pool);
        let new: Vec<&AuditRow> = all.iter().filter(|r| r.seq > start).collect();
        let got: Vec<(&str, &str, Option<&str>)> = new.iter().map(|r| (r.action.as_str(), r.actor_kind.as_str(), r.actor.as_deref())).collect();
        let root = Some(ROOT_LOGIN);
        assert_eq!(got, vec![
            ("sign_in_failed", "anonymous", root),
            ("sign_in_failed", "anonymous", Some("nobody")),
            ("admin_created", "admin", root),
            ("sign_in", "admin", Some("auditor")),
            ("preferences_changed", "admin", Some("auditor")),
            ("export", "admin", root),
            ("delete", "admin", root),
            ("settings_changed", "admin", root),
            ("sign_out", "admin", Some("auditor")),
            ("app_created", "admin", root),
            ("token_issued", "app", Some("audited app")),
            ("ingest", "app", Some("audited app")),
            ("download", "admin", root),
            ("download", "admin", root),
            ("delete", "admin", root),
            ("recording_uploaded", "app", Some("audited app")),
        ], "{new:#?}");
        let by = |i: usize| new[i];
        assert_eq!(details(by(0))["reason"], "wrong password");
        assert_eq!(details(by(1))["reason"], "unknown login");
        assert_eq!(by(0).ip.as_deref(), Some("127.0.0.1"));
        assert_eq!(by(2).target.as_deref(), Some("admin:auditor"));
        assert_eq!(details(by(2))["role"], "security");
        assert!(!all.iter().any(|r| r.details.contains(PASSWORD)), "no password in the trail");
        assert_eq!(details(by(4))["time_zone"], "Asia/Tokyo");
        assert_eq!(by(5).target.as_deref(), Some("events"));
        assert_eq!(details(by(5))["filter"]["type"], json!(["login"]), "{}", by(5).details);
        assert_eq!(details(by(5))["filter"]["success"], false);
        let deletion = details(by(6));
        assert_eq!((deletion["report"].clone(), deletion["count"].clone(), deletion["reason"].clone()), (json!("events"), json!(2), json!("cleanup")));
        assert_eq!(deletion["filter"]["type"], json!(["login"]), "{deletion}");
        assert_eq!(details(by(7))["changes"][0]["after"], "60", "{}", by(7).details);
        assert_eq!(by(9).target, Some(format!("app:{client_id}")));
        assert_eq!(by(10).target, Some(format!("app:{client_id}")));
        assert_eq!((details(by(11))["records"].clone(), details(by(11))["accepted"].clone()), (json!(1), json!(1)));
        assert_eq!(details(by(12))["what"], "recording_media");
        assert_eq!(details(by(13))["what"], "recording");
        assert_eq!(by(13).target, Some(format!("recording:{id}")));
        assert_eq!((by(14).target.clone(), details(by(14))["count"].clone()), (Some(format!("recording:{id}")), json!(1)));
        assert_eq!(by(15).target, Some(format!("recording:{uploaded_id}")));
        assert_eq!(details(by(15))["size_bytes"], confreports_store::demo::SAMPLE_WEBM.len());
        // The events log may lose rows (it just did); the trail is whole.
        let report = verify(&app.pool, &[]);
        assert_eq!(report.problem, None);
        assert_eq!((report.rows, report.last_seq), (all.len() as u64, Some(all.len() as i64)));
    }

    async fn the_database_refuses_update_and_delete(db: TestDb) {
        let pool = db.pool();
        let mut conn = pool.get().expect("connection");
        audit::append(&mut conn, &Entry::system("retention_purge")).expect("append");
        let update = diesel::update(audit_log::table.find(1)).set(audit_log::details.eq("{}")).execute(&mut conn);
        let err = update.expect_err("UPDATE refused").to_string();
        assert!(err.contains("append-only"), "{err}");
        let err = diesel::delete(audit_log::table).execute(&mut conn).expect_err("DELETE refused").to_string();
        assert!(err.contains("append-only"), "{err}");
        if matches!(*conn, DbConnection::Postgres(_)) {
            let err = conn.batch_execute("TRUNCATE audit_log").expect_err("TRUNCATE refused").to_string();
            assert!(err.contains("append-only"), "{err}");
        }
        assert_eq!(audit::count(&mut conn).expect("count"), 1);
        // Refused inside a transaction too, which then rolls back.
        let failed: QueryResult<()> = confreports_store::conn::write_transaction(&mut conn, |c| {
            audit::append(c, &Entry::system("retention_purge"))?;
            diesel::delete(audit_log::table.find(1)).execute(c)?;
            Ok(())
        });
        assert!(failed.is_err());
        assert_eq!(audit::count(&mut conn).expect("count"), 1);
    }

    async fn concurrent_appends_keep_one_chain(db: TestDb) {
        let pool = db.pool();
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let pool = pool.clone();
                std::thread::spawn(move || {
                    for i in 0..25 {
                        let mut conn = pool.get().expect("connection");
                        let entry = Entry::system("retention_purge").with_details(json!({ "thread": t, "i": i }));
                        // Half inside a transaction of their own, half alone.
                        if i % 2 == 0 {
                            confreports_store::conn::write_transaction(&mut conn, |c| {
                                audit::append(c, &entry).map(|_| ())
                            })
                            .expect("append in a transaction");
                        } else {
                            audit::append(&mut conn, &entry).expect("append");
                        }
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().expect("thread");
        }
        let report = verify(&pool, &[]);
        assert_eq!(report.problem, None);
        assert_eq!((report.rows, report.last_seq), (100, Some(100)));
    }

    async fn verify_names_an_edited_row(db: TestDb) {
        let trail = Trail::new(&db);
        assert_eq!(verify(&trail.pool, &trail.checkpoints()).problem, None);
        assert_eq!(verify(&trail.pool, &trail.checkpoints()).checkpoints_checked, 2);
        tamper(&trail.pool, "UPDATE audit_log SET details = '{\"n\":500}' WHERE seq = 5");
        trail.assert_first_bad(5, "edited");
    }

    async fn verify_names_a_deleted_row(db: TestDb) {
        let trail = Trail::new(&db);
        tamper(&trail.pool, "DELETE FROM audit_log WHERE seq = 5");
        trail.assert_first_bad(6, "row 5 is missing");
        // The first row too.
        tamper(&trail.pool, "DELETE FROM audit_log WHERE seq = 1");
        trail.assert_first_bad(2, "row 1 is missing");
    }

    async fn verify_names_reordered_rows(db: TestDb) {
        let trail = Trail::new(&db);
        let mut conn = trail.pool.get().expect("connection");
        untrigger(&mut conn);
        let all = rows(&trail.pool);
        let (four, five) = (all[3].clone(), all[4].clone());
        overwrite(&mut conn, 4, &five);
        overwrite(&mut conn, 5, &four);
        drop(conn);
        trail.assert_first_bad(4, "reordered");
    }

    async fn only_a_checkpoint_catches_a_truncated_tail(db: TestDb) {
        let trail = Trail::new(&db);
        tamper(&trail.pool, "DELETE FROM audit_log WHERE seq > 7");
        let chain_only = verify(&trail.pool, &[]);
        assert_eq!((chain_only.problem, chain_only.rows), (None, 7), "the chain alone cannot tell");
        trail.assert_first_bad(8, "tail truncated");
    }

    async fn only_a_signed_checkpoint_catches_a_rewrite(db: TestDb) {
        let trail = Trail::new(&db);
        let mut conn = trail.pool.get().expect("connection");
        untrigger(&mut conn);
        let all = rows(&trail.pool);
        let mut prev = all[3].hash.clone();
        for (i, row) in all.iter().enumerate().skip(4) {
            let mut row = row.clone();
            if i == 4 {
                row.details = json!({ "n": 5, "rewritten": true }).to_string();
            }
            row.prev_hash = prev.clone();
            row.hash = row.compute_hash(&prev);
            prev = row.hash.clone();
            overwrite(&mut conn, row.seq, &row);
        }
        drop(conn);
        assert_eq!(verify(&trail.pool, &[]).problem, None, "the chain alone holds");
        trail.assert_first_bad(10, "rewritten after row seq 3");
    }

    async fn forged_or_edited_checkpoints_are_refused(db: TestDb) {
        let trail = Trail::new(&db);
        let key = public_key(&trail.dir).expect("key");
        let text = std::fs::read_to_string(trail.file()).expect("file");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2);
        // An edited line: another seq under the same signature.
        let mut edited: Value = serde_json::from_str(lines[0]).expect("line");
        edited["seq"] = json!(2);
        // A forged line: signed by another key.
        let other_dir = trail.dir.join("other");
        let other = CheckpointWriter::open(&other_dir).expect("other key");
        other.write(10, &rows(&trail.pool)[9].hash).expect("forged");
        let forged = std::fs::read_to_string(other_dir.join(confreports_api::audit::CHECKPOINT_FILE)).expect("forged");
        let tampered = format!("{}\n{}\n{}not json\n", edited, lines[1], forged);
        std::fs::write(trail.file(), tampered).expect("write");
        let (good, bad) = read_checkpoints(&trail.file(), &key).expect("read");
        assert_eq!(good.len(), 1, "only the genuine line: {good:?}");
        assert_eq!(good[0].seq, 10);
        assert_eq!(bad.len(), 3, "{bad:?}");
        assert!(bad[0].contains("line 1") && bad[0].contains("forged or edited"), "{bad:?}");
        assert!(bad[1].contains("line 3") && bad[1].contains("forged or edited"), "{bad:?}");
        assert!(bad[2].contains("line 4") && bad[2].contains("not a checkpoint"), "{bad:?}");
        // A checkpoint of the current tail: written only when the tail moved.
        let mut conn = trail.pool.get().expect("connection");
        assert_eq!(trail.writer.checkpoint(&mut conn, Some(10)).expect("checkpoint"), Some(10));
        assert_eq!(std::fs::read_to_string(trail.file()).expect("file").lines().count(), 4, "nothing written");
        assert_eq!(trail.writer.checkpoint(&mut conn, Some(9)).expect("checkpoint"), Some(10));
        assert_eq!(std::fs::read_to_string(trail.file()).expect("file").lines().count(), 5);
    }
    async fn administrators_page_through_the_trail_and_apps_cannot(db: TestDb) {
        let app = app(&db).await;
        app.create_admin("auditor", "security", PASSWORD);
        let auditor = app.sign_in("auditor", PASSWORD).await;
        for _ in 0..4 {
            assert_eq!(app.get("/api/v1/events/export").await.status, 200);
        }
        let total = last_seq(&app.pool);
        assert_eq!(total, 6, "two sign-ins and four exports");
        // Newest first, three to a page, with a Link header while more follow.
        let walked = app.walk("/api/v1/audit", "limit=3").await;
        let seqs: Vec<i64> = walked.iter().map(|e| e["seq"].as_i64().expect("seq")).collect();
        assert_eq!(seqs, (1..=total).rev().collect::<Vec<_>>());
        assert_eq!(walked[0]["action"], "export");
        assert_eq!(walked[0]["details"]["report"], "events");
        assert_eq!(walked[total as usize - 1]["prev_hash"], audit::GENESIS);
        assert_eq!(walked[1]["hash"], walked[0]["prev_hash"]);
        // A security administrator reads it too; an application never.
        let page = app.call_as(&Caller::Admin(auditor), "GET", "/api/v1/audit?limit=1", None).await;
        assert_eq!(page.status, 200, "{}", page.text());
        assert_eq!(page.json()["items"][0]["seq"], total);
        let (_, token) = app_token(&app, &["events:read"]).await;
        app.call_as(&Caller::Bearer(token), "GET", "/api/v1/audit", None).await.assert_status_problem(403);
        app.call_as(&Caller::Anonymous, "GET", "/api/v1/audit", None).await.assert_status_problem(401);
        // Bad parameters are named.
        app.get("/api/v1/audit?limit=0").await.assert_problem(400, "limit");
        app.get("/api/v1/audit?cursor=nonsense").await.assert_problem(400, "cursor");
        app.get("/api/v1/audit?sort=seq").await.assert_status_problem(400);
    }
}
