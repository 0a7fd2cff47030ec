//! Administrators in the web app: sign-in with throttling and locking, sign-out, the current
//! administrator and their preferences.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::{HttpRequest, HttpResponse, get, post, put, web};
use chrono::{Duration, Utc};
use chrono_tz::Tz;
use confreports_store::access::{self, AdminRow};
use confreports_store::audit;
use confreports_store::events::{self, NewEvent};
use confreports_store::report::to_db_time;
use confreports_types::{EventType, LoginRequest, Me, Preferences, Problem};

use crate::auth::{
    AdminPrincipal, Principal, SESSION_COOKIE, admin_principal, csrf_token_for, password, random_token, request_origin,
    sha256_b64,
};
use crate::error::{ApiError, ApiResult, problem_response};
use crate::report::db;
use crate::state::AppState;

const WRONG_CREDENTIALS: &str = "wrong login or password";

fn me(a: &AdminPrincipal) -> Me {
    Me { login: a.login.clone(), role: a.role, preferences: a.preferences.clone(), csrf_token: a.csrf_token.clone() }
}

fn too_many(wait: std::time::Duration) -> HttpResponse {
    let secs = wait.as_secs_f64().ceil().max(1.0) as u64;
    let mut res = problem_response(&Problem {
        kind: "https://confreports.dev/problems/throttled".into(),
        title: "Too many attempts".into(),
        status: 429,
        detail: format!("too many wrong passwords; try again in {secs} s"),
        errors: None,
    });
    if let Ok(v) = actix_web::http::header::HeaderValue::from_str(&secs.to_string()) {
        res.headers_mut().insert(actix_web::http::header::RETRY_AFTER, v);
    }
    res
}

fn wrong_credentials() -> HttpResponse {
    crate::auth::unauthorized(WRONG_CREDENTIALS)
}

/// What a sign-in attempt came to, decided on the blocking pool.
enum Outcome {
    SignedIn(AdminPrincipal, String),
    Wrong,
}

