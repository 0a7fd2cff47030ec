//! Server settings (`GET|PUT /api/v1/settings`, sysadmins only): the retention periods.

use actix_web::{HttpRequest, get, put, web};
use confreports_types::{Problem, Settings, SettingsUpdate};

use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};
use crate::report::db;
use crate::state::AppState;

/// Get the settings
///
/// The current values; settings never changed read as their defaults.
#[utoipa::path(
    operation_id = "getSettings",
    tag = "settings",
    responses(
        (status = 200, description = "The settings", body = Settings),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a sysadmin", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/settings")]
pub async fn get_settings(state: web::Data<AppState>) -> ApiResult<web::Json<Settings>> {
    Ok(web::Json(db(&state, |conn| Ok(confreports_store::settings::get(conn)?)).await?))
}

/// Change settings
///
/// Sets the settings present in the body; the others keep their value. What changed is
/// recorded as a configuration change (object type `settings`, each parameter before and
/// after) in the same transaction.
#[utoipa::path(
    operation_id = "updateSettings",
    tag = "settings",
    request_body(content = SettingsUpdate, example = json!({"endpoint_retention_days": 90})),
    responses(
        (status = 200, description = "The settings as they now are", body = Settings),
        (status = 400, description = "A value is out of range; `errors` names the field", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a sysadmin, or the CSRF token is missing", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Malformed body or unknown field", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/settings")]
pub async fn update_settings(
    state: web::Data<AppState>,
    req: HttpRequest,
    principal: Principal,
    body: crate::body::JsonObject<SettingsUpdate>,
) -> ApiResult<web::Json<Settings>> {
    let update = body.into_inner();
    for (field, value) in [
        ("endpoint_retention_days", update.endpoint_retention_days),
        ("recording_retention_days", update.recording_retention_days),
    ] {
        if let Some(v) = value
            && !Settings::RETENTION_DAYS.contains(&v)
        {
            let (lo, hi) = (Settings::RETENTION_DAYS.start(), Settings::RETENTION_DAYS.end());
            return Err(ApiError::bad_parameter(field, format!("`{field}` must be {lo} to {hi} days, not {v}")));
        }
    }
    let actor = principal.actor(&req);
    let settings = db(&state, move |conn| Ok(confreports_store::settings::update(conn, &update, &actor)?)).await?;
    Ok(web::Json(settings))
}
