//! `Team`.

use async_graphql::{ID, Object, Result};

use super::coaching::Coaching;
use super::connection::connection;
use super::film::Film;
use super::r#match::MatchConnection;
use super::node::entity;
use super::provenance::{Fact, Statement, statements};
use super::season::TeamSeason;
use super::source::Source;
use crate::store::model::{self, Kind, Work};
use crate::store::query::PageArgs;

entity!(Team, teams, model::Team, Kind::Team);

/// A team: a national team, or a club side it played.
#[Object]
impl<'a> Team<'a> {
    /// The global id.
    pub async fn id(&self) -> ID {
        self.global_id()
    }
    /// The slug: lowercase, URL-safe, unique among teams.
    pub async fn slug(&self) -> &str {
        &self.record().meta.slug
    }
    /// The name.
    pub async fn name(&self) -> &str {
        &self.record().name
    }
    /// Other names the documents use for the team.
    async fn aliases(&self) -> Vec<&str> {
        self.record().aliases.iter().map(|a| &**a).collect()
    }
    /// The sport it plays, where the documents say (`Volleyball`).
    async fn sport(&self) -> Option<&str> {
        self.record().sport.as_deref()
    }
    /// The competitions it plays in, season by season.
    async fn seasons(&self) -> Vec<TeamSeason<'a>> {
        let store = self.store;
        self.record()
            .seasons
            .iter()
            .map(|entry| TeamSeason { store, entry })
            .collect()
    }
    /// What the documents say about the team.
    async fn notes(&self) -> Vec<Statement<'a>> {
        statements(self.store, &self.record().notes)
    }
    /// The team's coaches.
    async fn coaches(&self) -> Vec<Coaching<'a>> {
        self.record()
            .coaches
            .iter()
            .map(|c| Coaching::new(self.store, *c))
            .collect()
    }
    /// The team's matches, by date.
    async fn matches(
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
    /// The films the team appears in as itself.
    async fn films(&self) -> Vec<Film<'a>> {
        self.record()
            .credits
            .iter()
            .filter_map(|c| match self.store.credits()[*c as usize].work {
                Work::Film(f) => Some(Film::new(self.store, f)),
                Work::Album(_) | Work::Track(_) => None,
            })
            .collect()
    }
    /// The documents this team's facts come from.
    async fn sources(&self) -> Vec<Source<'a>> {
        self.sources_list()
    }
    /// Where each of the team's own facts comes from.
    async fn facts(&self) -> Vec<Fact<'a>> {
        self.facts_list()
    }
}

connection!(
    TeamConnection,
    TeamEdge,
    model::Idx,
    Team<'a>,
    "teams",
    |s, i| Team::new(s, i)
);
