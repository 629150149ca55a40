//! Live updates: `reviewAdded` over graphql-sse (distinct connections) and
//! graphql-transport-ws, with the npm clients real frontends use (`graphql-ws`, `graphql-sse`,
//! run by tests/e2e/subscriptions.mjs), and the transports' refusals: a cross-origin
//! WebSocket, a mutation over a stream, a subscriber that falls behind, the cap; every limit
//! and rule of a request refused the same way (same code) over both transports; the
//! protocol's `connection_init`; and a stop that completes every stream.

mod common;

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
    let mut stalled = state.engine.subscribe(&params(LEAP)).await.ok().unwrap();
    let _second = state.engine.subscribe(&params(LEAP)).await.ok().unwrap();
    let third = state.engine.subscribe(&params(LEAP)).await;
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
    if !npm_clients("npm subscription clients") {
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

type Ws = tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>;

/// What a WebSocket says next (pings aside).
#[derive(Debug)]
enum Said {
    Message(Value),
    Closed(u16, String),
    Ended,
}

/// Opens a socket speaking graphql-transport-ws, before `connection_init`.
async fn ws_open(s: &common::TestServer) -> Ws {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let tcp = tokio::net::TcpStream::connect(s.addr).await.unwrap();
    let mut request = format!("ws://{}/graphql", s.addr)
        .into_client_request()
        .unwrap();
    request.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().unwrap(),
    );
    tokio_tungstenite::client_async(request, tcp)
        .await
        .unwrap()
        .0
}

async fn ws_send(ws: &mut Ws, text: String) {
    use futures_util::SinkExt;
    use tokio_tungstenite::tungstenite::Message;
    ws.send(Message::Text(text.into())).await.unwrap();
}

async fn ws_read(ws: &mut Ws) -> Said {
    use tokio_tungstenite::tungstenite::Message;
    loop {
        let next = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .expect("the server says something within 10 s");
        match next {
            Some(Ok(Message::Text(text))) => {
                let v: Value = serde_json::from_str(text.as_str()).unwrap();
                if v["type"] != "ping" {
                    return Said::Message(v);
                }
            }
            Some(Ok(Message::Close(frame))) => {
                return frame.map_or(Said::Closed(1005, String::new()), |f| {
                    Said::Closed(u16::from(f.code), f.reason.to_string())
                });
            }
            Some(Ok(_)) => {}
            Some(Err(_)) | None => return Said::Ended,
        }
    }
}

/// A socket past `connection_init` and its `connection_ack`.
async fn ws_ready(s: &common::TestServer) -> Ws {
    let mut ws = ws_open(s).await;
    ws_send(&mut ws, json!({ "type": "connection_init" }).to_string()).await;
    match ws_read(&mut ws).await {
        Said::Message(m) if m["type"] == "connection_ack" => ws,
        other => panic!("no connection_ack: {other:?}"),
    }
}

/// A subscribe message's refusal over WebSocket: the `error` message's errors.
async fn ws_refusal(s: &common::TestServer, payload: &Value) -> Value {
    let mut ws = ws_ready(s).await;
    let subscribe = json!({ "type": "subscribe", "id": "1", "payload": payload });
    ws_send(&mut ws, subscribe.to_string()).await;
    match ws_read(&mut ws).await {
        Said::Message(m) if m["type"] == "error" && m["id"] == "1" => m["payload"].clone(),
        other => panic!("no error message for {payload}: {other:?}"),
    }
}

/// A request's refusal over SSE: the status and the errors.
async fn sse_refusal(s: &common::TestServer, payload: &Value) -> (u16, Value) {
    let r = s
        .client
        .post(s.url("/graphql"))
        .header("content-type", "application/json")
        .header("accept", "text/event-stream")
        .body(payload.to_string())
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let body: Value = r.json().await.unwrap_or(Value::Null);
    (status, body["errors"].clone())
}

fn code(errors: &Value) -> &str {
    errors[0]["extensions"]["code"].as_str().unwrap_or("(none)")
}

