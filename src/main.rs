//! The command line: parse it, build the app, run it.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};

use leap_graphql::config::{self, Config, Limits, LogFormat, SeedSource};
use leap_graphql::{cli, http, reviews};

/// A GraphQL API for the world of the 2020 film Leap (夺冠).
#[derive(Parser)]
#[command(name = "leap-graphql", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    serve: ServeArgs,
}

#[derive(clap::Args, Clone)]
struct ServeArgs {
    /// The address to listen on; port 0 picks a free port.
    #[arg(long, env = "LEAP_LISTEN", default_value = "127.0.0.1:8000")]
    listen: SocketAddr,
    /// A seed directory to serve instead of the bundled seed.
    #[arg(long, env = "LEAP_SEED")]
    seed: Option<PathBuf>,
    /// The log format.
    #[arg(long, env = "LEAP_LOG_FORMAT", value_enum, default_value_t = LogFormat::Human)]
    log_format: LogFormat,
    /// With --seed: how often to check the directory for changes, in milliseconds; 0 turns
    /// the watcher off (SIGHUP still reloads). Default 500.
    #[arg(long, env = "LEAP_WATCH_INTERVAL_MS", value_name = "MS")]
    watch_interval_ms: Option<u64>,
    /// With --seed: how long the directory must hold still after a change before it is
    /// reloaded, in milliseconds. Default 200.
    #[arg(long, env = "LEAP_RELOAD_DEBOUNCE_MS", value_name = "MS")]
    reload_debounce_ms: Option<u64>,
    /// An origin whose pages may call the API from a browser (scheme://host[:port], or * for
    /// any); repeat it for more. None by default: no CORS headers at all.
    #[arg(long = "cors-origin", env = "LEAP_CORS_ORIGINS", value_name = "ORIGIN",
          value_delimiter = ',', value_parser = config::parse_origin)]
    cors_origins: Vec<String>,
    /// Compress responses larger than this many bytes, when the client accepts gzip or br.
    /// Default 1024.
    #[arg(long, env = "LEAP_COMPRESS_ABOVE_BYTES", value_name = "BYTES")]
    compress_above_bytes: Option<u16>,
    /// How many distinct operation names get their own label in /metrics; the rest count as
    /// `other`. Default 100.
    #[arg(long, env = "LEAP_MAX_OPERATION_NAMES", value_name = "N")]
    max_operation_names: Option<usize>,
    /// The largest request body in bytes [default: 65536].
    #[arg(long, env = "LEAP_MAX_BODY_BYTES", value_parser = clap::value_parser!(u64).range(1..))]
    max_body_bytes: Option<u64>,
    /// The deepest field nesting a document may have [default: 12].
    #[arg(long, env = "LEAP_MAX_DEPTH", value_parser = clap::value_parser!(u64).range(1..))]
    max_depth: Option<u64>,
    /// The most nodes an operation may be estimated to return [default: 50000].
    #[arg(long, env = "LEAP_MAX_COST", value_parser = clap::value_parser!(u64).range(1..))]
    max_cost: Option<u64>,
    /// How long one request may run, in milliseconds [default: 5000].
    #[arg(long, env = "LEAP_REQUEST_TIMEOUT_MS", value_parser = clap::value_parser!(u64).range(1..))]
    request_timeout_ms: Option<u64>,
    /// The largest answer in bytes; a larger one is refused whole with RESPONSE_TOO_LARGE
    /// [default: 4194304].
    #[arg(long, env = "LEAP_MAX_RESPONSE_BYTES", value_parser = clap::value_parser!(u64).range(1..))]
    max_response_bytes: Option<u64>,
    /// How many GraphQL requests may run at once; more are answered 503 [default: 256].
    #[arg(long, env = "LEAP_MAX_CONCURRENT_REQUESTS", value_parser = clap::value_parser!(u64).range(1..))]
    max_concurrent_requests: Option<u64>,
    /// How many responses the response cache keeps; 0 turns it off (the benchmark's
    /// cache-miss path does) [default: 2000].
    #[arg(long, env = "LEAP_RESPONSE_CACHE_ENTRIES")]
    response_cache_entries: Option<usize>,
    /// How long a request's headers may take, in milliseconds, from the connection's accept
    /// or the first byte of a later request [default: 10000].
    #[arg(long, env = "LEAP_HEADER_TIMEOUT_MS", value_name = "MS", value_parser = clap::value_parser!(u64).range(1..))]
    header_timeout_ms: Option<u64>,
    /// How long a declared body may take to arrive in whole, in milliseconds [default: 10000].
    #[arg(long, env = "LEAP_BODY_TIMEOUT_MS", value_name = "MS", value_parser = clap::value_parser!(u64).range(1..))]
    body_timeout_ms: Option<u64>,
    /// How long a kept-alive connection may wait for its next request, in milliseconds
    /// [default: 60000].
    #[arg(long, env = "LEAP_IDLE_TIMEOUT_MS", value_name = "MS", value_parser = clap::value_parser!(u64).range(1..))]
    idle_timeout_ms: Option<u64>,
    /// How many connections may be open at once [default: the soft RLIMIT_NOFILE, raised to
    /// the hard one, less 128].
    #[arg(long, env = "LEAP_MAX_CONNECTIONS", value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    max_connections: Option<u64>,
    /// After a refusal sent before the body was read (413, ...), how long to read and discard
    /// the rest of the body before closing, in milliseconds [default: 2000].
    #[arg(long, env = "LEAP_REFUSAL_DRAIN_MS", value_name = "MS")]
    refusal_drain_ms: Option<u64>,
    /// The most body bytes discarded after such a refusal [default: 16777216].
    #[arg(long, env = "LEAP_REFUSAL_DRAIN_BYTES", value_name = "BYTES")]
    refusal_drain_bytes: Option<u64>,
    /// On SIGTERM or ctrl-c, how long to wait for requests in flight and for subscriptions
    /// to complete before exiting anyway, in milliseconds [default: 10000].
    #[arg(long, env = "LEAP_SHUTDOWN_GRACE_MS", value_name = "MS")]
    shutdown_grace_ms: Option<u64>,
    /// The review database: a sqlite: URL or a file path; its directory is created on first
    /// run.
    #[arg(long, env = "LEAP_DATABASE_URL", value_name = "URL", default_value = reviews::sqlite::DEFAULT_URL)]
    database: String,
    /// How many mutations one client address may send a minute; 0 turns the limit off
    /// [default: 30].
    #[arg(long, env = "LEAP_MAX_WRITES_PER_MINUTE", value_name = "N")]
    max_writes_per_minute: Option<u32>,
    /// How many subscriptions (WebSocket and SSE) may be open at once [default: 2000].
    #[arg(long, env = "LEAP_MAX_SUBSCRIPTIONS", value_name = "N")]
    max_subscriptions: Option<usize>,
    /// A manifest of trusted documents (Apollo's persisted-query manifest, or a JSON map from
    /// SHA-256 hashes to documents), which clients may name by `documentId` or
    /// `extensions.persistedQuery.sha256Hash`; watched and reloaded like --seed.
    #[arg(long, env = "LEAP_TRUSTED_DOCUMENTS", value_name = "FILE")]
    trusted_documents: Option<PathBuf>,
    /// Run only the manifest's documents: anything else is refused with
    /// TRUSTED_DOCUMENT_REQUIRED, introspection included.
    #[arg(
        long,
        env = "LEAP_ONLY_TRUSTED_DOCUMENTS",
        requires = "trusted_documents"
    )]
    only_trusted_documents: bool,
    /// With --only-trusted-documents: still run introspection sent as text (GraphiQL, schema
    /// tooling).
    #[arg(
        long,
        env = "LEAP_ALLOW_INTROSPECTION",
        requires = "only_trusted_documents"
    )]
    allow_introspection: bool,
}

