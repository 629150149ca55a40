//! The plan executor against async-graphql, side by side: for every request, either both
//! succeed with the very same bytes, or async-graphql answers with errors and the plan
//! bails. A plan that succeeds where async-graphql fails would be a wrong answer; one that
//! bails where async-graphql succeeds would only be slow, and is counted so that the suite
//! also shows the plan executor covers what it claims to.

use std::sync::{Arc, LazyLock};

use leap_graphql::exec::Plan;
use leap_graphql::schema::{self, LeapSchema};
use leap_graphql::store::Store;
use serde_json::{Value, json};

static SCHEMA: LazyLock<LeapSchema> = LazyLock::new(schema::build);
static BUNDLED: LazyLock<Arc<Store>> =
    LazyLock::new(|| Arc::new(leap_graphql::seed::load_bundled().expect("the bundled seed loads")));
static SYNTHETIC: LazyLock<Arc<Store>> = LazyLock::new(|| {
    let dir = tempfile::tempdir().unwrap();
    leap_graphql::synth::generate(dir.path(), 120, 5).unwrap();
    Arc::new(leap_graphql::seed::load_dir(dir.path()).expect("the synthetic seed loads"))
});

/// What async-graphql answers: the body of a clean answer, or None when it has errors.
fn reference(store: &Arc<Store>, query: &str, variables: &Value) -> Option<String> {
    let request = async_graphql::Request::new(query)
        .variables(async_graphql::Variables::from_json(variables.clone()))
        .data(store.clone());
    let response = futures_lite_block_on(SCHEMA.execute(request));
    response.errors.is_empty().then(|| {
        format!(
            "{{\"data\":{}}}",
            serde_json::to_string(&response.data).unwrap()
        )
    })
}

fn futures_lite_block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(f)
}

#[derive(Debug, PartialEq, Eq)]
enum Verdict {
    /// Both answered, the same bytes.
    Same,
    /// async-graphql answered with errors and the plan bailed.
    BothRefused,
    /// The document has no plan (introspection, say); async-graphql answers it alone.
    NoPlan,
    /// async-graphql answered and the plan bailed: correct, but the slow path.
    Bailed,
}

/// Runs one request both ways and panics on any disagreement.
fn check(store: &Arc<Store>, query: &str, variables: Value) -> Verdict {
    let expected = reference(store, query, &variables);
    let doc = async_graphql::parser::parse_query(query).expect("the test's query parses");
    let plan = match Plan::compile(&doc, None) {
        Ok(plan) => plan,
        Err(_) => return Verdict::NoPlan,
    };
    let vars = match &variables {
        Value::Object(m) => m.clone(),
        _ => Default::default(),
    };
    let got = plan
        .execute(store, &vars)
        .map(|b| String::from_utf8(b).expect("plans write UTF-8"));
    match (expected, got) {
        (Some(e), Ok(g)) => {
            assert_eq!(g, e, "different answers to {query} with {variables}");
            Verdict::Same
        }
        (None, Err(_)) => Verdict::BothRefused,
        (Some(_), Err(_)) => Verdict::Bailed,
        (None, Ok(g)) => {
            panic!("the plan answered {g} where async-graphql has errors: {query} {variables}")
        }
    }
}

fn operation(name: &str) -> String {
    std::fs::read_to_string(format!("tests/operations/{name}.graphql")).unwrap()
}

#[test]
fn the_frontend_operations_agree() {
    let cases: &[(&str, Value)] = &[
        ("FilmPage", json!({"slug": "leap"})),
        ("FilmPage", json!({"slug": "no-such-film"})),
        ("AlbumPage", json!({"slug": "leap-soundtrack"})),
        ("PersonPage", json!({"slug": "peter-chan"})),
        ("PersonPage", json!({"slug": "gong-li"})),
        ("TeamPage", json!({"slug": "china-women"})),
        (
            "NodeLookup",
            json!({"id": "RmlsbTpsZWFw", "ids": ["RmlsbTpsZWFw", "UGVyc29uOmdvbmctbGk"]}),
        ),
        ("Search", json!({"text": "leap"})),
        ("Search", json!({"text": "冠", "first": 3})),
        ("Catalogue", json!({})),
        ("Catalogue", json!({"first": 2})),
        ("MatchTimeline", json!({})),
    ];
    for (name, vars) in cases {
        assert_eq!(
            check(&BUNDLED, &operation(name), vars.clone()),
            Verdict::Same,
            "{name} {vars}"
        );
    }
}

