//! The HTTP boundary: routes, the GraphQL handler, the playground, and the server's life cycle.

pub mod cache;
mod graphql;
pub mod metrics;
pub mod middleware;
pub mod persisted;
pub mod playground;
pub mod request_id;
mod serve;

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::future::RouteFuture;
use axum::routing::{MethodRouter, get};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::layer::layer_fn;
use tower::util::Either;
use tower::{Layer, ServiceBuilder};
use tower_http::compression::CompressionLayer;
use tower_http::compression::predicate::SizeAbove;
use tower_http::cors::{AllowOrigin, Cors, CorsLayer};

use crate::config::{Config, SeedSource};
use crate::reload::{self, Hangup, Reloader};
use crate::schema::LeapSchema;
use crate::store::Store;
use metrics::Metrics;
use request_id::X_REQUEST_ID;

/// What every handler shares, behind one `Arc`: axum clones the state for every request, and
/// one reference count is cheaper than one per field.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// The fields of [`AppState`].
pub struct Shared {
    /// The schema with null propagation as the spec defines it (see `schema::nulls`).
    pub schema: LeapSchema,
    /// The same schema without that extension, which costs a quarter of an execution: a
    /// request that executes without errors comes out the same from both, so requests run
    /// here first and only one with errors runs again on `schema`.
    pub fast_schema: LeapSchema,
    /// Parsed documents by their text.
    pub documents: Arc<cache::DocumentCache>,
    /// The current graph and its generation. A request takes its own [`Graph`] when it starts
    /// and keeps it, so that a reload never changes the graph under a running request; a
    /// reload swaps in a new one under the write lock (held only for the swap itself).
    pub graph: Arc<RwLock<Graph>>,
    /// Whether a graph is in place; `/readyz` answers from it.
    pub ready: Arc<AtomicBool>,
    pub metrics: Arc<Metrics>,
    pub config: Arc<Config>,
    pub permits: Arc<Semaphore>,
    /// Clean answers of the current generation (see [`Graph`]), served again as they are.
    pub responses: Arc<cache::ResponseCache>,
    pub persisted: Arc<persisted::PersistedQueries>,
}

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
}

impl AppState {
    pub fn new(config: Config, store: Store) -> AppState {
        let state = AppState(Arc::new(Shared {
            schema: crate::schema::build(),
            fast_schema: crate::schema::build_without_null_propagation(),
            documents: Arc::new(cache::DocumentCache::new(config.caches.documents)),
            graph: Arc::new(RwLock::new(Graph {
                store: Arc::new(Store::default()),
                generation: 0,
            })),
            ready: Arc::new(AtomicBool::new(false)),
            metrics: Arc::new(Metrics::new(&config.metrics)),
            permits: Arc::new(Semaphore::new(config.limits.max_concurrent_requests)),
            responses: Arc::new(cache::ResponseCache::new(
                config.caches.response_entries,
                config.caches.response_bytes,
                usize::from(config.http.compress_above_bytes),
            )),
            persisted: Arc::new(persisted::PersistedQueries::new(
                config.caches.persisted_queries,
            )),
            config: Arc::new(config),
        }));
        state.install(store);
        state
    }

