//! Live updates: `reviewAdded` over graphql-sse (distinct connections) and
//! graphql-transport-ws, with the npm clients real frontends use (`graphql-ws`, `graphql-sse`,
//! run by tests/e2e/subscriptions.mjs), and the transports' refusals: a cross-origin
//! WebSocket, a mutation over a stream, a subscriber that falls behind, the cap.

mod common;

use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use futures_util::StreamExt;
use serde_json::{Value, json};

const LEAP: &str = "RmlsbTpsZWFw";
/// The frontends' `ReviewAdded`, as written.
const SUBSCRIPTION: &str = include_str!("operations/ReviewAdded.graphql");

async fn add(s: &common::TestServer, subject: &str, body: &str) -> String {
    let d = s
        .data(
            "mutation($input: AddReviewInput!) { addReview(input: $input) { review { id } userErrors { code } } }",
            json!({ "input": { "subject": subject, "rating": 5, "author": "a", "body": body } }),
        )
        .await;
    d["addReview"]["review"]["id"].as_str().unwrap().to_owned()
}

async fn sse(s: &common::TestServer, query: &str, variables: Value) -> reqwest::Response {
    s.client
        .post(s.url("/graphql"))
        .header("content-type", "application/json")
        .header("accept", "text/event-stream")
        .body(json!({ "query": query, "variables": variables }).to_string())
        .send()
        .await
        .unwrap()
}

/// Reads an event stream until `needle` has arrived, or fails after 10 s.
async fn read_until(r: &mut reqwest::Response, needle: &str) -> String {
    let mut text = String::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !text.contains(needle) {
        let chunk = tokio::time::timeout_at(deadline, r.chunk())
            .await
            .unwrap_or_else(|_| panic!("no {needle:?} in {text:?}"))
            .unwrap();
        match chunk {
            Some(c) => text.push_str(&String::from_utf8_lossy(&c)),
            None => panic!("the stream ended before {needle:?}: {text:?}"),
        }
    }
    text
}

#[tokio::test]
async fn sse_subscribers_get_each_review_of_their_work_once_it_is_stored() {
    let (s, state) = common::spawn_state(common::config()).await;
    let album = s
        .data("{ album(slug: \"leap-soundtrack\") { id } }", json!({}))
        .await["album"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut film_streams = Vec::new();
    for _ in 0..20 {
        let r = sse(&s, SUBSCRIPTION, json!({ "subject": LEAP })).await;
        assert_eq!(r.status(), 200);
        assert!(
            r.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/event-stream")
        );
        assert!(r.headers().get("content-encoding").is_none());
        film_streams.push(r);
    }
    let mut album_stream = sse(&s, SUBSCRIPTION, json!({ "subject": album })).await;
    common::eventually("21 subscriptions", || async {
        (state.engine.subscriptions().open() == 21).then_some(())
    })
    .await;
    let on_album = add(&s, &album, "album").await;
    let on_film = add(&s, LEAP, "film").await;
    for r in &mut film_streams {
        let text = read_until(r, &on_film).await;
        assert!(text.contains("event: next"), "{text}");
        assert!(
            !text.contains(&on_album),
            "a film subscriber heard of the album: {text}"
        );
    }
    let text = read_until(&mut album_stream, &on_album).await;
    assert!(!text.contains(&on_film));
    assert_eq!(
        s.metric("leap_graphql_subscriptions_open", &[]).await,
        Some(21.0)
    );
    assert!(
        s.metric("leap_graphql_subscription_events_total", &[])
            .await
            >= Some(21.0)
    );
    drop(film_streams);
    drop(album_stream);
}

#[tokio::test]
async fn streams_refuse_what_is_not_a_subscription_and_bad_subjects() {
    let s = common::spawn().await;
    let r = sse(
        &s,
        "mutation { deleteReview(input: { id: \"x\", editToken: \"y\" }) { deletedReviewId } }",
        json!({}),
    )
    .await;
    assert_eq!(r.status(), 405);
    let body: Value = r.json().await.unwrap();
    assert_eq!(
        body["errors"][0]["extensions"]["code"],
        "METHOD_NOT_ALLOWED"
    );
    let r = sse(&s, "{ film(slug: \"leap\") { id } }", json!({})).await;
    assert_eq!(r.status(), 405);
    // A subscription over plain POST is refused too: it needs a stream.
    let (status, body) = s.post(SUBSCRIPTION, json!({ "subject": LEAP })).await;
    assert_eq!(status, 400, "{body}");
    // A subject that is not a work: the stream says so and completes.
    let mut r = sse(
        &s,
        SUBSCRIPTION,
        json!({ "subject": "UGVyc29uOmdvbmctbGk" }),
    )
    .await;
    let text = read_until(&mut r, "event: complete").await;
    assert!(text.contains("BAD_USER_INPUT"), "{text}");
}

/// A WebSocket handshake by hand: the status line the server answers.
async fn handshake(s: &common::TestServer, origin: Option<&str>) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut tcp = tokio::net::TcpStream::connect(s.addr).await.unwrap();
    let origin = origin.map_or(String::new(), |o| format!("Origin: {o}\r\n"));
    let request = format!(
        "GET /graphql HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\
         Sec-WebSocket-Protocol: graphql-transport-ws\r\n{origin}\r\n",
        s.addr
    );
    tcp.write_all(request.as_bytes()).await.unwrap();
    let mut buf = vec![0; 1024];
    let n = tokio::time::timeout(Duration::from_secs(5), tcp.read(&mut buf))
        .await
        .unwrap()
        .unwrap();
    String::from_utf8_lossy(&buf[..n])
        .lines()
        .next()
        .unwrap_or("")
        .to_owned()
}

