//! RFC 9457 problem details: the body of every error answer.

use serde::{Deserialize, Serialize};

/// An error answer (`application/problem+json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "type": "https://confreports.dev/problems/invalid-parameter",
    "title": "Invalid parameter",
    "status": 400,
    "detail": "unknown sort field `password`",
    "errors": [{"field": "sort", "message": "unknown sort field `password`; expected one of time, type, user_id, ip"}]
})))]
pub struct Problem {
    /// A URI naming the kind of problem.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// What was wrong, per parameter or body field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldError>>,
}

/// One wrong parameter or field of a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldError {
    pub field: String,
    pub message: String,
}
