//! The middleware every route runs inside, written for the hot path: a response-cache hit
//! costs a few microseconds, and four `tower-http` layers (request id, trace span, compression,
//! panics) cost a quarter of that. Three small services replace them:
//!
//! - [`Access`], outermost: the request id (the client's when sane, or one made here), the
//!   request's log context, and the access line once the response is ready. The context is
//!   not a `tracing` span (which costs an allocation, a formatted field string and a registry
//!   entry per request, used or not): it is moved into a thread-local while the request's
//!   future is polled, and the log formatters read it from there only when an event fires.
//! - [`Compress`]: `tower-http`'s compression for requests that accept gzip or br, and none of
//!   its wrapping for the others (which still get its `Vary: accept-encoding`).
//! - [`CatchPanic`], innermost: a panic becomes the handler's clean 500.
//!
//! CORS, when configured, stays `tower-http`'s, between [`Access`] and [`Compress`].

pub mod log;

use std::any::Any;
use std::cell::RefCell;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use axum::body::Body;
use axum::http::uri::PathAndQuery;
use axum::http::{HeaderValue, Method, Request, Response, header};
use pin_project_lite::pin_project;
use tower::{Layer, Service};
use tower_http::compression::predicate::Predicate;
use tower_http::compression::{Compression, CompressionLayer};

use super::request_id::{self, MakeId, X_REQUEST_ID};

/// What the log says of the request being handled: its method, path, id and (once the
/// GraphQL handler has read it) operation name.
pub struct RequestContext {
    method: Method,
    path: Option<PathAndQuery>,
    id: HeaderValue,
    operation: Option<Arc<str>>,
    /// When the request reached the server.
    started: Instant,
}

impl RequestContext {
    fn path(&self) -> &str {
        self.path.as_ref().map_or("/", PathAndQuery::path)
    }

    fn id(&self) -> &str {
        // `request_id` only ever keeps or makes visible ASCII.
        self.id.to_str().unwrap_or("")
    }
}

thread_local! {
    /// The request whose future this thread is polling, if any.
    static CURRENT: RefCell<Option<RequestContext>> = const { RefCell::new(None) };
}

/// Runs `f` with `context` as the current request, and puts it back afterwards. The one
/// that was current before (none, unless requests nest) is current again after.
fn enter<R>(context: &mut Option<RequestContext>, f: impl FnOnce() -> R) -> R {
    let outer = CURRENT.with(|c| c.replace(context.take()));
    let result = f();
    *context = CURRENT.with(|c| c.replace(outer));
    result
}

/// Calls `f` with the request being handled on this thread, if any.
pub fn with_current<R>(f: impl FnOnce(Option<&RequestContext>) -> R) -> R {
    CURRENT.with(|c| match c.try_borrow() {
        Ok(current) => f(current.as_ref()),
        Err(_) => f(None),
    })
}

/// Names the GraphQL operation of the request being handled, for its log lines. Names over
/// 256 bytes are left out rather than written into every line.
pub fn record_operation(name: Option<&Arc<str>>) {
    let Some(name) = name.filter(|n| n.len() <= 256) else {
        return;
    };
    CURRENT.with(|c| {
        if let Ok(mut current) = c.try_borrow_mut()
            && let Some(request) = current.as_mut()
        {
            request.operation = Some(name.clone());
        }
    });
}

/// When the request being handled reached the server (now, outside of a request).
pub fn started() -> Instant {
    with_current(|r| r.map(|r| r.started)).unwrap_or_else(Instant::now)
}

/// The request id, the log context and the access line; see the module.
#[derive(Clone, Default)]
pub struct AccessLayer {
    ids: MakeId,
}

impl<S> Layer<S> for AccessLayer {
    type Service = Access<S>;

    fn layer(&self, inner: S) -> Access<S> {
        Access {
            inner,
            ids: self.ids.clone(),
        }
    }
}

