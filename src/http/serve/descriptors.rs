//! The open-file limit, and the connection cap it sets: a server that runs out of
//! descriptors can accept no one, so it caps its connections below the limit and keeps a
//! margin for everything else it opens (seed files on reload, a database later).
//!
//! May import: nothing of the crate.

/// The descriptors kept back from connections.
const MARGIN: u64 = 128;

/// How many connections may be open at once: `configured`, or the soft limit on open files
/// less [`MARGIN`], once that limit has been raised as far as it goes.
pub fn connection_cap(configured: Option<usize>) -> usize {
    let soft = raise_open_file_limit();
    let cap = configured.unwrap_or_else(|| match soft {
        Some(soft) => usize::try_from(soft.saturating_sub(MARGIN).max(1)).unwrap_or(usize::MAX),
        None => usize::MAX,
    });
    tracing::info!("at most {cap} connections open at once");
    cap
}

/// Raises the soft limit on open files to the hard one, logs both, and returns the soft limit
/// in force (`None`: unlimited, or not known on this system).
#[cfg(unix)]
fn raise_open_file_limit() -> Option<u64> {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    let limit = getrlimit(Resource::Nofile);
    let show = |n: Option<u64>| n.map_or_else(|| "unlimited".to_owned(), |n| n.to_string());
    let (soft, hard) = (limit.current, limit.maximum);
    // An unlimited hard limit is not one the kernel lets the soft limit take for files.
    let raised = match (soft, hard) {
        (Some(s), Some(h)) if s < h => {
            let wanted = Rlimit {
                current: Some(h),
                maximum: Some(h),
            };
            match setrlimit(Resource::Nofile, wanted) {
                Ok(()) => Some(h),
                Err(e) => {
                    tracing::warn!("cannot raise the open-file limit to {h}: {e}");
                    Some(s)
                }
            }
        }
        _ => soft,
    };
    tracing::info!(
        "open files: soft limit {} (was {}), hard limit {}",
        show(raised),
        show(soft),
        show(hard)
    );
    raised
}

#[cfg(not(unix))]
fn raise_open_file_limit() -> Option<u64> {
    None
}
