//! The miss path of `Engine::execute`: take a concurrency permit, run the document guard,
//! answer from a plan when the document has one, otherwise parse and execute with
//! async-graphql under the timeout, and keep a clean answer for next time.

use std::sync::Arc;

use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, OperationType, Selection, SelectionSet,
};
use axum::body::Bytes;
use serde_json::{Map, Value, json};
use tokio::sync::{Semaphore, SemaphorePermit};

use super::cache::{Cached, Coding, DocumentCache, ResponseCache, Shape, etag};
use super::graph::Graph;
use super::observer::{CacheName, Observer};
use super::outcome::{Answer, Refusal, error};
use super::request::{GraphqlRequest, TRUSTED_ONLY, Transport};
use crate::config::Limits;
use crate::error_code::ErrorCode;
use crate::guard;
use crate::schema::LeapSchema;

/// What runs a request that missed the response cache, and that cache (which keeps its
/// clean answer).
pub(super) struct Executors {
    /// The schema with null propagation as the spec defines it (see `schema::nulls`).
    pub schema: LeapSchema,
    /// The same schema without that extension, which costs a quarter of an execution: a
    /// request that executes without errors comes out the same from both, so requests run
    /// here first and only one with errors runs again on `schema`.
    pub fast_schema: LeapSchema,
    /// Parsed documents by their text, with the guard's verdict and their plans.
    pub documents: DocumentCache,
    /// Clean answers of the current generation, served again as they are.
    pub responses: ResponseCache,
    /// Requests running at once; past them a request is shed.
    pub permits: Arc<Semaphore>,
    pub limits: Limits,
}

/// A request as the response cache knows it: the generation of the graph and manifest it
/// ran under, its shape and its exact bytes.
pub(super) struct CacheKey {
    pub generation: u64,
    pub shape: Shape,
    pub bytes: Bytes,
}

/// A request on its way to the executor: what it is, how it came, the graph it runs on, its
/// key in the response cache and its operation name.
pub(super) struct Job {
    pub request: GraphqlRequest,
    pub transport: Transport,
    pub graph: Graph,
    pub key: CacheKey,
    pub operation: Option<Arc<str>>,
}

