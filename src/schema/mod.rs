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

use async_graphql::{ID, Schema};

use crate::store::Store;
use crate::store::model::{Kind, NodeRef};
pub use review::{Admin, Mutation, Subscription};

/// The GraphQL side of the table of kinds (`crate::store::model`): one row per kind, its type
/// (named as the kind), the module that defines it, and what `NodeType` says of it. From it
/// come the `Node` interface with its constructor from a `NodeRef`, and `NodeType`, so that a
/// new kind's type is one row here, its module line above, and its root fields in `Query`.
macro_rules! node_types {
    ( $( $kind:ident in $module:ident, $desc:tt; )* ) => {
        /// Anything with a global id, which `node(id:)` fetches again.
        #[derive(async_graphql::Interface)]
        #[graphql(field(
            name = "id",
            ty = "ID",
            desc = "The global id: opaque, and stable across restarts and reloads."
        ))]
        pub enum Node<'a> {
            $( $kind($module::$kind<'a>), )*
            Review(review::Review),
        }

        impl<'a> Node<'a> {
            pub fn new(store: &'a Store, node: NodeRef) -> Node<'a> {
                match node.kind {
                    $( Kind::$kind => Node::$kind($module::$kind::new(store, node.idx)), )*
                }
            }
        }

        /// The types of node, to narrow a search.
        #[derive(async_graphql::Enum, Clone, Copy, PartialEq, Eq)]
        #[graphql(remote = "Kind")]
        pub enum NodeType {
            $( #[doc = $desc] $kind, )*
        }
    };
}

node_types! {
    Film in film, " Films.";
    Person in person, " People.";
    Team in team, " Teams.";
    Match in r#match, " Matches.";
    Album in album, " Albums.";
    Track in track, " Tracks.";
    Company in company, " Companies.";
    Competition in competition, " Competitions.";
    Source in source, " Source documents.";
    Group in group, " Groups: bands, orchestras, ensembles.";
}

// The root fields of most kinds are in `query.rs`; a kind whose roots are only a lookup and
// a list keeps them beside its type (`group::GroupRoot`), merged in here.
/// The root of every query: look things up by id or slug, list them, or search.
#[derive(async_graphql::MergedObject, Default)]
pub struct Query(query::QueryRoot, group::GroupRoot);

pub type LeapSchema = Schema<Query, Mutation, Subscription>;

/// Builds the schema. The store is not schema data: each request carries the `Arc<Store>`
/// that was current when it started, so a reload never changes a graph under a request.
pub fn build() -> LeapSchema {
    Schema::build(Query::default(), Mutation, Subscription)
        .extension(budget::KeepBudget)
        .extension(nulls::NullPropagation)
        .disable_suggestions()
        .finish()
}

/// The schema without null propagation: identical answers for any execution without errors,
/// a quarter cheaper (the extension hooks every field). See `http::Shared::fast_schema`.
pub fn build_without_null_propagation() -> LeapSchema {
    Schema::build(Query::default(), Mutation, Subscription)
        .extension(budget::KeepBudget)
        .disable_suggestions()
        .finish()
}

/// The schema with one more extension: the engine's validation-only schema, whose extension
/// ends each request before it executes.
pub fn build_with(extension: impl async_graphql::extensions::ExtensionFactory) -> LeapSchema {
    Schema::build(Query::default(), Mutation, Subscription)
        .extension(extension)
        .disable_suggestions()
        .finish()
}

/// The schema in SDL, as committed in `schema.graphql`.
pub fn sdl() -> String {
    build().sdl()
}
