//! The error policy of the HTTP layer.
//!
//! Handlers return [`ApiResult`]. Every error becomes an RFC 9457 `application/problem+json`
//! answer here, in one place: bad parameters name the parameter, `diesel::NotFound` is a 404,
//! and anything unexpected is a 500 whose cause goes to the log, never to the client.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use confreports_types::{FieldError, Problem};

pub type ApiResult<T> = Result<T, ApiError>;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A query or path parameter that cannot be used as given.
    #[error("{message}")]
    BadParameter { field: String, message: String },
    #[error("{0}")]
    NotFound(String),
    /// A limit per caller is reached for now (concurrent exports); answered with `Retry-After`.
    #[error("{message}")]
    TooManyRequests { message: String, retry_after_s: u64 },
    /// The database is unreachable or the pool exhausted.
    #[error("the database is not available")]
    Unavailable(String),
    #[error("internal error")]
    Internal(String),
}

impl ApiError {
    pub fn bad_parameter(field: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError::BadParameter { field: field.into(), message: message.into() }
    }

    fn kind_and_title(&self) -> (&'static str, &'static str) {
        match self {
            ApiError::BadParameter { .. } => ("invalid-parameter", "Invalid parameter"),
            ApiError::NotFound(_) => ("not-found", "Not found"),
            ApiError::TooManyRequests { .. } => ("too-many-requests", "Too many requests"),
            ApiError::Unavailable(_) => ("unavailable", "Service unavailable"),
            ApiError::Internal(_) => ("internal", "Internal server error"),
        }
    }

    pub fn problem(&self) -> Problem {
        let (kind, title) = self.kind_and_title();
        let errors = match self {
            ApiError::BadParameter { field, message } => {
                Some(vec![FieldError { field: field.clone(), message: message.clone() }])
            }
            _ => None,
        };
        Problem {
            kind: format!("https://confreports.dev/problems/{kind}"),
            title: title.to_owned(),
            status: self.status_code().as_u16(),
            detail: self.to_string(),
            errors,
        }
    }
}

/// Maps `diesel::NotFound` to a 404 saying `what` (`no event with id 7`); other errors as usual.
pub fn or_not_found(what: String) -> impl FnOnce(diesel::result::Error) -> ApiError {
    move |e| match e {
        diesel::result::Error::NotFound => ApiError::NotFound(what),
        other => other.into(),
    }
}

/// A numeric id from a path segment; anything else is a 400 naming `id` (`event id `x` is not a
/// number`).
pub fn path_id(what: &str, id: &str) -> ApiResult<i64> {
    id.parse().map_err(|_| ApiError::bad_parameter("id", format!("{what} id `{id}` is not a number")))
}

impl From<diesel::result::Error> for ApiError {
    fn from(e: diesel::result::Error) -> Self {
        match e {
            diesel::result::Error::NotFound => ApiError::NotFound("no such entry".into()),
            other => ApiError::Internal(format!("database: {other}")),
        }
    }
}

impl From<r2d2::Error> for ApiError {
    fn from(e: r2d2::Error) -> Self {
        ApiError::Unavailable(e.to_string())
    }
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(e: actix_web::error::BlockingError) -> Self {
        ApiError::Internal(format!("blocking task: {e}"))
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::BadParameter { .. } => StatusCode::BAD_REQUEST,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            ApiError::Internal(cause) | ApiError::Unavailable(cause) => tracing::error!(%cause, "request failed"),
            _ => {}
        }
        let mut res = problem_response(&self.problem());
        if let ApiError::TooManyRequests { retry_after_s, .. } = self
            && let Ok(v) = HeaderValue::from_str(&retry_after_s.to_string())
        {
            res.headers_mut().insert(header::RETRY_AFTER, v);
        }
        res
    }
}

pub fn problem_response(problem: &Problem) -> HttpResponse {
    let status = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut res = HttpResponse::build(status);
    res.insert_header((header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json")));
    if status == StatusCode::SERVICE_UNAVAILABLE {
        res.insert_header((header::RETRY_AFTER, HeaderValue::from_static("5")));
    }
    res.json(problem)
}

/// A problem answer for errors actix raises before a handler runs (unknown route, bad path
/// segment, malformed body).
pub fn framework_problem(status: StatusCode, detail: impl Into<String>) -> Problem {
    let (kind, title) = match status {
        StatusCode::NOT_FOUND => ("not-found", "Not found"),
        StatusCode::METHOD_NOT_ALLOWED => ("method-not-allowed", "Method not allowed"),
        StatusCode::PAYLOAD_TOO_LARGE => ("too-large", "Payload too large"),
        StatusCode::REQUEST_TIMEOUT => ("request-timeout", "Request timeout"),
        StatusCode::URI_TOO_LONG => ("uri-too-long", "URI too long"),
        StatusCode::UNPROCESSABLE_ENTITY => ("invalid-body", "Invalid body"),
        _ => ("invalid-request", "Invalid request"),
    };
    Problem {
        kind: format!("https://confreports.dev/problems/{kind}"),
        title: title.to_owned(),
        status: status.as_u16(),
        detail: detail.into(),
        errors: None,
    }
}
