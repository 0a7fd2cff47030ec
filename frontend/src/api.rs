//! The HTTP API of the server, one function per endpoint, all on the same origin under `/api/v1`.
//!
//! Each call registers an abort on the reactive owner that issued it, so a page that goes away
//! cancels its in-flight requests instead of letting them finish into nothing.

use std::fmt;
use std::future::Future;

use confreports_types::{Event, EventFilterParams, Page, PageParams, Problem, RangeParams};
use gloo_net::http::{Request, Response};
use leptos::prelude::on_cleanup;
use serde::Serialize;
use serde::de::DeserializeOwned;

const BASE: &str = "/api/v1";

/// Why a call failed, worded for the person looking at the page.
#[derive(Debug, Clone, PartialEq)]
pub enum ApiError {
    /// The server answered with problem details (`application/problem+json`).
    Problem(Problem),
    /// The server answered with an error status but no problem details.
    Status { status: u16, text: String },
    /// No answer: the server is down or the network failed.
    Network(String),
    /// An answer that is not the JSON we expect.
    Decode(String),
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ApiError::Problem(problem) => f.write_str(&problem.detail),
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

/// `GET /events`: one page of the Events report.
pub fn list_events(
    filter: &EventFilterParams,
    range: &RangeParams,
    page: &PageParams,
) -> impl Future<Output = Result<Page<Event>, ApiError>> + use<> {
    let query = QueryString::default()
        .push(filter)
        .push(range)
        .push(page)
        .finish();
    get_json(format!("{BASE}/events?{query}"))
}

/// Builds a query string from several parameter structs (each serialised with
/// `serde_html_form`, so a `Vec` field repeats its parameter: `type=login&type=logout`).
#[derive(Debug, Default)]
pub struct QueryString(String);

impl QueryString {
    pub fn push<T: Serialize>(mut self, params: &T) -> Self {
        // The parameter structs hold only strings, numbers, bools and unit enums, which always
        // serialise.
        let part = serde_html_form::to_string(params).unwrap_or_default();
        if !part.is_empty() {
            if !self.0.is_empty() {
                self.0.push('&');
            }
            self.0.push_str(&part);
        }
        self
    }

    pub fn finish(self) -> String {
        self.0
    }
}

/// GETs `url` and decodes its JSON, aborting the request when the calling owner is cleaned up.
fn get_json<T: DeserializeOwned>(url: String) -> impl Future<Output = Result<T, ApiError>> {
    let controller = web_sys::AbortController::new().ok();
    let signal = controller.as_ref().map(|c| c.signal());
    if let Some(controller) = controller {
        // web_sys values are not Send; cleanups only ever run on the browser's one thread.
        let controller = send_wrapper::SendWrapper::new(controller);
        on_cleanup(move || controller.abort());
    }
    async move {
        let response = Request::get(&url)
            .header("Accept", "application/json")
            .abort_signal(signal.as_ref())
            .send()
            .await
            .map_err(|e| ApiError::Network(e.to_string()))?;
        if !response.ok() {
            return Err(error_from(response).await);
        }
        response
            .json::<T>()
            .await
            .map_err(|e| ApiError::Decode(e.to_string()))
    }
}

async fn error_from(response: Response) -> ApiError {
    let status = response.status();
    let is_problem = response
        .headers()
        .get("content-type")
        .is_some_and(|t| t.starts_with("application/problem+json"));
    let problem = if is_problem {
        response.json::<Problem>().await.ok()
    } else {
        None
    };
    match problem {
        Some(problem) => ApiError::Problem(problem),
        None => ApiError::Status {
            status,
            text: response.status_text(),
        },
    }
}
