//! The write limit: how many mutations one client address may send a minute. A token bucket
//! per address, refilled evenly over the minute, so that a burst of the whole allowance is
//! allowed and the next write comes as soon as a token has grown back (`Retry-After` says
//! when).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The buckets of every address that wrote lately.
pub struct WriteLimit {
    per_minute: u32,
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
}

#[derive(Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// More addresses than this, and the full buckets (which hold nothing worth keeping) go.
const PRUNE_ABOVE: usize = 10_000;

impl WriteLimit {
    /// `per_minute` 0 allows everything.
    pub fn new(per_minute: u32) -> WriteLimit {
        WriteLimit {
            per_minute,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes a token for one write from `addr` (no address, as from the CLI: always
    /// allowed), or says in how many seconds one will be there.
    pub fn take(&self, addr: Option<IpAddr>) -> Result<(), u64> {
        let (Some(addr), false) = (addr, self.per_minute == 0) else {
            return Ok(());
        };
        let now = Instant::now();
        let capacity = f64::from(self.per_minute);
        let per_second = capacity / 60.0;
        let Ok(mut buckets) = self.buckets.lock() else {
            return Ok(());
        };
        if buckets.len() > PRUNE_ABOVE {
            buckets.retain(|_, b| b.tokens + elapsed(b.at, now) * per_second < capacity);
        }
        let bucket = buckets.entry(addr).or_insert(Bucket {
            tokens: capacity,
            at: now,
        });
        bucket.tokens = (bucket.tokens + elapsed(bucket.at, now) * per_second).min(capacity);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            let wait = (1.0 - bucket.tokens) / per_second;
            Err(wait.ceil().max(1.0) as u64)
        }
    }
}

fn elapsed(since: Instant, now: Instant) -> f64 {
    now.saturating_duration_since(since)
        .max(Duration::ZERO)
        .as_secs_f64()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_then_refusals() {
        let limit = WriteLimit::new(3);
        let a = Some(IpAddr::from([10, 0, 0, 1]));
        let b = Some(IpAddr::from([10, 0, 0, 2]));
        for _ in 0..3 {
            assert_eq!(limit.take(a), Ok(()));
        }
        let wait = limit.take(a).unwrap_err();
        assert!((1..=20).contains(&wait), "{wait}");
        assert_eq!(limit.take(b), Ok(()), "another address has its own bucket");
        assert_eq!(limit.take(None), Ok(()));
        let off = WriteLimit::new(0);
        for _ in 0..100 {
            assert_eq!(off.take(a), Ok(()));
        }
    }
}
