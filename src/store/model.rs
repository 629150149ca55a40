//! The records of the graph: plain Rust data, borrowed by both executors. Every reference is
//! an index that the loader has checked, so following one never fails.
//!
//! The one table of kinds (`entity_kinds!` below) lives here too: each kind's name, table,
//! noun, seed file, label field and cursor tag, from which the `Kind` enum, the store's tables
//! and their per-kind dispatch are generated. Adding a kind starts with its row and its record.

use super::values::{Duration, Money, PartialDate};

/// An index into one of the store's tables.
pub type Idx = u32;

/// Declares the kinds of entity and the store's tables from one list (the invocation below),
/// so that a new kind is one row here and its record struct, not a `match` in every file.
/// It expands to [`Kind`] with its names, the store's [`Tables`], their read accessors on
/// [`Store`](super::Store), and the per-kind dispatch (`len`, `meta`, `label`).
macro_rules! entity_kinds {
    (
        kinds {
            $( $kind:ident => $table:ident: $record:ident, $noun:literal, $file:literal,
               label $label:ident, cursor $tag:literal; )*
        }
        links { $( $link:ident: $link_record:ident; )* }
    ) => {
        /// The kinds of entity that have a global id (the GraphQL `Node`s), in a fixed order:
        /// search results of one rank and `Source.supports` are listed in it.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Kind {
            $( $kind, )*
        }

        impl Kind {
            /// How many kinds there are.
            pub const COUNT: usize = [$( Kind::$kind ),*].len();
            pub const ALL: [Kind; Kind::COUNT] = [$( Kind::$kind ),*];

            /// The name in global ids and in the GraphQL schema.
            pub fn name(self) -> &'static str {
                match self {
                    $( Kind::$kind => stringify!($kind), )*
                }
            }

            /// What one entity of the kind is called in messages ("film").
            pub fn noun(self) -> &'static str {
                match self {
                    $( Kind::$kind => $noun, )*
                }
            }

            /// What several entities of the kind are called in messages ("people"): the name
            /// of its table.
            pub fn plural(self) -> &'static str {
                match self {
                    $( Kind::$kind => stringify!($table), )*
                }
            }

            /// The seed file that holds the kind's records.
            pub fn seed_file(self) -> &'static str {
                match self {
                    $( Kind::$kind => $file, )*
                }
            }

            /// The tag of the cursors of the kind's label order (see `Order::tag`).
            pub fn label_tag(self) -> &'static str {
                match self {
                    $( Kind::$kind => $tag, )*
                }
            }
        }

        /// Every table of records, by kind, and the links between them. Only the store module
        /// reaches in: the seed layer fills them through `StoreBuilder`, readers get slices.
        #[derive(Default)]
        pub(crate) struct Tables {
            $( pub(super) $table: Vec<$record>, )*
            $( pub(super) $link: Vec<$link_record>, )*
        }

        impl Tables {
            pub(super) fn len(&self, kind: Kind) -> usize {
                match kind {
                    $( Kind::$kind => self.$table.len(), )*
                }
            }

            /// Panics only on an index the store did not hand out.
            pub(super) fn meta(&self, node: NodeRef) -> &Meta {
                let i = node.idx as usize;
                match node.kind {
                    $( Kind::$kind => &self.$table[i].meta, )*
                }
            }

            pub(super) fn meta_mut(&mut self, node: NodeRef) -> &mut Meta {
                let i = node.idx as usize;
                match node.kind {
                    $( Kind::$kind => &mut self.$table[i].meta, )*
                }
            }

            pub(super) fn label(&self, node: NodeRef) -> &str {
                let i = node.idx as usize;
                match node.kind {
                    $( Kind::$kind => &self.$table[i].$label, )*
                }
            }
        }

        /// The tables, read-only.
        impl super::Store {
            $(
                #[inline]
                pub fn $table(&self) -> &[$record] {
                    &self.tables.$table
                }
            )*
            $(
                #[inline]
                pub fn $link(&self) -> &[$link_record] {
                    &self.tables.$link
                }
            )*
        }

        $( record_table!($record, $table); )*
        $( record_table!($link_record, $link); )*
    };
}

/// Tells a record type which table holds it (see [`Record`]).
macro_rules! record_table {
    ($record:ident, $table:ident) => {
        impl Record for $record {
            fn table(tables: &Tables) -> &Vec<Self> {
                &tables.$table
            }
            fn table_mut(tables: &mut Tables) -> &mut Vec<Self> {
                &mut tables.$table
            }
        }
    };
}

