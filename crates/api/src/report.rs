//! The HTTP side of every report: list, count, export and delete by filter, written once.
//! A report adds its parameters and CSV columns by implementing [`ApiReport`]; its handlers
//! are one-line calls into the functions here.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono_tz::Tz;
use confreports_store::audit;
use confreports_store::pg_async::ReadError;
use confreports_store::report::{self, CommonFilter, Report, cursor_fits};
use confreports_types::{
    Count, Cursor, DeleteParams, Deleted, ExportParams, Page, PageParams, Preferences, RangeParams, Sort, SortField,
};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::auth::Principal;
use crate::csv_export;
use crate::error::{ApiError, ApiResult};
use crate::params::{QueryPairs, common_filter, time_zone};
use crate::state::AppState;

/// What a report adds to [`Report`] for HTTP: its own filter parameters and its CSV columns.
pub trait ApiReport: Report<Item: Serialize> {
    /// The report-specific filter parameters (besides `from`, `to`, `tz`, `q`).
    type Params: DeserializeOwned + Send + 'static;
    const PARAM_NAMES: &'static [&'static str];

    /// Whether the parameters select nothing by themselves (delete then needs `all=true`).
    fn params_empty(params: &Self::Params) -> bool;

    /// Builds the store filter; the one place the report's parameters are interpreted.
    fn filter(common: CommonFilter, params: Self::Params) -> ApiResult<Self::Filter>;

    /// Column names of the export, in order.
    const CSV_HEADER: &'static [&'static str];

    /// One export row; times in `tz`.
    fn csv_row(item: &Self::Item, tz: Tz, row: &mut csv_export::Row);

    /// The export as one statement for PostgreSQL's `COPY` ([`csv_export::CopySource`]); `None`
    /// (the default, and on SQLite): the rows are read in keyset batches and formatted by
    /// [`csv_row`](Self::csv_row).
    fn copy_source(
        _conn: &mut confreports_store::DbConnection,
        _filter: &Self::Filter,
        _sort: Sort<Self::Sort>,
    ) -> diesel::QueryResult<Option<csv_export::CopySource>> {
        Ok(None)
    }
}

/// A report's filter as parsed from a request, with what else the request said about it.
pub struct ParsedFilter<R: ApiReport> {
    pub filter: R::Filter,
    pub tz: Tz,
    /// Whether any filter parameter was given at all.
    pub is_empty: bool,
}

fn parse_filter<R: ApiReport>(pairs: &QueryPairs, prefs: &Preferences) -> ApiResult<ParsedFilter<R>> {
    let range: RangeParams = pairs.take(RangeParams::NAMES)?;
    let params: R::Params = pairs.take(R::PARAM_NAMES)?;
    let default_tz = prefs.time_zone.parse::<Tz>().unwrap_or(Tz::UTC);
    let tz = time_zone(range.tz.as_deref(), default_tz)?;
    let is_empty = range.is_empty() && R::params_empty(&params);
    let common = common_filter(&range, tz)?;
    Ok(ParsedFilter { filter: R::filter(common, params)?, tz, is_empty })
}

fn parse_sort<R: ApiReport>(sort: Option<&str>) -> ApiResult<Sort<R::Sort>> {
    match sort {
        None => Ok(R::Sort::DEFAULT),
        Some(s) => Sort::parse(s).ok_or_else(|| {
            let fields: Vec<&str> = R::Sort::ALL.iter().map(|f| f.name()).collect();
            ApiError::bad_parameter(
                "sort",
                format!("unknown sort `{s}`; expected one of {}, with `-` in front for descending", fields.join(", ")),
            )
        }),
    }
}

/// Runs blocking database work on the blocking pool.
pub async fn db<T, F>(state: &AppState, f: F) -> ApiResult<T>
where
    T: Send + 'static,
    F: FnOnce(&mut confreports_store::DbConnection) -> Result<T, ApiError> + Send + 'static,
{
    let pool = state.pool.clone();
    web::block(move || {
        let mut conn = pool.get()?;
        f(&mut conn)
    })
    .await?
}

