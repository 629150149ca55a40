//! The engine: one entry point, [`Engine::execute`], that takes a GraphQL request as it came
//! (its raw bytes, the media type it is answered in and how it came) and gives back its
//! [`Outcome`]. Every transport (HTTP, the CLI's `query`) only translates to and from it, so a
//! document is refused, cached and answered the same whichever way it came.
//!
//! It owns what runs a request: the current graph and its generation ([`graph`]), the
//! response cache (consulted on the raw bytes, before any JSON is parsed), the document and
//! plan cache, automatic persisted queries, the concurrency permits and the timeout, the
//! document guard, and both executors: the plan executor (`crate::exec`) and async-graphql
//! (`crate::schema`).
//!
//! May import: `store`, `exec`, `schema`, `guard`, `config`, `error_code`. Never `http`:
//! what HTTP wants to count or log of a request, it learns through the [`Observer`] it hands
//! in, and the status of a refusal from its [`ErrorCode`].

pub mod cache;
pub mod graph;
pub mod persisted;
mod request;
mod run;

use std::sync::Arc;

use axum::body::Bytes;
use serde_json::{Value, json};
use tokio::sync::Semaphore;

use crate::config::{Config, Limits};
use crate::error_code::ErrorCode;
use crate::schema::LeapSchema;
use crate::store::Store;
use cache::{Cached, Coding, Compress, DocumentCache, ResponseCache, Shape};
use graph::Graphs;
use persisted::PersistedQueries;

/// The media type a response is sent as; part of the response cache's key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Media {
    GraphqlResponse,
    Json,
}

/// How the request came, which decides what it may do (only queries over `GET`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    Get,
    Post,
}

/// A request's raw bytes, as the transport read them: the response cache's key.
#[derive(Clone, Copy)]
pub enum Raw<'a> {
    /// A `POST` body: one JSON object.
    Body(&'a Bytes),
    /// A `GET` query string, URL-encoded.
    QueryString(&'a str),
}

impl Raw<'_> {
    pub fn transport(self) -> Transport {
        match self {
            Raw::Body(_) => Transport::Post,
            Raw::QueryString(_) => Transport::Get,
        }
    }

    fn bytes(&self) -> &[u8] {
        match self {
            Raw::Body(b) => b,
            Raw::QueryString(q) => q.as_bytes(),
        }
    }

    /// The key to keep an answer under: made only for a miss, as a copy of a query string
    /// costs an allocation and a body only a reference count.
    fn owned(self) -> Bytes {
        match self {
            Raw::Body(b) => b.clone(),
            Raw::QueryString(q) => Bytes::copy_from_slice(q.as_bytes()),
        }
    }
}

/// One request for the engine.
pub struct Request<'a> {
    pub raw: Raw<'a>,
    pub media: Media,
    /// The coding the client would like a kept answer in (a copy is kept per coding).
    pub coding: Coding,
}

/// What the engine made of a request.
pub struct Outcome {
    pub answer: Answer,
    /// The request's `operationName`, once it has been read (or the kept answer's).
    pub operation: Option<Arc<str>>,
}

/// The answer itself.
pub enum Answer {
    /// A clean answer, kept or served again from the response cache (its body in
    /// `coding`).
    Clean(Cached),
    /// An answer that executed with errors: `data` and `errors`, never kept.
    WithErrors(Bytes),
    /// A request refused before or instead of execution: errors and no `data`.
    Refused(Refusal),
}

/// A refusal: its code (which says the HTTP status) and the errors to send.
pub struct Refusal {
    pub code: ErrorCode,
    errors: Vec<Value>,
}

impl Refusal {
    /// A refusal with one error.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Refusal {
        Refusal {
            code,
            errors: vec![error(message, code)],
        }
    }

    /// `BAD_REQUEST`: the request is malformed.
    pub fn bad_request(message: impl Into<String>) -> Refusal {
        Refusal::new(ErrorCode::BadRequest, message)
    }

    /// The body: `{"errors": [...]}`.
    pub fn body(&self) -> String {
        json!({ "errors": self.errors }).to_string()
    }
}