entity_kinds! {
    kinds {
        Film => films: Film, "film", "films.json", label title, cursor "film.title";
        Person => people: Person, "person", "people.json", label name, cursor "person.name";
        Team => teams: Team, "team", "teams.json", label name, cursor "team.name";
        Match => matches: Match, "match", "matches.json", label title, cursor "match.title";
        Album => albums: Album, "album", "albums.json", label title, cursor "album.title";
        Track => tracks: Track, "track", "tracks.json", label title, cursor "track.label";
        Company => companies: Company, "company", "companies.json", label name,
            cursor "company.name";
        Competition => competitions: Competition, "competition", "competitions.json",
            label name, cursor "competition.name";
        Source => sources: Source, "source", "sources.json", label title, cursor "source.title";
        Group => groups: Group, "group", "groups.json", label name, cursor "group.name";
    }
    links {
        credits: Credit;
        coaching: Coaching;
    }
}

impl Kind {
    pub fn from_name(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == name)
    }
}

/// A record that has a table in the store: each kind's, and the links (credits, coaching).
/// The seed layer pushes records through `StoreBuilder::push`, which finds the table by type.
pub(crate) trait Record: Sized {
    fn table(tables: &Tables) -> &Vec<Self>;
    fn table_mut(tables: &mut Tables) -> &mut Vec<Self>;
}

/// Gives each value of a plain enum its one written name: the same in the seed files and in
/// the API (`STORE_PAGE`), so the loader reads it and both executors write it.
macro_rules! coded {
    ($enum:ident { $($value:ident = $code:literal,)* }) => {
        impl $enum {
            pub fn code(self) -> &'static str {
                match self {
                    $( $enum::$value => $code, )*
                }
            }

            pub fn from_code(code: &str) -> Option<$enum> {
                match code {
                    $( $code => Some($enum::$value), )*
                    _ => None,
                }
            }
        }
    };
}

coded!(SourceKind {
    StorePage = "STORE_PAGE",
    ListEntry = "LIST_ENTRY",
    Article = "ARTICLE",
    Dataset = "DATASET",
});

coded!(ReleaseKind {
    Premiere = "PREMIERE",
    Planned = "PLANNED",
    Release = "RELEASE",
    Theatrical = "THEATRICAL",
    Streaming = "STREAMING",
});

coded!(Role {
    Director = "DIRECTOR",
    Writer = "WRITER",
    Producer = "PRODUCER",
    Cast = "CAST",
    Composer = "COMPOSER",
    Editor = "EDITOR",
    LinerNotes = "LINER_NOTES",
    Performer = "PERFORMER",
    Lyricist = "LYRICIST",
    Arranger = "ARRANGER",
    Conductor = "CONDUCTOR",
});

/// A reference to any entity with a global id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeRef {
    pub kind: Kind,
    pub idx: Idx,
}

/// Where one fact comes from: the documents that state it, or an editor's note when none does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fact {
    /// The field the fact fills, as the seed file and the schema name it (`runtimeMinutes`).
    pub field: &'static str,
    pub sources: Vec<Idx>,
    pub editorial: Option<Box<str>>,
}

/// What every entity has: its slug, the provenance of each of its facts, and the union of its
/// sources (sorted), computed once.
#[derive(Clone, Debug, Default)]
pub struct Meta {
    pub slug: Box<str>,
    pub facts: Vec<Fact>,
    pub sources: Vec<Idx>,
}

impl Meta {
    pub fn fact(&self, field: &str) -> Option<&Fact> {
        self.facts.iter().find(|f| f.field == field)
    }
}

