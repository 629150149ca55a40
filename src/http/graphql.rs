//! The GraphQL endpoint, by the GraphQL-over-HTTP spec: `POST` with a JSON body, `GET` with
//! query parameters for queries only, content negotiation between
//! `application/graphql-response+json` and `application/json`, and every request error
//! answered with a status, a stable code and no `data`.
//!
//! A request goes through these steps, each its own function, and the first that refuses it
//! answers: [`negotiate`] the response type (406), read the transport ([`read_post`]: 415, 413,
//! 400; [`read_get`]: 414, 400), check the parameters ([`request_from_params`]: 400), take a
//! concurrency permit (503), run the document guard (400), parse (400), refuse mutations over
//! `GET` (405), execute under the timeout (503), and [`respond`].

use std::any::Any;
use std::pin::Pin;
use std::sync::Arc;

use async_graphql::parser::types::{DocumentOperations, ExecutableDocument, OperationType};
use axum::body::{Body, Bytes, HttpBody};
use axum::extract::Request;
use axum::extract::State;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use tokio::sync::SemaphorePermit;

use super::AppState;
use super::cache::{Cached, Shape, etag};
use super::middleware::AccessTicket;
use super::middleware::encoding::Encoding;
use crate::config::Limits;
use crate::guard;
use crate::telemetry::context::RequestContext;
use crate::telemetry::metrics::{MeteredCache as Cache, RequestOutcome as Outcome};

const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";
const JSON: &str = "application/json";

// The stable codes, in `extensions.code`, of the errors this handler raises itself. The
// guard's codes are in `crate::guard`, the resolvers' in `crate::schema::error`.

/// The request is malformed: not JSON, not UTF-8, no `query`, a parameter of the wrong type.
const BAD_REQUEST: &str = "BAD_REQUEST";
/// The body is a JSON array: a batch, which we do not run (it multiplies every limit).
const BATCH_NOT_SUPPORTED: &str = "BATCH_NOT_SUPPORTED";
/// `variables` is over `Limits::max_variables_bytes`.
const VARIABLES_TOO_LARGE: &str = "VARIABLES_TOO_LARGE";
/// The `POST` body is not declared as `application/json` (415).
const UNSUPPORTED_MEDIA_TYPE: &str = "UNSUPPORTED_MEDIA_TYPE";
/// A method other than `GET` and `POST`, or a mutation over `GET` (405).
const METHOD_NOT_ALLOWED: &str = "METHOD_NOT_ALLOWED";
/// `Accept` allows neither of our response types (406).
const NOT_ACCEPTABLE: &str = "NOT_ACCEPTABLE";
/// The body is over `Limits::max_body_bytes` (413).
const PAYLOAD_TOO_LARGE: &str = "PAYLOAD_TOO_LARGE";
/// The `GET` query string is over `Limits::max_query_string_bytes` (414).
const URI_TOO_LONG: &str = "URI_TOO_LONG";
/// Every concurrency permit is taken (503).
const OVERLOADED: &str = "OVERLOADED";
/// Execution ran over `Limits::request_timeout` (503).
const TIMEOUT: &str = "TIMEOUT";
/// A panic; the message says nothing more (500).
const INTERNAL_SERVER_ERROR: &str = "INTERNAL_SERVER_ERROR";
/// async-graphql could not parse the document.
const GRAPHQL_PARSE_FAILED: &str = "GRAPHQL_PARSE_FAILED";
/// The document parsed but did not validate, its variables did not coerce, or the operation
/// to run could not be chosen.
const GRAPHQL_VALIDATION_FAILED: &str = "GRAPHQL_VALIDATION_FAILED";
/// An automatic persisted query's hash that the server does not know (yet).
const PERSISTED_QUERY_NOT_FOUND: &str = "PERSISTED_QUERY_NOT_FOUND";

/// The media type a response is sent as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Media {
    GraphqlResponse,
    Json,
}

impl Shape {
    fn transport(self) -> Transport {
        match self {
            Shape::PostGraphql | Shape::PostJson => Transport::Post,
            Shape::GetGraphql | Shape::GetJson => Transport::Get,
        }
    }
}

