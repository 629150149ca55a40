//! The miss path of `Engine::execute`: take a concurrency permit, run the document guard,
//! answer from a plan when the document has one, otherwise parse and execute with
//! async-graphql under the timeout, and keep a clean answer for next time.

use std::sync::Arc;
use std::time::Instant;

use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, OperationType, Selection, SelectionSet,
};
use axum::body::Bytes;
use serde_json::{Map, Value, json};
use tokio::sync::{Semaphore, SemaphorePermit};

use super::cache::Document;
use super::cache::{Cached, Coding, DocumentCache, ResponseCache, Shape, etag};
use super::graph::Graph;
use super::messages;
use super::observer::{CacheName, Observer};
use super::outcome::{Answer, Refusal, error, located};
use super::positions;
use super::request::{GraphqlRequest, TRUSTED_ONLY, Transport};
use super::syntax;
use super::variables;
use super::writes::WriteLimit;
use crate::config::Limits;
use crate::error_code::ErrorCode;
use crate::exec::Stop;
use crate::guard;
use crate::reviews::{Reads, Reviews};
use crate::schema::{Admin, LeapSchema, budget};
use crate::store::query::Budget;

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
    pub responses: Arc<ResponseCache>,
    /// The schema that validates and stops (see `variables`): a document whose variables do
    /// not coerce is validated on it first, as the spec orders the two.
    pub checker: LeapSchema,
    /// Requests running at once; past them a request is shed.
    pub permits: Arc<Semaphore>,
    pub limits: Limits,
    /// Whether errors suggest the schema's near names (`config::Errors::suggestions`).
    pub suggestions: bool,
    /// The reviews every request may read, and mutations write.
    pub reviews: Arc<Reviews>,
    /// Mutations per client address.
    pub writes: WriteLimit,
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
    /// The client's address, for the write limit.
    pub addr: Option<std::net::IpAddr>,
    /// Whether the request carries the admin token.
    pub admin: bool,
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

/// What a request's resolvers may read besides the graph: the reviews, and what the request
/// has read of them (for a query, whose answer may be kept) or whether it is the admin's
/// (for a mutation).
#[derive(Clone)]
struct Extra {
    reviews: Arc<Reviews>,
    reads: Option<Arc<Reads>>,
    admin: bool,
}