/// A statement in a document's own words (a synopsis, a note), with where it comes from.
#[derive(Clone, Debug)]
pub struct Text {
    pub text: Box<str>,
    pub sources: Vec<Idx>,
    pub editorial: Option<Box<str>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SourceKind {
    StorePage,
    ListEntry,
    Article,
    /// A published data set (a table of films, results or recordings), with its version.
    Dataset,
}

#[derive(Clone, Debug)]
pub struct Source {
    pub meta: Meta,
    pub title: Box<str>,
    pub kind: SourceKind,
    pub publisher: Option<Box<str>>,
    pub section: Option<Box<str>>,
    pub author: Option<Idx>,
    pub file: Option<Box<str>>,
    pub url: Option<Box<str>>,
    /// The release of a data set the facts were taken from (`2.1.0`, `2024-05-01`).
    pub version: Option<Box<str>>,
    /// The licence the document or data set is published under (`CC0-1.0`).
    pub licence: Option<Box<str>>,
    /// Every entity that cites this document, each once, in a stable order.
    pub supports: Vec<NodeRef>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReleaseKind {
    Premiere,
    Planned,
    Release,
    Theatrical,
    Streaming,
}

#[derive(Clone, Debug)]
pub struct Release {
    pub date: PartialDate,
    pub kind: ReleaseKind,
    pub region: Option<Box<str>>,
    pub city: Option<Box<str>>,
    pub note: Option<Box<str>>,
    pub sources: Vec<Idx>,
    pub editorial: Option<Box<str>>,
}

#[derive(Clone, Debug)]
pub struct Award {
    pub ceremony: Box<str>,
    pub category: Option<Box<str>>,
    pub recognition: Box<str>,
    pub sources: Vec<Idx>,
    pub editorial: Option<Box<str>>,
}

#[derive(Clone, Debug)]
pub struct Film {
    pub meta: Meta,
    pub title: Box<str>,
    pub original_title: Option<Box<str>>,
    pub genres: Vec<Box<str>>,
    pub runtime_minutes: Option<u32>,
    pub production_companies: Vec<Idx>,
    pub platforms: Vec<Idx>,
    pub synopses: Vec<Text>,
    /// Sorted by date, then in the seed's order.
    pub releases: Vec<Release>,
    pub awards: Vec<Award>,
    pub notes: Vec<Text>,
    // Computed at load.
    /// The year of the earliest release, if any.
    pub year: Option<u16>,
    /// The cast credits, in billing order.
    pub cast: Vec<Idx>,
    /// The other credits (director, writer, ...), by role and then in the seed's order.
    pub crew: Vec<Idx>,
    pub albums: Vec<Idx>,
    /// The matches the film re-stages, by date.
    pub matches: Vec<Idx>,
}

#[derive(Clone, Debug)]
pub struct Person {
    pub meta: Meta,
    pub name: Box<str>,
    pub notes: Vec<Text>,
    // Computed at load.
    /// By the work's year, then title.
    pub credits: Vec<Idx>,
    pub albums: Vec<Idx>,
    pub coaching: Vec<Idx>,
    pub commentated: Vec<Idx>,
    pub authored: Vec<Idx>,
    /// The groups they are a member of.
    pub groups: Vec<Idx>,
}

#[derive(Clone, Debug)]
pub struct Team {
    pub meta: Meta,
    pub name: Box<str>,
    pub aliases: Vec<Box<str>>,
    pub sport: Option<Box<str>>,
    pub notes: Vec<Text>,
    /// The competitions it plays in, season by season, in the seed's order.
    pub seasons: Vec<Entry>,
    // Computed at load.
    /// By date.
    pub matches: Vec<Idx>,
    pub coaches: Vec<Idx>,
    pub credits: Vec<Idx>,
}

#[derive(Clone, Debug)]
pub struct Company {
    pub meta: Meta,
    pub name: Box<str>,
    // Computed at load.
    pub produced: Vec<Idx>,
    pub streams: Vec<Idx>,
    pub labelled: Vec<Idx>,
}

#[derive(Clone, Debug)]
pub struct Competition {
    pub meta: Meta,
    pub name: Box<str>,
    pub date: Option<PartialDate>,
    pub city: Option<Box<str>>,
    pub sport: Option<Box<str>>,
    /// Its seasons or editions, sorted by start (unknown last), then in the seed's order.
    pub seasons: Vec<Season>,
    // Computed at load.
    pub matches: Vec<Idx>,
}

#[derive(Clone, Debug)]
pub struct Match {
    pub meta: Meta,
    /// The title the seed gives, or a label made from the teams and date (see `made_title`).
    pub title: Box<str>,
    /// Whether the server made `title` because the seed gives none; search leaves it out.
    pub made_title: bool,
    pub date: Option<PartialDate>,
    pub kind: Option<Box<str>>,
    pub competition: Option<Idx>,
    pub stage: Option<Box<str>>,
    pub city: Option<Box<str>>,
    pub teams: Vec<Idx>,
    pub winner: Option<Idx>,
    /// The season of `competition` it belongs to: an index into the competition's `seasons`.
    pub season: Option<Idx>,
    /// Points (goals, sets) per side, in the order of `teams`.
    pub score: Option<Box<[u32]>>,
    /// The parts of the result where the sport has them (sets, halves), in order.
    pub parts: Vec<MatchPart>,
    /// Whether it ended in a draw, where the seed says.
    pub draw: Option<bool>,
    /// The team that played at home, where the seed says.
    pub home: Option<Idx>,
    /// Whether it was played on neutral ground, where the seed says.
    pub neutral: Option<bool>,
    pub commentators: Vec<Idx>,
    pub films: Vec<Idx>,
    pub notes: Vec<Text>,
    // Computed at load.
    /// The tracks that score it, by album and number.
    pub tracks: Vec<Idx>,
}

#[derive(Clone, Debug)]
pub struct Album {
    pub meta: Meta,
    pub title: Box<str>,
    /// Who the album is by: a person or a group.
    pub artist: Option<Performer>,
    pub genres: Vec<Box<str>>,
    pub film: Option<Idx>,
    pub label: Option<Idx>,
    pub format: Option<Box<str>>,
    pub sku: Option<Box<str>>,
    pub isbn: Option<Box<str>>,
    pub price: Option<Money>,
    pub edition_size: Option<u32>,
    pub numbering: Option<Box<str>>,
    pub notes: Vec<Text>,
    // Computed at load.
    /// By number, which the loader checks runs 1, 2, 3… without gaps.
    pub tracks: Vec<Idx>,
    pub credits: Vec<Idx>,
    /// The sum of the tracks' durations; None when a track's duration is unknown.
    pub total_duration_seconds: Option<u64>,
}

#[derive(Clone, Debug)]
pub struct Track {
    pub meta: Meta,
    pub album: Idx,
    pub number: Option<u32>,
    pub title: Box<str>,
    pub duration: Option<Duration>,
    pub genres: Vec<Box<str>>,
    pub depicts: Vec<Idx>,
    // Computed at load.
    /// Its credits (composer, performer, ...), by role and then in the seed's order.
    pub credits: Vec<Idx>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    Director,
    Writer,
    Producer,
    Cast,
    Composer,
    Editor,
    LinerNotes,
    Performer,
    Lyricist,
    Arranger,
    Conductor,
}

/// What a credit is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Work {
    Film(Idx),
    Album(Idx),
    Track(Idx),
}

/// Who a credit names, or who an album is by: a person, a group, or a team that plays itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Performer {
    Person(Idx),
    Team(Idx),
    Group(Idx),
}

