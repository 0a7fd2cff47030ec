//! The Configuration changes report over HTTP.

use actix_web::{HttpRequest, HttpResponse, delete, get, web};
use chrono_tz::Tz;
use confreports_store::config_changes::{ConfigChangeFilter, ConfigChangesReport};
use confreports_store::report::CommonFilter;
use confreports_types::{
    ConfigChange, ConfigChangeFilterParams, Count, DeleteParams, Deleted, ExportParams, Page, PageParams, Problem,
    RangeParams,
};

use crate::auth::Principal;
use crate::csv_export::Row;
use crate::error::{ApiResult, or_not_found, path_id};
use crate::report::{self, ApiReport, db};
use crate::state::AppState;

impl ApiReport for ConfigChangesReport {
    type Params = ConfigChangeFilterParams;
    const PARAM_NAMES: &'static [&'static str] = ConfigChangeFilterParams::NAMES;

    fn params_empty(params: &ConfigChangeFilterParams) -> bool {
        params.is_empty()
    }

    fn filter(common: CommonFilter, p: ConfigChangeFilterParams) -> ApiResult<ConfigChangeFilter> {
        Ok(ConfigChangeFilter { common, actors: p.actor, objects: p.object, parameters: p.parameter })
    }

    const CSV_HEADER: &'static [&'static str] =
        &["id", "time", "actor", "actor_type", "object", "object_type", "parameter", "before", "after"];

    /// One row per change; its parameters as lines of the `parameter`, `before` and `after`
    /// cells, so that a spreadsheet shows them side by side.
    fn csv_row(c: &ConfigChange, _tz: Tz, row: &mut Row) {
        let lines = |f: &dyn Fn(&confreports_types::ParameterChange) -> String| {
            c.changes.iter().map(f).collect::<Vec<_>>().join("\n")
        };
        row.plain(c.id);
        row.time(Some(c.time));
        row.text(Some(&c.actor));
        row.plain(c.actor_type.as_str());
        row.text(Some(&c.object));
        row.text(Some(&c.object_type));
        row.text(Some(&lines(&|p| p.parameter.clone())));
        row.text(Some(&lines(&|p| p.before.clone().unwrap_or_default())));
        row.text(Some(&lines(&|p| p.after.clone().unwrap_or_default())));
    }
}

/// List configuration changes
///
/// Newest first by default. Every filter combines with AND; repeated values of one filter
/// with OR. Follow `next_cursor` (or the `Link: rel="next"` header) for the next page.
#[utoipa::path(
    operation_id = "listConfigChanges",
    tag = "config-changes",
    params(ConfigChangeFilterParams, RangeParams, PageParams),
    responses(
        (status = 200, description = "One page of configuration changes", body = Page<ConfigChange>,
         headers(("Link" = String, description = "`<next page URL>; rel=\"next\"` while more rows follow"))),
        (status = 400, description = "A parameter is invalid", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/config-changes")]
pub async fn list_config_changes(
    state: web::Data<AppState>,
    req: HttpRequest,
    principal: Principal,
) -> ApiResult<HttpResponse> {
    report::list::<ConfigChangesReport>(state, req, principal).await
}

/// Count configuration changes
///
/// How many entries the filter selects: the number a delete with the same filter would remove.
#[utoipa::path(
    operation_id = "countConfigChanges",
    tag = "config-changes",
    params(ConfigChangeFilterParams, RangeParams),
    responses(
        (status = 200, description = "The number of matching entries", body = Count),
        (status = 400, description = "A parameter is invalid", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/config-changes/count")]
pub async fn count_config_changes(
    state: web::Data<AppState>,
    req: HttpRequest,
    principal: Principal,
) -> ApiResult<HttpResponse> {
    report::count::<ConfigChangesReport>(state, req, principal).await
}

/// Export configuration changes as CSV
///
/// The whole selection, streamed, never truncated: one row per change, its parameters one per
/// line in the `parameter`, `before` and `after` cells. Times in `tz` with their offset.
#[utoipa::path(
    operation_id = "exportConfigChanges",
    tag = "config-changes",
    params(ConfigChangeFilterParams, RangeParams, ExportParams),
    responses(
        (status = 200, description = "CSV, first line the header", content_type = "text/csv", body = String,
         headers(("Content-Disposition" = String, description = "`attachment; filename=\"config-changes-<time>.csv\"`")),
         example = json!("id,time,actor,actor_type,object,object_type,parameter,before,after\n311,2026-11-24T23:07:00+03:00,admin,admin,conf-0007,conference,topic,Weekly sync,Weekly sync (new time)\n")),
        (status = 400, description = "A parameter is invalid", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "This caller already streams the most exports allowed at once (2 by default); retry after `Retry-After` seconds", body = Problem, content_type = "application/problem+json",
         headers(("Retry-After" = u32, description = "Seconds to wait before retrying (5)"))),
    )
)]
#[get("/config-changes/export")]
pub async fn export_config_changes(
    state: web::Data<AppState>,
    req: HttpRequest,
    principal: Principal,
) -> ApiResult<HttpResponse> {
    report::export::<ConfigChangesReport>(state, req, principal).await
}

/// Delete configuration changes by filter
///
/// Deletes every entry the filter selects (not only one page) and records a `delete_logs`
/// event with the count, the filter and the reason, in the same transaction. At least one
/// filter is required; `all=true` deletes everything.
#[utoipa::path(
    operation_id = "deleteConfigChanges",
    tag = "config-changes",
    params(ConfigChangeFilterParams, RangeParams, DeleteParams),
    responses(
        (status = 200, description = "How many entries were deleted", body = Deleted),
        (status = 400, description = "No filter, or a parameter is invalid", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/config-changes")]
pub async fn delete_config_changes(
    state: web::Data<AppState>,
    req: HttpRequest,
    principal: Principal,
) -> ApiResult<HttpResponse> {
    report::delete::<ConfigChangesReport>(state, req, principal).await
}

/// Get one configuration change
#[utoipa::path(
    operation_id = "getConfigChange",
    tag = "config-changes",
    params(("id" = i64, Path, description = "Configuration change id", example = 311)),
    responses(
        (status = 200, description = "The change, each parameter before and after", body = ConfigChange),
        (status = 400, description = "The id is not a number, or a query parameter was given", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such entry", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/config-changes/{id}")]
pub async fn get_config_change(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
) -> ApiResult<web::Json<ConfigChange>> {
    crate::params::no_query(&req)?;
    let id = path_id("configuration change", &id)?;
    let change = db(&state, move |conn| {
        confreports_store::config_changes::get(conn, id)
            .map_err(or_not_found(format!("no configuration change with id {id}")))
    })
    .await?;
    Ok(web::Json(change))
}
