//! The Chat messages report over HTTP.

use actix_web::{HttpRequest, HttpResponse, delete, get, web};
use chrono_tz::Tz;
use confreports_store::chat::{ChatFilter, ChatReport};
use confreports_store::report::CommonFilter;
use confreports_types::{
    ChatFilterParams, ChatMessage, Count, DeleteParams, Deleted, ExportParams, Page, PageParams, Problem, RangeParams,
};

use crate::auth::Principal;
use crate::csv_export::Row;
use crate::error::{ApiResult, or_not_found, path_id};
use crate::report::{self, ApiReport, db};
use crate::state::AppState;

impl ApiReport for ChatReport {
    type Params = ChatFilterParams;
    const PARAM_NAMES: &'static [&'static str] = ChatFilterParams::NAMES;

    fn params_empty(params: &ChatFilterParams) -> bool {
        params.is_empty()
    }

    fn filter(common: CommonFilter, p: ChatFilterParams) -> ApiResult<ChatFilter> {
        Ok(ChatFilter { common, senders: p.sender, recipients: p.recipient, sessions: p.session, users: p.user })
    }

    const CSV_HEADER: &'static [&'static str] =
        &["id", "time", "sender", "sender_name", "recipient", "session_id", "text"];

    fn csv_row(m: &ChatMessage, _tz: Tz, row: &mut Row) {
        row.plain(m.id);
        row.time(Some(m.time));
        row.text(Some(&m.sender));
        row.text(m.sender_name.as_deref());
        row.text(m.recipient.as_deref());
        row.text(m.session_id.as_deref());
        row.text(Some(&m.text));
    }
}

/// List chat messages
///
/// Personal and group messages, newest first by default. Every filter combines with AND;
/// repeated values of one filter with OR. `q` searches the text and the sender's and
/// recipient's names, case-insensitively. Follow `next_cursor` for the next page.
#[utoipa::path(
    operation_id = "listChatMessages",
    tag = "chat-messages",
    params(ChatFilterParams, RangeParams, PageParams),
    responses(
        (status = 200, description = "One page of chat messages", body = Page<ChatMessage>,
         headers(("Link" = String, description = "`<next page URL>; rel=\"next\"` while more rows follow"))),
        (status = 400, description = "A parameter is invalid", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/chat-messages")]
pub async fn list_chat_messages(
    state: web::Data<AppState>,
    req: HttpRequest,
    principal: Principal,
) -> ApiResult<HttpResponse> {
    report::list::<ChatReport>(state, req, principal).await
}

/// Count chat messages
///
/// How many messages the filter selects: the number a delete with the same filter would remove.
#[utoipa::path(
    operation_id = "countChatMessages",
    tag = "chat-messages",
    params(ChatFilterParams, RangeParams),
    responses(
        (status = 200, description = "The number of matching messages", body = Count),
        (status = 400, description = "A parameter is invalid", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/chat-messages/count")]
pub async fn count_chat_messages(
    state: web::Data<AppState>,
    req: HttpRequest,
    principal: Principal,
) -> ApiResult<HttpResponse> {
    report::count::<ChatReport>(state, req, principal).await
}

/// Export chat messages as CSV
///
/// The whole selection, streamed, never truncated. Times in `tz` with their offset; cells a
/// spreadsheet would read as a formula are prefixed with `'`.
#[utoipa::path(
    operation_id = "exportChatMessages",
    tag = "chat-messages",
    params(ChatFilterParams, RangeParams, ExportParams),
    responses(
        (status = 200, description = "CSV, first line the header", content_type = "text/csv", body = String,
         headers(("Content-Disposition" = String, description = "`attachment; filename=\"chat-messages-<time>.csv\"`")),
         example = json!("id,time,sender,sender_name,recipient,session_id,text\n5120,2026-11-24T23:07:00+03:00,ivanov@corp.example,Иван Иванов,,s-20261124-0042,Добрый день\n")),
        (status = 400, description = "A parameter is invalid", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "This caller already streams the most exports allowed at once (2 by default); retry after `Retry-After` seconds", body = Problem, content_type = "application/problem+json",
         headers(("Retry-After" = u32, description = "Seconds to wait before retrying (5)"))),
    )
)]
#[get("/chat-messages/export")]
pub async fn export_chat_messages(
    state: web::Data<AppState>,
    req: HttpRequest,
    principal: Principal,
) -> ApiResult<HttpResponse> {
    report::export::<ChatReport>(state, req, principal).await
}

/// Delete chat messages by filter
///
/// Deletes every message the filter selects (not only one page) and records a
/// `delete_chat_messages` event with the count, the filter and the reason, in the same
/// transaction. At least one filter is required; `all=true` deletes everything.
#[utoipa::path(
    operation_id = "deleteChatMessages",
    tag = "chat-messages",
    params(ChatFilterParams, RangeParams, DeleteParams),
    responses(
        (status = 200, description = "How many messages were deleted", body = Deleted),
        (status = 400, description = "No filter, or a parameter is invalid", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/chat-messages")]
pub async fn delete_chat_messages(
    state: web::Data<AppState>,
    req: HttpRequest,
    principal: Principal,
) -> ApiResult<HttpResponse> {
    report::delete::<ChatReport>(state, req, principal).await
}

/// Get one chat message
#[utoipa::path(
    operation_id = "getChatMessage",
    tag = "chat-messages",
    params(("id" = i64, Path, description = "Chat message id", example = 5120)),
    responses(
        (status = 200, description = "The message", body = ChatMessage),
        (status = 400, description = "The id is not a number, or a query parameter was given", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such message", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/chat-messages/{id}")]
pub async fn get_chat_message(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
) -> ApiResult<web::Json<ChatMessage>> {
    crate::params::no_query(&req)?;
    let id = path_id("chat message", &id)?;
    let message = db(&state, move |conn| {
        confreports_store::chat::get(conn, id).map_err(or_not_found(format!("no chat message with id {id}")))
    })
    .await?;
    Ok(web::Json(message))
}
