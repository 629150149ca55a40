//! The plan executor against async-graphql, side by side: for every request, either both
//! succeed with the very same bytes, or async-graphql answers with errors and the plan
//! bails. A plan that succeeds where async-graphql fails would be a wrong answer; one that
//! bails where async-graphql succeeds would only be slow, and is counted so that the suites
//! also show the plan executor covers what it claims to.

use std::sync::{Arc, LazyLock};

use leap_graphql::exec::Plan;
use leap_graphql::schema::{self, LeapSchema};
use leap_graphql::store::Store;
use serde_json::Value;

pub static SCHEMA: LazyLock<LeapSchema> = LazyLock::new(schema::build);
pub static BUNDLED: LazyLock<Arc<Store>> =
    LazyLock::new(|| Arc::new(leap_graphql::seed::load_bundled().expect("the bundled seed loads")));
pub static SYNTHETIC: LazyLock<Arc<Store>> = LazyLock::new(|| {
    let dir = tempfile::tempdir().unwrap();
    leap_graphql::synth::generate(dir.path(), 120, 5).unwrap();
    Arc::new(leap_graphql::seed::load_dir(dir.path()).expect("the synthetic seed loads"))
});

/// What async-graphql answers to one request.
pub struct Answer {
    /// The body of a clean answer, `{"data":…}`, or None when it has errors.
    pub body: Option<String>,
    /// The errors, as JSON, for messages.
    pub errors: Vec<String>,
    /// Whether the request failed as a whole (no data, no error with a path): what tells the
    /// server that async-graphql did not validate the document, so that it gets no plan.
    pub request_error: bool,
}

/// What async-graphql answers.
pub fn reference(store: &Arc<Store>, query: &str, variables: &Value) -> Answer {
    let request = async_graphql::Request::new(query)
        .variables(async_graphql::Variables::from_json(variables.clone()))
        .data(store.clone());
    let response = block_on(SCHEMA.execute(request));
    let errors: Vec<String> = response
        .errors
        .iter()
        .map(|e| serde_json::to_string(e).unwrap())
        .collect();
    Answer {
        body: response.errors.is_empty().then(|| {
            format!(
                "{{\"data\":{}}}",
                serde_json::to_string(&response.data).unwrap()
            )
        }),
        request_error: response.data == async_graphql::Value::Null
            && !response.errors.is_empty()
            && response.errors.iter().all(|e| e.path.is_empty()),
        errors,
    }
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(f)
}

#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub enum Verdict {
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
pub fn check(store: &Arc<Store>, query: &str, variables: Value) -> Verdict {
    check_answered(store, query, variables).0
}

/// [`check`], also returning async-graphql's body when it has one.
pub fn check_answered(
    store: &Arc<Store>,
    query: &str,
    variables: Value,
) -> (Verdict, Option<String>) {
    let expected = reference(store, query, &variables);
    let doc = async_graphql::parser::parse_query(query).expect("the test's query parses");
    let plan = match Plan::compile(&doc, None) {
        Ok(plan) => plan,
        Err(_) => return (Verdict::NoPlan, expected.body),
    };
    let vars = match &variables {
        Value::Object(m) => m.clone(),
        _ => Default::default(),
    };
    let got = plan
        .execute(store, &vars)
        .map(|b| String::from_utf8(b).expect("plans write UTF-8"));
    let verdict = match (&expected.body, got) {
        (Some(e), Ok(g)) => {
            assert_eq!(&g, e, "different answers to {query} with {variables}");
            Verdict::Same
        }
        (None, Err(_)) => Verdict::BothRefused,
        (Some(_), Err(_)) => Verdict::Bailed,
        (None, Ok(g)) => panic!(
            "the plan answered {g} where async-graphql has errors {:?}: {query} {variables}",
            expected.errors
        ),
    };
    (verdict, expected.body)
}
