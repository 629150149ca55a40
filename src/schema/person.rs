//! `Person`.

use async_graphql::{ID, Object, Result};

use super::album::{Album, AlbumConnection};
use super::coaching::Coaching;
use super::connection::{OrBadInput, connection};
use super::credit::CreditConnection;
use super::r#match::{Match, MatchConnection};
use super::node::entity;
use super::provenance::{Fact, Statement, statements};
use super::source::{Source, SourceConnection};
use crate::store::model::{self, Kind};
use crate::store::orders::Order;
use crate::store::query::{PageArgs, paginate};

entity!(Person, people, model::Person, Kind::Person);

/// A person: someone credited on a film or album, a coach, a commentator, an author.
#[Object]
impl<'a> Person<'a> {
    /// The global id.
    pub async fn id(&self) -> ID {
        self.global_id()
    }
    /// The slug: lowercase, URL-safe, unique among people.
    pub async fn slug(&self) -> &str {
        &self.record().meta.slug
    }
    /// The name, as the documents write it.
    pub async fn name(&self) -> &str {
        &self.record().name
    }
    /// What the documents say about the person.
    async fn notes(&self) -> Vec<Statement<'a>> {
        statements(self.store, &self.record().notes)
    }
    /// Every credit on films and albums, by year; each edge carries the role and character.
    async fn credits(
        &self,
        #[graphql(
            desc = "Return the first n credits (0 to 100; 20 when neither first nor last is given)."
        )]
        first: Option<i32>,
        #[graphql(desc = "Return the credits after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n credits (0 to 100).")] last: Option<i32>,
        #[graphql(desc = "Return the credits before this cursor.")] before: Option<String>,
    ) -> Result<CreditConnection<'a>> {
        let args = PageArgs::new(first, after, last, before);
        Ok(CreditConnection(
            paginate(
                self.store,
                &self.record().credits,
                Order::PersonCredits,
                false,
                &args,
            )
            .or_bad_input()?,
        ))
    }
    /// The groups the person is a member of.
    async fn groups(&self) -> Vec<super::group::Group<'a>> {
        let s = self.store;
        self.record()
            .groups
            .iter()
            .map(|g| super::group::Group::new(s, *g))
            .collect()
    }
    /// The albums the person is credited on or is the artist of, by title, all at once.
    #[graphql(
        deprecation = "A composer can be credited on hundreds of albums; page them with `albumsConnection`."
    )]
    async fn albums(&self) -> Vec<Album<'a>> {
        self.record()
            .albums
            .iter()
            .map(|a| Album::new(self.store, *a))
            .collect()
    }
    /// The teams the person has coached.
    async fn coaching(&self) -> Vec<Coaching<'a>> {
        self.record()
            .coaching
            .iter()
            .map(|c| Coaching::new(self.store, *c))
            .collect()
    }
    /// The matches the person commentated, by date, all at once.
    #[graphql(
        deprecation = "A commentator can call thousands of matches; page them with `commentatedConnection`."
    )]
    async fn commentated(&self) -> Vec<Match<'a>> {
        self.record()
            .commentated
            .iter()
            .map(|m| Match::new(self.store, *m))
            .collect()
    }
    /// The source documents the person wrote, by title, all at once.
    #[graphql(
        deprecation = "An author can write many of the sources; page them with `authoredConnection`."
    )]
    async fn authored(&self) -> Vec<Source<'a>> {
        self.record()
            .authored
            .iter()
            .map(|s| Source::new(self.store, *s))
            .collect()
    }
    /// The albums the person is credited on, by title, a page at a time.
    async fn albums_connection(
        &self,
        #[graphql(
            desc = "Return the first n albums (0 to 100; 20 when neither first nor last is given)."
        )]
        first: Option<i32>,
        #[graphql(desc = "Return the albums after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n albums (0 to 100).")] last: Option<i32>,
        #[graphql(desc = "Return the albums before this cursor.")] before: Option<String>,
    ) -> Result<AlbumConnection<'a>> {
        let args = PageArgs::new(first, after, last, before);
        let order = Order::Label(Kind::Album);
        AlbumConnection::page(self.store, &self.record().albums, order, &args)
    }
    /// The matches the person commentated, by date, a page at a time.
    async fn commentated_connection(
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
        MatchConnection::by_date(self.store, &self.record().commentated, &args)
    }
    /// The source documents the person wrote, by title, a page at a time.
    async fn authored_connection(
        &self,
        #[graphql(
            desc = "Return the first n sources (0 to 100; 20 when neither first nor last is given)."
        )]
        first: Option<i32>,
        #[graphql(desc = "Return the sources after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n sources (0 to 100).")] last: Option<i32>,
        #[graphql(desc = "Return the sources before this cursor.")] before: Option<String>,
    ) -> Result<SourceConnection<'a>> {
        let args = PageArgs::new(first, after, last, before);
        let order = Order::Label(Kind::Source);
        SourceConnection::page(self.store, &self.record().authored, order, &args)
    }
    /// The documents this person's facts come from.
    async fn sources(&self) -> Vec<Source<'a>> {
        self.sources_list()
    }
    /// Where each of the person's own facts comes from.
    async fn facts(&self) -> Vec<Fact<'a>> {
        self.facts_list()
    }
}

connection!(
    PersonConnection,
    PersonEdge,
    model::Idx,
    Person<'a>,
    "people",
    |s, i| Person::new(s, i)
);