impl Media {
    /// The response cache's table for this media type and transport.
    fn shape(self, transport: Transport) -> Shape {
        match (transport, self) {
            (Transport::Post, Media::GraphqlResponse) => Shape::PostGraphql,
            (Transport::Post, Media::Json) => Shape::PostJson,
            (Transport::Get, Media::GraphqlResponse) => Shape::GetGraphql,
            (Transport::Get, Media::Json) => Shape::GetJson,
        }
    }

    fn content_type(self) -> HeaderValue {
        HeaderValue::from_static(match self {
            Media::GraphqlResponse => "application/graphql-response+json; charset=utf-8",
            Media::Json => "application/json; charset=utf-8",
        })
    }

    fn essence(self) -> &'static str {
        match self {
            Media::GraphqlResponse => GRAPHQL_RESPONSE,
            Media::Json => JSON,
        }
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
        if e.eq_ignore_ascii_case(media.essence().as_bytes()) {
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
    let accept = headers.get_all(header::ACCEPT);
    let mut values = accept.iter();
    if let (Some(value), None) = (values.next(), values.next())
        && let Some(media) = usual_accept(value.as_bytes())
    {
        return Some(media);
    }
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

/// An error object as the GraphQL spec shapes it, with our stable code.
fn error(message: impl Into<String>, code: &str) -> Value {
    json!({ "message": message.into(), "extensions": { "code": code } })
}

/// A response with a JSON body in the negotiated media type.
fn json_response(status: StatusCode, media: Media, body: Value) -> Response {
    let mut r = (status, Body::from(body.to_string())).into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, media.content_type());
    r
}

/// A response to a request that never reached execution: an error list and no `data`.
fn errors_response(status: StatusCode, media: Media, errors: Vec<Value>) -> Response {
    json_response(status, media, json!({ "errors": errors }))
}

/// A refusal before execution, with the status, stable code and any headers it needs. Every
/// step returns one of these so that the refusal is rendered in one place.
struct RequestError {
    status: StatusCode,
    /// Whether the status follows the media type, as for a document that does not validate.
    status_by_media: bool,
    code: &'static str,
    message: String,
    headers: Vec<(HeaderName, &'static str)>,
}

impl RequestError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> RequestError {
        RequestError {
            status,
            status_by_media: false,
            code,
            message: message.into(),
            headers: Vec::new(),
        }
    }

    /// An error about the document itself, answered with the status the spec gives a
    /// document that does not validate (which depends on the media type).
    fn invalid_document(code: &'static str, message: impl Into<String>) -> RequestError {
        RequestError {
            status_by_media: true,
            ..RequestError::new(StatusCode::BAD_REQUEST, code, message)
        }
    }

    fn bad_request(message: impl Into<String>) -> RequestError {
        RequestError::new(StatusCode::BAD_REQUEST, BAD_REQUEST, message)
    }

    fn with_header(mut self, name: HeaderName, value: &'static str) -> RequestError {
        self.headers.push((name, value));
        self
    }

    /// The refusal as an answer: shed when it is a 503, rejected otherwise.
    fn answer(self, media: Media) -> Answer {
        let outcome = if self.status == StatusCode::SERVICE_UNAVAILABLE {
            Outcome::Shed(self.code)
        } else {
            Outcome::Rejected(self.code)
        };
        Answer {
            response: self.into_response(media),
            operation: None,
            outcome,
        }
    }