/// Sign in
///
/// Signs an administrator in to the web app: sets an HttpOnly, SameSite=Strict session cookie
/// and answers who signed in, with the CSRF token to send in `X-CSRF-Token`. An unknown login
/// and a wrong password answer alike; wrong passwords slow further attempts, and lock the
/// account after several in a row.
#[utoipa::path(
    operation_id = "signIn",
    tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in", body = Me, headers(("Set-Cookie" = String, description = "The session cookie"))),
        (status = 401, description = "Wrong login or password", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Malformed body", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many wrong passwords", body = Problem, content_type = "application/problem+json",
         headers(("Retry-After" = u64, description = "Seconds to wait"))),
    ),
    security(())
)]
#[post("/auth/login")]
pub async fn sign_in(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: crate::body::JsonObject<LoginRequest>,
) -> ApiResult<HttpResponse> {
    let LoginRequest { login, password } = body.into_inner();
    let (ip_text, user_agent) = request_origin(&req);
    let ip = req.peer_addr().map(|a| a.ip());
    let login_key = login.trim().to_lowercase();
    let wait = ip
        .map(|ip| state.auth.ip_throttle.wait(&ip))
        .unwrap_or_default()
        .max(state.auth.login_throttle.wait(&login_key));
    if !wait.is_zero() {
        return Ok(too_many(wait));
    }
    let auth = state.auth.clone();
    let settings = auth.settings.clone();
    let secure = req.connection_info().scheme() == "https";
    let outcome = db(&state, move |conn| {
        let now = Utc::now();
        let row = access::admin_by_login(conn, &login)?;
        let failure_event = |row: Option<&AdminRow>, description: &str| {
            let mut e = NewEvent::new(now, EventType::Login, false);
            e.entered_login = Some(login.clone());
            e.user_id = row.map(|r| r.login.clone());
            e.admin_type = row.map(|r| r.role.clone());
            e.ip = ip_text.clone();
            e.user_agent = user_agent.clone();
            e.description = Some(description.to_owned());
            e
        };
        // Who tried is not known until the password matches: the entered login, as given.
        let failure_audit = |reason: &str| {
            audit::Entry::anonymous("sign_in_failed", ip_text.clone())
                .with_actor(audit::ActorKind::Anonymous, Some(login.clone()))
                .with_target(format!("admin:{login}"))
                .with_details(serde_json::json!({ "reason": reason }))
        };
        let Some(row) = row else {
            password::verify_dummy(&password);
            confreports_store::conn::write_transaction(conn, |conn| {
                events::insert(conn, &[failure_event(None, "unknown login")])?;
                audit::append(conn, &failure_audit("unknown login"))
            })?;
            return Ok(Outcome::Wrong);
        };
        let locked = row.locked_until.is_some_and(|until| until > now.naive_utc());
        let password_ok = password::verify(&password, &row.password_hash);
        if locked {
            confreports_store::conn::write_transaction(conn, |conn| {
                events::insert(conn, &[failure_event(Some(&row), "account locked")])?;
                audit::append(conn, &failure_audit("account locked"))
            })?;
            return Ok(Outcome::Wrong);
        }
        if !password_ok {
            confreports_store::conn::write_transaction(conn, |conn| {
                let lock_until = to_db_time(now + Duration::minutes(settings.lock_minutes));
                let now_locked =
                    access::record_failed_login(conn, row.id, to_db_time(now), settings.lock_after, lock_until)?;
                let mut evs = vec![failure_event(Some(&row), WRONG_CREDENTIALS)];
                if now_locked {
                    let mut lock = failure_event(Some(&row), "");
                    lock.event_type = EventType::Lock;
                    lock.success = true;
                    lock.description = Some(format!(
                        "locked for {} minutes after {} wrong passwords",
                        settings.lock_minutes, settings.lock_after
                    ));
                    evs.push(lock);
                }
                events::insert(conn, &evs)?;
                let reason = if now_locked { "wrong password; account locked" } else { "wrong password" };
                audit::append(conn, &failure_audit(reason))
            })?;
            return Ok(Outcome::Wrong);
        }
        let token = random_token(32);
        let hash = sha256_b64(&token);
        confreports_store::conn::write_transaction(conn, |conn| {
            access::record_successful_login(conn, row.id)?;
            access::create_session(
                conn,
                &hash,
                row.id,
                to_db_time(now),
                to_db_time(now + Duration::hours(settings.session_hours)),
                ip_text.as_deref(),
                user_agent.as_deref(),
            )?;
            let mut e = NewEvent::new(now, EventType::Login, true);
            e.user_id = Some(row.login.clone());
            e.entered_login = Some(login.clone());
            e.admin_type = Some(row.role.clone());
            e.auth_method = Some("password".into());
            e.ip = ip_text.clone();
            e.user_agent = user_agent.clone();
            e.description = Some("administrator signed in to the web app".into());
            events::insert(conn, &[e])?;
            let entry = audit::Entry::anonymous("sign_in", ip_text.clone())
                .with_actor(audit::ActorKind::Admin, Some(row.login.clone()))
                .with_target(format!("admin:{}", row.login))
                .with_details(serde_json::json!({ "role": row.role, "method": "password" }));
            audit::append(conn, &entry)
        })?;
        let csrf = csrf_token_for(&token);
        Ok(Outcome::SignedIn(admin_principal(row, hash, csrf), token))
    })
    .await?;
    match outcome {
        Outcome::SignedIn(admin, token) => {
            if let Some(ip) = ip {
                auth.ip_throttle.succeeded(&ip);
            }
            auth.login_throttle.succeeded(&login_key);
            let cookie = Cookie::build(SESSION_COOKIE, token)
                .path("/")
                .http_only(true)
                .secure(secure)
                .same_site(SameSite::Strict)
                .max_age(actix_web::cookie::time::Duration::hours(settings.session_hours))
                .finish();
            Ok(HttpResponse::Ok().cookie(cookie).json(me(&admin)))
        }
        Outcome::Wrong => {
            if let Some(ip) = ip {
                auth.ip_throttle.failed(&ip);
            }
            auth.login_throttle.failed(&login_key);
            Ok(wrong_credentials())
        }
    }
}

/// Sign out
///
/// Ends the session of the signed-in administrator.
#[utoipa::path(
    operation_id = "signOut",
    tag = "auth",
    responses(
        (status = 204, description = "Signed out; the session cookie is cleared"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Missing CSRF token, or not an administrator", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/auth/logout")]
