//! Sort orders, and the keys they sort by. One key function per order serves both the sort
//! done at load and the cursors handed to clients: a cursor carries the key of its entity, so
//! it finds its place again by binary search even after a reload has moved or removed things.

use super::Store;
use super::model::*;
use super::search::fold;

/// One part of a sort key.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Part {
    Int(i64),
    Str(Box<str>),
}

/// A sort key: compared part by part, and always ending in something unique (a slug), so that
/// every order is total and pages never repeat or skip.
pub type Key = Vec<Part>;

fn s(text: &str) -> Part {
    Part::Str(text.into())
}

fn folded(text: &str) -> Part {
    Part::Str(fold(text).into())
}

/// The named orders of the root lists and of the lists inside entities.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Order {
    /// Any labelled entity by its folded name or title, then slug.
    Label(Kind),
    FilmYear,
    MatchDate,
    TrackNumber,
    TrackTitle,
    TrackDuration,
    Cast,
    PersonCredits,
    Search,
    Supports,
}

impl Order {
    /// A short tag that cursors carry, so that a cursor from one order is refused by another.
    pub fn tag(self) -> &'static str {
        match self {
            Order::Label(kind) => kind.label_tag(),
            Order::FilmYear => "film.year",
            Order::MatchDate => "match.date",
            Order::TrackNumber => "track.number",
            Order::TrackTitle => "track.title",
            Order::TrackDuration => "track.duration",
            Order::Cast => "cast",
            Order::PersonCredits => "credits",
            Order::Search => "search",
            Order::Supports => "supports",
        }
    }

    /// The key of item `idx` in this order. For `Cast` and `PersonCredits` the index is a
    /// credit's; otherwise it is an entity's of the order's kind.
    pub fn key(self, store: &Store, idx: Idx) -> Key {
        let i = idx as usize;
        match self {
            Order::Label(kind) => {
                let node = NodeRef { kind, idx };
                vec![folded(store.label(node)), s(store.slug(node))]
            }
            Order::FilmYear => {
                let f = &store.films()[i];
                vec![
                    Part::Int(f.year.map_or(i64::MAX, i64::from)),
                    folded(&f.title),
                    s(&f.meta.slug),
                ]
            }
            Order::MatchDate => {
                let m = &store.matches()[i];
                vec![
                    Part::Int(m.date.map_or(i64::MAX, |d| i64::from(d.sort_key()))),
                    s(&m.meta.slug),
                ]
            }
            // Unnumbered tracks and unknown durations sort last.
            Order::TrackNumber => {
                let t = &store.tracks()[i];
                vec![track_number(t), s(&t.meta.slug)]
            }
            Order::TrackTitle => {
                let t = &store.tracks()[i];
                vec![folded(&t.title), track_number(t), s(&t.meta.slug)]
            }
            Order::TrackDuration => {
                let t = &store.tracks()[i];
                vec![
                    Part::Int(
                        t.duration
                            .as_ref()
                            .map_or(i64::MAX, |d| i64::from(d.seconds)),
                    ),
                    track_number(t),
                    s(&t.meta.slug),
                ]
            }
            Order::Cast => {
                let c = &store.credits()[i];
                let node = Store::performer_node(c.performer);
                vec![
                    Part::Int(c.billing.map_or(i64::MAX, i64::from)),
                    s(node.kind.name()),
                    s(store.slug(node)),
                ]
            }
            Order::PersonCredits => {
                let c = &store.credits()[i];
                let work = Store::work_node(c.work);
                let album_year = |a: Idx| {
                    store.albums()[a as usize]
                        .film
                        .and_then(|f| store.films()[f as usize].year)
                };
                let year = match c.work {
                    Work::Film(f) => store.films()[f as usize].year,
                    Work::Album(a) => album_year(a),
                    Work::Track(t) => album_year(store.tracks()[t as usize].album),
                };
                vec![
                    Part::Int(year.map_or(i64::MAX, i64::from)),
                    // Films before albums of the same year, as `Kind` orders them.
                    Part::Int(work.kind as i64),
                    s(store.slug(work)),
                    Part::Int(c.role as i64),
                ]
            }
            // Search hits and supported nodes are not plain indices: their items make their own keys.
            Order::Search | Order::Supports => Vec::new(),
        }
    }
}

fn track_number(t: &Track) -> Part {
    Part::Int(t.number.map_or(i64::MAX, i64::from))
}

/// The orders of the root lists, prepared once at load.
#[derive(Default)]
pub struct Orders {
    pub by_label: [Vec<Idx>; Kind::COUNT],
    pub films_by_year: Vec<Idx>,
    pub matches_by_date: Vec<Idx>,
    pub tracks_by_number: Vec<Idx>,
    pub tracks_by_title: Vec<Idx>,
    pub tracks_by_duration: Vec<Idx>,
}

fn sorted(store: &Store, kind: Kind, order: Order) -> Vec<Idx> {
    let mut list: Vec<Idx> = (0..store.len(kind) as Idx).collect();
    list.sort_by_cached_key(|i| order.key(store, *i));
    list
}

impl Orders {
    pub fn build(store: &Store) -> Orders {
        let by_label = Kind::ALL.map(|kind| sorted(store, kind, Order::Label(kind)));
        Orders {
            by_label,
            films_by_year: sorted(store, Kind::Film, Order::FilmYear),
            matches_by_date: sorted(store, Kind::Match, Order::MatchDate),
            tracks_by_number: sorted(store, Kind::Track, Order::TrackNumber),
            tracks_by_title: sorted(store, Kind::Track, Order::TrackTitle),
            tracks_by_duration: sorted(store, Kind::Track, Order::TrackDuration),
        }
    }

    pub fn label(&self, kind: Kind) -> &[Idx] {
        &self.by_label[kind as usize]
    }
}
