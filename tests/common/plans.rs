//! The plan executor against async-graphql, side by side: for every request, either both
//! succeed with the very same bytes, or async-graphql answers with errors and the plan
//! bails. A plan that succeeds where async-graphql fails would be a wrong answer; one that
//! bails where async-graphql succeeds would only be slow, and is counted so that the suites
//! also show the plan executor covers what it claims to.

use std::collections::BTreeMap;
use std::sync::{Arc, LazyLock};

use async_graphql::Positioned;
use async_graphql::parser::types::{BaseType, Type};

use leap_graphql::exec::Plan;
use leap_graphql::schema::{self, LeapSchema};
use leap_graphql::store::Store;
use leap_graphql::store::query::Budget;
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
        .data(store.clone())
        .data(leap_graphql::reviews::Reviews::ephemeral());
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
        .execute(store, &vars, Budget::unlimited())
        .map(|b| String::from_utf8(b).expect("plans write UTF-8"));
    let verdict = match (&expected.body, got) {
        (Some(e), Ok(g)) => {
            if &g != e {
                panic!(
                    "different answers to {query} with {variables}:\n{}",
                    difference(&g, e)
                );
            }
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

/// Where two answers part, with some of each around it.
fn difference(plan: &str, reference: &str) -> String {
    let at = plan
        .bytes()
        .zip(reference.bytes())
        .position(|(a, b)| a != b)
        .unwrap_or(plan.len().min(reference.len()));
    let around = |s: &str| {
        let mut start = at.saturating_sub(200).min(s.len());
        while !s.is_char_boundary(start) {
            start -= 1;
        }
        let mut end = (at + 200).min(s.len());
        while !s.is_char_boundary(end) {
            end += 1;
        }
        s[start..end].to_owned()
    };
    format!(
        "at byte {at}\n  plan:         …{}…\n  async-graphql: …{}…",
        around(plan),
        around(reference)
    )
}

/// The schema as the plan tests read it, from the SDL the server prints: every named type
/// with its fields and their arguments.
pub struct Model {
    pub types: BTreeMap<String, TypeDef>,
}

#[derive(Default)]
pub struct TypeDef {
    pub kind: TypeKind,
    /// Output fields, in the SDL's order; input fields for an input object.
    pub fields: Vec<FieldDef>,
    /// The interfaces an object implements.
    pub implements: Vec<String>,
    /// The objects that implement an interface.
    pub implementers: Vec<String>,
    /// The values of an enum.
    pub values: Vec<String>,
}

#[derive(Default, PartialEq, Eq, Clone, Copy, Debug)]
pub enum TypeKind {
    Object,
    Interface,
    Enum,
    Input,
    #[default]
    Scalar,
}

pub struct FieldDef {
    pub name: String,
    pub ty: Type,
    pub args: Vec<ArgDef>,
    pub has_default: bool,
}

pub struct ArgDef {
    pub name: String,
    pub ty: Type,
    pub has_default: bool,
}

pub static MODEL: LazyLock<Model> = LazyLock::new(|| Model::from_sdl(&schema::sdl()));

impl Model {
    fn from_sdl(sdl: &str) -> Model {
        use async_graphql::parser::types::{TypeKind as K, TypeSystemDefinition};
        let doc = async_graphql::parser::parse_schema(sdl).expect("the SDL parses");
        let mut types: BTreeMap<String, TypeDef> = BTreeMap::new();
        for name in ["String", "Int", "Float", "Boolean", "ID"] {
            types.insert(name.to_owned(), TypeDef::default());
        }
        for def in &doc.definitions {
            let TypeSystemDefinition::Type(t) = def else {
                continue;
            };
            let t = &t.node;
            let output =
                |fields: &[Positioned<async_graphql::parser::types::FieldDefinition>]| {
                    fields
                        .iter()
                        .map(|f| FieldDef {
                            name: f.node.name.node.to_string(),
                            ty: f.node.ty.node.clone(),
                            args: f
                                .node
                                .arguments
                                .iter()
                                .map(|a| ArgDef {
                                    name: a.node.name.node.to_string(),
                                    ty: a.node.ty.node.clone(),
                                    has_default: a.node.default_value.is_some(),
                                })
                                .collect(),
                            has_default: false,
                        })
                        .collect()
                };
            let def = match &t.kind {
                K::Object(o) => TypeDef {
                    kind: TypeKind::Object,
                    fields: output(&o.fields),
                    implements: o.implements.iter().map(|i| i.node.to_string()).collect(),
                    ..TypeDef::default()
                },
                K::Interface(i) => TypeDef {
                    kind: TypeKind::Interface,
                    fields: output(&i.fields),
                    ..TypeDef::default()
                },
                K::Enum(e) => TypeDef {
                    kind: TypeKind::Enum,
                    values: e
                        .values
                        .iter()
                        .map(|v| v.node.value.node.to_string())
                        .collect(),
                    ..TypeDef::default()
                },
                K::InputObject(i) => TypeDef {
                    kind: TypeKind::Input,
                    fields: i
                        .fields
                        .iter()
                        .map(|f| FieldDef {
                            name: f.node.name.node.to_string(),
                            ty: f.node.ty.node.clone(),
                            args: Vec::new(),
                            has_default: f.node.default_value.is_some(),
                        })
                        .collect(),
                    ..TypeDef::default()
                },
                K::Scalar | K::Union(_) => TypeDef::default(),
            };
            types.insert(t.name.node.to_string(), def);
        }
        let pairs: Vec<(String, String)> = types
            .iter()
            .flat_map(|(name, t)| t.implements.iter().map(move |i| (i.clone(), name.clone())))
            .collect();
        for (interface, object) in pairs {
            if let Some(i) = types.get_mut(&interface) {
                i.implementers.push(object);
            }
        }
        Model { types }
    }

    pub fn get(&self, name: &str) -> &TypeDef {
        &self.types[name]
    }

    /// The object and interface types.
    pub fn composites(&self) -> impl Iterator<Item = (&str, &TypeDef)> {
        self.types
            .iter()
            .filter(|(_, t)| matches!(t.kind, TypeKind::Object | TypeKind::Interface))
            .map(|(n, t)| (n.as_str(), t))
    }

    /// Whether the named type is an object or an interface (has a selection).
    pub fn is_composite(&self, name: &str) -> bool {
        matches!(
            self.types.get(name).map(|t| t.kind),
            Some(TypeKind::Object | TypeKind::Interface)
        )
    }

    /// The object types a value of the named type can be.
    pub fn possible(&self, name: &str) -> Vec<String> {
        let t = self.get(name);
        match t.kind {
            TypeKind::Interface => t.implementers.clone(),
            _ => vec![name.to_owned()],
        }
    }
}

/// The named type at the bottom of a type's wrappers (`[Person!]!` is `Person`).
pub fn base_name(ty: &Type) -> &str {
    match &ty.base {
        BaseType::Named(n) => n.as_str(),
        BaseType::List(item) => base_name(item),
    }
}
