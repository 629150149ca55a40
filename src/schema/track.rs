//! `Track`.

use async_graphql::{ID, Object};

use super::album::Album;
use super::connection::connection;
use super::credit::Credit;
use super::r#match::Match;
use super::node::entity;
use super::provenance::Fact;
use super::source::Source;
use crate::store::model::{self, Kind};

entity!(Track, tracks, model::Track, Kind::Track);

/// A track of an album.
#[Object]
impl<'a> Track<'a> {
    /// The global id.
    pub async fn id(&self) -> ID {
        self.global_id()
    }
    /// The slug: lowercase, URL-safe, unique among tracks.
    pub async fn slug(&self) -> &str {
        &self.record().meta.slug
    }
    /// The track's number on its album, from 1, where the documents give one.
    async fn number(&self) -> Option<u32> {
        self.record().number
    }
    /// The title, as printed.
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
    /// The running time as printed on the sleeve (`03:46`), where the documents give it.
    async fn duration(&self) -> Option<&str> {
        self.record().duration.as_ref().map(|d| &*d.text)
    }
    /// The running time in seconds, where the documents give it.
    async fn duration_seconds(&self) -> Option<u32> {
        self.record().duration.as_ref().map(|d| d.seconds)
    }
    /// The genres, where the documents give them.
    async fn genres(&self) -> Vec<&str> {
        self.record().genres.iter().map(|g| &**g).collect()
    }
    /// Who is credited on the track (composer, performer, ...), by role.
    async fn credits(&self) -> Vec<Credit<'a>> {
        self.record()
            .credits
            .iter()
            .map(|c| Credit::new(self.store, *c))
            .collect()
    }
    /// The album.
    async fn album(&self) -> Album<'a> {
        Album::new(self.store, self.record().album)
    }
    /// The matches the track scores in the film.
    async fn depicts(&self) -> Vec<Match<'a>> {
        self.record()
            .depicts
            .iter()
            .map(|m| Match::new(self.store, *m))
            .collect()
    }
    /// The documents this track's facts come from.
    async fn sources(&self) -> Vec<Source<'a>> {
        self.sources_list()
    }
    /// Where each of the track's facts comes from (`depicts` is editorial).
    async fn facts(&self) -> Vec<Fact<'a>> {
        self.facts_list()
    }
}

connection!(
    TrackConnection,
    TrackEdge,
    model::Idx,
    Track<'a>,
    "tracks",
    |s, i| Track::new(s, i)
);