    /// The current graph and its generation.
    pub fn current(&self) -> Graph {
        match self.graph.read() {
            Ok(g) => g.clone(),
            // A writer panicked mid-swap; the value inside is still a whole graph.
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// The current graph's generation, without taking a reference to the graph: all that a
    /// response-cache lookup needs.
    pub fn generation(&self) -> u64 {
        match self.graph.read() {
            Ok(g) => g.generation,
            Err(poisoned) => poisoned.into_inner().generation,
        }
    }

    /// The current graph.
    pub fn graph(&self) -> Arc<Store> {
        self.current().store
    }

    /// Swaps in a new graph, atomically for requests: each sees the old one or the new one.
    /// Returns the new generation and the old graph (for the caller to drop off the request
    /// path).
    pub fn install(&self, store: Store) -> (u64, Arc<Store>) {
        let store = Arc::new(store);
        let mut current = match self.graph.write() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        let generation = current.generation + 1;
        self.metrics.graph_installed(&store, generation);
        let old = std::mem::replace(&mut *current, Graph { store, generation });
        drop(current);
        self.ready.store(true, Ordering::Release);
        (generation, old.store)
    }
}

/// The whole application as a router, for tests to drive with `oneshot`: [`routes`] inside
/// [`layers`].
pub fn app(state: AppState) -> Router {
    let http = state.config.http.clone();
    layers(routes(state), &http)
}

/// The whole application as the server runs it: [`routes`] inside [`stack`].
fn service(state: AppState) -> Stack<PostFirst> {
    let http = state.config.http.clone();
    let endpoints = PostFirst {
        state: state.clone(),
        rest: routes(state),
    };
    stack(endpoints, &http)
}

/// `POST /graphql` straight to its handler, and every other request through the router. The
/// router's lookup, the path parameters it records in every request (two allocations, though
/// no handler reads them) and the route's boxed service (cloned for every request) are a
/// twentieth of a cache hit, and the frontends' requests are all `POST /graphql`. Both answer
/// the same: the router sends `POST /graphql`, and only it, to the very same handler (hyper
/// writes the `Content-Length` the router would have put in).
#[derive(Clone)]
struct PostFirst {
    state: AppState,
    rest: Router,
}

type Answered = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

pin_project_lite::pin_project! {
    #[project = EndpointProj]
    enum Endpoint {
        Post { inner: Answered },
        Routed {
            #[pin]
            inner: RouteFuture<Infallible>,
        },
    }
}

impl Future for Endpoint {
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project() {
            EndpointProj::Post { inner } => inner.as_mut().poll(cx),
            EndpointProj::Routed { inner } => inner.poll(cx),
        }
    }
}

impl tower::Service<axum::extract::Request> for PostFirst {
    type Response = Response;
    type Error = Infallible;
    type Future = Endpoint;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        // The handler is always ready, and so is axum's router.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: axum::extract::Request) -> Self::Future {
        if request.method() == Method::POST && request.uri().path() == "/graphql" {
            let state = State(self.state.clone());
            Endpoint::Post {
                inner: Box::pin(async move { Ok(graphql::post(state, request).await) }),
            }
        } else {
            Endpoint::Routed {
                inner: self.rest.call(request),
            }
        }
    }
}

/// The GraphQL endpoint's methods.
fn graphql_route() -> MethodRouter<AppState> {
    get(graphql::get)
        .post(graphql::post)
        .fallback(graphql::other_method)
}

/// Every route of the application, with its state, and no middleware.
pub fn routes(state: AppState) -> Router {
    Router::new()
        .route("/graphql", graphql_route())
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics_page))
        .merge(playground::router())
        .fallback(not_found)
        .with_state(state)
}

/// The middleware every route runs inside, as a router (for tests, which may add a route of
/// their own, one that panics say): [`stack`] around `router`, the very stack the server runs.
pub fn layers(router: Router, http: &crate::config::Http) -> Router {
    Router::new().fallback_service(stack(router, http))
}

/// What [`stack`] makes; CORS is there only when origins are configured. Boxed, because
/// hyper clones the whole stack for every request, and tower-http's CORS service (its whole
/// configuration) is five times the size of the rest: without CORS, each request would copy
/// it for nothing.
pub type Stack<S = Router> = middleware::Access<Either<Box<Cors<Answering<S>>>, Answering<S>>>;
type Answering<S> = middleware::Respond<S, SizeAbove>;

/// The middleware around the whole router, not around each route (as `Router::layer` would
/// put it): a route is a boxed service that is cloned and whose future is boxed for every
/// request, and every layer inside it adds to both.
pub fn stack<S>(router: S, http: &crate::config::Http) -> Stack<S>
where
    S: tower::Service<axum::extract::Request, Response = Response> + Clone,
{
    let cors = cors_layer(&http.cors_origins);
    let above = SizeAbove::new(http.compress_above_bytes);
    let compression = CompressionLayer::new()
        .gzip(true)
        .br(true)
        .compress_when(above);
    // Outermost first: the request id and the log context exist before anything else runs,
    // so every response (a preflight, a 500) gets the id back and one access line; CORS
    // covers compressed answers and 500s alike; a panic becomes a 500 that says nothing of
    // the internals. See `middleware` for why these are not tower-http's.
    ServiceBuilder::new()
        .layer(middleware::AccessLayer::default())
        .option_layer(cors.map(|cors| layer_fn(move |s| Box::new(cors.layer(s)))))
        .layer(middleware::RespondLayer::new(
            compression,
            above,
            graphql::panic_response,
        ))
        .service(router)
}

