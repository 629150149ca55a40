//! The spec's rule "All Variable Usages Are Allowed" (§5.8.5): a variable may stand only
//! where a value of its type may go. async-graphql has the rule (`VariableInAllowedPosition`)
//! but never applies it: its chain of validation visitors does not pass on the input values
//! it visits, so the rule sees no variable used anywhere, and `query ($t: String) {
//! search(query: $t) { totalCount } }` ran whenever `$t` was given (graphql-js refuses it:
//! the place needs a `String!`). Checked here instead, against the committed schema's
//! catalog, for a document that has no plan yet (a document with a plan has passed it: the
//! plan compiler refuses any variable that does not fit, more strictly than the spec).

use std::collections::HashSet;
use std::sync::LazyLock;

use async_graphql::Pos;
use async_graphql::parser::types::{
    BaseType, Directive, ExecutableDocument, OperationType, Selection, SelectionSet, Type,
    VariableDefinition,
};
use async_graphql::{Name, Positioned};
use async_graphql_value::Value;

use crate::exec::{CATALOG, Catalog, base_name};

/// A variable used where its type may not go: the message and the two places (its
/// definition, then its use), as graphql-js reports it.
pub(super) struct Misplaced {
    pub message: String,
    pub locations: [Pos; 2],
}

/// Every variable usage in `doc` that the rule refuses, each once.
pub(super) fn check(doc: &ExecutableDocument) -> Vec<Misplaced> {
    let mut found = Vec::new();
    for (_, op) in doc.operations.iter() {
        let root = match op.node.ty {
            OperationType::Query => "Query",
            OperationType::Mutation => "Mutation",
            OperationType::Subscription => "Subscription",
        };
        let mut walk = Walk {
            catalog: &CATALOG,
            doc,
            vars: &op.node.variable_definitions,
            seen: HashSet::new(),
            found: &mut found,
        };
        walk.directives(&op.node.directives);
        walk.selections(root, &op.node.selection_set.node);
    }
    let mut once = HashSet::new();
    found.retain(|m| once.insert((m.message.clone(), m.locations)));
    found
}

/// One operation's walk, through the fragments it spreads (each once).
struct Walk<'a> {
    catalog: &'a Catalog,
    doc: &'a ExecutableDocument,
    vars: &'a [Positioned<VariableDefinition>],
    seen: HashSet<&'a str>,
    found: &'a mut Vec<Misplaced>,
}

impl<'a> Walk<'a> {
    fn selections(&mut self, ty: &str, set: &'a SelectionSet) {
        for item in &set.items {
            match &item.node {
                Selection::Field(f) => {
                    let f = &f.node;
                    self.directives(&f.directives);
                    let name = f.name.node.as_str();
                    for (arg, value) in &f.arguments {
                        // An argument or field the schema does not have was refused by
                        // validation already; so were introspection's own mistakes.
                        if let Some(place) = self.catalog.argument(ty, name, &arg.node) {
                            let default = self.catalog.argument_has_default(ty, name, &arg.node);
                            self.value(&value.node, value.pos, place, default);
                        }
                    }
                    if let Some(field_ty) = self.catalog.field(ty, name) {
                        let inner = base_name(field_ty).to_owned();
                        self.selections(&inner, &f.selection_set.node);
                    }
                }
                Selection::InlineFragment(i) => {
                    self.directives(&i.node.directives);
                    let on = i
                        .node
                        .type_condition
                        .as_ref()
                        .map_or(ty, |c| c.node.on.node.as_str());
                    self.selections(on, &i.node.selection_set.node);
                }
                Selection::FragmentSpread(s) => {
                    self.directives(&s.node.directives);
                    let name = s.node.fragment_name.node.as_str();
                    if self.seen.insert(name)
                        && let Some(fragment) = self.doc.fragments.get(name)
                    {
                        let on = fragment.node.type_condition.node.on.node.as_str();
                        self.directives(&fragment.node.directives);
                        self.selections(on, &fragment.node.selection_set.node);
                    }
                }
            }
        }
    }

    /// `@skip(if:)` and `@include(if:)`, the only directives a query may use here: a
    /// `Boolean!` place.
    fn directives(&mut self, directives: &'a [Positioned<Directive>]) {
        static PLACE: LazyLock<Type> = LazyLock::new(|| Type::new("Boolean!").expect("a type"));
        for d in directives {
            for (_, value) in &d.node.arguments {
                self.value(&value.node, value.pos, &PLACE, false);
            }
        }
    }

    /// `value`, at `pos`, going where a value of type `place` goes.
    fn value(&mut self, value: &Value, pos: Pos, place: &Type, place_default: bool) {
        match (value, &place.base) {
            (Value::Variable(name), _) => self.usage(name, pos, place, place_default),
            (Value::List(items), BaseType::List(item)) => {
                for v in items {
                    self.value(v, pos, item, false);
                }
            }
            (Value::Object(fields), BaseType::Named(input)) => {
                for (key, v) in fields {
                    if let Some(field) = self.catalog.input_field_def(input, key) {
                        self.value(v, pos, &field.ty, field.has_default);
                    }
                }
            }
            // A single value where a list goes stands for a list of one; anything else that
            // does not fit was refused by validation already.
            (_, BaseType::List(item)) => self.value(value, pos, item, false),
            _ => {}
        }
    }

