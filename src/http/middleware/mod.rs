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
//!   compression is put around a finished response that the client asked to have
//!   compressed and that is not already (the response cache keeps compressed copies); the
//!   others still get its `Vary: accept-encoding` when they could have been compressed. The
//!   coding is chosen once per request, in [`Access`] (see [`encoding`]).
//!
//! CORS, when configured, stays `tower-http`'s, between [`Access`] and [`Respond`].

pub mod encoding;
pub mod log;

use std::any::Any;
use std::cell::RefCell;
use std::convert::Infallible;
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
use tower::{Layer, Service};
use tower_http::compression::CompressionLayer;
use tower_http::compression::predicate::Predicate;

use self::encoding::Encoding;
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
    /// The coding the request asks its answer in (see [`encoding::preferred`]).
    encoding: Encoding,
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

/// The coding the request being handled asks its answer in: chosen once by [`Access`] for
/// the compression and the response cache alike, and read from `headers` only outside of
/// [`Access`].
pub fn accepted_encoding(headers: &HeaderMap) -> Encoding {
    with_current(|r| r.map(|r| r.encoding)).unwrap_or_else(|| encoding::preferred(headers))
}

/// One pass over a request's headers for what the middleware needs of them: the client's
/// request id (when it sent exactly one, and a sane one) and whether the request may accept
/// compression, a loose test (a substring) that only ever errs towards reading its
/// `Accept-Encoding` properly. Two lookups would hash two names, one of them byte by byte.
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

/// Whether one `Accept-Encoding` value may name gzip or br (see [`scan`]).
fn names_compression(value: &HeaderValue) -> bool {
    let v = value.as_bytes();
    v.windows(2).any(|w| w.eq_ignore_ascii_case(b"br"))
        || v.windows(4).any(|w| w.eq_ignore_ascii_case(b"gzip"))
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
        let encoding = if may_compress {
            encoding::preferred(request.headers())
        } else {
            Encoding::Identity
        };
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
            encoding,
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
/// a panic turned into `on_panic`'s response; see the module. Compression is decided once
/// the response is there: a response that is already compressed (the response cache keeps
/// compressed copies) or too small is never wrapped, and nothing is put around `inner`.
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

impl<S, P: Predicate> Layer<S> for RespondLayer<P> {
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
    /// `tower-http`'s compression, put around a finished response that is to be compressed.
    compression: CompressionLayer<P>,
    predicate: P,
    on_panic: OnPanic,
}

impl<S, P> Service<Request<Body>> for Respond<S, P>
where
    S: Service<Request<Body>, Response = Response<Body>>,
    P: Predicate,
{
    type Response = Response<Body>;
    type Error = S::Error;
    type Future = RespondFuture<S::Future, P>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<Body>) -> Self::Future {
        let encoding = accepted_encoding(request.headers());
        let on_panic = self.on_panic;
        match catch_unwind(AssertUnwindSafe(|| self.inner.call(request))) {
            Ok(inner) => RespondFuture::Running {
                inner,
                encoding,
                compression: self.compression.clone(),
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
    pub enum RespondFuture<F, P> {
        Running {
            #[pin]
            inner: F,
            encoding: Encoding,
            compression: CompressionLayer<P>,
            predicate: P,
            on_panic: OnPanic,
        },
        Panicked {
            response: Option<Response<Body>>,
            on_panic: OnPanic,
        },
    }
}

impl<F, E, P> Future for RespondFuture<F, P>
where
    F: Future<Output = Result<Response<Body>, E>>,
    P: Predicate,
{
    type Output = Result<Response<Body>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project() {
            RespondProj::Running {
                inner,
                encoding,
                compression,
                predicate,
                on_panic,
            } => {
                let polled = match catch_unwind(AssertUnwindSafe(|| inner.poll(cx))) {
                    Ok(polled) => polled,
                    Err(panic) => Poll::Ready(Ok(on_panic(panic))),
                };
                polled.map_ok(|mut r| {
                    if !predicate.should_compress(&r) {
                        return r;
                    }
                    let (compressible, varies) = compression_headers(&r);
                    if compressible && *encoding != Encoding::Identity {
                        return compress(r, *encoding, compression, *on_panic);
                    }
                    // As `tower-http` does for what it could have compressed, so that caches
                    // keep the codings apart.
                    if compressible && !varies {
                        r.headers_mut()
                            .append(header::VARY, HeaderValue::from_static("accept-encoding"));
                    }
                    r
                })
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

/// What a response's headers say about compressing it, in one pass: whether it may be
/// compressed (it is neither compressed already nor a range), and whether it already varies
/// by `Accept-Encoding`.
fn compression_headers(r: &Response<Body>) -> (bool, bool) {
    let mut varies = false;
    for (name, value) in r.headers() {
        if name == header::CONTENT_ENCODING || name == header::CONTENT_RANGE {
            return (false, varies);
        }
        varies |=
            name == header::VARY && contains_ignore_case(value.as_bytes(), b"accept-encoding");
    }
    (true, varies)
}

/// A response with nothing left to wait for, as a service: what `tower-http`'s compression
/// is put around once the answer is known.
struct Answered(Option<Response<Body>>);

impl Service<Request<()>> for Answered {
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = std::future::Ready<Result<Response<Body>, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _: Request<()>) -> Self::Future {
        // Compression calls it once.
        std::future::ready(Ok(self.0.take().unwrap_or_default()))
    }
}

/// `r` compressed in `encoding` by `tower-http`'s layer (with its `Vary` and without a
/// length). The layer is asked with `encoding` alone as the request's `Accept-Encoding`:
/// [`encoding::preferred`] has chosen as it would.
fn compress<P: Predicate>(
    r: Response<Body>,
    encoding: Encoding,
    compression: &CompressionLayer<P>,
    on_panic: OnPanic,
) -> Response<Body> {
    let mut request = Request::new(());
    if let Some(coding) = encoding.header_value() {
        request
            .headers_mut()
            .insert(header::ACCEPT_ENCODING, coding);
    }
    let mut service = compression.layer(Answered(Some(r)));
    let mut future = std::pin::pin!(service.call(request));
    // The response is there, and the layer only wraps its body: ready at the first poll.
    match future
        .as_mut()
        .poll(&mut Context::from_waker(std::task::Waker::noop()))
    {
        Poll::Ready(Ok(compressed)) => compressed.map(Body::new),
        Poll::Ready(Err(never)) => match never {},
        Poll::Pending => on_panic(Box::new("compression did not finish at once")),
    }
}

fn contains_ignore_case(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle))
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
