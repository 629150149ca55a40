//! The spec's CoerceVariableValues on the engine's side: the variables of the operation to
//! run are coerced before either executor runs (by `exec::coerce`, the plan executor's own
//! rules, so the two cannot disagree), and a variable that does not coerce is a request error
//! with `VARIABLE_COERCION_FAILED`, at the variable's definition.
//!
//! The spec validates before it coerces, so a document with bad variables is first run
//! through validation alone ([`StopBeforeExecution`] ends async-graphql's request there):
//! its validation errors, if any, are the answer.

use std::sync::Arc;

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextExecute};
use async_graphql::parser::types::{ExecutableDocument, OperationDefinition};
use async_graphql::{Pos, Positioned, Response};
use serde_json::{Map, Value};

use super::outcome::located;
use crate::error_code::ErrorCode;
use crate::exec::{CATALOG, coerce};

/// Coerces the variables of the operation `operation_name` picks; the errors, each at its
/// variable's definition, when any does not coerce. When no operation can be picked there is
/// nothing to coerce, and async-graphql says why.
pub(super) fn coerce(
    doc: &ExecutableDocument,
    operation_name: Option<&str>,
    given: &Map<String, Value>,
    suggestions: bool,
) -> Result<(), Vec<Value>> {
    let Some(op) = pick(doc, operation_name) else {
        return Ok(());
    };
    let defs = &op.variable_definitions;
    if defs.is_empty() {
        return Ok(());
    }
    let definitions = defs.iter().map(|d| coerce::Definition {
        name: d.node.name.node.as_str(),
        ty: &d.node.var_type.node,
        default: d.node.default_value.as_ref().map(|v| &v.node),
    });
    match coerce::variables(&CATALOG, definitions, given, suggestions) {
        Ok(_) => Ok(()),
        Err(errors) => Err(errors
            .into_iter()
            .map(|e| {
                let at: Vec<Pos> = defs.get(e.index).map(|d| d.pos).into_iter().collect();
                located(e.message, &at, ErrorCode::VariableCoercionFailed)
            })
            .collect()),
    }
}

/// The operation that runs: the one named, or the only one.
fn pick<'d>(
    doc: &'d ExecutableDocument,
    operation_name: Option<&str>,
) -> Option<&'d OperationDefinition> {
    let mut ops = doc.operations.iter();
    let op: &Positioned<OperationDefinition> = match operation_name {
        Some(name) => ops.find(|(n, _)| n.map(|n| n.as_str()) == Some(name))?.1,
        None => match (ops.next(), ops.next()) {
            (Some((_, op)), None) => op,
            _ => return None,
        },
    };
    Some(&op.node)
}

/// Ends a request after validation: the schema it is on only validates.
pub(super) struct StopBeforeExecution;

impl ExtensionFactory for StopBeforeExecution {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(Stop)
    }
}

struct Stop;

#[async_graphql::async_trait::async_trait]
impl Extension for Stop {
    async fn execute(
        &self,
        _ctx: &ExtensionContext<'_>,
        _operation_name: Option<&str>,
        _next: NextExecute<'_>,
    ) -> Response {
        Response::new(async_graphql::Value::Null)
    }
}
