//! `x-request-id`: a client's id is kept when it is a sane token, any other is replaced by one
//! we make; the id goes in the request's log context and is echoed on the response, so that a
//! client's report and our log lines can be matched.
//!
//! The layer that does it is `http::middleware::Access` (which keeps a client's id only when it
//! sent exactly one: two make it ambiguous); this module supplies the check and the ids.
//!
//! Kept rather than `tower-http`'s `request-id` layers, which write the id into the request's
//! headers and its extensions and read it back for the response (three map operations and a
//! box per request): here it is made once, into a buffer on the stack, and lives in the
//! request's context (see `context`) until the middleware echoes it.
//!
//! Imports: `axum::http`'s header types; nothing of this crate.

use std::hash::{BuildHasher, RandomState};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use axum::http::{HeaderName, HeaderValue};

pub const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The longest client id we keep.
const MAX_LEN: usize = 128;

/// Whether a client's id is worth keeping: 1 to 128 visible ASCII characters. Anything else
/// (spaces, control or non-ASCII bytes, a novel) could forge or bloat log lines.
pub fn is_sane(value: &HeaderValue) -> bool {
    let bytes = value.as_bytes();
    !bytes.is_empty() && bytes.len() <= MAX_LEN && bytes.iter().all(|b| b.is_ascii_graphic())
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// The counter of made ids, shared by every [`MakeId`] of the process: a static rather than
/// an `Arc`, because hyper clones the middleware (and so the `MakeId`) for every request.
static NEXT: AtomicU64 = AtomicU64::new(1);

/// Makes ids like `5f0c9a2e81b7d4c3-0000002a`: a random prefix chosen at start (so that two
/// servers' ids differ) and a counter (so that one server's never repeat).
#[derive(Clone)]
pub struct MakeId {
    /// The prefix and its dash, already in hex: each id only writes its counter.
    prefix: [u8; 17],
}

impl Default for MakeId {
    fn default() -> Self {
        // std's hasher keys are random per process; hashing nothing with them is a random
        // number without a dependency for it.
        let random = RandomState::new().hash_one(());
        let mut prefix = [b'-'; 17];
        for (i, b) in prefix[..16].iter_mut().enumerate() {
            *b = HEX[((random >> (60 - 4 * i)) & 0xf) as usize];
        }
        MakeId { prefix }
    }
}

impl MakeId {
    /// The next id.
    pub fn make(&self) -> HeaderValue {
        self.id(NEXT.fetch_add(1, Relaxed))
    }

    /// The id with counter `n`. Written by hand into a buffer on the stack: this runs on
    /// every request that brings no id, and `format!` costs several times more.
    fn id(&self, n: u64) -> HeaderValue {
        let mut id = [0u8; 17 + 16];
        id[..17].copy_from_slice(&self.prefix);
        // At least eight hex digits, more once the counter outgrows them.
        let digits = (16 - n.leading_zeros() as usize / 4).max(8);
        for (i, b) in id[17..17 + digits].iter_mut().enumerate() {
            *b = HEX[((n >> (4 * (digits - 1 - i))) & 0xf) as usize];
        }
        HeaderValue::from_bytes(&id[..17 + digits])
            .unwrap_or_else(|_| HeaderValue::from_static("-"))
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
        let make = MakeId::default();
        let a = make.make();
        let b = make.make();
        assert_ne!(a, b);
        assert!(is_sane(&a));
        let text = a.to_str().unwrap();
        assert_eq!(
            make.id(1).to_str().unwrap(),
            format!("{}-00000001", &text[..16])
        );
        assert_eq!(&make.id(0x1_2345_6789).to_str().unwrap()[17..], "123456789");
        assert_eq!(
            &make.id(u64::MAX).to_str().unwrap()[17..],
            "ffffffffffffffff"
        );
        assert_eq!(&make.id(0).to_str().unwrap()[17..], "00000000");
    }
}
