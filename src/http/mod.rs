//! The HTTP boundary, transport only: routes, the GraphQL endpoint's negotiation, statuses,
//! headers and byte limits (`graphql`), the playground, the middleware, and the server's life
//! cycle (`serve`, [`Server`]). What a GraphQL request means is the engine's
//! ([`crate::engine`]): every request to `/graphql` is handed to `Engine::execute`.
//!
//! May import: `engine`, `config`, `error_code`, `reload` (to start it), and the store's type
//! for a graph to install. Nothing below imports `http`. Its files import one way: this one
//! (the app and the server) uses `graphql` (the endpoint), which uses `state` (what handlers
//! share, [`AppState`]), which uses `coding`; `metrics`, `middleware`, `request_id`,
//! `playground` and `serve` import none of those.

mod coding;
mod graphql;
pub mod middleware;
pub mod playground;
mod serve;
mod state;
mod streams;

pub use state::{AppState, Shared};

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::future::RouteFuture;
use axum::routing::{MethodRouter, get};
use tokio::net::TcpListener;
use tower::layer::layer_fn;
use tower::util::Either;
use tower::{Layer, ServiceBuilder};
use tower_http::compression::CompressionLayer;
use tower_http::compression::predicate::Predicate;
use tower_http::cors::{AllowOrigin, Cors, CorsLayer};

use crate::config::SeedSource;
use crate::reload::{self, Hangup, ManifestReloader, Reloader};
use crate::telemetry::metrics;
use crate::telemetry::request_id::X_REQUEST_ID;

/// The whole application, as the server runs it and as the tests drive it (with `oneshot`):
/// [`routes`] inside [`stack`], with `POST /graphql` ahead of the router ([`PostFirst`]).
pub fn app(state: AppState) -> App {
    let routes = routes(state.clone());
    app_with_routes(state, routes)
}

/// [`app`] with routes of the caller's: the tests add one that panics, say.
pub fn app_with_routes(state: AppState, routes: Router) -> App {
    let http = state.config.http.clone();
    let endpoints = PostFirst {
        state,
        rest: routes,
    };
    stack(endpoints, &http)
}

/// What [`app`] makes.
pub type App = Stack<PostFirst>;

/// `POST /graphql` straight to its handler, and every other request through the router. The
/// router's lookup, the path parameters it records in every request (two allocations, though
/// no handler reads them) and the route's boxed service (cloned for every request) are a
/// twentieth of a cache hit, and the frontends' requests are all `POST /graphql`. Both answer
/// the same: the router sends `POST /graphql`, and only it, to the very same handler (hyper
/// writes the `Content-Length` the router would have put in).
#[derive(Clone)]
pub struct PostFirst {
    state: AppState,
    rest: Router,
}

/// The future of a `POST /graphql`.
type PostFuture = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

