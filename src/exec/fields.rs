//! The fields of every type, resolved straight from the store: what `src/schema` answers for
//! each field, without futures, `Value` trees or per-field context. Every field here must
//! answer exactly what its resolver in `src/schema` answers; `tests/plans.rs` runs both
//! executors side by side over every field of every type and compares the bytes.
//!
//! Where a resolver does more than read a record (paging, lookups, filters, search), both
//! executors call the same function of the store's query layer (`crate::store::query`), so
//! that the two cannot drift.

use std::sync::LazyLock;

use async_graphql::ID;

use super::fid::Fid;
use super::plan::Field;
use super::{Bail, Cx};
use crate::store::Store;
use crate::store::ids;
use crate::store::model::{self, Idx, Kind, NodeRef, Performer, Work};
use crate::store::orders::Order;
use crate::store::query::{
    self as q, Hit, Keyed, Paged, QueryError, Supported, Window, encode_cursor, paginate,
};

/// An object being written.
pub enum Obj<'s> {
    Query,
    /// Any entity with a global id.
    Node(NodeRef),
    Credit(Idx),
    Coaching(Idx),
    Release(&'s model::Release),
    Award(&'s model::Award),
    Statement(&'s model::Text),
    Fact(&'s model::Fact),
    Money(&'s crate::store::values::Money),
    Season(&'s model::Season),
    TeamSeason(&'s model::Entry),
    MatchPart(&'s model::MatchPart),
    Conn(Box<Conn<'s>>),
    Edge(Edge),
    PageInfo(Box<Conn<'s>>),
}

/// Which connection type a page is.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum ConnKind {
    /// The connection of one kind of entity (`FilmConnection`).
    Of(Kind),
    /// `NodeConnection`: what a source supports.
    Node,
    Search,
    Cast,
    Credit,
}

impl ConnKind {
    fn names(self) -> (&'static str, &'static str) {
        match self {
            ConnKind::Of(kind) => {
                let (connection, edge) = &ENTITY_CONNECTION_NAMES[kind as usize];
                (connection, edge)
            }
            ConnKind::Node => ("NodeConnection", "NodeEdge"),
            ConnKind::Search => ("SearchConnection", "SearchEdge"),
            ConnKind::Cast => ("CastConnection", "CastEdge"),
            ConnKind::Credit => ("CreditConnection", "CreditEdge"),
        }
    }
}

/// Each kind's connection and edge type names (`FilmConnection`, `FilmEdge`), made from the
/// table of kinds, so that a new kind needs no line here.
static ENTITY_CONNECTION_NAMES: LazyLock<[(String, String); Kind::COUNT]> = LazyLock::new(|| {
    Kind::ALL.map(|kind| {
        (
            format!("{}Connection", kind.name()),
            format!("{}Edge", kind.name()),
        )
    })
});

/// One page of a connection.
pub struct Conn<'s> {
    kind: ConnKind,
    page: Page<'s>,
}

/// The page itself, by the type of its items.
enum Page<'s> {
    Idx(Paged<'s, Idx>),
    Hit(Paged<'s, Hit>),
    Supported(Paged<'s, Supported>),
}

/// One item of a page, with what its cursor needs.
#[derive(Clone, Copy)]
pub struct Edge {
    kind: ConnKind,
    order: Order,
    item: Item,
}

#[derive(Clone, Copy)]
enum Item {
    Idx(Idx),
    Hit(Hit),
    Supported(Supported),
}

/// A field's value, before it is written.
pub enum Val<'s> {
    Null,
    Bool(bool),
    Int(i64),
    Str(&'s str),
    String(String),
    Obj(Obj<'s>),
    List(Vec<Val<'s>>),
}

/// What resolving one field gives: its value, or a bail to async-graphql.
type FieldResult<'s> = Result<Val<'s>, Bail>;

impl<'s> Obj<'s> {
    pub fn type_name(&self) -> &'static str {
        match self {
            Obj::Query => "Query",
            Obj::Node(n) => n.kind.name(),
            Obj::Credit(_) => "Credit",
            Obj::Coaching(_) => "Coaching",
            Obj::Release(_) => "Release",
            Obj::Award(_) => "Award",
            Obj::Statement(_) => "Statement",
            Obj::Fact(_) => "Fact",
            Obj::Money(_) => "Money",
            Obj::Season(_) => "Season",
            Obj::TeamSeason(_) => "TeamSeason",
            Obj::MatchPart(_) => "MatchPart",
            Obj::Conn(c) => c.kind.names().0,
            Obj::Edge(e) => e.kind.names().1,
            Obj::PageInfo(_) => "PageInfo",
        }
    }

    /// The entity this object is or leads to: itself, an edge's node, a credit's performer.
    pub fn node(&self, store: &Store) -> Option<NodeRef> {
        match self {
            Obj::Node(n) => Some(*n),
            Obj::Edge(e) => edge_node(store, *e),
            Obj::Credit(c) => store
                .credits()
                .get(*c as usize)
                .map(|c| Store::performer_node(c.performer)),
            _ => None,
        }
    }

    /// The credit this object is or links through.
    pub fn credit(&self) -> Option<Idx> {
        match self {
            Obj::Credit(c) => Some(*c),
            Obj::Edge(Edge {
                kind: ConnKind::Cast | ConnKind::Credit,
                item: Item::Idx(c),
                ..
            }) => Some(*c),
            _ => None,
        }
    }

    /// The value of field `f` of this object.
    pub fn resolve(&self, cx: &Cx<'s>, f: &Field) -> FieldResult<'s> {
        let s = cx.store;
        match self {
            Obj::Query => query(cx, f),
            Obj::Node(n) => node(s, *n, cx, f),
            Obj::Credit(i) => credit(s, *i, f.fid),
            Obj::Coaching(i) => coaching(s, *i, f.fid),
            Obj::Release(r) => Ok(match f.fid {
                Fid::Date => Val::String(r.date.to_string()),
                Fid::Year => Val::Int(i64::from(r.date.year)),
                Fid::Kind => Val::Str(r.kind.code()),
                Fid::Region => opt_str(&r.region),
                Fid::City => opt_str(&r.city),
                Fid::Note => opt_str(&r.note),
                Fid::Entities(Kind::Source) => sources(&r.sources),
                _ => return Err(Bail),
            }),
            Obj::Award(a) => Ok(match f.fid {
                Fid::Ceremony => Val::Str(&a.ceremony),
                Fid::Category => opt_str(&a.category),
                Fid::Recognition => Val::Str(&a.recognition),
                Fid::Entities(Kind::Source) => sources(&a.sources),
                _ => return Err(Bail),
            }),
            Obj::Statement(t) => Ok(match f.fid {
                Fid::Text => Val::Str(&t.text),
                Fid::Entities(Kind::Source) => sources(&t.sources),
                Fid::EditorialNote => opt_str(&t.editorial),
                _ => return Err(Bail),
            }),
            Obj::Fact(fact) => Ok(match f.fid {
                Fid::FieldName => Val::Str(fact.field),
                Fid::Entities(Kind::Source) => sources(&fact.sources),
                Fid::Editorial => Val::Bool(fact.editorial.is_some()),
                Fid::Note => opt_str(&fact.editorial),
                _ => return Err(Bail),
            }),
            Obj::Money(m) => Ok(match f.fid {
                Fid::Amount => Val::Str(&m.amount),
                Fid::Currency => Val::Str(&m.currency),
                _ => return Err(Bail),
            }),
            Obj::Season(x) => Ok(match f.fid {
                Fid::Name => Val::Str(&x.name),
                Fid::From => date(x.from),
                Fid::To => date(x.to),
                Fid::Entities(Kind::Source) => sources(&x.sources),
                _ => return Err(Bail),
            }),
            Obj::TeamSeason(e) => Ok(match f.fid {
                Fid::Entity(Kind::Competition) => one(Kind::Competition, Some(e.competition)),
                Fid::Season => season(s, Some(e.competition), e.season),
                Fid::Entities(Kind::Source) => sources(&e.sources),
                _ => return Err(Bail),
            }),
            Obj::MatchPart(x) => Ok(match f.fid {
                Fid::Name => Val::Str(&x.name),
                Fid::Score => ints(&x.score),
                _ => return Err(Bail),
            }),
            Obj::Conn(c) => conn(s, c, f.fid),
            Obj::Edge(e) => edge(s, *e, f.fid),
            Obj::PageInfo(c) => page_info(s, c, f.fid),
        }
    }
}

fn opt_str(v: &Option<Box<str>>) -> Val<'_> {
    v.as_deref().map_or(Val::Null, Val::Str)
}

fn opt_int<T: Into<i64>>(v: Option<T>) -> Val<'static> {
    v.map_or(Val::Null, |n| Val::Int(n.into()))
}

fn date(d: Option<crate::store::values::PartialDate>) -> Val<'static> {
    d.map_or(Val::Null, |d| Val::String(d.to_string()))
}

fn nodes(kind: Kind, list: &[Idx]) -> Val<'static> {
    Val::List(
        list.iter()
            .map(|&idx| Val::Obj(Obj::Node(NodeRef { kind, idx })))
            .collect(),
    )
}

fn one(kind: Kind, idx: Option<Idx>) -> Val<'static> {
    idx.map_or(Val::Null, |idx| Val::Obj(Obj::Node(NodeRef { kind, idx })))
}

fn ints(list: &[u32]) -> Val<'static> {
    Val::List(list.iter().map(|n| Val::Int(i64::from(*n))).collect())
}

/// Season `season` of competition `competition`, as `Match.season` and `TeamSeason.season`.
fn season(s: &Store, competition: Option<Idx>, season: Option<Idx>) -> Val<'_> {
    competition
        .and_then(|c| s.competitions().get(c as usize))
        .zip(season)
        .and_then(|(c, i)| c.seasons.get(i as usize))
        .map_or(Val::Null, |x| Val::Obj(Obj::Season(x)))
}

fn sources(list: &[Idx]) -> Val<'static> {
    nodes(Kind::Source, list)
}

fn facts(list: &[model::Fact]) -> Val<'_> {
    Val::List(list.iter().map(|f| Val::Obj(Obj::Fact(f))).collect())
}

fn statements(list: &[model::Text]) -> Val<'_> {
    Val::List(list.iter().map(|t| Val::Obj(Obj::Statement(t))).collect())
}

fn strs(list: &[Box<str>]) -> Val<'_> {
    Val::List(list.iter().map(|s| Val::Str(s)).collect())
}

