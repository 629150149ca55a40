//! The GraphQL endpoint, by the GraphQL-over-HTTP spec: `POST` with a JSON body, `GET` with
//! query parameters for queries only, content negotiation between
//! `application/graphql-response+json` and `application/json`, and every request error
//! answered with a status, a stable code and no `data`.
//!
//! Transport only: what a request means is the engine's business (`engine::Engine::execute`). Here
//! a request goes through these steps, and the first that refuses it answers: [`negotiate`]
//! the response type (406), read the transport (`POST`: [`read_post_body`], 415 and 413;
//! `GET`: 414), hand the raw bytes to the engine, and turn its [`Outcome`] into a response:
//! the status of its error code, the headers, and for a clean answer the ETag (304 on a match)
//! and the `Content-Encoding` of a kept compressed copy.

use std::any::Any;
use std::pin::Pin;

use axum::body::{Body, Bytes, HttpBody};
use axum::extract::Request;
use axum::extract::State;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::coding::{coding_of, content_encoding};
use super::middleware::AccessTicket;
use super::state::{AppState, RequestObserver};
use crate::config::Limits;
use crate::engine::cache::Cached;
use crate::engine::{self, Answer, Media, Outcome, Raw, Refusal, Transport};
use crate::error_code::{ErrorCode, HttpStatus};
use crate::telemetry::context::RequestContext;
use crate::telemetry::metrics::RequestOutcome as Counted;

const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";
const JSON: &str = "application/json";

/// The `Content-Type` of a response in `media`.
fn content_type(media: Media) -> HeaderValue {
    HeaderValue::from_static(match media {
        Media::GraphqlResponse => "application/graphql-response+json; charset=utf-8",
        Media::Json => "application/json; charset=utf-8",
    })
}

/// The media type's name, as `Accept` names it.
fn essence(media: Media) -> &'static str {
    match media {
        Media::GraphqlResponse => GRAPHQL_RESPONSE,
        Media::Json => JSON,
    }
}

/// One media range of an `Accept` header, as far as negotiation needs it. Borrowed from the
/// header, and compared without regard to case, so that negotiating allocates nothing.
struct MediaRange<'a> {
    /// `type/subtype`, possibly with wildcards, in the client's case.
    essence: &'a [u8],
    /// Quality in thousandths, so that ranges compare exactly.
    q: u16,
}

