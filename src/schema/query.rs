//! The root of the schema: lookups by id or slug, the root lists, and search.

use std::sync::Arc;

use async_graphql::{Context, Enum, ID, InputObject, Object, Result};

use super::album::{Album, AlbumConnection};
use super::company::{Company, CompanyConnection};
use super::competition::{Competition, CompetitionConnection};
use super::connection::OrBadInput;
use super::film::{Film, FilmConnection};
use super::r#match::{Match, MatchConnection};
use super::person::{Person, PersonConnection};
use super::search::SearchConnection;
use super::source::{Source, SourceConnection};
use super::team::{Team, TeamConnection};
use super::track::{Track, TrackConnection};
use super::{Node, NodeType};
use crate::store::Store;
use crate::store::model::Kind;
use crate::store::query::{self as q, PageArgs};

/// The store this request runs against: the graph that was current when it started.
pub fn store<'a>(ctx: &Context<'a>) -> Result<&'a Store> {
    Ok(ctx.data::<Arc<Store>>()?.as_ref())
}

/// The direction of an order.
#[derive(Enum, Clone, Copy, PartialEq, Eq, Default)]
pub enum OrderDirection {
    /// Smallest first (A to Z, earliest first).
    #[default]
    Asc,
    /// Largest first.
    Desc,
}

impl OrderDirection {
    fn descending(self) -> bool {
        self == OrderDirection::Desc
    }
}

/// Reads a GraphQL order input into the query layer's order.
macro_rules! order_into_query {
    ($order:ident, |$o:ident| $make:expr) => {
        impl From<$order> for q::$order {
            fn from($o: $order) -> q::$order {
                $make
            }
        }
    };
}

/// Reads a GraphQL filter input into the query layer's filter, field by field.
macro_rules! filter_into_query {
    ($filter:ident { $($field:ident),* }) => {
        impl From<$filter> for q::$filter {
            fn from(f: $filter) -> q::$filter {
                q::$filter { $($field: f.$field),* }
            }
        }
    };
}

/// What films can be ordered by.
#[derive(Enum, Clone, Copy, PartialEq, Eq, Default)]
#[graphql(remote = "q::FilmOrderField")]
pub enum FilmOrderField {
    /// By title, ignoring case and accents.
    #[default]
    Title,
    /// By year of first release, then title.
    Year,
}

/// How to order films.
#[derive(InputObject, Clone, Copy, Default)]
pub struct FilmOrder {
    /// What to order by.
    #[graphql(default)]
    pub field: FilmOrderField,
    /// Which way.
    #[graphql(default)]
    pub direction: OrderDirection,
}

/// Which films to list.
#[derive(InputObject, Clone, Default)]
pub struct FilmFilter {
    /// Only films first released in this year.
    pub year: Option<i32>,
    /// Only films whose title (or original title) contains this text, ignoring case and accents.
    pub title_contains: Option<String>,
}

order_into_query!(FilmOrder, |o| q::FilmOrder {
    field: o.field.into(),
    descending: o.direction.descending(),
});
filter_into_query!(FilmFilter {
    year,
    title_contains
});

/// What people can be ordered by.
#[derive(Enum, Clone, Copy, PartialEq, Eq, Default)]
pub enum PersonOrderField {
    /// By name, ignoring case and accents.
    #[default]
    Name,
}

/// How to order people.
#[derive(InputObject, Clone, Copy, Default)]
pub struct PersonOrder {
    /// What to order by.
    #[graphql(default)]
    pub field: PersonOrderField,
    /// Which way.
    #[graphql(default)]
    pub direction: OrderDirection,
}

/// Which people to list.
#[derive(InputObject, Clone, Default)]
pub struct PersonFilter {
    /// Only people whose name contains this text, ignoring case and accents.
    pub name_contains: Option<String>,
}

order_into_query!(PersonOrder, |o| q::PersonOrder {
    descending: o.direction.descending(),
});
filter_into_query!(PersonFilter { name_contains });

/// What matches can be ordered by.
#[derive(Enum, Clone, Copy, PartialEq, Eq, Default)]
#[graphql(remote = "q::MatchOrderField")]
pub enum MatchOrderField {
    /// By date; undated matches last.
    #[default]
    Date,
    /// By title.
    Title,
}

