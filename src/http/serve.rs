//! The accept loop: each connection is served by hyper's HTTP/1 connection directly, kept to
//! its timeouts, and a stop lets requests in flight finish. It does what `axum::serve` did,
//! less two costs of every request that it pays for generality: its connections detect
//! HTTP/2 (which this server does not speak), and each one polls a shutdown future at every
//! wake-up. Here a connection checks two flags, and a stop (or its reaping) wakes it.
//! Connections serve upgrades (a WebSocket for subscriptions): once upgraded, the socket
//! belongs to the WebSocket's task and leaves the registry, so no timeout or cap closes it.
//! Each connection's clone of the service is told its [`Peer`] once, when it is accepted
//! ([`Connected`]): the client's address (writes are limited per address) and the hook that
//! marks a long-lived stream. Not a request extension: inserting one allocates the request's
//! extension map, which no request on the hot path otherwise has (4% of a cache hit).
//!
//! What keeps slow and idle clients from taking every descriptor (`config::Connections`):
//! - [`registry`]: each connection's phase (headers, body, answering, idle, streaming) and
//!   since when, the one task that closes connections past their phase's timeout, and the
//!   cap, at which the connection that has waited longest while idle or sending its headers
//!   is closed to admit the newcomer;
//! - [`socket`]: the socket, which tells the registry when bytes move;
//! - [`body`]: the request body, which says when it is whole, and drains what a refusal
//!   left unread so that the client reads the refusal;
//! - [`descriptors`]: the open-file limit, raised at start, that sets the cap.
//!
//! May import: `config`, and of `http` nothing: the service comes in as a parameter.

mod body;
mod descriptors;
mod registry;
mod socket;

use std::cell::RefCell;
use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::Request;
use axum::response::Response;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use pin_project_lite::pin_project;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::config::Connections;
use body::{Drain, RequestBody};
use registry::{Phase, Registry, Slot};
use socket::Socket;

/// Serves `service` on every connection `listener` accepts until `stop` completes, then
/// accepts no more, lets each connection finish the request it is answering (an idle one
/// closes at once), and returns once all are closed. Throughout, connections are held to
/// the timeouts and the cap of `settings`.
///
/// `service` must always be ready: it is called without `poll_ready`, as every service of
/// this crate's stack allows (none of them holds back requests).
pub async fn serve<S>(
    listener: TcpListener,
    service: S,
    settings: &Connections,
    stop: impl Future<Output = ()>,
) -> io::Result<()>
where
    S: tower::Service<Request, Response = Response, Error = Infallible>
        + Connected
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    let cap = descriptors::connection_cap(settings.max_connections);
    let registry = Arc::new(Registry::new(settings, cap));
    let _reaper = AbortOnDrop(tokio::spawn(registry.clone().reap()));
    let drain = Drain::new(settings);
    // Every connection's task holds a sender; the receiver hears `None` once all are gone.
    let (open, mut all_closed) = mpsc::channel::<Infallible>(1);
    let mut turned_away = Throttle::default();
    let mut failed = Throttle::default();
    let mut stop = pin!(stop);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    accept_failed(e, &registry, &mut failed).await;
                    continue;
                }
            },
            () = &mut stop => break,
        };
        let Some(slot) = registry.admit() else {
            if turned_away.ready() {
                tracing::warn!(
                    "at the connection cap ({cap}) with every connection busy: turning newcomers away"
                );
            }
            continue;
        };
        let connection =
            Connection::new(stream, peer, service.clone(), registry.clone(), slot, drain);
        let open = open.clone();
        tokio::spawn(async move {
            connection.await;
            drop(open);
        });
    }
    drop(listener);
    registry.begin_stop();
    drop(open);
    let _ = all_closed.recv().await;
    Ok(())
}

/// A failed accept. One that only concerns the connection being accepted (the client gave
/// up) is skipped. Out of descriptors, the connection that has waited longest while idle or
/// sending its headers is closed, and the loop waits a moment for it to go; any other error
/// (or nothing to close) waits a second, rather than spinning on an error that will come
/// straight back. Either is logged at most once a second.
async fn accept_failed(e: io::Error, registry: &Registry, log: &mut Throttle) {
    use io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(
        e.kind(),
        ConnectionAborted | ConnectionRefused | ConnectionReset
    ) {
        return;
    }
    if log.ready() {
        tracing::error!("cannot accept a connection: {e}");
    }
    let out_of_descriptors = matches!(e.raw_os_error(), Some(EMFILE | ENFILE));
    let wait = if out_of_descriptors && registry.close_oldest_idle() {
        Duration::from_millis(10)
    } else {
        Duration::from_secs(1)
    };
    tokio::time::sleep(wait).await;
}