impl ServeArgs {
    /// The limits: the defaults of `config.rs`, with what the flags override. The defaults
    /// live there only, so the flags carry none of their own.
    fn limits(&self) -> Limits {
        let size = |n: u64| usize::try_from(n).unwrap_or(usize::MAX);
        let mut limits = Limits::default();
        if let Some(n) = self.max_body_bytes {
            limits.max_body_bytes = size(n);
        }
        if let Some(n) = self.max_depth {
            limits.document.max_depth = size(n);
        }
        if let Some(n) = self.max_cost {
            limits.document.max_cost = n;
        }
        if let Some(ms) = self.request_timeout_ms {
            limits.request_timeout = Duration::from_millis(ms);
        }
        if let Some(n) = self.max_response_bytes {
            limits.max_response_bytes = size(n);
        }
        if let Some(n) = self.max_concurrent_requests {
            limits.max_concurrent_requests = size(n);
        }
        limits
    }

    /// The connection timeouts and caps: the defaults of `config.rs`, with what the flags
    /// override.
    fn connections(&self) -> config::Connections {
        let mut connections = config::Connections::default();
        if let Some(ms) = self.header_timeout_ms {
            connections.header_timeout = Duration::from_millis(ms);
        }
        if let Some(ms) = self.body_timeout_ms {
            connections.body_timeout = Duration::from_millis(ms);
        }
        if let Some(ms) = self.idle_timeout_ms {
            connections.idle_timeout = Duration::from_millis(ms);
        }
        if let Some(n) = self.max_connections {
            connections.max_connections = Some(usize::try_from(n).unwrap_or(usize::MAX));
        }
        if let Some(ms) = self.refusal_drain_ms {
            connections.refusal_drain_time = Duration::from_millis(ms);
        }
        if let Some(n) = self.refusal_drain_bytes {
            connections.refusal_drain_bytes = n;
        }
        if let Some(ms) = self.shutdown_grace_ms {
            connections.shutdown_grace = Duration::from_millis(ms);
        }
        connections
    }
}

