//! Administrators of the web app: managing their accounts (`/api/v1/admins`, sysadmins only,
//! and `confreports admin ...`, which share the functions here).
//!
//! Passwords are checked by [`password::check_new`] and kept as argon2id hashes; no answer
//! ever carries a hash or a password. Every change is recorded as an event in the transaction
//! that makes it.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, delete, get, post, put, web};
use chrono::Utc;
use confreports_store::DbConnection;
use confreports_store::access::{self, AdminRow};
use confreports_store::audit;
use confreports_store::events::{self, NewEvent};
use confreports_store::report::{from_db_time, to_db_time};
use confreports_types::{AdminAccount, EventType, FieldError, NewAdmin, NewAdminPassword, Problem, Role};

use crate::auth::apps::Origin;
use crate::auth::{Principal, password};
use crate::error::{ApiResult, problem_response};
use crate::report::db;
use crate::state::AppState;

/// Longest login.
pub const MAX_LOGIN_CHARS: usize = 200;

/// Why managing an administrator failed.
#[derive(Debug, thiserror::Error)]
pub enum AdminsError {
    /// A field of the request is not acceptable.
    #[error("{message}")]
    Invalid { field: &'static str, message: String },
    #[error("no administrator `{0}`")]
    NotFound(String),
    /// The change is refused: a taken login, deleting oneself or the last sysadmin.
    #[error("{0}")]
    Conflict(String),
    #[error("hashing the password: {0}")]
    Hash(String),
    #[error("database: {0}")]
    Db(#[from] diesel::result::Error),
}

impl AdminsError {
    /// The HTTP answer: 422 naming the field, 404, 409; other failures are a 500.
    pub fn into_response(self) -> ApiResult<HttpResponse> {
        let detail = self.to_string();
        let (status, kind, title, errors) = match self {
            AdminsError::Invalid { field, message } => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid-body",
                "Invalid body",
                Some(vec![FieldError { field: field.to_owned(), message }]),
            ),
            AdminsError::NotFound(_) => (StatusCode::NOT_FOUND, "not-found", "Not found", None),
            AdminsError::Conflict(_) => (StatusCode::CONFLICT, "conflict", "Conflict", None),
            AdminsError::Hash(e) => return Err(crate::error::ApiError::Internal(e)),
            AdminsError::Db(e) => return Err(crate::error::ApiError::from(e)),
        };
        Ok(problem_response(&Problem {
            kind: format!("https://confreports.dev/problems/{kind}"),
            title: title.to_owned(),
            status: status.as_u16(),
            detail,
            errors,
        }))
    }
}

pub fn to_dto(row: &AdminRow) -> AdminAccount {
    let now = Utc::now().naive_utc();
    let locked_until = row.locked_until.filter(|u| *u > now);
    AdminAccount {
        login: row.login.clone(),
        role: Role::parse(&row.role).unwrap_or(Role::Security),
        locked: locked_until.is_some(),
        locked_until: locked_until.map(from_db_time),
        created_at: from_db_time(row.created_at),
        updated_at: from_db_time(row.updated_at),
    }
}

/// The event of a change to `target`: by an administrator through the API (who acted, and the
/// account in `details`), or on the command line (the account as the user).
fn event(origin: &Origin, event_type: EventType, target: &str, target_role: &str, description: String) -> NewEvent {
    let mut e = origin.new_event(event_type, target, Some(target_role));
    e.description = Some(description);
    e.details = Some(serde_json::json!({"admin": {"login": target, "role": target_role}}));
    e
}

fn check_login(login: &str) -> Result<(), AdminsError> {
    let invalid = |message: &str| Err(AdminsError::Invalid { field: "login", message: message.into() });
    if login.trim().is_empty() {
        return invalid("the login must not be empty");
    }
    if login.chars().count() > MAX_LOGIN_CHARS {
        return invalid("the login has more than 200 characters");
    }
    if login.trim() != login || login.chars().any(|c| c.is_control() || c == '/') {
        return invalid("the login must not start or end with spaces, nor contain `/` or control characters");
    }
    Ok(())
}

fn hashed(new_password: &str) -> Result<String, AdminsError> {
    password::check_new(new_password).map_err(|message| AdminsError::Invalid { field: "password", message })?;
    password::hash(new_password).map_err(|e| AdminsError::Hash(e.to_string()))
}

fn admin_entry(origin: &Origin, action: &str, login: &str, role: &str) -> audit::Entry {
    origin
        .audit(action)
        .with_target(format!("admin:{login}"))
        .with_details(serde_json::json!({ "login": login, "role": role }))
}

/// Every administrator, by login.
pub fn list(conn: &mut DbConnection) -> Result<Vec<AdminAccount>, AdminsError> {
    Ok(access::list_admins(conn)?.iter().map(to_dto).collect())
}

/// Creates an administrator and records an `activation` event, in one transaction.
pub fn create(conn: &mut DbConnection, new: &NewAdmin, origin: &Origin) -> Result<AdminAccount, AdminsError> {
    check_login(&new.login)?;
    let role = Role::parse(&new.role).ok_or_else(|| AdminsError::Invalid {
        field: "role",
        message: "the role must be sysadmin or security".into(),
    })?;
    let hash = hashed(&new.password)?;
    let taken = || AdminsError::Conflict(format!("the login `{}` is taken", new.login));
    if access::admin_by_login(conn, &new.login)?.is_some() {
        return Err(taken());
    }
    let row = confreports_store::conn::write_transaction(conn, |conn| {
        access::create_admin(conn, &new.login, role.as_str(), &hash, to_db_time(Utc::now()))?;
        let description = format!("administrator account `{}` created (role {})", new.login, role.as_str());
        events::insert(conn, &[event(origin, EventType::Activation, &new.login, role.as_str(), description)])?;
        audit::append(conn, &admin_entry(origin, "admin_created", &new.login, role.as_str()))?;
        access::admin_by_login(conn, &new.login)?.ok_or(diesel::result::Error::NotFound)
    })
    .map_err(|e| match e {
        diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _) => taken(),
        e => AdminsError::Db(e),
    })?;
    Ok(to_dto(&row))
}

