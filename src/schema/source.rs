//! `Source`: the documents every fact comes from.

use async_graphql::{Enum, ID, Object, Result};

use super::Node;
use super::connection::{OrBadInput, connection};
use super::node::entity;
use super::person::Person;
use super::provenance::Fact;

use crate::store::model::{self, Kind};
use crate::store::orders::Order;
use crate::store::query::{PageArgs, Supported, paginate};

entity!(Source, sources, model::Source, Kind::Source);

/// What kind of document a source is.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "model::SourceKind")]
pub enum SourceKind {
    /// A shop's product page.
    StorePage,
    /// An entry in a list or database of titles.
    ListEntry,
    /// An article.
    Article,
    /// A published data set (a table of films, results or recordings).
    Dataset,
}

/// A source document: where the facts of the graph come from.
#[Object]
impl<'a> Source<'a> {
    /// The global id.
    pub async fn id(&self) -> ID {
        self.global_id()
    }
    /// The slug: lowercase, URL-safe, unique among sources.
    pub async fn slug(&self) -> &str {
        &self.record().meta.slug
    }
    /// The document's title; made by an editor where it has none (see `facts`).
    pub async fn title(&self) -> &str {
        &self.record().title
    }
    /// What kind of document it is.
    async fn kind(&self) -> SourceKind {
        self.record().kind.into()
    }
    /// Who publishes it, where known.
    async fn publisher(&self) -> Option<&str> {
        self.record().publisher.as_deref()
    }
    /// The section of the publication it appears in.
    async fn section(&self) -> Option<&str> {
        self.record().section.as_deref()
    }
    /// Its author.
    async fn author(&self) -> Option<Person<'a>> {
        self.record().author.map(|p| Person::new(self.store, p))
    }
    /// The file the document is kept in, in this project's `sources/` archive.
    async fn file(&self) -> Option<&str> {
        self.record().file.as_deref()
    }
    /// Its address on the web, where known.
    async fn url(&self) -> Option<&str> {
        self.record().url.as_deref()
    }
    /// The release of a data set the facts were taken from (`2.1.0`).
    async fn version(&self) -> Option<&str> {
        self.record().version.as_deref()
    }
    /// The licence it is published under (`CC0-1.0`).
    async fn licence(&self) -> Option<&str> {
        self.record().licence.as_deref()
    }
    /// Every entity whose facts this document supports, by type and slug.
    async fn supports(
        &self,
        #[graphql(
            desc = "Return the first n entities (0 to 100; 20 when neither first nor last is given)."
        )]
        first: Option<i32>,
        #[graphql(desc = "Return the entities after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n entities (0 to 100).")] last: Option<i32>,
        #[graphql(desc = "Return the entities before this cursor.")] before: Option<String>,
    ) -> Result<NodeConnection<'a>> {
        let args = PageArgs::new(first, after, last, before);
        let list: Vec<Supported> = self
            .record()
            .supports
            .iter()
            .copied()
            .map(Supported)
            .collect();
        Ok(NodeConnection(
            paginate(self.store, &list, Order::Supports, false, &args).or_bad_input()?,
        ))
    }
    /// Where the document's own facts come from (an editor made some of them).
    async fn facts(&self) -> Vec<Fact<'a>> {
        self.facts_list()
    }
}

connection!(
    SourceConnection,
    SourceEdge,
    model::Idx,
    Source<'a>,
    "sources",
    |s, i| Source::new(s, i)
);
connection!(
    NodeConnection,
    NodeEdge,
    Supported,
    Node<'a>,
    "nodes",
    |s, i| Node::new(s, i.0)
);
