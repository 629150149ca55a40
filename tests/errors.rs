//! The errors a developer meets while writing a frontend, table-driven: each broken request
//! with its status under both media types, its code and the words its message must hold;
//! then the same requests through the CLI's `query` and through the plan executor, which must
//! answer each with the very same errors. The messages themselves are snapshotted
//! (`tests/snapshots/errors__messages.snap`): review a change there as you would code.

mod common;

use std::process::Command;

use serde_json::{Value, json};

const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";
const JSON: &str = "application/json";

/// One broken request.
struct Case {
    name: &'static str,
    query: &'static str,
    variables: Value,
    operation_name: Option<&'static str>,
    /// The code on every error.
    code: &'static str,
    /// Words one error's message must contain, all of them.
    words: &'static [&'static str],
    /// Variables that make the same document run cleanly, for the plan executor's turn.
    good: Option<Value>,
}

const VARIABLE: &str = "VARIABLE_COERCION_FAILED";
const INVALID: &str = "GRAPHQL_VALIDATION_FAILED";
const PARSE: &str = "GRAPHQL_PARSE_FAILED";

const SEARCH: &str = "query Q($t: String!) { search(query: $t) { totalCount } }";
const FIRST: &str = "query Q($n: Int) { films(first: $n) { totalCount } }";
const FILTER: &str = "query Q($f: FilmFilter) { films(filter: $f) { totalCount } }";
const ORDER: &str = "query Q($o: FilmOrder) { films(orderBy: $o) { totalCount } }";
const IDS: &str = "query Q($ids: [ID!]!) { nodes(ids: $ids) { id } }";

fn case(name: &'static str, query: &'static str, code: &'static str) -> Case {
    Case {
        name,
        query,
        variables: json!({}),
        operation_name: None,
        code,
        words: &[],
        good: None,
    }
}

impl Case {
    fn vars(mut self, variables: Value) -> Case {
        self.variables = variables;
        self
    }
    fn words(mut self, words: &'static [&'static str]) -> Case {
        self.words = words;
        self
    }
    fn good(mut self, good: Value) -> Case {
        self.good = Some(good);
        self
    }
    fn operation(mut self, name: &'static str) -> Case {
        self.operation_name = Some(name);
        self
    }
    fn body(&self) -> Value {
        json!({
            "query": self.query,
            "variables": self.variables,
            "operationName": self.operation_name,
        })
    }
}

