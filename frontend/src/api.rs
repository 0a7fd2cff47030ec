//! The HTTP API of the server, one function per endpoint, all on the same origin under `/api/v1`.
//!
//! Requests carry the session cookie (`credentials: same-origin`; the cookie is HttpOnly, so the
//! app never sees it). Requests that change something carry the `X-CSRF-Token` of the session,
//! which this module remembers from the last [`Me`] the server sent. An answer 401 to any call
//! but the sign-in itself means the session is gone: the handler set by [`on_unauthorized`] runs
//! (the app goes back to its sign-in page).
//!
//! Each read registers an abort on the reactive owner that issued it, so a page that goes away
//! cancels its in-flight requests instead of letting them finish into nothing.

use std::cell::RefCell;
use std::fmt;
use std::future::Future;

use confreports_types::{Count, Deleted, LoginRequest, Me, Page, Preferences, Problem};
use gloo_net::http::{Request, RequestBuilder, Response};
use leptos::prelude::on_cleanup;
use serde::de::DeserializeOwned;
use web_sys::RequestCredentials;

const BASE: &str = "/api/v1";
const CSRF_HEADER: &str = "X-CSRF-Token";

/// Why a call failed, worded for the person looking at the page.
#[derive(Debug, Clone, PartialEq)]
pub enum ApiError {
    /// The server answered with problem details (`application/problem+json`).
    Problem(Problem),
    /// 429: too many requests; `retry_after` is the wait the server asked for, in seconds.
    Throttled { problem: Option<Problem>, retry_after: Option<u32> },
    /// The server answered with an error status but no problem details.
    Status { status: u16, text: String },
    /// No answer: the server is down or the network failed.
    Network(String),
    /// An answer that is not the JSON we expect.
    Decode(String),
}

impl ApiError {
    /// The HTTP status of the answer, if there was one.
    pub fn status(&self) -> Option<u16> {
        match self {
            ApiError::Problem(problem) => Some(problem.status),
            ApiError::Throttled { .. } => Some(429),
            ApiError::Status { status, .. } => Some(*status),
            ApiError::Network(_) | ApiError::Decode(_) => None,
        }
    }

    /// The message the server gave for one field of the request, if it named that field.
    pub fn field_message(&self, field: &str) -> Option<String> {
        let ApiError::Problem(problem) = self else {
            return None;
        };
        problem.errors.iter().flatten().find(|e| e.field == field).map(|e| e.message.clone())
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ApiError::Problem(problem) => f.write_str(&problem.detail),
            ApiError::Throttled { problem, retry_after } => {
                match problem {
                    Some(problem) if !problem.detail.is_empty() => f.write_str(&problem.detail)?,
                    _ => f.write_str("Too many requests.")?,
                }
                match retry_after {
                    Some(1) => f.write_str(" Try again in 1 second."),
                    Some(s) => write!(f, " Try again in {s} seconds."),
                    None => f.write_str(" Try again later."),
                }
            }
            ApiError::Status { status, text } if text.is_empty() => {
                write!(f, "the server answered {status}")
            }
            ApiError::Status { status, text } => write!(f, "the server answered {status} {text}"),
            ApiError::Network(e) => write!(f, "could not reach the server: {e}"),
            ApiError::Decode(e) => write!(f, "unexpected answer from the server: {e}"),
        }
    }
}

impl std::error::Error for ApiError {}

thread_local! {
    /// The CSRF token of the session, from the last `Me` the server sent.
    static CSRF_TOKEN: RefCell<Option<String>> = const { RefCell::new(None) };
    /// Runs when a call is answered 401 (the session expired or was ended elsewhere).
    static ON_UNAUTHORIZED: RefCell<Option<Box<dyn Fn()>>> = const { RefCell::new(None) };
}

/// Sets what happens when the server says the session is gone (an answer 401).
pub fn on_unauthorized(handler: impl Fn() + 'static) {
    ON_UNAUTHORIZED.with(|h| *h.borrow_mut() = Some(Box::new(handler)));
}

fn remember(me: &Me) {
    CSRF_TOKEN.with(|t| *t.borrow_mut() = Some(me.csrf_token.clone()));
}

fn forget_session() {
    CSRF_TOKEN.with(|t| *t.borrow_mut() = None);
}

fn session_lost() {
    forget_session();
    // Taken out while it runs, so that a handler that calls the API again cannot re-enter.
    let handler = ON_UNAUTHORIZED.with(|h| h.borrow_mut().take());
    if let Some(handler) = handler {
        handler();
        ON_UNAUTHORIZED.with(|h| {
            h.borrow_mut().get_or_insert(handler);
        });
    }
}

