//! The hot path's caches: responses served again from the cache, dropped when the graph is
//! replaced; HTTP revalidation for GET; automatic persisted queries.

mod common;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const FILM: &str = "{ film(slug: \"leap\") { title runtimeMinutes } }";

async fn post_raw(s: &common::TestServer, body: &Value) -> (u16, String) {
    let r = s
        .client
        .post(s.url("/graphql"))
        .header("content-type", "application/json")
        .header("accept", "application/graphql-response+json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

/// The bundled seed with the film's title changed, to tell two graphs apart.
fn retitled(title: &str) -> leap_graphql::store::Store {
    let files = leap_graphql::seed::BUNDLED.iter().map(|(name, bytes)| {
        let mut text = String::from_utf8(bytes.to_vec()).unwrap();
        if *name == "films.json" {
            text = text.replacen("\"title\": \"Leap\"", &format!("\"title\": \"{title}\""), 1);
        }
        (name.to_string(), text.into_bytes())
    });
    leap_graphql::seed::load_files(files).unwrap()
}

#[tokio::test]
async fn repeated_requests_are_served_again_until_the_graph_changes() {
    let (s, state) = common::spawn_state(common::config()).await;
    let body = json!({ "query": FILM });
    let first = post_raw(&s, &body).await;
    assert_eq!(state.engine.responses().len(), 1, "a clean answer is kept");
    let second = post_raw(&s, &body).await;
    assert_eq!(first, second);
    assert_eq!(state.engine.responses().len(), 1);

    state.install(retitled("Leap (reloaded)"));
    let (status, text) = post_raw(&s, &body).await;
    assert_eq!(status, 200);
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        v["data"]["film"]["title"], "Leap (reloaded)",
        "no stale answer after a swap"
    );

    // Answers with errors are not kept: they may depend on more than the request.
    let before = state.engine.responses().len();
    let (_, text) = post_raw(
        &s,
        &json!({ "query": "{ films(first: -1) { totalCount } }" }),
    )
    .await;
    assert!(text.contains("BAD_USER_INPUT"), "{text}");
    assert_eq!(state.engine.responses().len(), before);
}

#[tokio::test]
async fn get_answers_carry_an_etag_and_revalidate_with_304() {
    let s = common::spawn().await;
    let url = format!("{}?query={}", s.url("/graphql"), urlencode(FILM));
    let r = s
        .client
        .get(&url)
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "no-cache");
    let etag = r.headers()["etag"].to_str().unwrap().to_owned();
    assert!(
        etag.starts_with('"') && etag.ends_with('"'),
        "a strong ETag: {etag}"
    );
    let body = r.text().await.unwrap();
    assert!(body.contains("\"title\":\"Leap\""), "{body}");
    for _ in 0..2 {
        // The first revalidation comes from a fresh execution's tag, the second from the cache.
        let again = s
            .client
            .get(&url)
            .header("accept", "application/json")
            .header("if-none-match", &etag)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), 304);
        assert_eq!(again.headers()["etag"].to_str().unwrap(), etag);
        assert!(again.text().await.unwrap().is_empty());
    }
    let other = s
        .client
        .get(&url)
        .header("accept", "application/json")
        .header("if-none-match", "\"nope\"")
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 200);
    // POST answers are not for HTTP caches.
    let r = s
        .client
        .post(s.url("/graphql"))
        .header("content-type", "application/json")
        .body(json!({ "query": FILM }).to_string())
        .send()
        .await
        .unwrap();
    assert!(r.headers().get("etag").is_none());
}

