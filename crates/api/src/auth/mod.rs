//! Authentication and authorisation.
//!
//! Two kinds of callers: administrators signed in to the web app (a session cookie, HttpOnly,
//! SameSite=Strict, with a CSRF token for every request that changes something) and OAuth
//! applications (RFC 9068 access tokens in `Authorization: Bearer`). One middleware, [`guard`],
//! authenticates every request and checks it against the one table of [`policy`]; handlers
//! then take a [`Principal`] to know who acts.

pub mod admins;
pub mod apps;
pub mod cache;
pub mod oauth;
pub mod password;
pub mod policy;
pub mod session;
pub mod throttle;
pub mod tokens;

use std::future::{Ready, ready};
use std::sync::Arc;

use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::{FromRequest, HttpMessage, HttpRequest, HttpResponse, web};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Utc;
use confreports_store::Actor;
use confreports_store::access::{self, AdminRow};
use confreports_types::{CsvDelimiter, DateFormat, Preferences, Problem, Role, Scope};
use rand::RngCore as _;
use sha2::Digest as _;

use crate::error::problem_response;
use crate::state::AppState;
use policy::Access;

/// Name of the web-app session cookie.
pub const SESSION_COOKIE: &str = "confreports_session";
/// Header that carries the CSRF token of a session.
pub const CSRF_HEADER: &str = "X-CSRF-Token";

/// How authentication behaves; defaults are production values.
#[derive(Debug, Clone)]
pub struct AuthSettings {
    /// Consecutive wrong passwords that lock an administrator account.
    pub lock_after: i32,
    pub lock_minutes: i64,
    /// Growing delay after a wrong password, per account and per IP: base, doubled each time.
    pub throttle_base_ms: u64,
    pub throttle_cap_ms: u64,
    /// Wrong passwords from one IP address before its attempts are delayed.
    pub ip_grace_failures: u32,
    pub session_hours: i64,
    pub token_issuer: String,
    pub token_audience: String,
    pub token_ttl_seconds: i64,
    /// Failed client authentications per client and per IP per minute before 429.
    pub client_failures_per_minute: u32,
    /// How long an authenticated caller is remembered ([`cache`]); zero: never.
    pub cache_ttl: std::time::Duration,
}

impl Default for AuthSettings {
    fn default() -> Self {
        AuthSettings {
            lock_after: 5,
            lock_minutes: 15,
            throttle_base_ms: 1000,
            throttle_cap_ms: 30_000,
            ip_grace_failures: 3,
            session_hours: 12,
            token_issuer: "confreports".into(),
            token_audience: "confreports-api".into(),
            token_ttl_seconds: 600,
            client_failures_per_minute: 10,
            cache_ttl: std::time::Duration::from_secs(2),
        }
    }
}

/// Authentication state shared by the workers.
pub struct Auth {
    pub settings: AuthSettings,
    pub keys: tokens::TokenKeys,
    /// Wrong passwords per IP address (after a few free ones).
    pub ip_throttle: throttle::Backoff<std::net::IpAddr>,
    /// Wrong passwords per entered login, existing or not, so that the delay does not tell
    /// which logins exist.
    pub login_throttle: throttle::Backoff<String>,
    /// Failed OAuth client authentications per client id and per IP.
    pub client_limiter: throttle::FailureLimiter,
    /// Callers authenticated in the last seconds.
    pub cache: cache::PrincipalCache,
}

impl Auth {
    pub fn new(settings: AuthSettings, data_dir: &std::path::Path) -> std::io::Result<Arc<Self>> {
        let keys = tokens::TokenKeys::load_or_create(
            data_dir,
            settings.token_issuer.clone(),
            settings.token_audience.clone(),
            settings.token_ttl_seconds,
        )?;
        Ok(Arc::new(Auth {
            ip_throttle: throttle::Backoff::new(
                settings.throttle_base_ms,
                settings.throttle_cap_ms,
                settings.ip_grace_failures,
            ),
            login_throttle: throttle::Backoff::new(settings.throttle_base_ms, settings.throttle_cap_ms, 0),
            client_limiter: throttle::FailureLimiter::new(settings.client_failures_per_minute),
            cache: cache::PrincipalCache::new(settings.cache_ttl),
            settings,
            keys,
        }))
    }
}

/// A signed-in administrator.
#[derive(Debug, Clone)]
pub struct AdminPrincipal {
    pub id: i64,
    pub login: String,
    pub role: Role,
    pub preferences: Preferences,
    /// SHA-256 of the session token (the key of the session row).
    pub session_hash: String,
    pub csrf_token: String,
}

