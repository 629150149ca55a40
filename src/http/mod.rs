//! The HTTP boundary: routes, the GraphQL handler, the playground, and the server's life cycle.

mod graphql;
pub mod playground;

use std::net::SocketAddr;
use std::sync::{Arc, RwLock};

use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::{DefaultMakeSpan, DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::config::Config;
use crate::schema::LeapSchema;
use crate::store::Store;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub schema: LeapSchema,
    /// The current graph. A request takes its own `Arc` when it starts and keeps it, so that a
    /// reload never changes the graph under a running request.
    pub graph: Arc<RwLock<Arc<Store>>>,
    pub config: Arc<Config>,
    pub permits: Arc<Semaphore>,
}

impl AppState {
    pub fn new(config: Config, store: Store) -> AppState {
        AppState {
            schema: crate::schema::build(),
            graph: Arc::new(RwLock::new(Arc::new(store))),
            permits: Arc::new(Semaphore::new(config.limits.max_concurrent_requests)),
            config: Arc::new(config),
        }
    }

    pub fn graph(&self) -> Arc<Store> {
        match self.graph.read() {
            Ok(g) => g.clone(),
            // A writer panicked mid-swap; the Arc inside is still a whole graph.
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }
}

/// The whole application as a router, for tests to drive with `oneshot`: [`routes`] inside
/// [`layers`].
pub fn app(state: AppState) -> Router {
    layers(routes(state))
}

/// Every route of the application, with its state, and no middleware.
pub fn routes(state: AppState) -> Router {
    Router::new()
        .route(
            "/graphql",
            get(graphql::get)
                .post(graphql::post)
                .fallback(graphql::other_method),
        )
        .route("/healthz", get(healthz))
        .merge(playground::router())
        .fallback(not_found)
        .with_state(state)
}

/// The middleware every route runs inside: a panic becomes a 500 that says nothing of the
/// internals, and every request is logged. Public so that a test can wrap a route of its
/// own (one that panics, say) in exactly the stack the server uses.
pub fn layers(router: Router) -> Router {
    router
        .layer(CatchPanicLayer::custom(graphql::panic_response))
        .layer(
            // One line per request, when it is answered, inside a span naming the method and
            // path; the span is at INFO so that the default filter keeps it.
            TraceLayer::new_for_http()
                .make_span_with(DefaultMakeSpan::new().level(Level::INFO))
                .on_request(())
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
}

async fn healthz() -> &'static str {
    "ok\n"
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
    router: Router,
}

impl Server {
    /// Binds the listener (port 0 picks a free port) so that callers know the address first.
    pub async fn bind(state: AppState) -> std::io::Result<Server> {
        let listener = TcpListener::bind(state.config.listen).await?;
        Ok(Server {
            listener,
            router: app(state),
        })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until SIGINT or SIGTERM, then lets requests in flight finish.
    pub async fn run(self) -> std::io::Result<()> {
        axum::serve(self.listener, self.router)
            .with_graceful_shutdown(shutdown_signal())
            .await
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
