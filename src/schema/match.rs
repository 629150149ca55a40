//! `Match`.

use async_graphql::{ID, Object, Result};

use super::competition::Competition;
use super::connection::connection;
use super::film::Film;
use super::node::entity;
use super::person::Person;
use super::provenance::{Fact, Statement, statements};
use super::source::Source;
use super::team::Team;
use super::track::Track;
use crate::store::model::{self, Kind};
use crate::store::orders::Order;
use crate::store::query::PageArgs;

entity!(Match, matches, model::Match, Kind::Match);

/// A match the films re-stage.
#[Object]
impl<'a> Match<'a> {
    /// The global id.
    pub async fn id(&self) -> ID {
        self.global_id()
    }
    /// The slug: lowercase, URL-safe, unique among matches.
    pub async fn slug(&self) -> &str {
        &self.record().meta.slug
    }
    /// A title made from the teams and the occasion (`facts` shows it is editorial).
    pub async fn title(&self) -> &str {
        &self.record().title
    }
    /// The year the match was played.
    async fn year(&self) -> Option<i32> {
        self.record().date.map(|d| i32::from(d.year))
    }
    /// The date at the precision the documents give (`1981`, or `1981-11-16`).
    async fn date(&self) -> Option<String> {
        self.record().date.map(|d| d.to_string())
    }
    /// What kind of match it was, where the documents say (`Training match`).
    async fn kind(&self) -> Option<&str> {
        self.record().kind.as_deref()
    }
    /// The name of the competition (`1981 World Cup`); `tournament` has the full record.
    async fn competition(&self) -> Option<&str> {
        self.record()
            .competition
            .map(|c| &*self.store.competitions()[c as usize].name)
    }
    /// The competition, as a node.
    async fn tournament(&self) -> Option<Competition<'a>> {
        self.record()
            .competition
            .map(|c| Competition::new(self.store, c))
    }
    /// The stage of the competition (`Final`, `Quarterfinal`).
    async fn stage(&self) -> Option<&str> {
        self.record().stage.as_deref()
    }
    /// The city it was played in.
    async fn city(&self) -> Option<&str> {
        self.record().city.as_deref()
    }
    /// The teams that played.
    async fn teams(&self) -> Vec<Team<'a>> {
        self.record()
            .teams
            .iter()
            .map(|t| Team::new(self.store, *t))
            .collect()
    }
    /// The team that won, where the documents say.
    async fn winner(&self) -> Option<Team<'a>> {
        self.record().winner.map(|t| Team::new(self.store, t))
    }
    /// The commentators of the broadcast.
    async fn commentators(&self) -> Vec<Person<'a>> {
        self.record()
            .commentators
            .iter()
            .map(|p| Person::new(self.store, *p))
            .collect()
    }
    /// The films that re-stage the match.
    async fn films(&self) -> Vec<Film<'a>> {
        self.record()
            .films
            .iter()
            .map(|f| Film::new(self.store, *f))
            .collect()
    }
    /// The soundtrack tracks that score it.
    async fn tracks(&self) -> Vec<Track<'a>> {
        self.record()
            .tracks
            .iter()
            .map(|t| Track::new(self.store, *t))
            .collect()
    }
    /// What the documents say about the match.
    async fn notes(&self) -> Vec<Statement<'a>> {
        statements(self.store, &self.record().notes)
    }
    /// The documents this match's facts come from.
    async fn sources(&self) -> Vec<Source<'a>> {
        self.sources_list()
    }
    /// Where each of the match's facts comes from (the winner, the stage, ...).
    async fn facts(&self) -> Vec<Fact<'a>> {
        self.facts_list()
    }
}

connection!(
    MatchConnection,
    MatchEdge,
    model::Idx,
    Match<'a>,
    "matches",
    |s, i| Match::new(s, i)
);

impl<'a> MatchConnection<'a> {
    /// A page of `matches` in date order: what a film's, a team's, a competition's and a
    /// commentator's matches list.
    pub(crate) fn by_date(
        store: &'a crate::store::Store,
        matches: &'a [crate::store::model::Idx],
        args: &PageArgs,
    ) -> Result<MatchConnection<'a>> {
        MatchConnection::page(store, matches, Order::MatchDate, args)
    }
}
