//! The middleware around the router, written for the hot path: a response-cache hit costs a
//! few microseconds, and the four `tower-http` layers this replaces (request id, trace span,
//! compression, panics) cost a quarter of that. Two small services do their work:
//!
//! - [`Access`], outermost: the request id (the client's when sane, or one made here), the
//!   request's log context, and the access line once the response is ready. The context is
//!   not a `tracing` span (which costs an allocation, a formatted field string and a registry
//!   entry per request, used or not): it is moved into a thread-local while the request's
//!   future is polled, and the log formatters read it from there only when an event fires.
//! - [`Respond`], innermost: a panic becomes the handler's clean 500, and `tower-http`'s
//!   compression runs for requests that accept gzip or br; the others skip its wrapping (and
//!   still get its `Vary: accept-encoding`).
//!
//! CORS, when configured, stays `tower-http`'s, between [`Access`] and [`Respond`].

pub mod encoding;
pub mod log;

use std::any::Any;
use std::cell::RefCell;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::uri::PathAndQuery;
use axum::http::{HeaderMap, HeaderValue, Method, Request, Response, header};
use pin_project_lite::pin_project;
use tower::util::Oneshot;
use tower::{Layer, Service, ServiceExt};
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
    /// When the handler answered and how long after `started`, if it said (see
    /// [`answered`]).
    answered: Option<(Instant, Duration)>,
    /// Whether `id` is one we made, which needs no escaping in a log line.
    made_id: bool,
    /// Whether the request may accept gzip or br (see [`may_accept_compression`]).
    may_compress: bool,
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
    /// The request whose future this thread is polling, if any. Boxed: it moves in and out
    /// at every poll, and a pointer moves for less than the context itself (one allocation
    /// per request costs less than those copies).
    static CURRENT: RefCell<Option<Box<RequestContext>>> = const { RefCell::new(None) };
}

/// Runs `f` with `context` as the current request, and puts it back afterwards. The one
/// that was current before (none, unless requests nest) is current again after.
fn enter<R>(context: &mut Option<Box<RequestContext>>, f: impl FnOnce() -> R) -> R {
    let outer = CURRENT.with(|c| c.replace(context.take()));
    let result = f();
    *context = CURRENT.with(|c| c.replace(outer));
    result
}

