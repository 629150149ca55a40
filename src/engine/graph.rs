//! The graph being served, its generation, the guard's bounds measured on it, and whether
//! the server is ready: what a reload swaps and `/readyz` reads. Imports the store, the
//! guard's [`Bounds`] and the engine's [`Observer`].

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

use super::observer::Observer;
use crate::guard::Bounds;
use crate::store::Store;

/// One graph as served, with its generation.
///
/// The generation starts at 1 and grows by one at every swap, and a graph and its generation
/// are only ever read together. That is the hook for caches of anything computed from a graph
/// (responses, documents resolved against it): key entries on the generation, or drop them
/// when it moves on, and no entry from an old graph can be served from a new one.
#[derive(Clone)]
pub struct Graph {
    pub store: Arc<Store>,
    pub generation: u64,
    /// What each field of the schema can give on this graph, for the guard's cost estimate
    /// (see `engine::bounds`): measured with the graph, swapped with it.
    pub bounds: Arc<Bounds>,
}

/// The current graph. A request takes its own [`Graph`] when it starts and keeps it, so that a
/// reload never changes the graph under a running request; a reload swaps in a new one under
/// the write lock (held only for the swap itself).
pub struct Graphs {
    current: RwLock<Graph>,
    /// Whether a graph is in place and the server is not shutting down.
    ready: AtomicBool,
}

impl Graphs {
    /// No graph yet (an empty store under generation 0), and not ready.
    pub(super) fn new() -> Graphs {
        Graphs {
            current: RwLock::new(Graph {
                store: Arc::new(Store::default()),
                generation: 0,
                bounds: Arc::new(Bounds::new()),
            }),
            ready: AtomicBool::new(false),
        }
    }

    /// The current graph and its generation.
    pub fn current(&self) -> Graph {
        match self.current.read() {
            Ok(g) => g.clone(),
            // A writer panicked mid-swap; the value inside is still a whole graph.
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// The current graph's generation, without taking a reference to the graph: all that a
    /// response-cache lookup needs.
    pub fn generation(&self) -> u64 {
        match self.current.read() {
            Ok(g) => g.generation,
            Err(poisoned) => poisoned.into_inner().generation,
        }
    }

    /// Swaps in a new graph, atomically for requests: each sees the old one or the new one.
    /// Returns the new generation and the old graph (for the caller to drop off the request
    /// path). The observer hears of the new graph before any request can run on it.
    pub fn install(&self, store: Store, observer: &dyn Observer) -> (u64, Arc<Store>) {
        // Measured before the lock: it reads every list of the graph once.
        let bounds = Arc::new(super::bounds::measure(&store));
        let store = Arc::new(store);
        let mut current = match self.current.write() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        let generation = current.generation + 1;
        observer.graph_installed(&store, generation);
        let old = std::mem::replace(
            &mut *current,
            Graph {
                store,
                generation,
                bounds,
            },
        );
        drop(current);
        self.ready.store(true, Ordering::Release);
        (generation, old.store)
    }

    /// Whether a graph is serving; `/readyz` answers from it.
    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::Acquire)
    }

    /// Says the server is no longer ready (it is shutting down), so that load balancers stop
    /// sending new requests while those in flight finish.
    pub fn stop_ready(&self) {
        self.ready.store(false, Ordering::Release);
    }
}
