//! The GraphQL endpoint, by the GraphQL-over-HTTP spec: `POST` with a JSON body, `GET` with
//! query parameters for queries only, content negotiation between
//! `application/graphql-response+json` and `application/json`, and every request error
//! answered with a status, a stable code and no `data`.

use std::any::Any;
use std::collections::HashMap;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::AppState;
use crate::guard;

const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";
const JSON: &str = "application/json";

/// The media type a response is sent as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Media {
    GraphqlResponse,
    Json,
}

impl Media {
    fn content_type(self) -> HeaderValue {
        HeaderValue::from_static(match self {
            Media::GraphqlResponse => "application/graphql-response+json; charset=utf-8",
            Media::Json => "application/json; charset=utf-8",
        })
    }
}

/// Picks the response media type from `Accept`: the acceptable type with the highest
/// quality, `application/graphql-response+json` on a tie or for `*/*`, and
/// `application/json` when the client sends no `Accept` at all (as older clients do).
/// `None` when nothing acceptable is offered (406).
pub fn negotiate(headers: &HeaderMap) -> Option<Media> {
    let values: Vec<&str> = headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    if values.iter().all(|v| v.trim().is_empty()) {
        return Some(Media::Json);
    }
    let mut best: Option<(f32, Media)> = None;
    for range in values.iter().flat_map(|v| v.split(',')) {
        let mut parts = range.split(';');
        let essence = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let mut q = 1.0f32;
        let mut charset_ok = true;
        for param in parts {
            let Some((k, v)) = param.split_once('=') else {
                continue;
            };
            let (k, v) = (
                k.trim().to_ascii_lowercase(),
                v.trim().trim_matches('"').to_ascii_lowercase(),
            );
            match k.as_str() {
                "q" => q = v.parse().unwrap_or(0.0),
                "charset" => charset_ok = v == "utf-8",
                _ => {}
            }
        }
        let media = match essence.as_str() {
            GRAPHQL_RESPONSE | "*/*" | "application/*" => Media::GraphqlResponse,
            JSON => Media::Json,
            _ => continue,
        };
        if q <= 0.0 || !charset_ok {
            continue;
        }
        let better = match best {
            None => true,
            Some((bq, bm)) => {
                q > bq || (q == bq && media == Media::GraphqlResponse && bm == Media::Json)
            }
        };
        if better {
            best = Some((q, media));
        }
    }
    best.map(|(_, m)| m)
}

/// An error object as the GraphQL spec shapes it, with our stable code.
fn error(message: impl Into<String>, code: &str) -> Value {
    json!({ "message": message.into(), "extensions": { "code": code } })
}

/// A response to a request that never reached execution: an error list and no `data`.
fn request_error(status: StatusCode, media: Media, errors: Vec<Value>) -> Response {
    let mut r = (status, Body::from(json!({ "errors": errors }).to_string())).into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, media.content_type());
    r
}

/// The status for a request whose document did not parse or validate: 400 under
/// `application/graphql-response+json`; 200 under `application/json`, as legacy clients expect.
fn invalid_status(media: Media) -> StatusCode {
    match media {
        Media::GraphqlResponse => StatusCode::BAD_REQUEST,
        Media::Json => StatusCode::OK,
    }
}

/// One GraphQL request, once it has been read off the wire.
struct GraphqlRequest {
    query: String,
    operation_name: Option<String>,
    variables: Map<String, Value>,
}

pub async fn post(State(state): State<AppState>, headers: HeaderMap, body: Body) -> Response {
    let Some(media) = negotiate(&headers) else {
        return not_acceptable();
    };
    if !is_json(&headers) {
        return request_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            media,
            vec![error(
                "send the request as application/json",
                "UNSUPPORTED_MEDIA_TYPE",
            )],
        );
    }
    let limit = state.config.limits.max_body_bytes;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return too_large(media, limit);
    }
    let bytes: Bytes = match axum::body::to_bytes(body, limit).await {
        Ok(b) => b,
        Err(_) => return too_large(media, limit),
    };
    let request = match parse_body(&bytes, &state) {
        Ok(r) => r,
        Err((code, message)) => {
            return request_error(StatusCode::BAD_REQUEST, media, vec![error(message, code)]);
        }
    };
    execute(&state, media, request, false).await
}

