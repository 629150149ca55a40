//! Every setting and limit of the server, with its default, in one place.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::guard::DocumentLimits;

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
    /// The largest answer, in bytes of JSON: a larger one is refused whole with
    /// `RESPONSE_TOO_LARGE`, never cut short. Default: 4 MiB.
    pub max_response_bytes: usize,
    /// How many GraphQL requests may run at once; more are shed with 503 and Retry-After.
    pub max_concurrent_requests: usize,
    /// The document limits: size, tokens, depth, aliases, cost, ... (see `guard::DocumentLimits`).
    pub document: DocumentLimits,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: 64 * 1024,
            max_query_string_bytes: 16 * 1024,
            max_variables_bytes: 16 * 1024,
            request_timeout: Duration::from_secs(5),
            max_response_bytes: 4 * 1024 * 1024,
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
    /// How many parsed documents are kept, to skip parsing a document seen before.
    pub documents: usize,
}

impl Default for Caches {
    fn default() -> Self {
        Caches {
            // The frontends send a handful of operations; a few MiB keep them all while the
            // server stays within its memory budget (30 MB resident on the bundled seed).
            response_entries: 2_000,
            response_bytes: 4 * 1024 * 1024,
            persisted_queries: 10_000,
            documents: 200,
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

/// How a server started with a seed directory picks up edits to it. (The bundled seed is part
/// of the binary and never reloads.) SIGHUP reloads whatever these say.
#[derive(Clone, Debug)]
pub struct Reload {
    /// How often the seed directory is checked for changed `.json` files; `None` turns the
    /// watcher off, leaving SIGHUP as the only trigger. Default: every 500 ms.
    pub watch_interval: Option<Duration>,
    /// How long the directory must hold still after a change before it is reloaded, so that
    /// an editor's write-to-temporary-then-rename, or a `cp` of several files, reloads once.
    /// Default: 200 ms.
    pub debounce: Duration,
}

impl Default for Reload {
    fn default() -> Self {
        Reload {
            watch_interval: Some(Duration::from_millis(500)),
            debounce: Duration::from_millis(200),
        }
    }
}

/// HTTP behaviour around the API: cross-origin access and compression.
#[derive(Clone, Debug)]
pub struct Http {
    /// The origins (`https://example.com`, or `*` for any) whose pages may call the API from a
    /// browser. Default: none, and then no CORS header is ever sent.
    pub cors_origins: Vec<String>,
    /// Responses larger than this many bytes are compressed (gzip or br, as `Accept-Encoding`
    /// asks); smaller ones gain too little to pay for it. Default: 1024.
    pub compress_above_bytes: u16,
}

impl Default for Http {
    fn default() -> Self {
        Http {
            cors_origins: Vec::new(),
            compress_above_bytes: 1024,
        }
    }
}

/// What `/metrics` keeps.
#[derive(Clone, Debug)]
pub struct Metrics {
    /// How many distinct operation names get their own label; requests naming others are
    /// counted as `other`, so that clients cannot grow the metrics without bound. Default: 100.
    pub max_operation_names: usize,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            max_operation_names: 100,
        }
    }
}

/// How long a connection may take at each step, and how many may be open: what keeps slow
/// and idle clients from holding the server's descriptors (see `http::serve`).
#[derive(Clone, Debug)]
pub struct Connections {
    /// How long a request's headers may take to arrive, counted from the connection's accept
    /// or, on a kept-alive connection, from the first byte of the next request. Default: 10 s.
    pub header_timeout: Duration,
    /// How long a declared body may take to arrive in whole, counted from the end of its
    /// headers: a body that trickles in (a byte now and then) is closed all the same.
    /// Default: 10 s.
    pub body_timeout: Duration,
    /// How long a kept-alive connection may wait, without a byte in either direction, for its
    /// next request. Default: 60 s.
    pub idle_timeout: Duration,
    /// How many connections may be open at once; at the cap, the one that has waited longest
    /// while idle or sending its headers is closed to make room. `None` (the default): the
    /// soft `RLIMIT_NOFILE` (raised to the hard one at start) less 128, which keeps
    /// descriptors for seed reloads and the like.
    pub max_connections: Option<usize>,
    /// After a refusal sent before the request's body was read (413, 415, ...), how long the
    /// rest of the body is read and discarded, so that a client that writes its whole body
    /// before reading sees the answer rather than a reset. Default: 2 s.
    pub refusal_drain_time: Duration,
    /// The most bytes discarded so. Default: 16 MiB, more than a client is likely to push
    /// before it reads (a smaller bound would reset the very clients the drain is for).
    pub refusal_drain_bytes: u64,
    /// On a stop (SIGTERM, ctrl-c): how long the server waits for requests in flight to be
    /// answered and for streams to send their last messages (`complete`, then a WebSocket
    /// close 1001) before it exits anyway. Default: 10 s.
    pub shutdown_grace: Duration,
}

impl Default for Connections {
    fn default() -> Self {
        Connections {
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            max_connections: None,
            refusal_drain_time: Duration::from_secs(2),
            refusal_drain_bytes: 16 * 1024 * 1024,
            shutdown_grace: Duration::from_secs(10),
        }
    }
}

/// The write path: where reviews are kept, who may moderate, and the limits on writes and
/// live updates.
#[derive(Clone, Debug)]
pub struct Writes {
    /// The review database: a `sqlite:` URL or a file path. `None` keeps reviews in memory
    /// only (the CLI's `query`, and tests that need no database); the server's command line
    /// always gives one, by default `sqlite://data/reviews.db`.
    pub database: Option<String>,
    /// The bearer token that `hideReview` needs (`LEAP_ADMIN_TOKEN`); `None`: no one can hide.
    pub admin_token: Option<String>,
    /// How many mutations one client address may send a minute; more are refused with 429
    /// and `Retry-After`. 0 turns the limit off. Default: 30.
    pub max_writes_per_minute: u32,
    /// How many subscriptions (WebSocket and SSE together) may be open at once. Default: 2000.
    pub max_subscriptions: usize,
    /// How often a WebSocket is pinged, and an SSE stream sent a comment, to keep it alive
    /// through proxies. Default: 15 s.
    pub ping_interval: Duration,
    /// How long a WebSocket may take to send `connection_init`. Default: 10 s.
    pub connection_init_timeout: Duration,
}

impl Default for Writes {
    fn default() -> Self {
        Writes {
            database: None,
            admin_token: None,
            max_writes_per_minute: 30,
            max_subscriptions: 2_000,
            ping_interval: Duration::from_secs(15),
            connection_init_timeout: Duration::from_secs(10),
        }
    }
}

/// How the engine words its errors.
#[derive(Clone, Debug)]
pub struct Errors {
    /// Whether errors suggest the near names of the schema ("Did you mean \"title\"?") for a
    /// misspelt field, argument, type, enum value or input field. Default: on. Off where the
    /// schema is not public (a server that runs trusted documents only), since the hints
    /// would spell it out name by name. No flag of its own.
    pub suggestions: bool,
}

impl Default for Errors {
    fn default() -> Self {
        Errors { suggestions: true }
    }
}

/// Trusted documents (see `engine::trusted`): the operations the server's clients were built
/// with, from a manifest file, and whether the server runs nothing else.
#[derive(Clone, Debug, Default)]
pub struct Trusted {
    /// The manifest: Apollo's persisted-query manifest or a flat map from SHA-256 hashes to
    /// documents. It is watched and reloaded like a seed directory (`Reload`), and on SIGHUP.
    /// Default: none.
    pub manifest: Option<PathBuf>,
    /// Run only the manifest's documents: anything sent as text is refused with
    /// `TRUSTED_DOCUMENT_REQUIRED`, and automatic persisted queries cannot register new ones.
    /// Default: off.
    pub only: bool,
    /// With `only`: still run documents sent as text that ask only for introspection
    /// (GraphiQL, schema tooling). Default: off.
    pub allow_introspection: bool,
}

/// The whole configuration of a running server.
#[derive(Clone, Debug)]
pub struct Config {
    pub listen: SocketAddr,
    pub seed: SeedSource,
    pub log_format: LogFormat,
    pub limits: Limits,
    pub caches: Caches,
    pub reload: Reload,
    pub http: Http,
    pub metrics: Metrics,
    pub connections: Connections,
    pub writes: Writes,
    pub errors: Errors,
    pub trusted: Trusted,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 8000)),
            seed: SeedSource::Bundled,
            log_format: LogFormat::Human,
            limits: Limits::default(),
            caches: Caches::default(),
            reload: Reload::default(),
            http: Http::default(),
            metrics: Metrics::default(),
            connections: Connections::default(),
            writes: Writes::default(),
            errors: Errors::default(),
            trusted: Trusted::default(),
        }
    }
}