/// The guard's verdict on a request it let through.
struct GuardVerdict {
    stats: guard::Stats,
    /// Whether a limit read a variable (a page size): then the verdict holds for these
    /// variables only, and the next request with the document is measured again.
    read_variables: bool,
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

impl Executors {
    /// Guards, executes and answers one request, and keeps a clean answer for next time.
    pub(super) async fn run<O: Observer>(&self, job: Job, observer: &O) -> Answer {
        let Job {
            request,
            transport,
            graph,
            key,
            operation,
        } = job;
        let _permit = match self.take_permit() {
            Ok(p) => p,
            Err(e) => return Answer::Refused(e),
        };
        let document = self.documents.get(&request.query);
        let operation_name = request.operation_name.as_deref();
        if request.introspection_only
            && let Some(d) = &document
            && !is_introspection(&d.doc, operation_name)
        {
            return Answer::Refused(trusted_only());
        }
        // A document the guard has passed on its own (no limit read a variable) passes again.
        let passed = document
            .as_ref()
            .and_then(|d| d.guard_passed(operation_name));
        let (measured, by_document) = match passed {
            Some(measured) => (measured, true),
            None => match self.check_document(&request) {
                Ok(verdict) => (verdict.stats.parsed, !verdict.read_variables),
                Err(e) => return Answer::Refused(e),
            },
        };
        if by_document && let Some(d) = &document {
            d.passed_guard(operation_name, measured);
        }
        // The fast path: a document async-graphql has validated before has a plan, which
        // writes the answer straight from the store. It answers only requests that succeed;
        // for anything else it bails, and async-graphql gives the exact answer below.
        if let Some(plan) = document
            .as_ref()
            .and_then(|d| d.plan(request.operation_name.as_deref()))
        {
            match plan.execute(&graph.store, &request.variables) {
                Ok(mut body) => {
                    observer.cache(CacheName::Plan, true);
                    // Kept in the response cache: no spare capacity.
                    body.shrink_to_fit();
                    return self.keep(Bytes::from(body), operation, key, transport);
                }
                Err(crate::exec::Bail) => observer.cache(CacheName::Plan, false),
            }
        }
        observer.cache(CacheName::Document, document.is_some());
        let request_introspection_only = request.introspection_only;
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
                let error = error_object(&e, Some(ErrorCode::GraphqlParseFailed));
                return rejected(ErrorCode::GraphqlParseFailed, vec![error]);
            }
            // The guard found a syntax error that async-graphql's parser does not: it reads a
            // keyword run into a name (`queryX {`, `truex: 1`) as two tokens, where the spec
            // reads one name. The guard is never stricter than the spec, so the document is
            // not GraphQL; and the guard has not measured it, so it must not run.
            Ok(_) if !measured => {
                let error = error(
                    "Syntax Error: the document does not follow the GraphQL grammar (a keyword \
                     such as `query`, `fragment` or `true` may be run into the name after it)",
                    ErrorCode::GraphqlParseFailed,
                );
                return rejected(ErrorCode::GraphqlParseFailed, vec![error]);
            }
            // Parsed only now, after the guard has measured it: a document sent as text to a
            // server that runs only trusted documents may ask for introspection and nothing
            // else.
            Ok(doc)
                if request_introspection_only
                    && !is_introspection(doc, operation_name.as_deref()) =>
            {
                return Answer::Refused(trusted_only());
            }
            // GET must be safe: caches and prefetchers replay it.
            Ok(doc)
                if transport == Transport::Get && is_mutation(doc, operation_name.as_deref()) =>
            {
                return Answer::Refused(Refusal::new(
                    ErrorCode::MethodNotAllowed,
                    "only queries may be sent with GET; send mutations with POST",
                ));
            }
            Ok(doc) => document.is_none().then(|| doc.clone()),
        };
        let document = match parsed {
            Some(doc) => Some(self.documents.insert(&gql.query, doc)),
            None => document,
        };
        let run = async {
            let response = self.fast_schema.execute(gql).await;
            if response.errors.is_empty() {
                return response;
            }
            // Errors: run again with null propagation, for the shape the spec gives them.
            self.schema
                .execute(retry.request(graph.store.clone()))
                .await
        };
        let response = match tokio::time::timeout(self.limits.request_timeout, run).await {
            Ok(response) => response,
            Err(_) => {
                return Answer::Refused(Refusal::new(
                    ErrorCode::Timeout,
                    "the request took too long",
                ));
            }
        };
        // The document validated (a request error is the only sign it did not), so it may
        // have a plan from now on.
        if !is_request_error(&response)
            && let Some(d) = &document
        {
            d.validated(operation_name.as_deref());
        }
        if !response.errors.is_empty() {
            return with_errors(response);
        }
        let body = success_body(&response.data);
        self.keep(body, operation, key, transport)
    }

    /// Keeps a clean answer, from either executor, for next time (it depends only on the
    /// request and the graph), and answers with it.
    fn keep(
        &self,
        body: Bytes,
        operation: Option<Arc<str>>,
        key: CacheKey,
        transport: Transport,
    ) -> Answer {
        let cached = Cached {
            // Only GET answers carry an ETag (a POST's key is its body, so POST entries are
            // only ever served to POSTs).
            etag: match transport {
                Transport::Get => etag(&body),
                Transport::Post => Bytes::new(),
            },
            body,
            operation,
            // The compression layer compresses this first answer, if the client asks.
            coding: Coding::Identity,
        };
        self.responses
            .insert(key.generation, key.shape, key.bytes, cached.clone());
        Answer::Clean(cached)
    }

    /// Sheds load: with every permit taken the request is answered at once with 503 rather
    /// than queued, so that a burst cannot build a backlog that outlives it.
    fn take_permit(&self) -> Result<SemaphorePermit<'_>, Refusal> {
        self.permits.try_acquire().map_err(|_| {
            Refusal::new(
                ErrorCode::Overloaded,
                "the server is busy; try again shortly",
            )
        })
    }

    /// Runs the linear-time guard, before async-graphql parses or validates anything (its own
    /// validation can be made to take seconds first). `Stats::parsed` says whether the guard
    /// measured the document; one it could not parse carries only its document-level counts.
    fn check_document(&self, request: &GraphqlRequest) -> Result<GuardVerdict, Refusal> {
        let read = std::cell::Cell::new(false);
        let variable = |name: &str| {
            read.set(true);
            request.variables.get(name).and_then(Value::as_i64)
        };
        let stats = guard::check(
            &request.query,
            request.operation_name.as_deref(),
            &variable,
            &self.limits.document,
        )
        .map_err(|r| Refusal::new(r.code, r.message))?;
        Ok(GuardVerdict {
            stats,
            read_variables: read.get(),
        })
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

/// Whether the operation that would run is a mutation or subscription (GET allows queries
/// only).
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

/// The refusal of a document sent as text to a server that runs only trusted documents.
fn trusted_only() -> Refusal {
    Refusal::new(ErrorCode::TrustedDocumentRequired, TRUSTED_ONLY)
}

/// Whether the operation that would run asks only for introspection: every field at its root
/// (through fragments) is `__schema`, `__type` or `__typename`.
fn is_introspection(doc: &ExecutableDocument, operation_name: Option<&str>) -> bool {
    let operation = match (&doc.operations, operation_name) {
        (DocumentOperations::Single(op), _) => op,
        (DocumentOperations::Multiple(ops), Some(name)) => match ops.get(name) {
            Some(op) => op,
            None => return false,
        },
        // One named operation, run without `operationName`.
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => match ops.values().next() {
            Some(op) => op,
            None => return false,
        },
        (DocumentOperations::Multiple(_), None) => return false,
    };
    operation.node.ty == OperationType::Query
        && only_introspection(doc, &operation.node.selection_set.node, &mut Vec::new())
}

fn only_introspection<'d>(
    doc: &'d ExecutableDocument,
    set: &'d SelectionSet,
    visiting: &mut Vec<&'d str>,
) -> bool {
    set.items.iter().all(|item| match &item.node {
        Selection::Field(f) => matches!(
            f.node.name.node.as_str(),
            "__schema" | "__type" | "__typename"
        ),
        Selection::InlineFragment(f) => {
            only_introspection(doc, &f.node.selection_set.node, visiting)
        }
        Selection::FragmentSpread(s) => {
            let name = s.node.fragment_name.node.as_str();
            // A cycle is no introspection (and the guard refuses it before this).
            if visiting.contains(&name) {
                return false;
            }
            let Some(fragment) = doc.fragments.get(&s.node.fragment_name.node) else {
                return false;
            };
            visiting.push(name);
            let only = only_introspection(doc, &fragment.node.selection_set.node, visiting);
            visiting.pop();
            only
        }
    })
}

