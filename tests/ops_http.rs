//! What operators and browsers see around the API: request ids, CORS, compression, readiness.

mod common;

use std::io::Read;
use std::net::SocketAddr;

use common::{spawn, spawn_with};
use leap_graphql::config::Config;
use serde_json::{Value, json};

fn config() -> Config {
    Config {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        ..Config::default()
    }
}

#[tokio::test]
async fn request_ids_are_echoed_or_made() {
    let server = spawn().await;
    let get = |id: Option<&'static str>| {
        let mut r = server.client.get(server.url("/healthz"));
        if let Some(id) = id {
            r = r.header("x-request-id", id);
        }
        r.send()
    };
    let echoed = get(Some("client-abc.123")).await.unwrap();
    assert_eq!(echoed.headers()["x-request-id"], "client-abc.123");

    let made = |r: &reqwest::Response| r.headers()["x-request-id"].to_str().unwrap().to_owned();
    let a = made(&get(None).await.unwrap());
    let b = made(&get(None).await.unwrap());
    assert_ne!(a, b, "each request gets its own id");
    for id in [&a, &b] {
        let (prefix, counter) = id.split_once('-').unwrap();
        assert_eq!((prefix.len(), counter.len()), (16, 8), "{id}");
        assert!(
            id.chars().all(|c| c.is_ascii_hexdigit() || c == '-'),
            "{id}"
        );
    }
    // Spaces, or more than 128 characters, are not kept.
    let spaced = made(&get(Some("two words")).await.unwrap());
    assert_ne!(spaced, "two words");
    let long: &'static str = "x".repeat(129).leak();
    assert_ne!(made(&get(Some(long)).await.unwrap()), long);
    // Errors get one too.
    let missing = server.client.get(server.url("/nope")).send().await.unwrap();
    assert_eq!(missing.status(), 404);
    assert!(missing.headers().contains_key("x-request-id"));
}

#[tokio::test]
async fn no_cors_headers_without_configured_origins() {
    let server = spawn().await;
    let r = server
        .client
        .post(server.url("/graphql"))
        .header("origin", "https://app.example")
        .header("content-type", "application/json")
        .body(r#"{"query":"{ __typename }"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        !r.headers()
            .keys()
            .any(|k| k.as_str().starts_with("access-control-")),
        "{:?}",
        r.headers()
    );
    let preflight = server
        .client
        .request(reqwest::Method::OPTIONS, server.url("/graphql"))
        .header("origin", "https://app.example")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert_eq!(
        preflight.status(),
        405,
        "no CORS, so OPTIONS is just another method"
    );
}

#[tokio::test]
async fn cors_allows_only_the_configured_origins_and_answers_preflights() {
    let mut config = config();
    config.http.cors_origins = vec!["https://app.example".into()];
    let server = spawn_with(config).await;
    let post = |origin: &'static str| {
        server
            .client
            .post(server.url("/graphql"))
            .header("origin", origin)
            .header("content-type", "application/json")
            .body(r#"{"query":"{ __typename }"}"#)
            .send()
    };
    let allowed = post("https://app.example").await.unwrap();
    assert_eq!(allowed.status(), 200);
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "https://app.example"
    );
    assert_eq!(
        allowed.headers()["access-control-expose-headers"],
        "x-request-id"
    );
    let other = post("https://evil.example").await.unwrap();
    assert_eq!(
        other.status(),
        200,
        "CORS is enforced by the browser, not by refusing"
    );
    assert!(!other.headers().contains_key("access-control-allow-origin"));

    let preflight = |origin: &'static str| {
        server
            .client
            .request(reqwest::Method::OPTIONS, server.url("/graphql"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "content-type")
            .send()
    };
    let ok = preflight("https://app.example").await.unwrap();
    assert_eq!(ok.status(), 200);
    let h = ok.headers();
    assert_eq!(h["access-control-allow-origin"], "https://app.example");
    let methods = h["access-control-allow-methods"].to_str().unwrap();
    assert!(
        methods.contains("POST") && methods.contains("GET"),
        "{methods}"
    );
    let headers = h["access-control-allow-headers"].to_str().unwrap();
    assert!(headers.contains("content-type"), "{headers}");
    assert_eq!(h["access-control-max-age"], "600");
    let refused = preflight("https://evil.example").await.unwrap();
    assert!(
        !refused
            .headers()
            .contains_key("access-control-allow-origin")
    );
}

#[tokio::test]
async fn large_responses_are_compressed_when_asked_and_small_ones_never() {
    let server = spawn().await;
    let large = r#"{ tracks(first: 22) { nodes { number title duration } } }"#;
    let post = |query: &'static str, encoding: Option<&'static str>| {
        let mut r = server
            .client
            .post(server.url("/graphql"))
            .header("content-type", "application/json")
            .body(json!({ "query": query }).to_string());
        if let Some(e) = encoding {
            r = r.header("accept-encoding", e);
        }
        r.send()
    };
    let plain = post(large, None).await.unwrap();
    assert!(!plain.headers().contains_key("content-encoding"));
    let plain = plain.bytes().await.unwrap();
    assert!(
        plain.len() > 1024,
        "the test needs a large body: {} bytes",
        plain.len()
    );

    let gzipped = post(large, Some("gzip")).await.unwrap();
    assert_eq!(gzipped.headers()["content-encoding"], "gzip");
    let compressed = gzipped.bytes().await.unwrap();
    assert!(compressed.len() < plain.len());
    let mut unzipped = Vec::new();
    flate2::read::GzDecoder::new(&compressed[..])
        .read_to_end(&mut unzipped)
        .unwrap();
    assert_eq!(
        serde_json::from_slice::<Value>(&unzipped).unwrap(),
        serde_json::from_slice::<Value>(&plain).unwrap()
    );

    let br = post(large, Some("br")).await.unwrap();
    assert_eq!(br.headers()["content-encoding"], "br");

    let small = post("{ __typename }", Some("gzip, br")).await.unwrap();
    assert!(!small.headers().contains_key("content-encoding"));
    assert_eq!(
        small.json::<Value>().await.unwrap(),
        json!({ "data": { "__typename": "Query" } })
    );
}

#[tokio::test]
async fn readyz_says_whether_a_graph_is_serving() {
    let server = spawn().await;
    let r = server
        .client
        .get(server.url("/readyz"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), "ready\n");

    // A state whose graph is not in place (as while shutting down) is not ready.
    use tower::ServiceExt;
    let state =
        leap_graphql::http::AppState::new(config(), leap_graphql::seed::load_bundled().unwrap());
    state.engine.graphs().stop_ready();
    let response = leap_graphql::http::app(state)
        .oneshot(
            axum::http::Request::get("/readyz")
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), 503);
}
