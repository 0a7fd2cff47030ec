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
        (name = "audit", description = "The append-only, hash-chained audit trail of every administrator and app action (administrators only)"),
        (name = "settings", description = "Server settings such as retention periods (sysadmins only)"),
        (name = "auth", description = "Administrators signing in to the web app, and their preferences"),
        (name = "admins", description = "Administrators of the web app: create, reset a password, unlock, delete (sysadmins only)"),
        (name = "oauth2", description = "The OAuth 2.0 server: client-credentials tokens (RFC 9068 JWTs, EdDSA), revocation, introspection and the signing keys"),
        (name = "oauth-apps", description = "OAuth applications, their scopes and secrets (sysadmins only)"),
    ),
    components(schemas(
        confreports_types::Problem,
        confreports_types::FieldError,
        // Named so that `Activity_UserCall.latest` refers to them (see `reference_generic_items`).
        confreports_types::UserCall,
        confreports_types::UserEndpoint,
    ))
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
    sort_values(reference_generic_items(with_security(api)))
}

/// `sort=<field>|-<field>`, each value of one report.
fn sort_enum<F: confreports_types::SortField>() -> (Vec<String>, String) {
    let values = F::ALL.iter().flat_map(|f| [f.name().to_owned(), format!("-{}", f.name())]).collect();
    (values, F::DEFAULT.to_string())
}

/// The `sort` parameter is one struct for every list, so its schema said only "a string" and its
/// example (`-time`) was wrong for half of the reports. Each list and export gets the values its
/// report accepts as an enum, and its default sort as the example.
fn sort_values(mut api: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    use confreports_types::{CallSort, ChatSort, ConfigChangeSort, EndpointSort, EventSort, RecordingSort, UserSort};
    use utoipa::openapi::schema::{ObjectBuilder, Type};

    let reports = [
        ("/api/v1/events", sort_enum::<EventSort>()),
        ("/api/v1/calls", sort_enum::<CallSort>()),
        ("/api/v1/chat-messages", sort_enum::<ChatSort>()),
        ("/api/v1/config-changes", sort_enum::<ConfigChangeSort>()),
        ("/api/v1/recordings", sort_enum::<RecordingSort>()),
        ("/api/v1/endpoints", sort_enum::<EndpointSort>()),
        ("/api/v1/users", sort_enum::<UserSort>()),
    ];
    for (path, item) in api.paths.paths.iter_mut() {
        let Some((_, (values, default))) =
            reports.iter().find(|(list, _)| path == list || path.strip_suffix("/export") == Some(list))
        else {
            continue;
        };
        let Some(op) = item.get.as_mut() else { continue };
        for param in op.parameters.iter_mut().flatten().filter(|p| p.name == "sort") {
            *param = utoipa::openapi::path::ParameterBuilder::from(param.clone())
                .schema(Some(ObjectBuilder::new().schema_type(Type::String).enum_values(Some(values.clone()))))
                .example(Some(serde_json::Value::String(default.clone())))
                .build();
        }
    }
    api
}

/// utoipa inlines the type argument of a generic schema: `Page_Event.items` held a copy of
/// `Event`, which client generators then named `ActivityEventLatestInner` and the like. Where an
/// array of a generic instance (`Page_Event`, `Activity_UserCall`) holds exactly the schema of
/// the component its name ends with, it becomes a `$ref` to that component.
fn reference_generic_items(mut api: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    use utoipa::openapi::schema::ArrayItems;
    use utoipa::openapi::{Ref, RefOr, Schema};

    let Some(components) = api.components.as_mut() else { return api };
    let names: Vec<String> = components.schemas.keys().cloned().collect();
    for name in names {
        let Some((_, arg)) = name.split_once('_') else { continue };
        let Some(target) = components.schemas.get(arg).cloned() else { continue };
        let Some(RefOr::T(Schema::Object(object))) = components.schemas.get_mut(&name) else { continue };
        for property in object.properties.values_mut() {
            if let RefOr::T(Schema::Array(array)) = property
                && let ArrayItems::RefOrSchema(items) = &mut array.items
                && **items == target
            {
                **items = RefOr::Ref(Ref::from_schema_name(arg));
            }
        }
    }
    api
}

/// Adds the security schemes (OAuth 2.0 client credentials with every scope; the web app's
/// session cookie) and, on each operation, the requirement of its entry in the policy table.
pub fn with_security(mut api: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    use crate::auth::policy::{self, Access};
    use confreports_types::Scope;
    use utoipa::openapi::security::{
        ApiKey, ApiKeyValue, ClientCredentials, Flow, OAuth2, Scopes, SecurityRequirement, SecurityScheme,
    };

    let components = api.components.get_or_insert_with(Default::default);
    components.responses.insert(
        "Unauthorized".into(),
        problem_response(
            "No credentials, or credentials that are not valid: no session cookie and no access token, \
an expired session, or an access token that is malformed, expired, revoked or whose application \
was revoked",
            Some("`Bearer realm=\"confreports\"`, with `error=\"invalid_token\"` for a bad token"),
        ),
    );
    components.responses.insert(
        "Forbidden".into(),
        problem_response(
            "The caller is known but may not do this: the access token lacks the scope, the \
administrator's role does not allow it, the route is for administrators only, or a session \
request that changes something came without its `X-CSRF-Token` header",
            Some("For an access token lacking a scope: `Bearer error=\"insufficient_scope\", scope=\"<scope>\"`"),
        ),
    );
    let scopes = Scopes::from_iter(Scope::ALL.iter().map(|s| (s.as_str().to_owned(), s.description().to_owned())));
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
            if !matches!(policy::access(&method, path), Some(Access::Public) | None) {
                for (status, name) in [("401", "Unauthorized"), ("403", "Forbidden")] {
                    op.responses
                        .responses
                        .entry(status.to_owned())
                        .or_insert_with(|| utoipa::openapi::RefOr::Ref(utoipa::openapi::Ref::from_response_name(name)));
                }
            }
        }
    }
    api
}

/// A reusable `application/problem+json` answer, with a `WWW-Authenticate` header when
/// `www_authenticate` describes one.
fn problem_response(
    description: &str,
    www_authenticate: Option<&str>,
) -> utoipa::openapi::RefOr<utoipa::openapi::Response> {
    use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder, header::HeaderBuilder};

    let mut response = ResponseBuilder::new().description(description).content(
        "application/problem+json",
        ContentBuilder::new().schema(Some(Ref::from_schema_name("Problem"))).build(),
    );
    if let Some(header) = www_authenticate {
        response = response.header(
            "WWW-Authenticate",
            HeaderBuilder::new()
                .schema(utoipa::openapi::schema::Object::with_type(utoipa::openapi::schema::Type::String))
                .description(Some(header))
                .build(),
        );
    }
    response.build().into()
}

/// The document as committed: pretty JSON with a final newline.
pub fn document_json() -> String {
    let mut s = document().to_pretty_json().unwrap_or_default();
    s.push('\n');
    s
}