/// Every limit and rule a request meets, met by a subscription over both transports and
/// refused with the same code as over HTTP (and the same words over both).
#[tokio::test]
async fn subscriptions_meet_the_guard_and_limits_of_a_request_on_both_transports() {
    let mut config = common::config();
    config.limits.document.max_depth = 6;
    config.limits.document.max_cost = 50;
    config.limits.document.max_tokens = 300;
    let s = common::spawn_with(config).await;
    let sub = |q: &str| json!({ "query": q, "variables": { "s": LEAP } });
    let deep = "subscription($s: ID!) { reviewAdded(subject: $s) { subject { reviews(first: 1) \
        { nodes { subject { reviews(first: 1) { nodes { id } } } } } } } }";
    let costly = "subscription($s: ID!) { reviewAdded(subject: $s) { subject { reviews(first: \
        100) { nodes { id } } } } }";
    let tokens = format!(
        "subscription($s: ID!) {{ reviewAdded(subject: $s) {{ {} }} }}",
        "id ".repeat(300)
    );
    let introspection = "subscription { __schema { types { fields { type { fields { type { \
        fields { name } } } } } } } }";
    let big = "x".repeat(20_000);
    // (what, the request, the code; whether HTTP refuses the same request with it too: a
    // subscription that passes every check is refused over HTTP for being a subscription,
    // so a validation error is compared with a query's).
    let cases: Vec<(&str, Value, &str, Option<Value>)> = vec![
        ("depth", sub(deep), "TOO_DEEP", None),
        ("cost", sub(costly), "TOO_COSTLY", None),
        ("tokens", sub(&tokens), "TOO_MANY_TOKENS", None),
        (
            "introspection depth",
            sub(introspection),
            "INTROSPECTION_TOO_DEEP",
            None,
        ),
        (
            "parse error",
            sub("subscription { reviewAdded("),
            "GRAPHQL_PARSE_FAILED",
            None,
        ),
        (
            "the guard's grammar",
            sub("subscriptionX { reviewAdded(subject: \"x\") { id } }"),
            "GRAPHQL_PARSE_FAILED",
            None,
        ),
        (
            "validation",
            sub("subscription($s: ID!) { reviewAdded(subject: $s) { nope } }"),
            "GRAPHQL_VALIDATION_FAILED",
            Some(json!({ "query": "{ film(slug: \"leap\") { nope } }" })),
        ),
        (
            "a variable where its type may not go",
            json!({
                "query": "subscription($s: ID) { reviewAdded(subject: $s) { id } }",
                "variables": { "s": "RmlsbTpsZWFw" }
            }),
            "GRAPHQL_VALIDATION_FAILED",
            Some(json!({
                "query": "query($t: String) { search(query: $t) { totalCount } }",
                "variables": { "t": "leap" }
            })),
        ),
        (
            "a variable that does not coerce",
            json!({ "query": SUBSCRIPTION, "variables": { "subject": [1, 2] } }),
            "VARIABLE_COERCION_FAILED",
            None,
        ),
        (
            "a missing variable",
            json!({ "query": SUBSCRIPTION }),
            "VARIABLE_COERCION_FAILED",
            None,
        ),
        (
            "variables too large",
            json!({ "query": SUBSCRIPTION, "variables": { "subject": big } }),
            "VARIABLES_TOO_LARGE",
            None,
        ),
        ("no query", json!({ "variables": {} }), "BAD_REQUEST", None),
        (
            "an unknown persisted query",
            json!({ "extensions": { "persistedQuery": { "version": 1, "sha256Hash": "0".repeat(64) } } }),
            "PERSISTED_QUERY_NOT_FOUND",
            None,
        ),
    ];
    for (what, payload, expected, http) in cases {
        let ws = ws_refusal(&s, &payload).await;
        let (status, sse) = sse_refusal(&s, &payload).await;
        let (http_status, http_body) = s.post_body(http.as_ref().unwrap_or(&payload)).await;
        assert_eq!(code(&ws), expected, "{what} over WebSocket: {ws}");
        assert_eq!(code(&sse), expected, "{what} over SSE ({status}): {sse}");
        assert_eq!(
            code(&http_body["errors"]),
            expected,
            "{what} over HTTP ({http_status}): {http_body}"
        );
        assert_eq!(ws, sse, "{what}: the same errors over both transports");
        if http.is_none() {
            assert_eq!(ws, http_body["errors"], "{what}: the same errors as HTTP");
        }
        assert!(status >= 400, "{what} over SSE answered {status}");
    }
}