    fn usage(&mut self, name: &Name, pos: Pos, place: &Type, place_default: bool) {
        let Some(def) = self.vars.iter().find(|v| v.node.name.node == *name) else {
            return; // An undefined variable: validation's own error.
        };
        let var = &def.node.var_type.node;
        if !self.catalog.has_type(base_name(var)) {
            return; // A type the schema does not have: validation's own error.
        }
        let non_null_default = def
            .node
            .default_value
            .as_ref()
            .is_some_and(|d| !matches!(d.node, async_graphql::Value::Null));
        if !allowed(var, non_null_default, place, place_default) {
            self.found.push(Misplaced {
                message: format!(
                    r#"Variable "${name}" of type "{var}" is used in a position expecting type "{place}"."#
                ),
                locations: [def.pos, pos],
            });
        }
    }
}

/// The spec's IsVariableUsageAllowed: a nullable variable may stand in a non-null place only
/// if it, or the place, has a default.
fn allowed(var: &Type, var_default: bool, place: &Type, place_default: bool) -> bool {
    if !place.nullable && var.nullable {
        if !(var_default || place_default) {
            return false;
        }
        let nullable_place = Type {
            base: place.base.clone(),
            nullable: true,
        };
        return compatible(var, &nullable_place);
    }
    compatible(var, place)
}

/// The spec's AreTypesCompatible.
fn compatible(var: &Type, place: &Type) -> bool {
    if !place.nullable {
        return !var.nullable && compatible(&nullable(var), &nullable(place));
    }
    if !var.nullable {
        return compatible(&nullable(var), place);
    }
    match (&var.base, &place.base) {
        (BaseType::List(v), BaseType::List(p)) => compatible(v, p),
        (BaseType::Named(v), BaseType::Named(p)) => v == p,
        _ => false,
    }
}

fn nullable(ty: &Type) -> Type {
    Type {
        base: ty.base.clone(),
        nullable: true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ty(s: &str) -> Type {
        Type::new(s).unwrap()
    }

    #[test]
    fn the_spec_examples_of_allowed_usages() {
        // (variable, its default is non-null, place, place has a default, allowed)
        let cases = [
            ("String", false, "String", false, true),
            ("String!", false, "String", false, true),
            ("String", false, "String!", false, false),
            ("String", true, "String!", false, true),
            ("String", false, "String!", true, true),
            ("[String]", false, "[String!]", false, false),
            ("[String!]", false, "[String]", false, true),
            ("[String!]!", false, "[String]", false, true),
            ("[String]", false, "String", false, false),
            ("String", false, "[String]", false, false),
            ("Int", false, "String", false, false),
            ("ID!", false, "[ID!]!", false, false),
        ];
        for (var, vd, place, pd, want) in cases {
            assert_eq!(
                allowed(&ty(var), vd, &ty(place), pd),
                want,
                "{var} (default: {vd}) in {place} (default: {pd})"
            );
        }
    }

    fn misplaced(query: &str) -> Vec<String> {
        let doc = async_graphql::parser::parse_query(query).unwrap();
        check(&doc).into_iter().map(|m| m.message).collect()
    }

    #[test]
    fn usages_are_found_wherever_the_operation_reaches() {
        assert_eq!(
            misplaced("query Q($t: String) { search(query: $t) { totalCount } }"),
            [r#"Variable "$t" of type "String" is used in a position expecting type "String!"."#]
        );
        // Through a fragment, in a directive, in an input object and in a list.
        let q = r#"query Q($t: String, $b: Boolean, $d: OrderDirection, $i: ID) {
            ...F
            films(orderBy: { field: TITLE, direction: $d }) @include(if: $b) { totalCount }
            nodes(ids: [$i]) { id }
        }
        fragment F on Query { search(query: $t) { totalCount } }"#;
        let found = misplaced(q);
        assert_eq!(found.len(), 3, "{found:?}");
        assert!(found.iter().any(|m| m.contains("\"$t\"")), "{found:?}");
        assert!(found.iter().any(|m| m.contains("\"$b\"")), "{found:?}");
        assert!(found.iter().any(|m| m.contains("\"$i\"")), "{found:?}");
        // `direction` is `OrderDirection! = ASC`: a nullable variable may stand there.
        assert!(!found.iter().any(|m| m.contains("\"$d\"")), "{found:?}");
        // A default on the variable lets it stand in a non-null place.
        assert!(
            misplaced(r#"query Q($t: String = "leap") { search(query: $t) { totalCount } }"#)
                .is_empty()
        );
        assert!(misplaced("query Q($t: String!) { search(query: $t) { totalCount } }").is_empty());
        // A variable of a type the schema lacks is validation's error alone, as in graphql-js.
        assert!(misplaced("query Q($t: Strin!) { search(query: $t) { totalCount } }").is_empty());
    }
}