impl<'a> MediaRange<'a> {
    /// `None` for a range that can never match us: one that asks for a charset other than
    /// UTF-8, the only one we send. `range` is trimmed and not empty.
    fn parse(range: &'a [u8]) -> Option<MediaRange<'a>> {
        let mut parts = range.split(|&b| b == b';');
        let essence = parts.next()?.trim_ascii();
        if essence.is_empty() {
            return None;
        }
        let mut q = 1000;
        for param in parts {
            let mut kv = param.splitn(2, |&b| b == b'=');
            let (Some(k), Some(v)) = (kv.next(), kv.next()) else {
                continue;
            };
            let (k, v) = (k.trim_ascii(), unquote(v.trim_ascii()));
            if k.eq_ignore_ascii_case(b"q") {
                // An unreadable weight is taken as "not acceptable" rather than guessed at.
                q = std::str::from_utf8(v)
                    .ok()
                    .and_then(|v| v.parse::<f32>().ok())
                    .map_or(0, |q| (q.clamp(0.0, 1.0) * 1000.0) as u16);
            } else if k.eq_ignore_ascii_case(b"charset") && !v.eq_ignore_ascii_case(b"utf-8") {
                return None;
            }
        }
        Some(MediaRange { essence, q })
    }

    /// How specifically this range names `media`: 2 by name, 1 as `application/*`, 0 as
    /// `*/*`; `None` if it does not cover it.
    fn specificity(&self, media: Media) -> Option<u8> {
        let e = self.essence;
        if e.eq_ignore_ascii_case(essence(media).as_bytes()) {
            Some(2)
        } else if e.eq_ignore_ascii_case(b"application/*") {
            Some(1)
        } else if e == b"*/*" {
            Some(0)
        } else {
            None
        }
    }
}

/// The answer for the `Accept` values that clients send most, without parsing them; the
/// `usual_accept_values` test checks each against the general case.
fn usual_accept(value: &[u8]) -> Option<Media> {
    match value {
        b"application/graphql-response+json"
        | b"application/graphql-response+json, application/json"
        | b"application/graphql-response+json, application/json;q=0.9" => {
            Some(Media::GraphqlResponse)
        }
        b"application/json" | b"*/*" => Some(Media::Json),
        _ => None,
    }
}

/// A parameter value without the quotes around it.
fn unquote(mut v: &[u8]) -> &[u8] {
    while let [b'"', rest @ ..] = v {
        v = rest;
    }
    while let [rest @ .., b'"'] = v {
        v = rest;
    }
    v
}

/// What a `POST` asks for: an event stream (a subscription over SSE), or an answer.
enum Post {
    Events,
    /// In the media type [`negotiate`] picked, or `None` for a 406.
    Answer(Option<Media>),
}

/// [`negotiate`] for a `POST`, which may also ask for an event stream. The usual `Accept`
/// values are answered without looking for `text/event-stream` (a cache hit pays for no
/// second pass over the header).
fn negotiate_post(headers: &HeaderMap) -> Post {
    if let Some(media) = single_usual_accept(headers) {
        return Post::Answer(Some(media));
    }
    if super::streams::wants_events(headers) {
        return Post::Events;
    }
    Post::Answer(negotiate(headers))
}

/// The media type of a request with exactly one `Accept`, of the usual values.
fn single_usual_accept(headers: &HeaderMap) -> Option<Media> {
    let mut values = headers.get_all(header::ACCEPT).iter();
    match (values.next(), values.next()) {
        (Some(value), None) => usual_accept(value.as_bytes()),
        _ => None,
    }
}

/// Picks the response media type from `Accept`, or `None` when neither of ours is acceptable
/// (406).
///
/// Each of our two types takes the quality of the most specific range that covers it (RFC 9110
/// §12.5.1), and the higher quality wins. On a tie a type the client *named* beats one it
/// only matched by a wildcard; between two named types `application/graphql-response+json`
/// wins, as the spec prefers; between two wildcard matches `application/json` wins, because a
/// client that says `*/*` (or sends no `Accept`, as older clients do) has stated no preference
/// and the spec says to answer such clients in `application/json`.
///
/// One pass over the header, on its bytes: it runs on every request, cache hits included.
pub fn negotiate(headers: &HeaderMap) -> Option<Media> {
    const OURS: [Media; 2] = [Media::GraphqlResponse, Media::Json];
    if let Some(media) = single_usual_accept(headers) {
        return Some(media);
    }
    let accept = headers.get_all(header::ACCEPT);
    let mut stated = false;
    // For each of OURS, the most specific range that covers it, with its quality.
    let mut best: [Option<(u8, u16)>; 2] = [None, None];
    for value in accept {
        // Unreadable (not visible ASCII) values are ignored, as if absent.
        if value.to_str().is_err() {
            continue;
        }
        for range in value.as_bytes().split(|&b| b == b',') {
            let range = range.trim_ascii();
            if range.is_empty() {
                continue;
            }
            stated = true;
            let Some(range) = MediaRange::parse(range) else {
                continue;
            };
            for (best, media) in best.iter_mut().zip(OURS) {
                if let Some(s) = range.specificity(media) {
                    *best = (*best).max(Some((s, range.q)));
                }
            }
        }
    }
    // No `Accept` (or only blank or unreadable ones): the client states no preference.
    if !stated {
        return Some(Media::Json);
    }
    // (quality, named, preferred) for one of our types, or None when no range covers it.
    let score = |media: Media, best: Option<(u8, u16)>| {
        let (specificity, q) = best?;
        let named = specificity == 2;
        let preferred = (media == Media::GraphqlResponse) == named;
        (q > 0).then_some((q, named, preferred))
    };
    let [g, j] = best;
    match (score(Media::GraphqlResponse, g), score(Media::Json, j)) {
        (Some(g), Some(j)) => Some(if g >= j {
            Media::GraphqlResponse
        } else {
            Media::Json
        }),
        (Some(_), None) => Some(Media::GraphqlResponse),
        (None, Some(_)) => Some(Media::Json),
        (None, None) => None,
    }
}

// The handlers take the whole request rather than a `HeaderMap` extractor, which would
// copy every header of every request.

pub async fn post(State(state): State<AppState>, request: Request) -> Response {
    let (mut parts, body) = request.into_parts();
    let ticket = AccessTicket::take(&mut parts);
    answer_post(&state, parts, body, ticket).await
}

/// `POST /graphql` with the ticket the middleware gave it in hand: what [`post`] does once it
/// has taken the ticket, and what the server calls directly (see `http::PostFirst`).
pub async fn answer_post(
    state: &AppState,
    parts: Parts,
    body: Body,
    ticket: AccessTicket,
) -> Response {
    // Only the headers are kept: the future of a cache hit is allocated whole, and past 1 KiB
    // the allocator takes its slow path.
    let headers = &parts.headers;
    let media = match negotiate_post(headers) {
        Post::Events => {
            return match read_post_body(&state.config.limits, headers, body).await {
                Err(refusal) => refused(Media::Json, refusal).response,
                // Boxed: inline, the subscription's checks would make every POST's future
                // (a cache hit's too) larger than 1 KiB, the allocator's slow path.
                Ok(bytes) => {
                    Box::pin(super::streams::sse(state, ticket.peer.as_ref(), &bytes)).await
                }
            };
        }
        Post::Answer(media) => media,
    };
    let read_bearer = || bearer(headers);
    let response = match media {
        None => not_acceptable(),
        Some(media) => match read_post_body(&state.config.limits, headers, body).await {
            Err(refusal) => refused(media, refusal),
            Ok(bytes) => {
                let request = engine::Request {
                    raw: Raw::Body(&bytes),
                    media,
                    coding: coding_of(ticket.encoding),
                    caller: engine::Caller {
                        addr: ticket.peer.as_ref().map(|p| p.addr),
                        bearer: Some(&read_bearer),
                    },
                };
                answer(state, &ticket.context, request, headers).await
            }
        },
    };
    response.count(state, &ticket.context)
}

/// The token of an `Authorization: Bearer <token>` header.
fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

pub async fn get(State(state): State<AppState>, request: Request) -> Response {
    let (mut parts, _) = request.into_parts();
    if parts.headers.contains_key(header::UPGRADE) {
        return super::streams::upgrade(state, parts).await;
    }
    // A browser opening the endpoint gets the playground, not a JSON error.
    if wants_html(&parts.headers) {
        return super::playground::page();
    }
    let ticket = AccessTicket::take(&mut parts);
    let headers = &parts.headers;
    let raw = parts.uri.query().unwrap_or("");
    let max = state.config.limits.max_query_string_bytes;
    let response = match negotiate(headers) {
        None => not_acceptable(),
        Some(media) if raw.len() > max => refused(
            media,
            Refusal::new(
                ErrorCode::UriTooLong,
                format!("the query string is over {max} bytes; send long documents with POST"),
            ),
        ),
        Some(media) => {
            let request = engine::Request {
                raw: Raw::QueryString(raw),
                media,
                coding: coding_of(ticket.encoding),
                caller: engine::Caller::default(),
            };
            answer(&state, &ticket.context, request, headers).await
        }
    };
    response.count(&state, &ticket.context)
}

/// Hands the request to the engine, and its outcome back as a response.
async fn answer(
    state: &AppState,
    context: &RequestContext,
    request: engine::Request<'_>,
    headers: &HeaderMap,
) -> Reply {
    let (media, transport) = (request.media, request.raw.transport());
    let observer = RequestObserver::new(&state.metrics, context);
    let outcome = state.engine.execute(request, &observer).await;
    respond(media, transport, headers, outcome)
}

/// Anything but GET and POST on `/graphql`.
pub async fn other_method(State(state): State<AppState>, request: Request) -> Response {
    let (mut parts, _) = request.into_parts();
    let ticket = AccessTicket::take(&mut parts);
    let method = &parts.method;
    let refusal = Refusal::new(
        ErrorCode::MethodNotAllowed,
        format!("{method} is not allowed here; use GET for queries or POST"),
    );
    let mut reply = refused(Media::Json, refusal);
    reply
        .response
        .headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static("GET, POST"));
    reply.count(&state, &ticket.context)
}