fn cases() -> Vec<Case> {
    let long = "x".repeat(300);
    let long: &'static str = Box::leak(long.into_boxed_str());
    vec![
        // Variables of every kind.
        case("variable missing", SEARCH, VARIABLE)
            .words(&[r#"Variable "$t" of required type "String!" was not provided"#])
            .good(json!({"t": "leap"})),
        case("variable null for non-null", SEARCH, VARIABLE)
            .vars(json!({"t": null}))
            .words(&[r#""$t""#, r#""String!""#, "must not be null"])
            .good(json!({"t": "leap"})),
        case("variable String given a number", SEARCH, VARIABLE)
            .vars(json!({"t": 5}))
            .words(&[r#""$t""#, r#""String!""#, "invalid value 5", "String"])
            .good(json!({"t": "leap"})),
        case("variable Int given a word", FIRST, VARIABLE)
            .vars(json!({"n": "ten"}))
            .words(&[r#""$n""#, r#""Int""#, r#""ten""#, "non-integer"])
            .good(json!({"n": 2})),
        case("variable Int beyond 32 bits", FIRST, VARIABLE)
            .vars(json!({"n": 3_000_000_000u64}))
            .words(&[r#""$n""#, "3000000000", "32-bit"])
            .good(json!({"n": 2})),
        case("variable Int given a fraction", FIRST, VARIABLE)
            .vars(json!({"n": 1.5}))
            .words(&[r#""$n""#, "1.5", "non-integer"])
            .good(json!({"n": 2})),
        case("variable long value is cut", FIRST, VARIABLE)
            .vars(json!({"n": long}))
            .words(&[r#""$n""#, "xxxxxxxx…"])
            .good(json!({"n": 2})),
        case(
            "variable Boolean given a word",
            "query Q($b: Boolean!) { films @include(if: $b) { totalCount } }",
            VARIABLE,
        )
        .vars(json!({"b": "yes"}))
        .words(&[r#""$b""#, r#""Boolean!""#, r#""yes""#]),
        case(
            "variable ID given a boolean",
            "query Q($id: ID!) { node(id: $id) { id } }",
            VARIABLE,
        )
        .vars(json!({"id": true}))
        .words(&[r#""$id""#, r#""ID!""#, "true"])
        .good(json!({"id": "RmlsbTpsZWFw"})),
        case("variable list with a null item", IDS, VARIABLE)
            .vars(json!({"ids": ["RmlsbTpsZWFw", null]}))
            .words(&[r#""$ids""#, r#""[ID!]!""#, r#"at "ids[1]""#, r#""ID!""#])
            .good(json!({"ids": ["RmlsbTpsZWFw"]})),
        case("variable list of the wrong items", IDS, VARIABLE)
            .vars(json!({"ids": [true]}))
            .words(&[r#""$ids""#, r#"at "ids[0]""#])
            .good(json!({"ids": ["RmlsbTpsZWFw"]})),
        case("variable input object misspelt field", FILTER, VARIABLE)
            .vars(json!({"f": {"yaer": 2020}}))
            .words(&[
                r#""$f""#,
                r#""FilmFilter""#,
                r#""yaer""#,
                r#"Did you mean "year"?"#,
            ])
            .good(json!({"f": {"year": 2020}})),
        case("variable input object wrong field type", FILTER, VARIABLE)
            .vars(json!({"f": {"year": "2020"}}))
            .words(&[r#"at "f.year""#, "Int", r#""2020""#])
            .good(json!({"f": {"year": 2020}})),
        case("variable input object not an object", FILTER, VARIABLE)
            .vars(json!({"f": 2020}))
            .words(&[r#""$f""#, "expected an object", "FilmFilter"])
            .good(json!({"f": {"year": 2020}})),
        case("variable enum misspelt inside an input", ORDER, VARIABLE)
            .vars(json!({"o": {"field": "TITEL"}}))
            .words(&[
                r#"at "o.field""#,
                r#""TITEL""#,
                r#"Did you mean "TITLE"?"#,
            ])
            .good(json!({"o": {"field": "TITLE"}})),
        case(
            "variable enum misspelt",
            "query Q($d: OrderDirection!) { films(orderBy: {direction: $d}) { totalCount } }",
            VARIABLE,
        )
        .vars(json!({"d": "DSC"}))
        .words(&[r#""$d""#, r#""DSC""#, r#"Did you mean "ASC" or "DESC"?"#])
        .good(json!({"d": "DESC"})),
        case(
            "two variables wrong at once",
            "query Q($n: Int, $t: String!) { films(first: $n) { totalCount } search(query: $t) { totalCount } }",
            VARIABLE,
        )
        .vars(json!({"n": "two"}))
        .words(&[r#""$n""#])
        .good(json!({"n": 2, "t": "leap"})),
        // Unknown and misspelt names of every kind.
        case(
            "misspelt field",
            r#"{ film(slug: "leap") { titel } }"#,
            INVALID,
        )
        .words(&[
            r#"Cannot query field "titel" on type "Film"."#,
            r#"Did you mean "title"?"#,
        ]),
        // A variable where its type may not go (async-graphql never checks it; the engine
        // does), refused whether or not a value is given.
        case(
            "nullable variable in a non-null place",
            "query Q($t: String) { search(query: $t) { totalCount } }",
            INVALID,
        )
        .vars(json!({"t": "leap"}))
        .words(&[r#"Variable "$t" of type "String" is used in a position expecting type "String!"."#]),
        case(
            "variable of another type, with another error",
            "query Q($n: String) { films(first: $n) { totalCount titel } }",
            INVALID,
        )
        .vars(json!({"n": "2"}))
        .words(&[r#"Variable "$n" of type "String" is used in a position expecting type "Int"."#]),
        case("misspelt root field", "{ flims { totalCount } }", INVALID)
            .words(&[r#""flims""#, r#""Query""#, r#"Did you mean "films" or "film"?"#]),
        case(
            "misspelt argument",
            "{ films(frist: 2) { totalCount } }",
            INVALID,
        )
        .words(&[
            r#"Unknown argument "frist" on field "Query.films"."#,
            r#"Did you mean "first"?"#,
        ]),
        case(
            "misspelt type in a fragment",
            r#"{ node(id: "RmlsbTpsZWFw") { ... on Flim { title } } }"#,
            INVALID,
        )
        .words(&[r#"Unknown type "Flim"."#, r#"Did you mean "Film"?"#]),
        case(
            "misspelt variable type",
            "query Q($t: Strin!) { search(query: $t) { totalCount } }",
            INVALID,
        )
        .vars(json!({"t": "leap"}))
        .words(&[r#"Unknown type "Strin"."#, r#"Did you mean "String"?"#]),
        case(
            "misspelt enum value literal",
            "{ films(orderBy: {field: TITEL}) { totalCount } }",
            INVALID,
        )
        .words(&[
            r#"Argument "orderBy""#,
            r#""Query.films""#,
            r#""TITEL""#,
            r#"Did you mean "TITLE"?"#,
        ]),
        case(
            "misspelt input field literal",
            "{ films(filter: {yaer: 2020}) { totalCount } }",
            INVALID,
        )
        .words(&[r#""yaer""#, r#""FilmFilter""#, r#"Did you mean "year"?"#]),
        case(
            "literal of the wrong type",
            r#"{ films(first: "ten") { totalCount } }"#,
            INVALID,
        )
        .words(&[r#"Argument "first" of type "Int""#, r#""ten""#]),
        case(
            "null literal for a non-null argument",
            "{ search(query: null) { totalCount } }",
            INVALID,
        )
        .words(&[r#"Argument "query" of type "String!""#, "null"]),
        case(
            "misspelt directive",
            "{ films @skp(if: true) { totalCount } }",
            INVALID,
        )
        .words(&[r#"Unknown directive "@skp"."#, r#"Did you mean "@skip"?"#]),
        case(
            "unknown operation name",
            "query Films { films { totalCount } }",
            INVALID,
        )
        .operation("Flims")
        .words(&[r#"Unknown operation named "Flims"."#, r#"Did you mean "Films"?"#]),
        case(
            "several operations and no name",
            "query A { films { totalCount } } query B { people { totalCount } }",
            INVALID,
        )
        .words(&["operationName", r#""A""#, r#""B""#]),
        // Missing arguments, unused and undefined variables.
        case(
            "missing required argument",
            "{ search { totalCount } }",
            INVALID,
        )
        .words(&[r#"argument "query" of type "String!" is required"#]),
        case(
            "unused variable",
            "query Q($n: Int) { films { totalCount } }",
            INVALID,
        )
        .words(&[r#"Variable "$n" is never used in operation "Q""#]),
        case(
            "undefined variable",
            "query Q { films(first: $n) { totalCount } }",
            INVALID,
        )
        .words(&[r#"Variable "$n" is not defined by operation "Q""#, "query Name($n"]),
        case(
            "misspelt variable",
            "query Q($first: Int) { films(first: $frist) { totalCount } }",
            INVALID,
        )
        .words(&[r#""$frist""#, r#"Did you mean "$first"?"#]),
        // Fragments and selections on the wrong types.
        case(
            "inline fragment on a wrong type",
            r#"{ film(slug: "leap") { ... on Person { name } } }"#,
            INVALID,
        )
        .words(&[r#""Film""#, r#""Person""#, "can never be"]),
        case(
            "named fragment on a wrong type",
            r#"fragment P on Person { name } { film(slug: "leap") { ...P } }"#,
            INVALID,
        )
        .words(&[r#"Fragment "P""#, "can never be"]),
        case(
            "unknown fragment",
            r#"fragment Names on Film { title } { film(slug: "leap") { ...Name } }"#,
            INVALID,
        )
        .words(&[r#"Unknown fragment "Name"."#, r#"Did you mean "Names"?"#]),
        case(
            "selection on a leaf",
            r#"{ film(slug: "leap") { title { text } } }"#,
            INVALID,
        )
        .words(&[r#""title""#, "must not have a selection"]),
        case(
            "no selection on an object",
            r#"{ film(slug: "leap") }"#,
            INVALID,
        )
        .words(&[r#""film""#, "must have a selection"]),
        case(
            "misspelt mutation",
            "mutation { addReveiw(input: {subject: \"RmlsbTpsZWFw\", rating: 5, author: \"A\", body: \"B\"}) { editToken } }",
            INVALID,
        )
        .words(&[r#"Cannot query field "addReveiw" on type "Mutation""#, r#"Did you mean "addReview"?"#]),
        // Every class of parse failure.
        case(
            "parse: a brace too many",
            "{ films { totalCount } } }",
            PARSE,
        )
        .words(&["Syntax Error: Expected", r#"found "}"."#]),
        case("parse: a brace too few", "{ films { totalCount }", PARSE)
            .words(&["Syntax Error: Expected", "found the end of the document"]),
        case(
            "parse: unterminated string",
            r#"{ search(query: "leap) { totalCount } }"#,
            PARSE,
        )
        .words(&["Syntax Error: Unterminated string."]),
        case("parse: missing value", "{ films(first: ) { totalCount } }", PARSE)
            .words(&["Expected a value", r#"found ")""#]),
        case("parse: stray character", "{ films % }", PARSE)
            .words(&[r#"Unexpected character "%""#]),
        case(
            "parse: variable without a type",
            "query Q($n) { films { totalCount } }",
            PARSE,
        )
        .words(&["Syntax Error: Expected a variable"]),
        case("parse: empty selection", "{ }", PARSE)
            .words(&["Syntax Error: Expected a field", r#"found "}""#]),
        case(
            "parse: operation named twice",
            "query A { films { totalCount } } query A { people { totalCount } }",
            PARSE,
        )
        .words(&[r#"only one operation named "A""#]),
        case(
            "parse: anonymous operation among others",
            "{ films { totalCount } } query A { people { totalCount } }",
            PARSE,
        )
        .words(&["anonymous operation must be the only"]),
        case(
            "parse: fragments only",
            "fragment F on Film { title }",
            PARSE,
        )
        .words(&["no operation"]),
    ]
}

/// The status and body of `body` POSTed with `accept`.
async fn post(server: &common::TestServer, body: &Value, accept: &str) -> (u16, Value) {
    let response = server
        .client
        .post(server.url("/graphql"))
        .header("accept", accept)
        .json(body)
        .send()
        .await
        .expect("the server answers");
    let status = response.status().as_u16();
    (status, response.json().await.expect("a JSON body"))
}

/// Checks one answer against its case and returns its messages.
fn check(case: &Case, status: u16, expected_status: u16, body: &Value) -> Vec<String> {
    let name = case.name;
    assert_eq!(status, expected_status, "{name}: {body}");
    assert!(
        body.get("data").is_none(),
        "{name}: a request error has no data: {body}"
    );
    let errors = body["errors"].as_array().expect("errors");
    assert!(!errors.is_empty(), "{name}: {body}");
    let mut messages = Vec::new();
    for e in errors {
        let message = e["message"].as_str().expect("a message");
        assert_eq!(e["extensions"]["code"], case.code, "{name}: {body}");
        assert!(!message.contains('\n'), "{name}: one line: {message}");
        assert!(
            !message.contains("-->"),
            "{name}: no pest report: {message}"
        );
        assert!(
            e.get("locations").is_some()
                || case.operation_name.is_some()
                || name.contains("no name")
                || name.contains("fragments only"),
            "{name}: no locations: {body}"
        );
        messages.push(message.to_owned());
    }
    // One of the errors says it all.
    assert!(
        messages
            .iter()
            .any(|m| case.words.iter().all(|w| m.contains(w))),
        "{name}: {:?} not all in one of {messages:?}",
        case.words
    );
    // Each error once.
    let mut unique = errors.clone();
    unique.dedup();
    assert_eq!(&unique, errors, "{name}: an error repeated: {body}");
    messages
}

#[tokio::test]
async fn broken_requests_get_errors_a_developer_can_act_on() {
    let server = common::spawn().await;
    let cases = cases();
    assert!(cases.len() >= 30);
    let mut snapshot = String::new();
    for case in &cases {
        let body = case.body();
        let (status, graphql) = post(&server, &body, GRAPHQL_RESPONSE).await;
        let messages = check(case, status, 400, &graphql);
        let (status, json) = post(&server, &body, JSON).await;
        check(case, status, 200, &json);
        assert_eq!(
            graphql, json,
            "{}: the same errors under both media types",
            case.name
        );
        snapshot.push_str(&format!("{}:\n", case.name));
        for m in messages {
            snapshot.push_str(&format!("  {m}\n"));
        }
    }
    insta::assert_snapshot!("messages", snapshot);
}

#[tokio::test]
async fn the_mutation_error_comes_once() {
    let server = common::spawn().await;
    let body = json!({"query": "mutation { addFilm }"});
    let (_, answer) = post(&server, &body, JSON).await;
    assert_eq!(
        answer["errors"].as_array().map(Vec::len),
        Some(1),
        "{answer}"
    );
}

/// With `suggestions` off (as where the schema is not public), no message names a schema
/// name the request did not.
#[tokio::test]
async fn suggestions_can_be_turned_off() {
    let mut config = common::config();
    config.errors.suggestions = false;
    let quiet = common::spawn_with(config).await;
    for case in cases() {
        let (_, answer) = post(&quiet, &case.body(), JSON).await;
        let text = answer.to_string();
        // The document's own names (its operations, fragments and variables) and the spec's
        // two directives are still suggested: they tell nothing of the schema.
        let own_names = [
            "unknown operation name",
            "unknown fragment",
            "misspelt variable",
            "misspelt directive",
        ];
        if !own_names.contains(&case.name) {
            assert!(!text.contains("Did you mean"), "{}: {text}", case.name);
            assert!(!text.contains("Its arguments are"), "{}: {text}", case.name);
        }
    }
}

/// The CLI's `query` answers each broken request with the very errors the server sends.
#[tokio::test]
async fn the_cli_gives_the_same_errors() {
    let server = common::spawn().await;
    for case in cases() {
        let (_, http) = post(&server, &case.body(), JSON).await;
        let mut command = Command::new(env!("CARGO_BIN_EXE_leap-graphql"));
        command
            .arg("query")
            .arg(case.query)
            .arg("--variables")
            .arg(case.variables.to_string());
        if let Some(name) = case.operation_name {
            command.arg("--operation-name").arg(name);
        }
        let out = command.output().expect("the binary runs");
        assert!(
            !out.status.success(),
            "{}: the CLI fails on an error",
            case.name
        );
        let cli: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "{}: {e}: {}",
                case.name,
                String::from_utf8_lossy(&out.stdout)
            )
        });
        assert_eq!(cli, http, "{}", case.name);
    }
}

/// A document with a plan (the plan executor answers it once it has run cleanly) gets the
/// same errors for bad variables as one async-graphql would run: the plan bails, and the
/// engine refuses the variables exactly as it did before the plan existed.
#[tokio::test]
async fn both_executors_give_the_same_errors() {
    let server = common::spawn().await;
    let mut planned = 0;
    for case in cases() {
        let Some(good) = &case.good else { continue };
        let body = case.body();
        let (_, cold) = post(&server, &body, JSON).await;
        let mut clean = body.clone();
        clean["variables"] = good.clone();
        let (status, ok) = post(&server, &clean, JSON).await;
        assert_eq!(status, 200, "{}: {ok}", case.name);
        assert!(ok.get("errors").is_none(), "{}: {ok}", case.name);
        let (_, warm) = post(&server, &body, JSON).await;
        assert_eq!(cold, warm, "{}", case.name);
        planned += 1;
    }
    assert!(planned >= 10);
    // The documents did get plans: the plan executor answered their clean requests.
    let plans = server
        .metric(
            "leap_graphql_cache_lookups_total",
            &[("cache", "plan"), ("result", "hit")],
        )
        .await;
    assert!(plans.is_some_and(|n| n >= 1.0), "{plans:?}");
}

/// A field error raised on a field selected on an interface (`Work.reviews` here, not in a
/// fragment on `Film`) is a field error like any other: with its path and `data` kept (the
/// first failing item of a list of non-null items ends it, as in graphql-js, so one error
/// here). async-graphql's interface resolvers leave the path out,
/// which the engine would read as a request error (a random document found it).
#[tokio::test]
async fn a_field_error_on_an_interface_field_has_its_path() {
    let server = common::spawn().await;
    let query = "{ people(first: 1) { nodes { credits(first: 2) { nodes { reviews(last: 101) { totalCount } } } } } }";
    let body = json!({ "query": query });
    for accept in [GRAPHQL_RESPONSE, JSON] {
        let (status, answer) = post(&server, &body, accept).await;
        assert_eq!(status, 200, "{answer}");
        assert!(
            answer.get("data").is_some(),
            "a field error keeps data: {answer}"
        );
        let errors = answer["errors"].as_array().expect("errors");
        assert_eq!(errors.len(), 1, "{answer}");
        assert_eq!(
            errors[0]["extensions"]["code"], "BAD_USER_INPUT",
            "{answer}"
        );
        assert_eq!(
            errors[0]["path"],
            json!(["people", "nodes", 0, "credits", "nodes", 0, "reviews"]),
            "{answer}"
        );
    }
}