fn page<'s>(kind: ConnKind, paged: Result<Paged<'s, Idx>, QueryError>) -> FieldResult<'s> {
    let paged = paged?;
    Ok(Val::Obj(Obj::Conn(Box::new(Conn {
        kind,
        page: Page::Idx(paged),
    }))))
}

/// A list of one kind of entity, paged by `order`.
fn paged<'s>(
    cx: &Cx<'s>,
    f: &Field,
    kind: ConnKind,
    list: &[Idx],
    order: Order,
) -> FieldResult<'s> {
    let args = cx.page_args(f)?;
    page(kind, paginate(cx.store, list, order, false, &args))
}

/// A list of one kind of entity in its label order (albums by title, sources by title).
fn paged_label<'s>(cx: &Cx<'s>, f: &Field, kind: Kind, list: &[Idx]) -> FieldResult<'s> {
    paged(cx, f, ConnKind::Of(kind), list, Order::Label(kind))
}

/// A list of matches in date order.
fn paged_by_date<'s>(cx: &Cx<'s>, f: &Field, list: &[Idx]) -> FieldResult<'s> {
    paged(cx, f, ConnKind::Of(Kind::Match), list, Order::MatchDate)
}

fn performer(p: Performer) -> Val<'static> {
    Val::Obj(Obj::Node(Store::performer_node(p)))
}