/// Where a command beside the server finds the review database.
#[derive(clap::Args)]
struct DatabaseArg {
    /// The review database: a sqlite: URL or a file path.
    #[arg(long, env = "LEAP_DATABASE_URL", value_name = "URL", default_value = reviews::sqlite::DEFAULT_URL)]
    database: String,
}

#[derive(Subcommand)]
enum ReviewsCommand {
    /// Write every review (hidden ones included) to stdout, one JSON object a line.
    Export(DatabaseArg),
    /// Read reviews as `export` writes them from stdin; refused while a server holds the
    /// database. A review whose id is there already is left as it is.
    Import(DatabaseArg),
}

#[derive(Subcommand)]
enum Command {
    /// Export or import the reviews.
    #[command(subcommand)]
    Reviews(ReviewsCommand),
    /// Write a consistent snapshot of the review database to FILE, while a server runs.
    Backup {
        /// The snapshot to write (it must not exist).
        file: PathBuf,
        #[command(flatten)]
        database: DatabaseArg,
    },
    /// Serve the API (the default).
    Serve(Box<ServeArgs>),
    /// Print the schema as SDL (`leap-graphql schema > schema.graphql`).
    Schema,
    /// Run one operation against the seed without a server and print the JSON response.
    Query {
        /// The GraphQL document.
        document: String,
        /// The variables, as a JSON object.
        #[arg(long)]
        variables: Option<String>,
        /// Which operation of the document to run.
        #[arg(long)]
        operation_name: Option<String>,
        /// A seed directory instead of the bundled seed.
        #[arg(long, env = "LEAP_SEED")]
        seed: Option<PathBuf>,
    },
    /// Write a synthetic catalogue of any size in the seed format, for load and scale tests.
    Generate {
        /// The directory to write (created if missing).
        dir: PathBuf,
        /// How many films; every other table scales with it (100000 films give about 1M people and credits and 1M tracks).
        #[arg(long, default_value_t = 1000)]
        films: usize,
        /// The random seed: the same seed writes the same catalogue.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Write a manifest of trusted documents (Apollo's persisted-query manifest) from a folder
    /// of .graphql files, one operation each, to stdout.
    Manifest {
        /// The folder of .graphql files.
        dir: PathBuf,
    },
    /// Validate a seed directory and report every problem; exits 1 if there are any.
    Check {
        /// The seed directory (the bundled seed when absent).
        #[arg(long, env = "LEAP_SEED")]
        seed: Option<PathBuf>,
    },
}

/// mimalloc: loading builds and frees millions of small allocations, where glibc's malloc
/// spent a fifth of the time consolidating and unlinking chunks.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn seed_source(seed: Option<PathBuf>) -> SeedSource {
    seed.map_or(SeedSource::Bundled, SeedSource::Dir)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        None => serve(cli.serve),
        Some(Command::Serve(args)) => serve(*args),
        Some(Command::Schema) => {
            print!("{}", leap_graphql::schema::sdl());
            ExitCode::SUCCESS
        }
        Some(Command::Query {
            document,
            variables,
            operation_name,
            seed,
        }) => cli::query(
            &seed_source(seed),
            &document,
            variables.as_deref(),
            operation_name.as_deref(),
        ),
        Some(Command::Check { seed }) => cli::check(&seed_source(seed)),
        Some(Command::Reviews(ReviewsCommand::Export(db))) => cli::export_reviews(&db.database),
        Some(Command::Reviews(ReviewsCommand::Import(db))) => cli::import_reviews(&db.database),
        Some(Command::Backup { file, database }) => cli::backup(&database.database, &file),
        Some(Command::Manifest { dir }) => cli::manifest(&dir),
        Some(Command::Generate { dir, films, seed }) => {
            match leap_graphql::synth::generate(&dir, films, seed) {
                Ok(counts) => {
                    println!("wrote {}: {counts:?}", dir.display());
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("cannot write {}: {e}", dir.display());
                    ExitCode::FAILURE
                }
            }
        }
    }
}

