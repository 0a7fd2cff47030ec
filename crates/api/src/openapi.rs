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
    api
}

/// The document as committed: pretty JSON with a final newline.
pub fn document_json() -> String {
    let mut s = document().to_pretty_json().unwrap_or_default();
    s.push('\n');
    s
}
