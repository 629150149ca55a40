//! The write path on a temporary database: the four review mutations as the frontends send
//! them, every userError case storing nothing, idempotency, tokens, moderation, read-your-
//! writes through the response cache, the write limit, restarts, and the CLI's export,
//! import and backup.

mod common;

use std::net::SocketAddr;

use leap_graphql::config::Config;
use serde_json::{Value, json};

const ADMIN: &str = "admin-secret-for-tests";
const LEAP: &str = "RmlsbTpsZWFw"; // Film:leap

fn operation(name: &str) -> String {
    let path = format!(
        "{}/tests/operations/{name}.graphql",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A server configuration on a free port with its database in `dir`.
fn db_config(dir: &tempfile::TempDir) -> Config {
    let mut config = Config {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        ..Config::default()
    };
    config.writes.database = Some(dir.path().join("reviews.db").display().to_string());
    config.writes.admin_token = Some(ADMIN.to_owned());
    config.writes.max_writes_per_minute = 0;
    config
}

async fn album_id(s: &common::TestServer) -> String {
    let d = s
        .data("{ album(slug: \"leap-soundtrack\") { id } }", json!({}))
        .await;
    d["album"]["id"].as_str().unwrap().to_owned()
}

async fn add(s: &common::TestServer, input: Value) -> Value {
    s.data(&operation("AddReview"), json!({ "input": input }))
        .await["addReview"]
        .clone()
}

fn review(subject: &str, rating: i64) -> Value {
    json!({
        "subject": subject,
        "rating": rating,
        "author": "Lang Ping",
        "body": "A film about the work behind a win.\nRecommended.",
        "title": "Honest",
    })
}

async fn film_reviews(s: &common::TestServer) -> Value {
    s.data(
        &operation("Reviews"),
        json!({ "slug": "leap", "first": 100 }),
    )
    .await["film"]
        .clone()
}

/// POSTs with an `Authorization` header.
async fn post_as(
    s: &common::TestServer,
    token: Option<&str>,
    query: &str,
    variables: Value,
) -> (u16, Value) {
    let mut r = s
        .client
        .post(s.url("/graphql"))
        .header("content-type", "application/json")
        .body(json!({ "query": query, "variables": variables }).to_string());
    if let Some(token) = token {
        r = r.header("authorization", format!("Bearer {token}"));
    }
    let r = r.send().await.expect("the server answers");
    let status = r.status().as_u16();
    (status, r.json().await.expect("JSON"))
}

#[tokio::test]
async fn the_review_operations_run_as_written() {
    let dir = tempfile::tempdir().unwrap();
    let s = common::spawn_with(db_config(&dir)).await;
    let empty = film_reviews(&s).await;
    assert_eq!(
        empty["reviewSummary"],
        json!({ "count": 0, "averageRating": null, "ratingCounts": [
            { "rating": 1, "count": 0 }, { "rating": 2, "count": 0 }, { "rating": 3, "count": 0 },
            { "rating": 4, "count": 0 }, { "rating": 5, "count": 0 }] })
    );

    let added = add(&s, review(LEAP, 5)).await;
    assert_eq!(added["userErrors"], json!([]));
    let r = &added["review"];
    assert_eq!(r["rating"], 5);
    assert_eq!(r["title"], "Honest");
    assert_eq!(
        r["subject"],
        json!({ "__typename": "Film", "id": LEAP, "slug": "leap", "title": "Leap" })
    );
    let created = r["createdAt"].as_str().unwrap();
    assert_eq!(created.len(), 24, "RFC 3339 with milliseconds: {created}");
    assert!(created.ends_with('Z'));
    let id = r["id"].as_str().unwrap().to_owned();
    let token = added["editToken"].as_str().unwrap().to_owned();

    let album = album_id(&s).await;
    let on_album = add(&s, review(&album, 3)).await;
    assert_eq!(on_album["review"]["subject"]["__typename"], "Album");
    let second = add(&s, review(LEAP, 4)).await;
    let second_id = second["review"]["id"].as_str().unwrap().to_owned();

    let film = film_reviews(&s).await;
    assert_eq!(film["reviewSummary"]["count"], 2);
    assert_eq!(film["reviewSummary"]["averageRating"], 4.5);
    assert_eq!(film["reviews"]["totalCount"], 2);
    let ids: Vec<&str> = film["reviews"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [second_id.as_str(), id.as_str()], "newest first");

    // Pages follow one another through the cursor.
    let page1 = s
        .data(&operation("Reviews"), json!({ "slug": "leap", "first": 1 }))
        .await;
    let info = &page1["film"]["reviews"]["pageInfo"];
    assert_eq!(info["hasNextPage"], true);
    let page2 = s
        .data(
            &operation("Reviews"),
            json!({ "slug": "leap", "first": 1, "after": info["endCursor"] }),
        )
        .await;
    assert_eq!(
        page2["film"]["reviews"]["edges"][0]["node"]["id"],
        id.as_str()
    );
    assert_eq!(page2["film"]["reviews"]["pageInfo"]["hasNextPage"], false);

    let albums = s
        .data(
            &operation("AlbumReviews"),
            json!({ "slug": "leap-soundtrack" }),
        )
        .await;
    assert_eq!(
        albums["album"]["reviewSummary"],
        json!({ "count": 1, "averageRating": 3.0 })
    );
    assert_eq!(albums["album"]["reviews"]["nodes"][0]["rating"], 3);

    let edited = s
        .data(
            &operation("EditReview"),
            json!({ "input": { "id": id, "editToken": token, "rating": 2, "body": "Changed my mind." } }),
        )
        .await;
    assert_eq!(edited["editReview"]["userErrors"], json!([]));
    assert_eq!(edited["editReview"]["review"]["rating"], 2);
    assert_eq!(edited["editReview"]["review"]["title"], "Honest");
    assert!(edited["editReview"]["review"]["editedAt"].is_string());

    let node = s
        .data(
            "query($id: ID!) { node(id: $id) { id ... on Review { rating } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(node["node"]["rating"], 2);

    let deleted = s
        .data(
            &operation("DeleteReview"),
            json!({ "input": { "id": id, "editToken": token } }),
        )
        .await;
    assert_eq!(
        deleted["deleteReview"],
        json!({ "deletedReviewId": id, "userErrors": [] })
    );
    let node = s
        .data(
            "query($id: ID!) { node(id: $id) { id } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(node["node"], Value::Null);

    let (status, hidden) = post_as(
        &s,
        Some(ADMIN),
        &operation("HideReview"),
        json!({ "input": { "id": second_id, "reason": "spam" } }),
    )
    .await;
    assert_eq!(status, 200, "{hidden}");
    assert_eq!(
        hidden["data"]["hideReview"]["review"]["id"],
        second_id.as_str()
    );
    let film = film_reviews(&s).await;
    assert_eq!(film["reviewSummary"]["count"], 0);
    assert_eq!(film["reviews"]["totalCount"], 0);
}

#[tokio::test]
async fn every_user_error_stores_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let s = common::spawn_with(db_config(&dir)).await;
    let person = s
        .data("{ person(slug: \"gong-li\") { id } }", json!({}))
        .await["person"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let base = review(LEAP, 4);
    let with = |field: &str, value: Value| {
        let mut input = base.clone();
        input[field] = value;
        input
    };
    let cases: Vec<(Value, &str, &str)> = vec![
        (with("rating", json!(0)), "rating", "OUT_OF_RANGE"),
        (with("rating", json!(6)), "rating", "OUT_OF_RANGE"),
        (with("author", json!("")), "author", "REQUIRED"),
        (with("author", json!("   ")), "author", "BLANK"),
        (with("author", json!("x".repeat(61))), "author", "TOO_LONG"),
        (
            with("author", json!("two\nlines")),
            "author",
            "CONTROL_CHARACTERS",
        ),
        (with("body", json!(" \n\t ")), "body", "BLANK"),
        (with("body", json!("y".repeat(5001))), "body", "TOO_LONG"),
        (
            with("body", json!("bell\u{7}")),
            "body",
            "CONTROL_CHARACTERS",
        ),
        (with("title", json!("t".repeat(121))), "title", "TOO_LONG"),
        (
            with("title", json!("tab\there")),
            "title",
            "CONTROL_CHARACTERS",
        ),
        (with("subject", json!(person)), "subject", "WRONG_KIND"),
        (
            with("subject", json!("RmlsbTpub3BlLW5vcGU")),
            "subject",
            "NOT_FOUND",
        ),
        (with("subject", json!("not an id")), "subject", "NOT_FOUND"),
        (
            with("idempotencyKey", json!("")),
            "idempotencyKey",
            "INVALID",
        ),
        (
            with("idempotencyKey", json!("has space")),
            "idempotencyKey",
            "INVALID",
        ),
        (
            with("idempotencyKey", json!("k".repeat(101))),
            "idempotencyKey",
            "INVALID",
        ),
    ];
    for (input, field, code) in cases {
        let payload = add(&s, input.clone()).await;
        assert_eq!(payload["review"], Value::Null, "{input}");
        assert_eq!(payload["editToken"], Value::Null, "{input}");
        let errors = payload["userErrors"].as_array().unwrap();
        assert!(
            errors
                .iter()
                .any(|e| e["code"] == code && e["field"] == json!(["input", field])),
            "{input}: {errors:?}"
        );
    }
    // At the limits, accepted: 60, 120 and 5,000 characters (not bytes).
    let edge = json!({ "subject": LEAP, "rating": 1, "author": "é".repeat(60),
        "title": "夺".repeat(120), "body": "b".repeat(5000) });
    assert_eq!(add(&s, edge).await["userErrors"], json!([]));
    // A missing required input is a request error, not a userError.
    let (status, body) = s
        .post(
            &operation("AddReview"),
            json!({ "input": { "subject": LEAP, "rating": 3 } }),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(film_reviews(&s).await["reviews"]["totalCount"], 1);
}

#[tokio::test]
async fn idempotency_keys_make_retries_safe() {
    let dir = tempfile::tempdir().unwrap();
    let s = common::spawn_with(db_config(&dir)).await;
    let mut input = review(LEAP, 5);
    input["idempotencyKey"] = json!("retry-1");
    let first = add(&s, input.clone()).await;
    let again = add(&s, input.clone()).await;
    assert_eq!(first["review"]["id"], again["review"]["id"]);
    assert_eq!(first["editToken"], again["editToken"]);
    assert_eq!(first["review"]["createdAt"], again["review"]["createdAt"]);
    input["rating"] = json!(1);
    let reused = add(&s, input).await;
    assert_eq!(reused["review"], Value::Null);
    assert_eq!(reused["userErrors"][0]["code"], "IDEMPOTENCY_KEY_REUSED");
    assert_eq!(film_reviews(&s).await["reviews"]["totalCount"], 1);
}

#[tokio::test]
async fn tokens_guard_edits_and_deletes_and_the_admin_token_guards_hiding() {
    let dir = tempfile::tempdir().unwrap();
    let s = common::spawn_with(db_config(&dir)).await;
    let added = add(&s, review(LEAP, 5)).await;
    let id = added["review"]["id"].as_str().unwrap().to_owned();
    let token = added["editToken"].as_str().unwrap().to_owned();

    let wrong = s
        .data(
            &operation("EditReview"),
            json!({ "input": { "id": id, "editToken": "0".repeat(64), "rating": 1 } }),
        )
        .await;
    assert_eq!(wrong["editReview"]["review"], Value::Null);
    assert_eq!(wrong["editReview"]["userErrors"][0]["code"], "BAD_TOKEN");
    assert_eq!(
        wrong["editReview"]["userErrors"][0]["field"],
        json!(["input", "editToken"])
    );
    let bad_rating = s
        .data(
            &operation("EditReview"),
            json!({ "input": { "id": id, "editToken": token, "rating": 9, "body": "ok" } }),
        )
        .await;
    assert_eq!(
        bad_rating["editReview"]["userErrors"][0]["code"],
        "OUT_OF_RANGE"
    );
    let unknown = s
        .data(
            &operation("DeleteReview"),
            json!({ "input": { "id": LEAP, "editToken": token } }),
        )
        .await;
    assert_eq!(
        unknown["deleteReview"]["userErrors"][0]["code"],
        "NOT_FOUND"
    );
    let wrong = s
        .data(
            &operation("DeleteReview"),
            json!({ "input": { "id": id, "editToken": "nope" } }),
        )
        .await;
    assert_eq!(wrong["deleteReview"]["deletedReviewId"], Value::Null);
    assert_eq!(wrong["deleteReview"]["userErrors"][0]["code"], "BAD_TOKEN");
    let film = film_reviews(&s).await;
    assert_eq!(
        film["reviews"]["edges"][0]["node"]["rating"], 5,
        "nothing changed"
    );

    let hide = json!({ "input": { "id": id, "reason": "moderation" } });
    for token in [None, Some("wrong"), Some("")] {
        let (status, body) = post_as(&s, token, &operation("HideReview"), hide.clone()).await;
        assert_eq!(status, 200);
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "FORBIDDEN",
            "{token:?}: {body}"
        );
    }
    assert_eq!(film_reviews(&s).await["reviews"]["totalCount"], 1);
    let (_, body) = post_as(&s, Some(ADMIN), &operation("HideReview"), hide).await;
    assert_eq!(body["data"]["hideReview"]["userErrors"], json!([]));
    assert_eq!(film_reviews(&s).await["reviews"]["totalCount"], 0);
    // Hidden: the token no longer finds it.
    let gone = s
        .data(
            &operation("EditReview"),
            json!({ "input": { "id": id, "editToken": token, "rating": 1 } }),
        )
        .await;
    assert_eq!(gone["editReview"]["userErrors"][0]["code"], "NOT_FOUND");
}

#[tokio::test]
async fn writes_are_read_back_through_the_response_cache() {
    let dir = tempfile::tempdir().unwrap();
    let (s, state) = common::spawn_state(db_config(&dir)).await;
    let album = album_id(&s).await;
    // Both answers are kept.
    assert_eq!(film_reviews(&s).await["reviews"]["totalCount"], 0);
    let album_reviews = operation("AlbumReviews");
    let albums = || s.data(&album_reviews, json!({ "slug": "leap-soundtrack" }));
    assert_eq!(albums().await["album"]["reviews"]["totalCount"], 0);
    let kept = state.engine.responses().len();
    assert!(kept >= 2, "{kept}");
    let hits = || {
        s.metric(
            "leap_graphql_cache_lookups_total",
            &[("cache", "response"), ("result", "hit")],
        )
    };
    let before = hits().await.unwrap();
    assert_eq!(film_reviews(&s).await["reviews"]["totalCount"], 0);
    assert_eq!(hits().await.unwrap(), before + 1.0, "served from the cache");

    // A write to the film drops the film's answers, and only those.
    let added = add(&s, review(LEAP, 4)).await;
    assert_eq!(
        film_reviews(&s).await["reviews"]["totalCount"],
        1,
        "read your writes"
    );
    let before = hits().await.unwrap();
    assert_eq!(albums().await["album"]["reviews"]["totalCount"], 0);
    assert_eq!(
        hits().await.unwrap(),
        before + 1.0,
        "the album's answer was kept"
    );

    // An edit, then a delete, are read back at once too.
    let id = added["review"]["id"].as_str().unwrap();
    let token = added["editToken"].as_str().unwrap();
    s.data(
        &operation("EditReview"),
        json!({ "input": { "id": id, "editToken": token, "rating": 1 } }),
    )
    .await;
    assert_eq!(
        film_reviews(&s).await["reviewSummary"]["averageRating"],
        1.0
    );
    let node = "query($id: ID!) { node(id: $id) { id } }";
    assert_eq!(s.data(node, json!({ "id": id })).await["node"]["id"], id);
    s.data(
        &operation("DeleteReview"),
        json!({ "input": { "id": id, "editToken": token } }),
    )
    .await;
    assert_eq!(film_reviews(&s).await["reviews"]["totalCount"], 0);
    assert_eq!(s.data(node, json!({ "id": id })).await["node"], Value::Null);
    add(&s, review(&album, 2)).await;
    assert_eq!(albums().await["album"]["reviews"]["totalCount"], 1);
}

#[tokio::test]
async fn mutations_are_never_cached_nor_sent_with_get() {
    let dir = tempfile::tempdir().unwrap();
    let s = common::spawn_with(db_config(&dir)).await;
    let mut input = review(LEAP, 3);
    input["body"] = json!("the same body, twice");
    let a = add(&s, input.clone()).await;
    let b = add(&s, input).await;
    assert_ne!(
        a["review"]["id"], b["review"]["id"],
        "the same bytes wrote twice"
    );
    let r = s
        .client
        .get(s.url("/graphql"))
        .query(&[(
            "query",
            "mutation { deleteReview(input: { id: \"x\", editToken: \"y\" }) { deletedReviewId } }",
        )])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 405);
    let r = s
        .client
        .post(s.url("/graphql"))
        .header("content-type", "text/plain")
        .body(
            json!({ "query": operation("AddReview"), "variables": { "input": review(LEAP, 3) } })
                .to_string(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 415);
    assert_eq!(film_reviews(&s).await["reviews"]["totalCount"], 2);
}

#[tokio::test]
async fn writes_are_limited_per_client_address() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = db_config(&dir);
    config.writes.max_writes_per_minute = 2;
    let s = common::spawn_with(config).await;
    for _ in 0..2 {
        assert_eq!(add(&s, review(LEAP, 5)).await["userErrors"], json!([]));
    }
    let r = s
        .client
        .post(s.url("/graphql"))
        .header("content-type", "application/json")
        .body(
            json!({ "query": operation("AddReview"), "variables": { "input": review(LEAP, 5) } })
                .to_string(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    let retry: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "RATE_LIMITED");
    assert!(body.get("data").is_none());
    // Reads are not limited.
    assert_eq!(film_reviews(&s).await["reviews"]["totalCount"], 2);
}

#[tokio::test]
async fn reviews_survive_a_restart_and_the_cli_exports_imports_and_backs_up() {
    let dir = tempfile::tempdir().unwrap();
    let config = db_config(&dir);
    let db = config.writes.database.clone().unwrap();
    let (s, state) = common::spawn_state(config.clone()).await;
    let mut ids = Vec::new();
    for rating in 1..=3 {
        ids.push(add(&s, review(LEAP, rating)).await["review"]["id"].clone());
    }
    // A second server on the same database is refused while this one holds it.
    let second = leap_graphql::cli::open_reviews(&config).await;
    assert!(second.is_err(), "two servers on one database");

    let bin = env!("CARGO_BIN_EXE_leap-graphql");
    let export = std::process::Command::new(bin)
        .args(["reviews", "export", "--database", &db])
        .output()
        .unwrap();
    assert!(
        export.status.success(),
        "{}",
        String::from_utf8_lossy(&export.stderr)
    );
    let lines = String::from_utf8(export.stdout).unwrap();
    assert_eq!(lines.lines().count(), 3, "{lines}");
    let import = std::process::Command::new(bin)
        .args(["reviews", "import", "--database", &db])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(!import.status.success(), "import runs beside a server");
    assert!(String::from_utf8_lossy(&import.stderr).contains("in use"));
    let backup = dir.path().join("backup.db");
    let out = std::process::Command::new(bin)
        .args(["backup", backup.to_str().unwrap(), "--database", &db])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // The backup is a whole database: export it, import it into a fresh one.
    let restored = dir.path().join("restored.db");
    let from_backup = std::process::Command::new(bin)
        .args(["reviews", "export", "--database", backup.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8(from_backup.stdout.clone()).unwrap(),
        lines
    );
    let mut child = std::process::Command::new(bin)
        .args([
            "reviews",
            "import",
            "--database",
            restored.to_str().unwrap(),
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(&from_backup.stdout)
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "imported 3 of 3 reviews"
    );

    drop(s);
    drop(state);
    // The server's runtime task still holds the database; a fresh state on the restored
    // copy shows the same reviews.
    let mut restored_config = config.clone();
    restored_config.writes.database = Some(restored.display().to_string());
    let s = common::spawn_with(restored_config).await;
    let film = film_reviews(&s).await;
    let got: Vec<Value> = film["reviews"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["id"].clone())
        .rev()
        .collect();
    assert_eq!(got, ids);
}

/// Many writers at once (group commit): every valid write is acknowledged and stored exactly
/// once, in fewer transactions than writes; the refused ones (a `userError`) store nothing
/// and fail none of their neighbours; one idempotency key sent by many writers at once makes
/// one review; `createdAt` stays strictly increasing; and all of it survives a restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_writers_share_transactions_and_each_is_stored_once() {
    let dir = tempfile::tempdir().unwrap();
    let config = db_config(&dir);
    let (s, state) = common::spawn_state(config.clone()).await;
    let s = std::sync::Arc::new(s);
    let mut tasks = Vec::new();
    for i in 0..64 {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            let mut input = review(LEAP, 1 + i % 5);
            input["body"] = json!(format!("writer {i}"));
            match i % 8 {
                // A rating out of range: a userError among the valid writes.
                3 => input["rating"] = json!(9),
                // The same key and input from eight writers at once: one review.
                5 => input["idempotencyKey"] = json!("shared"),
                _ => {}
            }
            if i % 8 == 5 {
                input["body"] = json!("one review for eight writers");
                input["rating"] = json!(4);
            }
            (i, add(&s, input).await)
        }));
    }
    let mut stored = std::collections::HashMap::new();
    let mut shared = std::collections::HashSet::new();
    for task in tasks {
        let (i, answer) = task.await.unwrap();
        match i % 8 {
            3 => {
                assert_eq!(answer["review"], Value::Null, "{answer}");
                assert_eq!(answer["userErrors"][0]["code"], "OUT_OF_RANGE");
            }
            5 => {
                assert_eq!(answer["userErrors"], json!([]), "{answer}");
                shared.insert((
                    answer["review"]["id"].as_str().unwrap().to_owned(),
                    answer["editToken"].as_str().unwrap().to_owned(),
                ));
            }
            _ => {
                assert_eq!(answer["userErrors"], json!([]), "{answer}");
                stored.insert(
                    answer["review"]["id"].as_str().unwrap().to_owned(),
                    format!("writer {i}"),
                );
            }
        }
    }
    assert_eq!(shared.len(), 1, "one key made {shared:?}");
    let (shared_id, _) = shared.into_iter().next().unwrap();
    stored.insert(shared_id, "one review for eight writers".to_owned());
    assert_eq!(stored.len(), 64 - 8 - 8 + 1);

    let commits = state.engine.reviews().commits();
    assert_eq!(commits.writes, stored.len() as u64);
    assert!(
        commits.transactions < commits.writes,
        "{} writes took {} transactions: none were batched",
        commits.writes,
        commits.transactions
    );
    assert_eq!(
        s.metric("leap_graphql_review_writes_total", &[]).await,
        Some(stored.len() as f64)
    );

    let check = |film: Value| {
        let edges = film["reviews"]["edges"].as_array().unwrap().clone();
        assert_eq!(edges.len(), stored.len());
        let found: std::collections::HashMap<String, String> = edges
            .iter()
            .map(|e| {
                (
                    e["node"]["id"].as_str().unwrap().to_owned(),
                    e["node"]["body"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        assert_eq!(found, stored, "each acknowledged review once, as written");
        let times: Vec<&str> = edges
            .iter()
            .map(|e| e["node"]["createdAt"].as_str().unwrap())
            .collect();
        assert!(
            times.windows(2).all(|w| w[0] > w[1]),
            "createdAt strictly decreasing down the list: {times:?}"
        );
    };
    check(film_reviews(&s).await);
    // And in the database file, read beside the server: each body in one row.
    let pool = sqlx::SqlitePool::connect(&format!(
        "sqlite://{}",
        config.writes.database.as_deref().unwrap()
    ))
    .await
    .unwrap();
    let rows: Vec<(String, i64)> =
        sqlx::query_as("SELECT body, COUNT(*) FROM reviews GROUP BY body ORDER BY body")
            .fetch_all(&pool)
            .await
            .unwrap();
    let mut expected: Vec<(String, i64)> = stored.values().map(|b| (b.clone(), 1)).collect();
    expected.sort();
    assert_eq!(rows, expected);
}

/// A write the database refuses (here a trigger raises on one body) fails alone: the writes
/// batched with it are tried again one by one and all commit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_the_database_refuses_fails_alone() {
    let dir = tempfile::tempdir().unwrap();
    let config = db_config(&dir);
    let db = config.writes.database.clone().unwrap();
    let s = std::sync::Arc::new(common::spawn_with(config).await);
    // A second connection beside the server's (WAL allows it) adds the trigger.
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{db}"))
        .await
        .unwrap();
    sqlx::query(
        "CREATE TRIGGER poison BEFORE INSERT ON reviews WHEN NEW.body = 'poison' \
         BEGIN SELECT RAISE(ABORT, 'poisoned'); END",
    )
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;
    let mut tasks = Vec::new();
    for i in 0..33 {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            let mut input = review(LEAP, 5);
            input["body"] = json!(if i == 16 {
                "poison".to_owned()
            } else {
                format!("fine {i}")
            });
            let (status, body) = s
                .post(&operation("AddReview"), json!({ "input": input }))
                .await;
            (i, status, body)
        }));
    }
    let mut fine = 0;
    for task in tasks {
        let (i, status, body) = task.await.unwrap();
        if i == 16 {
            assert_eq!(body["data"]["addReview"], Value::Null, "{body}");
            assert_eq!(
                body["errors"][0]["extensions"]["code"], "INTERNAL_SERVER_ERROR",
                "{body}"
            );
        } else {
            assert_eq!(status, 200, "{body}");
            assert_eq!(body["data"]["addReview"]["userErrors"], json!([]), "{body}");
            fine += 1;
        }
    }
    let film = film_reviews(&s).await;
    assert_eq!(film["reviews"]["totalCount"], fine);
    let bodies: Vec<&str> = film["reviews"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["body"].as_str().unwrap())
        .collect();
    assert!(!bodies.contains(&"poison"));
}
