//! What every HTTP handler shares: the engine, the metrics and the configuration; and how
//! the engine's reports reach the metrics and the request's context: a request's
//! [`RequestObserver`], and [`Metrics`] itself for what happens outside any request (a graph
//! installed, a reload).
//!
//! May import: `engine`, `config`, the store's type, `telemetry`, `reload` (to read the
//! manifest) and, of `http`, `coding`.

use std::sync::Arc;

use super::coding;
use crate::config::Config;
use crate::engine::{self, CacheName, Engine};
use crate::reviews::Reviews;
use crate::store::Store;
use crate::telemetry::context::RequestContext;
use crate::telemetry::metrics::{MeteredCache, Metrics};

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
    /// The engine for `config`, serving `store`, with reviews kept in memory only (see
    /// [`AppState::with_reviews`] for a database).
    pub fn new(config: Config, store: Store) -> AppState {
        AppState::with_reviews(config, store, Reviews::ephemeral())
    }

    /// The engine for `config`, serving `store` and `reviews`.
    pub fn with_reviews(config: Config, store: Store, reviews: Arc<Reviews>) -> AppState {
        let engine = Arc::new(Engine::new(&config, coding::compress_copy, reviews));
        let metrics = Arc::new(Metrics::new(&config.metrics));
        engine.install(store, &*metrics);
        AppState(Arc::new(Shared {
            engine,
            metrics,
            config: Arc::new(config),
        }))
    }

    /// Loads the trusted documents' manifest the configuration names, if any, into the
    /// engine: at start, before the server listens, so that a bad manifest stops it there.
    /// Returns how many documents it holds.
    pub fn load_trusted_documents(&self) -> Result<usize, String> {
        let Some(path) = &self.config.trusted.manifest else {
            return Ok(0);
        };
        let manifest = crate::reload::load_manifest(path)?;
        let documents = manifest.len();
        self.engine.install_manifest(manifest);
        Ok(documents)
    }

    /// Swaps in a new graph, counted in the metrics (see [`Graphs::install`]).
    ///
    /// [`Graphs::install`]: crate::engine::graph::Graphs::install
    pub fn install(&self, store: Store) -> (u64, Arc<Store>) {
        self.engine.install(store, &*self.metrics)
    }
}

/// What the engine reports while it answers one request: its counts go to the metrics, and
/// the operation's name onto the request's context, which the access line reads.
pub struct RequestObserver<'a> {
    metrics: &'a Metrics,
    context: &'a RequestContext,
}

impl<'a> RequestObserver<'a> {
    pub fn new(metrics: &'a Metrics, context: &'a RequestContext) -> RequestObserver<'a> {
        RequestObserver { metrics, context }
    }
}

impl engine::Observer for RequestObserver<'_> {
    fn operation(&self, name: Option<&Arc<str>>) {
        self.context.record_operation(name);
    }

    fn cache(&self, cache: CacheName, hit: bool) {
        engine::Observer::cache(self.metrics, cache, hit);
    }

    fn graph_installed(&self, store: &Store, generation: u64) {
        self.metrics.graph_installed(store, generation);
    }

    fn reloaded(&self, ok: bool) {
        self.metrics.reloaded(ok);
    }
}

/// What the engine reports outside any request (a graph installed at start or by a reload):
/// counted in the metrics. No request means no operation to name.
impl engine::Observer for Metrics {
    fn operation(&self, _: Option<&Arc<str>>) {}

    fn cache(&self, cache: CacheName, hit: bool) {
        let cache = match cache {
            CacheName::Response => MeteredCache::Response,
            CacheName::Document => MeteredCache::Document,
            CacheName::Plan => MeteredCache::Plan,
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
