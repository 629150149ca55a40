//! The plan executor against async-graphql, side by side (the helper is in
//! `tests/common/plans.rs`): the frontend operations, and requests that must make the plan
//! bail. `tests/plans_generated.rs` covers every field and random documents.

mod common;

use common::plans::{BUNDLED, SYNTHETIC, Verdict, check};
use leap_graphql::exec::Plan;
use serde_json::{Value, json};

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

/// async-graphql writes an object of which nothing is selected (every field skipped, or no
/// fragment applying to its type) as null, even in a non-null position, and merges the later
/// fields of a response key into the first one's answer, so that a first one selecting
/// nothing makes the object null. The plan wrote `{}` and merged the selections.
#[test]
fn objects_with_nothing_selected_are_null() {
    for query in [
        r#"{ film(slug: "leap") { title @skip(if: true) } }"#,
        r#"{ film(slug: "leap") @skip(if: true) { title } }"#,
        r#"{ film(slug: "leap") { ...F @include(if: false) } } fragment F on Film { title }"#,
        r#"{ search(query: "leap") { nodes { ... on Film { title } } } }"#,
        r#"{ film(slug: "leap") { cast { nodes { ... on Team { name } } totalCount } } }"#,
        r#"{ a: film(slug: "leap") { ... on Film @skip(if: true) { title } } a: film(slug: "leap") { id } }"#,
        r#"{ a: film(slug: "leap") { id } a: film(slug: "leap") { title @skip(if: true) } }"#,
        r#"{ search(query: "leap") { nodes { ... on Person { name } } nodes { __typename } } }"#,
        r#"{ search(query: "leap") { nodes { __typename } nodes { ... on Person { name } } } }"#,
    ] {
        assert_eq!(check(&BUNDLED, query, json!({})), Verdict::Same, "{query}");
    }
}

/// async-graphql's validation compares the fields of one response key only within one
/// selection set and type condition, and its executor resolves each of them with its own
/// arguments and merges the answers. The plan answered them all with the first one's.
#[test]
fn fields_of_one_key_that_differ_have_no_plan() {
    for query in [
        r#"{ film(slug: "leap") { cast(first: 2) { edges { cursor } } ... on Film { cast(first: 1) { edges { node { id } } } } } }"#,
        r#"{ film(slug: "leap") { cast(first: 2) { totalCount } } film(slug: "leap") { cast(first: 1) { edges { cursor } } } }"#,
        r#"{ film(slug: "leap") { x: soundtrack { title } ... on Film { x: albums { id } } } }"#,
        r#"{ a: film(slug: "leap") { title } ... on Query { a: film(slug: "no") { id } } }"#,
        r#"{ a: film(slug: "leap") { title } ...Q } fragment Q on Query { a: film(id: "RmlsbTpsZWFw") { id } }"#,
    ] {
        assert_eq!(
            check(&BUNDLED, query, json!({})),
            Verdict::NoPlan,
            "{query}"
        );
    }
    // The same field with the same arguments, in any order, is merged.
    for query in [
        r#"{ film(slug: "leap") { cast(first: 2, last: 1) { totalCount } ... on Film { cast(last: 1, first: 2) { edges { cursor } } } } }"#,
        r#"{ film(slug: "leap") { t: title ... on Work { t: title } } }"#,
    ] {
        assert_eq!(check(&BUNDLED, query, json!({})), Verdict::Same, "{query}");
    }
}
