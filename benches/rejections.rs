//! What each rejection costs: the time to answer one request of each class, in-process
//! through the real router (`app(state)` driven by `oneshot`, body read to the end), next to
//! a small normal query. `cargo bench --bench rejections`; prints the median and 90th
//! percentile per request in microseconds.
//!
//! A plain timing loop rather than criterion: the question is "is every refusal cheap next
//! to a real query", which medians over thousands of runs answer, without a dependency tree
//! the size of the server's.

use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::http::{Request, StatusCode, header};
use leap_graphql::config::Config;
use leap_graphql::http::{App, AppState, app};
use serde_json::{Value, json};
use tower::ServiceExt;

/// Each case runs for this long (or `MAX_RUNS` times) after `WARM_UP`.
const BUDGET: Duration = Duration::from_secs(2);
const WARM_UP: Duration = Duration::from_millis(300);
const MAX_RUNS: usize = 50_000;

/// One class of request: how to build it and how it must be answered.
struct Case {
    name: &'static str,
    content_type: &'static str,
    accept: &'static str,
    body: Vec<u8>,
    status: StatusCode,
    /// The error code, or `None` for the normal query.
    code: Option<&'static str>,
}

fn query(name: &'static str, document: &str, status: u16, code: Option<&'static str>) -> Case {
    raw(
        name,
        "application/json",
        json!({ "query": document }).to_string().into_bytes(),
        status,
        code,
    )
}

fn raw(
    name: &'static str,
    content_type: &'static str,
    body: Vec<u8>,
    status: u16,
    code: Option<&'static str>,
) -> Case {
    Case {
        name,
        content_type,
        accept: "application/graphql-response+json",
        body,
        status: StatusCode::from_u16(status).expect("a status"),
        code,
    }
}

fn cases() -> Vec<Case> {
    let normal = r#"{ film(slug: "leap") { title } }"#;
    let mut fan_out = String::from(r#"{ film(slug: "leap") { ...F0 } }"#);
    for i in 0..9 {
        let spreads = vec![format!("...F{}", i + 1); 10].join(" ");
        fan_out.push_str(&format!(" fragment F{i} on Film {{ {spreads} }}"));
    }
    fan_out.push_str(" fragment F9 on Film { title }");
    let aliases: Vec<String> = (0..31).map(|i| format!("a{i}: title")).collect();
    let lap = "cast(first: 1) { edges { node { ... on Person { credits(first: 1) { edges { node { ... on Film { ";
    let close = "} } } } } } } } ";
    let depth = format!(
        "{{ film(slug: \"leap\") {{ {} title {}}} }}",
        lap.repeat(3),
        close.repeat(3)
    );
    let tokens = vec!["\"a\""; 2_100].join(" ");
    vec![
        query("normal small query (200)", normal, 200, None),
        raw(
            "body too large (413)",
            "application/json",
            format!(
                r#"{{"query": "{{ __typename }}", "pad": "{}"}}"#,
                "x".repeat(70 * 1024)
            )
            .into_bytes(),
            413,
            Some("PAYLOAD_TOO_LARGE"),
        ),
        raw(
            "bad media type (415)",
            "text/plain",
            json!({ "query": normal }).to_string().into_bytes(),
            415,
            Some("UNSUPPORTED_MEDIA_TYPE"),
        ),
        Case {
            accept: "application/xml",
            ..query("not acceptable (406)", normal, 406, Some("NOT_ACCEPTABLE"))
        },
        raw(
            "JSON syntax error",
            "application/json",
            br#"{"query": "#.to_vec(),
            400,
            Some("BAD_REQUEST"),
        ),
        raw(
            "batch",
            "application/json",
            json!([{ "query": normal }, { "query": normal }])
                .to_string()
                .into_bytes(),
            400,
            Some("BATCH_NOT_SUPPORTED"),
        ),
        query(
            "token flood (2,100 list items)",
            &format!("{{ nodes(ids: [{tokens}]) {{ id }} }}"),
            400,
            Some("TOO_MANY_TOKENS"),
        ),
        query(
            "alias flood (31 aliases)",
            &format!(r#"{{ film(slug: "leap") {{ {} }} }}"#, aliases.join(" ")),
            400,
            Some("TOO_MANY_ALIASES"),
        ),
        query(
            "fragment fan-out (10^9 fields)",
            &fan_out,
            400,
            Some("TOO_MANY_FIELDS"),
        ),
        query("depth attack (cyclic links)", &depth, 400, Some("TOO_DEEP")),
        query(
            "introspection cycle",
            "{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }",
            400,
            Some("INTROSPECTION_TOO_DEEP"),
        ),
        query(
            "document parse error",
            "{ film(",
            400,
            Some("GRAPHQL_PARSE_FAILED"),
        ),
        query(
            "validation error",
            r#"{ film(slug: "leap") { nonsense } }"#,
            400,
            Some("GRAPHQL_VALIDATION_FAILED"),
        ),
    ]
}

fn request(case: &Case) -> Request<Body> {
    Request::post("/graphql")
        .header(header::CONTENT_TYPE, case.content_type)
        .header(header::ACCEPT, case.accept)
        // A real client declares the length, and the 413 is decided on it before reading.
        .header(header::CONTENT_LENGTH, case.body.len())
        .body(Body::from(case.body.clone()))
        .expect("a request")
}

/// Sends one request and returns the status and the body, read to the end as a server would
/// write it.
async fn send(router: &App, request: Request<Body>) -> (StatusCode, Bytes) {
    let response = router
        .clone()
        .oneshot(request)
        .await
        .expect("the router is infallible");
    let status = response.status();
    let body = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("the body reads");
    (status, body)
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i].as_secs_f64() * 1e6
}

fn main() {
    let store = leap_graphql::seed::load_bundled().expect("the bundled seed loads");
    let router = app(AppState::new(Config::default(), store));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    println!(
        "{:<34} {:>12} {:>10} {:>8}",
        "request", "median µs", "p90 µs", "runs"
    );
    runtime.block_on(async {
        for case in cases() {
            // Measure only what the case claims to be.
            let (status, body) = send(&router, request(&case)).await;
            let body: Value = serde_json::from_slice(&body).expect("a JSON body");
            assert_eq!(status, case.status, "{}: {body}", case.name);
            match case.code {
                Some(code) => assert_eq!(
                    body["errors"][0]["extensions"]["code"], code,
                    "{}",
                    case.name
                ),
                None => assert!(
                    body["data"].is_object() && body.get("errors").is_none(),
                    "{}: {body}",
                    case.name
                ),
            }

            let warm = Instant::now();
            while warm.elapsed() < WARM_UP {
                std::hint::black_box(send(&router, request(&case)).await);
            }
            let mut times = Vec::new();
            let start = Instant::now();
            while start.elapsed() < BUDGET && times.len() < MAX_RUNS {
                // The request is built outside the clock: the 413 case copies a 70 KB body.
                let request = request(&case);
                let t = Instant::now();
                let answer = send(&router, request).await;
                times.push(t.elapsed());
                std::hint::black_box(answer);
            }
            times.sort_unstable();
            println!(
                "{:<34} {:>12.1} {:>10.1} {:>8}",
                case.name,
                percentile(&times, 0.5),
                percentile(&times, 0.9),
                times.len()
            );
        }
    });
}