/// 406 is sent as `application/json`: the client accepts neither type, so we pick the one
/// more clients read.
fn not_acceptable() -> Reply {
    let refusal = Refusal::new(
        ErrorCode::NotAcceptable,
        "accept application/graphql-response+json or application/json",
    );
    refused(Media::Json, refusal)
}

/// A response, with what the metrics count of it.
struct Reply {
    response: Response,
    /// The request's `operationName`, once it has been read.
    operation: Option<std::sync::Arc<str>>,
    counted: Counted,
}

impl Reply {
    /// Counts the request and hands back its response.
    fn count(self, state: &AppState, context: &RequestContext) -> Response {
        let elapsed = context.record_answered();
        state
            .metrics
            .request(self.operation.as_deref(), self.counted, elapsed);
        self.response
    }
}

/// The engine's outcome as a response.
fn respond(media: Media, transport: Transport, headers: &HeaderMap, outcome: Outcome) -> Reply {
    let Outcome { answer, operation } = outcome;
    let mut reply = match answer {
        Answer::Clean(cached) => Reply {
            response: clean_response(media, cached, transport, headers),
            operation: None,
            counted: Counted::Ok,
        },
        Answer::WithErrors(body) => Reply {
            response: json_response(StatusCode::OK, media, body),
            operation: None,
            counted: Counted::Error,
        },
        Answer::Refused(refusal) => refused(media, refusal),
    };
    reply.operation = operation;
    reply
}

