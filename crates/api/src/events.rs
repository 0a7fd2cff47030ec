//! The Events report over HTTP.

use actix_web::{HttpRequest, HttpResponse, delete, get, web};
use chrono_tz::Tz;
use confreports_store::events::{EventFilter, EventsReport};
use confreports_store::report::CommonFilter;
use confreports_types::{
    Count, DeleteParams, Deleted, Event, EventFilterParams, EventSort, EventType, EventTypeInfo, ExportParams, Page,
    PageParams, Problem, RangeParams, Sort,
};

use crate::auth::Principal;
use crate::csv_export::{Cell, CopySource, Row};
use crate::error::{ApiResult, or_not_found, path_id};
use crate::report::{self, ApiReport, db};
use crate::state::AppState;

impl ApiReport for EventsReport {
    type Params = EventFilterParams;
    const PARAM_NAMES: &'static [&'static str] = EventFilterParams::NAMES;

    fn params_empty(params: &EventFilterParams) -> bool {
        params.is_empty()
    }

    fn filter(common: CommonFilter, p: EventFilterParams) -> ApiResult<EventFilter> {
        Ok(EventFilter {
            common,
            types: p.event_type,
            users: p.user,
            ips: p.ip,
            endpoints: p.endpoint,
            success: p.success,
        })
    }

    const CSV_HEADER: &'static [&'static str] = &[
        "id",
        "time",
        "type",
        "success",
        "user_id",
        "display_name",
        "ip",
        "entered_login",
        "real_user_id",
        "endpoint_id",
        "app_name",
        "auth_method",
        "user_rights",
        "previous_status",
        "new_status",
        "description",
        "admin_type",
        "user_agent",
        "users",
        "details",
    ];

    fn copy_source(
        conn: &mut confreports_store::DbConnection,
        filter: &EventFilter,
        sort: Sort<EventSort>,
    ) -> diesel::QueryResult<Option<CopySource>> {
        let names: Vec<&str> = COPY_COLUMNS.iter().map(|(name, _)| *name).collect();
        let select = confreports_store::events::copy_select(conn, filter, sort, &names.join(", "))?;
        Ok(select.map(|select| CopySource { select, columns: &COPY_COLUMNS }))
    }

    fn csv_row(e: &Event, _tz: Tz, row: &mut Row) {
        row.plain(e.id);
        row.time(Some(e.time));
        row.plain(e.event_type);
        row.plain(e.success);
        row.text(e.user_id.as_deref());
        row.text(e.display_name.as_deref());
        row.text(e.ip.as_deref());
        row.text(e.entered_login.as_deref());
        row.text(e.real_user_id.as_deref());
        row.text(e.endpoint_id.as_deref());
        row.text(e.app_name.as_deref());
        row.text(e.auth_method.as_deref());
        row.text(e.user_rights.as_deref());
        row.optional(e.previous_status);
        row.optional(e.new_status);
        row.text(e.description.as_deref());
        row.text(e.admin_type.as_deref());
        row.text(e.user_agent.as_deref());
        row.text(e.users.as_ref().map(|u| u.join(" ")).as_deref());
        row.text(e.details.as_ref().map(|d| d.to_string()).as_deref());
    }
}

/// The stored columns of [`EventsReport::csv_row`]'s cells, in its order, and how each is
/// written.
const COPY_COLUMNS: [(&str, Cell); 20] = [
    ("id", Cell::Plain),
    ("time", Cell::Time),
    ("type", Cell::Plain),
    ("success", Cell::Boolean),
    ("user_id", Cell::Text),
    ("display_name", Cell::Text),
    ("ip", Cell::Text),
    ("entered_login", Cell::Text),
    ("real_user_id", Cell::Text),
    ("endpoint_id", Cell::Text),
    ("app_name", Cell::Text),
    ("auth_method", Cell::Text),
    ("user_rights", Cell::Text),
    ("previous_status", Cell::Plain),
    ("new_status", Cell::Plain),
    ("description", Cell::Text),
    ("admin_type", Cell::Text),
    ("user_agent", Cell::Text),
    ("users", Cell::TextList),
    // Stored as serde_json writes a value: what the rows path writes again.
    ("details", Cell::Text),
];

