//! Reading a request's parameters out of its raw bytes, by the GraphQL-over-HTTP spec: a
//! `POST` body is one JSON object, a `GET` query string holds each parameter at most once with
//! `variables` and `extensions` as JSON text; then the same checks for both, and the document
//! to run: the one sent, a trusted document named by its hash, or an automatic persisted
//! query. Runs only on a response-cache miss. Also the request as the transport hands it in
//! ([`Request`]).

use axum::body::Bytes;
use serde_json::{Map, Value};

use super::cache::Coding;
use super::outcome::Refusal;
use super::persisted::{self, PersistedQueries, Unresolved};
use super::trusted::{Manifest, Policy, parse_document_id, sha256};
use crate::config::Limits;
use crate::error_code::ErrorCode;

/// The media type a response is sent as; part of the response cache's key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Media {
    GraphqlResponse,
    Json,
}

/// How the request came, which decides what it may do (only queries over `GET`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    Get,
    Post,
}

/// A request's raw bytes, as the transport read them: the response cache's key.
#[derive(Clone, Copy)]
pub enum Raw<'a> {
    /// A `POST` body: one JSON object.
    Body(&'a Bytes),
    /// A `GET` query string, URL-encoded.
    QueryString(&'a str),
}

impl Raw<'_> {
    pub fn transport(self) -> Transport {
        match self {
            Raw::Body(_) => Transport::Post,
            Raw::QueryString(_) => Transport::Get,
        }
    }

    pub(super) fn bytes(&self) -> &[u8] {
        match self {
            Raw::Body(b) => b,
            Raw::QueryString(q) => q.as_bytes(),
        }
    }

    /// The key to keep an answer under: made only for a miss, as a copy of a query string
    /// costs an allocation and a body only a reference count.
    pub(super) fn owned(self) -> Bytes {
        match self {
            Raw::Body(b) => b.clone(),
            Raw::QueryString(q) => Bytes::copy_from_slice(q.as_bytes()),
        }
    }
}

/// One request for the engine.
pub struct Request<'a> {
    pub raw: Raw<'a>,
    pub media: Media,
    /// The coding the client would like a kept answer in (a copy is kept per coding).
    pub coding: Coding,
    /// Who sent it, as far as writes care.
    pub caller: Caller<'a>,
}

/// Who sent a request: the client's address (writes are limited per address) and the
/// bearer token of its `Authorization` header (moderation needs the admin's).
#[derive(Clone, Copy, Default)]
pub struct Caller<'a> {
    pub addr: Option<std::net::IpAddr>,
    /// Reads the bearer token, called only once the request turns out to be a mutation: a
    /// cache hit never looks for the header.
    pub bearer: Option<&'a (dyn Fn() -> Option<&'a str> + Send + Sync)>,
}

/// One GraphQL request, once it has been read and its parameters checked.
pub(super) struct GraphqlRequest {
    pub query: String,
    pub operation_name: Option<String>,
    pub variables: Map<String, Value>,
    /// The document was sent as text to a server that runs only trusted documents and
    /// allows introspection: it may run only if it asks for nothing else.
    pub introspection_only: bool,
}

/// Where a request's document may come from: the trusted documents' manifest, automatic
/// persisted queries, or the request itself, as the policy allows.
pub(super) struct Documents<'a> {
    pub persisted: &'a PersistedQueries,
    pub manifest: Option<&'a Manifest>,
    pub policy: Policy,
}

/// Reads the request out of its raw bytes.
pub(super) fn read(
    raw: Raw<'_>,
    documents: &Documents<'_>,
    limits: &Limits,
) -> Result<GraphqlRequest, Refusal> {
    let params = match raw {
        Raw::Body(bytes) => post_params(bytes)?,
        Raw::QueryString(query) => get_params(query)?,
    };
    request_from_params(params, documents, limits)
}

/// Parses a `POST`'s body: UTF-8 JSON, and one request object.
fn post_params(bytes: &[u8]) -> Result<Map<String, Value>, Refusal> {
    let text = std::str::from_utf8(bytes)
        .map_err(|e| Refusal::bad_request(format!("the body is not UTF-8: {e}")))?;
    // serde_json stops at 128 levels of nesting, so a deep body cannot exhaust the stack.
    let value: Value = serde_json::from_str(text)
        .map_err(|e| Refusal::bad_request(format!("the body is not valid JSON: {e}")))?;
    match value {
        Value::Object(params) => Ok(params),
        Value::Array(_) => Err(Refusal::new(
            ErrorCode::BatchNotSupported,
            "batched requests are not supported; send one request per HTTP request",
        )),
        _ => Err(Refusal::bad_request(
            "the body must be a JSON object with a `query`",
        )),
    }
}

/// Reads a `GET`'s query string (the transport has checked its length): each parameter at
/// most once; `variables` and `extensions` are JSON text, as the spec says.
fn get_params(raw: &str) -> Result<Map<String, Value>, Refusal> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw)
        .map_err(|_| Refusal::bad_request("the query string does not parse"))?;
    let mut params = Map::new();
    for (name, text) in pairs {
        let value = match name.as_str() {
            // An empty form field means the parameter was left out.
            _ if text.is_empty() => continue,
            "query" | "operationName" | "documentId" => Value::String(text),
            "variables" | "extensions" => serde_json::from_str(&text)
                .map_err(|_| Refusal::bad_request(format!("`{name}` must be URL-encoded JSON")))?,
            // Other parameters (cache busters and the like) are not ours to judge.
            _ => continue,
        };
        // Two values for one parameter would let a cache or firewall see one document while
        // we run another.
        if params.insert(name.clone(), value).is_some() {
            return Err(Refusal::bad_request(format!(
                "`{name}` is given more than once"
            )));
        }
    }
    Ok(params)
}