/// How to order matches.
#[derive(InputObject, Clone, Copy, Default)]
pub struct MatchOrder {
    /// What to order by.
    #[graphql(default)]
    pub field: MatchOrderField,
    /// Which way.
    #[graphql(default)]
    pub direction: OrderDirection,
}

/// Which matches to list.
#[derive(InputObject, Clone, Default)]
pub struct MatchFilter {
    /// Only matches played in this year.
    pub year: Option<i32>,
    /// Only matches on or after this date (`1981`, `2008-08`, `2016-08-16`).
    pub from: Option<String>,
    /// Only matches on or before this date.
    pub to: Option<String>,
    /// Only matches this team (a slug) played in.
    pub team: Option<String>,
    /// Only matches of this competition (a slug).
    pub competition: Option<String>,
}

order_into_query!(MatchOrder, |o| q::MatchOrder {
    field: o.field.into(),
    descending: o.direction.descending(),
});
filter_into_query!(MatchFilter {
    year,
    from,
    to,
    team,
    competition
});

/// What tracks can be ordered by.
#[derive(Enum, Clone, Copy, PartialEq, Eq, Default)]
#[graphql(remote = "q::TrackOrderField")]
pub enum TrackOrderField {
    /// By track number, then slug.
    #[default]
    Number,
    /// By title, ignoring case and accents.
    Title,
    /// By running time, then track number.
    Duration,
}

/// How to order tracks.
#[derive(InputObject, Clone, Copy, Default)]
pub struct TrackOrder {
    /// What to order by.
    #[graphql(default)]
    pub field: TrackOrderField,
    /// Which way.
    #[graphql(default)]
    pub direction: OrderDirection,
}

/// Which tracks to list.
#[derive(InputObject, Clone, Default)]
pub struct TrackFilter {
    /// Only tracks of this album (a slug).
    pub album: Option<String>,
    /// Only tracks whose title contains this text, ignoring case and accents.
    pub title_contains: Option<String>,
    /// Only tracks at least this many seconds long.
    pub min_duration_seconds: Option<i32>,
    /// Only tracks at most this many seconds long.
    pub max_duration_seconds: Option<i32>,
}

order_into_query!(TrackOrder, |o| q::TrackOrder {
    field: o.field.into(),
    descending: o.direction.descending(),
});
filter_into_query!(TrackFilter {
    album,
    title_contains,
    min_duration_seconds,
    max_duration_seconds
});

/// The node a global id names: an entity of the catalogue, or a review.
fn node<'a>(ctx: &Context<'a>, id: &str) -> Result<Option<Node<'a>>> {
    if crate::reviews::model::is_review_id(id) {
        return Ok(super::review::node(ctx, id)?.map(Node::Review));
    }
    let s = store(ctx)?;
    Ok(q::node_by_id(s, id)
        .or_bad_input()?
        .map(|n| Node::new(s, n)))
}

/// Resolves a root lookup's `id` or `slug` (exactly one) to an entity of `kind`.
pub(super) fn lookup(
    store: &Store,
    kind: Kind,
    id: Option<ID>,
    slug: Option<String>,
) -> Result<Option<crate::store::model::Idx>> {
    q::lookup(
        store,
        kind,
        id.as_deref().map(String::as_str),
        slug.as_deref(),
    )
    .or_bad_input()
}

/// The root fields of most kinds, and search (see `super::Query`, which merges them).
#[derive(Default)]
pub struct QueryRoot;