/// An error object as the GraphQL spec shapes it, with our stable code.
fn error(message: impl Into<String>, code: ErrorCode) -> Value {
    json!({ "message": message.into(), "extensions": { "code": code.as_str() } })
}

/// The caches the engine reports hits and misses of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CacheName {
    Response,
    Document,
    Plan,
}

/// What the engine tells its caller while it works, for the caller's metrics and logs. Each
/// method does nothing unless the caller says otherwise; `()` observes nothing.
pub trait Observer {
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

/// See the module's comment.
pub struct Engine {
    /// The schema with null propagation as the spec defines it (see `schema::nulls`).
    schema: LeapSchema,
    /// The same schema without that extension, which costs a quarter of an execution: a
    /// request that executes without errors comes out the same from both, so requests run
    /// here first and only one with errors runs again on `schema`.
    fast_schema: LeapSchema,
    /// Parsed documents by their text, with the guard's verdict and their plans.
    documents: DocumentCache,
    /// Clean answers of the current generation, served again as they are.
    responses: ResponseCache,
    persisted: PersistedQueries,
    /// Requests running at once; past them a request is shed.
    permits: Arc<Semaphore>,
    graphs: Graphs,
    limits: Limits,
}

impl Engine {
    /// An engine with the caches and limits of `config`, and no graph yet: it is ready once
    /// [`Engine::install`] has put one in place. `compress` makes the response cache's
    /// compressed copies.
    pub fn new(config: &Config, compress: Compress) -> Engine {
        Engine {
            schema: crate::schema::build(),
            fast_schema: crate::schema::build_without_null_propagation(),
            documents: DocumentCache::new(config.caches.documents),
            responses: ResponseCache::new(
                config.caches.response_entries,
                config.caches.response_bytes,
                usize::from(config.http.compress_above_bytes),
                compress,
            ),
            persisted: PersistedQueries::new(config.caches.persisted_queries),
            permits: Arc::new(Semaphore::new(config.limits.max_concurrent_requests)),
            graphs: Graphs::new(),
            limits: config.limits.clone(),
        }
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

    /// The response cache, for tests and metrics to read its size.
    pub fn responses(&self) -> &ResponseCache {
        &self.responses
    }

    /// The document cache, for tests and metrics to read its size.
    pub fn documents(&self) -> &DocumentCache {
        &self.documents
    }

    /// The concurrency permits; a test holds them all to see requests shed.
    pub fn permits(&self) -> &Arc<Semaphore> {
        &self.permits
    }

    /// Answers one request. The hot path first: the exact request answered before on this
    /// graph is served again without parsing anything (and without copying the key, which
    /// is made only for a miss). Otherwise the request is read, guarded, run, and a clean
    /// answer is kept for next time.
    pub async fn execute<O: Observer>(&self, request: Request<'_>, observer: &O) -> Outcome {
        let transport = request.raw.transport();
        let shape = Shape::of(transport, request.media);
        if let Some(hit) = self.responses.get(
            self.graphs.generation(),
            shape,
            request.raw.bytes(),
            request.coding,
        ) {
            observer.cache(CacheName::Response, true);
            let mut hit = hit.compress();
            // Taken rather than copied: every reference count costs on this path.
            let operation = hit.operation.take();
            observer.operation(operation.as_ref());
            return Outcome {
                answer: Answer::Clean(hit),
                operation,
            };
        }
        observer.cache(CacheName::Response, false);
        let params = match request::read(request.raw, &self.persisted, &self.limits) {
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
        let job = run::Job {
            request: params,
            transport,
            graph: self.graphs.current(),
            key: run::CacheKey {
                shape,
                bytes: request.raw.owned(),
            },
            operation: operation.clone(),
        };
        // Boxed: the executor's future is many kilobytes, and inline it would make every
        // request's future (a hit's too) as large, to be copied whenever it moves.
        let answer = Box::pin(self.run(job, observer)).await;
        Outcome { answer, operation }
    }
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
