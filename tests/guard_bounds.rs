//! The guard's cost counts every list by its real bound on the graph being served: a table
//! made from the schema (every field, its type, whether it is one value, a page or a list)
//! and the graph (each plain list's largest size, measured at load).

use leap_graphql::engine::bounds::{measure, unmeasured};
use leap_graphql::guard::{DocumentLimits, Size, check, check_with};

fn synthetic(films: usize) -> leap_graphql::store::Store {
    let dir = tempfile::tempdir().expect("a temporary directory");
    leap_graphql::synth::generate(dir.path(), films, 3).expect("generates");
    leap_graphql::seed::load_dir(dir.path()).expect("loads")
}

#[test]
fn every_plain_list_of_the_schema_is_measured() {
    let store = leap_graphql::seed::load_bundled().expect("the bundled seed loads");
    assert_eq!(
        unmeasured(&store),
        Vec::<String>::new(),
        "give these lists their measure in src/engine/bounds.rs (`fanout`)"
    );
}

#[test]
fn sizes_come_from_the_schema_and_the_graph() {
    let store = synthetic(500);
    let bounds = measure(&store);
    let largest = store
        .competitions()
        .iter()
        .map(|c| c.matches.len())
        .max()
        .unwrap() as u64;
    assert!(largest > 1);
    let check = |on, field, size| assert_eq!(bounds.size(on, field), Some(size), "{on}.{field}");
    check("Competition", "matches", Size::List(largest));
    check("Competition", "matchesConnection", Size::Page);
    check("Film", "matches", Size::Page);
    check("Query", "matches", Size::Page);
    check("MatchConnection", "nodes", Size::One);
    check("Match", "tournament", Size::One);
    check("Query", "nodes", Size::List(100));
}

#[test]
fn the_cost_multiplies_by_each_list_s_real_size() {
    let store = synthetic(500);
    let bounds = measure(&store);
    let largest = store
        .competitions()
        .iter()
        .map(|c| c.matches.len())
        .max()
        .unwrap() as u64;
    let limits = DocumentLimits {
        max_cost: u64::MAX,
        ..DocumentLimits::default()
    };
    let cost = |doc: &str| {
        check_with(doc, None, &|_| None, &limits, &bounds)
            .expect("passes")
            .cost
    };
    // competitions (10) > nodes (10) > matches (10 × largest) > title (the same).
    let doc = "{competitions(first:10){nodes{matches{title}}}}";
    assert_eq!(cost(doc), 10 + 10 + 2 * 10 * largest);
    // Without the table, a list counts as one.
    let flat = check(doc, None, &|_| None, &limits).unwrap().cost;
    assert_eq!(flat, 40);
    // A connection given no page size counts its default page; one given a size, that size.
    assert_eq!(
        cost("{film(slug:\"x\"){matches{nodes{title}}}}"),
        1 + 20 * 3
    );
    assert_eq!(
        cost("{film(slug:\"x\"){matches(first:5){nodes{title}}}}"),
        1 + 5 * 3
    );
    // The type follows fragments and inline fragments.
    let through_fragments = "query{node(id:\"x\"){...on Competition{...M}}} \
                             fragment M on Competition{matches{title}}";
    assert_eq!(cost(through_fragments), 1 + 2 * largest);
}
