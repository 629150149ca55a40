//! The words of a request error: async-graphql's validation messages reworded at our boundary
//! into one-line sentences in graphql-js's manner (the reference implementation, whose words
//! GraphiQL users know), with "did you mean" for a misspelt field, argument, type, enum value,
//! input field, variable, fragment or operation, each error once.
//!
//! async-graphql is not forked: its message is matched against the shapes it writes them in
//! (the table in [`reword`]), and what it names is looked up in the committed schema (the
//! plan executor's catalog) for the suggestions. A message of a shape not in the table is kept
//! as async-graphql wrote it, with a full stop. Runs only on the error path.

use std::fmt::Write;

use async_graphql::Pos;
use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql_value::Value as InputValue;

use crate::exec::{CATALOG, Catalog};
use crate::suggest::{did_you_mean, hint, near};

/// What a message may draw on: the document, the request's variables, and whether to suggest.
pub(super) struct Context<'a> {
    pub doc: Option<&'a ExecutableDocument>,
    pub variables: &'a async_graphql::Variables,
    pub suggestions: bool,
}

/// async-graphql's message reworded, or kept (with a full stop) when it is of no shape the
/// table knows.
pub(super) fn reword(message: &str, locations: &[Pos], cx: &Context<'_>) -> String {
    let catalog: &Catalog = &CATALOG;
    let s = cx.suggestions;
    // Each arm: async-graphql's shape (with `{}` for what it names), and ours.
    if let Some([field, ty]) = capture::<2>(message, r#"Unknown field "{}" on type "{}"."#) {
        let near = did_you_mean(s, field, catalog.field_names(ty));
        return format!(r#"Cannot query field "{field}" on type "{ty}".{near}"#);
    }
    if let Some([arg, field, ty]) = capture::<3>(
        message,
        r#"Unknown argument "{}" on field "{}" of type "{}"."#,
    ) {
        let names = catalog.argument_names(ty, field);
        let near = did_you_mean(s, arg, names.iter().copied());
        // Where nothing is near, the field's arguments (it has few), unless the schema is
        // not to be spelt out.
        let known = if !s || names.is_empty() || !near.is_empty() {
            String::new()
        } else {
            let mut names = names;
            names.sort_unstable();
            format!(" Its arguments are: {}.", names.join(", "))
        };
        return format!(r#"Unknown argument "{arg}" on field "{ty}.{field}".{near}{known}"#);
    }
    if let Some([arg, directive]) =
        capture::<2>(message, r#"Unknown argument "{}" on directive "{}"."#)
    {
        let near = did_you_mean(s, arg, ["if"]);
        return format!(r#"Unknown argument "{arg}" on directive "@{directive}".{near}"#);
    }
    if let Some([ty]) = capture::<1>(message, r#"Unknown type "{}""#) {
        let near = did_you_mean(s, ty, catalog.type_names());
        return format!(r#"Unknown type "{ty}".{near}"#);
    }
    if let Some([directive]) = capture::<1>(message, r#"Unknown directive "{}""#) {
        // The two directives of a query, which the spec defines, not our schema.
        let near: Vec<String> = near(directive, ["include", "skip"])
            .iter()
            .map(|d| format!("@{d}"))
            .collect();
        let near: Vec<&str> = near.iter().map(String::as_str).collect();
        return format!(r#"Unknown directive "@{directive}".{}"#, hint("", &near));
    }
    if let Some([fragment]) = capture::<1>(message, r#"Unknown fragment: "{}""#) {
        let names = cx
            .doc
            .map(|d| d.fragments.keys().map(|k| k.as_str()).collect::<Vec<_>>())
            .unwrap_or_default();
        // The document's own names, not the schema's: suggested even where the schema is not.
        let near = did_you_mean(true, fragment, names);
        return format!(r#"Unknown fragment "{fragment}".{near}"#);
    }
    if let Some([path, reason]) = capture::<2>(message, r#"Invalid value for argument "{}", {}"#) {
        if let Some(m) = locations.first().and_then(|p| argument_message(*p, cx)) {
            return m;
        }
        return format!(
            r#"Argument "{path}" has an invalid value: {}"#,
            reason_words(reason, s)
        );
    }
    if let Some([path, reason]) =
        capture::<2>(message, r#"Invalid default value for argument: "{}", {}"#)
    {
        return format!(
            r#"Default value at "{path}" is invalid: {}"#,
            reason_words(reason, s)
        );
    }
    if let Some([var, op]) = capture::<2>(
        message,
        r#"Variable "${}" is not defined by operation "{}""#,
    ) {
        return format!(
            r#"Variable "${var}" is not defined by operation "{op}".{}"#,
            variable_hint(var, Some(op), cx)
        );
    }
    if let Some([var]) = capture::<1>(message, r#"Variable "${}" is not defined"#) {
        return format!(
            r#"Variable "${var}" is not defined.{}"#,
            variable_hint(var, None, cx)
        );
    }
    if let Some([var, op]) =
        capture::<2>(message, r#"Variable "${}" is not used by operation "{}""#)
    {
        return format!(
            r#"Variable "${var}" is never used in operation "{op}": remove it or use it."#
        );
    }
    if let Some([var]) = capture::<1>(message, r#"Variable "${}" is not used"#) {
        return format!(r#"Variable "${var}" is never used: remove it or use it."#);
    }
    // async-graphql names the place's type first and the variable's second.
    if let Some([var, place, declared]) = capture::<3>(
        message,
        r#"Variable "{}" of type "{}" used in position expecting type "{}""#,
    ) {
        return format!(
            r#"Variable "${var}" of type "{declared}" is used in a position expecting type "{place}"."#
        );
    }
    // async-graphql names the type the field is on, not the argument's.
    if let Some([field, arg, parent]) = capture::<3>(
        message,
        r#"Field "{}" argument "{}" of type "{}" is required but not provided"#,
    ) {
        let ty = catalog
            .argument(parent, field, arg)
            .map(ToString::to_string)
            .unwrap_or_default();
        return format!(
            r#"Field "{parent}.{field}" argument "{arg}" of type "{ty}" is required, but it was not provided."#
        );
    }
    if let Some([name]) = capture::<1>(message, r#"Unknown operation named "{}""#) {
        let names = operation_names(cx);
        let near = did_you_mean(true, name, names.iter().copied());
        return format!(r#"Unknown operation named "{name}".{near}"#);
    }
    if let Some([kind]) = capture::<1>(message, "Schema is not configured for {}s.") {
        return format!(
            "The schema has no {kind}s: this API is read-only, so send a query \
             (\"query {{ … }}\" or \"{{ … }}\")."
        );
    }
    if message == "Operation name required in request." {
        let names: Vec<String> = operation_names(cx)
            .iter()
            .map(|n| format!("\"{n}\""))
            .collect();
        return format!(
            "The document defines several operations ({}): name the one to run in \
             \"operationName\".",
            names.join(", ")
        );
    }
    sentence(message)
}

/// The message with a full stop, unless it ends a sentence already.
fn sentence(message: &str) -> String {
    let message = message.trim();
    if message.ends_with(['.', '?', '!']) {
        message.to_owned()
    } else {
        format!("{message}.")
    }
}

/// The names `pattern` stands for with `{}` in `text`, if `text` has its shape: every `{}`
/// takes the shortest run up to the literal after it (the last, the rest of the text).
fn capture<'t, const N: usize>(text: &'t str, pattern: &str) -> Option<[&'t str; N]> {
    let mut literals = pattern.split("{}");
    let first = literals.next()?;
    let mut rest = text.strip_prefix(first)?;
    let mut out = [""; N];
    for slot in out.iter_mut() {
        let literal = literals.next()?;
        if literal.is_empty() {
            *slot = rest;
            rest = "";
        } else {
            let end = rest.find(literal)?;
            *slot = &rest[..end];
            rest = &rest[end + literal.len()..];
        }
    }
    (rest.is_empty() && literals.next().is_none()).then_some(out)
}

/// async-graphql's reason for a literal that does not fit, reworded.
fn reason_words(reason: &str, s: bool) -> String {
    let catalog: &Catalog = &CATALOG;
    if let Some([enumeration, value]) = capture::<2>(
        reason,
        r#"enumeration type "{}" does not contain the value "{}""#,
    ) {
        let near = did_you_mean(s, value, catalog.enum_values(enumeration));
        return format!(r#"value "{value}" does not exist in the "{enumeration}" enum.{near}"#);
    }
    if let Some([field, input]) = capture::<2>(reason, r#"unknown field "{}" of type "{}""#) {
        let near = did_you_mean(s, field, catalog.input_field_names(input));
        return format!(r#"field "{field}" is not defined by type "{input}".{near}"#);
    }
    if let Some([field, ty]) = capture::<2>(
        reason,
        r#"field "{}" of type "{}" is required but not provided"#,
    ) {
        return format!(r#"field "{field}" of required type "{ty}" was not provided."#);
    }
    if let Some([ty]) = capture::<1>(reason, r#"expected type "{}""#) {
        return format!(r#"expected a value of type "{ty}"."#);
    }
    sentence(reason)
}

/// The message for a literal argument that does not fit, from the argument itself: found in
/// the document by its position, with its field's type, and checked by the same rules as a
/// variable, so that it names the argument, its type (with its `!`), the field and the value.
fn argument_message(pos: Pos, cx: &Context<'_>) -> Option<String> {
    let doc = cx.doc?;
    let found = find_argument(doc, pos)?;
    let ty = CATALOG.argument(&found.parent, &found.field, &found.arg)?;
    let value = found
        .value
        .clone()
        .into_const_with(|name| cx.variables.get(&name).cloned().ok_or(()))
        .ok()?;
    let invalid = CATALOG.check(ty, &value, cx.suggestions).err()?;
    let (arg, parent, field) = (&found.arg, &found.parent, &found.field);
    let mut m = format!(
        r#"Argument "{arg}" of type "{ty}" on field "{parent}.{field}" got invalid value {}"#,
        crate::exec::coerce::quote(&value.into_json().ok()?)
    );
    if !invalid.path.is_empty() {
        let _ = write!(m, r#" at "{arg}{}""#, invalid.path);
    }
    let _ = write!(m, "; {}", invalid.reason);
    Some(m)
}

/// An argument found in the document.
struct FoundArgument {
    parent: String,
    field: String,
    arg: String,
    value: InputValue,
}

/// The argument whose name is at `pos`, with the type of the object its field is on: the
/// operations and fragments are walked with their types (a field's type from the catalog).
fn find_argument(doc: &ExecutableDocument, pos: Pos) -> Option<FoundArgument> {
    for (_, op) in doc.operations.iter() {
        let root = match op.node.ty {
            async_graphql::parser::types::OperationType::Query => "Query",
            async_graphql::parser::types::OperationType::Mutation => "Mutation",
            async_graphql::parser::types::OperationType::Subscription => "Subscription",
        };
        if let Some(found) = find_in(&op.node.selection_set.node, root, pos, 0) {
            return Some(found);
        }
    }
    doc.fragments.values().find_map(|f| {
        let on = f.node.type_condition.node.on.node.as_str();
        find_in(&f.node.selection_set.node, on, pos, 0)
    })
}

fn find_in(set: &SelectionSet, parent: &str, pos: Pos, depth: usize) -> Option<FoundArgument> {
    // The guard bounds nesting far below this; a walk never needs to go deeper.
    if depth > 128 {
        return None;
    }
    set.items.iter().find_map(|item| match &item.node {
        Selection::Field(f) => {
            let f = &f.node;
            if let Some((name, value)) = f.arguments.iter().find(|(n, _)| n.pos == pos) {
                return Some(FoundArgument {
                    parent: parent.to_owned(),
                    field: f.name.node.to_string(),
                    arg: name.node.to_string(),
                    value: value.node.clone(),
                });
            }
            let ty = CATALOG.field(parent, f.name.node.as_str())?;
            find_in(
                &f.selection_set.node,
                crate::exec::base_name(ty),
                pos,
                depth + 1,
            )
        }
        Selection::InlineFragment(i) => {
            let on = i
                .node
                .type_condition
                .as_ref()
                .map_or(parent, |c| c.node.on.node.as_str());
            find_in(&i.node.selection_set.node, on, pos, depth + 1)
        }
        Selection::FragmentSpread(_) => None,
    })
}

/// " Did you mean "$x"?" among the variables the operation defines (or any operation).
fn variable_hint(var: &str, op: Option<&str>, cx: &Context<'_>) -> String {
    let Some(doc) = cx.doc else {
        return String::new();
    };
    let names: Vec<&str> = doc
        .operations
        .iter()
        .filter(|(n, _)| op.is_none() || n.map(|n| n.as_str()) == op)
        .flat_map(|(_, o)| o.node.variable_definitions.iter())
        .map(|v| v.node.name.node.as_str())
        .collect();
    let near: Vec<String> = near(var, names).iter().map(|n| format!("${n}")).collect();
    let near: Vec<&str> = near.iter().map(String::as_str).collect();
    if near.is_empty() {
        // Say where it goes: the fix is in the operation's header.
        format!(r#" Declare it after the operation's name, as in "query Name(${var}: Type)"."#)
    } else {
        hint("", &near)
    }
}

/// The names of the document's operations (the anonymous one has none).
fn operation_names<'a>(cx: &Context<'a>) -> Vec<&'a str> {
    let mut names: Vec<&str> = cx
        .doc
        .map(|d| {
            d.operations
                .iter()
                .filter_map(|(n, _)| n.map(|n| n.as_str()))
                .collect()
        })
        .unwrap_or_default();
    // In the order of the alphabet: the document keeps them in a hash map.
    names.sort_unstable();
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn captures() {
        assert_eq!(
            capture(
                r#"Unknown field "a" on type "B"."#,
                r#"Unknown field "{}" on type "{}"."#
            ),
            Some(["a", "B"])
        );
        assert_eq!(
            capture::<1>("Unknown type \"X\" more", r#"Unknown type "{}""#),
            None
        );
        assert_eq!(
            capture(
                r#"Invalid value for argument "a.b", expected type "Int""#,
                r#"Invalid value for argument "{}", {}"#
            ),
            Some(["a.b", r#"expected type "Int""#])
        );
    }
}