impl Operation {
    fn request(
        self,
        store: Arc<crate::store::Store>,
        budget: Budget,
        extra: &Extra,
    ) -> async_graphql::Request {
        let mut request = async_graphql::Request::new(self.query)
            .variables(self.variables)
            .data(store)
            .data(budget)
            .data(extra.reviews.clone())
            .data(Admin(extra.admin));
        if let Some(reads) = &extra.reads {
            request = request.data(reads.clone());
        }
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
            addr,
            admin,
        } = job;
        let _permit = match self.take_permit() {
            Ok(p) => p,
            Err(e) => return Answer::Refused(e),
        };
        // What the answer may take, checked by both executors as they write it.
        let budget = Budget {
            max_bytes: self.limits.max_response_bytes,
            deadline: Instant::now() + self.limits.request_timeout,
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
        // The verdict is the graph's: the cost counts its lists by their largest size on it.
        let passed = document
            .as_ref()
            .and_then(|d| d.guard_passed(operation_name, graph.generation));
        let (measured, by_document) = match passed {
            Some(measured) => (measured, true),
            None => match self.check_document(&request, &graph.bounds) {
                Ok(verdict) => (verdict.stats.parsed, !verdict.read_variables),
                Err(e) => return Answer::Refused(e),
            },
        };
        if by_document && let Some(d) = &document {
            d.passed_guard(operation_name, measured, graph.generation);
        }
        // The fast path: a document async-graphql has validated before has a plan, which
        // writes the answer straight from the store. It answers only requests that succeed;
        // for anything else it bails, and async-graphql gives the exact answer below.
        if let Some(plan) = document
            .as_ref()
            .and_then(|d| d.plan(request.operation_name.as_deref()))
        {
            match plan.execute(&graph.store, &request.variables, budget) {
                Ok(mut body) => {
                    observer.cache(CacheName::Plan, true);
                    // Kept in the response cache: no spare capacity.
                    body.shrink_to_fit();
                    return self.keep(Bytes::from(body), operation, key, transport);
                }
                Err(Stop::Bail) => observer.cache(CacheName::Plan, false),
                Err(Stop::TooLarge) => return too_large(self.limits.max_response_bytes),
                Err(Stop::Late) => return timed_out(),
            }
        }
        observer.cache(CacheName::Document, document.is_some());
        // Parsed here, once: async-graphql executes the parsed document it is handed, and the
        // parser's own verdict is what tells a parse error from a validation error (the guard
        // is deliberately more lenient than the grammar, so its word cannot).
        let parsed = match &document {
            Some(_) => None,
            None => match async_graphql::parser::parse_query(&request.query) {
                Ok(doc) => Some(doc),
                Err(e) => {
                    let (message, locations) = syntax::message(&request.query, &e);
                    let error = located(message, &locations, ErrorCode::GraphqlParseFailed);
                    return rejected(ErrorCode::GraphqlParseFailed, vec![error]);
                }
            },
        };
        // The guard found a syntax error that async-graphql's parser does not.
        if !measured {
            return not_grammar();
        }
        let request_introspection_only = request.introspection_only;
        let document = match (parsed, document) {
            (Some(doc), _) => self.documents.insert(&request.query, doc),
            (None, Some(d)) => d,
            (None, None) => return Answer::Refused(internal()),
        };
        let operation_name = request.operation_name.clone();
        // A document sent as text to a server that runs only trusted documents may ask for
        // introspection and nothing else (checked once parsed, after the guard measured it).
        if request_introspection_only && !is_introspection(&document.doc, operation_name.as_deref())
        {
            return Answer::Refused(trusted_only());
        }
        // GET must be safe: caches and prefetchers replay it.
        if transport == Transport::Get && is_mutation(&document.doc, operation_name.as_deref()) {
            return Answer::Refused(Refusal::new(
                ErrorCode::MethodNotAllowed,
                "only queries may be sent with GET; send mutations with POST",
            ));
        }
        // Where variables may stand, a rule of validation that async-graphql never applies
        // (see `positions`); a document with a plan has passed it.
        if document.plan(operation_name.as_deref()).is_none() {
            let misplaced = positions::check(&document.doc);
            if !misplaced.is_empty() {
                return self
                    .refuse_misplaced(&request, &graph, &document, misplaced)
                    .await;
            }
        }
        // The spec's CoerceVariableValues, before anything executes: a variable that does not
        // coerce is a request error that names it (once the document is known to validate).
        if let Err(errors) = variables::coerce(
            &document.doc,
            operation_name.as_deref(),
            &request.variables,
            self.suggestions,
        ) {
            return self
                .refuse_variables(&request, &graph, &document, errors)
                .await;
        }
        let variables = async_graphql::Variables::from_json(Value::Object(request.variables));
        let retry = Operation {
            query: request.query,
            variables,
            operation_name: request.operation_name,
        };
        let extra = Extra {
            reviews: self.reviews.clone(),
            reads: Some(Arc::default()),
            admin,
        };
        match operation_type(&document.doc, operation_name.as_deref()) {
            Some(OperationType::Subscription) => {
                return Answer::Refused(Refusal::bad_request(
                    "subscriptions are served over WebSocket (graphql-transport-ws) or as \
                     server-sent events (Accept: text/event-stream)",
                ));
            }
            Some(OperationType::Mutation) => {
                return self
                    .write(retry, graph, extra, addr, operation, budget)
                    .await;
            }
            _ => {}
        }
        let mut gql = retry.clone().request(graph.store.clone(), budget, &extra);
        gql.set_parsed_query(document.doc.clone());
        let run = async {
            let response = self.fast_schema.execute(gql).await;
            // Without errors, or out of budget (which running again would not change).
            if response.errors.is_empty() || budget::stopped(&response).is_some() {
                return response;
            }
            // Errors: run again with null propagation, for the shape the spec gives them.
            self.schema
                .execute(retry.clone().request(graph.store.clone(), budget, &extra))
                .await
        };
        // The timer stops a request that waits; one that works without waiting is stopped
        // by the budget's deadline, field by field.
        let response = match tokio::time::timeout(self.limits.request_timeout, run).await {
            Ok(response) => response,
            Err(_) => return timed_out(),
        };
        if let Some(code) = budget::stopped(&response) {
            // It ran out of budget while executing, so it validated: it may have a plan,
            // which keeps the same budget.
            document.validated(operation_name.as_deref());
            return match code {
                ErrorCode::ResponseTooLarge => too_large(self.limits.max_response_bytes),
                _ => timed_out(),
            };
        }
        // The document validated (a request error is the only sign it did not), so it may
        // have a plan from now on.
        if !is_request_error(&response) {
            document.validated(operation_name.as_deref());
        }
        let max = self.limits.max_response_bytes;
        if !response.errors.is_empty() {
            let cx = messages::Context {
                doc: Some(&document.doc),
                variables: &retry.variables,
                suggestions: self.suggestions,
            };
            return with_errors(response, &cx, max);
        }
        let Some(body) = success_body(&response.data, max) else {
            return too_large(max);
        };
        let read = extra.reads.map(|r| r.take()).unwrap_or_default();
        self.keep_reading(body, operation, key, transport, &read)
    }

