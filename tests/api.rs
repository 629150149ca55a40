//! Behaviour of the schema beyond the frontend operations: lookups, paging, filters, search
//! and provenance, through one `check` helper per kind of answer.

mod common;

use serde_json::{Value, json};

async fn code(s: &common::TestServer, query: &str) -> String {
    s.error_code(query, json!({})).await
}

#[tokio::test]
async fn lookups_take_exactly_one_of_id_and_slug() {
    let s = common::spawn().await;
    let film_id = leap_graphql::store::ids::encode(leap_graphql::store::model::Kind::Film, "leap");
    let by_id = s
        .data(
            &format!("{{ film(id: \"{film_id}\") {{ slug }} }}"),
            json!({}),
        )
        .await;
    assert_eq!(by_id["film"]["slug"], "leap");
    for bad in [
        "{ film { slug } }".to_owned(),
        format!("{{ film(id: \"{film_id}\", slug: \"leap\") {{ slug }} }}"),
        format!("{{ person(id: \"{film_id}\") {{ slug }} }}"),
        "{ film(id: \"%%%\") { slug } }".to_owned(),
        "{ nodes(ids: [\"x\"]) { id } }".to_owned(),
    ] {
        assert_eq!(code(&s, &bad).await, "BAD_USER_INPUT", "{bad}");
    }
}