/// `GET /<report>`: one page, with `next_cursor` and a `Link: rel="next"` header.
pub async fn list<R: ApiReport>(
    state: web::Data<AppState>,
    req: HttpRequest,
    principal: Principal,
) -> ApiResult<HttpResponse> {
    let pairs = QueryPairs::parse(req.query_string());
    pairs.check_known(&[RangeParams::NAMES, R::PARAM_NAMES, PageParams::NAMES])?;
    let parsed = parse_filter::<R>(&pairs, &principal.preferences())?;
    let paging: PageParams = pairs.take(PageParams::NAMES)?;
    let sort = parse_sort::<R>(paging.sort.as_deref())?;
    let limit = paging.limit.unwrap_or(PageParams::DEFAULT_LIMIT);
    if !(1..=PageParams::MAX_LIMIT).contains(&limit) {
        return Err(ApiError::bad_parameter("limit", format!("`limit` must be 1 to {}", PageParams::MAX_LIMIT)));
    }
    let after = match paging.cursor.as_deref() {
        None => None,
        Some(c) => {
            let cursor =
                Cursor::decode(c, &sort.to_string()).map_err(|e| ApiError::bad_parameter("cursor", e.to_string()))?;
            if !cursor_fits::<R>(&cursor, sort) {
                return Err(ApiError::bad_parameter("cursor", "malformed cursor; pass back a next_cursor unchanged"));
            }
            Some(cursor)
        }
    };
    let filter = parsed.filter;
    let next_link = |next: Option<Cursor>| {
        let next_cursor = next.map(|c| c.encode());
        let mut res = HttpResponse::Ok();
        if let Some(next) = &next_cursor {
            let link = format!("<{}?{}>; rel=\"next\"", req.path(), pairs.with("cursor", next));
            res.insert_header((header::LINK, link));
        }
        (res, next_cursor)
    };
    if let Some(page) = direct_page::<R>(&state, &filter, sort, after.as_ref(), i64::from(limit)).await? {
        let (res, next_cursor) = next_link(page.next);
        return Ok(page_json_body(res, page.json, next_cursor.as_deref()));
    }
    let (items, next) =
        db(&state, move |conn| Ok(report::page::<R>(conn, &filter, sort, after.as_ref(), i64::from(limit))?)).await?;
    let (res, next_cursor) = next_link(next);
    Ok(json_body(res, &Page { items, next_cursor }))
}

/// The page read by PostgreSQL's asynchronous client on this worker, when the report and the
/// filter are read that way ([`report::page_direct`]); `None`: read it through the pool, as
/// also when that client cannot connect (logged).
async fn direct_page<R: ApiReport>(
    state: &AppState,
    filter: &R::Filter,
    sort: Sort<R::Sort>,
    after: Option<&Cursor>,
    limit: i64,
) -> ApiResult<Option<report::ItemsJson>> {
    let Some(reader) = &state.pg_reader else { return Ok(None) };
    match report::page_direct::<R>(reader, filter, sort, after, limit, PAGE_JSON_START.to_vec()).await {
        Ok(page) => Ok(page),
        Err(ReadError::Connect(e)) => {
            // Logged as a warning where the connection failed, once per failure.
            tracing::debug!("reading a page through the pool: {e}");
            Ok(None)
        }
        Err(ReadError::Build(e)) => Err(e.into()),
        Err(e @ (ReadError::Query(_) | ReadError::Json(_))) => Err(ApiError::Internal(e.to_string())),
    }
}

/// Bytes reserved per item of a page before serializing it (an event is 400 to 700): one
/// allocation for the body rather than a dozen, each copying what was written before it.
const JSON_BYTES_PER_ITEM: usize = 640;

/// `res` with `page` as its JSON body.
fn json_body<T: Serialize>(mut res: actix_web::HttpResponseBuilder, page: &Page<T>) -> HttpResponse {
    let mut body = Vec::with_capacity(256 + page.items.len() * JSON_BYTES_PER_ITEM);
    match serde_json::to_writer(&mut body, page) {
        Ok(()) => res.insert_header(header::ContentType::json()).body(body),
        Err(e) => actix_web::ResponseError::error_response(&ApiError::Internal(format!("serializing a page: {e}"))),
    }
}

/// How the JSON of a [`Page`] starts, before its items.
const PAGE_JSON_START: &[u8] = b"{\"items\":";

