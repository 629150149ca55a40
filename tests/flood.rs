//! Under a flood of hostile requests the server goes on answering normal ones: 16 clients
//! send 2,000 cheap-to-refuse documents between them while another sends the frontend's
//! FilmPage query 50 times. Every hostile request must be refused with its code, and every
//! normal one answered with data; with the default limits (256 concurrent requests) none
//! may be shed. Everything is bounded by count, and the whole by a 60 s deadline.

mod common;

use std::time::Duration;

use serde_json::{Value, json};

const HOSTILE_CLIENTS: usize = 16;
const HOSTILE_REQUESTS: usize = 2_000;
const NORMAL_REQUESTS: usize = 50;
const DEADLINE: Duration = Duration::from_secs(60);

/// One kind of hostile document and the code it is refused with (always 400).
struct Attack {
    name: &'static str,
    document: String,
    code: &'static str,
}

fn attacks() -> Vec<Attack> {
    // Ten fragments, each spreading the next ten times: 10^9 fields once expanded.
    let mut fan_out = String::from(r#"{ film(slug: "leap") { ...F0 } }"#);
    for i in 0..9 {
        let spreads = vec![format!("...F{}", i + 1); 10].join(" ");
        fan_out.push_str(&format!(" fragment F{i} on Film {{ {spreads} }}"));
    }
    fan_out.push_str(" fragment F9 on Film { title }");
    let aliases: Vec<String> = (0..200).map(|i| format!("a{i}: title")).collect();
    vec![
        Attack {
            name: "fragment fan-out",
            document: fan_out,
            code: "TOO_MANY_FIELDS",
        },
        Attack {
            name: "alias flood",
            document: format!(r#"{{ film(slug: "leap") {{ {} }} }}"#, aliases.join(" ")),
            code: "TOO_MANY_ALIASES",
        },
        Attack {
            name: "deep nesting",
            document: format!(
                "{{ {} __typename {} }}",
                "film(slug: \"leap\") {".repeat(100),
                "}".repeat(100)
            ),
            code: "TOO_DEEP",
        },
        Attack {
            name: "a 60 KB document",
            document: format!(
                "{{ film(slug: \"{}\") {{ title }} }}",
                "x".repeat(60 * 1024)
            ),
            code: "DOCUMENT_TOO_LARGE",
        },
    ]
}

/// POSTs `body` and returns the status, the Retry-After header and the JSON body.
async fn send(
    client: &reqwest::Client,
    url: &str,
    body: String,
) -> Result<(u16, Option<String>, Value), String> {
    let response = client
        .post(url)
        .header("content-type", "application/json")
        .header("accept", "application/graphql-response+json")
        .body(body)
        .send()
        .await
        .map_err(|e| format!("no answer: {e}"))?;
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let text = response.text().await.map_err(|e| format!("no body: {e}"))?;
    let body = serde_json::from_str(&text).map_err(|e| format!("not JSON ({e}): {text}"))?;
    Ok((status, retry_after, body))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn normal_queries_are_answered_during_a_flood_of_hostile_ones() {
    let server = common::spawn().await;
    let url = server.url("/graphql");
    let film_page = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/operations/FilmPage.graphql"
    ))
    .expect("FilmPage.graphql is readable");
    let attacks: std::sync::Arc<Vec<(Attack, String)>> = std::sync::Arc::new(
        attacks()
            .into_iter()
            .map(|a| {
                let body = json!({ "query": a.document }).to_string();
                (a, body)
            })
            .collect(),
    );

    let flood = async {
        let mut clients = tokio::task::JoinSet::new();
        for c in 0..HOSTILE_CLIENTS {
            let (client, url, attacks) = (server.client.clone(), url.clone(), attacks.clone());
            clients.spawn(async move {
                // Request r of client c; the counts add up to exactly HOSTILE_REQUESTS.
                let mut sent = 0;
                for r in (c..HOSTILE_REQUESTS).step_by(HOSTILE_CLIENTS) {
                    let (attack, body) = &attacks[r % attacks.len()];
                    let (status, _, body) = send(&client, &url, body.clone())
                        .await
                        .unwrap_or_else(|e| panic!("{}: {e}", attack.name));
                    assert_eq!(status, 400, "{}: {body}", attack.name);
                    assert_eq!(
                        body["errors"][0]["extensions"]["code"], attack.code,
                        "{}: {body}",
                        attack.name
                    );
                    assert!(body.get("data").is_none(), "{}: {body}", attack.name);
                    sent += 1;
                }
                sent
            });
        }
        let mut total = 0;
        while let Some(sent) = clients.join_next().await {
            total += sent.expect("a hostile client panicked");
        }
        total
    };

    let normal = async {
        let body = json!({ "query": film_page, "variables": { "slug": "leap" } }).to_string();
        let mut served = 0;
        for i in 0..NORMAL_REQUESTS {
            let (status, retry_after, body) = send(&server.client, &url, body.clone())
                .await
                .unwrap_or_else(|e| panic!("normal query {i}: {e}"));
            assert_ne!(
                (status, retry_after.as_deref()),
                (503, Some("1")),
                "normal query {i} was shed under the default limits: {body}"
            );
            assert_eq!(status, 200, "normal query {i}: {body}");
            assert!(body.get("errors").is_none(), "normal query {i}: {body}");
            assert_eq!(body["data"]["film"]["title"], "Leap", "normal query {i}");
            served += 1;
        }
        served
    };

    let (hostile, served) = tokio::time::timeout(DEADLINE, async { tokio::join!(flood, normal) })
        .await
        .expect("the flood and the normal queries finish within 60 s");
    assert_eq!(hostile, HOSTILE_REQUESTS);
    assert_eq!(served, NORMAL_REQUESTS);
}