    fn into_response(self, media: Media) -> Response {
        let status = if self.status_by_media {
            invalid_status(media)
        } else {
            self.status
        };
        let mut r = errors_response(status, media, vec![error(self.message, self.code)]);
        for (name, value) in self.headers {
            r.headers_mut()
                .insert(name, HeaderValue::from_static(value));
        }
        r
    }
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

/// One GraphQL request, once it has been read off the wire and its parameters checked.
struct GraphqlRequest {
    query: String,
    operation_name: Option<String>,
    variables: Map<String, Value>,
}

/// How the request came, which decides what it may do.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Transport {
    Get,
    Post,
}

/// A response, with what the metrics count of it.
struct Answer {
    response: Response,
    /// The request's `operationName`, once it has been read.
    operation: Option<Arc<str>>,
    outcome: Outcome,
}

impl Answer {
    /// Counts the request and hands back its response.
    fn count(self, state: &AppState, context: &RequestContext) -> Response {
        let elapsed = context.record_answered();
        state
            .metrics
            .request(self.operation.as_deref(), self.outcome, elapsed);
        self.response
    }
}

/// A request as the response cache knows it: its shape and its exact bytes.
struct CacheKey {
    shape: Shape,
    bytes: Bytes,
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
    let headers = &parts.headers;
    let answer = match negotiate(headers) {
        None => not_acceptable(),
        Some(media) => match read_post_body(&state.config.limits, headers, body).await {
            Err(e) => e.answer(media),
            Ok(bytes) => {
                let shape = media.shape(Transport::Post);
                let owned = || bytes.clone();
                let read = parse_post;
                answer_request(state, &ticket, media, shape, &bytes, owned, headers, read).await
            }
        },
    };
    answer.count(state, &ticket.context)
}

pub async fn get(State(state): State<AppState>, request: Request) -> Response {
    let (mut parts, _) = request.into_parts();
    // A browser opening the endpoint gets the playground, not a JSON error.
    if wants_html(&parts.headers) {
        return super::playground::page();
    }
    let ticket = AccessTicket::take(&mut parts);
    let headers = &parts.headers;
    let uri = &parts.uri;
    let answer = match negotiate(headers) {
        None => not_acceptable(),
        Some(media) => {
            let raw = uri.query().unwrap_or("").as_bytes();
            let shape = media.shape(Transport::Get);
            answer_request(
                &state,
                &ticket,
                media,
                shape,
                raw,
                || Bytes::copy_from_slice(raw),
                headers,
                |state, _| read_get(state, uri),
            )
            .await
        }
    };
    answer.count(&state, &ticket.context)
}

/// The hot path first: the exact request answered before on this graph is served again
/// without parsing anything (and without copying the key: `owned` makes it only for a
/// miss). Otherwise `read` makes the request, which runs, and a clean answer is kept for
/// next time.
#[allow(clippy::too_many_arguments)]
async fn answer_request(
    state: &AppState,
    ticket: &AccessTicket,
    media: Media,
    shape: Shape,
    key: &[u8],
    owned: impl FnOnce() -> Bytes,
    headers: &HeaderMap,
    read: impl FnOnce(&AppState, &[u8]) -> Result<GraphqlRequest, RequestError>,
) -> Answer {
    let transport = shape.transport();
    let encoding = ticket.encoding;
    if let Some(hit) = state
        .responses
        .get(state.generation(), shape, key, encoding)
    {
        state.metrics.cache_hit(Cache::Response);
        let mut hit = hit.compress();
        // Taken rather than copied: every reference count costs on this path.
        let operation = hit.operation.take();
        ticket.context.record_operation(operation.as_ref());
        return Answer {
            response: cached_response(media, hit, transport, headers),
            operation,
            outcome: Outcome::Ok,
        };
    }
    state.metrics.cache_miss(Cache::Response);
    let request = match read(state, key) {
        Ok(r) => r,
        Err(e) => return e.answer(media),
    };
    let operation: Option<Arc<str>> = request.operation_name.as_deref().map(Arc::from);
    ticket.context.record_operation(operation.as_ref());
    // The graph the request runs on, whose generation its answer is kept under: a reload
    // since the lookup above only means that answer is for the newer graph.
    let job = Job {
        request,
        transport,
        graph: state.current(),
        key: CacheKey {
            shape,
            bytes: owned(),
        },
    };
    // Boxed: the executor's future is many kilobytes, and inline it would make every
    // request's future (a hit's too) as large, to be copied whenever it moves.
    Box::pin(execute(state, media, headers, job)).await
}

/// Anything but GET and POST on `/graphql`.
pub async fn other_method(State(state): State<AppState>, request: Request) -> Response {
    let (mut parts, _) = request.into_parts();
    let ticket = AccessTicket::take(&mut parts);
    let method = &parts.method;
    RequestError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        METHOD_NOT_ALLOWED,
        format!("{method} is not allowed here; use GET for queries or POST"),
    )
    .with_header(header::ALLOW, "GET, POST")
    .answer(Media::Json)
    .count(&state, &ticket.context)
}

