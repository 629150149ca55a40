//! `x-request-id`: a client's id is kept when it is a sane token, any other is replaced by one
//! we make; the id goes on the request's span and is echoed on the response, so that a
//! client's report and our log lines can be matched.
//!
//! The layers themselves are tower-http's (`SetRequestId`, `PropagateRequestId`); this module
//! supplies the check that runs before them and the ids they make.

use std::hash::{BuildHasher, RandomState};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use axum::body::Body;
use axum::http::{HeaderName, HeaderValue, Request};
use tower_http::request_id::{MakeRequestId, RequestId};

pub const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The longest client id we keep.
const MAX_LEN: usize = 128;

/// Whether a client's id is worth keeping: 1 to 128 visible ASCII characters. Anything else
/// (spaces, control or non-ASCII bytes, a novel) could forge or bloat log lines.
pub fn is_sane(value: &HeaderValue) -> bool {
    let bytes = value.as_bytes();
    !bytes.is_empty() && bytes.len() <= MAX_LEN && bytes.iter().all(|b| b.is_ascii_graphic())
}

/// Drops an `x-request-id` we will not keep, so that `SetRequestId` makes one in its place.
/// Only the first header counts; a second one is dropped too, so that the id is unambiguous.
pub fn drop_insane(mut request: Request<Body>) -> Request<Body> {
    let headers = request.headers_mut();
    let mut values = headers.get_all(&X_REQUEST_ID).iter();
    let keep = match (values.next(), values.next()) {
        (Some(v), None) => is_sane(v),
        _ => false,
    };
    if !keep {
        headers.remove(&X_REQUEST_ID);
    }
    request
}

/// Makes ids like `5f0c9a2e81b7d4c3-0000002a`: a random prefix chosen at start (so that two
/// servers' ids differ) and a counter (so that one server's never repeat).
#[derive(Clone)]
pub struct MakeId {
    prefix: u64,
    next: Arc<AtomicU64>,
}

impl Default for MakeId {
    fn default() -> Self {
        MakeId {
            // std's hasher keys are random per process; hashing nothing with them is a random
            // number without a dependency for it.
            prefix: RandomState::new().hash_one(()),
            next: Arc::new(AtomicU64::new(1)),
        }
    }
}

impl MakeRequestId for MakeId {
    fn make_request_id<B>(&mut self, _request: &Request<B>) -> Option<RequestId> {
        let n = self.next.fetch_add(1, Relaxed);
        let id = format!("{:016x}-{n:08x}", self.prefix);
        HeaderValue::try_from(id).ok().map(RequestId::new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanity() {
        let long = "a".repeat(MAX_LEN);
        for ok in ["abc", "0f9e-11", "req:1/2", long.as_str()] {
            assert!(is_sane(&HeaderValue::from_str(ok).unwrap()), "{ok}");
        }
        let too_long = "a".repeat(MAX_LEN + 1);
        for bad in ["", "a b", "tab\there", too_long.as_str()] {
            assert!(!is_sane(&HeaderValue::from_str(bad).unwrap()), "{bad:?}");
        }
        assert!(!is_sane(&HeaderValue::from_bytes("é".as_bytes()).unwrap()));
    }

    #[test]
    fn made_ids_differ_and_are_sane() {
        let mut make = MakeId::default();
        let request = Request::new(());
        let a = make.make_request_id(&request).unwrap();
        let b = make.make_request_id(&request).unwrap();
        assert_ne!(a.header_value(), b.header_value());
        assert!(is_sane(a.header_value()));
    }
}
