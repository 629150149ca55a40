//! `Company`: production companies, labels and platforms.

use async_graphql::{ID, Object, Result};

use super::album::{Album, AlbumConnection};
use super::connection::connection;
use super::film::{Film, FilmConnection};
use super::node::entity;
use super::provenance::Fact;
use super::source::Source;
use crate::store::model::{self, Kind};
use crate::store::orders::Order;
use crate::store::query::PageArgs;

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
    /// The films the company produced, by year, all at once.
    #[graphql(
        deprecation = "A studio can produce thousands of films; page them with `productionsConnection`."
    )]
    async fn productions(&self) -> Vec<Film<'a>> {
        self.record()
            .produced
            .iter()
            .map(|f| Film::new(self.store, *f))
            .collect()
    }
    /// The films the company broadcasts or streams, by year, all at once.
    #[graphql(
        deprecation = "A platform can stream thousands of films; page them with `streamsConnection`."
    )]
    async fn streams(&self) -> Vec<Film<'a>> {
        self.record()
            .streams
            .iter()
            .map(|f| Film::new(self.store, *f))
            .collect()
    }
    /// The albums the company released as a label, by title, all at once.
    #[graphql(
        deprecation = "A label can release thousands of albums; page them with `albumsConnection`."
    )]
    async fn albums(&self) -> Vec<Album<'a>> {
        self.record()
            .labelled
            .iter()
            .map(|a| Album::new(self.store, *a))
            .collect()
    }
    /// The films the company produced, by year, a page at a time.
    async fn productions_connection(
        &self,
        #[graphql(
            desc = "Return the first n films (0 to 100; 20 when neither first nor last is given)."
        )]
        first: Option<i32>,
        #[graphql(desc = "Return the films after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n films (0 to 100).")] last: Option<i32>,
        #[graphql(desc = "Return the films before this cursor.")] before: Option<String>,
    ) -> Result<FilmConnection<'a>> {
        let args = PageArgs::new(first, after, last, before);
        FilmConnection::page(self.store, &self.record().produced, Order::FilmYear, &args)
    }
    /// The films the company broadcasts or streams, by year, a page at a time.
    async fn streams_connection(
        &self,
        #[graphql(
            desc = "Return the first n films (0 to 100; 20 when neither first nor last is given)."
        )]
        first: Option<i32>,
        #[graphql(desc = "Return the films after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n films (0 to 100).")] last: Option<i32>,
        #[graphql(desc = "Return the films before this cursor.")] before: Option<String>,
    ) -> Result<FilmConnection<'a>> {
        let args = PageArgs::new(first, after, last, before);
        FilmConnection::page(self.store, &self.record().streams, Order::FilmYear, &args)
    }
    /// The albums the company released as a label, by title, a page at a time.
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
        AlbumConnection::page(self.store, &self.record().labelled, order, &args)
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
