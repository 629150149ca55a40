//! `Match`.

use async_graphql::{ID, Object, Result};

use super::competition::Competition;
use super::connection::connection;
use super::film::Film;
use super::node::entity;
use super::person::Person;
use super::provenance::{Fact, Statement, statements};
use super::season::Season;
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
    /// The title the documents or the editors give; where there is none, a label the server
    /// makes from the teams and the date (then `facts` has no `title`, and search does not
    /// look at it).
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
    /// The season of the competition it belongs to.
    async fn season(&self) -> Option<Season<'a>> {
        let r = self.record();
        let c = &self.store.competitions()[r.competition? as usize];
        c.seasons.get(r.season? as usize).map(|season| Season {
            store: self.store,
            season,
        })
    }
    /// Points per side (goals, sets won), in the order of `teams`, where the documents say.
    async fn score(&self) -> Option<Vec<u32>> {
        self.record().score.as_deref().map(<[u32]>::to_vec)
    }
    /// The parts of the result where the sport has them (sets with their points, halves).
    async fn parts(&self) -> Vec<MatchPart<'a>> {
        self.record().parts.iter().map(MatchPart).collect()
    }
    /// Whether it ended in a draw: as the documents say, or false when they name a winner;
    /// null when the result is unknown.
    async fn draw(&self) -> Option<bool> {
        let r = self.record();
        r.draw.or(r.winner.map(|_| false))
    }
    /// The team that played at home, where the documents say.
    async fn home(&self) -> Option<Team<'a>> {
        self.record().home.map(|t| Team::new(self.store, t))
    }
    /// Whether it was played on neutral ground, where the documents say.
    async fn neutral(&self) -> Option<bool> {
        self.record().neutral
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

/// One part of a match's result (a set, a half), with the points each side scored in it.
pub struct MatchPart<'a>(&'a model::MatchPart);

/// One part of a match's result (a set, a half), with the points each side scored in it.
#[Object]
impl<'a> MatchPart<'a> {
    /// What the part is called (`1st set`, `2nd half`).
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Points per side, in the order of the match's `teams`.
    async fn score(&self) -> Vec<u32> {
        self.0.score.to_vec()
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