/// CORS for the configured origins, or no layer at all (and so no CORS header) without any.
fn cors_layer(origins: &[String]) -> Option<CorsLayer> {
    if origins.is_empty() {
        return None;
    }
    let allow = if origins.iter().any(|o| o == "*") {
        AllowOrigin::any()
    } else {
        // `config::parse_origin` has checked them; one that still is not a header value can
        // never match an `Origin` and is left out.
        AllowOrigin::list(origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()))
    };
    Some(
        CorsLayer::new()
            .allow_origin(allow)
            .allow_methods([Method::GET, Method::POST])
            .allow_headers([header::CONTENT_TYPE, header::ACCEPT, X_REQUEST_ID])
            .expose_headers([X_REQUEST_ID])
            .max_age(Duration::from_secs(600)),
    )
}

async fn healthz() -> &'static str {
    "ok\n"
}

/// 200 once a graph is serving, 503 before (and while shutting down), for load balancers.
async fn readyz(State(state): State<AppState>) -> Response {
    if state.ready.load(Ordering::Acquire) {
        (StatusCode::OK, "ready\n").into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "not ready\n").into_response()
    }
}

async fn metrics_page(State(state): State<AppState>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static(metrics::CONTENT_TYPE),
        )],
        state.metrics.render(),
    )
        .into_response()
}

async fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        )],
        "not found; the API is at /graphql\n",
    )
        .into_response()
}

/// A server bound to its port, ready to run.
pub struct Server {
    listener: TcpListener,
    service: Stack<PostFirst>,
    state: AppState,
    reloader: Option<Reloader>,
    hangup: Hangup,
    stop: Stop,
}

/// SIGINT and SIGTERM, caught from the moment the server binds (like [`Hangup`]), so that a
/// signal sent on seeing the `listening on` line shuts down gracefully instead of killing.
struct Stop {
    #[cfg(unix)]
    interrupt: Option<tokio::signal::unix::Signal>,
    #[cfg(unix)]
    terminate: Option<tokio::signal::unix::Signal>,
}

impl Stop {
    fn catch() -> Stop {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let catch = |kind| {
                signal(kind)
                    .map_err(|e| tracing::warn!("cannot listen for a stop signal: {e}"))
                    .ok()
            };
            Stop {
                interrupt: catch(SignalKind::interrupt()),
                terminate: catch(SignalKind::terminate()),
            }
        }
        #[cfg(not(unix))]
        Stop {}
    }

    /// Waits for the first stop signal.
    async fn wait(mut self) {
        #[cfg(unix)]
        {
            async fn recv(signal: Option<&mut tokio::signal::unix::Signal>) {
                match signal {
                    Some(s) => {
                        s.recv().await;
                    }
                    None => std::future::pending().await,
                }
            }
            tokio::select! {
                () = recv(self.interrupt.as_mut()) => {},
                () = recv(self.terminate.as_mut()) => {},
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
        tracing::info!("shutting down: finishing requests in flight");
    }
}

impl Server {
    /// Binds the listener (port 0 picks a free port) so that callers know the address first.
    pub async fn bind(state: AppState) -> std::io::Result<Server> {
        let listener = TcpListener::bind(state.config.listen).await?;
        // Only a seed directory can change; the bundled seed is part of the binary.
        let reloader = match &state.config.seed {
            SeedSource::Dir(dir) => Some(Reloader::new(state.clone(), dir.clone())),
            SeedSource::Bundled => None,
        };
        Ok(Server {
            listener,
            service: service(state.clone()),
            state,
            reloader,
            hangup: Hangup::catch(),
            stop: Stop::catch(),
        })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// What reloads this server's seed directory (none for the bundled seed); tests use it
    /// to reload without waiting for the watcher.
    pub fn reloader(&self) -> Option<Reloader> {
        self.reloader.clone()
    }

    /// Serves until SIGINT or SIGTERM, then lets requests in flight finish. Reloads on SIGHUP
    /// and when the seed directory changes, until then.
    pub async fn run(self) -> std::io::Result<()> {
        let _reloading = reload::start(self.reloader, self.hangup, &self.state.config.reload);
        let ready = self.state.ready.clone();
        let stop = self.stop;
        let connections = &self.state.config.connections;
        serve::serve(self.listener, self.service, connections, async move {
            stop.wait().await;
            // Load balancers stop sending new requests while those in flight finish.
            ready.store(false, Ordering::Release);
        })
        .await
    }
}
