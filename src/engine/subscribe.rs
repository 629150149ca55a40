//! Starting a subscription: the same reading, persisted queries and guard as a request, then
//! async-graphql's stream of responses. Only subscriptions start here (a query or mutation
//! sent over a stream transport is refused), each holds one of `--max-subscriptions`
//! places for as long as it runs, and every stream ends when the server shuts down.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use async_graphql::parser::types::OperationType;
use axum::body::Bytes;
use futures_util::{Stream, StreamExt};
use serde_json::Value;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};

use super::Engine;
use super::outcome::Refusal;
use super::request::{self, Raw};
use super::run::operation_type;
use crate::error_code::ErrorCode;
use crate::guard;

/// The open subscriptions: a place for each, and the signal that ends them all.
pub struct Subscriptions {
    places: Arc<Semaphore>,
    max: usize,
    closing: watch::Sender<bool>,
    events: AtomicU64,
}

impl Subscriptions {
    pub fn new(max: usize) -> Subscriptions {
        Subscriptions {
            places: Arc::new(Semaphore::new(max)),
            max,
            closing: watch::channel(false).0,
            events: AtomicU64::new(0),
        }
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
    /// `extensions`) asks for. Refused like a request would be (bad JSON, the guard's limits),
    /// and also when it is not a subscription or every place is taken.
    pub fn subscribe(&self, params: &Bytes) -> Result<Events, Refusal> {
        let manifest = self.trusted.manifest();
        let documents = request::Documents {
            persisted: &self.persisted,
            manifest: manifest.as_deref(),
            policy: self.trusted.policy,
        };
        let request = request::read(Raw::Body(params), &documents, &self.executors.limits)?;
        // Text that only introspection may be (a server that runs only trusted documents and
        // allows introspection): a subscription never is.
        if request.introspection_only {
            return Err(Refusal::new(
                crate::error_code::ErrorCode::TrustedDocumentRequired,
                request::TRUSTED_ONLY,
            ));
        }
        let variable = |name: &str| request.variables.get(name).and_then(Value::as_i64);
        guard::check(
            &request.query,
            request.operation_name.as_deref(),
            &variable,
            &self.executors.limits.document,
        )
        .map_err(|r| Refusal::new(r.code, r.message))?;
        let doc = async_graphql::parser::parse_query(&request.query)
            .map_err(|e| Refusal::new(ErrorCode::GraphqlParseFailed, e.to_string()))?;
        if operation_type(&doc, request.operation_name.as_deref())
            != Some(OperationType::Subscription)
        {
            return Err(Refusal::new(
                ErrorCode::MethodNotAllowed,
                "only subscriptions are served here; send queries and mutations with POST",
            ));
        }
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
        let graph = self.graphs.current();
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