    /// Runs a mutation: within the client's write limit, once (never again for the shape
    /// of its errors, which would write twice), and never kept. Its writes run on their own
    /// tasks (see `crate::reviews`), so the timeout cannot cut one in half.
    async fn write(
        &self,
        operation: Operation,
        graph: Graph,
        extra: Extra,
        addr: Option<std::net::IpAddr>,
        name: Option<Arc<str>>,
        budget: Budget,
    ) -> Answer {
        if let Err(seconds) = self.writes.take(addr) {
            let mut refusal = Refusal::new(
                ErrorCode::RateLimited,
                format!("too many writes from this address; try again in {seconds} s"),
            );
            refusal.retry_after = Some(seconds);
            return Answer::Refused(refusal);
        }
        let extra = Extra {
            reads: None,
            ..extra
        };
        let run = self.schema.execute(operation.clone().request(
            graph.store.clone(),
            budget,
            &extra,
        ));
        let response = match tokio::time::timeout(self.limits.request_timeout, run).await {
            Ok(response) => response,
            Err(_) => {
                return Answer::Refused(Refusal::new(
                    ErrorCode::Timeout,
                    "the request took too long; a write it made may have been kept",
                ));
            }
        };
        let max = self.limits.max_response_bytes;
        if !response.errors.is_empty() {
            let cx = messages::Context {
                doc: None,
                variables: &operation.variables,
                suggestions: self.suggestions,
            };
            return with_errors(response, &cx, max);
        }
        let Some(body) = success_body(&response.data, max) else {
            return too_large(max);
        };
        Answer::Clean(Cached {
            body,
            etag: Bytes::new(),
            operation: name,
            coding: Coding::Identity,
        })
    }

    /// What a subscription goes through before it starts, as a request would on the miss
    /// path and refused with the same codes: the guard on this graph's bounds, parsing (and
    /// the guard's stricter reading of the grammar), trusted documents' introspection rule,
    /// the variables' coercion and validation. Only a subscription passes: anything else
    /// is `METHOD_NOT_ALLOWED` here. Returns the parsed document to run.
    pub(super) async fn check_subscription(
        &self,
        request: &GraphqlRequest,
        graph: &Graph,
    ) -> Result<ExecutableDocument, Refusal> {
        let refused = |answer: Answer| match answer {
            Answer::Refused(refusal) => refusal,
            _ => internal(),
        };
        let verdict = self.check_document(request, &graph.bounds)?;
        let doc = async_graphql::parser::parse_query(&request.query).map_err(|e| {
            let (message, locations) = syntax::message(&request.query, &e);
            let error = located(message, &locations, ErrorCode::GraphqlParseFailed);
            refused(rejected(ErrorCode::GraphqlParseFailed, vec![error]))
        })?;
        if !verdict.stats.parsed {
            return Err(refused(not_grammar()));
        }
        let operation_name = request.operation_name.as_deref();
        // Text sent to a server that runs only trusted documents may be introspection and
        // nothing else; a subscription never is.
        if request.introspection_only && !is_introspection(&doc, operation_name) {
            return Err(trusted_only());
        }
        if operation_type(&doc, operation_name) != Some(OperationType::Subscription) {
            return Err(Refusal::new(
                ErrorCode::MethodNotAllowed,
                "only subscriptions are served here; send queries and mutations with POST",
            ));
        }
        let document = self.documents.insert(&request.query, doc);
        let misplaced = positions::check(&document.doc);
        if !misplaced.is_empty() {
            let answer = self
                .refuse_misplaced(request, graph, &document, misplaced)
                .await;
            return Err(refused(answer));
        }
        if let Err(errors) = variables::coerce(
            &document.doc,
            operation_name,
            &request.variables,
            self.suggestions,
        ) {
            let answer = self
                .refuse_variables(request, graph, &document, errors)
                .await;
            return Err(refused(answer));
        }
        let given = async_graphql::Variables::from_json(Value::Object(request.variables.clone()));
        let response = self
            .validate(request, graph, &document, &given)
            .await
            .map_err(refused)?;
        if !response.errors.is_empty() {
            return Err(refused(self.validation_failed(response, &document, &given)));
        }
        Ok(document.doc.clone())
    }

