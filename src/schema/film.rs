//! `Film`.

use async_graphql::{ID, Object, Result};

use super::album::Album;
use super::company::Company;
use super::connection::{OrBadInput, connection};
use super::credit::{CastConnection, Credit};
use super::r#match::MatchConnection;
use super::node::entity;
use super::person::Person;
use super::provenance::{Award, Fact, Release, Statement, statements};
use super::source::Source;
use crate::store::model::{self, Kind, Role};
use crate::store::orders::Order;
use crate::store::query::{PageArgs, paginate};

entity!(Film, films, model::Film, Kind::Film);

impl<'a> Film<'a> {
    fn people(&self, role: Role) -> Vec<Person<'a>> {
        let s = self.store;
        self.record()
            .crew
            .iter()
            .map(|c| &s.credits()[*c as usize])
            .filter(|c| c.role == role)
            .filter_map(|c| match c.performer {
                model::Performer::Person(p) => Some(Person::new(s, p)),
                model::Performer::Team(_) | model::Performer::Group(_) => None,
            })
            .collect()
    }
}

/// A film.
#[Object]
impl<'a> Film<'a> {
    /// The global id.
    pub async fn id(&self) -> ID {
        self.global_id()
    }
    /// The slug: lowercase, URL-safe, unique among films.
    pub async fn slug(&self) -> &str {
        &self.record().meta.slug
    }
    /// The title, in English where the film has one.
    pub async fn title(&self) -> &str {
        &self.record().title
    }
    /// Readers' reviews, newest first (ties broken by id).
    pub async fn reviews(
        &self,
        ctx: &async_graphql::Context<'_>,
        #[graphql(
            desc = "Return the first n reviews (0 to 100; 20 when neither first nor last is given)."
        )]
        first: Option<i32>,
        #[graphql(desc = "Return the reviews after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n reviews (0 to 100).")] last: Option<i32>,
        #[graphql(desc = "Return the reviews before this cursor.")] before: Option<String>,
    ) -> async_graphql::Result<super::review::ReviewConnection> {
        let args = crate::store::query::PageArgs::new(first, after, last, before);
        super::review::reviews_of(ctx, self.global_id().0, args)
    }
    /// How readers' reviews rate it.
    pub async fn review_summary(
        &self,
        ctx: &async_graphql::Context<'_>,
    ) -> async_graphql::Result<super::review::ReviewSummary> {
        super::review::summary_of(ctx, self.global_id().0)
    }
    /// The title in the film's original language (`夺冠`).
    async fn original_title(&self) -> Option<&str> {
        self.record().original_title.as_deref()
    }
    /// The genres, in the source's order.
    async fn genres(&self) -> Vec<&str> {
        self.record().genres.iter().map(|g| &**g).collect()
    }
    /// The running time in minutes.
    async fn runtime_minutes(&self) -> Option<u32> {
        self.record().runtime_minutes
    }
    /// The year of the earliest release or premiere.
    async fn year(&self) -> Option<i32> {
        self.record().year.map(i32::from)
    }
    /// The primary synopsis. Where documents give several, `synopses` has them all.
    async fn synopsis(&self) -> Option<&str> {
        self.record().synopses.first().map(|t| &*t.text)
    }
    /// Every synopsis the documents give, each with its source, the primary one first.
    async fn synopses(&self) -> Vec<Statement<'a>> {
        statements(self.store, &self.record().synopses)
    }
    /// Premieres, planned and actual releases, by date. Where documents disagree on a date,
    /// each date is here with its own source.
    async fn releases(&self) -> Vec<Release<'a>> {
        self.record()
            .releases
            .iter()
            .map(|release| Release {
                store: self.store,
                release,
            })
            .collect()
    }
    /// Award entries and wins.
    async fn awards(&self) -> Vec<Award<'a>> {
        self.record()
            .awards
            .iter()
            .map(|award| Award {
                store: self.store,
                award,
            })
            .collect()
    }
    /// Other facts the documents give about the film.
    async fn notes(&self) -> Vec<Statement<'a>> {
        statements(self.store, &self.record().notes)
    }
    /// The directors.
    async fn directors(&self) -> Vec<Person<'a>> {
        self.people(Role::Director)
    }
    /// The writers.
    async fn writers(&self) -> Vec<Person<'a>> {
        self.people(Role::Writer)
    }
    /// The producers.
    async fn producers(&self) -> Vec<Person<'a>> {
        self.people(Role::Producer)
    }
    /// The composers of the score.
    async fn composers(&self) -> Vec<Person<'a>> {
        self.people(Role::Composer)
    }
    /// Every credit that is not a cast credit (director, writer, producer, composer), with
    /// its sources.
    async fn crew(&self) -> Vec<Credit<'a>> {
        self.record()
            .crew
            .iter()
            .map(|c| Credit::new(self.store, *c))
            .collect()
    }
    /// The production companies.
    async fn production_companies(&self) -> Vec<Company<'a>> {
        self.record()
            .production_companies
            .iter()
            .map(|c| Company::new(self.store, *c))
            .collect()
    }
    /// The platforms that broadcast or stream the film.
    async fn platforms(&self) -> Vec<Company<'a>> {
        self.record()
            .platforms
            .iter()
            .map(|c| Company::new(self.store, *c))
            .collect()
    }
    /// The cast in billing order: people, and teams that play themselves.
    async fn cast(
        &self,
        #[graphql(
            desc = "Return the first n cast members (0 to 100; 20 when neither first nor last is given)."
        )]
        first: Option<i32>,
        #[graphql(desc = "Return the cast members after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n cast members (0 to 100).")] last: Option<i32>,
        #[graphql(desc = "Return the cast members before this cursor.")] before: Option<String>,
    ) -> Result<CastConnection<'a>> {
        let args = PageArgs::new(first, after, last, before);
        Ok(CastConnection(
            paginate(self.store, &self.record().cast, Order::Cast, false, &args).or_bad_input()?,
        ))
    }
    /// The film's soundtrack album: the first of its albums.
    async fn soundtrack(&self) -> Option<Album<'a>> {
        self.record()
            .albums
            .first()
            .map(|a| Album::new(self.store, *a))
    }
    /// Every album of music from the film.
    async fn albums(&self) -> Vec<Album<'a>> {
        self.record()
            .albums
            .iter()
            .map(|a| Album::new(self.store, *a))
            .collect()
    }
    /// The real matches the film re-stages, by date.
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
    /// The documents this film's facts come from.
    async fn sources(&self) -> Vec<Source<'a>> {
        self.sources_list()
    }
    /// Where each of the film's own facts comes from, field by field.
    async fn facts(&self) -> Vec<Fact<'a>> {
        self.facts_list()
    }
}

connection!(
    FilmConnection,
    FilmEdge,
    model::Idx,
    Film<'a>,
    "films",
    |s, i| Film::new(s, i)
);