/// A refusal as a response: its status, its headers, and its errors with no `data`. Shed
/// when it is for load, rejected otherwise.
fn refused(media: Media, refusal: Refusal) -> Reply {
    let code = refusal.code.as_str();
    let counted = if refusal.code.is_shed() {
        Counted::Shed(code)
    } else {
        Counted::Rejected(code)
    };
    Reply {
        response: refused_response(media, &refusal),
        operation: None,
        counted,
    }
}

fn refused_response(media: Media, refusal: &Refusal) -> Response {
    let status = match refusal.code.http_status() {
        HttpStatus::Fixed(status) => {
            StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
        }
        HttpStatus::ByMediaType => invalid_status(media),
    };
    let mut r = json_response(status, media, refusal.body());
    let h = r.headers_mut();
    match refusal.code {
        ErrorCode::Overloaded | ErrorCode::Timeout => {
            h.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        ErrorCode::RateLimited => {
            let seconds = refusal.retry_after.unwrap_or(60);
            h.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        // The engine refuses a mutation over GET; other methods say more (`other_method`).
        ErrorCode::MethodNotAllowed => {
            h.insert(header::ALLOW, HeaderValue::from_static("POST"));
        }
        _ => {}
    }
    r
}

/// The status for a request whose document did not parse or validate: 400 under
/// `application/graphql-response+json`; 200 under `application/json`, as legacy clients expect
/// and the spec asks.
fn invalid_status(media: Media) -> StatusCode {
    match media {
        Media::GraphqlResponse => StatusCode::BAD_REQUEST,
        Media::Json => StatusCode::OK,
    }
}

/// A response with a JSON body in the negotiated media type.
fn json_response(status: StatusCode, media: Media, body: impl Into<Body>) -> Response {
    let mut r = (status, body.into()).into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, content_type(media));
    r
}

/// A 200 with a successful body. Over `GET` it carries an ETag and `Cache-Control: no-cache`,
/// so that browsers and proxies keep it and revalidate with `If-None-Match`, which earns a 304.
fn clean_response(
    media: Media,
    cached: Cached,
    transport: Transport,
    headers: &HeaderMap,
) -> Response {
    let not_modified = transport == Transport::Get
        && headers
            .get_all(header::IF_NONE_MATCH)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .any(|tag| tag.trim() == "*" || tag.trim().as_bytes() == &cached.etag[..]);
    let mut r = if not_modified {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (StatusCode::OK, Body::from(cached.body)).into_response()
    };
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, content_type(media));
    // A compressed copy: the compression layer leaves it as it is, and so does not add the
    // `Vary` it would have. A 304 has no body to be in a coding.
    if let Some(coding) = content_encoding(cached.coding) {
        if !not_modified {
            h.insert(header::CONTENT_ENCODING, coding);
        }
        h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
    if transport == Transport::Get {
        if let Ok(tag) = HeaderValue::from_maybe_shared(cached.etag) {
            h.insert(header::ETAG, tag);
        }
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    }
    r
}

/// Reads a `POST`'s body: it must be declared JSON and fit the limit.
async fn read_post_body(
    limits: &Limits,
    headers: &HeaderMap,
    body: Body,
) -> Result<Bytes, Refusal> {
    require_json_content_type(headers)?;
    read_body(headers, body, limits.max_body_bytes).await
}

/// Refuses a body not declared as JSON in UTF-8. `text/plain` and form encodings are refused
/// on purpose: a page on another site can send them cross-origin without a CORS preflight,
/// which would make every query a possible cross-site request.
fn require_json_content_type(headers: &HeaderMap) -> Result<(), Refusal> {
    if is_json(headers) {
        Ok(())
    } else {
        Err(Refusal::new(
            ErrorCode::UnsupportedMediaType,
            "send the request as application/json",
        ))
    }
}

/// Whether `Content-Type` is `application/json`, with no charset or UTF-8 (JSON's only
/// encoding; a missing charset means UTF-8).
fn is_json(headers: &HeaderMap) -> bool {
    let Some(ct) = headers.get(header::CONTENT_TYPE) else {
        return false;
    };
    // What clients send most, without parsing.
    if ct == "application/json" {
        return true;
    }
    let Ok(ct) = ct.to_str() else {
        return false;
    };
    let mut parts = ct.split(';');
    let essence = parts.next().unwrap_or("").trim();
    let charset_ok = parts.all(|p| match p.split_once('=') {
        Some((k, v)) if k.trim().eq_ignore_ascii_case("charset") => {
            v.trim().trim_matches('"').eq_ignore_ascii_case("utf-8")
        }
        _ => true,
    });
    essence.eq_ignore_ascii_case(JSON) && charset_ok
}

/// Reads the whole body, refusing with 413 before reading anything when `Content-Length`
/// already says it is too large, and as soon as a chunked body passes the limit. A body that
/// comes in one frame (most do) is taken as it is, without collecting it.
async fn read_body(headers: &HeaderMap, mut body: Body, limit: usize) -> Result<Bytes, Refusal> {
    let too_large = || {
        Refusal::new(
            ErrorCode::PayloadTooLarge,
            format!("the request body is over {limit} bytes"),
        )
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(too_large());
    }
    // The only other way reading fails is the connection breaking mid-body, and then no one
    // is left to read the answer.
    let first = match std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await {
        None => return Ok(Bytes::new()),
        Some(Err(_)) => return Err(too_large()),
        Some(Ok(frame)) => frame.into_data().unwrap_or_default(),
    };
    if first.len() > limit {
        return Err(too_large());
    }
    if body.is_end_stream() {
        return Ok(first);
    }
    let rest = axum::body::to_bytes(body, limit - first.len())
        .await
        .map_err(|_| too_large())?;
    let mut whole = Vec::with_capacity(first.len() + rest.len());
    whole.extend_from_slice(&first);
    whole.extend_from_slice(&rest);
    Ok(Bytes::from(whole))
}

fn wants_html(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|r| {
            r.split(';')
                .next()
                .is_some_and(|e| e.trim().eq_ignore_ascii_case("text/html"))
        })
}

