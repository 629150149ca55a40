//! Hostile requests, table-driven: each is refused with the exact status and stable code, no
//! `data`, and leaves the server answering normal queries.
//!
//! The categories follow the OWASP GraphQL cheat sheet and graphql-armor: aliases, root
//! fields, depth through cyclic links, width × depth, fragment cycles and fan-out, directives,
//! tokens, oversized documents, variables and bodies, batching, introspection, and abuse of
//! the HTTP layer itself (methods, media types, encodings, lengths).

mod common;

use std::net::SocketAddr;

use common::TestServer;
use leap_graphql::config::Config;
use leap_graphql::http::{AppState, Server};
use reqwest::Method;
use serde_json::{Value, json};

const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";
const JSON: &str = "application/json";

/// The normal query every case must leave working.
const NORMAL: &str = r#"{ film(slug: "leap") { title } }"#;

/// One hostile request and how it must be refused.
struct Case {
    name: &'static str,
    method: Method,
    /// Appended to `/graphql`, with its `?` if any.
    query_string: String,
    /// Request headers beyond reqwest's defaults.
    headers: Vec<(&'static str, &'static str)>,
    body: Option<Vec<u8>>,
    status: u16,
    code: &'static str,
    /// A response header the refusal must carry, with its exact value.
    header: Option<(&'static str, &'static str)>,
}

/// A POST of `body` as JSON, answered as application/graphql-response+json.
fn post_json(name: &'static str, body: Value, status: u16, code: &'static str) -> Case {
    post_raw(name, JSON, body.to_string().into_bytes(), status, code)
}

/// A POST of a document with no variables.
fn post_query(name: &'static str, query: &str, status: u16, code: &'static str) -> Case {
    post_json(name, json!({ "query": query }), status, code)
}

/// A POST of raw bytes under `content_type`.
fn post_raw(
    name: &'static str,
    content_type: &'static str,
    body: Vec<u8>,
    status: u16,
    code: &'static str,
) -> Case {
    Case {
        name,
        method: Method::POST,
        query_string: String::new(),
        headers: vec![("content-type", content_type), ("accept", GRAPHQL_RESPONSE)],
        body: Some(body),
        status,
        code,
        header: None,
    }
}

/// A GET with `params` URL-encoded into the query string.
fn get(name: &'static str, params: &[(&str, &str)], status: u16, code: &'static str) -> Case {
    let encoded = serde_urlencoded::to_string(params).expect("encodes");
    Case {
        name,
        method: Method::GET,
        query_string: format!("?{encoded}"),
        headers: vec![("accept", GRAPHQL_RESPONSE)],
        body: None,
        status,
        code,
        header: None,
    }
}

impl Case {
    fn expect_header(mut self, name: &'static str, value: &'static str) -> Case {
        self.header = Some((name, value));
        self
    }

    fn with_header(mut self, name: &'static str, value: &'static str) -> Case {
        self.headers.retain(|(n, _)| *n != name);
        self.headers.push((name, value));
        self
    }
}

/// `n` copies of `item` joined by spaces.
fn repeat(item: &str, n: usize) -> String {
    vec![item; n].join(" ")
}

/// `film → cast → edges → node → … on Person → credits → edges → node → … on Film → cast …`,
/// `laps` times round, one item per page so that only the depth is excessive.
fn cyclic_links(laps: usize) -> String {
    let open = "cast(first: 1) { edges { node { ... on Person { credits(first: 1) { edges { node { ... on Film { ";
    let close = "} } } } } } } } ";
    format!(
        "{{ film(slug: \"leap\") {{ {} title {}}} }}",
        open.repeat(laps),
        close.repeat(laps)
    )
}