/// Calls `f` with the request being handled on this thread, if any.
pub fn with_current<R>(f: impl FnOnce(Option<&RequestContext>) -> R) -> R {
    CURRENT.with(|c| match c.try_borrow() {
        Ok(current) => f(current.as_deref()),
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

/// Whether the request being handled may accept a compressed answer (true outside of a
/// request): the handler then chooses a coding ([`encoding::preferred`]), and otherwise
/// need not read the headers again.
pub fn may_compress() -> bool {
    with_current(|r| r.is_none_or(|r| r.may_compress))
}

/// One pass over a request's headers for what the middleware needs of them: the client's
/// request id (when it sent exactly one, and a sane one) and whether the request may accept
/// compression. Two lookups would hash two names, one of them byte by byte.
fn scan(headers: &HeaderMap) -> (Option<&HeaderValue>, bool) {
    let (mut id, mut ids, mut compress) = (None, 0, false);
    for (name, value) in headers {
        if *name == header::ACCEPT_ENCODING {
            compress |= names_compression(value);
        } else if *name == X_REQUEST_ID {
            id = Some(value);
            ids += 1;
        }
    }
    (id.filter(|v| ids == 1 && request_id::is_sane(v)), compress)
}

/// When the request being handled reached the server (now, outside of a request).
pub fn started() -> Instant {
    with_current(|r| r.map(|r| r.started)).unwrap_or_else(Instant::now)
}

/// How long since `started` the request being handled was answered, now. Its access line
/// then gives the same latency as the handler measured, and the clock is read once for both
/// (each read is a measurable part of a cache hit).
pub fn answered(started: Instant) -> Duration {
    let now = Instant::now();
    let latency = now.saturating_duration_since(started);
    CURRENT.with(|c| {
        if let Ok(mut current) = c.try_borrow_mut()
            && let Some(request) = current.as_mut()
            && request.started == started
        {
            request.answered = Some((now, latency));
        }
    });
    latency
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
        let (client_id, may_compress) = scan(request.headers());
        let (id, made_id) = match client_id {
            Some(id) => (id.clone(), false),
            None => (self.ids.make(), true),
        };
        let mut context = Some(Box::new(RequestContext {
            method: request.method().clone(),
            path: request.uri().path_and_query().cloned(),
            id,
            operation: None,
            started,
            answered: None,
            made_id,
            may_compress,
        }));
        let inner = enter(&mut context, || self.inner.call(request));
        AccessFuture { inner, context }
    }
}

pin_project! {
    pub struct AccessFuture<F> {
        #[pin]
        inner: F,
        context: Option<Box<RequestContext>>,
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
        let mut polled = enter(this.context, || inner.poll(cx));
        // The response is changed where it lies: moving it costs more than the change.
        if let Poll::Ready(Ok(response)) = &mut polled
            && let Some(context) = this.context.take()
        {
            let (now, latency) = context.answered.unwrap_or_else(|| {
                let now = Instant::now();
                (now, now.saturating_duration_since(context.started))
            });
            log::access(&context, response.status(), latency, now);
            response.headers_mut().insert(X_REQUEST_ID, context.id);
        }
        polled
    }
}

/// What a panic becomes.
pub type OnPanic = fn(Box<dyn Any + Send + 'static>) -> Response<Body>;

/// Answers from the inner service, compressed above a size for requests that ask for it, and
/// a panic turned into `on_panic`'s response; see the module. One service rather than a
/// compression layer around a panic layer, because a request that asks for no compression
/// (the hot path's) then goes through one layer, not two: each layer moves the request and
/// the future once more.
#[derive(Clone)]
pub struct RespondLayer<P> {
    compression: CompressionLayer<P>,
    predicate: P,
    on_panic: OnPanic,
}

impl<P: Predicate> RespondLayer<P> {
    /// `predicate` decides which responses are compressed; `compression` must have been given
    /// the same one.
    pub fn new(compression: CompressionLayer<P>, predicate: P, on_panic: OnPanic) -> Self {
        RespondLayer {
            compression,
            predicate,
            on_panic,
        }
    }
}

impl<S: Clone, P: Predicate> Layer<S> for RespondLayer<P> {
    type Service = Respond<S, P>;

    fn layer(&self, inner: S) -> Respond<S, P> {
        Respond {
            inner,
            compression: self.compression.clone(),
            predicate: self.predicate.clone(),
            on_panic: self.on_panic,
        }
    }
}

#[derive(Clone)]
pub struct Respond<S, P> {
    inner: S,
    /// For requests that may accept gzip or br: `tower-http`'s compression, put around a
    /// panic catcher around `inner` for each such request. Only the layer is kept, not the
    /// service it makes, because hyper clones the middleware for every request, and a second
    /// copy of `inner` would be one more reference count up and down on each.
    compression: CompressionLayer<P>,
    predicate: P,
    on_panic: OnPanic,
}

/// The future of a request that may be compressed: boxed, so that it does not make the
/// future of every other request (an enum as large as its largest case) larger.
type Compressing<S, P> = Pin<Box<Oneshot<Compression<CatchPanic<S>, P>, Request<Body>>>>;

/// Whether `Accept-Encoding` may name gzip or br. A loose test (a substring) that only ever
/// errs towards asking `tower-http`, which reads the header properly. [`Access`] has asked
/// already for the request being handled.
fn may_accept_compression(request: &Request<Body>) -> bool {
    with_current(|r| r.map(|r| r.may_compress)).unwrap_or_else(|| {
        request
            .headers()
            .get_all(header::ACCEPT_ENCODING)
            .iter()
            .any(names_compression)
    })
}

/// Whether one `Accept-Encoding` value may name gzip or br (see [`may_accept_compression`]).
fn names_compression(value: &HeaderValue) -> bool {
    let v = value.as_bytes();
    v.windows(2).any(|w| w.eq_ignore_ascii_case(b"br"))
        || v.windows(4).any(|w| w.eq_ignore_ascii_case(b"gzip"))
}

impl<S, P> Service<Request<Body>> for Respond<S, P>
where
    S: Service<Request<Body>, Response = Response<Body>> + Clone,
    P: Predicate,
{
    type Response = Response<Body>;
    type Error = S::Error;
    type Future = RespondFuture<S, P>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<Body>) -> Self::Future {
        let on_panic = self.on_panic;
        if may_accept_compression(&request) {
            let service = self.compression.layer(CatchPanic {
                inner: self.inner.clone(),
                on_panic,
            });
            return RespondFuture::Compressed {
                inner: Box::pin(service.oneshot(request)),
            };
        }
        match catch_unwind(AssertUnwindSafe(|| self.inner.call(request))) {
            Ok(inner) => RespondFuture::Plain {
                inner,
                predicate: self.predicate.clone(),
                on_panic,
            },
            Err(panic) => RespondFuture::Panicked {
                response: Some(on_panic(panic)),
                on_panic,
            },
        }
    }
}

pin_project! {
    #[project = RespondProj]
    pub enum RespondFuture<S, P>
    where
        S: Service<Request<Body>, Response = Response<Body>>,
        P: Predicate,
    {
        Compressed {
            inner: Compressing<S, P>,
        },
        Plain {
            #[pin]
            inner: S::Future,
            predicate: P,
            on_panic: OnPanic,
        },
        Panicked {
            response: Option<Response<Body>>,
            on_panic: OnPanic,
        },
    }
}

impl<S, P> Future for RespondFuture<S, P>
where
    S: Service<Request<Body>, Response = Response<Body>> + Clone,
    P: Predicate,
{
    type Output = Result<Response<Body>, S::Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project() {
            RespondProj::Compressed { inner } => {
                inner.as_mut().poll(cx).map_ok(|r| r.map(Body::new))
            }
            RespondProj::Plain {
                inner,
                predicate,
                on_panic,
            } => {
                let mut polled = match catch_unwind(AssertUnwindSafe(|| inner.poll(cx))) {
                    Ok(polled) => polled,
                    Err(panic) => Poll::Ready(Ok(on_panic(panic))),
                };
                if let Poll::Ready(Ok(r)) = &mut polled {
                    mark_varies(r, predicate);
                }
                polled
            }
            RespondProj::Panicked { response, on_panic } => {
                Poll::Ready(Ok(response.take().unwrap_or_else(|| {
                    // Polled again after it answered: the caller's bug, answered as a panic.
                    on_panic(Box::new("polled after completion"))
                })))
            }
        }
    }
}

/// Adds `Vary: accept-encoding` to a response `tower-http` would have compressed had the
/// client asked, as it does itself, so that caches keep the two apart. One pass over the
/// headers rather than three lookups.
fn mark_varies<P: Predicate>(r: &mut Response<Body>, predicate: &P) {
    if !predicate.should_compress(r) {
        return;
    }
    let mut varies = false;
    for (name, value) in r.headers() {
        if name == header::CONTENT_ENCODING || name == header::CONTENT_RANGE {
            return;
        }
        varies |=
            name == header::VARY && contains_ignore_case(value.as_bytes(), b"accept-encoding");
    }
    if !varies {
        r.headers_mut()
            .append(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
}

fn contains_ignore_case(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle))
}

/// A panic in the service becomes `on_panic`'s response: the panic catcher inside
/// compression, for requests that ask for it ([`Respond`] catches the others' itself).
#[derive(Clone)]
pub struct CatchPanic<S> {
    inner: S,
    on_panic: OnPanic,
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
            on_panic: OnPanic,
        },
        Panicked {
            response: Option<Response<Body>>,
            on_panic: OnPanic,
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
            CatchPanicProj::Panicked { response, on_panic } => {
                Poll::Ready(Ok(response.take().unwrap_or_else(|| {
                    // Polled again after it answered: the caller's bug, answered as a panic.
                    on_panic(Box::new("polled after completion"))
                })))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::convert::Infallible;

    use tower::ServiceExt;
    use tower_http::compression::predicate::SizeAbove;

    use super::*;

    #[test]
    fn one_pass_finds_one_sane_client_id_and_compression() {
        let mut headers = HeaderMap::new();
        assert_eq!(scan(&headers), (None, false));
        headers.append(X_REQUEST_ID, HeaderValue::from_static("abc"));
        assert_eq!(
            scan(&headers),
            (Some(&HeaderValue::from_static("abc")), false)
        );
        headers.append(X_REQUEST_ID, HeaderValue::from_static("def"));
        assert_eq!(scan(&headers).0, None, "two ids are ambiguous");
        headers.insert(X_REQUEST_ID, HeaderValue::from_static("a b"));
        assert_eq!(scan(&headers).0, None, "an id with a space is not kept");
        headers.remove(X_REQUEST_ID);
        for (value, compress) in [("identity", false), ("deflate", false), ("GZIP", true)] {
            headers.insert(header::ACCEPT_ENCODING, HeaderValue::from_static(value));
            assert_eq!(scan(&headers), (None, compress), "{value}");
        }
        headers.append(header::ACCEPT_ENCODING, HeaderValue::from_static("br"));
        headers.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_static("identity"),
        );
        headers.append(header::ACCEPT_ENCODING, HeaderValue::from_static("br;q=1"));
        assert_eq!(
            scan(&headers),
            (None, true),
            "a second Accept-Encoding counts"
        );
    }

    fn on_panic(_: Box<dyn Any + Send + 'static>) -> Response<Body> {
        let mut r = Response::new(Body::from("panicked"));
        *r.status_mut() = axum::http::StatusCode::INTERNAL_SERVER_ERROR;
        r
    }

    /// What `Respond` answers for a body of `size` bytes, or for a panic when the service is
    /// called or polled (`panic` says which), to a request with `encoding` as its
    /// Accept-Encoding.
    async fn answer(
        encoding: Option<&'static str>,
        size: usize,
        panic: Option<&str>,
    ) -> Response<Body> {
        let panic = panic.map(str::to_owned);
        let inner = tower::service_fn(move |_: Request<Body>| {
            if panic.as_deref() == Some("call") {
                panic!("in call");
            }
            let panic = panic.clone();
            async move {
                if panic.as_deref() == Some("poll") {
                    panic!("in poll");
                }
                Ok::<_, Infallible>(Response::new(Body::from(vec![b'x'; size])))
            }
        });
        let above = SizeAbove::new(1024);
        let compression = CompressionLayer::new().gzip(true).compress_when(above);
        let mut request = Request::new(Body::empty());
        if let Some(e) = encoding {
            request
                .headers_mut()
                .insert(header::ACCEPT_ENCODING, HeaderValue::from_static(e));
        }
        RespondLayer::new(compression, above, on_panic)
            .layer(inner)
            .oneshot(request)
            .await
            .unwrap()
    }

    fn header(r: &Response<Body>, name: header::HeaderName) -> Vec<&str> {
        r.headers()
            .get_all(name)
            .iter()
            .map(|v| v.to_str().unwrap())
            .collect()
    }

    #[tokio::test]
    async fn compresses_only_when_asked_and_always_says_it_varies() {
        for encoding in [None, Some("identity"), Some("deflate")] {
            let plain = answer(encoding, 2000, None).await;
            assert_eq!(
                header(&plain, header::VARY),
                ["accept-encoding"],
                "{encoding:?}"
            );
            assert!(header(&plain, header::CONTENT_ENCODING).is_empty());
        }
        let gzip = answer(Some("gzip"), 2000, None).await;
        assert_eq!(header(&gzip, header::CONTENT_ENCODING), ["gzip"]);
        assert_eq!(header(&gzip, header::VARY), ["accept-encoding"]);
        // tower-http reads `gzip;q=0` as "not gzip"; so does the loose test, by asking it.
        let refused = answer(Some("gzip;q=0"), 2000, None).await;
        assert!(header(&refused, header::CONTENT_ENCODING).is_empty());
        let small = answer(None, 100, None).await;
        assert!(header(&small, header::VARY).is_empty());
    }

    #[tokio::test]
    async fn panics_become_the_answer_either_way() {
        for encoding in [None, Some("gzip, br")] {
            for when in ["call", "poll"] {
                let r = answer(encoding, 2000, Some(when)).await;
                assert_eq!(r.status(), 500, "{encoding:?} {when}");
                let body = axum::body::to_bytes(r.into_body(), 100).await.unwrap();
                assert_eq!(&body[..], b"panicked", "{encoding:?} {when}");
            }
        }
    }
}
