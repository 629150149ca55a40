//! `Coaching`: a person coaching a team over a span of time.

use async_graphql::Object;

use super::person::Person;
use super::provenance::{Fact, facts, sources};
use super::source::Source;
use super::team::Team;
use crate::store::Store;
use crate::store::model::{self, Idx};

pub struct Coaching<'a> {
    store: &'a Store,
    idx: Idx,
}

impl<'a> Coaching<'a> {
    pub fn new(store: &'a Store, idx: Idx) -> Self {
        Coaching { store, idx }
    }
    fn record(&self) -> &'a model::Coaching {
        &self.store.coaching()[self.idx as usize]
    }
}

/// A person coaching a team. Dates are given at the precision the documents give; a span
/// the documents leave open stays open.
#[Object]
impl<'a> Coaching<'a> {
    /// The coach.
    async fn person(&self) -> Person<'a> {
        Person::new(self.store, self.record().person)
    }
    /// The team coached.
    async fn team(&self) -> Team<'a> {
        Team::new(self.store, self.record().team)
    }
    /// When the coaching began, where known.
    async fn from(&self) -> Option<String> {
        self.record().from.map(|d| d.to_string())
    }
    /// When the coaching ended, where known; null for a span that is open or not given.
    async fn to(&self) -> Option<String> {
        self.record().to.map(|d| d.to_string())
    }
    /// A date at which the documents place the coaching, when they give no span.
    async fn during(&self) -> Option<String> {
        self.record().during.map(|d| d.to_string())
    }
    /// What the documents add.
    async fn note(&self) -> Option<&'a str> {
        self.record().note.as_deref()
    }
    /// The documents that state it.
    async fn sources(&self) -> Vec<Source<'a>> {
        sources(self.store, &self.record().sources)
    }
    /// Where each part of it comes from.
    async fn facts(&self) -> Vec<Fact<'a>> {
        facts(self.store, &self.record().facts)
    }
}