/// Ten fragments, each spreading the next ten times: 91 spreads that expand to 10^9 fields.
fn fragment_fan_out() -> String {
    let mut doc = String::from(r#"{ film(slug: "leap") { ...F0 } }"#);
    for i in 0..9 {
        let spreads = repeat(&format!("...F{}", i + 1), 10);
        doc.push_str(&format!(" fragment F{i} on Film {{ {spreads} }}"));
    }
    doc.push_str(" fragment F9 on Film { title }");
    doc
}

fn cases() -> Vec<Case> {
    let aliases: Vec<String> = (0..31).map(|i| format!("a{i}: title")).collect();
    let root_fields: Vec<String> = (0..21).map(|i| format!("r{i}: __typename")).collect();
    let huge_string = "x".repeat(30_000);
    let huge_variable = "x".repeat(20_000);
    let token_ids = repeat("\"a\"", 2_100);
    let deep_list = format!("{}\"a\"{}", "[".repeat(100), "]".repeat(100));
    let deep_json = format!("{}1{}", "[".repeat(200), "]".repeat(200));
    let over_body = format!(
        r#"{{"query": "{{ __typename }}", "pad": "{}"}}"#,
        "x".repeat(70 * 1024)
    );
    let long_query_string = format!("{{ __typename }} #{}", "x".repeat(17 * 1024));

    vec![
        // Document shape: the guard's limits.
        post_query(
            "alias flooding: 31 aliases",
            &format!(r#"{{ film(slug: "leap") {{ {} }} }}"#, aliases.join(" ")),
            400,
            "TOO_MANY_ALIASES",
        ),
        post_query(
            "root-field flooding: 21 root fields",
            &format!("{{ {} }}", root_fields.join(" ")),
            400,
            "TOO_MANY_ROOT_FIELDS",
        ),
        post_query(
            "depth through cyclic links film → cast → person → credits → film …",
            &cyclic_links(3),
            400,
            "TOO_DEEP",
        ),
        post_query(
            "depth past the parser's hard nesting cap",
            &format!(
                "{{ {} __typename {} }}",
                "film(slug: \"leap\") {".repeat(200),
                "}".repeat(200)
            ),
            400,
            "TOO_DEEP",
        ),
        post_query(
            "width × depth: three nested pages of 100",
            "{ films(first: 100) { edges { node { cast(first: 100) { edges { node { \
             ... on Person { credits(first: 100) { edges { node { __typename } } } } } } } } } } }",
            400,
            "TOO_COSTLY",
        ),
        post_query(
            "fragment cycle",
            "{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }",
            400,
            "FRAGMENT_CYCLE",
        ),
        post_query(
            "fragment fan-out: F0..F9, ten spreads each",
            &fragment_fan_out(),
            400,
            "TOO_MANY_FIELDS",
        ),
        post_query(
            "directive flood: @include(if: true) × 60",
            &format!("{{ __typename {} }}", repeat("@include(if: true)", 60)),
            400,
            "TOO_MANY_DIRECTIVES",
        ),
        post_query(
            "token flood: 2,100 list items",
            &format!("{{ nodes(ids: [{token_ids}]) {{ id }} }}"),
            400,
            "TOO_MANY_TOKENS",
        ),
        post_query(
            "list literal nested 100 deep",
            &format!("{{ nodes(ids: {deep_list}) {{ id }} }}"),
            400,
            "TOO_DEEP",
        ),
        post_query(
            "huge string literal: a 30,000-character document",
            &format!("{{ film(slug: \"{huge_string}\") {{ title }} }}"),
            400,
            "DOCUMENT_TOO_LARGE",
        ),
        post_query(
            "introspection cycle: types > fields > type > fields > type > fields",
            "{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }",
            400,
            "INTROSPECTION_TOO_DEEP",
        ),
        // Request parameters.
        post_json(
            "huge variables: a 20,000-byte string",
            json!({ "query": "query ($s: String) { film(slug: $s) { title } }",
                    "variables": { "s": huge_variable } }),
            400,
            "VARIABLES_TOO_LARGE",
        ),
        post_json(
            "batch abuse: a JSON array body",
            json!([{ "query": NORMAL }, { "query": NORMAL }]),
            400,
            "BATCH_NOT_SUPPORTED",
        ),
        post_json("no query", json!({ "variables": {} }), 400, "BAD_REQUEST"),
        post_json(
            "query not a string",
            json!({ "query": ["{ __typename }"] }),
            400,
            "BAD_REQUEST",
        ),
        post_json(
            "variables not an object",
            json!({ "query": NORMAL, "variables": "{}" }),
            400,
            "BAD_REQUEST",
        ),
        post_json(
            "operationName not a string",
            json!({ "query": NORMAL, "operationName": 1 }),
            400,
            "BAD_REQUEST",
        ),
        post_json(
            "unknown operation name",
            json!({ "query": "query A { __typename }", "operationName": "B" }),
            400,
            "GRAPHQL_VALIDATION_FAILED",
        ),
        post_query(
            "document that does not parse",
            "{ film(",
            400,
            "GRAPHQL_PARSE_FAILED",
        ),
        // Found by the `guard` fuzz target: the guard's parser is lenient on purpose (it takes
        // `{ }`, bad escapes, leading zeros), so the code must come from async-graphql's parser.
        post_query(
            "document the guard takes but the grammar does not: an empty selection set",
            r#"{ film(slug: "leap") { } }"#,
            400,
            "GRAPHQL_PARSE_FAILED",
        ),
        // Found by the `guard` fuzz target: async-graphql's parser takes a keyword run into the
        // next name (`queryX` as `query X`, `truex: 1` as `true, x: 1`) where the guard, like
        // the spec, sees one name and a syntax error. A document the guard cannot parse is
        // one it has not measured, so it must never reach async-graphql: this one hides a
        // fragment fan-out that its validation would spend minutes on.
        post_query(
            "a keyword run into its name (`queryX`) hiding a fragment fan-out",
            &format!("queryX {}", fragment_fan_out()),
            400,
            "GRAPHQL_PARSE_FAILED",
        ),
        post_query(
            "a keyword run into its name (`fragmentF`)",
            r#"{ film(slug: "leap") { ...F } } fragmentF on Film { title }"#,
            400,
            "GRAPHQL_PARSE_FAILED",
        ),
        post_query(
            "a boolean run into the next argument's name (`truex: 1`)",
            r#"{ film(id: truex: "leap") { title } }"#,
            400,
            "GRAPHQL_PARSE_FAILED",
        ),
        post_query(
            "a string with an escape the grammar does not know",
            r#"{ film(slug: "le\qap") { title } }"#,
            400,
            "GRAPHQL_PARSE_FAILED",
        ),
        post_query(
            "document that does not validate",
            "{ film(slug: \"leap\") { nonsense } }",
            400,
            "GRAPHQL_VALIDATION_FAILED",
        ),
        post_json(
            "variable that does not coerce",
            json!({ "query": "query ($s: String) { film(slug: $s) { title } }",
                    "variables": { "s": { "not": "a string" } } }),
            400,
            "VARIABLE_COERCION_FAILED",
        ),
        // The body itself.
        post_raw(
            "malformed JSON",
            JSON,
            br#"{"query": "#.to_vec(),
            400,
            "BAD_REQUEST",
        ),
        post_raw(
            "invalid UTF-8 body",
            JSON,
            b"{\"query\": \"{ __typename \xff\xfe }\"}".to_vec(),
            400,
            "BAD_REQUEST",
        ),
        post_raw(
            "JSON nested 200 deep",
            JSON,
            format!(r#"{{"query": "{{ __typename }}", "variables": {{"v": {deep_json}}}}}"#)
                .into_bytes(),
            400,
            "BAD_REQUEST",
        ),
        post_raw(
            "body over max_body_bytes",
            JSON,
            over_body.into_bytes(),
            413,
            "PAYLOAD_TOO_LARGE",
        ),
        // Methods and media types.
        Case {
            method: Method::PUT,
            ..post_query("PUT", NORMAL, 405, "METHOD_NOT_ALLOWED")
        }
        .expect_header("allow", "GET, POST"),
        Case {
            method: Method::DELETE,
            body: None,
            ..post_query("DELETE", NORMAL, 405, "METHOD_NOT_ALLOWED")
        }
        .expect_header("allow", "GET, POST"),
        post_raw(
            "text/plain body (a CORS-simple request)",
            "text/plain",
            json!({ "query": NORMAL }).to_string().into_bytes(),
            415,
            "UNSUPPORTED_MEDIA_TYPE",
        ),
        post_raw(
            "form-urlencoded body",
            "application/x-www-form-urlencoded",
            b"query=%7B+__typename+%7D".to_vec(),
            415,
            "UNSUPPORTED_MEDIA_TYPE",
        ),
        post_raw(
            "JSON in a charset other than UTF-8",
            "application/json; charset=latin1",
            json!({ "query": NORMAL }).to_string().into_bytes(),
            415,
            "UNSUPPORTED_MEDIA_TYPE",
        ),
        post_query(
            "Accept that allows neither response type",
            NORMAL,
            406,
            "NOT_ACCEPTABLE",
        )
        .with_header("accept", "application/xml"),
        // GET.
        get(
            "query string over max_query_string_bytes",
            &[("query", &long_query_string)],
            414,
            "URI_TOO_LONG",
        ),
        get(
            "mutation over GET",
            &[("query", "mutation { x }")],
            405,
            "METHOD_NOT_ALLOWED",
        )
        .expect_header("allow", "POST"),
        get(
            "query given twice over GET",
            &[("query", "{ __typename }"), ("query", NORMAL)],
            400,
            "BAD_REQUEST",
        ),
        get(
            "variables over GET that are not JSON",
            &[("query", NORMAL), ("variables", "{nope")],
            400,
            "BAD_REQUEST",
        ),
    ]
}

/// Sends `case` as it is, checks the refusal, then checks that a normal query still works.
async fn run(server: &TestServer, case: &Case) {
    let name = case.name;
    let mut request = server.client.request(
        case.method.clone(),
        server.url(&format!("/graphql{}", case.query_string)),
    );
    for (k, v) in &case.headers {
        request = request.header(*k, *v);
    }
    if let Some(body) = &case.body {
        request = request.body(body.clone());
    }
    let response = request
        .send()
        .await
        .unwrap_or_else(|e| panic!("{name}: no answer: {e}"));
    let status = response.status().as_u16();
    let header = case.header.map(|(k, _)| {
        response
            .headers()
            .get(k)
            .map(|v| v.to_str().unwrap_or("<not text>").to_owned())
    });
    let text = response
        .text()
        .await
        .unwrap_or_else(|e| panic!("{name}: no body: {e}"));
    let body: Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{name}: the body is not JSON ({e}): {text}"));
    assert_eq!(status, case.status, "{name}: status; body {body}");
    assert_eq!(
        body["errors"][0]["extensions"]["code"], case.code,
        "{name}: code; body {body}"
    );
    assert!(
        body.get("data").is_none(),
        "{name}: a request error has no `data`: {body}"
    );
    if let (Some((k, v)), Some(got)) = (case.header, header) {
        assert_eq!(got.as_deref(), Some(v), "{name}: header {k}");
    }
    assert_still_serves(server, name).await;
}

async fn assert_still_serves(server: &TestServer, after: &str) {
    let (status, body) = server.post(NORMAL, json!({})).await;
    assert_eq!(status, 200, "after {after}: {body}");
    assert!(
        body["data"]["film"]["title"].is_string(),
        "after {after}: {body}"
    );
}

#[tokio::test]
async fn hostile_requests_are_refused_with_their_code_and_no_data() {
    let server = common::spawn().await;
    let cases = cases();
    let mut names = std::collections::HashSet::new();
    for case in &cases {
        assert!(names.insert(case.name), "two cases named {}", case.name);
        run(&server, case).await;
    }
}

/// Arguments that pass the guard but that resolvers refuse: these reach execution, so they
/// come back as field errors beside `data`, with the nullable field above the failure null.
#[tokio::test]
async fn hostile_arguments_are_field_errors_with_the_field_null() {
    let server = common::spawn().await;
    // (name, query, variables); each fails in `film.cast`, which is non-null, so `film` is null.
    let cases: Vec<(&str, &str, Value)> = vec![
        (
            "huge page size",
            r#"{ film(slug: "leap") { cast(first: 1000) { totalCount } } }"#,
            json!({}),
        ),
        (
            "negative page size",
            r#"{ film(slug: "leap") { cast(first: -1) { totalCount } } }"#,
            json!({}),
        ),
        (
            "huge page size from a variable",
            r#"query ($n: Int) { film(slug: "leap") { cast(first: $n) { totalCount } } }"#,
            json!({ "n": 1000 }),
        ),
        (
            "huge last",
            r#"{ film(slug: "leap") { cast(last: 101) { totalCount } } }"#,
            json!({}),
        ),
        (
            "garbage cursor",
            r#"{ film(slug: "leap") { cast(after: "!!not a cursor!!") { totalCount } } }"#,
            json!({}),
        ),
    ];
    for (name, query, variables) in cases {
        let (status, body) = server.post(query, variables).await;
        assert_field_error(status, &body, name, &["film", "cast"]);
        assert_still_serves(&server, name).await;
    }
}

/// Asserts a 200 whose first error is BAD_USER_INPUT at `path`, with `data` present and the
/// root field of `path` in it as null.
fn assert_field_error(status: u16, body: &Value, name: &str, path: &[&str]) {
    assert_eq!(status, 200, "{name}: {body}");
    let error = &body["errors"][0];
    assert_eq!(
        error["extensions"]["code"], "BAD_USER_INPUT",
        "{name}: {body}"
    );
    assert_eq!(error["path"], json!(path), "{name}: {body}");
    let data = body
        .get("data")
        .unwrap_or_else(|| panic!("{name}: an execution error keeps `data`: {body}"));
    assert!(
        data.get(path[0]).is_some_and(Value::is_null),
        "{name}: `{}` is not in `data` as null: {body}",
        path[0]
    );
}

/// The same for resolvers of root fields that refuse their arguments: the nullable root field
/// is in `data` as null, beside the others, with the error at its path and location.
/// (async-graphql 7.2 on its own drops such a field; `schema::nulls` puts it back.)
#[tokio::test]
async fn root_field_errors_leave_the_field_null() {
    let server = common::spawn().await;
    let cases = [
        ("garbage id", r#"{ node(id: "not an id") { id } }"#, "node"),
        ("neither id nor slug", "{ film { title } }", "film"),
        (
            "id of the wrong kind",
            r#"{ film(id: "x") { title } }"#,
            "film",
        ),
    ];
    for (name, query, field) in cases {
        let (status, body) = server.post(query, json!({})).await;
        assert_field_error(status, &body, name, &[field]);
    }

    let (status, body) = server
        .post(
            r#"{ film(slug: "leap") { title } node(id: "junk") { id } }"#,
            json!({}),
        )
        .await;
    assert_field_error(status, &body, "beside another root field", &["node"]);
    assert_eq!(body["data"]["film"]["title"], "Leap", "{body}");
    assert_eq!(
        body["errors"][0]["locations"],
        json!([{ "line": 1, "column": 32 }]),
        "{body}"
    );
    assert_eq!(body["errors"].as_array().map(Vec::len), Some(1), "{body}");
}

/// A failed non-null field makes its nearest nullable ancestor null, and `data` itself when
/// the field is a root field (the connections and `search` are non-null): the spec's rule,
/// which async-graphql 7.2 alone does not follow (it drops the field and keeps the rest).
#[tokio::test]
async fn non_null_field_errors_null_the_nearest_nullable_ancestor() {
    let server = common::spawn().await;
    for (name, query, path) in [
        (
            "search beside a lookup",
            r#"{ film(slug: "leap") { title } search(query: "!!!") { totalCount } }"#,
            json!(["search"]),
        ),
        (
            "a connection beside a lookup",
            r#"{ film(slug: "leap") { title } films(first: 1000) { totalCount } }"#,
            json!(["films"]),
        ),
        (
            "the only ids list holds a bad id",
            r#"{ nodes(ids: ["junk"]) { id } }"#,
            json!(["nodes"]),
        ),
    ] {
        let (status, body) = server.post(query, json!({})).await;
        assert_eq!(status, 200, "{name}: {body}");
        assert_eq!(
            body.get("data"),
            Some(&Value::Null),
            "{name}: data is null: {body}"
        );
        assert_eq!(body["errors"][0]["path"], path, "{name}: {body}");
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
            "{name}: {body}"
        );
    }

    // Below the root the failure stops at the nullable `film`, even though `title` resolved.
    let (status, body) = server
        .post(
            r#"{ film(slug: "leap") { title cast(first: 1000) { totalCount } } __typename }"#,
            json!({}),
        )
        .await;
    assert_field_error(status, &body, "a nested connection", &["film", "cast"]);
    assert_eq!(body["data"]["__typename"], "Query", "{body}");
}

/// With every concurrency permit taken, a request is shed at once with 503 and Retry-After,
/// and is served again once a permit is free. The test holds the one permit itself, which
/// is deterministic where a "slow request" would not be: no resolver can be made to wait.
#[tokio::test]
async fn requests_over_the_concurrency_limit_are_shed_with_503() {
    let mut config = Config {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        ..Config::default()
    };
    config.limits.max_concurrent_requests = 1;
    let store = leap_graphql::seed::load_bundled().expect("the bundled seed loads");
    let state = AppState::new(config, store);
    let permits = state.engine.permits().clone();
    let bound = Server::bind(state).await.expect("binds port 0");
    let addr = bound.local_addr().expect("has an address");
    tokio::spawn(bound.run());
    let server = TestServer {
        addr,
        client: reqwest::Client::new(),
    };

    let held = permits.try_acquire_owned().expect("the one permit is free");
    let response = server
        .client
        .post(server.url("/graphql"))
        .header("content-type", JSON)
        .header("accept", GRAPHQL_RESPONSE)
        .body(json!({ "query": NORMAL }).to_string())
        .send()
        .await
        .expect("the server answers");
    assert_eq!(response.status().as_u16(), 503);
    assert_eq!(
        response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok()),
        Some("1")
    );
    let body: Value = response.json().await.expect("a JSON body");
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "OVERLOADED",
        "{body}"
    );
    assert!(body.get("data").is_none(), "{body}");

    drop(held);
    assert_still_serves(&server, "the permit was released").await;
}

/// A chunked body declares no length, so the limit must hold while reading: 70 KiB in 1 KiB
/// chunks is refused with 413 like a declared one. Spoken over a raw socket, because reqwest
/// (as configured here) always sends a length.
#[tokio::test]
async fn chunked_body_over_the_limit_is_refused_with_413() {
    use std::io::{Read, Write};

    let server = common::spawn().await;
    let addr = server.addr;
    let response = tokio::task::spawn_blocking(move || {
        let mut stream = std::net::TcpStream::connect(addr).expect("connects");
        stream
            .set_read_timeout(Some(std::time::Duration::from_secs(10)))
            .expect("sets a timeout");
        let head = format!(
            "POST /graphql HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
             Accept: {GRAPHQL_RESPONSE}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        );
        stream.write_all(head.as_bytes()).expect("writes the head");
        let chunk = format!("400\r\n{}\r\n", "x".repeat(0x400));
        // The server may answer and stop reading part-way; later writes may then fail.
        for _ in 0..70 {
            if stream.write_all(chunk.as_bytes()).is_err() {
                break;
            }
        }
        let _ = stream.write_all(b"0\r\n\r\n");
        let mut response = Vec::new();
        let _ = stream.read_to_end(&mut response);
        String::from_utf8_lossy(&response).into_owned()
    })
    .await
    .expect("the client thread ends");
    assert!(
        response.starts_with("HTTP/1.1 413"),
        "expected 413, got: {response}"
    );
    assert!(
        response.contains(r#""code":"PAYLOAD_TOO_LARGE""#),
        "{response}"
    );
    assert!(!response.contains(r#""data""#), "{response}");
    assert_still_serves(&server, "a chunked body over the limit").await;
}