pub async fn sign_out(state: web::Data<AppState>, req: HttpRequest, principal: Principal) -> ApiResult<HttpResponse> {
    let Principal::Admin(admin) = principal else {
        return Err(ApiError::Internal("policy lets only administrators sign out".into()));
    };
    let (ip, user_agent) = request_origin(&req);
    db(&state, move |conn| {
        confreports_store::conn::write_transaction(conn, |conn| {
            access::delete_session(conn, &admin.session_hash)?;
            let mut e = NewEvent::new(Utc::now(), EventType::Logout, true);
            e.user_id = Some(admin.login.clone());
            e.entered_login = Some(admin.login.clone());
            e.admin_type = Some(admin.role.as_str().to_owned());
            let e_ip = ip.clone();
            e.ip = ip;
            e.user_agent = user_agent;
            e.description = Some("administrator signed out of the web app".into());
            events::insert(conn, &[e])?;
            let entry = audit::Entry::anonymous("sign_out", e_ip)
                .with_actor(audit::ActorKind::Admin, Some(admin.login.clone()))
                .with_target(format!("admin:{}", admin.login));
            audit::append(conn, &entry)
        })?;
        Ok(())
    })
    .await?;
    let mut removal = Cookie::build(SESSION_COOKIE, "").path("/").finish();
    removal.make_removal();
    Ok(HttpResponse::NoContent().cookie(removal).finish())
}

/// The signed-in administrator
///
/// Login, role, preferences and the CSRF token of the session.
#[utoipa::path(
    operation_id = "getMe",
    tag = "auth",
    responses(
        (status = 200, description = "The signed-in administrator", body = Me),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/auth/me")]
pub async fn get_me(principal: Principal) -> ApiResult<web::Json<Me>> {
    match principal {
        Principal::Admin(a) => Ok(web::Json(me(&a))),
        Principal::App(_) => Err(ApiError::Internal("policy lets only administrators read /auth/me".into())),
    }
}

/// Update preferences
///
/// Time zone (IANA), CSV delimiter, BOM and date format: the defaults of every `tz` and export.
#[utoipa::path(
    operation_id = "updatePreferences",
    tag = "auth",
    request_body = Preferences,
    responses(
        (status = 200, description = "The administrator with the new preferences", body = Me),
        (status = 400, description = "Unknown time zone", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Missing CSRF token", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Malformed body", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/auth/me/preferences")]
pub async fn update_preferences(
    state: web::Data<AppState>,
    req: HttpRequest,
    principal: Principal,
    body: crate::body::JsonObject<Preferences>,
) -> ApiResult<web::Json<Me>> {
    let principal_actor = principal.actor(&req);
    let Principal::Admin(mut admin) = principal else {
        return Err(ApiError::Internal("policy lets only administrators set preferences".into()));
    };
    let prefs = body.into_inner();
    if prefs.time_zone.parse::<Tz>().is_err() {
        return Err(ApiError::bad_parameter(
            "time_zone",
            format!("unknown time zone `{}`; use an IANA name such as Europe/Moscow", prefs.time_zone),
        ));
    }
    let id = admin.id;
    let stored = prefs.clone();
    let entry = audit::Entry::by(&principal_actor, "preferences_changed")
        .with_target(format!("admin:{}", admin.login))
        .with_details(serde_json::to_value(&prefs).unwrap_or_default());
    db(&state, move |conn| {
        confreports_store::conn::write_transaction(conn, |conn| {
            access::set_preferences(
                conn,
                id,
                &stored.time_zone,
                stored.csv_delimiter.as_str(),
                stored.csv_bom,
                stored.date_format.as_str(),
                to_db_time(Utc::now()),
            )?;
            audit::append(conn, &entry)
        })?;
        Ok(())
    })
    .await?;
    admin.preferences = prefs;
    Ok(web::Json(me(&admin)))
}

/// Records `unlock` events for accounts whose lock expired; run periodically.
pub fn unlock_expired(conn: &mut confreports_store::DbConnection) -> diesel::QueryResult<usize> {
    let now = Utc::now();
    confreports_store::conn::write_transaction(conn, |conn| {
        let cleared = access::clear_expired_locks(conn, to_db_time(now))?;
        let evs: Vec<NewEvent> = cleared
            .iter()
            .map(|row| {
                let mut e = NewEvent::new(now, EventType::Unlock, true);
                e.user_id = Some(row.login.clone());
                e.admin_type = Some(row.role.clone());
                e.description = Some("lock expired".into());
                e
            })
            .collect();
        events::insert(conn, &evs)?;
        Ok(cleared.len())
    })
}