    /// Refuses a request whose variables do not coerce, with their errors; or with the
    /// document's validation errors, which come first, unless it is known to validate.
    async fn refuse_variables(
        &self,
        request: &GraphqlRequest,
        graph: &Graph,
        document: &Document,
        errors: Vec<Value>,
    ) -> Answer {
        let operation_name = request.operation_name.as_deref();
        if document.plan(operation_name).is_none() {
            let none = async_graphql::Variables::default();
            let response = match self.validate(request, graph, document, &none).await {
                Ok(response) => response,
                Err(refused) => return refused,
            };
            if !response.errors.is_empty() {
                return self.validation_failed(response, document, &none);
            }
            document.validated(operation_name);
        }
        rejected(ErrorCode::VariableCoercionFailed, errors)
    }

    /// Refuses a document whose variables stand where their types may not go, with
    /// async-graphql's other validation errors first, if it has any.
    async fn refuse_misplaced(
        &self,
        request: &GraphqlRequest,
        graph: &Graph,
        document: &Document,
        misplaced: Vec<positions::Misplaced>,
    ) -> Answer {
        let none = async_graphql::Variables::default();
        let mut response = match self.validate(request, graph, document, &none).await {
            Ok(response) => response,
            Err(refused) => return refused,
        };
        response.data = async_graphql::Value::Null;
        response
            .errors
            .extend(misplaced.into_iter().map(|m| async_graphql::ServerError {
                locations: m.locations.to_vec(),
                ..async_graphql::ServerError::new(m.message, None)
            }));
        self.validation_failed(response, document, &none)
    }

    /// async-graphql's validation of `document` alone, with `variables` (the checker schema
    /// stops each request before it executes).
    async fn validate(
        &self,
        request: &GraphqlRequest,
        graph: &Graph,
        document: &Document,
        variables: &async_graphql::Variables,
    ) -> Result<async_graphql::Response, Answer> {
        let mut check = async_graphql::Request::new(request.query.as_str())
            .variables(variables.clone())
            .data(graph.store.clone());
        check.operation_name = request.operation_name.clone();
        check.set_parsed_query(document.doc.clone());
        let run = self.checker.execute(check);
        tokio::time::timeout(self.limits.request_timeout, run)
            .await
            .map_err(|_| timed_out())
    }

    /// The request error of a document that does not validate: `response`'s errors, in our
    /// words.
    fn validation_failed(
        &self,
        response: async_graphql::Response,
        document: &Document,
        variables: &async_graphql::Variables,
    ) -> Answer {
        let cx = messages::Context {
            doc: Some(&document.doc),
            variables,
            suggestions: self.suggestions,
        };
        with_errors(response, &cx, self.limits.max_response_bytes)
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
        self.keep_reading(body, operation, key, transport, &[])
    }

