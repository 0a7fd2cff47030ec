//! OAuth applications: their secrets, and managing them (`/api/v1/oauth-apps`, sysadmins only,
//! and `confreports app ...`, which share the functions here).
//!
//! A client id is `app_` and 12 random bytes (base64url); a secret is 32 random bytes
//! (base64url, 256 bits), shown once. Only `sha256$<base64url SHA-256 of the secret>` is kept:
//! a secret of that strength needs no slow hash, and it is compared in constant time.
//! Every change is recorded as an event in the transaction that makes it.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, delete, get, post, web};
use chrono::Utc;
use confreports_store::access::{self, AppRow};
use confreports_store::audit;
use confreports_store::events::{self, NewEvent};
use confreports_store::report::{from_db_time, to_db_time};
use confreports_store::{Actor, DbConnection};
use confreports_types::{EventType, FieldError, NewOAuthApp, OAuthApp, OAuthAppSecret, Problem, Scope};
use subtle::ConstantTimeEq as _;

use crate::auth::{Principal, random_token, sha256_b64};
use crate::error::{ApiError, ApiResult, path_id, problem_response};
use crate::report::db;
use crate::state::AppState;

/// Prefix of the stored form of a secret.
pub const SECRET_HASH_PREFIX: &str = "sha256$";
/// Longest application name.
pub const MAX_NAME_CHARS: usize = 200;

/// A new client id: `app_` and 12 random bytes, base64url.
pub fn new_client_id() -> String {
    format!("app_{}", random_token(12))
}

/// A new client secret: 32 random bytes, base64url.
pub fn new_secret() -> String {
    random_token(32)
}

/// What is stored of a secret: `sha256$<base64url digest>`.
pub fn hash_secret(secret: &str) -> String {
    format!("{SECRET_HASH_PREFIX}{}", sha256_b64(secret))
}

/// Whether `secret` is the one `stored` was made from; constant time in the secret.
pub fn verify_secret(secret: &str, stored: &str) -> bool {
    let computed = hash_secret(secret);
    stored.starts_with(SECRET_HASH_PREFIX) && bool::from(computed.as_bytes().ct_eq(stored.as_bytes()))
}

