//! The plan executor against async-graphql, side by side (the oracle is in
//! `tests/common/plans.rs`): the frontend operations, every field of every type, requests
//! that must make the plan bail, and the disagreements found so far.
//! `tests/plans_generated.rs` runs random documents.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use common::plans::{
    BUNDLED, FieldDef, MODEL, SYNTHETIC, TypeKind, Verdict, base_name, check, check_answered,
    reference,
};
use leap_graphql::exec::Plan;
use leap_graphql::store::Store;
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
    for film in s.films().iter().step_by(7) {
        let v = json!({"slug": &*film.meta.slug});
        assert_eq!(check(s, &operation("FilmPage"), v), Verdict::Same);
    }
    for person in s.people().iter().step_by(31) {
        let v = json!({"slug": &*person.meta.slug});
        assert_eq!(check(s, &operation("PersonPage"), v), Verdict::Same);
    }
    for album in s.albums().iter().step_by(11) {
        let v = json!({"slug": &*album.meta.slug});
        assert_eq!(check(s, &operation("AlbumPage"), v), Verdict::Same);
    }
    for team in s.teams().iter() {
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
        r#"{ a: film(slug: "leap") { id } a: film(slug: "leap") { title @skip(if: true) } }"#,
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

/// One step of a path from the root: a field with its arguments, or a type condition.
#[derive(Clone, Debug)]
enum Step {
    Field(String, String),
    On(String),
}

/// A query that follows `path` and selects `inner` at its end, with `__typename` at every
/// level so that no object on the way selects nothing.
fn along(path: &[Step], inner: &str) -> String {
    let mut selection = inner.to_owned();
    for step in path.iter().rev() {
        selection = match step {
            Step::Field(name, args) => format!("{name}{args} {{ __typename {selection} }}"),
            Step::On(t) => format!("... on {t} {{ {selection} }}"),
        };
    }
    format!("{{ {selection} }}")
}

/// Marks the objects at the end of a path, so that an answer shows whether any was reached.
const MARK: &str = "reached__";

/// What a store has to look things up by: for each node type, the id and slug of its first
/// item by the root list, and a word to search for.
struct Lookups {
    first: BTreeMap<String, (String, String)>,
    word: String,
}

/// The root list of each node type: the field of `Query` whose connection lists it.
fn root_lists() -> Vec<(String, String)> {
    MODEL
        .get("Query")
        .fields
        .iter()
        .filter(|f| f.args.iter().any(|a| a.name == "first") && f.name != "search")
        .filter_map(|f| {
            let conn = MODEL.get(base_name(&f.ty));
            let nodes = conn.fields.iter().find(|n| n.name == "nodes")?;
            Some((f.name.clone(), base_name(&nodes.ty).to_owned()))
        })
        .collect()
}

fn lookups(store: &Arc<Store>) -> Lookups {
    let lists = root_lists();
    let query = lists
        .iter()
        .map(|(list, _)| format!("{list}(first: 1) {{ nodes {{ id slug }} }}"))
        .collect::<Vec<_>>()
        .join(" ");
    let body = reference(store, &format!("{{ {query} }}"), &json!({}))
        .body
        .expect("the root lists answer");
    let data: Value = serde_json::from_str(&body).unwrap();
    let mut first = BTreeMap::new();
    for (list, ty) in &lists {
        if let Some(n) = data["data"][list]["nodes"].get(0) {
            let id = n["id"].as_str().unwrap().to_owned();
            first.insert(ty.clone(), (id, n["slug"].as_str().unwrap().to_owned()));
        }
    }
    let title = store.films().first().map_or("leap", |f| &*f.title);
    let word = title.split_whitespace().next().unwrap_or("leap").to_owned();
    Lookups { first, word }
}

/// The arguments a root field needs to answer: an existing item for a lookup, every kind
/// for `nodes`, a word for `search`.
fn root_args(field: &FieldDef, l: &Lookups) -> String {
    let ty = base_name(&field.ty);
    let quoted = |s: &str| serde_json::to_string(s).unwrap();
    if field.args.iter().any(|a| a.name == "slug") {
        return l.first.get(ty).map_or(String::new(), |(_, slug)| {
            format!("(slug: {})", quoted(slug))
        });
    }
    match field.name.as_str() {
        "node" => l
            .first
            .values()
            .next()
            .map_or(String::new(), |(id, _)| format!("(id: {})", quoted(id))),
        "nodes" => {
            let ids: Vec<String> = l.first.values().map(|(id, _)| quoted(id)).collect();
            format!("(ids: [{}])", ids.join(", "))
        }
        "search" => format!("(query: {}, first: 100)", quoted(&l.word)),
        _ if field.args.iter().any(|a| a.name == "first") => "(first: 100)".to_owned(),
        _ => String::new(),
    }
}

/// How many paths to try for each type, shortest first, and how deep they go.
const PATHS_PER_TYPE: usize = 4;
const MAX_PATH: usize = 5;

/// Paths to positions of each object and interface type: from the root lists and the search
/// down every field, through each object an interface stands for; and for each node type,
/// its root lookup and `node(id:)`.
fn paths(l: &Lookups) -> BTreeMap<String, Vec<Vec<Step>>> {
    let mut found: BTreeMap<String, Vec<Vec<Step>>> = BTreeMap::new();
    found.insert("Query".to_owned(), vec![Vec::new()]);
    let mut queue = std::collections::VecDeque::from([("Query".to_owned(), Vec::<Step>::new())]);
    while let Some((ty, path)) = queue.pop_front() {
        if path.len() >= MAX_PATH {
            continue;
        }
        for f in &MODEL.get(&ty).fields {
            let target = base_name(&f.ty);
            if !MODEL.is_composite(target) {
                continue;
            }
            let args = if ty == "Query" {
                // The lookups are added below, one item each.
                if f.args
                    .iter()
                    .any(|a| a.name == "slug" || a.name == "id" || a.name == "ids")
                {
                    continue;
                }
                root_args(f, l)
            } else if f.args.iter().any(|a| a.name == "first") {
                "(first: 100)".to_owned()
            } else {
                String::new()
            };
            let mut next = path.clone();
            next.push(Step::Field(f.name.clone(), args));
            let mut reached = vec![(target.to_owned(), next.clone())];
            if MODEL.get(target).kind == TypeKind::Interface {
                for o in MODEL.possible(target) {
                    let mut on = next.clone();
                    on.push(Step::On(o.clone()));
                    reached.push((o, on));
                }
            }
            for (t, p) in reached {
                let known = found.entry(t.clone()).or_default();
                if known.len() < PATHS_PER_TYPE {
                    known.push(p.clone());
                    queue.push_back((t, p));
                }
            }
        }
    }
    for (ty, (id, slug)) in &l.first {
        let lookup = MODEL
            .get("Query")
            .fields
            .iter()
            .find(|f| base_name(&f.ty) == ty && f.args.iter().any(|a| a.name == "slug"));
        let paths = found.entry(ty.clone()).or_default();
        if let Some(f) = lookup {
            let args = format!("(slug: {})", serde_json::to_string(slug).unwrap());
            paths.push(vec![Step::Field(f.name.clone(), args)]);
        }
        let args = format!("(id: {})", serde_json::to_string(id).unwrap());
        paths.push(vec![Step::Field("node".into(), args), Step::On(ty.clone())]);
    }
    found
}

/// The selection of `field` on `ty` at the end of a path.
fn select(ty: &str, field: &FieldDef, l: &Lookups) -> String {
    let args = if ty == "Query" {
        root_args(field, l)
    } else {
        String::new()
    };
    if MODEL.is_composite(base_name(&field.ty)) {
        format!("{}{args} {{ __typename }}", field.name)
    } else {
        format!("{}{args}", field.name)
    }
}

/// Runs every field of every type on `store` along every path to the type, and returns the
/// fields that a plan answered, the same as async-graphql, on at least one object.
fn cover(
    store: &Arc<Store>,
    failures: &mut Vec<String>,
    values: &mut BTreeSet<(String, String)>,
) -> BTreeSet<(String, String)> {
    let l = lookups(store);
    let mut covered = BTreeSet::new();
    for (ty, paths) in paths(&l) {
        // A lookup of a kind this catalogue has none of (the bundled seed has no group) has
        // nothing to look up; the other catalogue covers it.
        let fields: Vec<&FieldDef> = MODEL
            .get(&ty)
            .fields
            .iter()
            .filter(|f| {
                ty != "Query"
                    || !f.args.iter().any(|a| a.name == "slug")
                    || l.first.contains_key(base_name(&f.ty))
            })
            .filter(|f| !of_reviews(&ty, &f.name))
            .collect();
        let marker = format!("\"{MARK}\":");
        for path in &paths {
            let all: Vec<String> = fields.iter().map(|f| select(&ty, f, &l)).collect();
            let query = along(path, &format!("{MARK}: __typename {}", all.join(" ")));
            // A path through a review (a search hit's `... on Review`) is async-graphql's.
            if REVIEW_TYPES
                .iter()
                .any(|t| query.contains(&format!("on {t} {{")))
            {
                continue;
            }
            let run = |query: &str| {
                std::panic::catch_unwind(|| check_answered(store, query, json!({})))
                    .map_err(|_| format!("the plan disagrees on {query}"))
            };
            if let Ok((Verdict::Same, Some(body))) = run(&query) {
                if body.contains(&marker) {
                    covered.extend(fields.iter().map(|f| (ty.clone(), f.name.clone())));
                    valued(&serde_json::from_str(&body).unwrap(), &ty, values);
                }
                continue;
            }
            // Something failed: one field at a time, to say which.
            for f in &fields {
                let query = along(path, &format!("{MARK}: __typename {}", select(&ty, f, &l)));
                match run(&query) {
                    Ok((Verdict::Same, Some(body))) => {
                        if body.contains(&marker) {
                            covered.insert((ty.clone(), f.name.clone()));
                            valued(&serde_json::from_str(&body).unwrap(), &ty, values);
                        }
                    }
                    Ok((verdict, _)) => {
                        failures.push(format!("{ty}.{}: {verdict:?} on {query}", f.name))
                    }
                    Err(e) => failures.push(e),
                }
            }
        }
    }
    covered
}

/// Records the fields of the objects of type `ty` marked in `answer` that have a value: not
/// null, not an empty list.
fn valued(answer: &Value, ty: &str, values: &mut BTreeSet<(String, String)>) {
    match answer {
        Value::Array(items) => items.iter().for_each(|v| valued(v, ty, values)),
        Value::Object(map) => {
            let of_type = map.get(MARK).and_then(Value::as_str);
            if of_type.is_some_and(|t| MODEL.possible(ty).iter().any(|p| p == t)) {
                for (k, v) in map {
                    let empty = v.is_null() || v.as_array().is_some_and(|a| a.is_empty());
                    if k != MARK && !empty {
                        values.insert((ty.to_owned(), k.clone()));
                    }
                }
            }
            map.values().for_each(|v| valued(v, ty, values));
        }
        _ => {}
    }
}

/// The reviews are not the catalogue: they change with every write, so plans never answer
/// them, and a document that selects them runs on async-graphql (`tests/reviews.rs` covers
/// them). These types and fields are left out of the plan coverage below.
const REVIEW_TYPES: &[&str] = &[
    "Mutation",
    "Subscription",
    "Review",
    "ReviewConnection",
    "ReviewEdge",
    "ReviewSummary",
    "RatingCount",
    "UserError",
    "AddReviewPayload",
    "EditReviewPayload",
    "DeleteReviewPayload",
    "HideReviewPayload",
];
const REVIEW_FIELDS: &[&str] = &["reviews", "reviewSummary"];

fn of_reviews(ty: &str, field: &str) -> bool {
    REVIEW_TYPES.contains(&ty) || REVIEW_FIELDS.contains(&field)
}

/// Fields that every object reaching them answers with null or an empty list, in the
/// bundled seed and the synthetic catalogue alike, so that their plans are compared on null
/// only. Every other field has a value somewhere; and every field is reached.
const NULL_EVERYWHERE: &[(&str, &str)] = &[
    // No award of the seed names a category, and the synthetic catalogue has no awards.
    ("Award", "category"),
    // `Credit` objects are only crew and album credits (`Film.crew`, `Album.credits`); a
    // cast member's character is `CastEdge.character`, which has values.
    ("Credit", "character"),
    // No synopsis or note of either catalogue is editorial.
    ("Statement", "editorialNote"),
];

/// Every field of every object type (and of every interface, selected through it) is
/// answered by a plan, the same as async-graphql answers it, on an object of the bundled
/// seed or the synthetic catalogue. A field added to the schema that plans do not answer
/// fails here, since a field that bails is not covered.
#[test]
fn every_field_of_every_type_agrees() {
    let compiler: BTreeSet<(String, String)> = leap_graphql::exec::object_fields()
        .into_iter()
        .flat_map(|(t, fields)| fields.into_iter().map(move |f| (t.clone(), f)))
        .collect();
    let objects: BTreeSet<(String, String)> = MODEL
        .composites()
        .filter(|(_, t)| t.kind == TypeKind::Object)
        .flat_map(|(n, t)| t.fields.iter().map(move |f| (n.to_owned(), f.name.clone())))
        .collect();
    assert_eq!(
        compiler, objects,
        "the plan compiler reads the schema the tests read"
    );
    let every: BTreeSet<(String, String)> = MODEL
        .composites()
        .flat_map(|(n, t)| t.fields.iter().map(move |f| (n.to_owned(), f.name.clone())))
        .filter(|(t, f)| !of_reviews(t, f))
        .collect();
    let mut failures = Vec::new();
    let mut values = BTreeSet::new();
    let bundled = cover(&BUNDLED, &mut failures, &mut values);
    let synthetic = cover(&SYNTHETIC, &mut failures, &mut values);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    let unreached: Vec<&(String, String)> = every
        .iter()
        .filter(|k| !bundled.contains(*k) && !synthetic.contains(*k))
        .collect();
    assert!(
        unreached.is_empty(),
        "fields no object reaches: {unreached:?}"
    );
    let null: Vec<(&str, &str)> = every
        .difference(&values)
        .map(|(t, f)| (t.as_str(), f.as_str()))
        .collect();
    assert_eq!(
        null, NULL_EVERYWHERE,
        "fields answered with null everywhere"
    );
    eprintln!(
        "{} fields of {} types: {} answered on the bundled seed, {} on the synthetic catalogue",
        every.len(),
        MODEL.composites().count(),
        bundled.len(),
        synthetic.len()
    );
}

/// async-graphql resolves each field of a response key on its own and folds the answers
/// into the first one's, those of each selection among themselves first. A field that
/// selects nothing answers null, and a null swallows whatever is folded into it, though the
/// errors of what it swallows still count. The plan merged every selection as if the folds
/// were one: it wrote the `note` the second `a` below never adds (its own first `facts`
/// selects nothing), and answered the last query, whose swallowed `credits(first: 101)` is
/// an error.
#[test]
fn fields_selecting_nothing_before_others_have_no_plan() {
    for query in [
        r#"{ a: film(slug: "leap") { facts { editorial } } a: film(slug: "leap") { facts { field @skip(if: true) } facts { note } } }"#,
        r#"{ film(slug: "leap") { cast { totalCount } } film(slug: "leap") { cast { edges @skip(if: true) { cursor } } cast { edges { cursor } } } }"#,
        r#"{ a: film(slug: "leap") { ... on Film @skip(if: true) { title } } a: film(slug: "leap") { id } }"#,
        r#"{ search(query: "leap") { nodes { ... on Person { name } } nodes { __typename } } }"#,
        r#"{ film(slug: "leap") { cast { totalCount @skip(if: true) } cast { edges { node { ... on Person { credits(first: 101) { totalCount } } } } } } }"#,
    ] {
        assert_eq!(
            check(&BUNDLED, query, json!({})),
            Verdict::NoPlan,
            "{query}"
        );
    }
    // After the others, a field selecting nothing swallows nothing.
    let query = r#"{ film(slug: "leap") { facts { editorial } facts { note @skip(if: true) } } }"#;
    assert_eq!(check(&BUNDLED, query, json!({})), Verdict::Same, "{query}");
}

/// async-graphql checks every variable given against every argument it is used in, even one
/// that is never resolved (skipped here), and its `ID` is a string or an `i64`. The plan took
/// a `u64` beyond `i64` for an `ID`, and answered.
#[test]
fn an_id_beyond_i64_makes_the_plan_bail() {
    let query = "query($id: ID!) { film(id: $id) @skip(if: true) { title } __typename }";
    for id in [json!(u64::MAX), json!(9_223_372_036_854_775_808u64)] {
        let v = json!({ "id": id });
        assert_eq!(
            check(&BUNDLED, query, v.clone()),
            Verdict::BothRefused,
            "{v}"
        );
    }
    let v = json!({"id": 5});
    assert_eq!(check(&BUNDLED, query, v), Verdict::Same);
}

/// async-graphql lets a nullable variable stand where a non-null value goes (and a `[ID]`
/// where a `[ID!]` goes), and checks the value given against each place the variable is
/// used in, resolved or not; the plan checked it against the variable's own type. So a null
/// given for these variables was answered by the plan where async-graphql refuses it.
#[test]
fn variables_that_do_not_fit_where_they_are_used_have_no_plan() {
    let cases: &[(&str, Value)] = &[
        (
            r#"query($q: String = "leap") { search(query: $q) @skip(if: true) { totalCount } __typename }"#,
            json!({"q": null}),
        ),
        (
            "query($q: String) { search(query: $q) @skip(if: true) { totalCount } __typename }",
            json!({"q": null}),
        ),
        (
            "query($q: [ID] = []) { nodes(ids: $q) @skip(if: true) { id } __typename }",
            json!({"q": [null]}),
        ),
        (
            "query($q: [ID!]) { nodes(ids: $q) @skip(if: true) { id } __typename }",
            json!({"q": null}),
        ),
        (
            "query($a: ID) { nodes(ids: [$a]) @skip(if: true) { id } __typename }",
            json!({"a": null}),
        ),
        (
            "query($f: FilmOrderField = YEAR) { films(orderBy: {field: $f}) @skip(if: true) { totalCount } __typename }",
            json!({"f": null}),
        ),
    ];
    for (query, vars) in cases {
        assert_eq!(
            check(&BUNDLED, query, vars.clone()),
            Verdict::NoPlan,
            "{query}"
        );
    }
    // Variables that fit, stricter or not, still have plans.
    let cases: &[(&str, Value)] = &[
        (
            "query($a: ID!) { nodes(ids: [$a]) { id } }",
            json!({"a": "RmlsbTpsZWFw"}),
        ),
        (
            "query($n: Int!) { films(first: $n) { totalCount } }",
            json!({"n": 1}),
        ),
        (
            "query($f: FilmOrderField!) { films(orderBy: {field: $f}) { totalCount } }",
            json!({"f": "YEAR"}),
        ),
        (
            "query($t: [NodeType!]!) { search(query: \"leap\", types: $t) { totalCount } }",
            json!({"t": "FILM"}),
        ),
    ];
    for (query, vars) in cases {
        assert_eq!(
            check(&BUNDLED, query, vars.clone()),
            Verdict::Same,
            "{query}"
        );
    }
}

/// The variables' coercion (`exec::coerce`, run by the engine before either executor) agrees
/// with async-graphql's own checks: what it accepts, async-graphql runs without an error, and
/// what it refuses, async-graphql refuses too (as a field error, a validation error or a
/// missing variable), so moving the refusal before execution changes no request's fate.
#[test]
fn variables_coerce_as_async_graphql_checks_them() {
    let cases: &[(&str, Value)] = &[
        (
            "query Q($n: Int) { films(first: $n) { totalCount } }",
            json!({"n": 2}),
        ),
        (
            "query Q($n: Int) { films(first: $n) { totalCount } }",
            json!({"n": null}),
        ),
        (
            "query Q($n: Int) { films(first: $n) { totalCount } }",
            json!({}),
        ),
        (
            "query Q($n: Int) { films(first: $n) { totalCount } }",
            json!({"n": "ten"}),
        ),
        (
            "query Q($n: Int) { films(first: $n) { totalCount } }",
            json!({"n": 1.5}),
        ),
        (
            "query Q($n: Int) { films(first: $n) { totalCount } }",
            json!({"n": 3_000_000_000u64}),
        ),
        (
            "query Q($n: Int) { films(first: $n) { totalCount } }",
            json!({"n": [2]}),
        ),
        (
            "query Q($t: String!) { search(query: $t) { totalCount } }",
            json!({"t": "leap"}),
        ),
        (
            "query Q($t: String!) { search(query: $t) { totalCount } }",
            json!({"t": 5}),
        ),
        (
            "query Q($t: String!) { search(query: $t) { totalCount } }",
            json!({"t": null}),
        ),
        (
            "query Q($t: String!) { search(query: $t) { totalCount } }",
            json!({}),
        ),
        (
            "query Q($t: String! = \"leap\") { search(query: $t) { totalCount } }",
            json!({}),
        ),
        (
            "query Q($f: FilmFilter) { films(filter: $f) { totalCount } }",
            json!({"f": {"year": 2020}}),
        ),
        (
            "query Q($f: FilmFilter) { films(filter: $f) { totalCount } }",
            json!({"f": {"yaer": 2020}}),
        ),
        (
            "query Q($f: FilmFilter) { films(filter: $f) { totalCount } }",
            json!({"f": {"year": "2020"}}),
        ),
        (
            "query Q($f: FilmFilter) { films(filter: $f) { totalCount } }",
            json!({"f": 2020}),
        ),
        (
            "query Q($o: FilmOrder) { films(orderBy: $o) { totalCount } }",
            json!({"o": {"field": "YEAR"}}),
        ),
        (
            "query Q($o: FilmOrder) { films(orderBy: $o) { totalCount } }",
            json!({"o": {"field": "TITEL"}}),
        ),
        (
            "query Q($o: FilmOrder) { films(orderBy: $o) { totalCount } }",
            json!({"o": {"field": null}}),
        ),
        (
            "query Q($ids: [ID!]!) { nodes(ids: $ids) { id } }",
            json!({"ids": ["RmlsbTpsZWFw"]}),
        ),
        (
            "query Q($ids: [ID!]!) { nodes(ids: $ids) { id } }",
            json!({"ids": "RmlsbTpsZWFw"}),
        ),
        (
            "query Q($ids: [ID!]!) { nodes(ids: $ids) { id } }",
            json!({"ids": ["RmlsbTpsZWFw", null]}),
        ),
        (
            "query Q($ids: [ID!]!) { nodes(ids: $ids) { id } }",
            json!({"ids": [true]}),
        ),
        (
            "query Q($ids: [ID!]!) { nodes(ids: $ids) { id } }",
            json!({"ids": null}),
        ),
        (
            "query Q($b: Boolean!) { films @include(if: $b) { totalCount } }",
            json!({"b": true}),
        ),
        (
            "query Q($b: Boolean!) { films @include(if: $b) { totalCount } }",
            json!({"b": "yes"}),
        ),
    ];
    for (query, variables) in cases {
        let doc = async_graphql::parser::parse_query(query).unwrap();
        let (_, op) = doc.operations.iter().next().expect("one operation");
        let definitions =
            op.node
                .variable_definitions
                .iter()
                .map(|d| leap_graphql::exec::coerce::Definition {
                    name: d.node.name.node.as_str(),
                    ty: &d.node.var_type.node,
                    default: d.node.default_value.as_ref().map(|v| &v.node),
                });
        let given = variables.as_object().cloned().unwrap_or_default();
        let ours = leap_graphql::exec::coerce::variables(
            &leap_graphql::exec::CATALOG,
            definitions,
            &given,
            true,
        );
        let theirs = reference(&BUNDLED, query, variables);
        assert_eq!(
            ours.is_ok(),
            theirs.errors.is_empty(),
            "{query} {variables}: ours {ours:?}, async-graphql's {:?}",
            theirs.errors
        );
    }
}