pub async fn get(State(state): State<AppState>, headers: HeaderMap, uri: Uri) -> Response {
    if wants_html(&headers) {
        return super::playground::page();
    }
    let Some(media) = negotiate(&headers) else {
        return not_acceptable();
    };
    let raw = uri.query().unwrap_or("");
    if raw.len() > state.config.limits.max_query_string_bytes {
        return request_error(
            StatusCode::URI_TOO_LONG,
            media,
            vec![error(
                format!(
                    "the query string is over {} bytes; send long documents with POST",
                    state.config.limits.max_query_string_bytes
                ),
                "URI_TOO_LONG",
            )],
        );
    }
    let params: HashMap<String, String> =
        match serde_urlencoded::from_str::<Vec<(String, String)>>(raw) {
            Ok(pairs) => pairs.into_iter().collect(),
            Err(_) => {
                return request_error(
                    StatusCode::BAD_REQUEST,
                    media,
                    vec![error("the query string does not parse", "BAD_REQUEST")],
                );
            }
        };
    let Some(query) = params.get("query").filter(|q| !q.is_empty()) else {
        return request_error(
            StatusCode::BAD_REQUEST,
            media,
            vec![error(
                "give the document in the `query` parameter",
                "BAD_REQUEST",
            )],
        );
    };
    let variables = match params.get("variables").map(|v| v.as_str()) {
        None | Some("") | Some("null") => Map::new(),
        Some(text) => {
            if text.len() > state.config.limits.max_variables_bytes {
                return request_error(
                    StatusCode::BAD_REQUEST,
                    media,
                    vec![error("`variables` is too large", "VARIABLES_TOO_LARGE")],
                );
            }
            match serde_json::from_str::<Value>(text) {
                Ok(Value::Object(m)) => m,
                _ => {
                    return request_error(
                        StatusCode::BAD_REQUEST,
                        media,
                        vec![error("`variables` must be a JSON object", "BAD_REQUEST")],
                    );
                }
            }
        }
    };
    let request = GraphqlRequest {
        query: query.clone(),
        operation_name: params
            .get("operationName")
            .filter(|n| !n.is_empty())
            .cloned(),
        variables,
    };
    execute(&state, media, request, true).await
}

/// Anything but GET and POST on `/graphql`.
pub async fn other_method(method: Method) -> Response {
    let mut r = request_error(
        StatusCode::METHOD_NOT_ALLOWED,
        Media::Json,
        vec![error(
            format!("{method} is not allowed here; use GET for queries or POST"),
            "METHOD_NOT_ALLOWED",
        )],
    );
    r.headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static("GET, POST"));
    r
}

fn not_acceptable() -> Response {
    request_error(
        StatusCode::NOT_ACCEPTABLE,
        Media::Json,
        vec![error(
            "accept application/graphql-response+json or application/json",
            "NOT_ACCEPTABLE",
        )],
    )
}

fn too_large(media: Media, limit: usize) -> Response {
    request_error(
        StatusCode::PAYLOAD_TOO_LARGE,
        media,
        vec![error(
            format!("the request body is over {limit} bytes"),
            "PAYLOAD_TOO_LARGE",
        )],
    )
}

/// Whether the body is declared as JSON in UTF-8. `text/plain` is refused on purpose: a page
/// on another site can send it cross-origin without a preflight.
fn is_json(headers: &HeaderMap) -> bool {
    let Some(ct) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let mut parts = ct.split(';');
    let essence = parts.next().unwrap_or("").trim().to_ascii_lowercase();
    let charset_ok = parts.all(|p| match p.split_once('=') {
        Some((k, v)) if k.trim().eq_ignore_ascii_case("charset") => {
            v.trim().trim_matches('"').eq_ignore_ascii_case("utf-8")
        }
        _ => true,
    });
    essence == JSON && charset_ok
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

fn parse_body(bytes: &[u8], state: &AppState) -> Result<GraphqlRequest, (&'static str, String)> {
    let value: Value = serde_json::from_slice(bytes)
        .map_err(|e| ("BAD_REQUEST", format!("the body is not valid JSON: {e}")))?;
    let mut object = match value {
        Value::Object(o) => o,
        Value::Array(_) => {
            return Err((
                "BATCH_NOT_SUPPORTED",
                "batched requests are not supported; send one request per HTTP request".into(),
            ));
        }
        _ => {
            return Err((
                "BAD_REQUEST",
                "the body must be a JSON object with a `query`".into(),
            ));
        }
    };
    let query = match object.remove("query") {
        Some(Value::String(q)) if !q.is_empty() => q,
        Some(Value::String(_)) | None | Some(Value::Null) => {
            return Err(("BAD_REQUEST", "the body has no `query`".into()));
        }
        Some(_) => return Err(("BAD_REQUEST", "`query` must be a string".into())),
    };
    let operation_name = match object.remove("operationName") {
        None | Some(Value::Null) => None,
        Some(Value::String(n)) => Some(n),
        Some(_) => return Err(("BAD_REQUEST", "`operationName` must be a string".into())),
    };
    let variables = match object.remove("variables") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(m)) => m,
        Some(_) => return Err(("BAD_REQUEST", "`variables` must be an object".into())),
    };
    match object.remove("extensions") {
        None | Some(Value::Null) | Some(Value::Object(_)) => {}
        Some(_) => return Err(("BAD_REQUEST", "`extensions` must be an object".into())),
    }
    let max = state.config.limits.max_variables_bytes;
    if !variables.is_empty() && Value::Object(variables.clone()).to_string().len() > max {
        return Err((
            "VARIABLES_TOO_LARGE",
            format!("`variables` is over {max} bytes"),
        ));
    }
    Ok(GraphqlRequest {
        query,
        operation_name,
        variables,
    })
}

