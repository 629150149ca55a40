//! The stable error codes of the API, in one place: the string each puts in
//! `extensions.code` (clients branch on it, and tests assert it) and the HTTP status it is
//! answered with. The guard, the schema's resolvers, the engine and the HTTP boundary all raise
//! them, so this module imports nothing of ours: any of them may import it without a circle.

use std::fmt;

/// Every code the API puts in `extensions.code`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    // The transport's refusals (see `http::graphql`).
    /// The request is malformed: not JSON, not UTF-8, no `query`, a parameter of the wrong type.
    BadRequest,
    /// The body is a JSON array: a batch, which we do not run (it multiplies every limit).
    BatchNotSupported,
    /// `variables` is over `Limits::max_variables_bytes`.
    VariablesTooLarge,
    /// The `POST` body is not declared as `application/json`.
    UnsupportedMediaType,
    /// A method other than `GET` and `POST`, or a mutation over `GET`.
    MethodNotAllowed,
    /// `Accept` allows neither of our response types.
    NotAcceptable,
    /// The body is over `Limits::max_body_bytes`.
    PayloadTooLarge,
    /// The `GET` query string is over `Limits::max_query_string_bytes`.
    UriTooLong,

    // The engine's refusals.
    /// Every concurrency permit is taken.
    Overloaded,
    /// Execution ran over `Limits::request_timeout`.
    Timeout,
    /// The answer would be larger than `Limits::max_response_bytes`; none of it is sent.
    ResponseTooLarge,
    /// A panic; the message says nothing more.
    InternalServerError,
    /// async-graphql could not parse the document.
    GraphqlParseFailed,
    /// The document parsed but did not validate, or the operation to run could not be
    /// chosen.
    GraphqlValidationFailed,
    /// A variable was not provided, was null for a non-null type, or does not fit its
    /// declared type (the spec's CoerceVariableValues): a request error, before execution.
    VariableCoercionFailed,
    /// An automatic persisted query's hash that the server does not know (yet).
    PersistedQueryNotFound,
    /// A server that runs only trusted documents was sent a document's text that is not one
    /// of them (or asked to register one as an automatic persisted query).
    TrustedDocumentRequired,
    /// A `documentId`, or with only trusted documents a `sha256Hash`, that the manifest does
    /// not have: there is nothing to run, and sending the text would not help.
    TrustedDocumentNotFound,

    // The document guard's refusals (see `guard`), one per limit.
    DocumentTooLarge,
    TooManyTokens,
    TooDeep,
    TooManyAliases,
    TooManyRootFields,
    TooManyDirectives,
    TooManyFragmentSpreads,
    TooManyFields,
    TooCostly,
    IntrospectionTooDeep,
    FragmentCycle,

    // The resolvers' errors (see `schema::error`).
    /// The request asked for something malformed: a bad id, cursor, page size or argument mix.
    BadUserInput,
    /// A write that needs a permission the request does not carry (`hideReview` without the
    /// admin token).
    Forbidden,

    // The write path's refusals.
    /// Over `--max-writes-per-minute` from one client address: 429 with `Retry-After`.
    RateLimited,
    /// A subscription refused: over `--max-subscriptions`, or not a subscription at all.
    TooManySubscriptions,
}

/// The HTTP status a code is answered with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HttpStatus {
    /// Always this status.
    Fixed(u16),
    /// A document that does not parse or validate, or whose variables do not coerce: 400 under
    /// `application/graphql-response+json`, 200 under `application/json`, as the
    /// GraphQL-over-HTTP spec asks for legacy clients.
    ByMediaType,
}

impl ErrorCode {
    /// The code as it is written in `extensions.code`.
    pub const fn as_str(self) -> &'static str {
        use ErrorCode::*;
        match self {
            BadRequest => "BAD_REQUEST",
            BatchNotSupported => "BATCH_NOT_SUPPORTED",
            VariablesTooLarge => "VARIABLES_TOO_LARGE",
            UnsupportedMediaType => "UNSUPPORTED_MEDIA_TYPE",
            MethodNotAllowed => "METHOD_NOT_ALLOWED",
            NotAcceptable => "NOT_ACCEPTABLE",
            PayloadTooLarge => "PAYLOAD_TOO_LARGE",
            UriTooLong => "URI_TOO_LONG",
            Overloaded => "OVERLOADED",
            Timeout => "TIMEOUT",
            ResponseTooLarge => "RESPONSE_TOO_LARGE",
            InternalServerError => "INTERNAL_SERVER_ERROR",
            GraphqlParseFailed => "GRAPHQL_PARSE_FAILED",
            GraphqlValidationFailed => "GRAPHQL_VALIDATION_FAILED",
            VariableCoercionFailed => "VARIABLE_COERCION_FAILED",
            PersistedQueryNotFound => "PERSISTED_QUERY_NOT_FOUND",
            TrustedDocumentRequired => "TRUSTED_DOCUMENT_REQUIRED",
            TrustedDocumentNotFound => "TRUSTED_DOCUMENT_NOT_FOUND",
            DocumentTooLarge => "DOCUMENT_TOO_LARGE",
            TooManyTokens => "TOO_MANY_TOKENS",
            TooDeep => "TOO_DEEP",
            TooManyAliases => "TOO_MANY_ALIASES",
            TooManyRootFields => "TOO_MANY_ROOT_FIELDS",
            TooManyDirectives => "TOO_MANY_DIRECTIVES",
            TooManyFragmentSpreads => "TOO_MANY_FRAGMENT_SPREADS",
            TooManyFields => "TOO_MANY_FIELDS",
            TooCostly => "TOO_COSTLY",
            IntrospectionTooDeep => "INTROSPECTION_TOO_DEEP",
            FragmentCycle => "FRAGMENT_CYCLE",
            BadUserInput => "BAD_USER_INPUT",
            Forbidden => "FORBIDDEN",
            RateLimited => "RATE_LIMITED",
            TooManySubscriptions => "TOO_MANY_SUBSCRIPTIONS",
        }
    }

    /// The status a request refused with this code is answered with.
    pub const fn http_status(self) -> HttpStatus {
        use ErrorCode::*;
        HttpStatus::Fixed(match self {
            GraphqlParseFailed
            | GraphqlValidationFailed
            | VariableCoercionFailed
            | PersistedQueryNotFound => {
                return HttpStatus::ByMediaType;
            }
            BadRequest | BatchNotSupported | VariablesTooLarge => 400,
            TrustedDocumentRequired | TrustedDocumentNotFound => 400,
            UnsupportedMediaType => 415,
            MethodNotAllowed => 405,
            NotAcceptable => 406,
            PayloadTooLarge => 413,
            UriTooLong => 414,
            Overloaded | Timeout => 503,
            InternalServerError => 500,
            DocumentTooLarge
            | TooManyTokens
            | TooDeep
            | TooManyAliases
            | TooManyRootFields
            | TooManyDirectives
            | TooManyFragmentSpreads
            | TooManyFields
            | TooCostly
            | IntrospectionTooDeep
            | FragmentCycle
            // The request asked for more than an answer may hold: the client must page.
            | ResponseTooLarge => 400,
            // A field's error: the request executed, and its answer (with `data`) is a 200.
            BadUserInput | Forbidden => 200,
            RateLimited => 429,
            TooManySubscriptions => 503,
        })
    }

    /// Whether the request was shed for load rather than refused for what it is: the
    /// metrics count the two apart.
    pub const fn is_shed(self) -> bool {
        matches!(
            self,
            ErrorCode::Overloaded | ErrorCode::Timeout | ErrorCode::TooManySubscriptions
        )
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
