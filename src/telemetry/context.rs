//! The request's context: what its access line and its log events say of it (method, path,
//! id, operation name) and its timings (when it reached the server, when it was answered).
//!
//! It is created once per request by the middleware (`http::middleware::Access`), which keeps
//! one handle and hands another down with the request, in its type (`Request<Ticketed>`) as
//! far as the server's own `POST /graphql` handler and in its extensions for the router's
//! routes; the handler reads when the request started from it and records into it what only
//! the handler learns (the operation's name, the moment it answered), and the middleware
//! reads both back for the access line. The handle is an `Arc`: one allocation per request,
//! as the boxed context that a thread-local carried before. In the request's extensions all
//! the way (their map and its table allocated for it on the hot path, which the router does
//! not see), a cached Catalogue request took 17,135 instructions against 16,407 before (+4.4%,
//! one pair of loads by the method of `bench/callgrind.sh`); carried in the type, 16,367
//! against 16,230 (+0.8%, `bench/callgrind.sh Catalogue BINARY`, median of 3).
//!
//! What the handler records goes into `OnceLock`s, so that the context can be shared as it
//! is (a request's extensions must be `Sync`) without a lock: each fact is recorded once.
//!
//! Imports: `axum::http`'s types (the vocabulary of a request) and `tracing`; nothing of
//! this crate.

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use axum::http::uri::PathAndQuery;
use axum::http::{HeaderValue, Method};

/// Operation names longer than this are left out of log lines rather than written into each.
const MAX_LOGGED_OPERATION: usize = 256;

/// One request as its log lines describe it; see the module.
pub struct RequestContext {
    method: Method,
    path: Option<PathAndQuery>,
    id: HeaderValue,
    /// Whether `id` is one we made, which needs no escaping in a log line.
    made_id: bool,
    /// When the request reached the server.
    started: Instant,
    /// The GraphQL operation's name, once the handler has read it.
    operation: OnceLock<Arc<str>>,
    /// When the handler answered and how long after `started`, if it said.
    answered: OnceLock<(Instant, Duration)>,
}

impl RequestContext {
    /// The context of a request that reached the server at `started`, with the id it goes
    /// by (`made_id` when we made it rather than kept the client's).
    pub fn new(
        method: Method,
        path: Option<PathAndQuery>,
        id: HeaderValue,
        made_id: bool,
        started: Instant,
    ) -> RequestContext {
        RequestContext {
            method,
            path,
            id,
            made_id,
            started,
            operation: OnceLock::new(),
            answered: OnceLock::new(),
        }
    }

    pub fn method(&self) -> &Method {
        &self.method
    }

    /// The path, without the query string.
    pub fn path(&self) -> &str {
        self.path.as_ref().map_or("/", PathAndQuery::path)
    }

    /// The request id, as text.
    pub fn id(&self) -> &str {
        // `request_id` only ever keeps or makes visible ASCII.
        self.id.to_str().unwrap_or("")
    }

    /// The request id, as the header it is echoed in.
    pub fn id_header(&self) -> &HeaderValue {
        &self.id
    }

    /// The request id, taken out of the context (at the end of the request, to echo it
    /// without copying it).
    pub fn into_id(self) -> HeaderValue {
        self.id
    }

    /// Whether the id is one we made (see [`crate::telemetry::request_id`]): such an id is
    /// plain hex and a dash, and is written into a log line without a look.
    pub fn made_id(&self) -> bool {
        self.made_id
    }

    /// When the request reached the server.
    pub fn started(&self) -> Instant {
        self.started
    }

    /// The operation's name, once recorded.
    pub fn operation(&self) -> Option<&str> {
        self.operation.get().map(|name| &**name)
    }

    /// Names the request's GraphQL operation, for its log lines. Names over 256 bytes are
    /// left out rather than written into every line; only the first name recorded counts.
    pub fn record_operation(&self, name: Option<&Arc<str>>) {
        if let Some(name) = name.filter(|n| n.len() <= MAX_LOGGED_OPERATION) {
            let _ = self.operation.set(name.clone());
        }
    }

    /// Records that the request is answered, now, and returns how long after
    /// [`started`](Self::started) that is. Its access line then gives the same latency as
    /// the handler measured, and the clock is read once for both (each read is a measurable
    /// part of a cache hit).
    pub fn record_answered(&self) -> Duration {
        let now = Instant::now();
        let latency = now.saturating_duration_since(self.started);
        let _ = self.answered.set((now, latency));
        latency
    }

    /// When the request was answered and its latency: as recorded, or (when the handler did
    /// not say, as for every route but GraphQL's) now.
    pub fn answered(&self) -> (Instant, Duration) {
        self.answered.get().copied().unwrap_or_else(|| {
            let now = Instant::now();
            (now, now.saturating_duration_since(self.started))
        })
    }

    /// A `tracing` span named `request` with the context's fields, for an event that fires
    /// while the request is handled (a panic, say): entered around the event, it prints as
    /// the access line prints its context. Made only then, since a span per request costs an
    /// allocation, a formatted field string and a registry entry, used or not.
    pub fn span(&self) -> tracing::Span {
        let span = tracing::info_span!(
            "request",
            method = %self.method,
            path = self.path(),
            request_id = self.id(),
            operation = tracing::field::Empty,
        );
        if let Some(operation) = self.operation() {
            span.record("operation", operation);
        }
        span
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context() -> RequestContext {
        RequestContext::new(
            Method::POST,
            Some(PathAndQuery::from_static("/graphql?q=1")),
            HeaderValue::from_static("abc"),
            false,
            Instant::now(),
        )
    }

    #[test]
    fn records_the_first_operation_and_skips_long_ones() {
        let c = context();
        assert_eq!(c.path(), "/graphql");
        c.record_operation(Some(&Arc::from("x".repeat(257))));
        assert_eq!(c.operation(), None, "too long for a log line");
        c.record_operation(Some(&Arc::from("Hello")));
        c.record_operation(Some(&Arc::from("Again")));
        assert_eq!(c.operation(), Some("Hello"));
    }

    #[test]
    fn the_answer_is_timed_once() {
        let c = context();
        let latency = c.record_answered();
        assert_eq!(c.answered().1, latency);
        assert!(c.answered().0 >= c.started());
    }
}