/// 406 is sent as `application/json`: the client accepts neither type, so we pick the one
/// more clients read.
fn not_acceptable() -> Answer {
    RequestError::new(
        StatusCode::NOT_ACCEPTABLE,
        NOT_ACCEPTABLE,
        "accept application/graphql-response+json or application/json",
    )
    .answer(Media::Json)
}

/// Reads a `POST`'s body: it must be declared JSON and fit the limit.
async fn read_post_body(
    limits: &Limits,
    headers: &HeaderMap,
    body: Body,
) -> Result<Bytes, RequestError> {
    require_json_content_type(headers)?;
    read_body(headers, body, limits.max_body_bytes).await
}

/// Parses a `POST`'s body: UTF-8 JSON, and one request object.
fn parse_post(state: &AppState, bytes: &[u8]) -> Result<GraphqlRequest, RequestError> {
    let text = std::str::from_utf8(bytes)
        .map_err(|e| RequestError::bad_request(format!("the body is not UTF-8: {e}")))?;
    // serde_json stops at 128 levels of nesting, so a deep body cannot exhaust the stack.
    let value: Value = serde_json::from_str(text)
        .map_err(|e| RequestError::bad_request(format!("the body is not valid JSON: {e}")))?;
    match value {
        Value::Object(params) => request_from_params(params, state),
        Value::Array(_) => Err(RequestError::new(
            StatusCode::BAD_REQUEST,
            BATCH_NOT_SUPPORTED,
            "batched requests are not supported; send one request per HTTP request",
        )),
        _ => Err(RequestError::bad_request(
            "the body must be a JSON object with a `query`",
        )),
    }
}