/// Checks the request parameters (the same for `GET` and `POST`): `query` a non-empty string,
/// `documentId` and `operationName` strings or null, `variables` and `extensions` objects or
/// null, and `variables` within its size limit. Other members are ignored, as the spec allows.
fn request_from_params(
    mut params: Map<String, Value>,
    documents: &Documents<'_>,
    limits: &Limits,
) -> Result<GraphqlRequest, Refusal> {
    let query = match params.remove("query") {
        Some(Value::String(q)) if !q.is_empty() => Some(q),
        Some(Value::String(_)) | Some(Value::Null) | None => None,
        Some(_) => return Err(Refusal::bad_request("`query` must be a string")),
    };
    let document_id = match params.remove("documentId") {
        None | Some(Value::Null) => None,
        Some(Value::String(id)) => Some(id),
        Some(_) => return Err(Refusal::bad_request("`documentId` must be a string")),
    };
    let operation_name = match params.remove("operationName") {
        None | Some(Value::Null) => None,
        Some(Value::String(n)) => Some(n),
        Some(_) => return Err(Refusal::bad_request("`operationName` must be a string")),
    };
    let variables = match params.remove("variables") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(m)) => m,
        Some(_) => return Err(Refusal::bad_request("`variables` must be an object")),
    };
    let extensions = match params.remove("extensions") {
        None | Some(Value::Null) => None,
        Some(Value::Object(e)) => Some(e),
        Some(_) => return Err(Refusal::bad_request("`extensions` must be an object")),
    };
    let (query, introspection_only) = document(documents, query, document_id, extensions.as_ref())?;
    let max = limits.max_variables_bytes;
    if json_len(&variables) > max {
        return Err(Refusal::new(
            ErrorCode::VariablesTooLarge,
            format!("`variables` is over {max} bytes of JSON"),
        ));
    }
    Ok(GraphqlRequest {
        query,
        operation_name,
        variables,
        introspection_only,
    })
}

/// The document to run, and whether it may run only if it is introspection: a trusted
/// document named by `documentId` or by `persistedQuery.sha256Hash`, an automatic persisted
/// query, or the text sent, as the policy allows.
fn document(
    documents: &Documents<'_>,
    query: Option<String>,
    document_id: Option<String>,
    extensions: Option<&Map<String, Value>>,
) -> Result<(String, bool), Refusal> {
    let trusted = |hash: &[u8; 32]| documents.manifest.and_then(|m| m.get(hash));
    let policy = documents.policy;
    if let Some(id) = document_id {
        if query.is_some() {
            return Err(Refusal::bad_request(
                "send either `query` or `documentId`, not both",
            ));
        }
        let hash = parse_document_id(&id).ok_or_else(|| {
            Refusal::bad_request(
                "`documentId` must be a SHA-256 hash: 64 hex digits, bare or after `sha256:`",
            )
        })?;
        return match trusted(&hash) {
            Some(doc) => Ok((doc.to_string(), false)),
            None => Err(not_trusted("no trusted document has this `documentId`")),
        };
    }
    if let Some(ext) = extensions.and_then(|e| e.get("persistedQuery")) {
        let hash = persisted::parse(ext).map_err(unresolved)?;
        if let Some(doc) = trusted(&hash) {
            if query.as_deref().is_some_and(|q| sha256(q) != hash) {
                return Err(unresolved(Unresolved::Mismatch));
            }
            return Ok((doc.to_string(), false));
        }
        if policy.only {
            return Err(match query {
                Some(_) => text_refused(
                    "automatic persisted queries cannot register documents: this server runs \
                     only the trusted documents of its manifest",
                ),
                None => not_trusted("no trusted document has this `sha256Hash`"),
            });
        }
        return documents
            .persisted
            .resolve(query, hash)
            .map(|q| (q, false))
            .map_err(unresolved);
    }
    let Some(query) = query else {
        return Err(Refusal::bad_request(
            "the request has no `query` (nor `documentId`)",
        ));
    };
    if !policy.only || trusted(&sha256(&query)).is_some() {
        return Ok((query, false));
    }
    if policy.allow_introspection {
        return Ok((query, true));
    }
    Err(text_refused(TRUSTED_ONLY))
}

/// What a server that runs only trusted documents says to a document sent as text.
pub(super) const TRUSTED_ONLY: &str = "this server runs only trusted documents: send the \
    document's hash as `documentId` or `extensions.persistedQuery.sha256Hash`, not its text";

fn text_refused(message: &str) -> Refusal {
    Refusal::new(ErrorCode::TrustedDocumentRequired, message)
}

fn not_trusted(message: &str) -> Refusal {
    Refusal::new(ErrorCode::TrustedDocumentNotFound, message)
}

/// An automatic persisted query that cannot be served.
fn unresolved(why: Unresolved) -> Refusal {
    match why {
        // Apollo's clients look for this message and code, then send the document.
        Unresolved::NotFound => {
            Refusal::new(ErrorCode::PersistedQueryNotFound, "PersistedQueryNotFound")
        }
        Unresolved::Malformed(why) => Refusal::bad_request(why),
        Unresolved::Mismatch => {
            Refusal::bad_request("the document does not hash to `persistedQuery.sha256Hash`")
        }
    }
}

/// The length of `variables` written as compact JSON: the same measure for `GET` and `POST`,
/// whatever whitespace the client sent.
fn json_len(variables: &Map<String, Value>) -> usize {
    serde_json::to_vec(variables).map_or(usize::MAX, |v| v.len())
}