#[derive(Clone)]
pub struct Access<S> {
    inner: S,
    ids: MakeId,
}

impl<S> Service<Request<Body>> for Access<S>
where
    S: Service<Request<Body>, Response = Response<Body>>,
{
    type Response = Response<Body>;
    type Error = S::Error;
    type Future = AccessFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<Body>) -> Self::Future {
        let started = Instant::now();
        let id = match request_id::client_id(request.headers()) {
            Some(id) => id.clone(),
            None => self.ids.make(),
        };
        let mut context = Some(RequestContext {
            method: request.method().clone(),
            path: request.uri().path_and_query().cloned(),
            id,
            operation: None,
            started,
        });
        let inner = enter(&mut context, || self.inner.call(request));
        AccessFuture { inner, context }
    }
}

pin_project! {
    pub struct AccessFuture<F> {
        #[pin]
        inner: F,
        context: Option<RequestContext>,
    }
}

impl<F, E> Future for AccessFuture<F>
where
    F: Future<Output = Result<Response<Body>, E>>,
{
    type Output = Result<Response<Body>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let inner = this.inner;
        let polled = enter(this.context, || inner.poll(cx));
        let Poll::Ready(result) = polled else {
            return Poll::Pending;
        };
        let mut response = result?;
        if let Some(context) = this.context.take() {
            let now = Instant::now();
            log::access(
                &context,
                response.status(),
                now.saturating_duration_since(context.started),
                now,
            );
            response.headers_mut().insert(X_REQUEST_ID, context.id);
        }
        Poll::Ready(Ok(response))
    }
}

/// Compression above a size, only for requests that ask for it; see the module.
#[derive(Clone)]
pub struct CompressLayer<P> {
    layer: CompressionLayer<P>,
    predicate: P,
}

impl<P: Predicate> CompressLayer<P> {
    /// `predicate` decides which responses are compressed; the compression layer must have
    /// been given the same one.
    pub fn new(layer: CompressionLayer<P>, predicate: P) -> CompressLayer<P> {
        CompressLayer { layer, predicate }
    }
}

impl<S: Clone, P: Predicate> Layer<S> for CompressLayer<P> {
    type Service = Compress<S, P>;

    fn layer(&self, inner: S) -> Compress<S, P> {
        Compress {
            compress: self.layer.layer(inner.clone()),
            plain: inner,
            predicate: self.predicate.clone(),
        }
    }
}

#[derive(Clone)]
pub struct Compress<S, P> {
    compress: Compression<S, P>,
    plain: S,
    predicate: P,
}

/// Whether `Accept-Encoding` may name gzip or br. A loose test (a substring) that only ever
/// errs towards asking `tower-http`, which reads the header properly.
fn may_accept_compression(request: &Request<Body>) -> bool {
    request
        .headers()
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .any(|v| {
            v.as_bytes()
                .windows(2)
                .any(|w| w.eq_ignore_ascii_case(b"br"))
                || v.as_bytes()
                    .windows(4)
                    .any(|w| w.eq_ignore_ascii_case(b"gzip"))
        })
}

impl<S, P> Service<Request<Body>> for Compress<S, P>
where
    S: Service<Request<Body>, Response = Response<Body>> + Clone,
    P: Predicate,
{
    type Response = Response<Body>;
    type Error = S::Error;
    type Future = CompressFuture<S::Future, P>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        match self.plain.poll_ready(cx) {
            Poll::Ready(Ok(())) => self.compress.poll_ready(cx),
            other => other,
        }
    }

    fn call(&mut self, request: Request<Body>) -> Self::Future {
        if may_accept_compression(&request) {
            CompressFuture::Compressed {
                inner: self.compress.call(request),
            }
        } else {
            CompressFuture::Plain {
                inner: self.plain.call(request),
                predicate: self.predicate.clone(),
            }
        }
    }
}