fn work(w: Work) -> Val<'static> {
    Val::Obj(Obj::Node(Store::work_node(w)))
}

/// The people credited in `role` among `credits`, as `Film::directors` and
/// `Album::composers` list them (teams are left out).
fn people_in(s: &Store, credits: &[Idx], role: model::Role) -> Vec<Val<'static>> {
    credits
        .iter()
        .map(|c| &s.credits()[*c as usize])
        .filter(|c| c.role == role)
        .filter_map(|c| match c.performer {
            Performer::Person(idx) => Some(Val::Obj(Obj::Node(NodeRef {
                kind: Kind::Person,
                idx,
            }))),
            Performer::Team(_) | Performer::Group(_) => None,
        })
        .collect()
}

fn query<'s>(cx: &Cx<'s>, f: &Field) -> FieldResult<'s> {
    let s = cx.store;
    let lookup = |kind: Kind| -> FieldResult<'s> {
        let id: Option<ID> = cx.arg(f, "id")?;
        let slug: Option<String> = cx.arg(f, "slug")?;
        let found = q::lookup(s, kind, id.as_deref().map(String::as_str), slug.as_deref())?;
        Ok(one(kind, found))
    };
    match f.fid {
        Fid::Node => {
            let id: ID = cx.arg(f, "id")?;
            let found = q::node_by_id(s, &id)?;
            Ok(found.map_or(Val::Null, |n| Val::Obj(Obj::Node(n))))
        }
        Fid::Nodes => {
            let ids: Vec<ID> = cx.arg(f, "ids")?;
            q::check_id_count(ids.len())?;
            ids.iter()
                .map(|id| {
                    let found = q::node_by_id(s, id)?;
                    Ok(found.map_or(Val::Null, |n| Val::Obj(Obj::Node(n))))
                })
                .collect::<Result<_, _>>()
                .map(Val::List)
        }
        // Any kind's lookup by id or slug, and the root list of a kind with no filters.
        Fid::Entity(kind) => lookup(kind),
        Fid::Entities(Kind::Film) => {
            let args = cx.page_args(f)?;
            let page_of = q::films_page(s, &args, cx.film_filter(f)?, cx.film_order(f)?);
            page(ConnKind::Of(Kind::Film), page_of)
        }
        Fid::Entities(Kind::Person) => {
            let args = cx.page_args(f)?;
            let page_of = q::people_page(s, &args, cx.person_filter(f)?, cx.person_order(f)?);
            page(ConnKind::Of(Kind::Person), page_of)
        }
        Fid::Entities(Kind::Match) => {
            let args = cx.page_args(f)?;
            let page_of = q::matches_page(s, &args, cx.match_filter(f)?, cx.match_order(f)?);
            page(ConnKind::Of(Kind::Match), page_of)
        }
        Fid::Entities(Kind::Track) => {
            let args = cx.page_args(f)?;
            let page_of = q::tracks_page(s, &args, cx.track_filter(f)?, cx.track_order(f)?);
            page(ConnKind::Of(Kind::Track), page_of)
        }
        Fid::Entities(kind) => page(
            ConnKind::Of(kind),
            q::label_page(s, kind, &cx.page_args(f)?),
        ),
        Fid::Search => {
            let args = cx.page_args(f)?;
            let query: String = cx.arg(f, "query")?;
            let kinds = cx.node_kinds(f)?;
            let paged = q::search_page(s, &args, &query, kinds.as_deref())?;
            Ok(Val::Obj(Obj::Conn(Box::new(Conn {
                kind: ConnKind::Search,
                page: Page::Hit(paged),
            }))))
        }
        _ => Err(Bail),
    }
}

