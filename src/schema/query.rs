//! The root of the schema: lookups by id or slug, the root lists, and search.

use std::sync::Arc;

use async_graphql::{Context, Enum, ID, InputObject, Object, Result};

use super::album::{Album, AlbumConnection};
use super::company::{Company, CompanyConnection};
use super::competition::{Competition, CompetitionConnection};
use super::connection::{MAX_PAGE, PageArgs, Paged, paginate, paginate_seek};
use super::error::bad_input;
use super::film::{Film, FilmConnection};
use super::ids;
use super::r#match::{Match, MatchConnection};
use super::node::Node;
use super::person::{Person, PersonConnection};
pub(crate) use super::search::Hit;
use super::search::{Hits, SearchConnection};
use super::source::{Source, SourceConnection};
use super::team::{Team, TeamConnection};
use super::track::{Track, TrackConnection};
use crate::store::Store;
use crate::store::model::{Idx, Kind, NodeRef};
use crate::store::orders::Order;
use crate::store::search::fold;
use crate::store::values::PartialDate;

/// The longest text a filter or search may be given.
const MAX_QUERY_CHARS: usize = 200;

/// The store this request runs against: the graph that was current when it started.
pub fn store<'a>(ctx: &Context<'a>) -> Result<&'a Store> {
    Ok(ctx.data::<Arc<Store>>()?.as_ref())
}

/// Resolves a root lookup's `id` or `slug` (exactly one) to an entity of `kind`.
pub(crate) fn lookup(
    store: &Store,
    kind: Kind,
    id: Option<ID>,
    slug: Option<String>,
) -> Result<Option<Idx>> {
    match (id, slug) {
        (Some(id), None) => match ids::decode(&id) {
            Some((k, slug)) if k == kind => Ok(store.find(kind, &slug)),
            Some((k, _)) => Err(bad_input(format!(
                "`id` names a {}, not a {}",
                k.name(),
                kind.name()
            ))),
            None => Err(bad_input(format!("`id` is not a valid {} id", kind.name()))),
        },
        (None, Some(slug)) => Ok(store.find(kind, &slug)),
        _ => Err(bad_input("give exactly one of `id` and `slug`")),
    }
}

pub(crate) fn node_by_id(store: &Store, id: &str) -> Result<Option<NodeRef>> {
    let (kind, slug) = ids::decode(id)
        .ok_or_else(|| bad_input(format!("\"{}\" is not a valid id", truncate(id))))?;
    Ok(store.find(kind, &slug).map(|idx| NodeRef { kind, idx }))
}

fn truncate(text: &str) -> String {
    text.chars().take(40).collect()
}

/// Folds a filter's text, refusing text that is too long.
fn filter_text(text: &str, arg: &str) -> Result<String> {
    if text.chars().count() > MAX_QUERY_CHARS {
        return Err(bad_input(format!(
            "`{arg}` may be at most {MAX_QUERY_CHARS} characters"
        )));
    }
    Ok(fold(text))
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

/// What films can be ordered by.
#[derive(Enum, Clone, Copy, PartialEq, Eq, Default)]
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

/// What matches can be ordered by.
#[derive(Enum, Clone, Copy, PartialEq, Eq, Default)]
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

/// What tracks can be ordered by.
#[derive(Enum, Clone, Copy, PartialEq, Eq, Default)]
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

/// The types of node, to narrow a search.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum NodeType {
    /// Films.
    Film,
    /// People.
    Person,
    /// Teams.
    Team,
    /// Matches.
    Match,
    /// Albums.
    Album,
    /// Tracks.
    Track,
    /// Companies.
    Company,
    /// Competitions.
    Competition,
    /// Source documents.
    Source,
}

impl NodeType {
    fn kind(self) -> Kind {
        match self {
            NodeType::Film => Kind::Film,
            NodeType::Person => Kind::Person,
            NodeType::Team => Kind::Team,
            NodeType::Match => Kind::Match,
            NodeType::Album => Kind::Album,
            NodeType::Track => Kind::Track,
            NodeType::Company => Kind::Company,
            NodeType::Competition => Kind::Competition,
            NodeType::Source => Kind::Source,
        }
    }
}

/// Keeps the indices of `list` (in its order) for which `keep` holds.
fn filtered(list: &[Idx], keep: impl Fn(Idx) -> bool) -> Vec<Idx> {
    list.iter().copied().filter(|i| keep(*i)).collect()
}

fn parse_date(text: &str, arg: &str) -> Result<PartialDate> {
    PartialDate::parse(text).map_err(|e| bad_input(format!("`{arg}`: {e}")))
}