#[tokio::test]
async fn pages_forwards_and_backwards_without_repeats() {
    let s = common::spawn().await;
    let page = |after: Option<&str>,
                before: Option<&str>,
                first: Option<i32>,
                last: Option<i32>| {
        let args = json!({ "after": after, "before": before, "first": first, "last": last });
        (
            "query($first: Int, $after: String, $last: Int, $before: String) { tracks(first: $first, after: $after, last: $last, before: $before, orderBy: { field: TITLE }) { totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } nodes { slug } } }",
            args,
        )
    };
    let mut seen: Vec<String> = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let (q, v) = page(after.as_deref(), None, Some(5), None);
        let d = s.data(q, v).await;
        let t = &d["tracks"];
        seen.extend(
            t["nodes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| n["slug"].as_str().unwrap().to_owned()),
        );
        if t["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = t["pageInfo"]["endCursor"].as_str().map(str::to_owned);
    }
    assert_eq!(seen.len(), 22);
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 22, "no repeats");
    // The last three, then the three before them, going backwards.
    let (q, v) = page(None, None, None, Some(3));
    let end = s.data(q, v).await;
    let start = end["tracks"]["pageInfo"]["startCursor"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(end["tracks"]["pageInfo"]["hasPreviousPage"], true);
    let (q, v) = page(None, Some(&start), None, Some(3));
    let before = s.data(q, v).await;
    let slugs = |d: &Value| {
        d["tracks"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["slug"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!([slugs(&before), slugs(&end)].concat(), seen[16..].to_vec());
    for (first, last) in [(Some(-1), None), (Some(101), None), (None, Some(-3))] {
        let (q, v) = page(None, None, first, last);
        assert_eq!(s.error_code(q, v).await, "BAD_USER_INPUT");
    }
    let (q, v) = page(Some("bm90IGEgY3Vyc29y"), None, None, None);
    assert_eq!(s.error_code(q, v).await, "BAD_USER_INPUT");
}

#[tokio::test]
async fn filters_and_orders() {
    let s = common::spawn().await;
    let d = s
        .data(
            "{ films(filter: { titleContains: \"WAR\" }) { nodes { title } } }",
            json!({}),
        )
        .await;
    assert_eq!(d["films"]["nodes"], json!([{ "title": "The Warlords" }]));
    let d = s
        .data(
            "{ films(filter: { year: 2020 }) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(d["films"]["totalCount"], 1);
    let d = s
        .data(
            "{ matches(filter: { team: \"brazil-women\" }) { nodes { year } } }",
            json!({}),
        )
        .await;
    assert_eq!(d["matches"]["nodes"], json!([{ "year": 2016 }]));
    let d = s.data("{ matches(filter: { from: \"1981\", to: \"2008\" }, orderBy: { field: DATE, direction: DESC }) { nodes { year } } }", json!({})).await;
    assert_eq!(
        d["matches"]["nodes"],
        json!([{ "year": 2008 }, { "year": 1981 }])
    );
    let d = s
        .data(
            "{ matches(filter: { competition: \"1981-world-cup\" }) { nodes { city } } }",
            json!({}),
        )
        .await;
    assert_eq!(d["matches"]["nodes"], json!([{ "city": "Osaka" }]));
    let d = s
        .data(
            "{ tracks(first: 2, orderBy: { field: DURATION }) { nodes { duration } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        d["tracks"]["nodes"],
        json!([{ "duration": "00:50" }, { "duration": "01:06" }])
    );
    let d = s
        .data(
            "{ people(filter: { nameContains: \"zhang\" }) { nodes { name } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        d["people"]["nodes"],
        json!([{ "name": "Zhang Ji" }, { "name": "Zhang Yibai" }])
    );
    assert_eq!(
        code(
            &s,
            "{ matches(filter: { from: \"2021-02-29\" }) { totalCount } }"
        )
        .await,
        "BAD_USER_INPUT"
    );
}

#[tokio::test]
async fn search_folds_case_and_accents_and_reads_chinese() {
    let s = common::spawn().await;
    let first = |text: &'static str| {
        let s = &s;
        async move {
            let d = s.data("query($q: String!) { search(query: $q, first: 1) { nodes { __typename ... on Film { title } ... on Person { name } ... on Track { title } } } }", json!({ "q": text })).await;
            d["search"]["nodes"][0].clone()
        }
    };
    assert_eq!(first("夺冠").await["title"], "Leap");
    assert_eq!(first("冠").await["title"], "Leap");
    assert_eq!(first("GÓNG LÌ").await["name"], "Gong Li");
    assert_eq!(first("new years").await["title"], "New Year’s Dinner");
    assert_eq!(
        code(&s, "{ search(query: \"   \") { totalCount } }").await,
        "BAD_USER_INPUT"
    );
    let d = s
        .data(
            "{ search(query: \"china\", types: [TEAM]) { totalCount nodes { __typename } } }",
            json!({}),
        )
        .await;
    assert!(
        d["search"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|n| n["__typename"] == "Team")
    );
}

#[tokio::test]
async fn facts_say_where_they_come_from() {
    let s = common::spawn().await;
    let d = s
        .data("{ album(slug: \"leap-soundtrack\") { facts { field editorial sources { slug } } } track(slug: \"leap-soundtrack-20\") { facts { field editorial note } depicts { slug } } source(slug: \"trailer-article\") { author { name } supports(first: 100) { totalCount } } }", json!({}))
        .await;
    let facts = d["album"]["facts"].as_array().unwrap();
    let title = facts.iter().find(|f| f["field"] == "title").unwrap();
    assert_eq!(
        title["editorial"], true,
        "the page gives the album no title"
    );
    let isbn = facts.iter().find(|f| f["field"] == "isbn").unwrap();
    assert_eq!(isbn["sources"], json!([{ "slug": "store-page" }]));
    let depicts = d["track"]["facts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["field"] == "depicts")
        .unwrap()
        .clone();
    assert_eq!(depicts["editorial"], true);
    assert_eq!(
        d["track"]["depicts"],
        json!([{ "slug": "2016-olympics-china-vs-brazil" }])
    );
    assert_eq!(d["source"]["author"]["name"], "Rhythm Zaveri");
    assert!(d["source"]["supports"]["totalCount"].as_u64().unwrap() > 5);
}

/// Every edge list pages one item at a time into exactly the whole list: the list is in the
/// order its cursors compare by (Peter Chan has a film and an album of the same year).
#[tokio::test]
async fn edge_lists_page_one_by_one_into_the_whole_list() {
    let s = common::spawn().await;
    let cases = [
        (
            "person(slug: \"peter-chan\")",
            "credits",
            "node { ... on Film { slug } ... on Album { slug } }",
        ),
        ("film(slug: \"leap\")", "cast", "node { slug }"),
        ("team(slug: \"china-women\")", "matches", "node { slug }"),
        (
            "album(slug: \"leap-soundtrack\")",
            "tracks",
            "node { slug }",
        ),
    ];
    for (root, list, node) in cases {
        let field = root.split('(').next().unwrap();
        let all = format!("{{ {root} {{ {list}(first: 100) {{ edges {{ {node} }} }} }} }}");
        let whole: Vec<Value> = s.data(&all, json!({})).await[field][list]["edges"]
            .as_array()
            .unwrap()
            .clone();
        let mut paged = Vec::new();
        let mut after = Value::Null;
        loop {
            let q = format!(
                "query($after: String) {{ {root} {{ {list}(first: 1, after: $after) {{ pageInfo {{ hasNextPage endCursor }} edges {{ {node} }} }} }} }}"
            );
            let d = s.data(&q, json!({ "after": after })).await;
            let page = &d[field][list];
            paged.extend(page["edges"].as_array().unwrap().iter().cloned());
            if page["pageInfo"]["hasNextPage"] != true {
                break;
            }
            after = page["pageInfo"]["endCursor"].clone();
        }
        assert_eq!(paged, whole, "{root} {list}");
        assert!(
            whole.len() > 1,
            "{root} {list} has something to page through"
        );
    }
}