/// A field of an entity: the fields every entity has, then its own.
fn node<'s>(s: &'s Store, n: NodeRef, cx: &Cx<'s>, f: &Field) -> FieldResult<'s> {
    let meta = s.meta(n);
    match f.fid {
        Fid::Id => return Ok(Val::String(ids::encode(n.kind, &meta.slug))),
        Fid::Slug => return Ok(Val::Str(&meta.slug)),
        Fid::Facts => return Ok(facts(&meta.facts)),
        // A source's `sources` would be itself; it has no such field.
        Fid::Entities(Kind::Source) if n.kind != Kind::Source => return Ok(sources(&meta.sources)),
        _ => {}
    }
    let i = n.idx as usize;
    match n.kind {
        Kind::Film => film(cx, &s.films()[i], f),
        Kind::Person => person(cx, &s.people()[i], f),
        Kind::Team => team(cx, &s.teams()[i], f),
        Kind::Match => match_(s, &s.matches()[i], f.fid),
        Kind::Group => group(cx, &s.groups()[i], f),
        Kind::Album => album(cx, &s.albums()[i], f),
        Kind::Track => track(&s.tracks()[i], f.fid),
        Kind::Company => company(cx, &s.companies()[i], f),
        Kind::Competition => competition(cx, &s.competitions()[i], f),
        Kind::Source => source(cx, &s.sources()[i], f),
        // A kind added to the table without a fast path here bails, and async-graphql
        // answers for it: adding a kind needs no change in the plan executor.
        #[allow(unreachable_patterns)]
        _ => Err(Bail),
    }
}