/// An OAuth application presenting a valid access token.
#[derive(Debug, Clone)]
pub struct AppPrincipal {
    pub client_id: String,
    pub name: String,
    pub scopes: Vec<Scope>,
}

/// Who is calling. Taken by handlers; put in place by [`guard`].
#[derive(Debug, Clone)]
pub enum Principal {
    Admin(AdminPrincipal),
    App(AppPrincipal),
}

impl Principal {
    pub fn may(&self, scope: Scope) -> bool {
        match self {
            Principal::Admin(a) => a.role.grants(scope),
            Principal::App(a) => a.scopes.contains(&scope),
        }
    }

    /// Defaults for `tz` and exports: the administrator's preferences, else UTC and commas.
    pub fn preferences(&self) -> Preferences {
        match self {
            Principal::Admin(a) => a.preferences.clone(),
            Principal::App(_) => Preferences::default(),
        }
    }

    pub fn actor(&self, req: &HttpRequest) -> Actor {
        let (ip, user_agent) = request_origin(req);
        match self {
            Principal::Admin(a) => Actor {
                name: Some(a.login.clone()),
                admin_type: Some(a.role.as_str().to_owned()),
                app_name: None,
                ip,
                user_agent,
            },
            Principal::App(a) => {
                Actor { name: Some(a.name.clone()), admin_type: None, app_name: Some(a.name.clone()), ip, user_agent }
            }
        }
    }
}

impl FromRequest for Principal {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        // A route whose policy is Public has no principal: taking one there is a bug.
        ready(req.extensions().get::<Principal>().cloned().ok_or_else(|| {
            actix_web::error::InternalError::from_response(
                "no principal",
                unauthorized("sign in or present an access token"),
            )
            .into()
        }))
    }
}

/// The peer's IP and user agent. The peer address, not a forwarded header: a client cannot
/// choose the IP its failures are counted against.
pub fn request_origin(req: &HttpRequest) -> (Option<String>, Option<String>) {
    let ip = req.peer_addr().map(|a| a.ip().to_string());
    let ua = req.headers().get(header::USER_AGENT).and_then(|v| v.to_str().ok()).map(str::to_owned);
    (ip, ua)
}

/// `bytes` random bytes, base64url.
pub fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    URL_SAFE_NO_PAD.encode(buf)
}

pub fn sha256_b64(s: &str) -> String {
    URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(s.as_bytes()))
}

/// The CSRF token bound to a session: derived from the session token, so nothing more is kept.
pub fn csrf_token_for(session_token: &str) -> String {
    sha256_b64(&format!("csrf:{session_token}"))
}

pub fn admin_principal(row: AdminRow, session_hash: String, csrf_token: String) -> AdminPrincipal {
    AdminPrincipal {
        id: row.id,
        login: row.login,
        role: Role::parse(&row.role).unwrap_or(Role::Security),
        preferences: Preferences {
            time_zone: row.time_zone,
            csv_delimiter: CsvDelimiter::parse(&row.csv_delimiter).unwrap_or_default(),
            csv_bom: row.csv_bom,
            date_format: DateFormat::parse(&row.date_format).unwrap_or_default(),
        },
        session_hash,
        csrf_token,
    }
}

fn problem(status: StatusCode, kind: &str, title: &str, detail: &str) -> HttpResponse {
    problem_response(&Problem {
        kind: format!("https://confreports.dev/problems/{kind}"),
        title: title.to_owned(),
        status: status.as_u16(),
        detail: detail.to_owned(),
        errors: None,
    })
}

pub fn unauthorized(detail: &str) -> HttpResponse {
    let mut res = problem(StatusCode::UNAUTHORIZED, "unauthorized", "Unauthorized", detail);
    res.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"confreports\""));
    res
}

fn invalid_token() -> HttpResponse {
    let mut res = problem(StatusCode::UNAUTHORIZED, "invalid-token", "Unauthorized", "the access token is not valid");
    res.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"confreports\", error=\"invalid_token\""),
    );
    res
}

fn forbidden(detail: &str, scope: Option<Scope>) -> HttpResponse {
    let mut res = problem(StatusCode::FORBIDDEN, "insufficient-scope", "Forbidden", detail);
    if let Some(scope) = scope
        && let Ok(v) = HeaderValue::from_str(&format!(
            "Bearer realm=\"confreports\", error=\"insufficient_scope\", scope=\"{scope}\""
        ))
    {
        res.headers_mut().insert(header::WWW_AUTHENTICATE, v);
    }
    res
}

enum Credential {
    None,
    Bearer(String),
    Session(String),
    Malformed,
}

