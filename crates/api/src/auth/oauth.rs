//! The OAuth 2.0 server: the client-credentials grant (`POST /oauth2/token`, RFC 6749 4.4),
//! revocation (`POST /oauth2/revoke`, RFC 7009), introspection (`POST /oauth2/introspect`,
//! RFC 7662) and the public keys of the access tokens (`GET /.well-known/jwks.json`).
//!
//! The three POST endpoints take `application/x-www-form-urlencoded` parameters and
//! authenticate the client themselves (RFC 6749 2.3.1): HTTP Basic with the form-urlencoded
//! client id and secret, or `client_id` and `client_secret` parameters, never both. A wrong
//! secret, an unknown client and a revoked application fail alike: 401 `invalid_client`.
//! Failed client authentications are limited per client id and per IP address; past the limit
//! the endpoints answer 429 with `Retry-After` and `{"error": "slow_down", ...}` (the RFC 6749
//! error shape, with the code RFC 8628 uses for "too fast"), whatever the credentials, until
//! the limiter has room again. Every answer carries `Cache-Control: no-store` and
//! `Pragma: no-cache`; errors are RFC 6749 5.2 JSON `{error, error_description}`.

use std::collections::HashMap;
use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder, ResponseError as _, get, post, web};
use base64::Engine as _;
use chrono::Utc;
use confreports_store::Actor;
use confreports_store::access::{self, AppRow};
use confreports_store::audit;
use confreports_store::events::{self, NewEvent};
use confreports_store::report::to_db_time;
use confreports_types::{EventType, Scope};
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::apps;
use crate::auth::request_origin;
use crate::error::ApiError;
use crate::report::db;
use crate::state::AppState;

/// The challenge of a 401 from the OAuth endpoints.
pub const BASIC_CHALLENGE: &str = "Basic realm=\"confreports\"";
/// Longest client id looked up; longer ones fail without a query.
const MAX_CLIENT_ID: usize = 200;

/// An error answer of the OAuth endpoints (RFC 6749 section 5.2).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({"error": "invalid_client", "error_description": "client authentication failed"}))]
pub struct OAuthError {
    /// `invalid_request`, `invalid_client`, `unauthorized_client`, `unsupported_grant_type`,
    /// `invalid_scope`, or `slow_down` (too many failed client authentications).
    pub error: String,
    pub error_description: String,
}

/// `POST /oauth2/token` parameters (form-urlencoded).
#[derive(Debug, Clone, ToSchema)]
#[schema(example = json!({"grant_type": "client_credentials", "scope": "events:read"}))]
pub struct TokenRequest {
    /// `client_credentials`, the only grant.
    pub grant_type: String,
    /// Space-separated scopes, a subset of those granted to the application; default all of them.
    pub scope: Option<String>,
    /// The client id, when the client authenticates with parameters instead of HTTP Basic.
    pub client_id: Option<String>,
    /// The client secret, when the client authenticates with parameters instead of HTTP Basic.
    pub client_secret: Option<String>,
}

/// An access token (RFC 6749 section 5.1).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "access_token": "eyJhbGciOiJFZERTQSIsInR5cCI6ImF0K2p3dCIsImtpZCI6Im5FeFB4N2t3In0.eyJpc3MiOiJjb25mcmVwb3J0cyJ9.c2lnbmF0dXJl",
    "token_type": "Bearer",
    "expires_in": 600,
    "scope": "events:read"
}))]
pub struct TokenResponse {
    /// An RFC 9068 JWT signed with EdDSA; send it as `Authorization: Bearer <token>`.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the token expires.
    pub expires_in: i64,
    /// The granted scopes, space-separated.
    pub scope: String,
}

/// `POST /oauth2/revoke` and `POST /oauth2/introspect` parameters (form-urlencoded).
#[derive(Debug, Clone, ToSchema)]
#[schema(example = json!({"token": "eyJhbGciOiJFZERTQSIsInR5cCI6ImF0K2p3dCJ9.eyJpc3MiOiJjb25mcmVwb3J0cyJ9.c2lnbmF0dXJl"}))]
pub struct TokenParameter {
    /// The access token.
    pub token: String,
    /// `access_token`; accepted and ignored (there are no other kinds of tokens).
    pub token_type_hint: Option<String>,
    /// The client id, when the client authenticates with parameters instead of HTTP Basic.
    pub client_id: Option<String>,
    /// The client secret, when the client authenticates with parameters instead of HTTP Basic.
    pub client_secret: Option<String>,
}

