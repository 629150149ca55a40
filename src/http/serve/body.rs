//! A request's body as the handlers get it: hyper's, telling its connection when it is whole,
//! and draining what a handler left unread.
//!
//! A handler that refuses a request before reading its body (413 for a declared length over
//! the limit, 415, 404, ...) drops the body. hyper then closes the connection as soon as the
//! answer is written, and the client, still writing, gets a reset that takes the answer with
//! it: curl reads the 413, most HTTP libraries report a broken pipe. So a body dropped before
//! its end is read and discarded for a while (2 s, 16 MiB by default: `config::Connections`)
//! before it is let go, and a client that writes everything before it reads gets to read.
//! Every refusal is covered here, at the connection, with no change to the handlers.
//!
//! May import: `config`, [`super::registry`].

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Bytes;
use hyper::body::{Body, Frame, Incoming, SizeHint};

use super::registry::Slot;
use crate::config::Connections;

/// How much of an unread body is discarded after its answer, at most.
#[derive(Clone, Copy, Debug)]
pub struct Drain {
    time: Duration,
    bytes: u64,
}

impl Drain {
    pub fn new(settings: &Connections) -> Drain {
        Drain {
            time: settings.refusal_drain_time,
            bytes: settings.refusal_drain_bytes,
        }
    }
}

/// hyper's body, with its connection's [`Slot`].
pub struct RequestBody {
    /// Always `Some` until dropped: `Drop` moves it to the drain.
    incoming: Option<Incoming>,
    ended: bool,
    slot: Arc<Slot>,
    drain: Drain,
}

impl RequestBody {
    pub fn new(incoming: Incoming, slot: Arc<Slot>, drain: Drain) -> RequestBody {
        RequestBody {
            ended: incoming.is_end_stream(),
            incoming: Some(incoming),
            slot,
            drain,
        }
    }

    fn end(&mut self) {
        if !self.ended {
            self.ended = true;
            self.slot.body_done();
        }
    }
}

impl Body for RequestBody {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        let Some(incoming) = self.incoming.as_mut() else {
            return Poll::Ready(None);
        };
        let polled = Pin::new(incoming).poll_frame(cx);
        let whole = match &polled {
            Poll::Ready(None | Some(Err(_))) => true,
            Poll::Ready(Some(Ok(_))) => self.incoming.as_ref().is_none_or(Incoming::is_end_stream),
            Poll::Pending => false,
        };
        if whole {
            self.end();
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.ended || self.incoming.as_ref().is_none_or(Incoming::is_end_stream)
    }

    fn size_hint(&self) -> SizeHint {
        self.incoming
            .as_ref()
            .map_or_else(|| SizeHint::with_exact(0), Incoming::size_hint)
    }
}

impl Drop for RequestBody {
    fn drop(&mut self) {
        if self.is_end_stream() || self.drain.time.is_zero() || self.drain.bytes == 0 {
            return;
        }
        let Some(incoming) = self.incoming.take() else {
            return;
        };
        // Dropped outside a runtime (only a test could), the body simply goes.
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(discard(incoming, self.drain));
        }
    }
}

/// Reads `body` and throws it away until it ends, breaks, or passes either bound of `drain`;
/// then drops it, and hyper closes the connection unless the body had ended.
async fn discard(mut body: Incoming, drain: Drain) {
    let mut left = drain.bytes;
    let reading = async {
        while let Some(Ok(frame)) =
            std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await
        {
            let n = frame.data_ref().map_or(0, |data| data.len() as u64);
            if n > left {
                break;
            }
            left -= n;
        }
    };
    let _ = tokio::time::timeout(drain.time, reading).await;
}
