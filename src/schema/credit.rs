//! Credits: who worked on a film or an album, in what role.

use async_graphql::{Enum, Object};

use super::connection::connection;
use super::node::{Performer, Work};
use super::provenance::{Fact, facts, sources};
use super::source::Source;
use crate::store::Store;
use crate::store::model::{self, Idx};

/// A role on a film or an album.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "model::Role")]
pub enum Role {
    /// Directed the film.
    Director,
    /// Wrote the screenplay.
    Writer,
    /// Produced the film or the album.
    Producer,
    /// Acted in the film, or (a team) played itself.
    Cast,
    /// Composed the music.
    Composer,
    /// Edited the album.
    Editor,
    /// Wrote the album's liner notes.
    LinerNotes,
    /// Played or sang on the recording.
    Performer,
    /// Wrote the words.
    Lyricist,
    /// Arranged the music.
    Arranger,
    /// Conducted the recording.
    Conductor,
}

fn credit(store: &Store, idx: Idx) -> &model::Credit {
    &store.credits()[idx as usize]
}

/// One credit: a person (or team) in a role on a film or an album.
pub struct Credit<'a> {
    store: &'a Store,
    idx: Idx,
}

impl<'a> Credit<'a> {
    pub fn new(store: &'a Store, idx: Idx) -> Self {
        Credit { store, idx }
    }
}

/// One credit: a person (or team) in a role on a film or an album.
#[Object]
impl<'a> Credit<'a> {
    /// The role.
    async fn role(&self) -> Role {
        credit(self.store, self.idx).role.into()
    }
    /// Who is credited.
    async fn performer(&self) -> Performer<'a> {
        Performer::new(self.store, credit(self.store, self.idx).performer)
    }
    /// What the credit is on.
    async fn work(&self) -> Work<'a> {
        Work::new(self.store, credit(self.store, self.idx).work)
    }
    /// The character played, for a cast credit, where known.
    async fn character(&self) -> Option<&'a str> {
        credit(self.store, self.idx).character.as_deref()
    }
    /// The documents that state the credit.
    async fn sources(&self) -> Vec<Source<'a>> {
        sources(self.store, &credit(self.store, self.idx).sources)
    }
    /// Where each part of the credit comes from (a character may be editorial).
    async fn facts(&self) -> Vec<Fact<'a>> {
        facts(self.store, &credit(self.store, self.idx).facts)
    }
}

connection!(
    CastConnection,
    CastEdge,
    Idx,
    Performer<'a>,
    "cast members",
    |s, i| Performer::new(s, credit(s, i).performer),
    {
        /// The character played, where known. `facts` says whether it is editorial.
        async fn character(&self) -> Option<&'a str> {
            credit(self.store, self.item).character.as_deref()
        }
        /// The position in the billing, from 1.
        async fn billing(&self) -> Option<u32> {
            credit(self.store, self.item).billing
        }
        /// The documents that state the credit.
        async fn sources(&self) -> Vec<Source<'a>> {
            sources(self.store, &credit(self.store, self.item).sources)
        }
        /// Where each part of the credit comes from (a character may be editorial).
        async fn facts(&self) -> Vec<Fact<'a>> {
            facts(self.store, &credit(self.store, self.item).facts)
        }
    }
);

connection!(
    CreditConnection,
    CreditEdge,
    Idx,
    Work<'a>,
    "credits",
    |s, i| Work::new(s, credit(s, i).work),
    {
        /// The role.
        async fn role(&self) -> Role {
            credit(self.store, self.item).role.into()
        }
        /// The character played, for a cast credit, where known.
        async fn character(&self) -> Option<&'a str> {
            credit(self.store, self.item).character.as_deref()
        }
        /// The documents that state the credit.
        async fn sources(&self) -> Vec<Source<'a>> {
            sources(self.store, &credit(self.store, self.item).sources)
        }
        /// Where each part of the credit comes from.
        async fn facts(&self) -> Vec<Fact<'a>> {
            facts(self.store, &credit(self.store, self.item).facts)
        }
    }
);