/// What a token is (RFC 7662 section 2.2). Only `active` when the token is not active.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
#[schema(example = json!({
    "active": true, "scope": "events:read", "client_id": "app_3q2-7wEe1vXc0gFh", "sub": "app_3q2-7wEe1vXc0gFh",
    "aud": "confreports-api", "iss": "confreports", "exp": 1795982820, "iat": 1795982220,
    "jti": "Wm8oJ0x3h4rK9c2Q1vB5yA", "token_type": "Bearer"
}))]
pub struct Introspection {
    /// The token is genuine, unexpired, not revoked, and its application is active.
    pub active: bool,
    /// The scopes the token grants now (never more than the application still holds).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aud: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    /// Expiry, seconds since the epoch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exp: Option<i64>,
    /// Issue time, seconds since the epoch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iat: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jti: Option<String>,
    /// `Bearer`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_type: Option<String>,
}

/// One public key (RFC 8037: an Ed25519 `OKP` key).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Jwk {
    /// `OKP`.
    pub kty: String,
    /// `Ed25519`.
    pub crv: String,
    /// The public key, base64url.
    pub x: String,
    /// Matches the `kid` in the header of the tokens it signed.
    pub kid: String,
    /// `EdDSA`.
    pub alg: String,
    /// `sig`.
    #[serde(rename = "use")]
    pub key_use: String,
}

/// The public keys that sign access tokens (RFC 7517).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({"keys": [{
    "kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
    "kid": "nExPx7kwQ5m1Zb3a", "alg": "EdDSA", "use": "sig"
}]}))]
pub struct JwkSet {
    pub keys: Vec<Jwk>,
}

fn no_store(mut builder: HttpResponseBuilder) -> HttpResponseBuilder {
    builder.insert_header((header::CACHE_CONTROL, "no-store")).insert_header((header::PRAGMA, "no-cache"));
    builder
}

/// An RFC 6749 error answer; a 401 carries the Basic challenge.
fn oauth_error(status: StatusCode, error: &str, description: impl Into<String>) -> HttpResponse {
    let mut builder = no_store(HttpResponse::build(status));
    if status == StatusCode::UNAUTHORIZED {
        builder.insert_header((header::WWW_AUTHENTICATE, BASIC_CHALLENGE));
    }
    builder.json(OAuthError { error: error.to_owned(), error_description: description.into() })
}

fn invalid_request(description: impl Into<String>) -> HttpResponse {
    oauth_error(StatusCode::BAD_REQUEST, "invalid_request", description)
}

fn slow_down(wait: Duration) -> HttpResponse {
    let secs = wait.as_secs_f64().ceil().max(1.0) as u64;
    let mut res = oauth_error(
        StatusCode::TOO_MANY_REQUESTS,
        "slow_down",
        format!("too many failed client authentications; try again in {secs} s"),
    );
    if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
        res.headers_mut().insert(header::RETRY_AFTER, v);
    }
    res
}

fn internal(e: ApiError) -> HttpResponse {
    let mut res = e.error_response();
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// Why a request to the OAuth endpoints is refused before its own work starts.
enum Refusal {
    /// An RFC 6749 error.
    OAuth {
        status: StatusCode,
        error: &'static str,
        description: String,
    },
    /// Too many failed client authentications.
    SlowDown(Duration),
    Internal(ApiError),
}

impl Refusal {
    fn invalid_request(description: impl Into<String>) -> Self {
        Refusal::OAuth { status: StatusCode::BAD_REQUEST, error: "invalid_request", description: description.into() }
    }

    fn invalid_client(description: impl Into<String>) -> Self {
        Refusal::OAuth { status: StatusCode::UNAUTHORIZED, error: "invalid_client", description: description.into() }
    }

    fn response(self) -> HttpResponse {
        match self {
            Refusal::OAuth { status, error, description } => oauth_error(status, error, description),
            Refusal::SlowDown(wait) => slow_down(wait),
            Refusal::Internal(e) => internal(e),
        }
    }
}

/// The parameters of a request: each at most once; an empty one counts as absent (RFC 6749 3.1).
/// Only the parameters of these endpoints are kept; others are ignored, repeated or not (RFC 6749
/// 3.2: "The authorization server MUST ignore unrecognized request parameters").
struct Form(HashMap<String, String>);

impl Form {
    fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }
}

