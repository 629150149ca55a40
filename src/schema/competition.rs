//! `Competition`.

use async_graphql::{ID, Object, Result};

use super::connection::connection;
use super::r#match::{Match, MatchConnection};
use super::node::entity;
use super::provenance::Fact;
use super::season::{Season, seasons};
use super::source::Source;
use crate::store::model::{self, Kind};
use crate::store::query::PageArgs;

entity!(
    Competition,
    competitions,
    model::Competition,
    Kind::Competition
);

/// A competition: a World Cup, an Olympic tournament.
#[Object]
impl<'a> Competition<'a> {
    /// The global id.
    pub async fn id(&self) -> ID {
        self.global_id()
    }
    /// The slug: lowercase, URL-safe, unique among competitions.
    pub async fn slug(&self) -> &str {
        &self.record().meta.slug
    }
    /// The name (`2016 Rio Olympics`).
    pub async fn name(&self) -> &str {
        &self.record().name
    }
    /// When it was held, at the precision the documents give.
    async fn date(&self) -> Option<String> {
        self.record().date.map(|d| d.to_string())
    }
    /// The year it was held.
    async fn year(&self) -> Option<i32> {
        self.record().date.map(|d| i32::from(d.year))
    }
    /// The host city.
    async fn city(&self) -> Option<&str> {
        self.record().city.as_deref()
    }
    /// The sport, where the documents say (`Volleyball`).
    async fn sport(&self) -> Option<&str> {
        self.record().sport.as_deref()
    }
    /// Its seasons or editions, by start.
    async fn seasons(&self) -> Vec<Season<'a>> {
        seasons(self.store, &self.record().seasons)
    }
    /// Its matches, by date, all at once.
    #[graphql(
        deprecation = "A competition can hold thousands of matches; page them with `matchesConnection`."
    )]
    async fn matches(&self) -> Vec<Match<'a>> {
        self.record()
            .matches
            .iter()
            .map(|m| Match::new(self.store, *m))
            .collect()
    }
    /// Its matches, by date, a page at a time.
    async fn matches_connection(
        &self,
        #[graphql(
            desc = "Return the first n matches (0 to 100; 20 when neither first nor last is given)."
        )]
        first: Option<i32>,
        #[graphql(desc = "Return the matches after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n matches (0 to 100).")] last: Option<i32>,
        #[graphql(desc = "Return the matches before this cursor.")] before: Option<String>,
    ) -> Result<MatchConnection<'a>> {
        let args = PageArgs::new(first, after, last, before);
        MatchConnection::by_date(self.store, &self.record().matches, &args)
    }
    /// The documents this competition's facts come from.
    async fn sources(&self) -> Vec<Source<'a>> {
        self.sources_list()
    }
    /// Where each of the competition's facts comes from.
    async fn facts(&self) -> Vec<Fact<'a>> {
        self.facts_list()
    }
}

connection!(
    CompetitionConnection,
    CompetitionEdge,
    model::Idx,
    Competition<'a>,
    "competitions",
    |s, i| Competition::new(s, i)
);