/// `errno` for "too many open files", in the process and in the system (the same on every
/// Unix this runs on; `io::ErrorKind` has no name for them).
const EMFILE: i32 = 24;
const ENFILE: i32 = 23;

/// Says yes at most once a second: for a log line about something that can happen as often
/// as connections arrive.
#[derive(Default)]
struct Throttle {
    last: Option<Instant>,
}

impl Throttle {
    fn ready(&mut self) -> bool {
        let now = Instant::now();
        if self
            .last
            .is_some_and(|last| now.duration_since(last) < Duration::from_secs(1))
        {
            return false;
        }
        self.last = Some(now);
        true
    }
}

/// The reaper runs as long as the accept loop that spawned it.
struct AbortOnDrop(JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// A connection's place in the [`Registry`], given up when the connection is dropped.
struct Registration {
    registry: Arc<Registry>,
    slot: Arc<Slot>,
    /// The waker set in the slot, if any: a task's waker does not change from one poll to
    /// the next, so this is set once.
    waker: Option<Waker>,
    /// Whether the connection has been told to finish.
    draining: bool,
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.registry.leave(&self.slot);
    }
}

pin_project! {
    /// One connection: hyper's, and its place in the [`Registry`].
    struct Connection<S>
    where
        S: tower::Service<Request, Response = Response, Error = Infallible>,
    {
        #[pin]
        http: http1::UpgradeableConnection<TokioIo<Socket>, Handler<S>>,
        registration: Registration,
    }
}

impl<S> Connection<S>
where
    S: tower::Service<Request, Response = Response, Error = Infallible> + Connected,
{
    fn new(
        stream: TcpStream,
        peer: std::net::SocketAddr,
        mut service: S,
        registry: Arc<Registry>,
        slot: Arc<Slot>,
        drain: Drain,
    ) -> Connection<S> {
        service.connected(Peer {
            addr: peer.ip(),
            slot: slot.clone(),
        });
        let handler = Handler {
            service: RefCell::new(service),
            slot: slot.clone(),
            drain,
        };
        Connection {
            http: http1::Builder::new()
                .serve_connection(TokioIo::new(Socket::new(stream, slot.clone())), handler)
                .with_upgrades(),
            registration: Registration {
                registry,
                slot,
                waker: None,
                draining: false,
            },
        }
    }
}

impl<S> Future for Connection<S>
where
    S: tower::Service<Request, Response = Response, Error = Infallible>,
{
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut this = self.project();
        let r = this.registration;
        // Set before the flags are read: the registry sets a flag, then wakes.
        if !r.waker.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
            r.slot.set_waker(cx.waker());
            r.waker = Some(cx.waker().clone());
        }
        // Past its timeout, or the oldest idle one at the cap: dropping hyper's connection
        // closes the socket.
        if r.slot.closed() {
            return Poll::Ready(());
        }
        if !r.draining && r.registry.stopping() {
            r.draining = true;
            // Closes an idle connection now, and a busy one once its answer is written.
            this.http.as_mut().graceful_shutdown();
        }
        // A connection that fails (the client went away mid-request, or sent something
        // that is not HTTP) has nothing more to say to anyone.
        this.http.poll(cx).map(|_| ())
    }
}

/// The service as hyper calls it. hyper serves one request of a connection at a time and
/// calls with `&self`; the cell lets the request go to the connection's own service, where
/// a clone per request (as tower's adapter makes) would cost reference counts on every hit.
struct Handler<S> {
    service: RefCell<S>,
    slot: Arc<Slot>,
    drain: Drain,
}

/// What a connection's service is told when the connection is accepted, before its first
/// request.
pub trait Connected {
    fn connected(&mut self, peer: Peer);
}

/// What a request knows of its connection: the client's address, and the hook that marks
/// the connection as streaming.
#[derive(Clone)]
pub struct Peer {
    pub addr: std::net::IpAddr,
    slot: Arc<Slot>,
}

impl Peer {
    /// The connection answers with a long-lived stream (SSE): never idle, never reaped.
    pub fn stream(&self) {
        self.slot.stream();
    }
}

impl<S> hyper::service::Service<hyper::Request<Incoming>> for Handler<S>
where
    S: tower::Service<Request, Response = Response, Error = Infallible>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = S::Future;

    fn call(&self, request: hyper::Request<Incoming>) -> S::Future {
        let (parts, incoming) = request.into_parts();
        let body = RequestBody::new(incoming, self.slot.clone(), self.drain);
        self.slot.enter(if hyper::body::Body::is_end_stream(&body) {
            Phase::Answering
        } else {
            Phase::Body
        });
        let request = Request::from_parts(parts, Body::new(body));
        self.service.borrow_mut().call(request)
    }
}
