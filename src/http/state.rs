//! What every HTTP handler shares: the engine, the metrics and the configuration; and how
//! the engine's reports reach the metrics and the request's log context (the
//! [`engine::Observer`] of [`Metrics`]).
//!
//! May import: `engine`, `config`, the store's type, and of `http` the metrics, the
//! middleware's log context and `coding`.

use std::sync::Arc;

use super::coding;
use super::metrics::{self, Metrics};
use super::middleware;
use crate::config::Config;
use crate::engine::{self, CacheName, Engine};
use crate::store::Store;

/// What every handler shares, behind one `Arc`: axum clones the state for every request, and
/// one reference count is cheaper than one per field.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// The fields of [`AppState`].
pub struct Shared {
    /// What answers GraphQL requests, and the graph it serves.
    pub engine: Arc<Engine>,
    pub metrics: Arc<Metrics>,
    pub config: Arc<Config>,
}

impl AppState {
    /// The engine for `config`, serving `store`.
    pub fn new(config: Config, store: Store) -> AppState {
        let engine = Arc::new(Engine::new(&config, coding::compress_copy));
        let metrics = Arc::new(Metrics::new(&config.metrics));
        engine.install(store, &*metrics);
        AppState(Arc::new(Shared {
            engine,
            metrics,
            config: Arc::new(config),
        }))
    }

    /// Swaps in a new graph, counted in the metrics (see [`Graphs::install`]).
    ///
    /// [`Graphs::install`]: crate::engine::graph::Graphs::install
    pub fn install(&self, store: Store) -> (u64, Arc<Store>) {
        self.engine.install(store, &*self.metrics)
    }
}

/// What the engine reports of its work: counted in the metrics, and the operation's name put
/// on the request's log context.
impl engine::Observer for Metrics {
    fn operation(&self, name: Option<&Arc<str>>) {
        middleware::record_operation(name);
    }

    fn cache(&self, cache: CacheName, hit: bool) {
        let cache = match cache {
            CacheName::Response => metrics::Cache::Response,
            CacheName::Document => metrics::Cache::Document,
            CacheName::Plan => metrics::Cache::Plan,
        };
        if hit {
            self.cache_hit(cache);
        } else {
            self.cache_miss(cache);
        }
    }

    fn graph_installed(&self, store: &Store, generation: u64) {
        Metrics::graph_installed(self, store, generation);
    }

    fn reloaded(&self, ok: bool) {
        Metrics::reloaded(self, ok);
    }
}
