//! Subscriptions on the wire: `graphql-transport-ws` over a WebSocket upgrade of `GET
//! /graphql`, and `graphql-sse` in its distinct-connections mode (`POST /graphql` with
//! `Accept: text/event-stream`). Transport only: the engine starts each subscription
//! (`Engine::subscribe`: the guard, the limits, subscriptions only) and these carry its
//! events. Streams take no request permit and have no request timeout; the SSE answer is
//! never compressed (see `http::stack`) and marks its connection as streaming, and an
//! upgraded WebSocket leaves the connection registry, so neither is reaped as idle.

use std::collections::HashMap;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::FromRequestParts;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::stream::{AbortHandle, Abortable, SelectAll};
use futures_util::{Stream, StreamExt};
use serde_json::{Value, json};

use super::serve::Peer;
use super::state::AppState;
use crate::engine::{Event, Refusal};
use crate::error_code::HttpStatus;

/// The WebSocket subprotocol we speak.
const PROTOCOL: &str = "graphql-transport-ws";

/// How long one message may take to go out before a stalled client is dropped.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);

/// Whether a `POST` asks for an event stream.
pub fn wants_events(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',').any(|r| {
                r.split(';')
                    .next()
                    .is_some_and(|e| e.trim().eq_ignore_ascii_case("text/event-stream"))
            })
        })
}

/// A refusal before any event: its status and `{"errors": [...]}` as JSON.
fn refused(refusal: &Refusal) -> Response {
    let status = match refusal.code.http_status() {
        HttpStatus::Fixed(s) => StatusCode::from_u16(s).unwrap_or(StatusCode::BAD_REQUEST),
        HttpStatus::ByMediaType => StatusCode::BAD_REQUEST,
    };
    let mut r = (status, refusal.body()).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    r
}

/// `POST /graphql` with `Accept: text/event-stream`: one subscription, its events as `next`,
/// then `complete`. The body was read and checked as any `POST`'s.
pub async fn sse(state: &AppState, peer: Option<&Peer>, body: &Bytes) -> Response {
    let events = match state.engine.subscribe(body).await {
        Ok(events) => events,
        Err(refusal) => return refused(&refusal),
    };
    if let Some(peer) = peer {
        peer.stream();
    }
    state.metrics.subscription_started();
    let engine = state.engine.clone();
    let metrics = state.metrics.clone();
    let counted = Ended(metrics.clone());
    let stream = events
        .map(move |event| {
            engine.event_sent();
            metrics.subscription_event();
            let _ = &counted;
            SseEvent::default().event("next").json_data(event.payload)
        })
        .chain(futures_util::stream::once(async {
            Ok(SseEvent::default().event("complete").data(""))
        }));
    let mut r = Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(state.config.writes.ping_interval))
        .into_response();
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    r.headers_mut()
        .insert("x-accel-buffering", HeaderValue::from_static("no"));
    r
}

/// Counts a subscription's end when its stream is dropped, however it ends.
struct Ended(std::sync::Arc<crate::telemetry::metrics::Metrics>);

impl Drop for Ended {
    fn drop(&mut self) {
        self.0.subscription_ended();
    }
}

/// Whether a WebSocket upgrade's `Origin` may open one: no `Origin` (not a browser), the
/// server's own origin, or one `--cors-origin` allows. A page on another origin cannot listen
/// (or make the server work) unless CORS would let it read answers too.
fn origin_allowed(headers: &HeaderMap, cors: &[String]) -> bool {
    let Some(origin) = headers.get(header::ORIGIN) else {
        return true;
    };
    let Ok(origin) = origin.to_str() else {
        return false;
    };
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    let own = host.is_some_and(|host| {
        origin
            .split_once("://")
            .is_some_and(|(scheme, rest)| matches!(scheme, "http" | "https") && rest == host)
    });
    own || cors.iter().any(|c| c == "*" || c == origin)
}

