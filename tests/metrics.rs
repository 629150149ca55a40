//! `GET /metrics` parses as Prometheus text and counts what it says it counts.

mod common;

use common::{Sample, TestServer, spawn};
use serde_json::json;

async fn post_named(server: &TestServer, query: &str, operation: &str) -> u16 {
    let body = json!({ "query": query, "operationName": operation });
    server
        .client
        .post(server.url("/graphql"))
        .header("content-type", "application/json")
        .header("accept", "application/graphql-response+json")
        .body(body.to_string())
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

fn value(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> f64 {
    samples
        .iter()
        .find(|s| {
            s.name == name
                && s.labels.len() == labels.len()
                && labels
                    .iter()
                    .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(v))
        })
        .unwrap_or_else(|| panic!("no sample {name}{labels:?}"))
        .value
}

#[tokio::test]
async fn the_page_counts_requests_by_operation_and_outcome() {
    let server = spawn().await;
    let film_page = r#"query FilmPage { film(slug: "leap") { title } }"#;
    for _ in 0..3 {
        assert_eq!(post_named(&server, film_page, "FilmPage").await, 200);
    }
    // A field error: the page size is out of range, so the response has data and errors.
    assert_eq!(
        post_named(
            &server,
            "query Huge { films(first: 500) { totalCount } }",
            "Huge"
        )
        .await,
        200
    );
    // Request errors: a document that does not parse, and a body with no query.
    let (status, _) = server.post("{ film(", json!({})).await;
    assert_eq!(status, 400);
    let r = server
        .client
        .post(server.url("/graphql"))
        .header("content-type", "application/json")
        .body(r#"{"variables": {}}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    // A name that never ran does not get a label of its own.
    assert_eq!(
        post_named(&server, "query Ghost { nope }", "Ghost").await,
        400
    );

    let r = server
        .client
        .get(server.url("/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.headers()["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    let samples = common::parse_prometheus(&r.text().await.unwrap());
    let requests = |op: &str, outcome: &str| {
        value(
            &samples,
            "leap_graphql_requests_total",
            &[("operation", op), ("outcome", outcome)],
        )
    };
    assert_eq!(requests("FilmPage", "ok"), 3.0);
    assert_eq!(requests("FilmPage", "error"), 0.0);
    assert_eq!(requests("Huge", "error"), 1.0);
    assert_eq!(requests("anonymous", "rejected"), 2.0);
    assert_eq!(requests("other", "rejected"), 1.0);
    assert!(
        samples
            .iter()
            .all(|s| s.labels.get("operation").map(String::as_str) != Some("Ghost"))
    );
    let rejections =
        |code: &str| value(&samples, "leap_graphql_rejections_total", &[("code", code)]);
    assert_eq!(rejections("GRAPHQL_PARSE_FAILED"), 1.0);
    assert_eq!(rejections("BAD_REQUEST"), 1.0);
    assert_eq!(rejections("GRAPHQL_VALIDATION_FAILED"), 1.0);

    // The histogram agrees with the counters: three requests, cumulative buckets ending at
    // +Inf with the count.
    let hist = "leap_graphql_request_duration_seconds";
    assert_eq!(
        value(
            &samples,
            &format!("{hist}_count"),
            &[("operation", "FilmPage")]
        ),
        3.0
    );
    let buckets: Vec<&Sample> = samples
        .iter()
        .filter(|s| {
            s.name == format!("{hist}_bucket")
                && s.labels.get("operation").map(String::as_str) == Some("FilmPage")
        })
        .collect();
    assert!(buckets.len() > 5);
    assert!(
        buckets.windows(2).all(|w| w[0].value <= w[1].value),
        "cumulative"
    );
    assert_eq!(buckets.last().unwrap().labels["le"], "+Inf");
    assert_eq!(buckets.last().unwrap().value, 3.0);
    assert!(
        value(
            &samples,
            &format!("{hist}_sum"),
            &[("operation", "FilmPage")]
        ) > 0.0
    );

    // The graph: generation 1, nothing reloaded, the bundled seed's counts.
    assert_eq!(value(&samples, "leap_graphql_graph_generation", &[]), 1.0);
    assert_eq!(
        value(&samples, "leap_graphql_graph_entities", &[("kind", "Film")]),
        4.0
    );
    assert_eq!(
        value(
            &samples,
            "leap_graphql_graph_entities",
            &[("kind", "Person")]
        ),
        13.0
    );
    for result in ["ok", "failed"] {
        assert_eq!(
            value(
                &samples,
                "leap_graphql_reloads_total",
                &[("result", result)]
            ),
            0.0
        );
    }
    // Every request that got past the body went through the response cache: the three
    // identical FilmPage requests are one miss and two hits, the other four are misses. The
    // four that reached the executor (FilmPage once, Huge, the broken document and Ghost)
    // each looked for a parsed document they had not sent before.
    let lookups = |cache: &str, result: &str| {
        value(
            &samples,
            "leap_graphql_cache_lookups_total",
            &[("cache", cache), ("result", result)],
        )
    };
    assert_eq!(lookups("response", "hit"), 2.0);
    assert_eq!(lookups("response", "miss"), 5.0);
    assert_eq!(lookups("document", "hit"), 0.0);
    assert_eq!(lookups("document", "miss"), 4.0);
}

#[tokio::test]
async fn operation_names_past_the_limit_count_as_other() {
    let mut config = leap_graphql::config::Config {
        listen: std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
        ..Default::default()
    };
    config.metrics.max_operation_names = 2;
    let server = common::spawn_with(config).await;
    for name in ["A", "B", "C", "D"] {
        let query = format!("query {name} {{ __typename }}");
        assert_eq!(post_named(&server, &query, name).await, 200);
    }
    let samples = server.metrics().await;
    let ok = |op: &str| {
        value(
            &samples,
            "leap_graphql_requests_total",
            &[("operation", op), ("outcome", "ok")],
        )
    };
    assert_eq!((ok("A"), ok("B"), ok("other")), (1.0, 1.0, 2.0));
    assert!(
        !samples
            .iter()
            .any(|s| s.labels.get("operation").is_some_and(|o| o == "C"))
    );
}

#[test]
fn the_parser_refuses_what_prometheus_would() {
    let good = "# HELP x_total X.\n# TYPE x_total counter\nx_total{a=\"1\"} 2\n";
    assert_eq!(common::parse_prometheus(good)[0].value, 2.0);
    for bad in [
        "x_total 1\n",
        "# TYPE x_total counter\nx_total 1\n",
        "# HELP x_total X.\n# TYPE x_total counter\nx_total{a=1} 1\n",
        "# HELP x_total X.\n# TYPE x_total counter\nx_total one\n",
    ] {
        let bad = bad.to_owned();
        assert!(
            std::panic::catch_unwind(move || common::parse_prometheus(&bad)).is_err(),
            "accepted a malformed page"
        );
    }
}

/// A request shed for want of a permit counts as shed, and its code as a rejection. The test
/// holds the one permit itself, as the hostile suite does, so nothing races.
#[tokio::test]
async fn shed_requests_are_counted_by_code() {
    let mut config = leap_graphql::config::Config {
        listen: std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
        ..Default::default()
    };
    config.limits.max_concurrent_requests = 1;
    let state =
        leap_graphql::http::AppState::new(config, leap_graphql::seed::load_bundled().unwrap());
    let held = state.engine.permits().clone().try_acquire_owned().unwrap();
    let bound = leap_graphql::http::Server::bind(state).await.unwrap();
    let server = TestServer {
        addr: bound.local_addr().unwrap(),
        client: reqwest::Client::new(),
    };
    tokio::spawn(bound.run());
    assert_eq!(
        post_named(&server, "query Busy { __typename }", "Busy").await,
        503
    );
    drop(held);
    let samples = server.metrics().await;
    assert_eq!(
        value(
            &samples,
            "leap_graphql_requests_total",
            &[("operation", "other"), ("outcome", "shed")]
        ),
        1.0,
        "a name that never ran gets no label"
    );
    assert_eq!(
        value(
            &samples,
            "leap_graphql_rejections_total",
            &[("code", "OVERLOADED")]
        ),
        1.0
    );
}