fn parse_form(req: &HttpRequest, body: &[u8]) -> Result<Form, Refusal> {
    let content_type = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let essence = content_type.split(';').next().unwrap_or("").trim();
    if !essence.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
        return Err(Refusal::invalid_request("send the parameters as application/x-www-form-urlencoded"));
    }
    const KNOWN: &[&str] = &["grant_type", "scope", "client_id", "client_secret", "token", "token_type_hint"];
    let mut map = HashMap::new();
    for (name, value) in form_urlencoded::parse(body) {
        if value.is_empty() || !KNOWN.contains(&name.as_ref()) {
            continue;
        }
        if map.insert(name.to_string(), value.into_owned()).is_some() {
            return Err(Refusal::invalid_request(format!("the parameter `{name}` is repeated")));
        }
    }
    Ok(Form(map))
}

/// Decodes one `application/x-www-form-urlencoded` part (RFC 6749 2.3.1 encodes the client id
/// and secret so before putting them in the Basic credentials).
fn form_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b'%' => {
                let hex = bytes.get(i + 1..i + 3)?;
                if !hex.iter().all(u8::is_ascii_hexdigit) {
                    return None;
                }
                out.push(u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?);
                i += 3;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// What a client presented to authenticate.
struct Credentials {
    client_id: String,
    secret: String,
}

fn basic_credentials(value: &HeaderValue) -> Option<Credentials> {
    let value = value.to_str().ok()?.trim();
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let encoded = encoded.trim();
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(encoded))
        .ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    Some(Credentials { client_id: form_decode(id)?, secret: form_decode(secret)? })
}

/// The client's credentials, from HTTP Basic or from the parameters (not both).
fn credentials(req: &HttpRequest, form: &Form) -> Result<Credentials, Refusal> {
    if let Some(value) = req.headers().get(header::AUTHORIZATION) {
        let Some(creds) = basic_credentials(value) else {
            return Err(Refusal::invalid_client("the Authorization header is not valid HTTP Basic credentials"));
        };
        if form.get("client_secret").is_some() {
            return Err(Refusal::invalid_request("authenticate with HTTP Basic or with client_secret, not both"));
        }
        if form.get("client_id").is_some_and(|id| id != creds.client_id) {
            return Err(Refusal::invalid_request("client_id differs from the client of the HTTP Basic credentials"));
        }
        return Ok(creds);
    }
    match (form.get("client_id"), form.get("client_secret")) {
        (Some(id), Some(secret)) => Ok(Credentials { client_id: id.to_owned(), secret: secret.to_owned() }),
        _ => {
            Err(Refusal::invalid_client("authenticate the client with HTTP Basic or with client_id and client_secret"))
        }
    }
}

/// The keys failures are counted under: the client id (unless absurdly long) and the peer's IP.
fn limiter_keys(req: &HttpRequest, client_id: &str) -> Vec<String> {
    let mut keys = Vec::with_capacity(2);
    if client_id.len() <= MAX_CLIENT_ID {
        keys.push(format!("client:{client_id}"));
    }
    if let Some(addr) = req.peer_addr() {
        keys.push(format!("ip:{}", addr.ip()));
    }
    keys
}

/// Authenticates the client of a request: the active application whose secret was given.
/// What revocation and introspection both start with: a form naming a `token`, sent by an
/// authenticated client.
async fn token_request(state: &AppState, req: &HttpRequest, body: &[u8]) -> Result<(AppRow, String), HttpResponse> {
    let form = parse_form(req, body).map_err(Refusal::response)?;
    let app = authenticate_client(state, req, &form).await.map_err(Refusal::response)?;
    let token = form.get("token").ok_or_else(|| invalid_request("the parameter `token` is required"))?;
    Ok((app, token.to_owned()))
}

