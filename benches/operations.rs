//! In-process costs of each frontend operation: the guard, async-graphql's parse, and a
//! whole execution (parse, validate, execute, serialise) against the bundled seed, and the
//! plan executor's execution of the same operation.
//! `cargo bench --bench operations`.

use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::{Value, json};

fn operations() -> Vec<(&'static str, String, Value)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/operations");
    let read = |name: &str| {
        std::fs::read_to_string(format!("{dir}/{name}.graphql")).expect("the operation exists")
    };
    vec![
        ("FilmPage", read("FilmPage"), json!({ "slug": "leap" })),
        (
            "AlbumPage",
            read("AlbumPage"),
            json!({ "slug": "leap-soundtrack" }),
        ),
        (
            "PersonPage",
            read("PersonPage"),
            json!({ "slug": "peter-chan" }),
        ),
        (
            "TeamPage",
            read("TeamPage"),
            json!({ "slug": "china-women" }),
        ),
        (
            "NodeLookup",
            read("NodeLookup"),
            json!({ "id": "RmlsbTpsZWFw", "ids": ["RmlsbTpsZWFw"] }),
        ),
        ("Search", read("Search"), json!({ "text": "leap" })),
        ("Catalogue", read("Catalogue"), json!({})),
        ("MatchTimeline", read("MatchTimeline"), json!({})),
    ]
}

fn bench(c: &mut Criterion) {
    let store = Arc::new(leap_graphql::seed::load_bundled().expect("the bundled seed loads"));
    let schema = leap_graphql::schema::build();
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    let limits = leap_graphql::guard::DocumentLimits::default();
    // The same schema without the null-propagation extension, to price the extension.
    let bare = async_graphql::Schema::build(
        leap_graphql::schema::Query::default(),
        async_graphql::EmptyMutation,
        async_graphql::EmptySubscription,
    )
    .finish();
    for (name, doc, vars) in operations() {
        let parsed = async_graphql::parser::parse_query(&doc).expect("the operation parses");
        c.bench_function(&format!("{name}/execute-parsed"), |b| {
            b.iter(|| {
                let mut request = async_graphql::Request::new(doc.clone())
                    .variables(async_graphql::Variables::from_json(vars.clone()))
                    .data(store.clone());
                request.set_parsed_query(parsed.clone());
                let response = rt.block_on(schema.execute(request));
                assert!(response.errors.is_empty());
            })
        });
        c.bench_function(&format!("{name}/execute-without-extension"), |b| {
            b.iter(|| {
                let request = async_graphql::Request::new(doc.clone())
                    .variables(async_graphql::Variables::from_json(vars.clone()))
                    .data(store.clone());
                let response = rt.block_on(bare.execute(request));
                assert!(response.errors.is_empty());
            })
        });
        // The plan executor on the same operation: what the cache-miss path runs once a
        // document has been validated.
        let plan =
            leap_graphql::exec::Plan::compile(&parsed, None).expect("the operation has a plan");
        let plan_vars = vars.as_object().cloned().unwrap_or_default();
        c.bench_function(&format!("{name}/plan"), |b| {
            b.iter(|| {
                plan.execute(
                    &store,
                    &plan_vars,
                    leap_graphql::store::query::Budget::unlimited(),
                )
                .map(|v| v.len())
                .expect("the plan answers")
            })
        });
        c.bench_function(&format!("{name}/guard"), |b| {
            b.iter(|| leap_graphql::guard::check(&doc, None, &|_| None, &limits).is_ok())
        });
        c.bench_function(&format!("{name}/parse"), |b| {
            b.iter(|| async_graphql::parser::parse_query(&doc).is_ok())
        });
        c.bench_function(&format!("{name}/execute"), |b| {
            b.iter(|| {
                let request = async_graphql::Request::new(doc.clone())
                    .variables(async_graphql::Variables::from_json(vars.clone()))
                    .data(store.clone());
                let response = rt.block_on(schema.execute(request));
                assert!(response.errors.is_empty());
                serde_json::to_vec(&response.data)
                    .map(|v| v.len())
                    .unwrap_or(0)
            })
        });
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).warm_up_time(std::time::Duration::from_millis(300)).measurement_time(std::time::Duration::from_secs(1));
    targets = bench
}
criterion_main!(benches);