/// Checks a client's credentials against its row: the right secret of an active application.
/// An unknown client (`None`) costs the same hashing and fails like a wrong secret.
pub fn client_authenticates(row: Option<&AppRow>, secret: &str) -> bool {
    match row {
        Some(app) => {
            let secret_ok = verify_secret(secret, &app.secret_hash);
            secret_ok && app.active
        }
        None => {
            // Same work as a known client, then fail.
            let _ = verify_secret(secret, "sha256$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
            false
        }
    }
}

/// The scopes an application row holds (stored space-separated; unknown names are skipped).
pub fn row_scopes(row: &AppRow) -> Vec<Scope> {
    row.scopes.split_whitespace().filter_map(Scope::parse).collect()
}

pub fn to_dto(row: &AppRow) -> OAuthApp {
    OAuthApp {
        id: row.id,
        client_id: row.client_id.clone(),
        name: row.name.clone(),
        scopes: row_scopes(row),
        active: row.active,
        created_at: from_db_time(row.created_at),
        revoked_at: row.revoked_at.map(from_db_time),
    }
}

/// Why managing an application failed.
#[derive(Debug, thiserror::Error)]
pub enum AppsError {
    /// A field of the request is not acceptable.
    #[error("{message}")]
    Invalid { field: &'static str, message: String },
    #[error("no OAuth application with id {0}")]
    NotFound(i64),
    /// The application is revoked: its secret cannot be rotated.
    #[error("OAuth application {0} is revoked; create a new one instead")]
    Revoked(i64),
    #[error("database: {0}")]
    Db(#[from] diesel::result::Error),
}

impl AppsError {
    /// The HTTP answer: 422 naming the field, 404, 409; database errors go through [`ApiError`].
    pub fn into_response(self) -> ApiResult<HttpResponse> {
        let detail = self.to_string();
        let (status, kind, title, errors) = match self {
            AppsError::Invalid { field, message } => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid-body",
                "Invalid body",
                Some(vec![FieldError { field: field.to_owned(), message }]),
            ),
            AppsError::NotFound(_) => (StatusCode::NOT_FOUND, "not-found", "Not found", None),
            AppsError::Revoked(_) => (StatusCode::CONFLICT, "conflict", "Conflict", None),
            AppsError::Db(e) => return Err(ApiError::from(e)),
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

/// Who manages applications: an administrator through the API, or the command line.
#[derive(Debug, Clone)]
pub enum Origin {
    Api(Actor),
    CommandLine,
}

impl Origin {
    /// The audit trail entry of `action` by this origin.
    pub fn audit(&self, action: &str) -> audit::Entry {
        match self {
            Origin::Api(actor) => audit::Entry::by(actor, action),
            Origin::CommandLine => {
                audit::Entry::system(action).with_actor(audit::ActorKind::System, Some("command line".into()))
            }
        }
    }

    /// The event of a change made from this origin: the acting administrator or application
    /// through the API; on the command line, `cli_user` (and `cli_role`) as the user.
    pub fn new_event(&self, event_type: EventType, cli_user: &str, cli_role: Option<&str>) -> NewEvent {
        match self {
            Origin::Api(actor) => NewEvent::action(event_type, true, actor),
            Origin::CommandLine => {
                let mut e = NewEvent::new(Utc::now(), event_type, true);
                e.user_id = Some(cli_user.to_owned());
                e.admin_type = cli_role.map(str::to_owned);
                e.auth_method = Some("cli".into());
                e
            }
        }
    }

    fn event(&self, event_type: EventType, description: String, app: &AppRow) -> NewEvent {
        let mut e = self.new_event(event_type, "command line", None);
        e.description = Some(description);
        e.details = Some(serde_json::json!({
            "oauth_app": {
                "id": app.id,
                "client_id": app.client_id,
                "name": app.name,
                "scopes": row_scopes(app),
            }
        }));
        e
    }
}

fn app_entry(origin: &Origin, action: &str, app: &AppRow) -> audit::Entry {
    origin.audit(action).with_target(format!("app:{}", app.client_id)).with_details(serde_json::json!({
        "id": app.id,
        "client_id": app.client_id,
        "name": app.name,
        "scopes": row_scopes(app),
    }))
}

/// Checks a new application's name and scopes; returns the trimmed name and the scopes
/// without repeats, in the order given.
pub fn validate(new: &NewOAuthApp) -> Result<(String, Vec<Scope>), AppsError> {
    let name = new.name.trim();
    if name.is_empty() {
        return Err(AppsError::Invalid { field: "name", message: "the name must not be empty".into() });
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(AppsError::Invalid {
            field: "name",
            message: format!("the name has more than {MAX_NAME_CHARS} characters"),
        });
    }
    if name.chars().any(char::is_control) {
        return Err(AppsError::Invalid {
            field: "name",
            message: "the name must not contain control characters".into(),
        });
    }
    let mut scopes = Vec::new();
    for s in &new.scopes {
        if !scopes.contains(s) {
            scopes.push(*s);
        }
    }
    if scopes.is_empty() {
        return Err(AppsError::Invalid { field: "scopes", message: "grant at least one scope".into() });
    }
    Ok((name.to_owned(), scopes))
}

pub fn list(conn: &mut DbConnection) -> Result<Vec<OAuthApp>, AppsError> {
    Ok(access::list_apps(conn)?.iter().map(to_dto).collect())
}

/// Creates an application and records an `activation` event, in one transaction.
pub fn create(conn: &mut DbConnection, new: &NewOAuthApp, origin: &Origin) -> Result<OAuthAppSecret, AppsError> {
    let (name, scopes) = validate(new)?;
    let secret = new_secret();
    let row = confreports_store::conn::write_transaction(conn, |conn| {
        let row = access::create_app(
            conn,
            &new_client_id(),
            &name,
            &hash_secret(&secret),
            &Scope::join(&scopes),
            to_db_time(Utc::now()),
        )?;
        let description = format!(
            "OAuth application `{}` created (client id {}, scopes {})",
            row.name,
            row.client_id,
            Scope::join(&scopes)
        );
        events::insert(conn, &[origin.event(EventType::Activation, description, &row)])?;
        audit::append(conn, &app_entry(origin, "app_created", &row))?;
        Ok::<_, AppsError>(row)
    })?;
    Ok(OAuthAppSecret { app: to_dto(&row), client_secret: secret })
}

/// Revokes (deactivates) an application: its secret and every token it holds stop working at
/// once. Records a `deactivation` event when it was active; revoking a revoked application
/// changes nothing.
pub fn revoke(conn: &mut DbConnection, id: i64, origin: &Origin) -> Result<OAuthApp, AppsError> {
    confreports_store::conn::write_transaction(conn, |conn| {
        let row = access::app_by_id(conn, id)?.ok_or(AppsError::NotFound(id))?;
        if access::revoke_app(conn, id, to_db_time(Utc::now()))? {
            let description = format!(
                "OAuth application `{}` revoked (client id {}); its tokens no longer work",
                row.name, row.client_id
            );
            events::insert(conn, &[origin.event(EventType::Deactivation, description, &row)])?;
            audit::append(conn, &app_entry(origin, "app_deleted", &row))?;
        }
        let row = access::app_by_id(conn, id)?.ok_or(AppsError::NotFound(id))?;
        Ok(to_dto(&row))
    })
}

/// Gives an active application a new secret (the old one stops working; tokens already issued
/// keep working until they expire) and records a `status` event.
pub fn rotate(conn: &mut DbConnection, id: i64, origin: &Origin) -> Result<OAuthAppSecret, AppsError> {
    let secret = new_secret();
    confreports_store::conn::write_transaction(conn, |conn| {
        let row = access::app_by_id(conn, id)?.ok_or(AppsError::NotFound(id))?;
        if !access::rotate_app_secret(conn, id, &hash_secret(&secret))? {
            return Err(AppsError::Revoked(id));
        }
        let description = format!(
            "secret of OAuth application `{}` (client id {}) rotated; the old secret no longer works",
            row.name, row.client_id
        );
        events::insert(conn, &[origin.event(EventType::Status, description, &row)])?;
        audit::append(conn, &app_entry(origin, "app_secret_rotated", &row))?;
        Ok(OAuthAppSecret { app: to_dto(&row), client_secret: secret.clone() })
    })
}

/// List OAuth applications
///
/// Every application, active or revoked, oldest first. Secrets are never shown again.
#[utoipa::path(
    operation_id = "listOAuthApps",
    tag = "oauth-apps",
    responses(
        (status = 200, description = "The applications", body = Vec<OAuthApp>,
         example = json!([{
             "id": 1, "client_id": "app_3q2-7wEe1vXc0gFh", "name": "SIEM export", "scopes": ["events:read"],
             "active": true, "created_at": "2026-11-24T20:07:00Z", "revoked_at": null
         }])),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a sysadmin, or an OAuth application", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/oauth-apps")]
pub async fn list_oauth_apps(state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    match db(&state, |conn| Ok(list(conn))).await? {
        Ok(apps) => Ok(HttpResponse::Ok().json(apps)),
        Err(e) => e.into_response(),
    }
}

/// Create an OAuth application
///
/// Creates an application with the granted scopes and answers its client id and secret. The
/// secret is shown this once: only its hash is kept. Records an `activation` event.
#[utoipa::path(
    operation_id = "createOAuthApp",
    tag = "oauth-apps",
    request_body = NewOAuthApp,
    responses(
        (status = 201, description = "Created; the secret is shown this once", body = OAuthAppSecret,
         example = json!({
             "id": 1, "client_id": "app_3q2-7wEe1vXc0gFh", "name": "SIEM export", "scopes": ["events:read"],
             "active": true, "created_at": "2026-11-24T20:07:00Z", "revoked_at": null,
             "client_secret": "q0N3dV8sWb2m1yJ4kX9zR5tU7hE6pA0cL3iG8fD2oKs"
         })),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a sysadmin, an OAuth application, or no CSRF token", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Malformed body, unknown scope, empty name or no scope (`errors` names the field)",
         body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/oauth-apps")]
pub async fn create_oauth_app(
    state: web::Data<AppState>,
    req: HttpRequest,
    principal: Principal,
    body: crate::body::JsonObject<NewOAuthApp>,
) -> ApiResult<HttpResponse> {
    let new = body.into_inner();
    let origin = Origin::Api(principal.actor(&req));
    match db(&state, move |conn| Ok(create(conn, &new, &origin))).await? {
        Ok(created) => Ok(HttpResponse::Created().insert_header(("Cache-Control", "no-store")).json(created)),
        Err(e) => e.into_response(),
    }
}

/// Revoke an OAuth application
///
/// Deactivates the application: its secret and every access token it holds stop working at
/// once. Records a `deactivation` event. Revoking a revoked application does nothing.
#[utoipa::path(
    operation_id = "revokeOAuthApp",
    tag = "oauth-apps",
    params(("id" = i64, Path, description = "Application id (not the client id)", example = 1)),
    responses(
        (status = 204, description = "Revoked"),
        (status = 400, description = "The id is not a number", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a sysadmin, an OAuth application, or no CSRF token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such application", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/oauth-apps/{id}")]
pub async fn revoke_oauth_app(
    state: web::Data<AppState>,
    req: HttpRequest,
    principal: Principal,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = path_id("application", &id)?;
    let origin = Origin::Api(principal.actor(&req));
    match db(&state, move |conn| Ok(revoke(conn, id, &origin))).await? {
        Ok(_) => Ok(HttpResponse::NoContent().finish()),
        Err(e) => e.into_response(),
    }
}

/// Rotate an OAuth application's secret
///
/// Gives the application a new secret, shown this once; the old secret stops working at once
/// (tokens already issued stay valid until they expire). Records a `status` event.
#[utoipa::path(
    operation_id = "rotateOAuthAppSecret",
    tag = "oauth-apps",
    params(("id" = i64, Path, description = "Application id (not the client id)", example = 1)),
    responses(
        (status = 200, description = "The new secret, shown this once", body = OAuthAppSecret,
         example = json!({
             "id": 1, "client_id": "app_3q2-7wEe1vXc0gFh", "name": "SIEM export", "scopes": ["events:read"],
             "active": true, "created_at": "2026-11-24T20:07:00Z", "revoked_at": null,
             "client_secret": "Xb7mE2kP9sQ4vT1wY6zA3cF8hJ0nL5rU2gD7iK4oMq"
         })),
        (status = 400, description = "The id is not a number", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a sysadmin, an OAuth application, or no CSRF token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such application", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The application is revoked", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/oauth-apps/{id}/secret")]
pub async fn rotate_oauth_app_secret(
    state: web::Data<AppState>,
    req: HttpRequest,
    principal: Principal,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = path_id("application", &id)?;
    let origin = Origin::Api(principal.actor(&req));
    match db(&state, move |conn| Ok(rotate(conn, id, &origin))).await? {
        Ok(rotated) => Ok(HttpResponse::Ok().insert_header(("Cache-Control", "no-store")).json(rotated)),
        Err(e) => e.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_verify_against_their_hash_only() {
        let secret = new_secret();
        assert_eq!(secret.len(), 43, "32 bytes base64url");
        let stored = hash_secret(&secret);
        assert!(stored.starts_with("sha256$"));
        assert!(verify_secret(&secret, &stored));
        assert!(!verify_secret(&new_secret(), &stored));
        assert!(!verify_secret(&secret, &sha256_b64(&secret)), "the bare digest is not the stored form");
        assert!(!verify_secret(&secret, ""));
    }

    #[test]
    fn client_ids_are_prefixed_and_random() {
        let a = new_client_id();
        assert!(a.starts_with("app_") && a.len() == 20, "{a}");
        assert_ne!(a, new_client_id());
    }

    #[test]
    fn validation_names_the_field() {
        let bad_name = NewOAuthApp { name: "  ".into(), scopes: vec![Scope::EventsRead] };
        assert!(matches!(validate(&bad_name), Err(AppsError::Invalid { field: "name", .. })));
        let no_scope = NewOAuthApp { name: "SIEM".into(), scopes: vec![] };
        assert!(matches!(validate(&no_scope), Err(AppsError::Invalid { field: "scopes", .. })));
        let twice = NewOAuthApp { name: " SIEM ".into(), scopes: vec![Scope::EventsRead, Scope::EventsRead] };
        let (name, scopes) = validate(&twice).expect("valid");
        assert_eq!((name.as_str(), scopes), ("SIEM", vec![Scope::EventsRead]));
    }
}
