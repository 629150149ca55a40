//! Starting a subscription: the same reading, persisted queries, guard, coercion and
//! validation as a request, then async-graphql's stream of responses. Only subscriptions
//! start here (a query or mutation sent over a stream transport is refused), each holds one
//! of `--max-subscriptions` places for as long as it runs, and every stream ends when the
//! server shuts down; the transports' long-lived tasks are counted ([`Live`]) so that the
//! server can wait for them to say goodbye.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::body::Bytes;
use futures_util::{Stream, StreamExt};
use serde_json::Value;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};

use super::Engine;
use super::outcome::Refusal;
use super::request::{self, Raw};
use crate::error_code::ErrorCode;

/// The open subscriptions: a place for each, and the signal that ends them all.
pub struct Subscriptions {
    places: Arc<Semaphore>,
    max: usize,
    closing: watch::Sender<bool>,
    events: AtomicU64,
    /// How many stream tasks (WebSocket connections) are still running.
    live: Arc<watch::Sender<usize>>,
}

/// A running stream task, counted until dropped (see [`Subscriptions::live`]).
pub struct Live(Arc<watch::Sender<usize>>);

impl Drop for Live {
    fn drop(&mut self) {
        self.0.send_modify(|n| *n = n.saturating_sub(1));
    }
}

impl Subscriptions {
    pub fn new(max: usize) -> Subscriptions {
        Subscriptions {
            places: Arc::new(Semaphore::new(max)),
            max,
            closing: watch::channel(false).0,
            events: AtomicU64::new(0),
            live: Arc::new(watch::channel(0).0),
        }
    }

    /// Counts a stream task (a WebSocket connection) until the value is dropped, so that
    /// shutdown can wait for it to send its last messages ([`Subscriptions::all_ended`]).
    pub fn live(&self) -> Live {
        self.live.send_modify(|n| *n += 1);
        Live(self.live.clone())
    }

    /// Resolves once every counted stream task has ended.
    pub async fn all_ended(&self) {
        let _ = self.live.subscribe().wait_for(|n| *n == 0).await;
    }

    /// What a stream task watches to learn that the server is shutting down: `true` from
    /// then on.
    pub fn closing(&self) -> watch::Receiver<bool> {
        self.closing.subscribe()
    }

    /// How many are open now.
    pub fn open(&self) -> usize {
        self.max - self.places.available_permits()
    }

    /// How many events have been sent, over all of them.
    pub fn events(&self) -> u64 {
        self.events.load(Ordering::Relaxed)
    }

    /// Ends every stream (graceful shutdown): each sends what it has and completes.
    pub fn close_all(&self) {
        self.closing.send_replace(true);
    }
}

/// One response of a subscription's stream: `data` (or `errors`) as JSON. `request_error`
/// says it refused the subscription as a whole (the document did not validate, say): the
/// stream has nothing after it.
pub struct Event {
    pub payload: Value,
    pub request_error: bool,
}

/// A running subscription's events.
pub type Events = Pin<Box<dyn Stream<Item = Event> + Send>>;

impl Engine {
    /// Starts the subscription a JSON request object (`query`, `variables`, `operationName`,
    /// `extensions`) asks for. It goes through what a request does, each refusal with the
    /// same code: reading (bad JSON, trusted documents, persisted queries, the size of
    /// `variables`), the guard on the current graph's bounds, parsing, the variables'
    /// coercion and validation (`Executors::check_subscription`). It is also refused when it
    /// is not a subscription or every place is taken.
    pub async fn subscribe(&self, params: &Bytes) -> Result<Events, Refusal> {
        let manifest = self.trusted.manifest();
        let documents = request::Documents {
            persisted: &self.persisted,
            manifest: manifest.as_deref(),
            policy: self.trusted.policy,
        };
        let request = request::read(Raw::Body(params), &documents, &self.executors.limits)?;
        let graph = self.graphs.current();
        let doc = self.executors.check_subscription(&request, &graph).await?;
        let place = self
            .subscriptions
            .places
            .clone()
            .try_acquire_owned()
            .map_err(|_| {
                Refusal::new(
                    ErrorCode::TooManySubscriptions,
                    "too many subscriptions are open; try again later",
                )
            })?;
        let mut gql = async_graphql::Request::new(request.query)
            .variables(async_graphql::Variables::from_json(Value::Object(
                request.variables,
            )))
            .data(graph.store.clone())
            .data(self.executors.reviews.clone());
        if let Some(name) = request.operation_name {
            gql = gql.operation_name(name);
        }
        gql.set_parsed_query(doc);
        let mut closing = self.subscriptions.closing.subscribe();
        let closed = async move {
            let _ = closing.wait_for(|c| *c).await;
        };
        let stream = self.executors.schema.execute_stream(gql);
        let counted = Counted {
            _place: place,
            first: true,
        };
        Ok(Box::pin(stream.take_until(Box::pin(closed)).scan(
            counted,
            |counted, response| {
                let request_error = counted.first
                    && response.data == async_graphql::Value::Null
                    && !response.errors.is_empty();
                counted.first = false;
                let payload = serde_json::to_value(&response).unwrap_or(Value::Null);
                std::future::ready(Some(Event {
                    payload,
                    request_error,
                }))
            },
        )))
    }

    /// Counts one event sent to a subscriber.
    pub fn event_sent(&self) {
        self.subscriptions.events.fetch_add(1, Ordering::Relaxed);
    }
}

/// The place a stream holds while it runs.
struct Counted {
    _place: OwnedSemaphorePermit,
    first: bool,
}