#[tokio::test]
async fn automatic_persisted_queries_over_post_and_get() {
    let s = common::spawn().await;
    let hash = format!("{:x}", Sha256::digest(FILM.as_bytes()));
    let ext = json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } });
    let (status, text) = post_raw(&s, &json!({ "extensions": ext })).await;
    assert_eq!(status, 400);
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        v["errors"][0]["extensions"]["code"],
        "PERSISTED_QUERY_NOT_FOUND"
    );
    assert_eq!(v["errors"][0]["message"], "PersistedQueryNotFound");
    assert!(v.get("data").is_none());

    let (status, _) = post_raw(&s, &json!({ "query": FILM, "extensions": ext })).await;
    assert_eq!(status, 200);
    let (status, text) = post_raw(&s, &json!({ "extensions": ext })).await;
    assert_eq!(status, 200, "{text}");
    assert!(text.contains("\"runtimeMinutes\":135"));

    let url = format!(
        "{}?extensions={}",
        s.url("/graphql"),
        urlencode(&ext.to_string())
    );
    let r = s
        .client
        .get(&url)
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("\"runtimeMinutes\":135"));

    let (status, text) =
        post_raw(&s, &json!({ "query": "{ __typename }", "extensions": ext })).await;
    assert_eq!(status, 400);
    assert!(text.contains("does not hash"), "{text}");
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn a_document_is_parsed_once_for_any_variables() {
    let (s, state) = common::spawn_state(common::config()).await;
    let query = "query($slug: String!) { person(slug: $slug) { name } }";
    for (slug, name) in [
        ("gong-li", "Gong Li"),
        ("huang-bo", "Huang Bo"),
        ("wu-gang", "Wu Gang"),
    ] {
        let d = s.data(query, json!({ "slug": slug })).await;
        assert_eq!(d["person"]["name"], name);
    }
    assert_eq!(
        state.engine.documents().len(),
        1,
        "one document, three sets of variables"
    );
    // Errors still come out in the spec's shape: the failed root field is null, not absent.
    let (status, body) = s
        .post(
            "{ a: person(slug: \"gong-li\") { name } b: node(id: \"junk\") { id } }",
            json!({}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["data"]["a"]["name"], "Gong Li");
    assert_eq!(body["data"]["b"], Value::Null);
    assert!(
        body["data"].as_object().unwrap().contains_key("b"),
        "{body}"
    );
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
}

/// The guard's verdict is kept with a document only when no limit read a variable: a page
/// size in a variable is measured again on every request.
#[tokio::test]
async fn a_known_document_is_guarded_again_when_its_cost_is_in_variables() {
    let (s, _state) = common::spawn_state(common::config()).await;
    let query = "query ($n: Int) { films(first: $n) { nodes { cast(first: $n) { nodes { \
                 ... on Person { credits(first: $n) { totalCount } } } } } } }";
    for n in [1, 2, 3] {
        let (status, text) =
            post_raw(&s, &json!({ "query": query, "variables": { "n": n } })).await;
        assert_eq!(status, 200, "{text}");
    }
    let (status, text) = post_raw(&s, &json!({ "query": query, "variables": { "n": 100 } })).await;
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("TOO_COSTLY"), "{text}");
}

/// Once async-graphql has validated a document, its plan answers the next requests with it,
/// the same bytes, and errors still come from async-graphql.
#[tokio::test]
async fn plans_answer_validated_documents() {
    // With the response cache off, every request reaches an executor.
    let mut config = common::config();
    config.caches.response_entries = 0;
    let (s, state) = common::spawn_state(config).await;
    let query =
        "query ($slug: String!) { film(slug: $slug) { title cast(first: 2) { totalCount } } }";
    let body = |slug: &str| json!({ "query": query, "variables": { "slug": slug } });
    let plans = || {
        let text = state.metrics.render();
        let count = |result: &str| {
            let series =
                format!("leap_graphql_cache_lookups_total{{cache=\"plan\",result=\"{result}\"}} ");
            text.lines()
                .find_map(|l| l.strip_prefix(&series))
                .and_then(|n| n.parse::<u64>().ok())
                .unwrap()
        };
        (count("hit"), count("miss"))
    };
    let first = post_raw(&s, &body("leap")).await;
    assert_eq!(plans(), (0, 0), "the first request validates the document");
    let second = post_raw(&s, &body("leap")).await;
    assert_eq!(first, second, "both executors give the same bytes");
    assert_eq!(plans(), (1, 0));
    let (status, text) = post_raw(&s, &body("no-such-film")).await;
    assert_eq!((status, text.as_str()), (200, "{\"data\":{\"film\":null}}"));
    assert_eq!(plans(), (2, 0));
    // A bad cursor: the plan bails and async-graphql answers with the error.
    let bad =
        "query ($slug: String!) { film(slug: $slug) { cast(after: \"nope\") { totalCount } } }";
    for _ in 0..2 {
        let (status, text) = post_raw(
            &s,
            &json!({ "query": bad, "variables": { "slug": "leap" } }),
        )
        .await;
        assert_eq!(status, 200);
        assert!(text.contains("not a cursor"), "{text}");
    }
    assert_eq!(plans(), (2, 1), "the second time, the plan bailed");
}

/// A response's coding, `Vary` and body, decoded.
struct Coded {
    encoding: Option<String>,
    vary: Option<String>,
    length: Option<String>,
    body: Vec<u8>,
}

impl Coded {
    fn decoded(&self) -> Vec<u8> {
        use std::io::Read;
        let mut out = Vec::new();
        match self.encoding.as_deref() {
            None => out.clone_from(&self.body),
            Some("gzip") => {
                flate2::read::GzDecoder::new(&self.body[..])
                    .read_to_end(&mut out)
                    .unwrap();
            }
            Some("br") => {
                brotli::Decompressor::new(&self.body[..], 4096)
                    .read_to_end(&mut out)
                    .unwrap();
            }
            Some(other) => panic!("unexpected coding {other}"),
        }
        out
    }
}

