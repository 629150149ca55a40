//! Every setting and limit of the server, with its default, in one place.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::guard::Limits as DocumentLimits;

/// How the server logs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum LogFormat {
    /// One human-readable line per event.
    #[default]
    Human,
    /// One JSON object per line, for log pipelines.
    Json,
}

/// The request limits enforced before a document reaches the executor.
#[derive(Clone, Debug)]
pub struct Limits {
    /// The largest request body, in bytes.
    pub max_body_bytes: usize,
    /// The longest `GET` query string, in bytes (longer gets 414).
    pub max_query_string_bytes: usize,
    /// The largest `variables` object, in bytes of JSON.
    pub max_variables_bytes: usize,
    /// How long one request may run before it is answered with a timeout error.
    pub request_timeout: Duration,
    /// How many GraphQL requests may run at once; more are shed with 503 and Retry-After.
    pub max_concurrent_requests: usize,
    /// The document limits: size, tokens, depth, aliases, cost, ... (see `guard::Limits`).
    pub document: DocumentLimits,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: 64 * 1024,
            max_query_string_bytes: 16 * 1024,
            max_variables_bytes: 16 * 1024,
            request_timeout: Duration::from_secs(5),
            max_concurrent_requests: 256,
            document: DocumentLimits::default(),
        }
    }
}

/// The bounded caches of the hot path.
#[derive(Clone, Debug)]
pub struct Caches {
    /// How many responses the response cache keeps (0 turns it off).
    pub response_entries: usize,
    /// How many bytes of responses it keeps, at most.
    pub response_bytes: usize,
    /// How many automatic persisted queries are remembered.
    pub persisted_queries: usize,
}

impl Default for Caches {
    fn default() -> Self {
        Caches {
            response_entries: 10_000,
            response_bytes: 64 * 1024 * 1024,
            persisted_queries: 10_000,
        }
    }
}

/// Where the catalogue comes from.
#[derive(Clone, Debug, Default)]
pub enum SeedSource {
    /// The seed embedded in the binary.
    #[default]
    Bundled,
    /// A seed directory on disk.
    Dir(PathBuf),
}

/// The whole configuration of a running server.
#[derive(Clone, Debug)]
pub struct Config {
    pub listen: SocketAddr,
    pub seed: SeedSource,
    pub log_format: LogFormat,
    pub limits: Limits,
    pub caches: Caches,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 8000)),
            seed: SeedSource::Bundled,
            log_format: LogFormat::Human,
            limits: Limits::default(),
            caches: Caches::default(),
        }
    }
}
