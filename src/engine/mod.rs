//! The engine: one entry point, [`Engine::execute`], that takes a GraphQL request as it came
//! (its raw bytes, the media type it is answered in and how it came) and gives back its
//! [`Outcome`]. Every transport (HTTP, the CLI's `query`) only translates to and from it, so a
//! document is refused, cached and answered the same whichever way it came.
//!
//! It owns what runs a request: the current graph and its generation ([`graph`]), the
//! response cache (consulted on the raw bytes, before any JSON is parsed), the document and
//! plan cache, trusted documents and automatic persisted queries, the concurrency permits and
//! the timeout, the document guard, and both executors: the plan executor (`crate::exec`) and
//! async-graphql (`crate::schema`).
//!
//! Writes go through it too: a mutation is limited per client address (`writes`), run once
//! and never kept, and a kept answer that read a work's reviews is dropped when they change
//! (the reviews tell the response cache which work changed). Subscriptions start here
//! (`subscribe`): the transports (WebSocket, SSE) only carry their events.
//!
//! May import: `store`, `exec`, `schema`, `guard`, `config`, `error_code`, `reviews`. Never `http`:
//! what HTTP wants to count or log of a request, it learns through the [`Observer`] it hands
//! in, and the status of a refusal from its [`ErrorCode`].
//!
//! Its files, each importing only those after it: this one (the entry point and the hit
//! path); `run` (the miss path); `variables` (coercing them before execution, and the
//! validation-only run); `messages` and `syntax` (the words of validation and parse errors);
//! `request` (the request handed in, and reading its parameters); `persisted`; `trusted`;
//! `graph`; `outcome`; `observer`; `cache` (both caches).
//!
//! Whether the server runs only trusted documents is decided here, once, from the config
//! (`config::Trusted`), into the [`trusted::Policy`] that `request` applies.
//!
//! [`ErrorCode`]: crate::error_code::ErrorCode

pub mod bounds;
pub mod cache;
pub mod graph;
mod messages;
mod observer;
mod outcome;
pub mod persisted;
mod positions;
mod request;
mod run;
mod subscribe;
mod syntax;
pub mod trusted;
mod variables;
mod writes;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::sync::Semaphore;

use crate::config::Config;
use crate::reviews::Reviews;
use crate::store::Store;
use cache::{Compress, DocumentCache, ResponseCache, Shape};
use graph::Graphs;
pub use observer::{CacheName, Observer};
pub use outcome::{Answer, Outcome, Refusal};
use persisted::PersistedQueries;
pub use request::{Caller, Media, Raw, Request, Transport};
use run::Executors;
pub use subscribe::{Event, Events, Subscriptions};
use trusted::{Manifest, Policy, Trusted};

/// See the module's comment.
pub struct Engine {
    /// What runs a request that missed the response cache, and that cache itself.
    executors: Executors,
    persisted: PersistedQueries,
    trusted: Trusted,
    graphs: Graphs,
    subscriptions: Subscriptions,
    admin_token: Option<String>,
}

impl Engine {
    /// An engine with the caches and limits of `config`, and no graph yet: it is ready once
    /// [`Engine::install`] has put one in place. `compress` makes the response cache's
    /// compressed copies. `reviews` are read and written by its requests; it hears from
    /// them which work's reviews changed, and drops the kept answers that read them.
    pub fn new(config: &Config, compress: Compress, reviews: Arc<Reviews>) -> Engine {
        let responses = Arc::new(ResponseCache::new(
            config.caches.response_entries,
            config.caches.response_bytes,
            usize::from(config.http.compress_above_bytes),
            compress,
        ));
        let dropped = Arc::downgrade(&responses);
        reviews.on_change(move |work| {
            if let Some(responses) = dropped.upgrade() {
                responses.invalidate(work);
            }
        });
        Engine {
            executors: Executors {
                schema: crate::schema::build(),
                fast_schema: crate::schema::build_without_null_propagation(),
                documents: DocumentCache::new(config.caches.documents),
                responses,
                checker: crate::schema::build_with(variables::StopBeforeExecution),
                permits: Arc::new(Semaphore::new(config.limits.max_concurrent_requests)),
                limits: config.limits.clone(),
                suggestions: config.errors.suggestions,
                reviews,
                writes: writes::WriteLimit::new(config.writes.max_writes_per_minute),
            },
            persisted: PersistedQueries::new(config.caches.persisted_queries),
            trusted: Trusted::new(Policy {
                only: config.trusted.only,
                allow_introspection: config.trusted.allow_introspection,
            }),
            graphs: Graphs::new(),
            subscriptions: Subscriptions::new(config.writes.max_subscriptions),
            admin_token: config.writes.admin_token.clone(),
        }
    }

    /// The reviews this engine serves.
    pub fn reviews(&self) -> &Arc<Reviews> {
        &self.executors.reviews
    }

    /// The open subscriptions: their count, and the signal that ends them at shutdown.
    pub fn subscriptions(&self) -> &Subscriptions {
        &self.subscriptions
    }

    /// The graphs this engine serves: the current one, its generation and readiness.
    pub fn graphs(&self) -> &Graphs {
        &self.graphs
    }

    /// Swaps in a new graph (see [`Graphs::install`]); the response cache's entries of the
    /// old one go stale at once.
    pub fn install(&self, store: Store, observer: &dyn Observer) -> (u64, Arc<Store>) {
        self.graphs.install(store, observer)
    }

