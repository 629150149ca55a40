//! The middleware around the router, written for the hot path: a response-cache hit costs a
//! few microseconds, and the four `tower-http` layers this replaces (request id, trace span,
//! compression, panics) cost a quarter of that. Two small services do their work:
//!
//! - [`Access`], outermost: the request id (the client's when sane, or one made here), the
//!   request's context (`telemetry::context`), and the access line once the response is
//!   ready. The context is created here and handed to the handlers in the request's
//!   extensions, in an [`AccessTicket`] with the coding the answer is to be in: the handler
//!   reads when the request started from it and records the operation's name and when it
//!   answered, which the access line then reads back. It is not a `tracing` span (which
//!   costs an allocation, a formatted field string and a registry entry per request, used or
//!   not): an event inside a request is logged in `RequestContext::span`, made only then.
//! - [`Respond`], innermost: a panic becomes the handler's clean 500 (logged in the request's
//!   span), and `tower-http`'s compression is put around a finished response that the client
//!   asked to have compressed and that is not already (the response cache keeps compressed
//!   copies); the others still get its `Vary: accept-encoding` when they could have been
//!   compressed. The coding is chosen once per request, in [`Access`] (see [`encoding`]).
//!
//! CORS, when configured, stays `tower-http`'s, between [`Access`] and [`Respond`].
//!
//! Imports: `telemetry` (the request's context, ids, the access line), [`encoding`], and
//! `serve`'s [`Peer`] (the connection a request came on, which [`Access`] is told of).

pub mod encoding;

use std::any::Any;
use std::convert::Infallible;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use axum::body::Body;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Request, Response, header};
use pin_project_lite::pin_project;
use tower::{Layer, Service};
use tower_http::compression::CompressionLayer;
use tower_http::compression::predicate::Predicate;

use self::encoding::Encoding;
use super::serve::{Connected, Peer};
use crate::telemetry::access_line;
use crate::telemetry::context::RequestContext;
use crate::telemetry::request_id::{self, MakeId, X_REQUEST_ID};

/// What [`Access`] hands the handlers with each request: the request's context, to read and
/// record into, and the coding its answer is to be in (chosen once, for the compression and
/// the response cache alike).
#[derive(Clone)]
pub struct AccessTicket {
    pub context: Arc<RequestContext>,
    pub encoding: Encoding,
    /// The connection it came on, when it came through the server (not a test's `oneshot`).
    pub peer: Option<Peer>,
}

impl AccessTicket {
    /// Takes the ticket out of a request that reached its handler through the router (see
    /// [`Routed`]), or makes a fresh one, started now, with the coding its headers ask for,
    /// for a request that did not come through [`Access`] (as when a test drives the routes
    /// alone).
    pub fn take(parts: &mut Parts) -> AccessTicket {
        parts
            .extensions
            .remove::<AccessTicket>()
            .unwrap_or_else(|| AccessTicket {
                context: Arc::new(RequestContext::new(
                    parts.method.clone(),
                    parts.uri.path_and_query().cloned(),
                    HeaderValue::from_static("-"),
                    true,
                    Instant::now(),
                )),
                encoding: encoding::preferred(&parts.headers),
                peer: None,
            })
    }
}

/// A request's body with its ticket: what the services inside [`Access`] receive, so that
/// the ticket travels with the request, in its type, to the handler. Not in the request's
/// extensions: their map is allocated for its first entry, and on the hot path (which the
/// router does not see, see `http::PostFirst`) that map and its table cost more than the
/// rest of the request's context.
pub struct Ticketed {
    pub body: Body,
    pub ticket: AccessTicket,
}

/// A request as the services inside [`Access`] receive it.
pub type TicketedRequest = Request<Ticketed>;

/// A service of plain requests (the router) inside [`Access`]: each request's ticket is moved
/// into its extensions, where its handler takes it (see [`AccessTicket::take`]).
#[derive(Clone)]
pub struct Routed<S>(pub S);

/// The request as the router takes it, its ticket moved into its extensions.
pub fn into_routed(request: TicketedRequest) -> Request<Body> {
    let (mut parts, Ticketed { body, ticket }) = request.into_parts();
    parts.extensions.insert(ticket);
    Request::from_parts(parts, body)
}