async fn authenticate_client(state: &AppState, req: &HttpRequest, form: &Form) -> Result<AppRow, Refusal> {
    let creds = credentials(req, form)?;
    let limiter = &state.auth.client_limiter;
    let keys = limiter_keys(req, &creds.client_id);
    let blocked = || keys.iter().filter_map(|k| limiter.blocked_for(k)).max();
    if let Some(wait) = blocked() {
        return Err(Refusal::SlowDown(wait));
    }
    // A client id with a NUL names no application (and PostgreSQL refuses NUL in text).
    let row = if creds.client_id.len() <= MAX_CLIENT_ID && !creds.client_id.contains('\0') {
        let id = creds.client_id.clone();
        db(state, move |conn| Ok(access::app_by_client_id(conn, &id)?)).await.map_err(Refusal::Internal)?
    } else {
        None
    };
    if apps::client_authenticates(row.as_ref(), &creds.secret)
        && let Some(app) = row
    {
        return Ok(app);
    }
    for key in &keys {
        limiter.failed(key);
    }
    tracing::info!(client_id = %creds.client_id.chars().take(MAX_CLIENT_ID).collect::<String>(), "OAuth client authentication failed");
    Err(match blocked() {
        Some(wait) => Refusal::SlowDown(wait),
        None => Refusal::invalid_client("client authentication failed"),
    })
}

/// Get an access token
///
/// The client-credentials grant (RFC 6749 section 4.4). Authenticate the application with
/// HTTP Basic (`client_id:client_secret`, each form-urlencoded) or with the `client_id` and
/// `client_secret` parameters, not both. `scope` narrows the token to some of the scopes the
/// application holds; without it the token carries all of them. The token is an RFC 9068 JWT
/// signed with EdDSA (keys at `/.well-known/jwks.json`). A wrong secret, an unknown client
/// and a revoked application all answer 401 `invalid_client`; repeated failures per client
/// and per IP answer 429 `slow_down` with `Retry-After`.
#[utoipa::path(
    operation_id = "issueToken",
    tag = "oauth2",
    request_body(content = TokenRequest, content_type = "application/x-www-form-urlencoded",
                 description = "Form-urlencoded parameters"),
    responses(
        (status = 200, description = "An access token", body = TokenResponse,
         headers(("Cache-Control" = String, description = "`no-store`"), ("Pragma" = String, description = "`no-cache`"))),
        (status = 400, description = "`invalid_request` (not form-urlencoded, a missing or repeated parameter, two client \
authentication methods), `unsupported_grant_type`, `invalid_scope` (unknown or not granted), `unauthorized_client` \
(the application holds no scope)", body = OAuthError,
         examples(
             ("invalid_request" = (summary = "Missing parameter",
                 value = json!({"error": "invalid_request", "error_description": "the parameter `grant_type` is required"}))),
             ("unsupported_grant_type" = (summary = "Not client_credentials",
                 value = json!({"error": "unsupported_grant_type", "error_description": "only the client_credentials grant is supported"}))),
             ("invalid_scope" = (summary = "A scope the application does not hold",
                 value = json!({"error": "invalid_scope", "error_description": "the scope `events:delete` is not granted to this application"}))),
         )),
        (status = 401, description = "`invalid_client`: unknown client, wrong secret or revoked application", body = OAuthError,
         headers(("WWW-Authenticate" = String, description = "`Basic realm=\"confreports\"`")),
         example = json!({"error": "invalid_client", "error_description": "client authentication failed"})),
        (status = 429, description = "Too many failed client authentications for this client or from this address", body = OAuthError,
         headers(("Retry-After" = u64, description = "Seconds to wait")),
         example = json!({"error": "slow_down", "error_description": "too many failed client authentications; try again in 20 s"})),
    ),
    security(())
)]
#[post("/token")]
pub async fn issue_token(state: web::Data<AppState>, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    let form = match parse_form(&req, &body) {
        Ok(form) => form,
        Err(refusal) => return refusal.response(),
    };
    let Some(grant_type) = form.get("grant_type") else {
        return invalid_request("the parameter `grant_type` is required");
    };
    let app = match authenticate_client(&state, &req, &form).await {
        Ok(app) => app,
        Err(refusal) => return refusal.response(),
    };
    if grant_type != "client_credentials" {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "only the client_credentials grant is supported",
        );
    }
    let held = apps::row_scopes(&app);
    if held.is_empty() {
        return oauth_error(StatusCode::BAD_REQUEST, "unauthorized_client", "the application holds no scope");
    }
    let scopes = match form.get("scope").map(Scope::parse_list) {
        None => held,
        Some(Err(unknown)) => {
            return oauth_error(StatusCode::BAD_REQUEST, "invalid_scope", format!("unknown scope `{unknown}`"));
        }
        Some(Ok(asked)) if asked.is_empty() => held,
        Some(Ok(asked)) => {
            if let Some(missing) = asked.iter().find(|s| !held.contains(s)) {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_scope",
                    format!("the scope `{missing}` is not granted to this application"),
                );
            }
            asked
        }
    };
    match state.auth.keys.issue(&app.client_id, &scopes) {
        Ok((access_token, claims)) => {
            let entry = audit::Entry::by(&app_actor(&req, &app), "token_issued")
                .with_target(format!("app:{}", app.client_id))
                .with_details(serde_json::json!({ "jti": claims.jti, "scope": claims.scope, "exp": claims.exp }));
            if let Err(e) = db(&state, move |conn| Ok(audit::append(conn, &entry)?)).await {
                return internal(e);
            }
            no_store(HttpResponse::Ok()).json(TokenResponse {
                access_token,
                token_type: "Bearer".into(),
                expires_in: claims.exp - claims.iat,
                scope: claims.scope,
            })
        }
        Err(e) => internal(ApiError::Internal(format!("signing an access token: {e}"))),
    }
}