#[Object]
impl QueryRoot {
    /// Fetches any entity by its global id. Null for a well-formed id that names nothing.
    async fn node<'a>(
        &self,
        ctx: &Context<'a>,
        #[graphql(desc = "A global id.")] id: ID,
    ) -> Result<Option<Node<'a>>> {
        node(ctx, &id)
    }

    /// Fetches entities by global id, in the order given (at most 100). Null for each
    /// well-formed id that names nothing.
    async fn nodes<'a>(
        &self,
        ctx: &Context<'a>,
        #[graphql(desc = "Global ids, at most 100.")] ids: Vec<ID>,
    ) -> Result<Vec<Option<Node<'a>>>> {
        q::check_id_count(ids.len()).or_bad_input()?;
        ids.iter().map(|id| node(ctx, id)).collect()
    }

    /// A film by `id` or `slug` (exactly one).
    async fn film<'a>(
        &self,
        ctx: &Context<'a>,
        #[graphql(desc = "The film's global id.")] id: Option<ID>,
        #[graphql(desc = "The film's slug.")] slug: Option<String>,
    ) -> Result<Option<Film<'a>>> {
        let s = store(ctx)?;
        Ok(lookup(s, Kind::Film, id, slug)?.map(|i| Film::new(s, i)))
    }

    /// A person by `id` or `slug` (exactly one).
    async fn person<'a>(
        &self,
        ctx: &Context<'a>,
        #[graphql(desc = "The person's global id.")] id: Option<ID>,
        #[graphql(desc = "The person's slug.")] slug: Option<String>,
    ) -> Result<Option<Person<'a>>> {
        let s = store(ctx)?;
        Ok(lookup(s, Kind::Person, id, slug)?.map(|i| Person::new(s, i)))
    }

    /// A team by `id` or `slug` (exactly one).
    async fn team<'a>(
        &self,
        ctx: &Context<'a>,
        #[graphql(desc = "The team's global id.")] id: Option<ID>,
        #[graphql(desc = "The team's slug.")] slug: Option<String>,
    ) -> Result<Option<Team<'a>>> {
        let s = store(ctx)?;
        Ok(lookup(s, Kind::Team, id, slug)?.map(|i| Team::new(s, i)))
    }

    /// A match by `id` or `slug` (exactly one).
    #[graphql(name = "match")]
    async fn match_<'a>(
        &self,
        ctx: &Context<'a>,
        #[graphql(desc = "The match's global id.")] id: Option<ID>,
        #[graphql(desc = "The match's slug.")] slug: Option<String>,
    ) -> Result<Option<Match<'a>>> {
        let s = store(ctx)?;
        Ok(lookup(s, Kind::Match, id, slug)?.map(|i| Match::new(s, i)))
    }

    /// An album by `id` or `slug` (exactly one).
    async fn album<'a>(
        &self,
        ctx: &Context<'a>,
        #[graphql(desc = "The album's global id.")] id: Option<ID>,
        #[graphql(desc = "The album's slug.")] slug: Option<String>,
    ) -> Result<Option<Album<'a>>> {
        let s = store(ctx)?;
        Ok(lookup(s, Kind::Album, id, slug)?.map(|i| Album::new(s, i)))
    }

    /// A track by `id` or `slug` (exactly one).
    async fn track<'a>(
        &self,
        ctx: &Context<'a>,
        #[graphql(desc = "The track's global id.")] id: Option<ID>,
        #[graphql(desc = "The track's slug.")] slug: Option<String>,
    ) -> Result<Option<Track<'a>>> {
        let s = store(ctx)?;
        Ok(lookup(s, Kind::Track, id, slug)?.map(|i| Track::new(s, i)))
    }

    /// A company by `id` or `slug` (exactly one).
    async fn company<'a>(
        &self,
        ctx: &Context<'a>,
        #[graphql(desc = "The company's global id.")] id: Option<ID>,
        #[graphql(desc = "The company's slug.")] slug: Option<String>,
    ) -> Result<Option<Company<'a>>> {
        let s = store(ctx)?;
        Ok(lookup(s, Kind::Company, id, slug)?.map(|i| Company::new(s, i)))
    }

    /// A competition by `id` or `slug` (exactly one).
    async fn competition<'a>(
        &self,
        ctx: &Context<'a>,
        #[graphql(desc = "The competition's global id.")] id: Option<ID>,
        #[graphql(desc = "The competition's slug.")] slug: Option<String>,
    ) -> Result<Option<Competition<'a>>> {
        let s = store(ctx)?;
        Ok(lookup(s, Kind::Competition, id, slug)?.map(|i| Competition::new(s, i)))
    }

    /// A source document by `id` or `slug` (exactly one).
    async fn source<'a>(
        &self,
        ctx: &Context<'a>,
        #[graphql(desc = "The source's global id.")] id: Option<ID>,
        #[graphql(desc = "The source's slug.")] slug: Option<String>,
    ) -> Result<Option<Source<'a>>> {
        let s = store(ctx)?;
        Ok(lookup(s, Kind::Source, id, slug)?.map(|i| Source::new(s, i)))
    }

    /// Every film, by title unless `orderBy` says otherwise.
    #[allow(clippy::too_many_arguments)]
    async fn films<'a>(
        &self,
        ctx: &Context<'a>,
        #[graphql(
            desc = "Return the first n films (0 to 100; 20 when neither first nor last is given)."
        )]
        first: Option<i32>,
        #[graphql(desc = "Return the films after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n films (0 to 100).")] last: Option<i32>,
        #[graphql(desc = "Return the films before this cursor.")] before: Option<String>,
        #[graphql(desc = "Which films to list.")] filter: Option<FilmFilter>,
        #[graphql(desc = "How to order them.")] order_by: Option<FilmOrder>,
    ) -> Result<FilmConnection<'a>> {
        let s = store(ctx)?;
        let args = PageArgs::new(first, after, last, before);
        let page = q::films_page(s, &args, filter.map(Into::into), order_by.map(Into::into));
        Ok(FilmConnection(page.or_bad_input()?))
    }

    /// Every person, by name.
    #[allow(clippy::too_many_arguments)]
    async fn people<'a>(
        &self,
        ctx: &Context<'a>,
        #[graphql(
            desc = "Return the first n people (0 to 100; 20 when neither first nor last is given)."
        )]
        first: Option<i32>,
        #[graphql(desc = "Return the people after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n people (0 to 100).")] last: Option<i32>,
        #[graphql(desc = "Return the people before this cursor.")] before: Option<String>,
        #[graphql(desc = "Which people to list.")] filter: Option<PersonFilter>,
        #[graphql(desc = "How to order them.")] order_by: Option<PersonOrder>,
    ) -> Result<PersonConnection<'a>> {
        let s = store(ctx)?;
        let args = PageArgs::new(first, after, last, before);
        let page = q::people_page(s, &args, filter.map(Into::into), order_by.map(Into::into));
        Ok(PersonConnection(page.or_bad_input()?))
    }

    /// Every team, by name.
    async fn teams<'a>(
        &self,
        ctx: &Context<'a>,
        #[graphql(
            desc = "Return the first n teams (0 to 100; 20 when neither first nor last is given)."
        )]
        first: Option<i32>,
        #[graphql(desc = "Return the teams after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n teams (0 to 100).")] last: Option<i32>,
        #[graphql(desc = "Return the teams before this cursor.")] before: Option<String>,
    ) -> Result<TeamConnection<'a>> {
        let s = store(ctx)?;
        let args = PageArgs::new(first, after, last, before);
        Ok(TeamConnection(
            q::label_page(s, Kind::Team, &args).or_bad_input()?,
        ))
    }

    /// Every match, by date unless `orderBy` says otherwise.
    #[allow(clippy::too_many_arguments)]
    async fn matches<'a>(
        &self,
        ctx: &Context<'a>,
        #[graphql(
            desc = "Return the first n matches (0 to 100; 20 when neither first nor last is given)."
        )]
        first: Option<i32>,
        #[graphql(desc = "Return the matches after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n matches (0 to 100).")] last: Option<i32>,
        #[graphql(desc = "Return the matches before this cursor.")] before: Option<String>,
        #[graphql(desc = "Which matches to list.")] filter: Option<MatchFilter>,
        #[graphql(desc = "How to order them.")] order_by: Option<MatchOrder>,
    ) -> Result<MatchConnection<'a>> {
        let s = store(ctx)?;
        let args = PageArgs::new(first, after, last, before);
        let page = q::matches_page(s, &args, filter.map(Into::into), order_by.map(Into::into));
        Ok(MatchConnection(page.or_bad_input()?))
    }

    /// Every album, by title.
    async fn albums<'a>(
        &self,
        ctx: &Context<'a>,
        #[graphql(
            desc = "Return the first n albums (0 to 100; 20 when neither first nor last is given)."
        )]
        first: Option<i32>,
        #[graphql(desc = "Return the albums after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n albums (0 to 100).")] last: Option<i32>,
        #[graphql(desc = "Return the albums before this cursor.")] before: Option<String>,
    ) -> Result<AlbumConnection<'a>> {
        let s = store(ctx)?;
        let args = PageArgs::new(first, after, last, before);
        Ok(AlbumConnection(
            q::label_page(s, Kind::Album, &args).or_bad_input()?,
        ))
    }

    /// Every track of every album, by number unless `orderBy` says otherwise.
    #[allow(clippy::too_many_arguments)]
    async fn tracks<'a>(
        &self,
        ctx: &Context<'a>,
        #[graphql(
            desc = "Return the first n tracks (0 to 100; 20 when neither first nor last is given)."
        )]
        first: Option<i32>,
        #[graphql(desc = "Return the tracks after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n tracks (0 to 100).")] last: Option<i32>,
        #[graphql(desc = "Return the tracks before this cursor.")] before: Option<String>,
        #[graphql(desc = "Which tracks to list.")] filter: Option<TrackFilter>,
        #[graphql(desc = "How to order them.")] order_by: Option<TrackOrder>,
    ) -> Result<TrackConnection<'a>> {
        let s = store(ctx)?;
        let args = PageArgs::new(first, after, last, before);
        let page = q::tracks_page(s, &args, filter.map(Into::into), order_by.map(Into::into));
        Ok(TrackConnection(page.or_bad_input()?))
    }

    /// Every company, by name.
    async fn companies<'a>(
        &self,
        ctx: &Context<'a>,
        #[graphql(
            desc = "Return the first n companies (0 to 100; 20 when neither first nor last is given)."
        )]
        first: Option<i32>,
        #[graphql(desc = "Return the companies after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n companies (0 to 100).")] last: Option<i32>,
        #[graphql(desc = "Return the companies before this cursor.")] before: Option<String>,
    ) -> Result<CompanyConnection<'a>> {
        let s = store(ctx)?;
        let args = PageArgs::new(first, after, last, before);
        Ok(CompanyConnection(
            q::label_page(s, Kind::Company, &args).or_bad_input()?,
        ))
    }

    /// Every competition, by name.
    async fn competitions<'a>(
        &self,
        ctx: &Context<'a>,
        #[graphql(
            desc = "Return the first n competitions (0 to 100; 20 when neither first nor last is given)."
        )]
        first: Option<i32>,
        #[graphql(desc = "Return the competitions after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n competitions (0 to 100).")] last: Option<i32>,
        #[graphql(desc = "Return the competitions before this cursor.")] before: Option<String>,
    ) -> Result<CompetitionConnection<'a>> {
        let s = store(ctx)?;
        let args = PageArgs::new(first, after, last, before);
        Ok(CompetitionConnection(
            q::label_page(s, Kind::Competition, &args).or_bad_input()?,
        ))
    }

    /// Every source document, by title.
    async fn sources<'a>(
        &self,
        ctx: &Context<'a>,
        #[graphql(
            desc = "Return the first n sources (0 to 100; 20 when neither first nor last is given)."
        )]
        first: Option<i32>,
        #[graphql(desc = "Return the sources after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n sources (0 to 100).")] last: Option<i32>,
        #[graphql(desc = "Return the sources before this cursor.")] before: Option<String>,
    ) -> Result<SourceConnection<'a>> {
        let s = store(ctx)?;
        let args = PageArgs::new(first, after, last, before);
        Ok(SourceConnection(
            q::label_page(s, Kind::Source, &args).or_bad_input()?,
        ))
    }

    /// Searches the names and titles of every node, ignoring case and accents; works for
    /// Chinese (`夺冠`). Exact matches come first, then prefix matches, then the rest.
    #[allow(clippy::too_many_arguments)]
    async fn search<'a>(
        &self,
        ctx: &Context<'a>,
        #[graphql(desc = "The text to search for (1 to 200 characters).")] query: String,
        #[graphql(desc = "Only nodes of these types; every type when absent.")] types: Option<
            Vec<NodeType>,
        >,
        #[graphql(
            desc = "Return the first n results (0 to 100; 20 when neither first nor last is given)."
        )]
        first: Option<i32>,
        #[graphql(desc = "Return the results after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n results (0 to 100).")] last: Option<i32>,
        #[graphql(desc = "Return the results before this cursor.")] before: Option<String>,
    ) -> Result<SearchConnection<'a>> {
        let s = store(ctx)?;
        let args = PageArgs::new(first, after, last, before);
        let kinds: Option<Vec<Kind>> = types.map(|t| t.into_iter().map(Kind::from).collect());
        let page = q::search_page(s, &args, &query, kinds.as_deref());
        Ok(SearchConnection(page.or_bad_input()?))
    }
}