/// Whether async-graphql refused the request before executing it: it did not validate, its
/// variables did not coerce, or no operation could be chosen (parse errors are answered
/// before execution). Those come back with null `data` and errors that point at no field; an
/// execution error always has a path.
fn is_request_error(response: &async_graphql::Response) -> bool {
    response.data == async_graphql::Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|e| e.path.is_empty())
}

/// One async-graphql error as JSON, given `code` unless it already has one.
fn error_object(e: &async_graphql::ServerError, code: Option<ErrorCode>) -> Value {
    let mut v = serde_json::to_value(e)
        .unwrap_or_else(|_| error("internal error", ErrorCode::InternalServerError));
    if let (Some(code), Some(obj)) = (code, v.as_object_mut()) {
        let ext = obj.entry("extensions").or_insert_with(|| json!({}));
        if let Some(ext) = ext.as_object_mut() {
            ext.entry("code")
                .or_insert_with(|| Value::from(code.as_str()));
        }
    }
    v
}

/// A document refused before execution: the errors, with no `data`.
fn rejected(code: ErrorCode, errors: Vec<Value>) -> Answer {
    Answer::Refused(Refusal { code, errors })
}

/// Turns async-graphql's response with errors into ours: a request error has no `data` and a
/// code on every error; anything that executed has `data` and its errors.
fn with_errors(response: async_graphql::Response) -> Answer {
    if is_request_error(&response) {
        let errors = response
            .errors
            .iter()
            .map(|e| error_object(e, Some(ErrorCode::GraphqlValidationFailed)))
            .collect();
        return rejected(ErrorCode::GraphqlValidationFailed, errors);
    }
    let mut body = Map::new();
    body.insert(
        "data".into(),
        serde_json::to_value(&response.data).unwrap_or(Value::Null),
    );
    let errors = response
        .errors
        .iter()
        .map(|e| error_object(e, None))
        .collect();
    body.insert("errors".into(), Value::Array(errors));
    Answer::WithErrors(Bytes::from(Value::Object(body).to_string()))
}