/// Sets an administrator's password, clears any lock, ends their sessions and records a
/// `status` event.
pub fn set_password(
    conn: &mut DbConnection,
    login: &str,
    new_password: &str,
    origin: &Origin,
) -> Result<(), AdminsError> {
    let hash = hashed(new_password)?;
    confreports_store::conn::write_transaction(conn, |conn| {
        let admin = access::admin_by_login(conn, login)?.ok_or_else(|| AdminsError::NotFound(login.to_owned()))?;
        access::set_password(conn, login, &hash, to_db_time(Utc::now()))?;
        access::delete_sessions_of(conn, admin.id)?;
        let description = format!("password of administrator `{login}` changed; their sessions are ended");
        events::insert(conn, &[event(origin, EventType::Status, login, &admin.role, description)])?;
        audit::append(conn, &admin_entry(origin, "admin_password_changed", login, &admin.role))?;
        Ok(())
    })
}

/// Unlocks an account locked after wrong passwords; records an `unlock` event when it was
/// locked. Returns whether it was.
pub fn unlock(conn: &mut DbConnection, login: &str, origin: &Origin) -> Result<bool, AdminsError> {
    confreports_store::conn::write_transaction(conn, |conn| {
        let admin = access::admin_by_login(conn, login)?.ok_or_else(|| AdminsError::NotFound(login.to_owned()))?;
        let unlocked = access::unlock_admin(conn, login)?;
        if unlocked {
            let by = match origin {
                Origin::Api(_) => "unlocked by a sysadmin",
                Origin::CommandLine => "unlocked by a sysadmin (command line)",
            };
            events::insert(conn, &[event(origin, EventType::Unlock, login, &admin.role, format!("`{login}` {by}"))])?;
            audit::append(conn, &admin_entry(origin, "admin_unlocked", login, &admin.role))?;
        }
        Ok(unlocked)
    })
}

/// Deletes an administrator and their sessions and records a `deactivation` event. Refuses
/// deleting `acting_login` (oneself) and the last sysadmin.
pub fn delete_admin(
    conn: &mut DbConnection,
    login: &str,
    acting_login: Option<&str>,
    origin: &Origin,
) -> Result<(), AdminsError> {
    if acting_login == Some(login) {
        return Err(AdminsError::Conflict("you cannot delete your own account; ask another sysadmin to do it".into()));
    }
    confreports_store::conn::write_transaction(conn, |conn| {
        let admin = access::admin_by_login(conn, login)?.ok_or_else(|| AdminsError::NotFound(login.to_owned()))?;
        if admin.role == Role::Sysadmin.as_str() && access::sysadmin_count(conn)? <= 1 {
            return Err(AdminsError::Conflict(format!(
                "`{login}` is the last sysadmin; create another sysadmin before deleting this one"
            )));
        }
        access::delete_admin(conn, admin.id)?;
        let description =
            format!("administrator account `{login}` deleted (role {}); its sessions are ended", admin.role);
        events::insert(conn, &[event(origin, EventType::Deactivation, login, &admin.role, description)])?;
        audit::append(conn, &admin_entry(origin, "admin_deleted", login, &admin.role))?;
        Ok(())
    })
}

fn acting_login(principal: &Principal) -> Option<String> {
    match principal {
        Principal::Admin(a) => Some(a.login.clone()),
        Principal::App(_) => None,
    }
}

/// List administrators
///
/// Every administrator of the web app, by login, with role and lock state. Password hashes
/// are never shown.
#[utoipa::path(
    operation_id = "listAdmins",
    tag = "admins",
    responses(
        (status = 200, description = "The administrators", body = Vec<AdminAccount>,
         example = json!([{
             "login": "auditor", "role": "security", "locked": false, "locked_until": null,
             "created_at": "2026-11-24T20:07:00Z", "updated_at": "2026-11-24T20:07:00Z"
         }])),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a sysadmin, or an OAuth application", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/admins")]