/// Refuses a body not declared as JSON in UTF-8. `text/plain` and form encodings are refused
/// on purpose: a page on another site can send them cross-origin without a CORS preflight,
/// which would make every query a possible cross-site request.
fn require_json_content_type(headers: &HeaderMap) -> Result<(), RequestError> {
    if is_json(headers) {
        Ok(())
    } else {
        Err(RequestError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            UNSUPPORTED_MEDIA_TYPE,
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
async fn read_body(
    headers: &HeaderMap,
    mut body: Body,
    limit: usize,
) -> Result<Bytes, RequestError> {
    let too_large = || {
        RequestError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            PAYLOAD_TOO_LARGE,
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

/// Reads a `GET`: the query string must fit the limit and hold each parameter at most once;
/// `variables` and `extensions` are JSON text, as the spec says.
fn read_get(state: &AppState, uri: &Uri) -> Result<GraphqlRequest, RequestError> {
    let limits = &state.config.limits;
    let raw = uri.query().unwrap_or("");
    let max = limits.max_query_string_bytes;
    if raw.len() > max {
        return Err(RequestError::new(
            StatusCode::URI_TOO_LONG,
            URI_TOO_LONG,
            format!("the query string is over {max} bytes; send long documents with POST"),
        ));
    }
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw)
        .map_err(|_| RequestError::bad_request("the query string does not parse"))?;
    let mut params = Map::new();
    for (name, text) in pairs {
        let value = match name.as_str() {
            // An empty form field means the parameter was left out.
            _ if text.is_empty() => continue,
            "query" | "operationName" => Value::String(text),
            "variables" | "extensions" => serde_json::from_str(&text).map_err(|_| {
                RequestError::bad_request(format!("`{name}` must be URL-encoded JSON"))
            })?,
            // Other parameters (cache busters and the like) are not ours to judge.
            _ => continue,
        };
        // Two values for one parameter would let a cache or firewall see one document while
        // we run another.
        if params.insert(name.clone(), value).is_some() {
            return Err(RequestError::bad_request(format!(
                "`{name}` is given more than once"
            )));
        }
    }
    request_from_params(params, state)
}

/// Checks the request parameters (the same for `GET` and `POST`): `query` a non-empty string,
/// `operationName` a string or null, `variables` and `extensions` objects or null, and
/// `variables` within its size limit. Other members are ignored, as the spec allows.
fn request_from_params(
    mut params: Map<String, Value>,
    state: &AppState,
) -> Result<GraphqlRequest, RequestError> {
    let limits = &state.config.limits;
    let query = match params.remove("query") {
        Some(Value::String(q)) if !q.is_empty() => Some(q),
        Some(Value::String(_)) | Some(Value::Null) | None => None,
        Some(_) => return Err(RequestError::bad_request("`query` must be a string")),
    };
    let operation_name = match params.remove("operationName") {
        None | Some(Value::Null) => None,
        Some(Value::String(n)) => Some(n),
        Some(_) => {
            return Err(RequestError::bad_request(
                "`operationName` must be a string",
            ));
        }
    };
    let variables = match params.remove("variables") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(m)) => m,
        Some(_) => return Err(RequestError::bad_request("`variables` must be an object")),
    };
    let extensions = match params.remove("extensions") {
        None | Some(Value::Null) => None,
        Some(Value::Object(e)) => Some(e),
        Some(_) => return Err(RequestError::bad_request("`extensions` must be an object")),
    };
    let query = persisted_document(state, query, extensions.as_ref())?;
    let max = limits.max_variables_bytes;
    if json_len(&variables) > max {
        return Err(RequestError::new(
            StatusCode::BAD_REQUEST,
            VARIABLES_TOO_LARGE,
            format!("`variables` is over {max} bytes of JSON"),
        ));
    }
    Ok(GraphqlRequest {
        query,
        operation_name,
        variables,
    })
}

/// The length of `variables` written as compact JSON: the same measure for `GET` and `POST`,
/// whatever whitespace the client sent.
/// The document to run: the one sent, or the automatic persisted query its extensions name.
fn persisted_document(
    state: &AppState,
    query: Option<String>,
    extensions: Option<&Map<String, Value>>,
) -> Result<String, RequestError> {
    use super::persisted::Refusal;
    match state.persisted.resolve(query, extensions) {
        Ok(Some(q)) => Ok(q),
        Ok(None) => Err(RequestError::bad_request("the request has no `query`")),
        // Apollo's clients look for this message and code, then send the document.
        Err(Refusal::NotFound) => Err(RequestError::invalid_document(
            PERSISTED_QUERY_NOT_FOUND,
            "PersistedQueryNotFound",
        )),
        Err(Refusal::Malformed(why)) => Err(RequestError::bad_request(why)),
        Err(Refusal::Mismatch) => Err(RequestError::bad_request(
            "the document does not hash to `persistedQuery.sha256Hash`",
        )),
    }
}

fn json_len(variables: &Map<String, Value>) -> usize {
    serde_json::to_vec(variables).map_or(usize::MAX, |v| v.len())
}

/// An operation to execute: kept whole so that it can run again, on the schema with null
/// propagation, when the first run has errors.
#[derive(Clone)]
struct Operation {
    query: String,
    variables: async_graphql::Variables,
    operation_name: Option<String>,
}

impl Operation {
    fn request(self, store: Arc<crate::store::Store>) -> async_graphql::Request {
        let request = async_graphql::Request::new(self.query)
            .variables(self.variables)
            .data(store);
        match self.operation_name {
            Some(name) => request.operation_name(name),
            None => request,
        }
    }
}

/// A request on its way to the executor: what it is, how it came, the graph it runs on
/// and its key in the response cache.
struct Job {
    request: GraphqlRequest,
    transport: Transport,
    graph: super::Graph,
    key: CacheKey,
}

/// Guards, executes and answers one request, and keeps a clean answer for next time.
async fn execute(state: &AppState, media: Media, headers: &HeaderMap, job: Job) -> Answer {
    // `answer_request` has already put the operation name on the request's log context.
    let operation: Option<Arc<str>> = job.request.operation_name.as_deref().map(Arc::from);
    let mut answer = run(state, media, headers, job, operation.clone()).await;
    answer.operation = operation;
    answer
}

async fn run(
    state: &AppState,
    media: Media,
    headers: &HeaderMap,
    job: Job,
    operation: Option<Arc<str>>,
) -> Answer {
    let Job {
        request,
        transport,
        graph,
        key,
    } = job;
    let _permit = match take_permit(state) {
        Ok(p) => p,
        Err(e) => return e.answer(media),
    };
    let document = state.documents.get(&request.query);
    let operation_name = request.operation_name.as_deref();
    // A document the guard has passed on its own (no limit read a variable) passes again.
    let passed = document
        .as_ref()
        .and_then(|d| d.guard_passed(operation_name));
    let (measured, by_document) = match passed {
        Some(measured) => (measured, true),
        None => match check_document(state, &request) {
            Ok(verdict) => (verdict.stats.parsed, !verdict.read_variables),
            Err(e) => return e.answer(media),
        },
    };
    if by_document && let Some(d) = &document {
        d.passed_guard(operation_name, measured);
    }
    // The fast path: a document async-graphql has validated before has a plan, which writes
    // the answer straight from the store. It answers only requests that succeed; for anything
    // else it bails, and async-graphql gives the exact answer below.
    if let Some(plan) = document
        .as_ref()
        .and_then(|d| d.plan(request.operation_name.as_deref()))
    {
        match plan.execute(&graph.store, &request.variables) {
            Ok(mut body) => {
                state.metrics.cache_hit(Cache::Plan);
                // Kept in the response cache: no spare capacity.
                body.shrink_to_fit();
                let answer = Success {
                    body: Bytes::from(body),
                    operation,
                };
                return answer.keep(state, &graph, key, media, transport, headers);
            }
            Err(crate::exec::Bail) => state.metrics.cache_miss(Cache::Plan),
        }
    }
    if document.is_some() {
        state.metrics.cache_hit(Cache::Document);
    } else {
        state.metrics.cache_miss(Cache::Document);
    }
    let variables = async_graphql::Variables::from_json(Value::Object(request.variables));
    let retry = Operation {
        query: request.query,
        variables,
        operation_name: request.operation_name,
    };
    let mut gql = retry.clone().request(graph.store.clone());
    if let Some(d) = &document {
        gql.set_parsed_query(d.doc.clone());
    }
    // Parsed here, once: async-graphql executes the parsed document it is handed, and the
    // parser's own verdict is what tells a parse error from a validation error (the guard
    // is deliberately more lenient than the grammar, so its word cannot).
    let operation_name = gql.operation_name.clone();
    let parsed = match gql.parsed_query() {
        Err(e) => {
            let error = error_object(&e, Some(GRAPHQL_PARSE_FAILED));
            return rejected(media, GRAPHQL_PARSE_FAILED, vec![error]);
        }
        // The guard found a syntax error that async-graphql's parser does not: it reads a
        // keyword run into a name (`queryX {`, `truex: 1`) as two tokens, where the spec
        // reads one name. The guard is never stricter than the spec, so the document is
        // not GraphQL; and the guard has not measured it, so it must not run.
        Ok(_) if !measured => {
            let error = error(
                "Syntax Error: the document does not follow the GraphQL grammar (a keyword \
                 such as `query`, `fragment` or `true` may be run into the name after it)",
                GRAPHQL_PARSE_FAILED,
            );
            return rejected(media, GRAPHQL_PARSE_FAILED, vec![error]);
        }
        // GET must be safe: caches and prefetchers replay it.
        Ok(doc) if transport == Transport::Get && is_mutation(doc, operation_name.as_deref()) => {
            return RequestError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                METHOD_NOT_ALLOWED,
                "only queries may be sent with GET; send mutations with POST",
            )
            .with_header(header::ALLOW, "POST")
            .answer(media);
        }
        Ok(doc) => document.is_none().then(|| doc.clone()),
    };
    let document = match parsed {
        Some(doc) => Some(state.documents.insert(&gql.query, doc)),
        None => document,
    };
    let timeout = state.config.limits.request_timeout;
    let run = async {
        let response = state.fast_schema.execute(gql).await;
        if response.errors.is_empty() {
            return response;
        }
        // Errors: run again with null propagation, for the shape the spec gives them.
        state
            .schema
            .execute(retry.request(graph.store.clone()))
            .await
    };
    let response = match tokio::time::timeout(timeout, run).await {
        Ok(response) => response,
        Err(_) => {
            return RequestError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                TIMEOUT,
                "the request took too long",
            )
            .with_header(header::RETRY_AFTER, "1")
            .answer(media);
        }
    };
    // The document validated (a request error is the only sign it did not), so it may have
    // a plan from now on.
    if !is_request_error(&response)
        && let Some(d) = &document
    {
        d.validated(operation_name.as_deref());
    }
    if !response.errors.is_empty() {
        return respond(media, response);
    }
    let answer = Success {
        body: success_body(&response.data),
        operation,
    };
    answer.keep(state, &graph, key, media, transport, headers)
}