pin_project_lite::pin_project! {
    #[project = EndpointProj]
    pub enum Endpoint {
        Post { inner: PostFuture },
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

impl tower::Service<middleware::TicketedRequest> for PostFirst {
    type Response = Response;
    type Error = Infallible;
    type Future = Endpoint;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        // The handler is always ready, and so is axum's router.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: middleware::TicketedRequest) -> Self::Future {
        if request.method() == Method::POST && request.uri().path() == "/graphql" {
            let state = self.state.clone();
            let (parts, middleware::Ticketed { body, ticket }) = request.into_parts();
            Endpoint::Post {
                inner: Box::pin(async move {
                    Ok(graphql::answer_post(&state, parts, body, ticket).await)
                }),
            }
        } else {
            Endpoint::Routed {
                inner: self.rest.call(middleware::into_routed(request)),
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

/// What [`stack`] makes; CORS is there only when origins are configured. Boxed, because
/// hyper clones the whole stack for every request, and tower-http's CORS service (its whole
/// configuration) is five times the size of the rest: without CORS, each request would copy
/// it for nothing.
pub type Stack<S = middleware::Routed<Router>> =
    middleware::Access<Either<Box<Cors<Answering<S>>>, Answering<S>>>;
type Answering<S> = middleware::Respond<S, Compressible>;

/// What is compressed: a body of known size over the threshold, and a body of no known size
/// unless it is an event stream (each event must go out as it happens, not when a
/// compressor's block fills). An answer's size is always known, so an answer is judged
/// without a look at its headers: `tower-http`'s `SizeAbove` and `NotForContentType` joined
/// with `and` read and validate its `Content-Type` (about 250 instructions of a cache hit,
/// `bench/callgrind.sh Catalogue`).
#[derive(Clone, Copy)]
pub struct Compressible {
    above: u16,
}

impl Predicate for Compressible {
    fn should_compress<B>(&self, response: &Response<B>) -> bool
    where
        B: axum::body::HttpBody,
    {
        match response.body().size_hint().exact() {
            Some(size) => size >= u64::from(self.above),
            None => response
                .headers()
                .get(header::CONTENT_TYPE)
                .is_none_or(|ct| !ct.as_bytes().starts_with(b"text/event-stream")),
        }
    }
}

/// The middleware around the whole router, not around each route (as `Router::layer` would
/// put it): a route is a boxed service that is cloned and whose future is boxed for every
/// request, and every layer inside it adds to both.
pub fn stack<S>(router: S, http: &crate::config::Http) -> Stack<S>
where
    S: tower::Service<middleware::TicketedRequest, Response = Response> + Clone,
{
    let cors = cors_layer(&http.cors_origins);
    let above = Compressible {
        above: http.compress_above_bytes,
    };
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
    if state.engine.graphs().is_ready() {
        (StatusCode::OK, "ready\n").into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "not ready\n").into_response()
    }
}

async fn metrics_page(State(state): State<AppState>) -> Response {
    let commits = state.engine.reviews().commits();
    state
        .metrics
        .review_commits(commits.transactions, commits.writes);
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
    service: App,
    state: AppState,
    reloader: Option<Reloader>,
    manifest: Option<ManifestReloader>,
    hangup: Hangup,
    stop: StopSignal,
}

/// SIGINT and SIGTERM, caught from the moment the server binds (like [`Hangup`]), so that a
/// signal sent on seeing the `listening on` line shuts down gracefully instead of killing.
struct StopSignal {
    #[cfg(unix)]
    interrupt: Option<tokio::signal::unix::Signal>,
    #[cfg(unix)]
    terminate: Option<tokio::signal::unix::Signal>,
}

impl StopSignal {
    fn catch() -> StopSignal {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let catch = |kind| {
                signal(kind)
                    .map_err(|e| tracing::warn!("cannot listen for a stop signal: {e}"))
                    .ok()
            };
            StopSignal {
                interrupt: catch(SignalKind::interrupt()),
                terminate: catch(SignalKind::terminate()),
            }
        }
        #[cfg(not(unix))]
        StopSignal {}
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
            SeedSource::Dir(dir) => Some(Reloader::new(
                state.engine.clone(),
                state.metrics.clone(),
                dir.clone(),
            )),
            SeedSource::Bundled => None,
        };
        let manifest = state
            .config
            .trusted
            .manifest
            .as_ref()
            .map(|path| ManifestReloader::new(state.engine.clone(), path.clone()));
        Ok(Server {
            listener,
            service: app(state.clone()),
            state,
            reloader,
            manifest,
            hangup: Hangup::catch(),
            stop: StopSignal::catch(),
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

    /// What reloads this server's trusted documents (none without a manifest); tests use it
    /// to reload without waiting for the watcher.
    pub fn manifest_reloader(&self) -> Option<ManifestReloader> {
        self.manifest.clone()
    }

    /// Serves until SIGINT or SIGTERM, then lets requests in flight finish and completes
    /// every subscription, within `shutdown_grace`. Reloads on SIGHUP and when the seed
    /// directory or the manifest changes, until then.
    pub async fn run(self) -> std::io::Result<()> {
        let _reloading = reload::start(
            self.reloader,
            self.manifest,
            self.hangup,
            &self.state.config.reload,
        );
        let engine = self.state.engine.clone();
        let stop = self.stop;
        let connections = &self.state.config.connections;
        let (stopped, on_stop) = tokio::sync::oneshot::channel();
        let serving = serve::serve(self.listener, self.service, connections, async move {
            stop.wait().await;
            // Load balancers stop sending new requests while those in flight finish.
            engine.graphs().stop_ready();
            // Subscriptions complete (each client hears `complete`) rather than break.
            engine.subscriptions().close_all();
            let _ = stopped.send(());
        });
        let mut serving = std::pin::pin!(serving);
        tokio::select! {
            biased;
            served = &mut serving => return served,
            _ = on_stop => {}
        }
        // Stopping: the accept loop waits for the connections it serves (requests in flight,
        // SSE streams sending `complete`); WebSockets have left it when they upgraded, and
        // are waited for here, each completing its subscriptions and closing with 1001.
        let subscriptions = self.state.engine.subscriptions();
        let drained = async {
            let served = serving.await;
            subscriptions.all_ended().await;
            served
        };
        let grace = connections.shutdown_grace;
        match tokio::time::timeout(grace, drained).await {
            Ok(served) => served,
            Err(_) => {
                tracing::warn!(
                    "stopped after {grace:?} with requests or streams still open ({} subscriptions)",
                    subscriptions.open()
                );
                Ok(())
            }
        }
    }
}
