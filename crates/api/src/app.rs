//! The actix application: routes, shared state, security headers, error pages, web app.

use actix_web::body::MessageBody;
use actix_web::dev::{Service as _, ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::middleware::{Compress, DefaultHeaders};
use actix_web::{App, HttpRequest, HttpResponse, web};
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

use crate::error::{framework_problem, problem_response};
use crate::state::AppState;

/// Lets the WASM app run without 'unsafe-inline' or 'unsafe-eval'.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
style-src 'self'; img-src 'self' data:; media-src 'self'; connect-src 'self'; font-src 'self'; \
object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Swagger UI injects `<style>` elements at run time; its pages alone may use inline styles.
/// Scripts stay `'self'`-only there too.
pub const SWAGGER_UI_CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; object-src 'none'; \
base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

pub fn framework_error(status: StatusCode, detail: String) -> actix_web::Error {
    actix_web::error::InternalError::from_response(detail.clone(), problem_response(&framework_problem(status, detail)))
        .into()
}

/// Builds the application over `state`.
pub fn build(
    state: AppState,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let web_dir = state.web_dir.clone();
    let (app, api) = App::new()
        .into_utoipa_app()
        .openapi(<crate::openapi::ApiDoc as utoipa::OpenApi>::openapi())
        .app_data(web::Data::new(state))
        .configure(crate::routes::api)
        .split_for_parts();
    let api = crate::openapi::with_security(api);
    let mut app = app
        .configure(crate::routes::extractor_config)
        .service(SwaggerUi::new("/swagger-ui/{_:.*}").url("/api-docs/openapi.json", api));
    if let Some(dir) = web_dir {
        let index = dir.join("index.html");
        app = app.service(
            actix_files::Files::new("/", dir)
                .index_file("index.html")
                .prefer_utf8(true)
                // Client-side routes (/events?...) load the app, which routes itself.
                .default_handler(web::to(move |req: HttpRequest| {
                    let index = index.clone();
                    async move { web_app_page(req, &index).await }
                })),
        );
    }
    app.default_service(web::to(not_found))
        // After the guard: a caller the policy refuses gets its 401/403 whatever its query.
        .wrap(actix_web::middleware::from_fn(crate::limits::query_length))
        .wrap(actix_web::middleware::from_fn(crate::auth::guard))
        .wrap(actix_web::middleware::from_fn(crate::limits::body_idle_timeout))
        .wrap(Compress::default())
        .wrap_fn(|req, srv| {
            let swagger = req.path().starts_with("/swagger-ui/");
            let res = srv.call(req);
            async move {
                let mut res = res.await?;
                if swagger {
                    res.headers_mut().insert(
                        actix_web::http::header::CONTENT_SECURITY_POLICY,
                        actix_web::http::header::HeaderValue::from_static(SWAGGER_UI_CONTENT_SECURITY_POLICY),
                    );
                }
                Ok(res)
            }
        })
        .wrap(security_headers())
}

async fn web_app_page(req: HttpRequest, index: &std::path::Path) -> HttpResponse {
    if req.path().starts_with("/api/") || req.method() != actix_web::http::Method::GET {
        return not_found(req).await;
    }
    match actix_files::NamedFile::open_async(index).await {
        Ok(f) => f.into_response(&req),
        Err(_) => not_found(req).await,
    }
}

async fn not_found(req: HttpRequest) -> HttpResponse {
    problem_response(&framework_problem(
        StatusCode::NOT_FOUND,
        format!("no resource at {} {}", req.method(), req.path()),
    ))
}

fn security_headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add(("Content-Security-Policy", CONTENT_SECURITY_POLICY))
        .add(("X-Content-Type-Options", "nosniff"))
        .add(("X-Frame-Options", "DENY"))
        .add(("Referrer-Policy", "no-referrer"))
        .add(("Cross-Origin-Opener-Policy", "same-origin"))
}