/// A clean answer, from either executor.
struct Success {
    body: Bytes,
    operation: Option<Arc<str>>,
}

impl Success {
    /// Keeps the answer for next time (it depends only on the request and the graph) and
    /// sends it.
    fn keep(
        self,
        state: &AppState,
        graph: &super::Graph,
        key: CacheKey,
        media: Media,
        transport: Transport,
        headers: &HeaderMap,
    ) -> Answer {
        let cached = Cached {
            // Only GET answers carry an ETag (a POST's key is its body, so POST entries are
            // only ever served to POSTs).
            etag: match transport {
                Transport::Get => etag(&self.body),
                Transport::Post => Bytes::new(),
            },
            body: self.body,
            operation: self.operation,
            // The compression layer compresses this first answer, if the client asks.
            encoding: Encoding::Identity,
        };
        state
            .responses
            .insert(graph.generation, key.shape, key.bytes, cached.clone());
        Answer {
            response: cached_response(media, cached, transport, headers),
            operation: None,
            outcome: Outcome::Ok,
        }
    }
}

/// `{"data": …}`, serialised straight from async-graphql's value (no detour through a
/// serde_json tree).
fn success_body(data: &async_graphql::Value) -> Bytes {
    let mut out = Vec::with_capacity(512);
    out.extend_from_slice(b"{\"data\":");
    if serde_json::to_writer(&mut out, data).is_err() {
        out.truncate(8);
        out.extend_from_slice(b"null");
    }
    out.push(b'}');
    // Kept in the response cache: no spare capacity.
    out.shrink_to_fit();
    Bytes::from(out)
}