fn film<'s>(cx: &Cx<'s>, r: &'s model::Film, f: &Field) -> FieldResult<'s> {
    let s = cx.store;
    Ok(match f.fid {
        Fid::Title => Val::Str(&r.title),
        Fid::OriginalTitle => opt_str(&r.original_title),
        Fid::Genres => strs(&r.genres),
        Fid::RuntimeMinutes => opt_int(r.runtime_minutes),
        Fid::Year => opt_int(r.year),
        Fid::Synopsis => r.synopses.first().map_or(Val::Null, |t| Val::Str(&t.text)),
        Fid::Synopses => statements(&r.synopses),
        Fid::Releases => Val::List(
            r.releases
                .iter()
                .map(|x| Val::Obj(Obj::Release(x)))
                .collect(),
        ),
        Fid::Awards => Val::List(r.awards.iter().map(|x| Val::Obj(Obj::Award(x))).collect()),
        Fid::Notes => statements(&r.notes),
        Fid::Directors => Val::List(people_in(s, &r.crew, model::Role::Director)),
        Fid::Writers => Val::List(people_in(s, &r.crew, model::Role::Writer)),
        Fid::Producers => Val::List(people_in(s, &r.crew, model::Role::Producer)),
        Fid::Composers => Val::List(people_in(s, &r.crew, model::Role::Composer)),
        Fid::Crew => Val::List(r.crew.iter().map(|c| Val::Obj(Obj::Credit(*c))).collect()),
        Fid::ProductionCompanies => nodes(Kind::Company, &r.production_companies),
        Fid::Platforms => nodes(Kind::Company, &r.platforms),
        Fid::Cast => return paged(cx, f, ConnKind::Cast, &r.cast, Order::Cast),
        Fid::Soundtrack => one(Kind::Album, r.albums.first().copied()),
        Fid::Entities(Kind::Album) => nodes(Kind::Album, &r.albums),
        Fid::Entities(Kind::Match) => return paged_by_date(cx, f, &r.matches),
        _ => return Err(Bail),
    })
}

fn person<'s>(cx: &Cx<'s>, r: &'s model::Person, f: &Field) -> FieldResult<'s> {
    Ok(match f.fid {
        Fid::Name => Val::Str(&r.name),
        Fid::Notes => statements(&r.notes),
        Fid::Credits => {
            return paged(cx, f, ConnKind::Credit, &r.credits, Order::PersonCredits);
        }
        Fid::Entities(Kind::Album) => nodes(Kind::Album, &r.albums),
        Fid::Coaching => Val::List(
            r.coaching
                .iter()
                .map(|c| Val::Obj(Obj::Coaching(*c)))
                .collect(),
        ),
        Fid::Commentated => nodes(Kind::Match, &r.commentated),
        Fid::Authored => nodes(Kind::Source, &r.authored),
        Fid::AlbumsConnection => return paged_label(cx, f, Kind::Album, &r.albums),
        Fid::CommentatedConnection => return paged_by_date(cx, f, &r.commentated),
        Fid::AuthoredConnection => return paged_label(cx, f, Kind::Source, &r.authored),
        Fid::Entities(Kind::Group) => nodes(Kind::Group, &r.groups),
        _ => return Err(Bail),
    })
}

fn team<'s>(cx: &Cx<'s>, r: &'s model::Team, f: &Field) -> FieldResult<'s> {
    let s = cx.store;
    Ok(match f.fid {
        Fid::Name => Val::Str(&r.name),
        Fid::Aliases => strs(&r.aliases),
        Fid::Sport => opt_str(&r.sport),
        Fid::Seasons => Val::List(
            r.seasons
                .iter()
                .map(|e| Val::Obj(Obj::TeamSeason(e)))
                .collect(),
        ),
        Fid::Notes => statements(&r.notes),
        Fid::Coaches => Val::List(
            r.coaches
                .iter()
                .map(|c| Val::Obj(Obj::Coaching(*c)))
                .collect(),
        ),
        Fid::Entities(Kind::Match) => return paged_by_date(cx, f, &r.matches),
        Fid::Entities(Kind::Film) => Val::List(
            r.credits
                .iter()
                .filter_map(|c| match s.credits()[*c as usize].work {
                    Work::Film(idx) => Some(Val::Obj(Obj::Node(NodeRef {
                        kind: Kind::Film,
                        idx,
                    }))),
                    Work::Album(_) | Work::Track(_) => None,
                })
                .collect(),
        ),
        _ => return Err(Bail),
    })
}

