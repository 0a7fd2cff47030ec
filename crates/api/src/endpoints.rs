//! The Endpoints report over HTTP.

use actix_web::{HttpRequest, HttpResponse, delete, get, web};
use chrono_tz::Tz;
use confreports_store::endpoints::{EndpointFilter, EndpointsReport};
use confreports_store::report::CommonFilter;
use confreports_types::{
    Count, DeleteParams, Deleted, Endpoint, EndpointFilterParams, ExportParams, OlderThanDays, Page, PageParams,
    Problem, RangeParams,
};

use crate::auth::Principal;
use crate::csv_export::Row;
use crate::error::{ApiError, ApiResult, or_not_found};
use crate::params::no_query;
use crate::report::{self, ApiReport, db};
use crate::state::AppState;

/// The accepted values of `older_than_days`.
const OLDER_THAN_DAYS: std::ops::RangeInclusive<u32> = 1..=36_500;

impl ApiReport for EndpointsReport {
    type Params = EndpointFilterParams;
    const PARAM_NAMES: &'static [&'static str] = EndpointFilterParams::NAMES;

    fn params_empty(params: &EndpointFilterParams) -> bool {
        params.is_empty()
    }

    fn filter(common: CommonFilter, p: EndpointFilterParams) -> ApiResult<EndpointFilter> {
        if let Some(OlderThanDays::Days(n)) = p.older_than_days
            && !OLDER_THAN_DAYS.contains(&n)
        {
            return Err(ApiError::bad_parameter(
                "older_than_days",
                format!("`older_than_days` must be 1 to {}, or `retention`", OLDER_THAN_DAYS.end()),
            ));
        }
        Ok(EndpointFilter {
            common,
            users: p.user,
            apps: p.app,
            types: p.endpoint_type,
            older_than_days: p.older_than_days,
        })
    }

    const CSV_HEADER: &'static [&'static str] = &[
        "id",
        "user_id",
        "app",
        "app_version",
        "type",
        "os",
        "cpu",
        "ip",
        "last_conference",
        "network_test",
        "system_info",
        "first_seen",
        "last_seen",
    ];

    fn csv_row(e: &Endpoint, _tz: Tz, row: &mut Row) {
        row.text(Some(&e.id));
        row.text(e.user_id.as_deref());
        row.text(e.app.as_deref());
        row.text(e.app_version.as_deref());
        row.plain(e.endpoint_type);
        row.text(e.os.as_deref());
        row.text(e.cpu.as_deref());
        row.text(e.ip.as_deref());
        row.text(e.last_conference.as_deref());
        row.text(e.network_test.as_deref());
        row.text(e.system_info.as_deref());
        row.time(Some(e.first_seen));
        row.time(Some(e.last_seen));
    }
}

/// `older_than_days=` with no value would otherwise read as absent and widen the selection.
fn refuse_blank_older_than(req: &HttpRequest) -> ApiResult<()> {
    let blank = form_urlencoded::parse(req.query_string().as_bytes())
        .any(|(k, v)| k == "older_than_days" && v.trim().is_empty());
    if blank {
        return Err(ApiError::bad_parameter(
            "older_than_days",
            "`older_than_days` needs a number of days, or `retention` for the endpoint retention setting",
        ));
    }
    Ok(())
}

