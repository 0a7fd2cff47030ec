//! Users over HTTP: the users list and the user page (profile and activity across reports).

use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono_tz::Tz;
use confreports_store::report::CommonFilter;
use confreports_store::users::{UserFilter, UsersReport};
use confreports_types::{Page, PageParams, Problem, RangeParams, User, UserFilterParams, UserProfile};

use crate::auth::Principal;
use crate::csv_export::Row;
use crate::error::{ApiResult, or_not_found};
use crate::report::{self, ApiReport, db};
use crate::state::AppState;

impl ApiReport for UsersReport {
    type Params = UserFilterParams;
    const PARAM_NAMES: &'static [&'static str] = UserFilterParams::NAMES;

    fn params_empty(_params: &UserFilterParams) -> bool {
        true
    }

    fn filter(common: CommonFilter, _p: UserFilterParams) -> ApiResult<UserFilter> {
        Ok(UserFilter { common })
    }

    // The users list has no export route; the columns keep the trait's contract.
    const CSV_HEADER: &'static [&'static str] =
        &["id", "display_name", "email", "department", "is_guest", "created_at"];

    fn csv_row(u: &User, _tz: Tz, row: &mut Row) {
        row.text(Some(&u.id));
        row.text(Some(&u.display_name));
        row.text(u.email.as_deref());
        row.text(u.department.as_deref());
        row.plain(u.is_guest);
        row.time(Some(u.created_at));
    }
}

/// List users
///
/// By display name by default. `q` searches the id, name, e-mail and department,
/// case-insensitively (several words must all match); `from`/`to` select by account creation
/// time. Follow `next_cursor` (or the `Link: rel="next"` header) for the next page.
#[utoipa::path(
    operation_id = "listUsers",
    tag = "users",
    params(RangeParams, PageParams),
    responses(
        (status = 200, description = "One page of users", body = Page<User>,
         headers(("Link" = String, description = "`<next page URL>; rel=\"next\"` while more rows follow"))),
        (status = 400, description = "A parameter is invalid", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/users")]
pub async fn list_users(state: web::Data<AppState>, req: HttpRequest, principal: Principal) -> ApiResult<HttpResponse> {
    report::list::<UsersReport>(state, req, principal).await
}

/// Get a user's page
///
/// The profile and the user's activity: per report (events, calls owned or joined, chat
/// messages sent or received, endpoints) the count, the newest entries and the report's list
/// filtered to this user.
#[utoipa::path(
    operation_id = "getUser",
    tag = "users",
    params(("id" = String, Path, description = "User ID", example = "ivanov@corp.example")),
    responses(
        (status = 200, description = "The profile and activity summary", body = UserProfile),
        (status = 400, description = "The id is invalid", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such user", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/users/{id}")]
pub async fn get_user(state: web::Data<AppState>, id: web::Path<String>) -> ApiResult<web::Json<UserProfile>> {
    let id = id.into_inner();
    let lookup = id.clone();
    let mut profile = db(&state, move |conn| {
        let not_found = or_not_found(format!("no user with id `{lookup}`"));
        confreports_store::users::profile(conn, &lookup).map_err(not_found)
    })
    .await?;
    let list = |path: &str, param: &str| {
        let query = form_urlencoded::Serializer::new(String::new()).append_pair(param, &id).finish();
        format!("/api/v1/{path}?{query}")
    };
    profile.events.list = list("events", "user");
    profile.calls.list = list("calls", "participant");
    profile.chat_messages.list = list("chat-messages", "user");
    profile.endpoints.list = list("endpoints", "user");
    Ok(web::Json(profile))
}