/// Browsers ask for gzip or br on every request. A cache hit is then served from a
/// compressed copy made once, in the coding the compression layer chose for the first answer,
/// with the same `Vary` and the same content; a body too small to compress stays as it is.
#[tokio::test]
async fn hits_are_served_in_the_coding_the_first_answer_had() {
    let (s, state) = common::spawn_state(common::config()).await;
    let hits = || {
        let text = state.metrics.render();
        text.lines()
            .find_map(|l| {
                l.strip_prefix(
                    "leap_graphql_cache_lookups_total{cache=\"response\",result=\"hit\"} ",
                )
            })
            .and_then(|n| n.parse::<u64>().ok())
            .unwrap()
    };
    let send = |body: String, accept: Option<&'static str>| {
        let mut request = s
            .client
            .post(s.url("/graphql"))
            .header("content-type", "application/json")
            .body(body);
        if let Some(accept) = accept {
            request = request.header("accept-encoding", accept);
        }
        async move {
            let r = request.send().await.unwrap();
            assert_eq!(r.status(), 200);
            let header = |name: &str| {
                r.headers()
                    .get(name)
                    .map(|v| v.to_str().unwrap().to_owned())
            };
            Coded {
                encoding: header("content-encoding"),
                vary: header("vary"),
                length: header("content-length"),
                body: r.bytes().await.unwrap().to_vec(),
            }
        }
    };
    let catalogue = include_str!("operations/Catalogue.graphql");
    let cases: &[(Option<&'static str>, Option<&str>)] = &[
        (None, None),
        (Some("gzip"), Some("gzip")),
        (Some("br"), Some("br")),
        (Some("gzip, deflate, br"), Some("br")),
        (Some("br;q=0.5, gzip"), Some("gzip")),
        (Some("x-gzip, br;q=0.1"), Some("gzip")),
        (Some("identity"), None),
        (Some("deflate, zstd"), None),
        (Some("gzip;q=0, br;q=0"), None),
    ];
    let plain = send(json!({ "query": catalogue }).to_string(), None).await;
    assert!(plain.body.len() > 1024, "large enough to be compressed");
    for (i, (accept, expected)) in cases.iter().enumerate() {
        // A request of its own for each case (the key is the exact body), so that the
        // first is answered by the executor and compressed by the compression layer.
        let body = json!({ "query": format!("{catalogue}{}", " ".repeat(i + 1)) }).to_string();
        let before = hits();
        let first = send(body.clone(), *accept).await;
        let second = send(body.clone(), *accept).await;
        let third = send(body, *accept).await;
        assert_eq!(
            hits() - before,
            2,
            "{accept:?}: answered again from the cache"
        );
        assert_eq!(first.encoding.as_deref(), *expected, "{accept:?}");
        assert_eq!(second.encoding, first.encoding, "{accept:?}");
        assert_eq!(
            second.vary.as_deref(),
            Some("accept-encoding"),
            "{accept:?}"
        );
        assert_eq!(first.vary, second.vary, "{accept:?}");
        assert_eq!(first.decoded(), plain.body, "{accept:?}");
        assert_eq!(second.decoded(), plain.body, "{accept:?}");
        assert_eq!(third.body, second.body, "{accept:?}: the kept copy");
        if expected.is_some() {
            // The layer compresses as it streams; a kept copy has a known length.
            assert_eq!(first.length, None, "{accept:?}");
            assert_eq!(
                second.length,
                Some(second.body.len().to_string()),
                "{accept:?}"
            );
        }
    }

    // Over GET, a compressed hit keeps its ETag, and revalidates with a bare 304.
    let url = format!("{}?query={}", s.url("/graphql"), urlencode(catalogue));
    let get = |tag: Option<String>| {
        let mut request = s
            .client
            .get(&url)
            .header("accept", "application/json")
            .header("accept-encoding", "br");
        if let Some(tag) = tag {
            request = request.header("if-none-match", tag);
        }
        request.send()
    };
    get(None).await.unwrap();
    let hit = get(None).await.unwrap();
    assert_eq!(hit.headers()["content-encoding"], "br");
    let etag = hit.headers()["etag"].to_str().unwrap().to_owned();
    let revalidated = get(Some(etag)).await.unwrap();
    assert_eq!(revalidated.status(), 304);
    assert!(revalidated.headers().get("content-encoding").is_none());
    assert_eq!(revalidated.headers()["vary"], "accept-encoding");

    // Below the compression threshold nothing is compressed, and nothing varies.
    let small = json!({ "query": FILM }).to_string();
    for _ in 0..2 {
        let r = send(small.clone(), Some("gzip, br")).await;
        assert_eq!((r.encoding, r.vary), (None, None));
        assert!(String::from_utf8(r.body).unwrap().contains("\"Leap\""));
    }
}