/// A 200 with a successful body. Over `GET` it carries an ETag and `Cache-Control: no-cache`,
/// so that browsers and proxies keep it and revalidate with `If-None-Match`, which earns a 304.
fn cached_response(
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
    h.insert(header::CONTENT_TYPE, media.content_type());
    // A compressed copy: the compression layer leaves it as it is, and so does not add the
    // `Vary` it would have. A 304 has no body to be in a coding.
    if let Some(coding) = cached.encoding.header_value() {
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

/// Sheds load: with every permit taken the request is answered at once with 503 rather than
/// queued, so that a burst cannot build a backlog that outlives it.
fn take_permit(state: &AppState) -> Result<SemaphorePermit<'_>, RequestError> {
    state.permits.try_acquire().map_err(|_| {
        RequestError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            OVERLOADED,
            "the server is busy; try again shortly",
        )
        .with_header(header::RETRY_AFTER, "1")
    })
}

/// Runs the linear-time guard, before async-graphql parses or validates anything (its own
/// validation can be made to take seconds first). `Stats::parsed` says whether the guard
/// measured the document; one it could not parse carries only its document-level counts.
fn check_document(state: &AppState, request: &GraphqlRequest) -> Result<Guarded, RequestError> {
    let read = std::cell::Cell::new(false);
    let variable = |name: &str| {
        read.set(true);
        request.variables.get(name).and_then(Value::as_i64)
    };
    let stats = guard::check(
        &request.query,
        request.operation_name.as_deref(),
        &variable,
        &state.config.limits.document,
    )
    .map_err(|r| RequestError::new(StatusCode::BAD_REQUEST, r.code, r.message))?;
    Ok(Guarded {
        stats,
        read_variables: read.get(),
    })
}