/// Checks a CORS origin as given on the command line. Browsers send `Origin` as
/// `scheme://host[:port]` with no path, so `https://example.com/` would never match; saying so
/// at start-up beats a silently blocked frontend.
pub fn parse_origin(text: &str) -> Result<String, String> {
    let text = text.trim();
    if text == "*" {
        return Ok(text.to_owned());
    }
    let Some((scheme, rest)) = text.split_once("://") else {
        return Err(format!(
            "{text:?} is not an origin: write scheme://host[:port], like https://example.com"
        ));
    };
    let valid_scheme = !scheme.is_empty()
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    let valid_host = !rest.is_empty()
        && rest
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | ':' | '[' | ']'));
    if !valid_scheme || !valid_host {
        return Err(format!(
            "{text:?} is not an origin: write scheme://host[:port] with no path, like https://example.com"
        ));
    }
    Ok(text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::parse_origin;

    #[test]
    fn origins() {
        for ok in [
            "*",
            "https://example.com",
            "http://localhost:3000",
            "http://[::1]:8080",
        ] {
            assert_eq!(parse_origin(ok).as_deref(), Ok(ok), "{ok}");
        }
        for bad in [
            "example.com",
            "https://example.com/",
            "https://",
            "https://a b",
            "://x",
        ] {
            assert!(parse_origin(bad).is_err(), "{bad}");
        }
    }
}
