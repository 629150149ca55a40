//! The engine's names for content codings ([`Coding`]) and the transport's
//! ([`Encoding`]): which one a request accepts, the `Content-Encoding` of a kept copy, and the
//! function that makes the response cache's compressed copies.
//!
//! May import: the engine's cache types and `middleware::encoding`.

use axum::body::Bytes;
use axum::http::HeaderValue;

use super::middleware;
use super::middleware::encoding::Encoding;
use crate::engine::cache::Coding;

/// The coding the client asks its answer in (which the middleware chose once for the
/// request), as the engine's response cache names the copies it keeps.
pub fn coding_of(encoding: Encoding) -> Coding {
    match encoding {
        Encoding::Identity => Coding::Identity,
        Encoding::Gzip => Coding::Gzip,
        Encoding::Brotli => Coding::Brotli,
    }
}

/// The `Content-Encoding` of a body in `coding`; none for identity.
pub fn content_encoding(coding: Coding) -> Option<HeaderValue> {
    encoding_of(coding).header_value()
}

/// Makes the response cache's compressed copies, byte for byte as the compression layer
/// would send them (see `middleware::encoding`).
pub fn compress_copy(coding: Coding, body: &[u8]) -> Bytes {
    middleware::encoding::compress(encoding_of(coding), body)
}

/// The engine's name for a coding as the transport's.
fn encoding_of(coding: Coding) -> Encoding {
    match coding {
        Coding::Identity => Encoding::Identity,
        Coding::Gzip => Encoding::Gzip,
        Coding::Brotli => Encoding::Brotli,
    }
}
