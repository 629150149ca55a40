//! Limits that hold at any scale, on a synthetic catalogue large enough that a plain list
//! holds hundreds of entities: a short query that fans out is refused for its cost, or for
//! the size of its answer, never answered with megabytes; a query that works past the
//! timeout is refused, not answered late. Each refusal has its code and no `data`, from both
//! executors (the first request of a document runs on async-graphql, the next on its plan).

mod common;

use std::time::Duration;

use common::{TestServer, dir_config, spawn_with};
use leap_graphql::config::Config;
use serde_json::{Value, json};

/// A synthetic catalogue of `films` films, and a configuration serving it.
fn catalogue(films: usize) -> (tempfile::TempDir, Config) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    leap_graphql::synth::generate(dir.path(), films, 7).expect("generates");
    let config = dir_config(dir.path(), None);
    (dir, config)
}

/// Sends `query` twice (async-graphql, then the plan if it has one) and asserts both are
/// refused with `code` and no `data`.
async fn refused_twice(server: &TestServer, query: &str, code: &str) {
    for run in ["first", "second"] {
        let (status, body) = server.post(query, json!({})).await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"],
            code,
            "{run} run of {query}: {status} {}",
            truncate(&body)
        );
        assert!(
            body.get("data").is_none(),
            "{run} run has data: {}",
            truncate(&body)
        );
        assert_ne!(status, 200, "{run} run of {query}");
    }
}

fn truncate(body: &Value) -> String {
    body.to_string().chars().take(300).collect()
}

#[tokio::test]
async fn short_fan_outs_are_refused_or_capped() {
    let (_dir, config) = catalogue(3000);
    let server = spawn_with(config).await;
    // Each is under 200 characters; each would answer megabytes if lists counted as one.
    let fan_outs = [
        "{competitions(first:100){nodes{matches{title teams{name} films{title}}}}}",
        "{companies(first:100){nodes{productions{title cast(first:100){nodes{name}}}}}}",
        "{teams(first:100){nodes{matches(first:100){nodes{title teams{name matches{nodes{title}}}}}}}}",
        "{people(first:100){nodes{albums{title tracks(first:100){nodes{title}}}}}}",
    ];
    for query in fan_outs {
        assert!(query.len() < 200, "{query}");
        for _ in 0..2 {
            let (status, body) = server.post(query, json!({})).await;
            let size = body.to_string().len();
            match body["errors"][0]["extensions"]["code"].as_str() {
                Some("TOO_COSTLY" | "RESPONSE_TOO_LARGE") => {
                    assert_eq!(status, 400, "{query}");
                    assert!(body.get("data").is_none(), "{query}");
                }
                _ => {
                    assert_eq!(status, 200, "{query}: {}", truncate(&body));
                    assert!(size <= 4 * 1024 * 1024, "{query}: {size} bytes");
                }
            }
        }
    }
    // The competitions' matches are costed at the largest competition's size (25 matches
    // here), not as one item: about 15 000 nodes, where counting lists as one gave 800.
    let (_dir, mut config) = catalogue(3000);
    config.limits.document.max_cost = 5_000;
    let strict = spawn_with(config).await;
    let (status, body) = strict.post(fan_outs[0], json!({})).await;
    assert_eq!(status, 400);
    assert_eq!(
        body["errors"][0]["extensions"]["code"],
        "TOO_COSTLY",
        "{}",
        truncate(&body)
    );
    // Paged through its connection, the same list is cheap.
    let data = server
        .data(
            "{competitions(first:5){nodes{matchesConnection(first:3){totalCount nodes{title}}}}}",
            json!({}),
        )
        .await;
    let first = &data["competitions"]["nodes"][0]["matchesConnection"];
    assert!(first["totalCount"].as_u64().unwrap() > 3, "{first}");
    assert_eq!(first["nodes"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn an_answer_over_the_byte_cap_is_refused_whole() {
    let (_dir, mut config) = catalogue(200);
    config.limits.max_response_bytes = 4_000;
    let server = spawn_with(config).await;
    refused_twice(
        &server,
        "{matches(first:100){nodes{title date}}}",
        "RESPONSE_TOO_LARGE",
    )
    .await;
    // A small answer still passes under the cap.
    let data = server
        .data("{matches(first:2){nodes{title}}}", json!({}))
        .await;
    assert_eq!(data["matches"]["nodes"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn work_past_the_timeout_is_refused_not_answered() {
    let (_dir, mut config) = catalogue(400);
    config.limits.request_timeout = Duration::from_millis(1);
    config.limits.document.max_cost = 10_000_000;
    let server = spawn_with(config).await;
    // Twenty thousand objects take far longer than a millisecond to write.
    refused_twice(
        &server,
        "{matches(first:100){nodes{title teams{name matches(first:100){nodes{title date}}}}}}",
        "TIMEOUT",
    )
    .await;
}
