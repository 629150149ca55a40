//! `Company`: production companies, labels and platforms.

use async_graphql::{ID, Object};

use super::album::Album;
use super::connection::connection;
use super::film::Film;
use super::node::entity;
use super::provenance::Fact;
use super::source::Source;
use crate::store::model::{self, Kind};

entity!(Company, companies, model::Company, Kind::Company);

/// A company: a film's producer, an album's label, or a platform that streams films.
#[Object]
impl<'a> Company<'a> {
    /// The global id.
    pub async fn id(&self) -> ID {
        self.global_id()
    }
    /// The slug: lowercase, URL-safe, unique among companies.
    pub async fn slug(&self) -> &str {
        &self.record().meta.slug
    }
    /// The name, as the documents write it.
    pub async fn name(&self) -> &str {
        &self.record().name
    }
    /// The films the company produced.
    async fn productions(&self) -> Vec<Film<'a>> {
        self.record()
            .produced
            .iter()
            .map(|f| Film::new(self.store, *f))
            .collect()
    }
    /// The films the company broadcasts or streams.
    async fn streams(&self) -> Vec<Film<'a>> {
        self.record()
            .streams
            .iter()
            .map(|f| Film::new(self.store, *f))
            .collect()
    }
    /// The albums the company released as a label.
    async fn albums(&self) -> Vec<Album<'a>> {
        self.record()
            .labelled
            .iter()
            .map(|a| Album::new(self.store, *a))
            .collect()
    }
    /// The documents this company's facts come from.
    async fn sources(&self) -> Vec<Source<'a>> {
        self.sources_list()
    }
    /// Where each of the company's facts comes from.
    async fn facts(&self) -> Vec<Fact<'a>> {
        self.facts_list()
    }
}

connection!(
    CompanyConnection,
    CompanyEdge,
    model::Idx,
    Company<'a>,
    "companies",
    |s, i| Company::new(s, i)
);
