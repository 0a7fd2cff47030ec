//! The dashboard over HTTP: figures per day, days cut in the caller's time zone.

use actix_web::{HttpRequest, get, web};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use confreports_store::dashboard::{self, Day};
use confreports_types::{Dashboard, DashboardDay, DashboardParams, Problem, RangeParams};

use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};
use crate::params::{QueryPairs, common_filter, start_of_day, time_zone};
use crate::report::db;
use crate::state::AppState;

/// Days shown when the request names none.
const DEFAULT_DAYS: i64 = 30;

/// The days of `[from, to)` in `tz`, each clipped to the range.
fn days(from: DateTime<Utc>, to: DateTime<Utc>, tz: Tz) -> Vec<Day> {
    let mut out = Vec::new();
    let mut date = from.with_timezone(&tz).date_naive();
    let mut start = from;
    while start < to {
        let Some(next) = date.succ_opt() else { break };
        let end = start_of_day(next, tz).min(to);
        if end > start {
            out.push(Day { date, from: start, to: end });
        }
        start = end.max(start);
        date = next;
    }
    out
}

/// The range asked for, with the defaults: the last 30 days up to today, or the 30 days up to `to`.
fn range(params: &DashboardParams, tz: Tz) -> ApiResult<(DateTime<Utc>, DateTime<Utc>)> {
    let date = |d: NaiveDate| d.format("%Y-%m-%d").to_string();
    let to = match &params.to {
        Some(to) => to.clone(),
        None => date(Utc::now().with_timezone(&tz).date_naive()),
    };
    let from = match &params.from {
        Some(from) => from.clone(),
        None => {
            let end = common_filter(&RangeParams { to: Some(to.clone()), ..Default::default() }, tz)?
                .to
                .ok_or_else(|| ApiError::Internal("`to` parsed to nothing".into()))?;
            let last_day = (end - Duration::microseconds(1)).with_timezone(&tz).date_naive();
            date(last_day - Duration::days(DEFAULT_DAYS - 1))
        }
    };
    let filter = common_filter(&RangeParams { from: Some(from), to: Some(to), tz: None, q: None }, tz)?;
    match (filter.from, filter.to) {
        (Some(f), Some(t)) => Ok((f, t)),
        _ => Err(ApiError::Internal("range parsed to nothing".into())),
    }
}

/// Get the dashboard
///
/// Per day, in `tz` (DST-correct: a day is from one local midnight to the next): calls started,
/// the peak of concurrent sessions, active users (distinct users, not administrators, with a
/// successful `login` or `authorize`), events per type and recording storage (bytes of the
/// recordings started that day, and the running total of those stored); then totals over the
/// range. Default: the last 30 days up to today. At most 366 days. Each day's `from`/`to` is
/// the filter of the matching table: `/calls?from=&to=`, `/events?type=<type>&from=&to=`,
/// `/events?type=login&type=authorize&success=true&from=&to=`, `/recordings?from=&to=`.
#[utoipa::path(
    operation_id = "getDashboard",
    tag = "dashboard",
    params(DashboardParams),
    responses(
        (status = 200, description = "Figures per day and totals", body = Dashboard),
        (status = 400, description = "A parameter is invalid, or the range is longer than 366 days", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/dashboard")]
pub async fn get_dashboard(
    state: web::Data<AppState>,
    req: HttpRequest,
    principal: Principal,
) -> ApiResult<web::Json<Dashboard>> {
    let pairs = QueryPairs::parse(req.query_string());
    pairs.check_known(&[DashboardParams::NAMES])?;
    let params: DashboardParams = pairs.take(DashboardParams::NAMES)?;
    let default_tz = principal.preferences().time_zone.parse::<Tz>().unwrap_or(Tz::UTC);
    let tz = time_zone(params.tz.as_deref(), default_tz)?;
    let (from, to) = range(&params, tz)?;
    // Counted in days of the zone below; this rough bound first keeps absurd ranges cheap.
    let too_long = to - from > Duration::days(DashboardParams::MAX_DAYS + 1);
    let days = if too_long { Vec::new() } else { days(from, to, tz) };
    if too_long || days.len() as i64 > DashboardParams::MAX_DAYS {
        return Err(ApiError::bad_parameter(
            "to",
            format!("the range covers more than {} days", DashboardParams::MAX_DAYS),
        ));
    }
    let now = Utc::now();
    let asked = days.clone();
    let (figures, totals) = db(&state, move |conn| Ok(dashboard::figures(conn, &asked, now)?)).await?;
    let days = days
        .into_iter()
        .zip(figures)
        .map(|(d, figures)| DashboardDay { date: d.date, from: d.from, to: d.to, figures })
        .collect();
    Ok(web::Json(Dashboard { from, to, tz: tz.name().to_owned(), days, totals }))
}
