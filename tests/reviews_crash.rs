//! Durability: concurrent writers against the real binary, `kill -9` while they write, a
//! restart on the same database, and every acknowledged review is there exactly once.

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::ServerProcess;

use serde_json::{Value, json};

const LEAP: &str = "RmlsbTpsZWFw";

async fn all_reviews(client: &reqwest::Client, addr: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut after = Value::Null;
    loop {
        let body = json!({
            "query": "query($after: String) { film(slug: \"leap\") { reviews(first: 100, after: $after) { pageInfo { hasNextPage endCursor } nodes { id body } } } }",
            "variables": { "after": after },
        });
        let r: Value = client
            .post(format!("http://{addr}/graphql"))
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let reviews = &r["data"]["film"]["reviews"];
        for n in reviews["nodes"].as_array().unwrap() {
            out.push((
                n["id"].as_str().unwrap().to_owned(),
                n["body"].as_str().unwrap().to_owned(),
            ));
        }
        if reviews["pageInfo"]["hasNextPage"] != true {
            return out;
        }
        after = reviews["pageInfo"]["endCursor"].clone();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_acknowledged_review_survives_kill_9_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("reviews.db");
    let writes_unlimited = ["--max-writes-per-minute", "0"];
    let mut server = ServerProcess::start(&db, &writes_unlimited);
    let addr = server.addr.to_string();
    let client = reqwest::Client::new();
    let acked: Arc<Mutex<HashMap<String, String>>> = Arc::default();
    let mut writers = Vec::new();
    for w in 0..8 {
        let (client, addr, acked) = (client.clone(), addr.clone(), acked.clone());
        writers.push(tokio::spawn(async move {
            for i in 0.. {
                let body = format!("writer {w}, review {i}");
                let request = json!({
                    "query": "mutation($input: AddReviewInput!) { addReview(input: $input) { review { id } } }",
                    "variables": { "input": { "subject": LEAP, "rating": 1 + (i % 5), "author": "w", "body": body } },
                });
                let sent = client
                    .post(format!("http://{addr}/graphql"))
                    .header("content-type", "application/json")
                    .body(request.to_string())
                    .send()
                    .await;
                let Ok(r) = sent else { return };
                let Ok(v) = r.json::<Value>().await else { return };
                if let Some(id) = v["data"]["addReview"]["review"]["id"].as_str() {
                    acked.lock().unwrap().insert(id.to_owned(), body);
                }
            }
        }));
    }
    // Let them write for a while, then pull the plug.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    server.child.kill().expect("SIGKILL");
    server.child.wait().unwrap();
    for w in writers {
        let _ = w.await;
    }
    let acked = acked.lock().unwrap().clone();
    assert!(
        acked.len() >= 8,
        "only {} writes were acknowledged",
        acked.len()
    );

    let server = ServerProcess::start(&db, &writes_unlimited);
    let found = all_reviews(&client, &server.addr.to_string()).await;
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (id, _) in &found {
        *seen.entry(id.as_str()).or_default() += 1;
    }
    assert!(seen.values().all(|&n| n == 1), "a review listed twice");
    let mut bodies: HashMap<&str, usize> = HashMap::new();
    for (_, body) in &found {
        *bodies.entry(body.as_str()).or_default() += 1;
    }
    assert!(bodies.values().all(|&n| n == 1), "a write stored twice");
    let by_id: HashMap<&str, &str> = found
        .iter()
        .map(|(i, b)| (i.as_str(), b.as_str()))
        .collect();
    for (id, body) in &acked {
        assert_eq!(
            by_id.get(id.as_str()),
            Some(&body.as_str()),
            "acknowledged {id} lost"
        );
    }
}