pub async fn list_admins(state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    match db(&state, |conn| Ok(list(conn))).await? {
        Ok(admins) => Ok(HttpResponse::Ok().json(admins)),
        Err(e) => e.into_response(),
    }
}

/// Create an administrator
///
/// Creates an administrator with a role and a password of at least 12 characters (kept as an
/// argon2id hash, never shown). Records an `activation` event.
#[utoipa::path(
    operation_id = "createAdmin",
    tag = "admins",
    request_body = NewAdmin,
    responses(
        (status = 201, description = "Created", body = AdminAccount,
         example = json!({
             "login": "auditor", "role": "security", "locked": false, "locked_until": null,
             "created_at": "2026-11-24T20:07:00Z", "updated_at": "2026-11-24T20:07:00Z"
         })),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a sysadmin, an OAuth application, or no CSRF token", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The login is taken", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Malformed body, bad login, unknown role or a password under 12 characters (`errors` names the field)",
         body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/admins")]
pub async fn create_admin(
    state: web::Data<AppState>,
    req: HttpRequest,
    principal: Principal,
    body: web::Json<NewAdmin>,
) -> ApiResult<HttpResponse> {
    let new = body.into_inner();
    let origin = Origin::Api(principal.actor(&req));
    match db(&state, move |conn| Ok(create(conn, &new, &origin))).await? {
        Ok(created) => Ok(HttpResponse::Created().json(created)),
        Err(e) => e.into_response(),
    }
}

/// Set an administrator's password
///
/// Sets a new password (at least 12 characters), clears any lock and ends every session of
/// that administrator. Records a `status` event.
#[utoipa::path(
    operation_id = "setAdminPassword",
    tag = "admins",
    params(("login" = String, Path, description = "The administrator's login", example = "auditor")),
    request_body = NewAdminPassword,
    responses(
        (status = 204, description = "Changed; the administrator's sessions are ended"),
        (status = 400, description = "The login is not a valid path segment", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a sysadmin, an OAuth application, or no CSRF token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such administrator", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Malformed body or a password under 12 characters (`errors` names `password`)",
         body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/admins/{login}/password")]
pub async fn set_admin_password(
    state: web::Data<AppState>,
    req: HttpRequest,
    principal: Principal,
    login: web::Path<String>,
    body: web::Json<NewAdminPassword>,
) -> ApiResult<HttpResponse> {
    let login = login.into_inner();
    let new = body.into_inner();
    let origin = Origin::Api(principal.actor(&req));
    match db(&state, move |conn| Ok(set_password(conn, &login, &new.password, &origin))).await? {
        Ok(()) => Ok(HttpResponse::NoContent().finish()),
        Err(e) => e.into_response(),
    }
}

/// Unlock an administrator
///
/// Unlocks an account locked after wrong passwords. Records an `unlock` event when it was
/// locked; unlocking an unlocked account does nothing.
#[utoipa::path(
    operation_id = "unlockAdmin",
    tag = "admins",
    params(("login" = String, Path, description = "The administrator's login", example = "auditor")),
    responses(
        (status = 204, description = "Unlocked (or was not locked)"),
        (status = 400, description = "The login is not a valid path segment", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a sysadmin, an OAuth application, or no CSRF token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such administrator", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/admins/{login}/unlock")]
pub async fn unlock_admin(
    state: web::Data<AppState>,
    req: HttpRequest,
    principal: Principal,
    login: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let login = login.into_inner();
    let origin = Origin::Api(principal.actor(&req));
    match db(&state, move |conn| Ok(unlock(conn, &login, &origin))).await? {
        Ok(_) => Ok(HttpResponse::NoContent().finish()),
        Err(e) => e.into_response(),
    }
}

/// Delete an administrator
///
/// Deletes the account and ends its sessions. Deleting your own account or the last sysadmin
/// is refused. Records a `deactivation` event.
#[utoipa::path(
    operation_id = "deleteAdmin",
    tag = "admins",
    params(("login" = String, Path, description = "The administrator's login", example = "auditor")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, description = "The login is not a valid path segment", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a sysadmin, an OAuth application, or no CSRF token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such administrator", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Your own account, or the last sysadmin", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/admins/{login}")]
pub async fn delete_admin_account(
    state: web::Data<AppState>,
    req: HttpRequest,
    principal: Principal,
    login: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let login = login.into_inner();
    let acting = acting_login(&principal);
    let origin = Origin::Api(principal.actor(&req));
    match db(&state, move |conn| Ok(delete_admin(conn, &login, acting.as_deref(), &origin))).await? {
        Ok(()) => Ok(HttpResponse::NoContent().finish()),
        Err(e) => e.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logins_are_checked() {
        assert!(check_login("auditor").is_ok());
        for bad in ["", "  ", " padded", "a/b", "tab\there"] {
            assert!(matches!(check_login(bad), Err(AdminsError::Invalid { field: "login", .. })), "{bad:?}");
        }
        assert!(matches!(hashed("short"), Err(AdminsError::Invalid { field: "password", .. })));
    }
}
