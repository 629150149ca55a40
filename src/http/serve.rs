//! The accept loop: each connection is served by hyper's HTTP/1 connection directly, and a
//! stop lets requests in flight finish. It does what `axum::serve` did, less two
//! costs of every request that it pays for generality: its connections detect HTTP/2 (which
//! this server does not speak) and support upgrades (which it never makes), and each one
//! polls a shutdown future at every wake-up. Here a connection checks a flag, and a stop
//! wakes the connections that are waiting.

use std::cell::RefCell;
use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::pin::{Pin, pin};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use axum::body::Body;
use axum::extract::Request;
use axum::response::Response;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use pin_project_lite::pin_project;
use rustc_hash::FxBuildHasher;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

/// Serves `service` on every connection `listener` accepts until `stop` completes, then
/// accepts no more, lets each connection finish the request it is answering (an idle one
/// closes at once), and returns once all are closed.
///
/// `service` must always be ready: it is called without `poll_ready`, as every service of
/// this crate's stack allows (none of them holds back requests).
pub async fn serve<S>(
    listener: TcpListener,
    service: S,
    stop: impl Future<Output = ()>,
) -> io::Result<()>
where
    S: tower::Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    let shutdown = Arc::new(Shutdown::default());
    // Every connection's task holds a sender; the receiver hears `None` once all are gone.
    let (open, mut all_closed) = mpsc::channel::<Infallible>(1);
    let mut stop = pin!(stop);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    accept_failed(e).await;
                    continue;
                }
            },
            () = &mut stop => break,
        };
        let connection = Connection::new(stream, service.clone(), shutdown.clone());
        let open = open.clone();
        tokio::spawn(async move {
            connection.await;
            drop(open);
        });
    }
    drop(listener);
    shutdown.begin();
    drop(open);
    let _ = all_closed.recv().await;
    Ok(())
}

/// A failed accept. One that only concerns the connection being accepted (the client gave
/// up) is skipped; any other (out of file descriptors, say) is logged and the loop waits a
/// second, rather than spinning on an error that will come straight back.
async fn accept_failed(e: io::Error) {
    use io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(
        e.kind(),
        ConnectionAborted | ConnectionRefused | ConnectionReset
    ) {
        return;
    }
    tracing::error!("cannot accept a connection: {e}");
    tokio::time::sleep(Duration::from_secs(1)).await;
}

/// The connections to tell when the server stops: the waker of each one's task.
#[derive(Default)]
struct Shutdown {
    stopping: AtomicBool,
    wakers: Mutex<HashMap<u64, Waker, FxBuildHasher>>,
    next: AtomicU64,
}

impl Shutdown {
    fn wakers(&self) -> MutexGuard<'_, HashMap<u64, Waker, FxBuildHasher>> {
        // A waker map left by a panic is still a map of wakers.
        self.wakers.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Sets the waker of connection `id`, and says whether the server is stopping. Taken
    /// in this order (under the lock that `begin` takes after setting the flag), a
    /// connection is either woken by `begin` or sees the flag here.
    fn register(&self, id: u64, waker: &Waker) -> bool {
        self.wakers().insert(id, waker.clone());
        self.stopping()
    }

    fn unregister(&self, id: u64) {
        self.wakers().remove(&id);
    }

    fn stopping(&self) -> bool {
        self.stopping.load(Ordering::SeqCst)
    }

    /// Tells every connection that the server is stopping.
    fn begin(&self) {
        self.stopping.store(true, Ordering::SeqCst);
        let wakers = std::mem::take(&mut *self.wakers());
        wakers.into_values().for_each(Waker::wake);
    }
}

/// A connection's place in [`Shutdown`], given up when the connection is dropped.
struct Registration {
    shutdown: Arc<Shutdown>,
    id: u64,
    /// The waker registered, if any: a task's waker does not change from one poll to the
    /// next, so this is set once.
    waker: Option<Waker>,
    /// Whether the connection has been told to finish.
    draining: bool,
}

impl Drop for Registration {
    fn drop(&mut self) {
        if self.waker.is_some() {
            self.shutdown.unregister(self.id);
        }
    }
}

pin_project! {
    /// One connection: hyper's, and its place in [`Shutdown`].
    struct Connection<S>
    where
        S: tower::Service<Request, Response = Response, Error = Infallible>,
    {
        #[pin]
        http: http1::Connection<TokioIo<TcpStream>, Handler<S>>,
        registration: Registration,
    }
}

impl<S> Connection<S>
where
    S: tower::Service<Request, Response = Response, Error = Infallible>,
{
    fn new(stream: TcpStream, service: S, shutdown: Arc<Shutdown>) -> Connection<S> {
        let id = shutdown.next.fetch_add(1, Ordering::Relaxed);
        Connection {
            http: http1::Builder::new()
                .serve_connection(TokioIo::new(stream), Handler(RefCell::new(service))),
            registration: Registration {
                shutdown,
                id,
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
        if !r.draining {
            let mut stopping = r.shutdown.stopping();
            if !stopping && !r.waker.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                r.waker = Some(cx.waker().clone());
                stopping = r.shutdown.register(r.id, cx.waker());
            }
            if stopping {
                r.draining = true;
                // Closes an idle connection now, and a busy one once its answer is written.
                this.http.as_mut().graceful_shutdown();
            }
        }
        // A connection that fails (the client went away mid-request, or sent something
        // that is not HTTP) has nothing more to say to anyone.
        this.http.poll(cx).map(|_| ())
    }
}

/// The service as hyper calls it. hyper serves one request of a connection at a time and
/// calls with `&self`; the cell lets the request go to the connection's own service, where
/// a clone per request (as tower's adapter makes) would cost reference counts on every hit.
struct Handler<S>(RefCell<S>);

impl<S> hyper::service::Service<hyper::Request<Incoming>> for Handler<S>
where
    S: tower::Service<Request, Response = Response, Error = Infallible>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = S::Future;

    fn call(&self, request: hyper::Request<Incoming>) -> S::Future {
        self.0.borrow_mut().call(request.map(Body::new))
    }
}
