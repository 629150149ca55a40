//! `Album`.

use async_graphql::{ID, Object, Result};

use super::company::Company;
use super::connection::{OrBadInput, connection};
use super::credit::Credit;
use super::film::Film;
use super::node::{Performer as PerformerNode, entity};
use super::person::Person;
use super::provenance::{Fact, Money, Statement, statements};
use super::source::Source;
use super::track::TrackConnection;
use crate::store::model::{self, Kind, Performer, Role};
use crate::store::orders::Order;
use crate::store::query::{PageArgs, paginate};

entity!(Album, albums, model::Album, Kind::Album);

impl<'a> Album<'a> {
    fn composers_list(&self) -> Vec<Person<'a>> {
        let s = self.store;
        self.record()
            .credits
            .iter()
            .map(|c| &s.credits()[*c as usize])
            .filter(|c| c.role == Role::Composer)
            .filter_map(|c| match c.performer {
                Performer::Person(p) => Some(Person::new(s, p)),
                Performer::Team(_) | Performer::Group(_) => None,
            })
            .collect()
    }
}

/// An album: a film's soundtrack.
#[Object]
impl<'a> Album<'a> {
    /// The global id.
    pub async fn id(&self) -> ID {
        self.global_id()
    }
    /// The slug: lowercase, URL-safe, unique among albums.
    pub async fn slug(&self) -> &str {
        &self.record().meta.slug
    }
    /// The title. Where no document gives one it is made from the film's (see `facts`).
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
    /// Who the album is by: a person or a group, where the documents say.
    async fn artist(&self) -> Option<PerformerNode<'a>> {
        self.record()
            .artist
            .map(|p| PerformerNode::new(self.store, p))
    }
    /// The genres, where the documents give them.
    async fn genres(&self) -> Vec<&str> {
        self.record().genres.iter().map(|g| &**g).collect()
    }
    /// The composer: the first of `composers`.
    async fn composer(&self) -> Option<Person<'a>> {
        self.composers_list().into_iter().next()
    }
    /// Everyone credited as composer.
    async fn composers(&self) -> Vec<Person<'a>> {
        self.composers_list()
    }
    /// Every credit on the album (composer, producer, editor, liner notes).
    async fn credits(&self) -> Vec<Credit<'a>> {
        self.record()
            .credits
            .iter()
            .map(|c| Credit::new(self.store, *c))
            .collect()
    }
    /// The record label.
    async fn label(&self) -> Option<Company<'a>> {
        self.record().label.map(|c| Company::new(self.store, c))
    }
    /// The physical format (`CD`).
    async fn format(&self) -> Option<&str> {
        self.record().format.as_deref()
    }
    /// The stock-keeping unit, as printed.
    async fn sku(&self) -> Option<&str> {
        self.record().sku.as_deref()
    }
    /// The ISBN, as printed.
    async fn isbn(&self) -> Option<&str> {
        self.record().isbn.as_deref()
    }
    /// The price.
    async fn price(&self) -> Option<Money<'a>> {
        self.record().price.as_ref().map(Money)
    }
    /// How many copies a limited edition has.
    async fn edition_size(&self) -> Option<u32> {
        self.record().edition_size
    }
    /// How the copies of a limited edition are numbered.
    async fn numbering(&self) -> Option<&str> {
        self.record().numbering.as_deref()
    }
    /// The running time of all its tracks, in seconds; null when a track's is unknown.
    async fn total_duration_seconds(&self) -> Option<u64> {
        self.record().total_duration_seconds
    }
    /// The film the album is from.
    async fn film(&self) -> Option<Film<'a>> {
        self.record().film.map(|f| Film::new(self.store, f))
    }
    /// The tracks, by number.
    async fn tracks(
        &self,
        #[graphql(
            desc = "Return the first n tracks (0 to 100; 20 when neither first nor last is given)."
        )]
        first: Option<i32>,
        #[graphql(desc = "Return the tracks after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n tracks (0 to 100).")] last: Option<i32>,
        #[graphql(desc = "Return the tracks before this cursor.")] before: Option<String>,
    ) -> Result<TrackConnection<'a>> {
        let args = PageArgs::new(first, after, last, before);
        Ok(TrackConnection(
            paginate(
                self.store,
                &self.record().tracks,
                Order::TrackNumber,
                false,
                &args,
            )
            .or_bad_input()?,
        ))
    }
    /// What the documents say about the album.
    async fn notes(&self) -> Vec<Statement<'a>> {
        statements(self.store, &self.record().notes)
    }
    /// The documents this album's facts come from.
    async fn sources(&self) -> Vec<Source<'a>> {
        self.sources_list()
    }
    /// Where each of the album's facts comes from (price, ISBN, title, ...).
    async fn facts(&self) -> Vec<Fact<'a>> {
        self.facts_list()
    }
}

connection!(
    AlbumConnection,
    AlbumEdge,
    model::Idx,
    Album<'a>,
    "albums",
    |s, i| Album::new(s, i)
);