    /// [`Executors::keep`] for an answer that read the reviews of `read` works: kept only
    /// while they are unchanged, and dropped when they change.
    fn keep_reading(
        &self,
        body: Bytes,
        operation: Option<Arc<str>>,
        key: CacheKey,
        transport: Transport,
        read: &[(Arc<str>, u64)],
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
        self.responses.insert_reading(
            key.generation,
            key.shape,
            key.bytes,
            cached.clone(),
            read,
            |work| self.reviews.version(work),
        );
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
    fn check_document(
        &self,
        request: &GraphqlRequest,
        bounds: &guard::Bounds,
    ) -> Result<GuardVerdict, Refusal> {
        let read = std::cell::Cell::new(false);
        let variable = |name: &str| {
            read.set(true);
            // Only a valid `Int`: anything else is refused when the variables are coerced,
            // and counts as the default page size here.
            request
                .variables
                .get(name)
                .and_then(Value::as_i64)
                .filter(|n| i32::try_from(*n).is_ok())
        };
        let stats = guard::check_with(
            &request.query,
            request.operation_name.as_deref(),
            &variable,
            &self.limits.document,
            bounds,
        )
        .map_err(|r| Refusal::new(r.code, r.message))?;
        Ok(GuardVerdict {
            stats,
            read_variables: read.get(),
        })
    }
}

/// `{"data": …}`, serialised straight from async-graphql's value (no detour through a
/// serde_json tree); `None` once it grows past `max` bytes, where writing stops.
fn success_body(data: &async_graphql::Value, max: usize) -> Option<Bytes> {
    let mut out = Capped {
        out: Vec::with_capacity(512),
        max,
    };
    out.out.extend_from_slice(b"{\"data\":");
    if let Err(e) = serde_json::to_writer(&mut out, data) {
        if e.is_io() {
            return None;
        }
        out.out.truncate(8);
        out.out.extend_from_slice(b"null");
    }
    out.out.push(b'}');
    let mut out = out.out;
    if out.len() > max {
        return None;
    }
    // Kept in the response cache: no spare capacity.
    out.shrink_to_fit();
    Some(Bytes::from(out))
}

/// A buffer that refuses to grow past `max` bytes: the answer is checked as it is written,
/// so an answer over the cap is never held whole.
struct Capped {
    out: Vec<u8>,
    max: usize,
}

impl std::io::Write for Capped {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.out.len() + buf.len() > self.max {
            return Err(std::io::Error::other("over the byte cap"));
        }
        self.out.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The refusal of a document the guard read as breaking the grammar where async-graphql's
/// parser did not: it reads a keyword run into a name (`queryX {`, `truex: 1`) as two
/// tokens, where the spec reads one name. The guard is never stricter than the spec, so the
/// document is not GraphQL; and the guard has not measured it, so it must not run.
fn not_grammar() -> Answer {
    let error = error(
        "Syntax Error: the document does not follow the GraphQL grammar (a keyword such as \
         `query`, `fragment` or `true` may be run into the name after it).",
        ErrorCode::GraphqlParseFailed,
    );
    rejected(ErrorCode::GraphqlParseFailed, vec![error])
}

/// The refusal of an answer over the byte cap: no `data`, only the error.
fn too_large(max: usize) -> Answer {
    Answer::Refused(Refusal::new(
        ErrorCode::ResponseTooLarge,
        format!(
            "the answer would be larger than {max} bytes; select fewer fields or page the \
             lists with their connections (first/after)"
        ),
    ))
}

fn timed_out() -> Answer {
    Answer::Refused(Refusal::new(
        ErrorCode::Timeout,
        "the request took too long",
    ))
}

/// The type of the operation that would run, if one can be chosen.
pub(super) fn operation_type(
    doc: &ExecutableDocument,
    operation_name: Option<&str>,
) -> Option<OperationType> {
    match &doc.operations {
        DocumentOperations::Single(op) => Some(op.node.ty),
        DocumentOperations::Multiple(ops) => match operation_name {
            Some(name) => ops.get(name).map(|op| op.node.ty),
            None if ops.len() == 1 => ops.values().next().map(|op| op.node.ty),
            None => None,
        },
    }
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
    Answer::Refused(Refusal {
        code,
        errors,
        retry_after: None,
    })
}

/// The refusal of a request that should never get one.
fn internal() -> Refusal {
    Refusal::new(ErrorCode::InternalServerError, "internal error")
}

/// Turns async-graphql's response with errors into ours: a request error has no `data`, a
/// code on every error, its message in our words and each error once (async-graphql's
/// validation walks a document twice, and some rules report on both walks); anything that
/// executed has `data` and its errors.
fn with_errors(
    response: async_graphql::Response,
    cx: &messages::Context<'_>,
    max: usize,
) -> Answer {
    if is_request_error(&response) {
        let mut seen = std::collections::HashSet::new();
        let errors = response
            .errors
            .iter()
            .filter(|e| seen.insert((e.message.as_str(), e.locations.clone())))
            .map(|e| {
                let message = messages::reword(&e.message, &e.locations, cx);
                let mut v = error_object(e, Some(ErrorCode::GraphqlValidationFailed));
                if let Some(obj) = v.as_object_mut() {
                    obj.insert("message".into(), Value::String(message));
                }
                v
            })
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
    let body = Value::Object(body).to_string();
    if body.len() > max {
        return too_large(max);
    }
    Answer::WithErrors(Bytes::from(body))
}
