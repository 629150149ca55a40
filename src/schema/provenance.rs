//! The provenance of facts, and the small value types that carry their own sources.

use async_graphql::{Enum, Object};

use super::source::Source;
use crate::store::Store;
use crate::store::model::{self, Idx};

pub fn sources<'a>(store: &'a Store, list: &'a [Idx]) -> Vec<Source<'a>> {
    list.iter().map(|i| Source::new(store, *i)).collect()
}

/// Where one fact comes from: the documents that state it, or an editor's note when none
/// states it and the documents only imply it.
pub struct Fact<'a> {
    pub store: &'a Store,
    pub fact: &'a model::Fact,
}

/// Where one fact comes from: the documents that state it, or an editor's note when none
/// states it and the documents only imply it.
#[Object]
impl<'a> Fact<'a> {
    /// The field the fact fills, as this schema names it (`runtimeMinutes`).
    async fn field(&self) -> &str {
        self.fact.field
    }
    /// The documents that state the fact; empty for a purely editorial fact.
    async fn sources(&self) -> Vec<Source<'a>> {
        sources(self.store, &self.fact.sources)
    }
    /// Whether an editor supplied or shaped the fact rather than a document stating it.
    async fn editorial(&self) -> bool {
        self.fact.editorial.is_some()
    }
    /// The editor's note on how the fact was arrived at.
    async fn note(&self) -> Option<&str> {
        self.fact.editorial.as_deref()
    }
}

pub fn facts<'a>(store: &'a Store, list: &'a [model::Fact]) -> Vec<Fact<'a>> {
    list.iter().map(|fact| Fact { store, fact }).collect()
}

/// A statement in a document's own words (a synopsis, a note), with its sources.
pub struct Statement<'a> {
    pub store: &'a Store,
    pub text: &'a model::Text,
}

/// A statement in a document's own words (a synopsis, a note), with its sources.
#[Object]
impl<'a> Statement<'a> {
    /// The statement.
    async fn text(&self) -> &str {
        &self.text.text
    }
    /// The documents it comes from.
    async fn sources(&self) -> Vec<Source<'a>> {
        sources(self.store, &self.text.sources)
    }
    /// An editor's note, where the statement is editorial.
    async fn editorial_note(&self) -> Option<&str> {
        self.text.editorial.as_deref()
    }
}

pub fn statements<'a>(store: &'a Store, list: &'a [model::Text]) -> Vec<Statement<'a>> {
    list.iter().map(|text| Statement { store, text }).collect()
}

/// What kind of release a release date is.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "crate::store::model::ReleaseKind")]
pub enum ReleaseKind {
    /// A premiere screening.
    Premiere,
    /// A release that was scheduled but did not happen on that date.
    Planned,
    /// A release whose kind the source does not say.
    Release,
    /// The release in cinemas.
    Theatrical,
    /// The release on a streaming platform.
    Streaming,
}

/// A release of a film: a date with its kind and place. Documents may disagree, so a film can
/// have several releases of the same kind, each with its own source.
pub struct Release<'a> {
    pub store: &'a Store,
    pub release: &'a model::Release,
}

/// A release of a film: a date with its kind and place. Documents may disagree, so a film can
/// have several releases of the same kind, each with its own source.
#[Object]
impl<'a> Release<'a> {
    /// The date at the precision the source gives: `2020`, `2020-01` or `2020-09-25`.
    async fn date(&self) -> String {
        self.release.date.to_string()
    }
    /// The year of the date.
    async fn year(&self) -> i32 {
        i32::from(self.release.date.year)
    }
    /// What kind of release this is.
    async fn kind(&self) -> ReleaseKind {
        self.release.kind.into()
    }
    /// The region, as an ISO 3166-1 alpha-2 code (`CN`), where the source names one.
    async fn region(&self) -> Option<&str> {
        self.release.region.as_deref()
    }
    /// The city, where the source names one (premieres).
    async fn city(&self) -> Option<&str> {
        self.release.city.as_deref()
    }
    /// What the source adds about this release.
    async fn note(&self) -> Option<&str> {
        self.release.note.as_deref()
    }
    /// The documents that give this date.
    async fn sources(&self) -> Vec<Source<'a>> {
        sources(self.store, &self.release.sources)
    }
}

/// A film's entry for, or win of, an award.
pub struct Award<'a> {
    pub store: &'a Store,
    pub award: &'a model::Award,
}

/// A film's entry for, or win of, an award.
#[Object]
impl<'a> Award<'a> {
    /// The ceremony (`93rd Academy Awards`).
    async fn ceremony(&self) -> &str {
        &self.award.ceremony
    }
    /// The category, where the source names one.
    async fn category(&self) -> Option<&str> {
        self.award.category.as_deref()
    }
    /// What the film received: an entry, a nomination, a win (`China's official entry`).
    async fn recognition(&self) -> &str {
        &self.award.recognition
    }
    /// The documents that state it.
    async fn sources(&self) -> Vec<Source<'a>> {
        sources(self.store, &self.award.sources)
    }
}

/// An amount of money.
pub struct Money<'a>(pub &'a crate::store::values::Money);

/// An amount of money.
#[Object]
impl Money<'_> {
    /// The amount as a decimal string (`"16.98"`), never a float, so that no cent is lost.
    async fn amount(&self) -> &str {
        &self.0.amount
    }
    /// The currency's ISO 4217 code (`USD`).
    async fn currency(&self) -> &str {
        &self.0.currency
    }
}
