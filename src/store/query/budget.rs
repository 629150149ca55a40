//! What one answer may take: its size in bytes and the time it must be ready by. Both
//! executors are handed the same [`Budget`] and check it as they write (the plan executor
//! object by object, async-graphql through `schema::budget`), so that a fan-out is stopped at
//! the cap or the deadline rather than finished and then thrown away.

use std::time::Instant;

/// The limits of one answer.
#[derive(Clone, Copy, Debug)]
pub struct Budget {
    /// The largest answer, in bytes of JSON; past it the request is refused whole.
    pub max_bytes: usize,
    /// When the answer must be ready; past it the request is refused with a timeout.
    pub deadline: Instant,
}

impl Budget {
    /// No limit worth the name: a day and all the bytes there are (for tests and benches
    /// that run an executor on its own).
    pub fn unlimited() -> Budget {
        Budget {
            max_bytes: usize::MAX,
            deadline: Instant::now() + std::time::Duration::from_secs(86_400),
        }
    }
}

/// How many objects are written between two readings of the clock: a reading costs about
/// as much as writing a small object, and this many objects take well under a millisecond.
pub const OBJECTS_PER_CLOCK: u32 = 256;