/// A panic anywhere in a request: a 500 that says nothing of the internals.
pub fn panic_response(_err: Box<dyn Any + Send + 'static>) -> Response {
    tracing::error!("a request panicked; answered 500");
    let refusal = Refusal::new(ErrorCode::InternalServerError, "internal server error");
    refused_response(Media::Json, &refusal)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(values: &[&str]) -> Option<Media> {
        let mut headers = HeaderMap::new();
        for v in values {
            headers.append(header::ACCEPT, HeaderValue::from_str(v).unwrap());
        }
        negotiate(&headers)
    }

    #[test]
    fn negotiation() {
        use Media::{GraphqlResponse as G, Json as J};
        let cases: &[(&[&str], Option<Media>)] = &[
            (&[], Some(J)),
            (&[""], Some(J)),
            (&["*/*"], Some(J)),
            (&["application/*"], Some(J)),
            (&["application/json"], Some(J)),
            (&[GRAPHQL_RESPONSE], Some(G)),
            (
                &["application/json, application/graphql-response+json"],
                Some(G),
            ),
            (&["application/json", GRAPHQL_RESPONSE], Some(G)),
            (
                &["application/graphql-response+json;q=0.5, application/json"],
                Some(J),
            ),
            (
                &["application/json;q=0.9, application/graphql-response+json"],
                Some(G),
            ),
            (&["application/json, */*"], Some(J)),
            (&["application/graphql-response+json, */*;q=0.8"], Some(G)),
            (
                &["application/graphql-response+json; charset=utf-8"],
                Some(G),
            ),
            (&["application/graphql-response+json; charset=latin1"], None),
            (&["application/json;q=0, */*"], Some(G)),
            (&["application/json;q=0"], None),
            (&["text/html"], None),
            (&["application/xml, text/plain"], None),
            (&["application/json;q=nonsense"], None),
        ];
        for (values, expected) in cases {
            assert_eq!(accept(values), *expected, "Accept: {values:?}");
        }
    }

    #[test]
    fn usual_accept_values() {
        for value in [
            "application/graphql-response+json",
            "application/graphql-response+json, application/json",
            "application/graphql-response+json, application/json;q=0.9",
            "application/json",
            "*/*",
        ] {
            // The general case, made to run by a second (blank) value.
            let general = accept(&[value, ""]);
            assert_eq!(usual_accept(value.as_bytes()), general, "{value}");
            assert_eq!(accept(&[value]), general, "{value}");
        }
    }
}