/// A server that runs only trusted documents: a subscription named by its hash runs over
/// both transports; sent as text, it is refused as HTTP refuses text.
#[tokio::test]
async fn only_trusted_subscriptions_run_over_both_transports() {
    use sha2::{Digest, Sha256};
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("manifest.json");
    let hash = format!("{:x}", Sha256::digest(SUBSCRIPTION.as_bytes()));
    std::fs::write(&manifest, json!({ &hash: SUBSCRIPTION }).to_string()).unwrap();
    let mut config = common::config();
    config.trusted.manifest = Some(manifest);
    config.trusted.only = true;
    config.trusted.allow_introspection = true;
    config.writes.max_writes_per_minute = 0;
    let (s, state) = common::spawn_state(config).await;

    // Text of a document the manifest does not hold (the manifest's own text is trusted by
    // its hash, as over HTTP).
    let other = "subscription($s: ID!) { reviewAdded(subject: $s) { id } }";
    let text = json!({ "query": other, "variables": { "s": LEAP } });
    let ws = ws_refusal(&s, &text).await;
    let (status, sse) = sse_refusal(&s, &text).await;
    let (http_status, http) = s.post_body(&text).await;
    assert_eq!(code(&ws), "TRUSTED_DOCUMENT_REQUIRED", "{ws}");
    assert_eq!((status, &sse), (http_status, &ws), "SSE as HTTP: {sse}");
    assert_eq!(http["errors"], ws);
    // Introspection sent as text is allowed on this server; a subscription never is one.
    let typename = json!({ "query": "subscription { __typename }" });
    assert_eq!(
        code(&ws_refusal(&s, &typename).await),
        "TRUSTED_DOCUMENT_REQUIRED"
    );
    assert_eq!(
        code(&sse_refusal(&s, &typename).await.1),
        "TRUSTED_DOCUMENT_REQUIRED"
    );

    let named = json!({ "documentId": format!("sha256:{hash}"), "variables": { "subject": LEAP } });
    let mut ws = ws_ready(&s).await;
    ws_send(
        &mut ws,
        json!({ "type": "subscribe", "id": "t", "payload": named }).to_string(),
    )
    .await;
    let mut stream = s
        .client
        .post(s.url("/graphql"))
        .header("content-type", "application/json")
        .header("accept", "text/event-stream")
        .body(named.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);
    common::eventually("both subscriptions", || async {
        (state.engine.subscriptions().open() == 2).then_some(())
    })
    .await;
    // Mutations are documents too: this one goes through the engine in process, as the
    // manifest does not hold it.
    let added = state
        .engine
        .reviews()
        .add(
            &state.engine.graphs().current().store,
            leap_graphql::reviews::AddInput {
                subject: LEAP.into(),
                rating: 5,
                author: "a".into(),
                body: "trusted".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let leap_graphql::reviews::Added::Review { review, .. } = added else {
        panic!("not added");
    };
    let id = review.global_id();
    match ws_read(&mut ws).await {
        Said::Message(m) => assert_eq!(m["payload"]["data"]["reviewAdded"]["id"], id, "{m}"),
        other => panic!("no event: {other:?}"),
    }
    read_until(&mut stream, &id).await;
}

/// The cap on open subscriptions, over both transports: the same code.
#[tokio::test]
async fn the_subscription_cap_holds_over_both_transports() {
    let mut config = common::config();
    config.writes.max_subscriptions = 1;
    let (s, state) = common::spawn_state(config).await;
    let payload = json!({ "query": SUBSCRIPTION, "variables": { "subject": LEAP } });
    let held = sse(&s, SUBSCRIPTION, json!({ "subject": LEAP })).await;
    assert_eq!(held.status(), 200);
    common::eventually("the one place taken", || async {
        (state.engine.subscriptions().open() == 1).then_some(())
    })
    .await;
    let ws = ws_refusal(&s, &payload).await;
    let (status, sse_errors) = sse_refusal(&s, &payload).await;
    assert_eq!(code(&ws), "TOO_MANY_SUBSCRIPTIONS", "{ws}");
    assert_eq!((status, &sse_errors), (503, &ws));
    drop(held);
}

/// `connection_init` as the protocol has it: a payload that is an object (or none) is
/// acknowledged; any other payload closes the socket with 4400; a message over the body
/// limit, `connection_init` or `subscribe`, closes it with 1009 (as a body over it is 413);
/// and SSE's body is held to the same limit and media type as any POST.
#[tokio::test]
async fn connection_init_is_checked_as_the_protocol_and_the_body_limit_say() {
    let mut config = common::config();
    config.limits.max_body_bytes = 4096;
    let s = common::spawn_with(config).await;
    let mut ws = ws_open(&s).await;
    ws_send(
        &mut ws,
        json!({ "type": "connection_init", "payload": { "token": "t" } }).to_string(),
    )
    .await;
    assert!(matches!(ws_read(&mut ws).await, Said::Message(m) if m["type"] == "connection_ack"));
    for payload in [json!("text"), json!([1]), json!(3)] {
        let mut ws = ws_open(&s).await;
        ws_send(
            &mut ws,
            json!({ "type": "connection_init", "payload": payload }).to_string(),
        )
        .await;
        match ws_read(&mut ws).await {
            Said::Closed(4400, _) => {}
            other => panic!("payload {payload}: {other:?}"),
        }
    }
    let huge = json!({ "type": "connection_init", "payload": { "pad": "a".repeat(5000) } });
    let mut ws = ws_open(&s).await;
    ws_send(&mut ws, huge.to_string()).await;
    match ws_read(&mut ws).await {
        Said::Closed(1009, reason) => assert_eq!(reason, "Message too big"),
        other => panic!("a huge connection_init: {other:?}"),
    }
    let mut ws = ws_ready(&s).await;
    let payload = json!({ "query": SUBSCRIPTION, "variables": { "subject": "a".repeat(5000) } });
    ws_send(
        &mut ws,
        json!({ "type": "subscribe", "id": "1", "payload": payload }).to_string(),
    )
    .await;
    match ws_read(&mut ws).await {
        Said::Closed(1009, _) => {}
        other => panic!("a huge subscribe: {other:?}"),
    }
    // Over SSE the same body is a POST body over the limit; text/plain (which a page on
    // another origin could send without CORS) is refused as on any POST.
    let (status, errors) = sse_refusal(&s, &payload).await;
    assert_eq!(
        (status, code(&errors)),
        (413, "PAYLOAD_TOO_LARGE"),
        "{errors}"
    );
    let r = s
        .client
        .post(s.url("/graphql"))
        .header("content-type", "text/plain")
        .header("accept", "text/event-stream")
        .body(json!({ "query": SUBSCRIPTION }).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 415);
}

/// Whether node and the npm clients are here (`.ci/install-e2e`); without them the test that
/// needs them is skipped, or fails under `CI=true`.
fn npm_clients(test: &str) -> bool {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
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
        common::skip::skip(
            test,
            "missing node and tests/e2e/node_modules (graphql-ws, graphql-sse, ws, graphql); \
             run `.ci/install-e2e`",
        );
        return false;
    }
    true
}

/// SIGTERM with streams open, against the real binary: the npm graphql-ws client's
/// subscription completes (not an error) and its socket closes with 1001; a raw WebSocket
/// sees `complete` for its subscription, then the close; an SSE stream sends `complete` and
/// ends cleanly; a request in flight (its body half sent) is still answered; and the
/// process exits 0, well within its grace.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_completes_every_stream_and_finishes_requests_in_flight() {
    use std::io::{BufRead, BufReader};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    if !npm_clients("graceful shutdown with the npm graphql-ws client") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut server = common::ServerProcess::start(
        &dir.path().join("reviews.db"),
        &[
            "--max-writes-per-minute",
            "0",
            "--shutdown-grace-ms",
            "8000",
        ],
    );
    let s = common::TestServer {
        addr: server.addr,
        client: reqwest::Client::new(),
    };

    // The npm client: subscribed, and an event heard.
    let mut node = std::process::Command::new("node")
        .arg("shutdown.mjs")
        .arg(server.url("/graphql"))
        .arg(LEAP)
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/e2e"))
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut node_lines = BufReader::new(node.stdout.take().unwrap()).lines();
    let live = tokio::task::spawn_blocking(move || {
        let first = node_lines.next();
        (first, node_lines)
    });
    // A raw WebSocket subscribed too, and an SSE stream.
    let mut ws = ws_ready(&s).await;
    let payload = json!({ "query": SUBSCRIPTION, "variables": { "subject": LEAP } });
    ws_send(
        &mut ws,
        json!({ "type": "subscribe", "id": "raw", "payload": payload }).to_string(),
    )
    .await;
    let mut stream = sse(&s, SUBSCRIPTION, json!({ "subject": LEAP })).await;
    assert_eq!(stream.status(), 200);
    let (first, mut node_lines) = live.await.unwrap();
    assert_eq!(
        first.unwrap().unwrap(),
        "live",
        "the npm client heard an event"
    );
    common::eventually("three subscriptions open", || async {
        (s.metric("leap_graphql_subscriptions_open", &[]).await == Some(3.0)).then_some(())
    })
    .await;

    // A request in flight: headers and half its body sent before the stop.
    let body = json!({ "query": "{ film(slug: \"leap\") { title } }" }).to_string();
    let (head, tail) = body.split_at(body.len() / 2);
    let mut tcp = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let request = format!(
        "POST /graphql HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n{head}",
        server.addr,
        body.len()
    );
    tcp.write_all(request.as_bytes()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;

    let stopped_at = std::time::Instant::now();
    server.terminate();
    tokio::time::sleep(Duration::from_millis(300)).await;
    tcp.write_all(tail.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), tcp.read_to_end(&mut answer))
        .await
        .expect("the request in flight is answered")
        .unwrap();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("\"title\":\"Leap\""), "{answer}");

    // The raw socket: `complete` for its subscription, then the close.
    // (after the events of the reviews the npm client added)
    loop {
        match ws_read(&mut ws).await {
            Said::Message(m) if m["type"] == "next" => continue,
            Said::Message(m) => {
                assert_eq!(m, json!({ "type": "complete", "id": "raw" }));
                break;
            }
            other => panic!("no complete: {other:?}"),
        }
    }
    match ws_read(&mut ws).await {
        Said::Closed(1001, reason) => assert_eq!(reason, "Server shutting down"),
        other => panic!("no close 1001: {other:?}"),
    }
    // SSE: `complete`, then the body ends cleanly (not an error).
    read_until(&mut stream, "event: complete").await;
    let end = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match stream.chunk().await {
                Ok(Some(_)) => continue,
                other => return other.map(|_| ()),
            }
        }
    })
    .await
    .expect("the SSE body ends");
    assert!(end.is_ok(), "the SSE body broke off: {end:?}");

    // The npm client: completed, not erred, and the socket closed with 1001.
    let report = tokio::task::spawn_blocking(move || node_lines.next())
        .await
        .unwrap()
        .expect("a report line")
        .unwrap();
    let report: Value = serde_json::from_str(&report).unwrap();
    assert_eq!(report["completed"], true, "{report}");
    assert_eq!(report["error"], Value::Null, "{report}");
    assert_eq!(report["close"]["code"], 1001, "{report}");
    assert!(node.wait().unwrap().success());

    let status = server
        .wait_for_exit(Duration::from_secs(8))
        .expect("the server exits within its grace");
    assert!(status.success(), "{status:?}");
    assert!(
        stopped_at.elapsed() < Duration::from_secs(8),
        "the stop took {:?}",
        stopped_at.elapsed()
    );
}
