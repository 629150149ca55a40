//! `Season` (one season or edition of a competition) and `TeamSeason` (a team's place in a
//! competition, season by season).

use async_graphql::Object;

use super::competition::Competition;
use super::provenance::sources;
use super::source::Source;
use crate::store::Store;
use crate::store::model;

/// One season or edition of a competition (`2019–20`, `1981`), with its span where known.
pub struct Season<'a> {
    pub store: &'a Store,
    pub season: &'a model::Season,
}

/// One season or edition of a competition (`2019–20`, `1981`), with its span where known.
#[Object]
impl<'a> Season<'a> {
    /// The name the documents give it (`2019–20`).
    async fn name(&self) -> &str {
        &self.season.name
    }
    /// When it began, at the precision the documents give.
    async fn from(&self) -> Option<String> {
        self.season.from.map(|d| d.to_string())
    }
    /// When it ended, at the precision the documents give.
    async fn to(&self) -> Option<String> {
        self.season.to.map(|d| d.to_string())
    }
    /// The documents that give it.
    async fn sources(&self) -> Vec<Source<'a>> {
        sources(self.store, &self.season.sources)
    }
}

/// The seasons of a competition, as the schema lists them.
pub fn seasons<'a>(store: &'a Store, list: &'a [model::Season]) -> Vec<Season<'a>> {
    list.iter().map(|season| Season { store, season }).collect()
}

/// A team's place in a competition: which competition, in which season.
pub struct TeamSeason<'a> {
    pub store: &'a Store,
    pub entry: &'a model::Entry,
}

/// A team's place in a competition: which competition, in which season.
#[Object]
impl<'a> TeamSeason<'a> {
    /// The competition the team plays in.
    async fn competition(&self) -> Competition<'a> {
        Competition::new(self.store, self.entry.competition)
    }
    /// The season, where the documents name one.
    async fn season(&self) -> Option<Season<'a>> {
        let c = &self.store.competitions()[self.entry.competition as usize];
        self.entry
            .season
            .and_then(|s| c.seasons.get(s as usize))
            .map(|season| Season {
                store: self.store,
                season,
            })
    }
    /// The documents that state it.
    async fn sources(&self) -> Vec<Source<'a>> {
        sources(self.store, &self.entry.sources)
    }
}