fn credential(req: &ServiceRequest) -> Credential {
    if let Some(value) = req.headers().get(header::AUTHORIZATION) {
        return match value.to_str().ok().and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer "))) {
            Some(token) if !token.trim().is_empty() => Credential::Bearer(token.trim().to_owned()),
            _ => Credential::Malformed,
        };
    }
    match req.cookie(SESSION_COOKIE) {
        Some(c) if !c.value().is_empty() => Credential::Session(c.value().to_owned()),
        _ => Credential::None,
    }
}

/// What authenticating a request found.
enum Found {
    Anonymous,
    Principal(Principal),
    BadToken,
    /// A session cookie that names no live session (expired, signed out).
    StaleSession,
}

async fn authenticate(state: &AppState, cred: Credential) -> Result<Found, actix_web::Error> {
    match cred {
        Credential::None => Ok(Found::Anonymous),
        Credential::Malformed => Ok(Found::BadToken),
        Credential::Bearer(token) => {
            let key = cache::key("bearer", &token);
            if let Some(p) = state.auth.cache.get(&key) {
                return Ok(Found::Principal(p));
            }
            let Ok(claims) = state.auth.keys.verify(&token) else {
                return Ok(Found::BadToken);
            };
            let ends_in =
                std::time::Duration::from_secs(u64::try_from(claims.exp - Utc::now().timestamp()).unwrap_or(0));
            let pool = state.pool.clone();
            let found = web::block(move || -> Result<Found, crate::error::ApiError> {
                let mut conn = pool.get()?;
                let Some(app) = access::app_by_client_id(&mut conn, &claims.client_id)? else {
                    return Ok(Found::BadToken);
                };
                if !app.active || access::is_token_revoked(&mut conn, &claims.jti)? {
                    return Ok(Found::BadToken);
                }
                // The token's scopes, but never more than the application still holds.
                let granted = Scope::parse_list(&app.scopes).unwrap_or_default();
                let scopes = Scope::parse_list(&claims.scope)
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|s| granted.contains(s))
                    .collect();
                Ok(Found::Principal(Principal::App(AppPrincipal { client_id: app.client_id, name: app.name, scopes })))
            })
            .await
            .map_err(crate::error::ApiError::from)??;
            if let Found::Principal(p) = &found {
                state.auth.cache.put(key, p.clone(), Some(ends_in));
            }
            Ok(found)
        }
        Credential::Session(token) => {
            let key = cache::key("session", &token);
            if let Some(p) = state.auth.cache.get(&key) {
                return Ok(Found::Principal(p));
            }
            let pool = state.pool.clone();
            let hash = sha256_b64(&token);
            let csrf = csrf_token_for(&token);
            let found = web::block(move || -> Result<Found, crate::error::ApiError> {
                let mut conn = pool.get()?;
                Ok(match access::session_admin(&mut conn, &hash, confreports_store::report::to_db_time(Utc::now()))? {
                    Some(row) => Found::Principal(Principal::Admin(admin_principal(row, hash, csrf))),
                    None => Found::StaleSession,
                })
            })
            .await
            .map_err(crate::error::ApiError::from)??;
            if let Found::Principal(p) = &found {
                state.auth.cache.put(key, p.clone(), None);
            }
            Ok(found)
        }
    }
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Routes that, when they succeed, change who may do what (sign-out, token revocation,
/// administrators, applications, one's preferences): the [`cache`] of callers is emptied after
/// them, so that the change holds on this node at once.
fn changes_access(method: &Method, pattern: &str) -> bool {
    !is_safe(method)
        && (pattern.starts_with("/api/v1/auth/")
            || pattern.starts_with("/api/v1/admins")
            || pattern.starts_with("/api/v1/oauth-apps")
            || pattern == "/oauth2/revoke")
}

/// The middleware: authenticates the caller and applies the policy of the matched route.
pub async fn guard(
    req: ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody + 'static>,
) -> Result<ServiceResponse<actix_web::body::BoxBody>, actix_web::Error> {
    let changes = req.match_pattern().is_some_and(|p| changes_access(req.method(), &p));
    let state = changes.then(|| req.app_data::<web::Data<AppState>>().cloned()).flatten();
    let res = authorize(req, next).await?;
    if let Some(state) = state
        && res.status().is_success()
    {
        state.auth.cache.clear();
    }
    Ok(res)
}

async fn authorize(
    req: ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody + 'static>,
) -> Result<ServiceResponse<actix_web::body::BoxBody>, actix_web::Error> {
    let Some(pattern) = req.match_pattern() else {
        // No route: the 404 answer follows.
        return next.call(req).await.map(ServiceResponse::map_into_boxed_body);
    };
    let Some(access) = policy::access(req.method(), &pattern) else {
        let allowed = policy::methods(&pattern);
        if !allowed.is_empty() {
            let mut res = problem(
                StatusCode::METHOD_NOT_ALLOWED,
                "method-not-allowed",
                "Method not allowed",
                &format!("{} is not allowed on {pattern}; use {}", req.method(), allowed.join(", ")),
            );
            if let Ok(v) = HeaderValue::from_str(&allowed.join(", ")) {
                res.headers_mut().insert(header::ALLOW, v);
            }
            return Ok(req.into_response(res));
        }
        if pattern.starts_with("/api/") || pattern.starts_with("/oauth2/") {
            tracing::error!(%pattern, method = %req.method(), "route without an entry in the policy table");
            let res = forbidden("this route has no access policy", None);
            return Ok(req.into_response(res));
        }
        // The web app, Swagger UI and the OpenAPI document are public.
        return next.call(req).await.map(ServiceResponse::map_into_boxed_body);
    };
    if access == Access::Public {
        if let Some(res) = nul_in_url(&req) {
            return Ok(req.into_response(res));
        }
        return next.call(req).await.map(ServiceResponse::map_into_boxed_body);
    }
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return Ok(req.into_response(problem(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Internal server error",
            "no state",
        )));
    };
    let principal = match authenticate(&state, credential(&req)).await? {
        Found::Principal(p) => p,
        Found::BadToken => return Ok(req.into_response(invalid_token())),
        Found::StaleSession => return Ok(req.into_response(unauthorized("the session has ended; sign in again"))),
        Found::Anonymous => return Ok(req.into_response(unauthorized("sign in or present an access token"))),
    };
    if let Principal::Admin(admin) = &principal
        && !is_safe(req.method())
    {
        let sent = req.headers().get(CSRF_HEADER).and_then(|v| v.to_str().ok()).unwrap_or("");
        let ok: bool = subtle::ConstantTimeEq::ct_eq(sent.as_bytes(), admin.csrf_token.as_bytes()).into();
        if !ok {
            return Ok(req.into_response(forbidden(&format!("missing or wrong {CSRF_HEADER} header"), None)));
        }
    }
    let allowed = match (access, &principal) {
        (Access::Public, _) => true,
        (Access::Scope(scope), p) => {
            if !p.may(scope) {
                let detail = match p {
                    Principal::App(_) => format!("the access token lacks the scope `{scope}`"),
                    Principal::Admin(a) => format!("role `{}` may not do this (needs `{scope}`)", a.role.as_str()),
                };
                return Ok(req.into_response(forbidden(&detail, matches!(p, Principal::App(_)).then_some(scope))));
            }
            true
        }
        (Access::Admin, Principal::Admin(_)) => true,
        (Access::Sysadmin, Principal::Admin(a)) => a.role == Role::Sysadmin,
        (Access::Admin | Access::Sysadmin, Principal::App(_)) => false,
    };
    if !allowed {
        let detail = match &principal {
            Principal::App(_) => "administrators only: OAuth applications cannot use this route",
            Principal::Admin(_) => "role `sysadmin` only",
        };
        return Ok(req.into_response(forbidden(detail, None)));
    }
    if let Some(res) = nul_in_url(&req) {
        return Ok(req.into_response(res));
    }
    req.extensions_mut().insert(principal);
    next.call(req).await.map(ServiceResponse::map_into_boxed_body)
}

/// A 400 for a path or query string carrying a NUL character (`%00`), once the caller may use
/// the route. No stored value can hold one (PostgreSQL refuses NUL in text), so such a filter or
/// id could match nothing; on PostgreSQL it failed the query, a 500 (found by schemathesis).
fn nul_in_url(req: &ServiceRequest) -> Option<HttpResponse> {
    let has_nul = |s: &str| s.as_bytes().windows(3).any(|w| w[0] == b'%' && w[1] == b'0' && w[2] == b'0');
    let uri = req.uri();
    let in_query = uri.query().is_some_and(has_nul);
    if !in_query && !has_nul(uri.path()) {
        return None;
    }
    let field = if in_query {
        form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
            .find(|(k, v)| k.contains('\0') || v.contains('\0'))
            .map(|(k, _)| k.into_owned())
            .unwrap_or_else(|| "query".into())
    } else {
        "path".into()
    };
    let detail = format!("`{field}` contains a NUL character (%00), which no stored value has");
    Some(problem_response(&crate::error::ApiError::bad_parameter(field, detail).problem()))
}