pin_project! {
    #[project = CompressProj]
    pub enum CompressFuture<F, P> {
        Compressed {
            #[pin]
            inner: tower_http::compression::ResponseFuture<F, P>,
        },
        Plain {
            #[pin]
            inner: F,
            predicate: P,
        },
    }
}

impl<F, E, P> Future for CompressFuture<F, P>
where
    F: Future<Output = Result<Response<Body>, E>>,
    P: Predicate,
{
    type Output = Result<Response<Body>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project() {
            CompressProj::Compressed { inner } => inner.poll(cx).map_ok(|r| r.map(Body::new)),
            CompressProj::Plain { inner, predicate } => inner.poll(cx).map_ok(|mut r| {
                // What `tower-http` says of a response it could have compressed, so that
                // caches keep the two apart.
                let compressible = !r.headers().contains_key(header::CONTENT_ENCODING)
                    && !r.headers().contains_key(header::CONTENT_RANGE)
                    && predicate.should_compress(&r);
                let varies = r
                    .headers()
                    .get_all(header::VARY)
                    .iter()
                    .any(|v| contains_ignore_case(v.as_bytes(), b"accept-encoding"));
                if compressible && !varies {
                    r.headers_mut()
                        .append(header::VARY, HeaderValue::from_static("accept-encoding"));
                }
                r
            }),
        }
    }
}

fn contains_ignore_case(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle))
}

/// A panic in the service becomes `on_panic`'s response.
#[derive(Clone)]
pub struct CatchPanicLayer {
    on_panic: fn(Box<dyn Any + Send + 'static>) -> Response<Body>,
}

impl CatchPanicLayer {
    pub fn new(on_panic: fn(Box<dyn Any + Send + 'static>) -> Response<Body>) -> Self {
        CatchPanicLayer { on_panic }
    }
}

impl<S> Layer<S> for CatchPanicLayer {
    type Service = CatchPanic<S>;

    fn layer(&self, inner: S) -> CatchPanic<S> {
        CatchPanic {
            inner,
            on_panic: self.on_panic,
        }
    }
}

#[derive(Clone)]
pub struct CatchPanic<S> {
    inner: S,
    on_panic: fn(Box<dyn Any + Send + 'static>) -> Response<Body>,
}

impl<S> Service<Request<Body>> for CatchPanic<S>
where
    S: Service<Request<Body>, Response = Response<Body>>,
{
    type Response = Response<Body>;
    type Error = S::Error;
    type Future = CatchPanicFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<Body>) -> Self::Future {
        let on_panic = self.on_panic;
        match catch_unwind(AssertUnwindSafe(|| self.inner.call(request))) {
            Ok(inner) => CatchPanicFuture::Running { inner, on_panic },
            Err(panic) => CatchPanicFuture::Panicked {
                response: Some(on_panic(panic)),
                on_panic,
            },
        }
    }
}

pin_project! {
    #[project = CatchPanicProj]
    pub enum CatchPanicFuture<F> {
        Running {
            #[pin]
            inner: F,
            on_panic: fn(Box<dyn Any + Send + 'static>) -> Response<Body>,
        },
        Panicked {
            response: Option<Response<Body>>,
            on_panic: fn(Box<dyn Any + Send + 'static>) -> Response<Body>,
        },
    }
}

impl<F, E> Future for CatchPanicFuture<F>
where
    F: Future<Output = Result<Response<Body>, E>>,
{
    type Output = Result<Response<Body>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project() {
            CatchPanicProj::Running { inner, on_panic } => {
                match catch_unwind(AssertUnwindSafe(|| inner.poll(cx))) {
                    Ok(polled) => polled,
                    Err(panic) => Poll::Ready(Ok(on_panic(panic))),
                }
            }
            CatchPanicProj::Panicked { response, on_panic } => match response.take() {
                Some(r) => Poll::Ready(Ok(r)),
                // Polled again after it answered: a bug of the caller's, answered as a panic.
                None => Poll::Ready(Ok(on_panic(Box::new("polled after completion")))),
            },
        }
    }
}
