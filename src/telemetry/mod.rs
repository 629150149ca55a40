//! The telemetry room: what the server says about itself and the requests it serves.
//!
//! - [`context`]: the request's context (method, path, request id, operation name, timings),
//!   created by the HTTP middleware, filled by the handler, read for the access line.
//! - [`request_id`]: the ids requests go by (a client's, when sane, or one made here).
//! - [`access_line`]: the one line per request, in the human or JSON format.
//! - [`log_writer`]: where every log line goes (a buffer that a thread writes to stderr,
//!   which drops lines rather than slow requests).
//! - [`logging`]: the process-wide set-up of `tracing` (filter, format, writer).
//! - [`metrics`]: the counters behind `GET /metrics` and their Prometheus exposition.
//!
//! May import: `config` (its settings), `store` (what a graph holds, for its gauges), and
//! the crates of the trade (`tracing`, `tracing-subscriber`, `time`, `axum::http`'s types as
//! the vocabulary of a request). Imports nothing of `http` nor of the engine: those import
//! this room, and record into it.

pub mod access_line;
pub mod context;
pub mod log_writer;
pub mod logging;
pub mod metrics;
pub mod request_id;