/// `GET /graphql` asking to upgrade: a WebSocket speaking `graphql-transport-ws`.
pub async fn upgrade(state: AppState, mut parts: Parts) -> Response {
    if !origin_allowed(&parts.headers, &state.config.http.cors_origins) {
        return (
            StatusCode::FORBIDDEN,
            "this origin may not open a WebSocket here\n",
        )
            .into_response();
    }
    let upgrade = match WebSocketUpgrade::from_request_parts(&mut parts, &state).await {
        Ok(u) => u,
        Err(rejection) => return rejection.into_response(),
    };
    // Counted from here, so that a stop waits for the socket's goodbye.
    let live = state.engine.subscriptions().live();
    upgrade
        .protocols([PROTOCOL])
        // A message is held to a POST body's limit; past it the socket is closed (1009).
        .max_message_size(state.config.limits.max_body_bytes)
        .on_upgrade(move |socket| async move {
            let _live = live;
            if socket.protocol().is_none_or(|p| p != PROTOCOL) {
                let mut socket = socket;
                let _ = close(&mut socket, 4406, "Subprotocol not acceptable").await;
                return;
            }
            Connection::new(state).run(socket).await;
        })
}

async fn close(socket: &mut WebSocket, code: u16, reason: &'static str) -> Result<(), axum::Error> {
    socket
        .send(Message::Close(Some(CloseFrame {
            code,
            reason: reason.into(),
        })))
        .await
}

type Tagged = std::pin::Pin<Box<dyn Stream<Item = (String, Option<Event>)> + Send>>;

/// One WebSocket's subscriptions.
struct Connection {
    state: AppState,
    acknowledged: bool,
    running: HashMap<String, AbortHandle>,
    events: SelectAll<Tagged>,
}

/// Why a connection ends: a close code and reason, or the client left.
enum End {
    Close(u16, &'static str),
    Gone,
}

impl Connection {
    fn new(state: AppState) -> Connection {
        Connection {
            state,
            acknowledged: false,
            running: HashMap::new(),
            events: SelectAll::new(),
        }
    }

    async fn run(mut self, mut socket: WebSocket) {
        let writes = &self.state.config.writes;
        let init_deadline = tokio::time::sleep(writes.connection_init_timeout);
        tokio::pin!(init_deadline);
        let mut ping = tokio::time::interval(writes.ping_interval);
        ping.reset();
        // Once the server stops, each subscription completes (its stream ends) and then the
        // socket is closed with 1001, going away.
        let mut closing = self.state.engine.subscriptions().closing();
        let mut stopping = false;
        let end = loop {
            let step = tokio::select! {
                message = socket.recv() => match message {
                    Some(Ok(message)) => self.receive(message, &mut socket).await,
                    Some(Err(e)) if too_big(&e) => Err(End::Close(1009, "Message too big")),
                    _ => Err(End::Gone),
                },
                () = async { drop(closing.wait_for(|c| *c).await) }, if !stopping => {
                    stopping = true;
                    Ok(())
                }
                Some((id, event)) = self.events.next(), if !self.events.is_empty() => {
                    self.forward(&mut socket, id, event).await
                }
                () = &mut init_deadline, if !self.acknowledged => {
                    Err(End::Close(4408, "Connection initialisation timeout"))
                }
                _ = ping.tick() => send(&mut socket, json!({ "type": "ping" })).await,
            };
            if let Err(end) = step {
                break end;
            }
            if stopping && self.running.is_empty() {
                break End::Close(1001, "Server shutting down");
            }
        };
        for (_, handle) in self.running.drain() {
            handle.abort();
        }
        if let End::Close(code, reason) = end {
            let _ = close(&mut socket, code, reason).await;
        }
    }