/// List events
///
/// Newest first by default. Every filter combines with AND; repeated values of one filter
/// with OR. Follow `next_cursor` (or the `Link: rel="next"` header) for the next page.
#[utoipa::path(
    operation_id = "listEvents",
    tag = "events",
    params(EventFilterParams, RangeParams, PageParams),
    responses(
        (status = 200, description = "One page of events", body = Page<Event>,
         headers(("Link" = String, description = "`<next page URL>; rel=\"next\"` while more rows follow"))),
        (status = 400, description = "A parameter is invalid", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/events")]
pub async fn list_events(
    state: web::Data<AppState>,
    req: HttpRequest,
    principal: Principal,
) -> ApiResult<HttpResponse> {
    report::list::<EventsReport>(state, req, principal).await
}

/// Count events
///
/// How many events the filter selects: the number a delete with the same filter would remove.
#[utoipa::path(
    operation_id = "countEvents",
    tag = "events",
    params(EventFilterParams, RangeParams),
    responses(
        (status = 200, description = "The number of matching events", body = Count),
        (status = 400, description = "A parameter is invalid", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/events/count")]
pub async fn count_events(
    state: web::Data<AppState>,
    req: HttpRequest,
    principal: Principal,
) -> ApiResult<HttpResponse> {
    report::count::<EventsReport>(state, req, principal).await
}

/// Export events as CSV
///
/// The whole selection, streamed, never truncated. Times in `tz` with their offset; cells a
/// spreadsheet would read as a formula are prefixed with `'`.
#[utoipa::path(
    operation_id = "exportEvents",
    tag = "events",
    params(EventFilterParams, RangeParams, ExportParams),
    responses(
        (status = 200, description = "CSV, first line the header", content_type = "text/csv", body = String,
         headers(("Content-Disposition" = String, description = "`attachment; filename=\"events-<time>.csv\"`")),
         example = json!("id,time,type,success,user_id\n1017,2026-11-24T23:07:00+03:00,login,true,ivanov@corp.example\n")),
        (status = 400, description = "A parameter is invalid", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "This caller already streams the most exports allowed at once (2 by default); retry after `Retry-After` seconds", body = Problem, content_type = "application/problem+json",
         headers(("Retry-After" = u32, description = "Seconds to wait before retrying (5)"))),
    )
)]
#[get("/events/export")]
pub async fn export_events(
    state: web::Data<AppState>,
    req: HttpRequest,
    principal: Principal,
) -> ApiResult<HttpResponse> {
    report::export::<EventsReport>(state, req, principal).await
}

/// Delete events by filter
///
/// Deletes every event the filter selects (not only one page) and records a `delete_events`
/// event with the count, the filter and the reason, in the same transaction. At least one
/// filter is required; `all=true` deletes everything.
#[utoipa::path(
    operation_id = "deleteEvents",
    tag = "events",
    params(EventFilterParams, RangeParams, DeleteParams),
    responses(
        (status = 200, description = "How many events were deleted", body = Deleted),
        (status = 400, description = "No filter, or a parameter is invalid", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/events")]
pub async fn delete_events(
    state: web::Data<AppState>,
    req: HttpRequest,
    principal: Principal,
) -> ApiResult<HttpResponse> {
    report::delete::<EventsReport>(state, req, principal).await
}

/// Get one event
#[utoipa::path(
    operation_id = "getEvent",
    tag = "events",
    params(("id" = i64, Path, description = "Event id", example = 1017)),
    responses(
        (status = 200, description = "The event", body = Event),
        (status = 400, description = "The id is not a number, or a query parameter was given", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such event", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/events/{id}")]
pub async fn get_event(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
) -> ApiResult<web::Json<Event>> {
    crate::params::no_query(&req)?;
    let id = path_id("event", &id)?;
    let event = db(&state, move |conn| {
        confreports_store::events::get(conn, id).map_err(or_not_found(format!("no event with id {id}")))
    })
    .await?;
    Ok(web::Json(event))
}

/// List event types
///
/// Every value of an event's `type`, with a description.
#[utoipa::path(
    operation_id = "listEventTypes",
    tag = "events",
    responses((status = 200, description = "Event types", body = Vec<EventTypeInfo>))
)]
#[get("/event-types")]
pub async fn list_event_types() -> web::Json<Vec<EventTypeInfo>> {
    web::Json(
        EventType::ALL.iter().map(|&t| EventTypeInfo { name: t, description: t.description().to_owned() }).collect(),
    )
}
