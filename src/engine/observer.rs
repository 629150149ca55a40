//! What the engine tells its caller while it works: the seam through which the transport's
//! metrics and logs learn of a request, without the engine importing them. Imports only the
//! store's type.

use std::sync::Arc;

use crate::store::Store;

/// The caches the engine reports hits and misses of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CacheName {
    Response,
    Document,
    Plan,
}

/// What the engine tells its caller while it works, for the caller's metrics and logs. Each
/// method does nothing unless the caller says otherwise; `()` observes nothing.
pub trait Observer: Sync {
    /// The request's operation name, as soon as it is known (before it runs, so that
    /// whatever is logged while it runs can name it).
    fn operation(&self, _name: Option<&Arc<str>>) {}
    /// A lookup in one of the caches, and whether it hit.
    fn cache(&self, _cache: CacheName, _hit: bool) {}
    /// A new graph is about to serve, under `generation`.
    fn graph_installed(&self, _store: &Store, _generation: u64) {}
    /// A reload of the seed finished, with a new graph or with the old one kept.
    fn reloaded(&self, _ok: bool) {}
}

impl Observer for () {}