/// Guards, executes and answers one request.
async fn execute(
    state: &AppState,
    media: Media,
    request: GraphqlRequest,
    via_get: bool,
) -> Response {
    let Ok(_permit) = state.permits.try_acquire() else {
        let mut r = request_error(
            StatusCode::SERVICE_UNAVAILABLE,
            media,
            vec![error("the server is busy; try again shortly", "OVERLOADED")],
        );
        r.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        return r;
    };
    let limits = &state.config.limits;
    let variable = |name: &str| request.variables.get(name).and_then(Value::as_i64);
    let stats = match guard::check(
        &request.query,
        request.operation_name.as_deref(),
        &variable,
        &limits.document,
    ) {
        Ok(stats) => stats,
        Err(rejection) => {
            return request_error(
                StatusCode::BAD_REQUEST,
                media,
                vec![error(rejection.message, rejection.code)],
            );
        }
    };
    if via_get && is_mutation(&request.query, request.operation_name.as_deref()) {
        let mut r = request_error(
            StatusCode::METHOD_NOT_ALLOWED,
            media,
            vec![error(
                "only queries may be sent with GET; send mutations with POST",
                "METHOD_NOT_ALLOWED",
            )],
        );
        r.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("POST"));
        return r;
    }
    let mut gql = async_graphql::Request::new(request.query)
        .variables(async_graphql::Variables::from_json(Value::Object(
            request.variables,
        )))
        .data(state.graph());
    if let Some(name) = request.operation_name {
        gql = gql.operation_name(name);
    }
    let response =
        match tokio::time::timeout(limits.request_timeout, state.schema.execute(gql)).await {
            Ok(r) => r,
            Err(_) => {
                let mut r = request_error(
                    StatusCode::SERVICE_UNAVAILABLE,
                    media,
                    vec![error("the request took too long", "TIMEOUT")],
                );
                r.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
                return r;
            }
        };
    respond(media, response, stats.parsed)
}

/// Turns async-graphql's response into ours: a request error (the document did not parse or
/// validate) has no `data` and the spec's status; anything that executed is 200.
fn respond(media: Media, response: async_graphql::Response, parsed: bool) -> Response {
    let request_failed = response.data == async_graphql::Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|e| e.path.is_empty());
    let errors: Vec<Value> = response
        .errors
        .iter()
        .map(|e| {
            let mut v = serde_json::to_value(e)
                .unwrap_or_else(|_| error("internal error", "INTERNAL_SERVER_ERROR"));
            if request_failed {
                let code = if parsed {
                    "GRAPHQL_VALIDATION_FAILED"
                } else {
                    "GRAPHQL_PARSE_FAILED"
                };
                if let Some(obj) = v.as_object_mut() {
                    let ext = obj.entry("extensions").or_insert_with(|| json!({}));
                    if let Some(ext) = ext.as_object_mut() {
                        ext.entry("code").or_insert_with(|| Value::from(code));
                    }
                }
            }
            v
        })
        .collect();
    if request_failed {
        return request_error(invalid_status(media), media, errors);
    }
    let mut body = Map::new();
    body.insert(
        "data".into(),
        serde_json::to_value(&response.data).unwrap_or(Value::Null),
    );
    if !errors.is_empty() {
        body.insert("errors".into(), Value::Array(errors));
    }
    let mut r = (StatusCode::OK, Body::from(Value::Object(body).to_string())).into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, media.content_type());
    r
}

/// Whether the operation that would run is a mutation or subscription (GET allows queries only).
fn is_mutation(query: &str, operation_name: Option<&str>) -> bool {
    use async_graphql::parser::types::{DocumentOperations, OperationType};
    let Ok(doc) = async_graphql::parser::parse_query(query) else {
        return false;
    };
    let not_query = |t: OperationType| t != OperationType::Query;
    match &doc.operations {
        DocumentOperations::Single(op) => not_query(op.node.ty),
        DocumentOperations::Multiple(ops) => match operation_name {
            Some(name) => ops.get(name).is_some_and(|op| not_query(op.node.ty)),
            None => false,
        },
    }
}

/// A panic anywhere in a request: a 500 that says nothing of the internals.
pub fn panic_response(_err: Box<dyn Any + Send + 'static>) -> Response {
    tracing::error!("a request panicked; answered 500");
    request_error(
        StatusCode::INTERNAL_SERVER_ERROR,
        Media::Json,
        vec![error("internal server error", "INTERNAL_SERVER_ERROR")],
    )
}
