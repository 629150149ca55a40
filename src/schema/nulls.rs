//! Null propagation as the GraphQL spec defines it (§6.4.4, "Handling Execution Errors").
//!
//! async-graphql 7.2's static executor drops a field whose resolver fails from its parent
//! object instead of answering it with null, and never lets the failure of a non-null field
//! reach its parent: `{ film(slug: "leap") { title } node(id: "junk") { id } }` came back
//! with no `node` key at all, and a failed non-null `search` beside another root field left
//! `data` non-null. This extension restores the spec's rule at every depth, with the error
//! kept exactly as the resolver raised it (message, path, locations, code):
//!
//! - a failed field of a nullable type is answered with `null`, and its error is reported;
//! - a failed field of a non-null type marks its parent as failed, and the parent then
//!   answers `null` if it is nullable or passes the failure on up if not;
//! - a failure that reaches the root makes `data` null.
//!
//! It works through the executor's per-field `resolve` hook, which sees each field's
//! qualified return type (`Film`, `FilmConnection!`, `[Node]!`) and path, list items included.
//!
//! The same hook gives a field error its `path` where async-graphql left it out: the resolvers
//! its `#[derive(Interface)]` writes (a field selected on `Work` or `Node` itself, not in a
//! fragment on one of its types) raise errors with locations and no path, which the spec
//! requires of every field error and without which the engine would take it for a request
//! error.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextExecute, NextResolve, ResolveInfo,
};
use async_graphql::{
    PathSegment, QueryPathNode, QueryPathSegment, Response, ServerError, ServerResult, Value,
};

/// Registers [`Propagation`] for each request.
pub struct NullPropagation;

impl ExtensionFactory for NullPropagation {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(Propagation::default())
    }
}

/// The state of one request's execution.
#[derive(Default)]
struct Propagation {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// Paths (as `QueryPathNode` prints them) of fields a non-null child failed under.
    failed: HashSet<String>,
    /// Whether a non-null root field failed, which makes `data` null.
    root_failed: bool,
    /// Errors of nullable fields answered with null here, so that the executor, which only
    /// records the errors of fields it drops, never saw them.
    errors: Vec<ServerError>,
}

impl Propagation {
    fn state(&self) -> MutexGuard<'_, State> {
        // Nothing panics while holding the lock, and the state stays whole if something did.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Records that a non-null field at `path` failed: its parent must fail too.
    fn fail_parent(&self, path: &QueryPathNode<'_>) {
        let mut state = self.state();
        match path.parent {
            Some(parent) => {
                state.failed.insert(parent.to_string());
            }
            None => state.root_failed = true,
        }
    }
}

fn is_nullable(qualified_type: &str) -> bool {
    !qualified_type.ends_with('!')
}

/// `error`, with the path of the field it was raised at if it has none.
fn with_path(mut error: ServerError, at: &QueryPathNode<'_>) -> ServerError {
    if error.path.is_empty() {
        error.path = std::iter::once(at)
            .chain(at.parents())
            .map(|node| match node.segment {
                QueryPathSegment::Name(name) => PathSegment::Field(name.to_owned()),
                QueryPathSegment::Index(i) => PathSegment::Index(i),
            })
            .collect();
        error.path.reverse();
    }
    error
}

#[async_graphql::async_trait::async_trait]
impl Extension for Propagation {
    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        let mut response = next.run(ctx, operation_name).await;
        let mut state = self.state();
        response.errors.append(&mut state.errors);
        if state.root_failed {
            response.data = Value::Null;
        }
        response
    }

    async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        let path = info.path_node;
        let nullable = is_nullable(info.return_type);
        match next.run(ctx, info).await.map_err(|e| with_path(e, path)) {
            Ok(value) => {
                // The common case, nothing failed anywhere, costs one uncontended lock. The
                // mark is kept, not taken, because two selections of one response key (merged
                // by the executor) resolve separately under the same path.
                let child_failed = {
                    let state = self.state();
                    !state.failed.is_empty() && state.failed.contains(&path.to_string())
                };
                if !child_failed {
                    return Ok(value);
                }
                // The child's error is already reported; this field only turns null.
                if !nullable {
                    self.fail_parent(path);
                }
                Ok(Some(Value::Null))
            }
            Err(error) if nullable => {
                self.state().errors.push(error);
                Ok(Some(Value::Null))
            }
            Err(error) => {
                // The executor reports the error and drops the field; its parent, or `data`,
                // turns null once it completes.
                self.fail_parent(path);
                Err(error)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nullability_is_read_from_the_qualified_type() {
        assert!(is_nullable("Film"));
        assert!(is_nullable("[Node]"));
        assert!(!is_nullable("FilmConnection!"));
        assert!(!is_nullable("[Node]!"));
        assert!(is_nullable("[Node!]"));
    }
}