#[derive(Clone, Debug)]
pub struct Credit {
    pub work: Work,
    pub performer: Performer,
    pub role: Role,
    pub character: Option<Box<str>>,
    pub billing: Option<u32>,
    pub facts: Vec<Fact>,
    pub sources: Vec<Idx>,
}

#[derive(Clone, Debug)]
pub struct Coaching {
    pub person: Idx,
    pub team: Idx,
    pub from: Option<PartialDate>,
    pub to: Option<PartialDate>,
    pub during: Option<PartialDate>,
    pub note: Option<Box<str>>,
    pub facts: Vec<Fact>,
    pub sources: Vec<Idx>,
}

/// A band, an orchestra, an ensemble: performers credited together, with members where known.
#[derive(Clone, Debug)]
pub struct Group {
    pub meta: Meta,
    pub name: Box<str>,
    /// The people in it, where the seed says, in the seed's order.
    pub members: Vec<Idx>,
    pub notes: Vec<Text>,
    // Computed at load.
    /// By the work's year, then title, as a person's.
    pub credits: Vec<Idx>,
    /// The albums it is the artist of.
    pub albums: Vec<Idx>,
}

/// One season or edition of a competition (`2019–20`, `1981`), with its span where known.
#[derive(Clone, Debug)]
pub struct Season {
    pub name: Box<str>,
    pub from: Option<PartialDate>,
    pub to: Option<PartialDate>,
    pub sources: Vec<Idx>,
    pub editorial: Option<Box<str>>,
}

/// A team's place in a competition: which competition, in which season, from which sources.
#[derive(Clone, Debug)]
pub struct Entry {
    pub competition: Idx,
    /// An index into the competition's `seasons`.
    pub season: Option<Idx>,
    pub sources: Vec<Idx>,
    pub editorial: Option<Box<str>>,
}

/// One part of a match's result (a set, a half), with the points each side scored in it.
#[derive(Clone, Debug)]
pub struct MatchPart {
    /// What the part is called (`1st set`, `2nd half`).
    pub name: Box<str>,
    /// Per side, in the order of the match's `teams`.
    pub score: Box<[u32]>,
}