impl<S: Service<Request<Body>>> Service<TicketedRequest> for Routed<S> {
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, request: TicketedRequest) -> S::Future {
        self.0.call(into_routed(request))
    }
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

/// The request id, the request's context and the access line; see the module.
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
            peer: None,
        }
    }
}

#[derive(Clone)]
pub struct Access<S> {
    inner: S,
    ids: MakeId,
    /// The connection this clone serves (see `serve::Connected`).
    peer: Option<Peer>,
}

impl<S> Connected for Access<S> {
    fn connected(&mut self, peer: Peer) {
        self.peer = Some(peer);
    }
}

impl<S> Service<Request<Body>> for Access<S>
where
    S: Service<TicketedRequest, Response = Response<Body>>,
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
        let context = Arc::new(RequestContext::new(
            request.method().clone(),
            request.uri().path_and_query().cloned(),
            id,
            made_id,
            started,
        ));
        let ticket = AccessTicket {
            context: context.clone(),
            encoding,
            peer: self.peer.clone(),
        };
        AccessFuture {
            inner: self
                .inner
                .call(request.map(|body| Ticketed { body, ticket })),
            context: Some(context),
        }
    }
}

pin_project! {
    pub struct AccessFuture<F> {
        #[pin]
        inner: F,
        context: Option<Arc<RequestContext>>,
    }
}

impl<F, E> Future for AccessFuture<F>
where
    F: Future<Output = Result<Response<Body>, E>>,
{
    type Output = Result<Response<Body>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let mut polled = this.inner.poll(cx);
        // The response is changed where it lies: moving it costs more than the change.
        if let Poll::Ready(Ok(response)) = &mut polled
            && let Some(context) = this.context.take()
        {
            let (now, latency) = context.answered();
            access_line::access(&context, response.status(), latency, now);
            // The handlers are done with the context by now, and the id is moved rather than
            // copied (a copy of one we made costs an allocation).
            let id = Arc::try_unwrap(context)
                .map_or_else(|shared| shared.id_header().clone(), RequestContext::into_id);
            response.headers_mut().insert(X_REQUEST_ID, id);
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

impl<S, P> Service<TicketedRequest> for Respond<S, P>
where
    S: Service<TicketedRequest, Response = Response<Body>>,
    P: Predicate,
{
    type Response = Response<Body>;
    type Error = S::Error;
    type Future = RespondFuture<S::Future, P>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: TicketedRequest) -> Self::Future {
        let ticket = &request.body().ticket;
        let (encoding, context) = (ticket.encoding, Some(ticket.context.clone()));
        let on_panic = self.on_panic;
        match catch_unwind(AssertUnwindSafe(|| self.inner.call(request))) {
            Ok(inner) => RespondFuture::Running {
                inner,
                encoding,
                compression: self.compression.clone(),
                predicate: self.predicate.clone(),
                on_panic,
                context,
            },
            Err(panic) => RespondFuture::Panicked {
                response: Some(answer_panic(on_panic, panic, context.as_deref())),
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
            // Only for a panic's log line; let go of once answered.
            context: Option<Arc<RequestContext>>,
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
                context,
            } => {
                let polled = match catch_unwind(AssertUnwindSafe(|| inner.poll(cx))) {
                    Ok(Poll::Pending) => return Poll::Pending,
                    Ok(polled) => polled,
                    Err(panic) => {
                        Poll::Ready(Ok(answer_panic(*on_panic, panic, context.as_deref())))
                    }
                };
                // The middleware moves the request id out of the context once it is alone.
                *context = None;
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

/// `on_panic`'s answer to `panic`, logged in the request's span when there is one.
fn answer_panic(
    on_panic: OnPanic,
    panic: Box<dyn Any + Send + 'static>,
    context: Option<&RequestContext>,
) -> Response<Body> {
    match context {
        Some(context) => context.span().in_scope(|| on_panic(panic)),
        None => on_panic(panic),
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
        let inner = tower::service_fn(move |_: TicketedRequest| {
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
        // The ticket as `Access` would give it, with the coding the headers ask for.
        let (mut parts, body) = request.into_parts();
        let ticket = AccessTicket::take(&mut parts);
        let request = Request::from_parts(parts, Ticketed { body, ticket });
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
