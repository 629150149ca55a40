//! The resolvers' errors, with a stable code in `extensions.code` (see
//! [`crate::error_code`], where every code of the API is listed), so that clients can branch on
//! them without parsing messages.

use async_graphql::{Error, ErrorExtensions};

use crate::error_code::ErrorCode;

/// An error a client caused, with a message that says what to change.
pub fn bad_input(message: impl Into<String>) -> Error {
    Error::new(message).extend_with(|_, e| e.set("code", ErrorCode::BadUserInput.as_str()))
}