/// The actor of an application acting on its own behalf.
fn app_actor(req: &HttpRequest, app: &AppRow) -> Actor {
    let (ip, user_agent) = request_origin(req);
    Actor { name: Some(app.name.clone()), admin_type: None, app_name: Some(app.name.clone()), ip, user_agent }
}

/// Revoke an access token
///
/// RFC 7009. The authenticated application revokes one of its own access tokens: it stops
/// working at once. A token that is expired, malformed, already revoked or another client's is
/// ignored: the answer is 200 either way. Records a `logout` event when a token is revoked.
#[utoipa::path(
    operation_id = "revokeToken",
    tag = "oauth2",
    request_body(content = TokenParameter, content_type = "application/x-www-form-urlencoded",
                 description = "Form-urlencoded parameters"),
    responses(
        (status = 200, description = "The token, if it was one of this client's, no longer works",
         headers(("Cache-Control" = String, description = "`no-store`"))),
        (status = 400, description = "`invalid_request`: not form-urlencoded, no `token`, a repeated parameter, or two \
client authentication methods", body = OAuthError,
         example = json!({"error": "invalid_request", "error_description": "the parameter `token` is required"})),
        (status = 401, description = "`invalid_client`", body = OAuthError,
         headers(("WWW-Authenticate" = String, description = "`Basic realm=\"confreports\"`")),
         example = json!({"error": "invalid_client", "error_description": "client authentication failed"})),
        (status = 429, description = "Too many failed client authentications", body = OAuthError,
         headers(("Retry-After" = u64, description = "Seconds to wait")),
         example = json!({"error": "slow_down", "error_description": "too many failed client authentications; try again in 20 s"})),
    ),
    security(())
)]
#[post("/revoke")]
pub async fn revoke_token(state: web::Data<AppState>, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    let (app, token) = match token_request(&state, &req, &body).await {
        Ok(request) => request,
        Err(refusal) => return refusal,
    };
    let token = token.as_str();
    if let Ok(claims) = state.auth.keys.verify(token)
        && claims.client_id == app.client_id
    {
        let expires_at = chrono::DateTime::from_timestamp(claims.exp, 0).unwrap_or_else(Utc::now);
        let actor = app_actor(&req, &app);
        let done = db(&state, move |conn| {
            confreports_store::conn::write_transaction(conn, |conn| {
                if access::is_token_revoked(conn, &claims.jti)? {
                    return Ok(());
                }
                access::revoke_token(conn, &claims.jti, to_db_time(expires_at))?;
                let e = NewEvent::action(EventType::Logout, true, &actor)
                    .with_description(format!("access token {} revoked by the application", claims.jti));
                events::insert(conn, &[e])?;
                let entry = audit::Entry::by(&actor, "token_revoked")
                    .with_target(format!("app:{}", claims.client_id))
                    .with_details(serde_json::json!({ "jti": claims.jti }));
                audit::append(conn, &entry)?;
                Ok(())
            })
        })
        .await;
        if let Err(e) = done {
            return internal(e);
        }
    }
    no_store(HttpResponse::Ok()).finish()
}