/// List endpoints
///
/// Most recently seen first by default. `from`/`to` bound `last_seen`; `q` searches every
/// field, case-insensitively, all words required (`q=webclient guest`: guests in the browser).
/// Every filter combines with AND; repeated values of one filter with OR.
#[utoipa::path(
    operation_id = "listEndpoints",
    tag = "endpoints",
    params(EndpointFilterParams, RangeParams, PageParams),
    responses(
        (status = 200, description = "One page of endpoints", body = Page<Endpoint>,
         headers(("Link" = String, description = "`<next page URL>; rel=\"next\"` while more rows follow"))),
        (status = 400, description = "A parameter is invalid", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/endpoints")]
pub async fn list_endpoints(
    state: web::Data<AppState>,
    req: HttpRequest,
    principal: Principal,
) -> ApiResult<HttpResponse> {
    refuse_blank_older_than(&req)?;
    report::list::<EndpointsReport>(state, req, principal).await
}

/// Count endpoints
///
/// How many endpoints the filter selects: the number a delete with the same filter would
/// remove (`older_than_days=retention` previews the purge of stale endpoints).
#[utoipa::path(
    operation_id = "countEndpoints",
    tag = "endpoints",
    params(EndpointFilterParams, RangeParams),
    responses(
        (status = 200, description = "The number of matching endpoints", body = Count),
        (status = 400, description = "A parameter is invalid", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/endpoints/count")]
pub async fn count_endpoints(
    state: web::Data<AppState>,
    req: HttpRequest,
    principal: Principal,
) -> ApiResult<HttpResponse> {
    refuse_blank_older_than(&req)?;
    report::count::<EndpointsReport>(state, req, principal).await
}

/// Export endpoints as CSV
///
/// The whole selection, streamed, never truncated. Times in `tz` with their offset; cells a
/// spreadsheet would read as a formula are prefixed with `'`.
#[utoipa::path(
    operation_id = "exportEndpoints",
    tag = "endpoints",
    params(EndpointFilterParams, RangeParams, ExportParams),
    responses(
        (status = 200, description = "CSV, first line the header", content_type = "text/csv", body = String,
         headers(("Content-Disposition" = String, description = "`attachment; filename=\"endpoints-<time>.csv\"`")),
         example = json!("id,user_id,app,app_version,type,os\nep-0017-0,ivanov@corp.example,TrueConf Client,8.5.2,desktop,Windows 11\n")),
        (status = 400, description = "A parameter is invalid", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "This caller already streams the most exports allowed at once (2 by default); retry after `Retry-After` seconds", body = Problem, content_type = "application/problem+json",
         headers(("Retry-After" = u32, description = "Seconds to wait before retrying (5)"))),
    )
)]
#[get("/endpoints/export")]
pub async fn export_endpoints(
    state: web::Data<AppState>,
    req: HttpRequest,
    principal: Principal,
) -> ApiResult<HttpResponse> {
    refuse_blank_older_than(&req)?;
    report::export::<EndpointsReport>(state, req, principal).await
}

/// Delete endpoints by filter
///
/// Deletes every endpoint the filter selects and records a `delete_connections` event with the
/// count, the filter and the reason, in the same transaction. The usual cleanup is
/// `older_than_days=N` (endpoints not seen for N days); `older_than_days=retention` deletes
/// those older than the endpoint retention setting (`endpoint_retention_days`, 180 by default),
/// read when the request runs. At least one filter is required; `all=true` deletes everything;
/// `older_than_days` without a value is a 400.
#[utoipa::path(
    operation_id = "deleteEndpoints",
    tag = "endpoints",
    params(EndpointFilterParams, RangeParams, DeleteParams),
    responses(
        (status = 200, description = "How many endpoints were deleted", body = Deleted),
        (status = 400, description = "No filter, or a parameter is invalid", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/endpoints")]
pub async fn delete_endpoints(
    state: web::Data<AppState>,
    req: HttpRequest,
    principal: Principal,
) -> ApiResult<HttpResponse> {
    refuse_blank_older_than(&req)?;
    report::delete::<EndpointsReport>(state, req, principal).await
}

/// Get one endpoint
#[utoipa::path(
    operation_id = "getEndpoint",
    tag = "endpoints",
    params(("id" = String, Path, description = "Endpoint id", example = "ep-0017-0")),
    responses(
        (status = 200, description = "The endpoint", body = Endpoint),
        (status = 400, description = "A query parameter was given", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such endpoint", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/endpoints/{id}")]
pub async fn get_endpoint(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
) -> ApiResult<web::Json<Endpoint>> {
    no_query(&req)?;
    let id = id.into_inner();
    let endpoint = db(&state, move |conn| {
        let not_found = or_not_found(format!("no endpoint with id `{id}`"));
        confreports_store::endpoints::get(conn, &id).map_err(not_found)
    })
    .await?;
    Ok(web::Json(endpoint))
}