/// `res` with the JSON of a [`Page`]: `body` is [`PAGE_JSON_START`] and the items already
/// written as a JSON array; the rest is the bytes `serde_json` writes for a `Page` (the API test
/// `pages_are_the_same_json_on_both_databases` compares them with SQLite's pages, written by
/// [`json_body`]).
fn page_json_body(res: actix_web::HttpResponseBuilder, mut body: Vec<u8>, next_cursor: Option<&str>) -> HttpResponse {
    body.extend_from_slice(b",\"next_cursor\":");
    match serde_json::to_writer(&mut body, &next_cursor) {
        Ok(()) => {
            body.push(b'}');
            let mut res = res;
            res.insert_header(header::ContentType::json()).body(body)
        }
        Err(e) => actix_web::ResponseError::error_response(&ApiError::Internal(format!("serializing a page: {e}"))),
    }
}

/// `GET /<report>/count`.
pub async fn count<R: ApiReport>(
    state: web::Data<AppState>,
    req: HttpRequest,
    principal: Principal,
) -> ApiResult<HttpResponse> {
    let pairs = QueryPairs::parse(req.query_string());
    pairs.check_known(&[RangeParams::NAMES, R::PARAM_NAMES])?;
    let filter = parse_filter::<R>(&pairs, &principal.preferences())?.filter;
    let count = db(&state, move |conn| Ok(R::count(conn, &filter)?)).await?;
    Ok(HttpResponse::Ok().json(Count { count: count.max(0) as u64 }))
}

/// `GET /<report>/export`: the whole selection as CSV, streamed; at most
/// `limits.exports_per_principal` at once per caller (429 beyond), the slot held by the body.
pub async fn export<R: ApiReport>(
    state: web::Data<AppState>,
    req: HttpRequest,
    principal: Principal,
) -> ApiResult<HttpResponse> {
    let pairs = QueryPairs::parse(req.query_string());
    pairs.check_known(&[RangeParams::NAMES, R::PARAM_NAMES, ExportParams::NAMES])?;
    let parsed = parse_filter::<R>(&pairs, &principal.preferences())?;
    let options: ExportParams = pairs.take(ExportParams::NAMES)?;
    let sort = parse_sort::<R>(options.sort.as_deref())?;
    let prefs = principal.preferences();
    let format = csv_export::Format {
        delimiter: options.delimiter.unwrap_or(prefs.csv_delimiter),
        bom: options.bom.unwrap_or(prefs.csv_bom),
        tz: parsed.tz,
    };
    let max = state.limits.exports_per_principal;
    let slot = state.limits.exports.try_acquire(&principal, max).ok_or_else(|| ApiError::TooManyRequests {
        message: format!("at most {max} exports may stream at once per caller; retry when one has finished"),
        retry_after_s: crate::limits::Limits::EXPORT_RETRY_AFTER_S,
    })?;
    // Recorded before the first row leaves: an export is a read that leaves no other trace.
    let entry = audit::Entry::by(&principal.actor(&req), "export")
        .with_target(R::NAME)
        .with_details(serde_json::json!({ "report": R::NAME, "filter": &parsed.filter }));
    db(&state, move |conn| Ok(audit::append(conn, &entry)?)).await?;
    Ok(csv_export::stream::<R>(state.pool.clone(), state.db_url.clone(), parsed.filter, sort, format, slot))
}

/// `DELETE /<report>`: deletes what the filter selects and logs it, in one transaction.
pub async fn delete<R: ApiReport>(
    state: web::Data<AppState>,
    req: HttpRequest,
    principal: Principal,
) -> ApiResult<HttpResponse> {
    let actor = principal.actor(&req);
    let pairs = QueryPairs::parse(req.query_string());
    pairs.check_known(&[RangeParams::NAMES, R::PARAM_NAMES, DeleteParams::NAMES])?;
    let parsed = parse_filter::<R>(&pairs, &principal.preferences())?;
    let options: DeleteParams = pairs.take(DeleteParams::NAMES)?;
    if parsed.is_empty && options.all != Some(true) {
        return Err(ApiError::bad_parameter(
            "all",
            "give at least one filter, or `all=true` to delete every entry of the report",
        ));
    }
    let filter = parsed.filter;
    let reason = options.reason.filter(|r| !r.trim().is_empty());
    let deleted =
        db(&state, move |conn| Ok(report::delete_by_filter::<R>(conn, &filter, &actor, reason.as_deref())?)).await?;
    Ok(HttpResponse::Ok().json(Deleted { deleted }))
}