fn match_<'s>(s: &'s Store, r: &'s model::Match, fid: Fid) -> FieldResult<'s> {
    Ok(match fid {
        Fid::Title => Val::Str(&r.title),
        Fid::Year => opt_int(r.date.map(|d| d.year)),
        Fid::Date => date(r.date),
        Fid::Kind => opt_str(&r.kind),
        Fid::Entity(Kind::Competition) => r
            .competition
            .map_or(Val::Null, |c| Val::Str(&s.competitions()[c as usize].name)),
        Fid::Tournament => one(Kind::Competition, r.competition),
        Fid::Stage => opt_str(&r.stage),
        Fid::City => opt_str(&r.city),
        Fid::Entities(Kind::Team) => nodes(Kind::Team, &r.teams),
        Fid::Winner => one(Kind::Team, r.winner),
        Fid::Commentators => nodes(Kind::Person, &r.commentators),
        Fid::Entities(Kind::Film) => nodes(Kind::Film, &r.films),
        Fid::Entities(Kind::Track) => nodes(Kind::Track, &r.tracks),
        Fid::Notes => statements(&r.notes),
        Fid::Season => season(s, r.competition, r.season),
        Fid::Score => r.score.as_deref().map_or(Val::Null, ints),
        Fid::Parts => Val::List(
            r.parts
                .iter()
                .map(|x| Val::Obj(Obj::MatchPart(x)))
                .collect(),
        ),
        Fid::Draw => r
            .draw
            .or(r.winner.map(|_| false))
            .map_or(Val::Null, Val::Bool),
        Fid::Home => one(Kind::Team, r.home),
        Fid::Neutral => r.neutral.map_or(Val::Null, Val::Bool),
        _ => return Err(Bail),
    })
}

fn album<'s>(cx: &Cx<'s>, r: &'s model::Album, f: &Field) -> FieldResult<'s> {
    let s = cx.store;
    Ok(match f.fid {
        Fid::Title => Val::Str(&r.title),
        Fid::Artist => r.artist.map_or(Val::Null, performer),
        Fid::Genres => strs(&r.genres),
        Fid::Composer => people_in(s, &r.credits, model::Role::Composer)
            .into_iter()
            .next()
            .unwrap_or(Val::Null),
        Fid::Composers => Val::List(people_in(s, &r.credits, model::Role::Composer)),
        Fid::Credits => Val::List(
            r.credits
                .iter()
                .map(|c| Val::Obj(Obj::Credit(*c)))
                .collect(),
        ),
        Fid::Label => one(Kind::Company, r.label),
        Fid::Format => opt_str(&r.format),
        Fid::Sku => opt_str(&r.sku),
        Fid::Isbn => opt_str(&r.isbn),
        Fid::Price => r
            .price
            .as_ref()
            .map_or(Val::Null, |m| Val::Obj(Obj::Money(m))),
        Fid::EditionSize => opt_int(r.edition_size),
        Fid::Numbering => opt_str(&r.numbering),
        Fid::TotalDurationSeconds => match r.total_duration_seconds {
            Some(total) => Val::Int(i64::try_from(total).map_err(|_| Bail)?),
            None => Val::Null,
        },
        Fid::Entity(Kind::Film) => one(Kind::Film, r.film),
        Fid::Entities(Kind::Track) => {
            return paged(
                cx,
                f,
                ConnKind::Of(Kind::Track),
                &r.tracks,
                Order::TrackNumber,
            );
        }
        Fid::Notes => statements(&r.notes),
        _ => return Err(Bail),
    })
}

fn track(r: &model::Track, fid: Fid) -> FieldResult<'_> {
    Ok(match fid {
        Fid::Number => opt_int(r.number),
        Fid::Title => Val::Str(&r.title),
        Fid::Duration => r.duration.as_ref().map_or(Val::Null, |d| Val::Str(&d.text)),
        Fid::DurationSeconds => opt_int(r.duration.as_ref().map(|d| d.seconds)),
        Fid::Genres => strs(&r.genres),
        Fid::Credits => Val::List(
            r.credits
                .iter()
                .map(|c| Val::Obj(Obj::Credit(*c)))
                .collect(),
        ),
        Fid::Entity(Kind::Album) => one(Kind::Album, Some(r.album)),
        Fid::Depicts => nodes(Kind::Match, &r.depicts),
        _ => return Err(Bail),
    })
}

fn company<'s>(cx: &Cx<'s>, r: &'s model::Company, f: &Field) -> FieldResult<'s> {
    let films = |list: &[Idx]| paged(cx, f, ConnKind::Of(Kind::Film), list, Order::FilmYear);
    Ok(match f.fid {
        Fid::Name => Val::Str(&r.name),
        Fid::Productions => nodes(Kind::Film, &r.produced),
        Fid::Streams => nodes(Kind::Film, &r.streams),
        Fid::Entities(Kind::Album) => nodes(Kind::Album, &r.labelled),
        Fid::ProductionsConnection => return films(&r.produced),
        Fid::StreamsConnection => return films(&r.streams),
        Fid::AlbumsConnection => return paged_label(cx, f, Kind::Album, &r.labelled),
        _ => return Err(Bail),
    })
}