/// The page of `films` the arguments select; `Query::films` and the plan executor share it.
pub(crate) fn films_page<'a>(
    s: &'a Store,
    args: &PageArgs,
    filter: Option<FilmFilter>,
    order_by: Option<FilmOrder>,
) -> Result<Paged<'a, Idx>> {
    let order_by = order_by.unwrap_or_default();
    let (list, order) = match order_by.field {
        FilmOrderField::Title => (s.orders().label(Kind::Film), Order::Label(Kind::Film)),
        FilmOrderField::Year => (s.orders().films_by_year.as_slice(), Order::FilmYear),
    };
    let desc = order_by.direction.descending();
    let Some(filter) = filter else {
        return paginate(s, list, order, desc, args);
    };
    let title = filter
        .title_contains
        .as_deref()
        .map(|t| filter_text(t, "titleContains"))
        .transpose()?;
    let list = filtered(list, |i| {
        let f = &s.films()[i as usize];
        filter.year.is_none_or(|y| f.year.map(i32::from) == Some(y))
            && title.as_deref().is_none_or(|t| {
                fold(&f.title).contains(t)
                    || f.original_title
                        .as_deref()
                        .is_some_and(|o| fold(o).contains(t))
            })
    });
    paginate(s, &list, order, desc, args)
}

/// The page of `people` the arguments select; `Query::people` and the plan executor share it.
pub(crate) fn people_page<'a>(
    s: &'a Store,
    args: &PageArgs,
    filter: Option<PersonFilter>,
    order_by: Option<PersonOrder>,
) -> Result<Paged<'a, Idx>> {
    let order_by = order_by.unwrap_or_default();
    let (list, order) = (s.orders().label(Kind::Person), Order::Label(Kind::Person));
    let desc = order_by.direction.descending();
    match filter.and_then(|f| f.name_contains) {
        None => paginate(s, list, order, desc, args),
        Some(name) => {
            let name = filter_text(&name, "nameContains")?;
            let list = filtered(list, |i| fold(&s.people()[i as usize].name).contains(&name));
            paginate(s, &list, order, desc, args)
        }
    }
}

/// The page of `teams` the arguments select; `Query::teams` and the plan executor share it.
pub(crate) fn teams_page<'a>(s: &'a Store, args: &PageArgs) -> Result<Paged<'a, Idx>> {
    paginate(
        s,
        s.orders().label(Kind::Team),
        Order::Label(Kind::Team),
        false,
        args,
    )
}

/// The page of `matches` the arguments select; `Query::matches` and the plan executor share it.
pub(crate) fn matches_page<'a>(
    s: &'a Store,
    args: &PageArgs,
    filter: Option<MatchFilter>,
    order_by: Option<MatchOrder>,
) -> Result<Paged<'a, Idx>> {
    let order_by = order_by.unwrap_or_default();
    let (list, order) = match order_by.field {
        MatchOrderField::Date => (s.orders().matches_by_date.as_slice(), Order::MatchDate),
        MatchOrderField::Title => (s.orders().label(Kind::Match), Order::Label(Kind::Match)),
    };
    let desc = order_by.direction.descending();
    let Some(f) = filter else {
        return paginate(s, list, order, desc, args);
    };
    let from = f
        .from
        .as_deref()
        .map(|d| parse_date(d, "from"))
        .transpose()?;
    let to = f.to.as_deref().map(|d| parse_date(d, "to")).transpose()?;
    // A slug that names nothing matches nothing; it is not an error, as with lookups.
    let team = f.team.as_deref().map(|t| s.find(Kind::Team, t));
    let competition = f
        .competition
        .as_deref()
        .map(|c| s.find(Kind::Competition, c));
    let list = filtered(list, |i| {
        let m = &s.matches()[i as usize];
        let date = m.date;
        f.year
            .is_none_or(|y| date.is_some_and(|d| i32::from(d.year) == y))
            && from.is_none_or(|from| date.is_some_and(|d| d >= from || from.contains(&d)))
            && to.is_none_or(|to| date.is_some_and(|d| d <= to || to.contains(&d)))
            && team.is_none_or(|t| t.is_some_and(|t| m.teams.contains(&t)))
            && competition.is_none_or(|c| c.is_some() && m.competition == c)
    });
    paginate(s, &list, order, desc, args)
}

/// The page of `albums` the arguments select; `Query::albums` and the plan executor share it.
pub(crate) fn albums_page<'a>(s: &'a Store, args: &PageArgs) -> Result<Paged<'a, Idx>> {
    paginate(
        s,
        s.orders().label(Kind::Album),
        Order::Label(Kind::Album),
        false,
        args,
    )
}