#[test]
fn the_frontend_operations_agree_on_a_synthetic_catalogue() {
    let s = &*SYNTHETIC;
    for film in s.films.iter().step_by(7) {
        let v = json!({"slug": &*film.meta.slug});
        assert_eq!(check(s, &operation("FilmPage"), v), Verdict::Same);
    }
    for person in s.people.iter().step_by(31) {
        let v = json!({"slug": &*person.meta.slug});
        assert_eq!(check(s, &operation("PersonPage"), v), Verdict::Same);
    }
    for album in s.albums.iter().step_by(11) {
        let v = json!({"slug": &*album.meta.slug});
        assert_eq!(check(s, &operation("AlbumPage"), v), Verdict::Same);
    }
    for team in s.teams.iter() {
        let v = json!({"slug": &*team.meta.slug});
        assert_eq!(check(s, &operation("TeamPage"), v), Verdict::Same);
    }
    for first in [1, 5, 20, 100] {
        assert_eq!(
            check(s, &operation("Catalogue"), json!({"first": first})),
            Verdict::Same
        );
    }
    assert_eq!(
        check(s, &operation("MatchTimeline"), json!({})),
        Verdict::Same
    );
}

#[test]
fn bad_requests_make_the_plan_bail() {
    let film = operation("FilmPage");
    let catalogue = operation("Catalogue");
    let cases: &[(&str, Value)] = &[
        // Variables that do not coerce, or are missing.
        (&film, json!({})),
        (&film, json!({"slug": null})),
        (&film, json!({"slug": 5})),
        (&catalogue, json!({"first": "ten"})),
        (&catalogue, json!({"first": 1.5})),
        (&catalogue, json!({"first": 4_000_000_000u64})),
        // Arguments a resolver refuses.
        (&catalogue, json!({"first": 101})),
        (&catalogue, json!({"first": -1})),
        (&catalogue, json!({"after": "not-a-cursor"})),
        (
            "{ film(id: \"RmlsbTpsZWFw\", slug: \"leap\") { title } }",
            json!({}),
        ),
        (
            "{ film(slug: \"leap\", id: \"UGVyc29uOmdvbmctbGk\") { title } }",
            json!({}),
        ),
        ("{ node(id: \"???\") { id } }", json!({})),
        ("{ search(query: \"  \") { totalCount } }", json!({})),
        (
            "query($t: [NodeType!]) { search(query: \"leap\", types: $t) { totalCount } }",
            json!({"t": ["SPACESHIP"]}),
        ),
        (
            "query($o: FilmOrder) { films(orderBy: $o) { totalCount } }",
            json!({"o": {"field": "TITLE", "extra": 1}}),
        ),
        (
            "query($o: FilmOrder) { films(orderBy: $o) { totalCount } }",
            json!({"o": {"field": "PRICE"}}),
        ),
    ];
    for (query, vars) in cases {
        assert_eq!(
            check(&BUNDLED, query, vars.clone()),
            Verdict::BothRefused,
            "{query} {vars}"
        );
    }
}

#[test]
fn documents_without_plans_are_left_to_async_graphql() {
    for query in [
        "{ __schema { queryType { name } } }",
        "{ __type(name: \"Film\") { name } }",
        "query($s: Boolean!) { film(slug: \"leap\") { title @skip(if: $s) } }",
    ] {
        let doc = async_graphql::parser::parse_query(query).unwrap();
        assert!(Plan::compile(&doc, None).is_err(), "{query}");
    }
}
