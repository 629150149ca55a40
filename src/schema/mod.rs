//! The GraphQL layer: thin types that borrow the store's records, one module per type.
//!
//! Owns: the async-graphql schema (types, root fields, interfaces, connections), the null
//! propagation extension, the answer's budget (`budget`), and the one place where the query
//! layer's errors become GraphQL errors (`connection::OrBadInput`); the review writes and live
//! updates (`review`), thin over `crate::reviews`. Imports: `store` (records, ids, the query
//! layer), `reviews` and `error_code`; never `exec`, which answers the same requests without it.

mod album;
pub mod budget;
mod coaching;
mod company;
mod competition;
pub mod connection;
pub(crate) mod credit;
pub mod error;
mod film;
mod group;
mod r#match;
mod node;
mod nulls;
mod person;
pub(crate) mod provenance;
pub mod query;
pub mod review;
mod search;
mod season;
pub(crate) mod source;
mod team;
mod track;

use async_graphql::Schema;

pub use query::Query;
pub use review::{Admin, Mutation, Subscription};

pub type LeapSchema = Schema<Query, Mutation, Subscription>;

/// Builds the schema. The store is not schema data: each request carries the `Arc<Store>`
/// that was current when it started, so a reload never changes a graph under a request.
pub fn build() -> LeapSchema {
    Schema::build(Query, Mutation, Subscription)
        .extension(budget::KeepBudget)
        .extension(nulls::NullPropagation)
        .disable_suggestions()
        .finish()
}

/// The schema without null propagation: identical answers for any execution without errors,
/// a quarter cheaper (the extension hooks every field). See `http::Shared::fast_schema`.
pub fn build_without_null_propagation() -> LeapSchema {
    Schema::build(Query, Mutation, Subscription)
        .extension(budget::KeepBudget)
        .disable_suggestions()
        .finish()
}

/// The schema with one more extension: the engine's validation-only schema, whose extension
/// ends each request before it executes.
pub fn build_with(extension: impl async_graphql::extensions::ExtensionFactory) -> LeapSchema {
    Schema::build(Query, Mutation, Subscription)
        .extension(extension)
        .disable_suggestions()
        .finish()
}

/// The schema in SDL, as committed in `schema.graphql`.
pub fn sdl() -> String {
    build().sdl()
}