    /// Swaps in a manifest of trusted documents; the response cache's answers made under the
    /// old one go stale at once (so that, with only trusted documents, a document the new
    /// manifest no longer has is not served from the cache). Returns its generation.
    pub fn install_manifest(&self, manifest: Manifest) -> u64 {
        self.trusted.install(manifest)
    }

    /// The trusted documents: the current manifest and the policy.
    pub fn trusted(&self) -> &Trusted {
        &self.trusted
    }

    /// The response cache, for tests and metrics to read its size.
    pub fn responses(&self) -> &ResponseCache {
        &self.executors.responses
    }

    /// The document cache, for tests and metrics to read its size.
    pub fn documents(&self) -> &DocumentCache {
        &self.executors.documents
    }

    /// The concurrency permits; a test holds them all to see requests shed.
    pub fn permits(&self) -> &Arc<Semaphore> {
        &self.executors.permits
    }

    /// Answers one request. The hot path first: the exact request answered before on this
    /// graph is served again without parsing anything (and without copying the key, which
    /// is made only for a miss), at once, with no future of its own. Otherwise the request is
    /// read, guarded, run, and a clean answer is kept for next time: a boxed future, many
    /// kilobytes, which inline would make every request's future (a hit's too) as large, to
    /// be copied whenever it moves and allocated on the allocator's slow path (past 1 KiB).
    pub fn execute<'a, 'r: 'a, O: Observer>(
        &'a self,
        request: Request<'r>,
        observer: &'a O,
    ) -> Execution<'a> {
        let transport = request.raw.transport();
        let shape = Shape::of(transport, request.media);
        // The manifest's generation is read before the graph's and the manifest itself below,
        // so an answer is never kept under a newer generation than the one it was made under.
        let manifest_generation = self.trusted.generation();
        if let Some(hit) = self.executors.responses.get(
            cache_generation(self.graphs.generation(), manifest_generation),
            shape,
            request.raw.bytes(),
            request.coding,
        ) {
            observer.cache(CacheName::Response, true);
            let mut hit = hit.compress();
            // Taken rather than copied: every reference count costs on this path.
            let operation = hit.operation.take();
            observer.operation(operation.as_ref());
            return Execution::Answered(Some(Outcome {
                answer: Answer::Clean(hit),
                operation,
            }));
        }
        observer.cache(CacheName::Response, false);
        Execution::Running(Box::pin(self.execute_missed(
            request,
            observer,
            shape,
            manifest_generation,
        )))
    }

    /// [`Engine::execute`] past the response cache.
    async fn execute_missed<O: Observer>(
        &self,
        request: Request<'_>,
        observer: &O,
        shape: Shape,
        manifest_generation: u64,
    ) -> Outcome {
        let transport = request.raw.transport();
        let manifest = self.trusted.manifest();
        let documents = request::Documents {
            persisted: &self.persisted,
            manifest: manifest.as_deref(),
            policy: self.trusted.policy,
        };
        let params = match request::read(request.raw, &documents, &self.executors.limits) {
            Ok(params) => params,
            Err(refusal) => {
                return Outcome {
                    answer: Answer::Refused(refusal),
                    operation: None,
                };
            }
        };
        let operation: Option<Arc<str>> = params.operation_name.as_deref().map(Arc::from);
        observer.operation(operation.as_ref());
        // The graph the request runs on, whose generation its answer is kept under: a reload
        // since the lookup above only means that answer is for the newer graph.
        let graph = self.graphs.current();
        let job = run::Job {
            request: params,
            transport,
            key: run::CacheKey {
                generation: cache_generation(graph.generation, manifest_generation),
                shape,
                bytes: request.raw.owned(),
            },
            graph,
            operation: operation.clone(),
            addr: request.caller.addr,
            // The bearer is read only where a token could match it.
            admin: self.admin_token.is_some()
                && crate::reviews::model::is_admin(
                    self.admin_token.as_deref(),
                    request.caller.bearer.and_then(|read| read()),
                ),
        };
        let answer = self.executors.run(job, observer).await;
        Outcome { answer, operation }
    }
}

/// What [`Engine::execute`] returns: an answer from the response cache, or the work of
/// making one.
pub enum Execution<'a> {
    Answered(Option<Outcome>),
    Running(Pin<Box<dyn Future<Output = Outcome> + Send + 'a>>),
}

impl Future for Execution<'_> {
    type Output = Outcome;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Outcome> {
        match self.get_mut() {
            Execution::Answered(outcome) => {
                Poll::Ready(outcome.take().expect("an answer is taken once"))
            }
            Execution::Running(running) => running.as_mut().poll(cx),
        }
    }
}

/// The generation the response cache's entries are kept under: the graph's and the
/// manifest's, each only ever growing, so that a new value of either moves it on.
#[inline]
fn cache_generation(graph: u64, manifest: u64) -> u64 {
    (graph << 32) | (manifest & 0xffff_ffff)
}

impl Shape {
    /// The response cache's table for a transport and media type.
    fn of(transport: Transport, media: Media) -> Shape {
        match (transport, media) {
            (Transport::Post, Media::GraphqlResponse) => Shape::PostGraphql,
            (Transport::Post, Media::Json) => Shape::PostJson,
            (Transport::Get, Media::GraphqlResponse) => Shape::GetGraphql,
            (Transport::Get, Media::Json) => Shape::GetJson,
        }
    }
}