/// Introspect an access token
///
/// RFC 7662. Tells the authenticated application whether one of its own access tokens is
/// active (genuine, unexpired, not revoked, its application active) and what it grants.
/// Anything else, including another client's token, is `{"active": false}`.
#[utoipa::path(
    operation_id = "introspectToken",
    tag = "oauth2",
    request_body(content = TokenParameter, content_type = "application/x-www-form-urlencoded",
                 description = "Form-urlencoded parameters"),
    responses(
        (status = 200, description = "What the token is; `{\"active\": false}` when it is not active", body = Introspection,
         headers(("Cache-Control" = String, description = "`no-store`"))),
        (status = 400, description = "`invalid_request`: not form-urlencoded, no `token`, a repeated parameter, or two \
client authentication methods", body = OAuthError,
         example = json!({"error": "invalid_request", "error_description": "the parameter `token` is required"})),
        (status = 401, description = "`invalid_client`", body = OAuthError,
         headers(("WWW-Authenticate" = String, description = "`Basic realm=\"confreports\"`")),
         example = json!({"error": "invalid_client", "error_description": "client authentication failed"})),
        (status = 429, description = "Too many failed client authentications", body = OAuthError,
         headers(("Retry-After" = u64, description = "Seconds to wait")),
         example = json!({"error": "slow_down", "error_description": "too many failed client authentications; try again in 20 s"})),
    ),
    security(())
)]
#[post("/introspect")]
pub async fn introspect_token(state: web::Data<AppState>, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    let (app, token) = match token_request(&state, &req, &body).await {
        Ok(request) => request,
        Err(refusal) => return refusal,
    };
    let token = token.as_str();
    let inactive = || no_store(HttpResponse::Ok()).json(Introspection::default());
    // The caller authenticated, so its application is active.
    let Ok(claims) = state.auth.keys.verify(token) else {
        return inactive();
    };
    if claims.client_id != app.client_id {
        return inactive();
    }
    let jti = claims.jti.clone();
    let revoked = match db(&state, move |conn| Ok(access::is_token_revoked(conn, &jti)?)).await {
        Ok(revoked) => revoked,
        Err(e) => return internal(e),
    };
    if revoked {
        return inactive();
    }
    let held = apps::row_scopes(&app);
    let scopes: Vec<Scope> =
        Scope::parse_list(&claims.scope).unwrap_or_default().into_iter().filter(|s| held.contains(s)).collect();
    no_store(HttpResponse::Ok()).json(Introspection {
        active: true,
        scope: Some(Scope::join(&scopes)),
        client_id: Some(claims.client_id),
        sub: Some(claims.sub),
        aud: Some(claims.aud),
        iss: Some(claims.iss),
        exp: Some(claims.exp),
        iat: Some(claims.iat),
        jti: Some(claims.jti),
        token_type: Some("Bearer".into()),
    })
}

/// The token signing keys
///
/// The public keys (JWKS, RFC 7517) that verify access tokens: Ed25519, `alg` EdDSA. A token's
/// `kid` header names its key.
#[utoipa::path(
    operation_id = "getJwks",
    tag = "oauth2",
    responses(
        (status = 200, description = "The key set", body = JwkSet,
         headers(("Cache-Control" = String, description = "`public, max-age=300`"))),
    ),
    security(())
)]
#[get("/.well-known/jwks.json")]
pub async fn jwks(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().insert_header((header::CACHE_CONTROL, "public, max-age=300")).json(state.auth.keys.jwks())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_parts_are_form_decoded() {
        assert_eq!(form_decode("a%3Ab+c%2B").as_deref(), Some("a:b c+"));
        assert_eq!(form_decode("plain_id-1").as_deref(), Some("plain_id-1"));
        assert_eq!(form_decode("bad%2"), None);
        assert_eq!(form_decode("bad%+f"), None);
        let encoded = base64::engine::general_purpose::STANDARD.encode("app%5Fx:s%3Acret");
        let creds =
            basic_credentials(&HeaderValue::from_str(&format!("Basic {encoded}")).expect("header")).expect("basic");
        assert_eq!((creds.client_id.as_str(), creds.secret.as_str()), ("app_x", "s:cret"));
        assert!(basic_credentials(&HeaderValue::from_static("Bearer abc")).is_none());
        assert!(basic_credentials(&HeaderValue::from_static("Basic !!!")).is_none());
    }
}