// --- auth ---------------------------------------------------------------------------------------

/// `POST /auth/login`: signs in; the server sets the session cookie. A wrong login or password
/// is a [`ApiError::Problem`] 401, too many attempts an [`ApiError::Throttled`].
pub async fn login(request: &LoginRequest) -> Result<Me, ApiError> {
    let response = send(plain(Request::post(&format!("{BASE}/auth/login"))).json(request), false).await?;
    let me: Me = decode(response).await?;
    remember(&me);
    Ok(me)
}

/// `GET /auth/me`: the signed-in administrator, or `None` when nobody is signed in.
pub fn me() -> impl Future<Output = Result<Option<Me>, ApiError>> {
    let request = get(format!("{BASE}/auth/me"));
    async move {
        let response = request.send().await.map_err(|e| ApiError::Network(e.to_string()))?;
        if response.status() == 401 {
            forget_session();
            return Ok(None);
        }
        if !response.ok() {
            return Err(error_from(response).await);
        }
        let me: Me = decode(response).await?;
        remember(&me);
        Ok(Some(me))
    }
}

/// `POST /auth/logout`: ends the session (the server clears its cookie).
pub async fn logout() -> Result<(), ApiError> {
    let result = send(with_csrf(Request::post(&format!("{BASE}/auth/logout"))).build(), true).await;
    forget_session();
    result.map(drop)
}

/// `PUT /auth/me/preferences`: saves the preferences; answers the administrator with them.
pub async fn update_preferences(preferences: &Preferences) -> Result<Me, ApiError> {
    let response =
        send(with_csrf(Request::put(&format!("{BASE}/auth/me/preferences"))).json(preferences), true).await?;
    let me: Me = decode(response).await?;
    remember(&me);
    Ok(me)
}

// --- reports ------------------------------------------------------------------------------------

/// `GET /<report>?<query>`: one page of a report (`report` is the path: `events`, `calls`, ...).
pub fn list_report<T: DeserializeOwned>(
    report: &str,
    query: &str,
) -> impl Future<Output = Result<Page<T>, ApiError>> + use<T> {
    get_json(format!("{BASE}/{report}?{query}"))
}

/// `GET /<report>/count?<filters>`: how many entries the filters select.
pub fn count_report(report: &str, filters: &str) -> impl Future<Output = Result<Count, ApiError>> + use<> {
    get_json(format!("{BASE}/{report}/count?{filters}"))
}

/// `GET <path>` under `/api/v1` (an item, or a sub-resource such as `calls/{id}/participants`).
pub fn fetch<T: DeserializeOwned>(path: &str) -> impl Future<Output = Result<T, ApiError>> + use<T> {
    get_json(format!("{BASE}/{path}"))
}

/// `DELETE /<report>?<filters>`: deletes what the filters select; `all=true` must be among them
/// when there is no other.
pub async fn delete_by_filter(report: &str, query: &str) -> Result<Deleted, ApiError> {
    let response = send(with_csrf(Request::delete(&format!("{BASE}/{report}?{query}"))).build(), true).await?;
    decode(response).await
}

/// `DELETE <path>` under `/api/v1` (one recording, one chat file).
pub async fn delete(path: &str) -> Result<(), ApiError> {
    send(with_csrf(Request::delete(&format!("{BASE}/{path}"))).build(), true).await.map(drop)
}

/// `PUT <path>` under `/api/v1` with a JSON body; answers the JSON the server sends back.
pub async fn put_json<B: serde::Serialize, T: DeserializeOwned>(path: &str, body: &B) -> Result<T, ApiError> {
    let response = send(with_csrf(Request::put(&format!("{BASE}/{path}"))).json(body), true).await?;
    decode(response).await
}

/// `POST <path>` under `/api/v1` with a JSON body (or none); answers the JSON sent back.
pub async fn post_json<B: serde::Serialize, T: DeserializeOwned>(path: &str, body: Option<&B>) -> Result<T, ApiError> {
    let builder = with_csrf(Request::post(&format!("{BASE}/{path}")));
    let request = match body {
        Some(body) => builder.json(body),
        None => builder.build(),
    };
    let response = send(request, true).await?;
    decode(response).await
}

/// `PUT <path>` under `/api/v1` with a JSON body, answered by `204 No Content`.
pub async fn put_no_content<B: serde::Serialize>(path: &str, body: &B) -> Result<(), ApiError> {
    send(with_csrf(Request::put(&format!("{BASE}/{path}"))).json(body), true).await.map(drop)
}

