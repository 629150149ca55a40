//! The frontend operations (the contract in `tests/operations/`, copied from the shared
//! operations folder) each validate and return the right data; the JSON is snapshotted.

mod common;

use serde_json::{Value, json};

fn operation(name: &str) -> String {
    let path = format!(
        "{}/tests/operations/{name}.graphql",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Runs one operation over HTTP and snapshots its data under `snapshot`.
async fn check(server: &common::TestServer, name: &str, snapshot: &str, variables: Value) -> Value {
    let data = server.data(&operation(name), variables).await;
    insta::assert_json_snapshot!(snapshot, data);
    data
}

#[tokio::test]
async fn film_page() {
    let s = common::spawn().await;
    let d = check(&s, "FilmPage", "film_page_leap", json!({ "slug": "leap" })).await;
    let film = &d["film"];
    assert_eq!(film["title"], "Leap");
    assert_eq!(film["originalTitle"], "夺冠");
    // Both release dates stay, each with the document that gives it.
    let dates: Vec<(&str, &str)> = film["releases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["date"].as_str().unwrap(),
                r["sources"][0]["title"].as_str().unwrap(),
            )
        })
        .collect();
    assert!(
        dates.contains(&("2020-09-25", "Leap – Gong Li, Huang Bo, Wu Gang")),
        "{dates:?}"
    );
    assert!(
        dates.contains(&("2020-09-30", "Trailer: Leap by Peter Chan")),
        "{dates:?}"
    );
    let missing = s
        .data(&operation("FilmPage"), json!({ "slug": "no-such-film" }))
        .await;
    assert_eq!(missing["film"], Value::Null);
}

#[tokio::test]
async fn album_page() {
    let s = common::spawn().await;
    let d = check(
        &s,
        "AlbumPage",
        "album_page_leap_soundtrack",
        json!({ "slug": "leap-soundtrack" }),
    )
    .await;
    let album = &d["album"];
    assert_eq!(album["tracks"]["totalCount"], 22);
    let sum: u64 = album["tracks"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["durationSeconds"].as_u64().unwrap())
        .sum();
    assert_eq!(album["totalDurationSeconds"].as_u64(), Some(sum));
    assert_eq!(
        album["price"],
        json!({ "amount": "16.98", "currency": "USD" })
    );
}

#[tokio::test]
async fn catalogue() {
    let s = common::spawn().await;
    let d = check(&s, "Catalogue", "catalogue_first_page", json!({})).await;
    assert_eq!(
        d["tracks"]["nodes"][0]["title"], "Rio, Quarter Final",
        "the longest track comes first"
    );
    // Paging with the end cursor gives the rest, with no repeats.
    let small = s.data(&operation("Catalogue"), json!({ "first": 2 })).await;
    let cursor = small["films"]["pageInfo"]["endCursor"].clone();
    assert_eq!(small["films"]["pageInfo"]["hasNextPage"], true);
    let next = s
        .data(
            &operation("Catalogue"),
            json!({ "first": 2, "after": cursor }),
        )
        .await;
    let titles = |v: &Value| {
        v["films"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["slug"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    let all = [titles(&small), titles(&next)].concat();
    let full = titles(&d);
    assert_eq!(all, full);
}

#[tokio::test]
async fn match_timeline() {
    let s = common::spawn().await;
    let d = check(&s, "MatchTimeline", "match_timeline", json!({})).await;
    let years: Vec<i64> = d["matches"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["year"].as_i64().unwrap())
        .collect();
    assert_eq!(years, vec![1980, 1981, 2008, 2016]);
}

#[tokio::test]
async fn person_page() {
    let s = common::spawn().await;
    check(
        &s,
        "PersonPage",
        "person_page_peter_chan",
        json!({ "slug": "peter-chan" }),
    )
    .await;
    check(
        &s,
        "PersonPage",
        "person_page_lang_ping",
        json!({ "slug": "lang-ping" }),
    )
    .await;
    check(
        &s,
        "PersonPage",
        "person_page_gong_li",
        json!({ "slug": "gong-li" }),
    )
    .await;
}

#[tokio::test]
async fn team_page() {
    let s = common::spawn().await;
    let d = check(
        &s,
        "TeamPage",
        "team_page_china",
        json!({ "slug": "china-women" }),
    )
    .await;
    assert_eq!(d["team"]["matches"]["totalCount"], 4);
}

#[tokio::test]
async fn node_lookup() {
    let s = common::spawn().await;
    let film = s.data("{ film(slug: \"leap\") { id } }", json!({})).await["film"]["id"].clone();
    let person = s
        .data("{ person(slug: \"gong-li\") { id } }", json!({}))
        .await["person"]["id"]
        .clone();
    // A well-formed id that names nothing is null, and order is kept.
    let gone = leap_graphql::store::ids::encode(leap_graphql::store::model::Kind::Film, "gone");
    let d = check(
        &s,
        "NodeLookup",
        "node_lookup",
        json!({ "id": film, "ids": [person, gone, film] }),
    )
    .await;
    assert_eq!(d["nodes"][1], Value::Null);
    let code = s
        .error_code(
            &operation("NodeLookup"),
            json!({ "id": "not-an-id", "ids": [] }),
        )
        .await;
    assert_eq!(code, "BAD_USER_INPUT");
}

#[tokio::test]
async fn search() {
    let s = common::spawn().await;
    let d = check(&s, "Search", "search_duoguan", json!({ "text": "夺冠" })).await;
    assert_eq!(d["search"]["nodes"][0]["title"], "Leap");
    let d = check(&s, "Search", "search_leap", json!({ "text": "leap" })).await;
    assert_eq!(
        d["search"]["nodes"][0]["__typename"], "Film",
        "the exact match ranks first"
    );
    let d = s
        .data(&operation("Search"), json!({ "text": "UMEBAYASHI" }))
        .await;
    assert_eq!(d["search"]["nodes"][0]["name"], "Shigeru Umebayashi");
    let d = s.data(&operation("Search"), json!({ "text": "rio" })).await;
    assert!(d["search"]["totalCount"].as_u64().unwrap() >= 2, "{d}");
}

/// The operations here are the shared contract, unchanged.
#[test]
fn operations_match_the_shared_contract() {
    let shared = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/operations");
    let Ok(entries) = std::fs::read_dir(&shared) else {
        eprintln!("SKIPPED: no ../shared/operations beside the checkout to compare with");
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let ours = std::fs::read_to_string(format!(
            "{}/tests/operations/{name}",
            env!("CARGO_MANIFEST_DIR")
        ));
        assert_eq!(
            ours.ok(),
            std::fs::read_to_string(entry.path()).ok(),
            "tests/operations/{name} differs from the shared contract"
        );
    }
}