    /// One message from the client.
    async fn receive(&mut self, message: Message, socket: &mut WebSocket) -> Result<(), End> {
        let text = match message {
            Message::Text(text) => text,
            Message::Close(_) => return Err(End::Gone),
            // Control frames are the WebSocket layer's; binary is not this protocol.
            Message::Ping(_) | Message::Pong(_) => return Ok(()),
            Message::Binary(_) => return Err(End::Close(4400, "Invalid message")),
        };
        let Ok(Value::Object(mut message)) = serde_json::from_str::<Value>(text.as_str()) else {
            return Err(End::Close(4400, "Invalid message"));
        };
        match message.get("type").and_then(Value::as_str) {
            Some("connection_init") => {
                if self.acknowledged {
                    return Err(End::Close(4429, "Too many initialisation requests"));
                }
                // The protocol's payload: an object, or nothing. The server reads nothing
                // in it (no credentials travel there); its size is held to the message limit.
                if !matches!(
                    message.get("payload"),
                    None | Some(Value::Null | Value::Object(_))
                ) {
                    return Err(End::Close(4400, "Invalid message"));
                }
                self.acknowledged = true;
                send(socket, json!({ "type": "connection_ack" })).await
            }
            Some("ping") => send(socket, json!({ "type": "pong" })).await,
            Some("pong") => Ok(()),
            Some("subscribe") => {
                if !self.acknowledged {
                    return Err(End::Close(4401, "Unauthorized"));
                }
                let (Some(Value::String(id)), Some(payload @ Value::Object(_))) =
                    (message.remove("id"), message.remove("payload"))
                else {
                    return Err(End::Close(4400, "Invalid message"));
                };
                if self.running.contains_key(&id) {
                    return Err(End::Close(4409, "Subscriber for this id already exists"));
                }
                self.subscribe(socket, id, payload).await
            }
            Some("complete") => {
                if let Some(Value::String(id)) = message.get("id")
                    && let Some(handle) = self.running.remove(id)
                {
                    handle.abort();
                }
                Ok(())
            }
            _ => Err(End::Close(4400, "Invalid message")),
        }
    }

    async fn subscribe(
        &mut self,
        socket: &mut WebSocket,
        id: String,
        payload: Value,
    ) -> Result<(), End> {
        let body = Bytes::from(payload.to_string());
        let events = match self.state.engine.subscribe(&body).await {
            Ok(events) => events,
            Err(refusal) => {
                let errors = serde_json::from_str::<Value>(&refusal.body())
                    .ok()
                    .and_then(|mut v| v.get_mut("errors").map(Value::take))
                    .unwrap_or(Value::Array(Vec::new()));
                return send(
                    socket,
                    json!({ "type": "error", "id": id, "payload": errors }),
                )
                .await;
            }
        };
        self.state.metrics.subscription_started();
        let (handle, registration) = AbortHandle::new_pair();
        let ended = Ended(self.state.metrics.clone());
        let tag = id.clone();
        let last = id.clone();
        let stream = Abortable::new(events, registration)
            .map(move |event| {
                let _ = &ended;
                (tag.clone(), Some(event))
            })
            .chain(futures_util::stream::once(async move { (last, None) }));
        self.running.insert(id, handle);
        self.events.push(Box::pin(stream));
        Ok(())
    }

    /// One event of subscription `id` (or its end) to the client.
    async fn forward(
        &mut self,
        socket: &mut WebSocket,
        id: String,
        event: Option<Event>,
    ) -> Result<(), End> {
        match event {
            Some(event) if event.request_error => {
                self.running.remove(&id);
                let errors = event
                    .payload
                    .get("errors")
                    .cloned()
                    .unwrap_or(Value::Array(Vec::new()));
                send(
                    socket,
                    json!({ "type": "error", "id": id, "payload": errors }),
                )
                .await
            }
            Some(event) => {
                if !self.running.contains_key(&id) {
                    return Ok(());
                }
                self.state.engine.event_sent();
                self.state.metrics.subscription_event();
                send(
                    socket,
                    json!({ "type": "next", "id": id, "payload": event.payload }),
                )
                .await
            }
            // Ended by the server (the stream ran out, fell behind, or the server stops):
            // the client hears `complete`. One the client completed is already gone.
            None => {
                if self.running.remove(&id).is_some() {
                    send(socket, json!({ "type": "complete", "id": id })).await
                } else {
                    Ok(())
                }
            }
        }
    }
}

/// Whether a read failed because the message was over the size limit.
fn too_big(e: &axum::Error) -> bool {
    use std::error::Error as _;
    let mut source: Option<&(dyn std::error::Error + 'static)> = e.source();
    while let Some(e) = source {
        if let Some(tungstenite::Error::Capacity(_)) = e.downcast_ref::<tungstenite::Error>() {
            return true;
        }
        source = e.source();
    }
    false
}

/// Sends one message, dropping a client that does not read it in time.
async fn send(socket: &mut WebSocket, message: Value) -> Result<(), End> {
    let text = Message::Text(message.to_string().into());
    match tokio::time::timeout(SEND_TIMEOUT, socket.send(text)).await {
        Ok(Ok(())) => Ok(()),
        _ => Err(End::Gone),
    }
}