fn competition<'s>(cx: &Cx<'s>, r: &'s model::Competition, f: &Field) -> FieldResult<'s> {
    Ok(match f.fid {
        Fid::Name => Val::Str(&r.name),
        Fid::Date => date(r.date),
        Fid::Year => opt_int(r.date.map(|d| d.year)),
        Fid::City => opt_str(&r.city),
        Fid::Sport => opt_str(&r.sport),
        Fid::Seasons => Val::List(r.seasons.iter().map(|x| Val::Obj(Obj::Season(x))).collect()),
        Fid::Entities(Kind::Match) => nodes(Kind::Match, &r.matches),
        Fid::MatchesConnection => return paged_by_date(cx, f, &r.matches),
        _ => return Err(Bail),
    })
}

fn source<'s>(cx: &Cx<'s>, r: &'s model::Source, f: &Field) -> FieldResult<'s> {
    Ok(match f.fid {
        Fid::Title => Val::Str(&r.title),
        Fid::Kind => Val::Str(r.kind.code()),
        Fid::Publisher => opt_str(&r.publisher),
        Fid::Section => opt_str(&r.section),
        Fid::Author => one(Kind::Person, r.author),
        Fid::File => opt_str(&r.file),
        Fid::Url => opt_str(&r.url),
        Fid::Version => opt_str(&r.version),
        Fid::Licence => opt_str(&r.licence),
        Fid::Supports => {
            let args = cx.page_args(f)?;
            let list: Vec<Supported> = r.supports.iter().copied().map(Supported).collect();
            let paged = paginate(cx.store, &list, Order::Supports, false, &args)?;
            Val::Obj(Obj::Conn(Box::new(Conn {
                kind: ConnKind::Node,
                page: Page::Supported(paged),
            })))
        }
        _ => return Err(Bail),
    })
}

fn group<'s>(cx: &Cx<'s>, r: &'s model::Group, f: &Field) -> FieldResult<'s> {
    Ok(match f.fid {
        Fid::Name => Val::Str(&r.name),
        Fid::Members => nodes(Kind::Person, &r.members),
        Fid::Entities(Kind::Album) => nodes(Kind::Album, &r.albums),
        Fid::Credits => {
            return paged(cx, f, ConnKind::Credit, &r.credits, Order::PersonCredits);
        }
        Fid::Notes => statements(&r.notes),
        _ => return Err(Bail),
    })
}

fn credit(s: &Store, i: Idx, fid: Fid) -> FieldResult<'_> {
    let c = &s.credits()[i as usize];
    Ok(match fid {
        Fid::Role => Val::Str(c.role.code()),
        Fid::Performer => performer(c.performer),
        Fid::Work => work(c.work),
        Fid::Character => opt_str(&c.character),
        Fid::Entities(Kind::Source) => sources(&c.sources),
        Fid::Facts => facts(&c.facts),
        _ => return Err(Bail),
    })
}

fn coaching(s: &Store, i: Idx, fid: Fid) -> FieldResult<'_> {
    let c = &s.coaching()[i as usize];
    Ok(match fid {
        Fid::Entity(Kind::Person) => one(Kind::Person, Some(c.person)),
        Fid::Entity(Kind::Team) => one(Kind::Team, Some(c.team)),
        Fid::From => date(c.from),
        Fid::To => date(c.to),
        Fid::During => date(c.during),
        Fid::Note => opt_str(&c.note),
        Fid::Entities(Kind::Source) => sources(&c.sources),
        Fid::Facts => facts(&c.facts),
        _ => return Err(Bail),
    })
}

impl Conn<'_> {
    fn window(&self) -> Window {
        match &self.page {
            Page::Idx(p) => p.window,
            Page::Hit(p) => p.window,
            Page::Supported(p) => p.window,
        }
    }

    fn order(&self) -> Order {
        match &self.page {
            Page::Idx(p) => p.order,
            Page::Hit(p) => p.order,
            Page::Supported(p) => p.order,
        }
    }

    fn items(&self) -> Vec<Item> {
        match &self.page {
            Page::Idx(p) => p.items.iter().map(|i| Item::Idx(*i)).collect(),
            Page::Hit(p) => p.items.iter().map(|i| Item::Hit(*i)).collect(),
            Page::Supported(p) => p.items.iter().map(|i| Item::Supported(*i)).collect(),
        }
    }

    fn edge(&self, item: Item) -> Edge {
        Edge {
            kind: self.kind,
            order: self.order(),
            item,
        }
    }
}

