//! The interfaces `Performer` (who can be cast: a person, a group, or a team that plays
//! itself) and `Work` (what can be credited: a film, an album or a track), and the wrapper
//! every entity type is made with (`entity!`). `Node`, which every kind is, is made from the
//! table of kinds in `mod.rs`.

use async_graphql::{ID, Interface};

use super::album::Album;
use super::film::Film;
use super::group::Group;
use super::person::Person;
use super::review::{ReviewConnection, ReviewSummary};
use super::team::Team;
use super::track::Track;
use crate::store::Store;
use crate::store::model::{Performer as P, Work as W};

/// Defines the wrapper of one kind of entity: a borrowed store and an index into its table.
macro_rules! entity {
    ($name:ident, $table:ident, $record:ty, $kind:expr) => {
        #[derive(Clone, Copy)]
        pub struct $name<'a> {
            pub store: &'a crate::store::Store,
            pub idx: crate::store::model::Idx,
        }

        impl<'a> $name<'a> {
            pub fn new(store: &'a crate::store::Store, idx: crate::store::model::Idx) -> Self {
                $name { store, idx }
            }
            /// The record; the index came from the store, so it is always in range.
            pub fn record(&self) -> &'a $record {
                &self.store.$table()[self.idx as usize]
            }
            pub fn global_id(&self) -> async_graphql::ID {
                async_graphql::ID(crate::store::ids::encode($kind, &self.record().meta.slug))
            }
            // Every entity but a source lists its sources; a source is its own.
            #[allow(dead_code)]
            pub fn sources_list(&self) -> Vec<super::source::Source<'a>> {
                super::provenance::sources(self.store, &self.record().meta.sources)
            }
            pub fn facts_list(&self) -> Vec<super::provenance::Fact<'a>> {
                super::provenance::facts(self.store, &self.record().meta.facts)
            }
        }
    };
}
pub(crate) use entity;

/// Someone who can be credited: a person, a group, or a team that plays itself.
// Each `field(...)` names a different field; clippy reads the repeated keys as duplicates.
#[allow(clippy::duplicated_attributes)]
#[derive(Interface)]
#[graphql(
    field(name = "id", ty = "ID", desc = "The global id."),
    field(
        name = "slug",
        ty = "&str",
        desc = "The slug: lowercase, URL-safe, unique among its type."
    ),
    field(name = "name", ty = "&str", desc = "The name.")
)]
pub enum Performer<'a> {
    Person(Person<'a>),
    Team(Team<'a>),
    Group(Group<'a>),
}

impl<'a> Performer<'a> {
    pub fn new(store: &'a Store, p: P) -> Performer<'a> {
        match p {
            P::Person(i) => Performer::Person(Person::new(store, i)),
            P::Team(i) => Performer::Team(Team::new(store, i)),
            P::Group(i) => Performer::Group(Group::new(store, i)),
        }
    }
}

/// Something people are credited on: a film, an album or a track.
#[allow(clippy::duplicated_attributes)]
#[derive(Interface)]
#[graphql(
    field(name = "id", ty = "ID", desc = "The global id."),
    field(
        name = "slug",
        ty = "&str",
        desc = "The slug: lowercase, URL-safe, unique among its type."
    ),
    field(name = "title", ty = "&str", desc = "The title."),
    field(
        name = "reviews",
        ty = "ReviewConnection",
        desc = "Readers' reviews, newest first.",
        arg(
            name = "first",
            ty = "Option<i32>",
            desc = "Return the first n reviews (0 to 100; 20 when neither first nor last is given)."
        ),
        arg(
            name = "after",
            ty = "Option<String>",
            desc = "Return the reviews after this cursor."
        ),
        arg(
            name = "last",
            ty = "Option<i32>",
            desc = "Return the last n reviews (0 to 100)."
        ),
        arg(
            name = "before",
            ty = "Option<String>",
            desc = "Return the reviews before this cursor."
        )
    ),
    field(
        name = "review_summary",
        ty = "ReviewSummary",
        desc = "How readers' reviews rate it."
    )
)]
pub enum Work<'a> {
    Film(Film<'a>),
    Album(Album<'a>),
    Track(Track<'a>),
}

impl<'a> Work<'a> {
    pub fn new(store: &'a Store, w: W) -> Work<'a> {
        match w {
            W::Film(i) => Work::Film(Film::new(store, i)),
            W::Album(i) => Work::Album(Album::new(store, i)),
            W::Track(i) => Work::Track(Track::new(store, i)),
        }
    }
}
