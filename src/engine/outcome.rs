//! What the engine makes of a request: a clean answer, an answer with errors, or a refusal
//! with its [`ErrorCode`] (which says the HTTP status). Imports the response cache's entry
//! type and the error codes.

use std::sync::Arc;

use axum::body::Bytes;
use serde_json::{Value, json};

use super::cache::Cached;
use crate::error_code::ErrorCode;

/// What the engine made of a request.
pub struct Outcome {
    pub answer: Answer,
    /// The request's `operationName`, once it has been read (or the kept answer's).
    pub operation: Option<Arc<str>>,
}

/// The answer itself.
pub enum Answer {
    /// A clean answer, kept or served again from the response cache (its body in
    /// `coding`).
    Clean(Cached),
    /// An answer that executed with errors: `data` and `errors`, never kept.
    WithErrors(Bytes),
    /// A request refused before or instead of execution: errors and no `data`.
    Refused(Refusal),
}

/// A refusal: its code (which says the HTTP status) and the errors to send.
pub struct Refusal {
    pub code: ErrorCode,
    pub(super) errors: Vec<Value>,
    /// For a refusal that will pass with time (a rate limit): in how many seconds.
    pub retry_after: Option<u64>,
}

impl Refusal {
    /// A refusal with one error.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Refusal {
        Refusal {
            code,
            errors: vec![error(message, code)],
            retry_after: None,
        }
    }

    /// `BAD_REQUEST`: the request is malformed.
    pub fn bad_request(message: impl Into<String>) -> Refusal {
        Refusal::new(ErrorCode::BadRequest, message)
    }

    /// The body: `{"errors": [...]}`.
    pub fn body(&self) -> String {
        json!({ "errors": self.errors }).to_string()
    }
}

/// An error object as the GraphQL spec shapes it, with our stable code.
pub(super) fn error(message: impl Into<String>, code: ErrorCode) -> Value {
    json!({ "message": message.into(), "extensions": { "code": code.as_str() } })
}

/// An error object with the places in the document it points at.
pub(super) fn located(message: String, at: &[async_graphql::Pos], code: ErrorCode) -> Value {
    if at.is_empty() {
        return error(message, code);
    }
    let locations: Vec<Value> = at
        .iter()
        .map(|p| json!({ "line": p.line, "column": p.column }))
        .collect();
    json!({
        "message": message,
        "locations": locations,
        "extensions": { "code": code.as_str() },
    })
}