fn conn<'s>(s: &'s Store, c: &Conn<'s>, fid: Fid) -> FieldResult<'s> {
    Ok(match fid {
        Fid::TotalCount => Val::Int(i64::try_from(c.window().total).map_err(|_| Bail)?),
        Fid::Edges => Val::List(
            c.items()
                .into_iter()
                .map(|item| Val::Obj(Obj::Edge(c.edge(item))))
                .collect(),
        ),
        Fid::Nodes => Val::List(
            c.items()
                .into_iter()
                .map(|item| edge_val(s, c.edge(item)))
                .collect(),
        ),
        Fid::PageInfo => Val::Obj(Obj::PageInfo(Box::new(Conn {
            kind: c.kind,
            page: match &c.page {
                Page::Idx(p) => Page::Idx(copy_paged(p)),
                Page::Hit(p) => Page::Hit(copy_paged(p)),
                Page::Supported(p) => Page::Supported(copy_paged(p)),
            },
        }))),
        _ => return Err(Bail),
    })
}

/// A page's window and its first and last items: all that `pageInfo` reads.
fn copy_paged<'s, T: Keyed>(p: &Paged<'s, T>) -> Paged<'s, T> {
    let ends = match (p.items.first(), p.items.last()) {
        (Some(a), Some(b)) => vec![*a, *b],
        _ => Vec::new(),
    };
    Paged {
        store: p.store,
        items: ends,
        window: p.window,
        order: p.order,
    }
}

fn page_info<'s>(s: &'s Store, c: &Conn<'s>, fid: Fid) -> FieldResult<'s> {
    let w = c.window();
    let items = c.items();
    let cursor =
        |item: Option<&Item>| item.map_or(Val::Null, |i| Val::String(cursor_of(s, c.order(), *i)));
    Ok(match fid {
        Fid::HasNextPage => Val::Bool(w.has_next()),
        Fid::HasPreviousPage => Val::Bool(w.has_previous()),
        Fid::StartCursor => cursor(items.first()),
        Fid::EndCursor => cursor(items.last()),
        _ => return Err(Bail),
    })
}

fn cursor_of(s: &Store, order: Order, item: Item) -> String {
    let key = match item {
        Item::Idx(i) => i.key(s, order),
        Item::Hit(h) => h.key(s, order),
        Item::Supported(x) => x.key(s, order),
    };
    encode_cursor(order.tag(), &key)
}

/// The entity an edge leads to, or None for a pairing `Conn` is never built with.
fn edge_node(s: &Store, e: Edge) -> Option<NodeRef> {
    Some(match (e.kind, e.item) {
        (ConnKind::Of(kind), Item::Idx(idx)) => NodeRef { kind, idx },
        (ConnKind::Cast, Item::Idx(c)) => {
            Store::performer_node(s.credits().get(c as usize)?.performer)
        }
        (ConnKind::Credit, Item::Idx(c)) => Store::work_node(s.credits().get(c as usize)?.work),
        (ConnKind::Search, Item::Hit(h)) => h.node,
        (ConnKind::Node, Item::Supported(x)) => x.0,
        _ => return None,
    })
}

fn edge_val(s: &Store, e: Edge) -> Val<'static> {
    edge_node(s, e).map_or(Val::Null, |n| Val::Obj(Obj::Node(n)))
}

fn edge(s: &Store, e: Edge, fid: Fid) -> FieldResult<'_> {
    match fid {
        Fid::Cursor => return Ok(Val::String(cursor_of(s, e.order, e.item))),
        Fid::Node => return Ok(edge_val(s, e)),
        _ => {}
    }
    Ok(match (e.kind, e.item, fid) {
        (ConnKind::Search, Item::Hit(h), Fid::Rank) => Val::Int(i64::from(h.rank)),
        (ConnKind::Cast | ConnKind::Credit, Item::Idx(i), fid) => {
            let c = &s.credits()[i as usize];
            match (e.kind, fid) {
                (_, Fid::Character) => opt_str(&c.character),
                (_, Fid::Entities(Kind::Source)) => sources(&c.sources),
                (_, Fid::Facts) => facts(&c.facts),
                (ConnKind::Cast, Fid::Billing) => opt_int(c.billing),
                (ConnKind::Credit, Fid::Role) => Val::Str(c.role.code()),
                _ => return Err(Bail),
            }
        }
        _ => return Err(Bail),
    })
}