/// The page of `tracks` the arguments select; `Query::tracks` and the plan executor share it.
pub(crate) fn tracks_page<'a>(
    s: &'a Store,
    args: &PageArgs,
    filter: Option<TrackFilter>,
    order_by: Option<TrackOrder>,
) -> Result<Paged<'a, Idx>> {
    let order_by = order_by.unwrap_or_default();
    let (list, order) = match order_by.field {
        TrackOrderField::Number => (s.orders().tracks_by_number.as_slice(), Order::TrackNumber),
        TrackOrderField::Title => (s.orders().tracks_by_title.as_slice(), Order::TrackTitle),
        TrackOrderField::Duration => (
            s.orders().tracks_by_duration.as_slice(),
            Order::TrackDuration,
        ),
    };
    let desc = order_by.direction.descending();
    let Some(f) = filter else {
        return paginate(s, list, order, desc, args);
    };
    let title = f
        .title_contains
        .as_deref()
        .map(|t| filter_text(t, "titleContains"))
        .transpose()?;
    let album = f.album.as_deref().map(|a| s.find(Kind::Album, a));
    let list = filtered(list, |i| {
        let t = &s.tracks()[i as usize];
        let secs = i64::from(t.duration.seconds);
        album.is_none_or(|a| a == Some(t.album))
            && title.as_deref().is_none_or(|q| fold(&t.title).contains(q))
            && f.min_duration_seconds.is_none_or(|m| secs >= i64::from(m))
            && f.max_duration_seconds.is_none_or(|m| secs <= i64::from(m))
    });
    paginate(s, &list, order, desc, args)
}

/// The page of `companies` the arguments select; `Query::companies` and the plan executor share it.
pub(crate) fn companies_page<'a>(s: &'a Store, args: &PageArgs) -> Result<Paged<'a, Idx>> {
    paginate(
        s,
        s.orders().label(Kind::Company),
        Order::Label(Kind::Company),
        false,
        args,
    )
}

/// The page of `competitions` the arguments select; `Query::competitions` and the plan executor share it.
pub(crate) fn competitions_page<'a>(s: &'a Store, args: &PageArgs) -> Result<Paged<'a, Idx>> {
    paginate(
        s,
        s.orders().label(Kind::Competition),
        Order::Label(Kind::Competition),
        false,
        args,
    )
}

/// The page of `sources` the arguments select; `Query::sources` and the plan executor share it.
pub(crate) fn sources_page<'a>(s: &'a Store, args: &PageArgs) -> Result<Paged<'a, Idx>> {
    paginate(
        s,
        s.orders().label(Kind::Source),
        Order::Label(Kind::Source),
        false,
        args,
    )
}

/// The page of `search` the arguments select; `Query::search` and the plan executor share it.
pub(crate) fn search_page<'a>(
    s: &'a Store,
    args: &PageArgs,
    query: String,
    types: Option<Vec<NodeType>>,
) -> Result<Paged<'a, Hit>> {
    let folded = filter_text(&query, "query")?;
    if folded.trim().is_empty() {
        return Err(bad_input(
            "`query` must contain a letter, a digit or a CJK character",
        ));
    }
    let kinds: Option<Vec<Kind>> = types.map(|t| t.into_iter().map(NodeType::kind).collect());
    let hits = Hits::new(s, &query, kinds.as_deref());
    paginate_seek(s, &hits, Order::Search, args)
}

/// The root of every query.
pub struct Query;

/// The root of every query: look things up by id or slug, list them, or search.
#[Object]
impl Query {
    /// Fetches any entity by its global id. Null for a well-formed id that names nothing.
    async fn node<'a>(
        &self,
        ctx: &Context<'a>,
        #[graphql(desc = "A global id.")] id: ID,
    ) -> Result<Option<Node<'a>>> {
        let s = store(ctx)?;
        Ok(node_by_id(s, &id)?.map(|n| Node::new(s, n)))
    }

    /// Fetches entities by global id, in the order given (at most 100). Null for each
    /// well-formed id that names nothing.
    async fn nodes<'a>(
        &self,
        ctx: &Context<'a>,
        #[graphql(desc = "Global ids, at most 100.")] ids: Vec<ID>,
    ) -> Result<Vec<Option<Node<'a>>>> {
        let s = store(ctx)?;
        if ids.len() > MAX_PAGE {
            return Err(bad_input(format!(
                "`ids` may hold at most {MAX_PAGE} ids, not {}",
                ids.len()
            )));
        }
        ids.iter()
            .map(|id| Ok(node_by_id(s, id)?.map(|n| Node::new(s, n))))
            .collect()
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
        Ok(FilmConnection(films_page(s, &args, filter, order_by)?))
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
        Ok(PersonConnection(people_page(s, &args, filter, order_by)?))
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
        Ok(TeamConnection(teams_page(s, &args)?))
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
        Ok(MatchConnection(matches_page(s, &args, filter, order_by)?))
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
        Ok(AlbumConnection(albums_page(s, &args)?))
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
        Ok(TrackConnection(tracks_page(s, &args, filter, order_by)?))
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
        Ok(CompanyConnection(companies_page(s, &args)?))
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
        Ok(CompetitionConnection(competitions_page(s, &args)?))
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
        Ok(SourceConnection(sources_page(s, &args)?))
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
        Ok(SearchConnection(search_page(s, &args, query, types)?))
    }
}
