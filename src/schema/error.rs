//! The stable error codes of the API, in `extensions.code`, so that clients can branch on
//! them without parsing messages.

use async_graphql::{Error, ErrorExtensions};

/// The request asked for something malformed: a bad id, cursor, page size or argument mix.
pub const BAD_USER_INPUT: &str = "BAD_USER_INPUT";

/// An error a client caused, with a message that says what to change.
pub fn bad_input(message: impl Into<String>) -> Error {
    Error::new(message).extend_with(|_, e| e.set("code", BAD_USER_INPUT))
}