/// The guard's verdict on a request it let through.
struct Guarded {
    stats: guard::Stats,
    /// Whether a limit read a variable (a page size): then the verdict holds for these
    /// variables only, and the next request with the document is measured again.
    read_variables: bool,
}

/// Whether the operation that would run is a mutation or subscription (GET allows queries only).
fn is_mutation(doc: &ExecutableDocument, operation_name: Option<&str>) -> bool {
    let not_query = |t: OperationType| t != OperationType::Query;
    match &doc.operations {
        DocumentOperations::Single(op) => not_query(op.node.ty),
        DocumentOperations::Multiple(ops) => match operation_name {
            Some(name) => ops.get(name).is_some_and(|op| not_query(op.node.ty)),
            None => false,
        },
    }
}

/// Whether async-graphql refused the request before executing it: it did not validate, its
/// variables did not coerce, or no operation could be chosen (parse errors are answered
/// before execution). Those come back
/// with null `data` and errors that point at no field; an execution error always has a path.
fn is_request_error(response: &async_graphql::Response) -> bool {
    response.data == async_graphql::Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|e| e.path.is_empty())
}

/// One async-graphql error as JSON, given `code` unless it already has one.
fn error_object(e: &async_graphql::ServerError, code: Option<&str>) -> Value {
    let mut v =
        serde_json::to_value(e).unwrap_or_else(|_| error("internal error", INTERNAL_SERVER_ERROR));
    if let (Some(code), Some(obj)) = (code, v.as_object_mut()) {
        let ext = obj.entry("extensions").or_insert_with(|| json!({}));
        if let Some(ext) = ext.as_object_mut() {
            ext.entry("code").or_insert_with(|| Value::from(code));
        }
    }
    v
}

/// A document refused before execution: the errors with no `data`, at the spec's status.
fn rejected(media: Media, code: &'static str, errors: Vec<Value>) -> Answer {
    Answer {
        response: errors_response(invalid_status(media), media, errors),
        operation: None,
        outcome: Outcome::Rejected(code),
    }
}

/// Turns async-graphql's response into ours: a request error has no `data`, a code on every
/// error and the spec's status for the media type; anything that executed is 200 with `data`.
fn respond(media: Media, response: async_graphql::Response) -> Answer {
    let answer = |response, outcome| Answer {
        response,
        operation: None,
        outcome,
    };
    if is_request_error(&response) {
        let errors = response
            .errors
            .iter()
            .map(|e| error_object(e, Some(GRAPHQL_VALIDATION_FAILED)))
            .collect();
        return rejected(media, GRAPHQL_VALIDATION_FAILED, errors);
    }
    let outcome = if response.errors.is_empty() {
        Outcome::Ok
    } else {
        Outcome::Error
    };
    let mut body = Map::new();
    body.insert(
        "data".into(),
        serde_json::to_value(&response.data).unwrap_or(Value::Null),
    );
    if !response.errors.is_empty() {
        let errors = response
            .errors
            .iter()
            .map(|e| error_object(e, None))
            .collect();
        body.insert("errors".into(), Value::Array(errors));
    }
    answer(
        json_response(StatusCode::OK, media, Value::Object(body)),
        outcome,
    )
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
    RequestError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        INTERNAL_SERVER_ERROR,
        "internal server error",
    )
    .into_response(Media::Json)
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