fn serve(args: ServeArgs) -> ExitCode {
    let defaults = Config::default();
    let config = Config {
        listen: args.listen,
        limits: args.limits(),
        connections: args.connections(),
        seed: seed_source(args.seed),
        log_format: args.log_format,
        caches: config::Caches {
            response_entries: args
                .response_cache_entries
                .unwrap_or(defaults.caches.response_entries),
            ..defaults.caches.clone()
        },
        reload: config::Reload {
            watch_interval: match args.watch_interval_ms {
                Some(0) => None,
                Some(ms) => Some(Duration::from_millis(ms)),
                None => defaults.reload.watch_interval,
            },
            debounce: args
                .reload_debounce_ms
                .map_or(defaults.reload.debounce, Duration::from_millis),
        },
        http: config::Http {
            cors_origins: args.cors_origins,
            compress_above_bytes: args
                .compress_above_bytes
                .unwrap_or(defaults.http.compress_above_bytes),
        },
        metrics: config::Metrics {
            max_operation_names: args
                .max_operation_names
                .unwrap_or(defaults.metrics.max_operation_names),
        },
        writes: config::Writes {
            database: Some(args.database.clone()),
            admin_token: std::env::var("LEAP_ADMIN_TOKEN")
                .ok()
                .filter(|t| !t.is_empty()),
            max_writes_per_minute: args
                .max_writes_per_minute
                .unwrap_or(defaults.writes.max_writes_per_minute),
            max_subscriptions: args
                .max_subscriptions
                .unwrap_or(defaults.writes.max_subscriptions),
            ..defaults.writes.clone()
        },
        errors: config::Errors {
            // Near names would spell out a schema that is not public.
            suggestions: !args.only_trusted_documents,
        },
        trusted: config::Trusted {
            manifest: args.trusted_documents,
            only: args.only_trusted_documents,
            allow_introspection: args.allow_introspection,
        },
    };
    let _logging = cli::init_logging(config.log_format);
    let store = match cli::load(&config.seed) {
        Ok(store) => store,
        Err(report) => {
            eprintln!("{report}");
            return ExitCode::FAILURE;
        }
    };
    let runtime = match runtime_builder().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        let reviews = match cli::open_reviews(&config).await {
            Ok(reviews) => reviews,
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::FAILURE;
            }
        };
        let state = http::AppState::with_reviews(config.clone(), store, reviews);
        if let Err(e) = state.load_trusted_documents() {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
        let server = match http::Server::bind(state).await {
            Ok(s) => s,
            Err(e) => {
                eprintln!("cannot listen on {}: {e}", config.listen);
                return ExitCode::FAILURE;
            }
        };
        match server.local_addr() {
            Ok(addr) => println!("listening on http://{addr}/graphql"),
            Err(e) => {
                eprintln!("cannot read the bound address: {e}");
                return ExitCode::FAILURE;
            }
        }
        match server.run().await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("server error: {e}");
                ExitCode::FAILURE
            }
        }
    })
}

/// The runtime for the cores the process may use: with one (as the benchmark pins it, or a
/// container's CPU set), a single-threaded runtime, which schedules a request's tasks
/// without the work-stealing queues and the cross-thread wake-ups that one core has no use
/// for.
fn runtime_builder() -> tokio::runtime::Builder {
    match std::thread::available_parallelism() {
        Ok(n) if n.get() == 1 => tokio::runtime::Builder::new_current_thread(),
        _ => tokio::runtime::Builder::new_multi_thread(),
    }
}