#[tokio::test]
async fn a_cross_origin_websocket_is_refused_unless_cors_allows_it() {
    let s = common::spawn().await;
    let own = format!("http://{}", s.addr);
    assert!(handshake(&s, None).await.contains("101"));
    assert!(handshake(&s, Some(&own)).await.contains("101"));
    assert!(
        handshake(&s, Some("https://evil.example"))
            .await
            .contains("403")
    );
    let mut config = common::config();
    config.http.cors_origins = vec!["https://app.example".into()];
    let s = common::spawn_with(config).await;
    assert!(
        handshake(&s, Some("https://app.example"))
            .await
            .contains("101")
    );
    assert!(
        handshake(&s, Some("https://evil.example"))
            .await
            .contains("403")
    );
}

#[tokio::test]
async fn a_subscriber_that_falls_behind_is_dropped_and_the_cap_holds() {
    let mut config = common::config();
    config.writes.max_subscriptions = 2;
    config.writes.max_writes_per_minute = 0;
    let (s, state) = common::spawn_state(config).await;
    let params = |subject: &str| {
        axum::body::Bytes::from(
            json!({ "query": SUBSCRIPTION, "variables": { "subject": subject } }).to_string(),
        )
    };
    let mut stalled = state.engine.subscribe(&params(LEAP)).ok().unwrap();
    let _second = state.engine.subscribe(&params(LEAP)).ok().unwrap();
    let third = state.engine.subscribe(&params(LEAP));
    assert_eq!(
        third.err().map(|r| r.code.as_str()),
        Some("TOO_MANY_SUBSCRIPTIONS")
    );
    // The first poll starts the subscription; nothing is there yet.
    assert!(
        tokio::time::timeout(Duration::from_millis(100), stalled.next())
            .await
            .is_err()
    );
    for i in 0..70 {
        add(&s, LEAP, &format!("review {i}")).await;
    }
    // 70 events behind a queue of 64: the stream ends rather than holding them.
    let rest: Vec<_> = tokio::time::timeout(Duration::from_secs(5), stalled.collect::<Vec<_>>())
        .await
        .expect("the stalled stream ends");
    assert!(rest.len() < 70, "{} events", rest.len());
    common::eventually("its place back", || async {
        (state.engine.subscriptions().open() == 1).then_some(())
    })
    .await;
}

/// The npm clients: graphql-ws (over ws) and graphql-sse, both against one server.
#[test]
fn the_npm_clients_receive_reviews_live() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let script = root.join("tests/e2e/subscriptions.mjs");
    let ready = ["graphql-ws", "graphql-sse", "ws", "graphql"]
        .iter()
        .all(|p| {
            root.join(format!("tests/e2e/node_modules/{p}/package.json"))
                .is_file()
        });
    let node = Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ready || !node {
        let what = "node and tests/e2e/node_modules (graphql-ws, graphql-sse, ws, graphql)";
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("the subscription client test cannot run in CI: missing {what}");
        }
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED: npm subscription clients: missing {what}; run `.ci/install-e2e`"
        );
        return;
    }
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let server = runtime.block_on(async {
        let mut config = common::config();
        config.writes.max_writes_per_minute = 0;
        common::spawn_with(config).await
    });
    let out = Command::new("node")
        .arg(&script)
        .arg(server.url("/graphql"))
        .arg(LEAP)
        .current_dir(root.join("tests/e2e"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "stdout: {stdout}\nstderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let result: Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(result["ws"], result["id"]);
    assert_eq!(result["sse"], result["id"]);
}
