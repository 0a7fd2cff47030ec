//! The OpenAPI document: paths come from the routes (utoipa-actix-web), the rest from here.

use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "confreports",
        description = "Reports of a video-conferencing server: events, call history, chat, \
configuration changes, recordings and endpoints.\n\n\
Lists are keyset-paginated: pass `next_cursor` back as `cursor`. Errors are RFC 9457 \
`application/problem+json`. Times are RFC 3339 UTC.",
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
    ),
    servers((url = "/", description = "This server")),
    tags(
        (name = "events", description = "Sign-ins, status changes, server state, application actions, licence revocations and deletions"),
        (name = "calls", description = "Call history, one row per conferencing session, and the session page: participants and their connections, invitations, media quality, chat files and chat"),
        (name = "chat-messages", description = "Personal and group chat messages"),
        (name = "config-changes", description = "Changes to server settings, conferences, licences, integrations, groups and accounts, each parameter before and after"),
        (name = "users", description = "Users of the conferencing server and their activity across the reports"),
        (name = "recordings", description = "Conference recordings: list, play (HTTP Range), download, the session chat in sync, delete, and the upload of the media by the conferencing server"),
        (name = "ingest", description = "The conferencing server pushes its records (events, users, conferences, sessions and what happens in them, chat, configuration changes, endpoints, recordings) in all-or-nothing batches; scope `ingest`"),
        (name = "endpoints", description = "Device connections: application, type, OS, IP, last conference, network test, first and last seen"),
        (name = "dashboard", description = "Activity per day: calls, peak concurrent sessions, active users, events per type, recording storage"),
        (name = "settings", description = "Server settings such as retention periods (sysadmins only)"),
        (name = "auth", description = "Administrators signing in to the web app, and their preferences"),
        (name = "admins", description = "Administrators of the web app: create, reset a password, unlock, delete (sysadmins only)"),
        (name = "oauth2", description = "The OAuth 2.0 server: client-credentials tokens (RFC 9068 JWTs, EdDSA), revocation, introspection and the signing keys"),
        (name = "oauth-apps", description = "OAuth applications, their scopes and secrets (sysadmins only)"),
    ),
    components(schemas(confreports_types::Problem, confreports_types::FieldError))
)]
pub struct ApiDoc;

/// The complete document, as served at `/api-docs/openapi.json` and committed in
/// `openapi/openapi.json`.
pub fn document() -> utoipa::openapi::OpenApi {
    use utoipa_actix_web::AppExt;
    let (_, api) = actix_web::App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(crate::routes::api)
        .split_for_parts();
    with_security(api)
}

/// Adds the security schemes (OAuth 2.0 client credentials with every scope; the web app's
/// session cookie) and, on each operation, the requirement of its entry in the policy table.
pub fn with_security(mut api: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    use crate::auth::policy::{self, Access};
    use confreports_types::Scope;
    use utoipa::openapi::security::{
        ApiKey, ApiKeyValue, ClientCredentials, Flow, OAuth2, Scopes, SecurityRequirement, SecurityScheme,
    };

    let scopes = Scopes::from_iter(Scope::ALL.iter().map(|s| (s.as_str().to_owned(), s.description().to_owned())));
    let components = api.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        "oauth2",
        SecurityScheme::OAuth2(OAuth2::with_description(
            [Flow::ClientCredentials(ClientCredentials::new("/oauth2/token", scopes))],
            "Access tokens (RFC 9068 JWTs, EdDSA) for OAuth applications created by a sysadmin.",
        )),
    );
    components.add_security_scheme(
        "session",
        SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
            crate::auth::SESSION_COOKIE,
            "The web app's session, set by `POST /api/v1/auth/login`; requests that change \
something also need the `X-CSRF-Token` header.",
        ))),
    );
    for (path, item) in api.paths.paths.iter_mut() {
        for (method, op) in [
            ("GET", item.get.as_mut()),
            ("POST", item.post.as_mut()),
            ("PUT", item.put.as_mut()),
            ("DELETE", item.delete.as_mut()),
        ] {
            let Some(op) = op else { continue };
            let method = actix_web::http::Method::from_bytes(method.as_bytes()).unwrap_or(actix_web::http::Method::GET);
            let requirement = match policy::access(&method, path) {
                Some(Access::Public) | None => vec![SecurityRequirement::default()],
                Some(Access::Scope(scope)) => vec![
                    SecurityRequirement::new("oauth2", [scope.as_str()]),
                    SecurityRequirement::new("session", Vec::<String>::new()),
                ],
                Some(Access::Admin | Access::Sysadmin) => {
                    vec![SecurityRequirement::new("session", Vec::<String>::new())]
                }
            };
            op.security = Some(requirement);
        }
    }
    api
}

/// The document as committed: pretty JSON with a final newline.
pub fn document_json() -> String {
    let mut s = document().to_pretty_json().unwrap_or_default();
    s.push('\n');
    s
}