/// `POST <path>` under `/api/v1` without a body, answered by `204 No Content`.
pub async fn post_no_content(path: &str) -> Result<(), ApiError> {
    send(with_csrf(Request::post(&format!("{BASE}/{path}"))).build(), true).await.map(drop)
}

/// The address of an API resource that the browser itself loads (a download, a video).
pub fn url(path: &str) -> String {
    format!("{BASE}/{path}")
}

/// Percent-encodes one path segment (ids come from the server and may hold any character).
pub fn segment(id: &str) -> String {
    js_sys::encode_uri_component(id).into()
}

// --- plumbing -----------------------------------------------------------------------------------

/// A GET of JSON that is aborted when the calling reactive owner is cleaned up.
fn get(url: String) -> RequestBuilder {
    let controller = web_sys::AbortController::new().ok();
    let signal = controller.as_ref().map(|c| c.signal());
    if let Some(controller) = controller {
        // web_sys values are not Send; cleanups only ever run on the browser's one thread.
        let controller = send_wrapper::SendWrapper::new(controller);
        on_cleanup(move || controller.abort());
    }
    plain(Request::get(&url)).abort_signal(signal.as_ref())
}

/// GETs `url` and decodes its JSON, aborting the request when the calling owner is cleaned up.
fn get_json<T: DeserializeOwned>(url: String) -> impl Future<Output = Result<T, ApiError>> {
    let request = get(url);
    async move {
        let response = request.send().await.map_err(|e| ApiError::Network(e.to_string()))?;
        if !response.ok() {
            if response.status() == 401 {
                session_lost();
            }
            return Err(error_from(response).await);
        }
        decode(response).await
    }
}

/// A request that expects JSON back and sends the session cookie.
fn plain(builder: RequestBuilder) -> RequestBuilder {
    builder.header("Accept", "application/json").credentials(RequestCredentials::SameOrigin)
}

/// A request that changes something: it also carries the session's CSRF token.
fn with_csrf(builder: RequestBuilder) -> RequestBuilder {
    let token = CSRF_TOKEN.with(|t| t.borrow().clone()).unwrap_or_default();
    plain(builder).header(CSRF_HEADER, &token)
}

/// Sends a built request; an error status becomes an [`ApiError`] (and, when `signed_in` and
/// the answer is 401, the session is taken as lost).
async fn send(request: Result<Request, gloo_net::Error>, signed_in: bool) -> Result<Response, ApiError> {
    let request = request.map_err(|e| ApiError::Network(e.to_string()))?;
    let response = request.send().await.map_err(|e| ApiError::Network(e.to_string()))?;
    if response.ok() {
        return Ok(response);
    }
    if signed_in && response.status() == 401 {
        session_lost();
    }
    Err(error_from(response).await)
}

async fn decode<T: DeserializeOwned>(response: Response) -> Result<T, ApiError> {
    response.json::<T>().await.map_err(|e| ApiError::Decode(e.to_string()))
}

async fn error_from(response: Response) -> ApiError {
    let status = response.status();
    let is_problem = response.headers().get("content-type").is_some_and(|t| t.starts_with("application/problem+json"));
    let retry_after = response.headers().get("retry-after").and_then(|s| s.trim().parse::<u32>().ok());
    let problem = if is_problem { response.json::<Problem>().await.ok() } else { None };
    if status == 429 {
        return ApiError::Throttled { problem, retry_after };
    }
    match problem {
        Some(problem) => ApiError::Problem(problem),
        None => ApiError::Status { status, text: response.status_text() },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_throttled_answer_says_how_long_to_wait() {
        let throttled = |retry_after| ApiError::Throttled { problem: None, retry_after };
        assert_eq!(throttled(Some(30)).to_string(), "Too many requests. Try again in 30 seconds.");
        assert_eq!(throttled(Some(1)).to_string(), "Too many requests. Try again in 1 second.");
        assert_eq!(throttled(None).to_string(), "Too many requests. Try again later.");
        assert_eq!(throttled(None).status(), Some(429));
    }

    #[test]
    fn field_messages_come_from_the_problem() {
        let problem = ApiError::Problem(Problem {
            kind: "about:blank".into(),
            title: "Invalid parameter".into(),
            status: 400,
            detail: "unknown time zone".into(),
            errors: Some(vec![confreports_types::problem::FieldError {
                field: "time_zone".into(),
                message: "unknown time zone `Mars/Base`".into(),
            }]),
        });
        assert_eq!(problem.field_message("time_zone").as_deref(), Some("unknown time zone `Mars/Base`"));
        assert_eq!(problem.field_message("date_format"), None);
        assert_eq!(problem.status(), Some(400));
    }
}
