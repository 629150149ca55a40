//! The in-memory graph: immutable once loaded, indexed by slug, with every reverse edge and
//! every sort order the API needs computed once at load, and the query layer over it. No
//! GraphQL here.
//!
//! Owns: the records and the one table of kinds (`model`), plain values (`values`), the
//! builder the seed layer fills and the finished [`Store`] (here), sort orders and cursor keys
//! (`orders`), the search index (`search`), global ids (`ids`), and lookups, paging, filters
//! and search pages (`query`). Imports: nothing of ours outside `store` (its unit tests load
//! seeds as fixtures). Everything else imports it: seed fills it; schema and exec read it.

pub mod ids;
pub mod model;
pub mod orders;
pub mod query;
pub mod search;
pub mod values;

use std::collections::HashMap;

use model::*;

pub use orders::{Order, Orders};
pub use search::SearchIndex;

/// The whole catalogue, finished and checked: only [`StoreBuilder::finish`] makes one (or
/// `Default`, the empty graph a server holds before its first load), and nothing changes it
/// afterwards. Its tables are read through slices (`store.films()`), generated with [`Kind`].
#[derive(Default)]
pub struct Store {
    tables: Tables,
    /// For each kind (in [`Kind::ALL`]'s order), its table's index by slug. A hash map, not a
    /// sorted list: the loader looks up every reference, and a binary search over slugs
    /// scattered in memory made loading a million entities several times slower per entity.
    slugs: SlugIndex,
    orders: Orders,
    search: SearchIndex,
}

type SlugIndex = [HashMap<Box<str>, Idx>; Kind::COUNT];

/// A store being filled by the seed layer: records are pushed kind by kind, each kind's slugs
/// indexed once its file is read (so later files can resolve references to it), and
/// [`StoreBuilder::finish`] computes what is derived and hands out the readable [`Store`].
#[derive(Default)]
pub struct StoreBuilder {
    tables: Tables,
    slugs: SlugIndex,
}

impl StoreBuilder {
    pub fn new() -> StoreBuilder {
        StoreBuilder::default()
    }

    /// Appends a record to its table and returns its index.
    pub(crate) fn push<T: Record>(&mut self, record: T) -> Idx {
        let table = T::table_mut(&mut self.tables);
        table.push(record);
        (table.len() - 1) as Idx
    }

    /// The records pushed so far to one table.
    pub(crate) fn records<T: Record>(&self) -> &[T] {
        T::table(&self.tables)
    }

    pub(crate) fn record_mut<T: Record>(&mut self, idx: Idx) -> Option<&mut T> {
        T::table_mut(&mut self.tables).get_mut(idx as usize)
    }

    pub fn len(&self, kind: Kind) -> usize {
        self.tables.len(kind)
    }

    pub fn slug(&self, node: NodeRef) -> &str {
        &self.tables.meta(node).slug
    }

    /// Looks an entity up by slug, in a kind whose slugs are indexed.
    pub fn find(&self, kind: Kind, slug: &str) -> Option<Idx> {
        self.slugs[kind as usize].get(slug).copied()
    }

    /// Builds the slug index of one kind and returns the pairs of records that share a slug
    /// (the first holder, then the later one).
    pub fn index_slugs(&mut self, kind: Kind) -> Vec<(Idx, Idx)> {
        let mut index: HashMap<Box<str>, Idx> = HashMap::with_capacity(self.len(kind));
        let mut duplicates = Vec::new();
        for idx in 0..self.len(kind) as Idx {
            let slug = self.slug(NodeRef { kind, idx });
            match index.get(slug) {
                Some(first) => duplicates.push((*first, idx)),
                None => {
                    index.insert(slug.into(), idx);
                }
            }
        }
        self.slugs[kind as usize] = index;
        duplicates
    }

    /// Computes every reverse edge, sort order and the search index, and hands out the
    /// store. The seed layer calls it only once every reference has been checked, so the
    /// indices followed here are all valid.
    pub fn finish(self) -> Store {
        let mut store = Store {
            tables: self.tables,
            slugs: self.slugs,
            orders: Orders::default(),
            search: SearchIndex::default(),
        };
        store.finish();
        store
    }
}

impl Store {
    /// How many entities of a kind there are.
    #[inline]
    pub fn len(&self, kind: Kind) -> usize {
        self.tables.len(kind)
    }

    /// The shared part of any entity. Panics only on an index the store did not hand out.
    #[inline]
    pub fn meta(&self, node: NodeRef) -> &Meta {
        self.tables.meta(node)
    }

    #[inline]
    pub fn slug(&self, node: NodeRef) -> &str {
        &self.meta(node).slug
    }

    /// The name or title an entity is known by.
    #[inline]
    pub fn label(&self, node: NodeRef) -> &str {
        self.tables.label(node)
    }

    /// Looks an entity up by slug.
    #[inline]
    pub fn find(&self, kind: Kind, slug: &str) -> Option<Idx> {
        self.slugs[kind as usize].get(slug).copied()
    }

    /// The orders of the root lists, prepared at load.
    #[inline]
    pub fn orders(&self) -> &Orders {
        &self.orders
    }

    /// The search index over every node's names.
    #[inline]
    pub fn search_index(&self) -> &SearchIndex {
        &self.search
    }

    /// Every entity of every kind, in a stable order.
    pub fn nodes(&self) -> impl Iterator<Item = NodeRef> + '_ {
        Kind::ALL
            .into_iter()
            .flat_map(move |kind| (0..self.len(kind) as Idx).map(move |idx| NodeRef { kind, idx }))
    }

    /// The work a credit is on, as a node.
    pub fn work_node(work: Work) -> NodeRef {
        match work {
            Work::Film(idx) => NodeRef {
                kind: Kind::Film,
                idx,
            },
            Work::Album(idx) => NodeRef {
                kind: Kind::Album,
                idx,
            },
            Work::Track(idx) => NodeRef {
                kind: Kind::Track,
                idx,
            },
        }
    }

    pub fn performer_node(performer: Performer) -> NodeRef {
        match performer {
            Performer::Person(idx) => NodeRef {
                kind: Kind::Person,
                idx,
            },
            Performer::Team(idx) => NodeRef {
                kind: Kind::Team,
                idx,
            },
            Performer::Group(idx) => NodeRef {
                kind: Kind::Group,
                idx,
            },
        }
    }

    /// Computes every reverse edge, sort order and the search index: see
    /// [`StoreBuilder::finish`], the only caller.
    fn finish(&mut self) {
        self.link_credits();
        for (i, c) in self.tables.coaching.iter().enumerate() {
            self.tables.people[c.person as usize]
                .coaching
                .push(i as Idx);
            self.tables.teams[c.team as usize].coaches.push(i as Idx);
        }
        for (i, f) in self.tables.films.iter().enumerate() {
            for c in &f.production_companies {
                self.tables.companies[*c as usize].produced.push(i as Idx);
            }
            for c in &f.platforms {
                self.tables.companies[*c as usize].streams.push(i as Idx);
            }
        }
        for (i, a) in self.tables.albums.iter().enumerate() {
            if let Some(f) = a.film {
                self.tables.films[f as usize].albums.push(i as Idx);
            }
            if let Some(l) = a.label {
                self.tables.companies[l as usize].labelled.push(i as Idx);
            }
        }
        self.link_performers();
        self.link_matches();
        self.link_tracks();
        self.sort_edges();
        self.orders = Orders::build(self);
        self.spread_relationship_sources();
        self.link_sources();
        self.search = self.build_search();
    }

    fn link_credits(&mut self) {
        for (i, c) in self.tables.credits.iter().enumerate() {
            let i = i as Idx;
            match c.work {
                Work::Film(f) if c.role == Role::Cast => self.tables.films[f as usize].cast.push(i),
                Work::Film(f) => self.tables.films[f as usize].crew.push(i),
                Work::Album(a) => self.tables.albums[a as usize].credits.push(i),
                Work::Track(t) => self.tables.tracks[t as usize].credits.push(i),
            }
            match c.performer {
                Performer::Person(p) => {
                    let person = &mut self.tables.people[p as usize];
                    person.credits.push(i);
                    if let Work::Album(a) = c.work
                        && !person.albums.contains(&a)
                    {
                        person.albums.push(a);
                    }
                }
                Performer::Team(t) => self.tables.teams[t as usize].credits.push(i),
                Performer::Group(g) => self.tables.groups[g as usize].credits.push(i),
            }
        }
        let credits = &self.tables.credits;
        for track in &mut self.tables.tracks {
            track.credits.sort_by_key(|c| credits[*c as usize].role);
        }
        for film in &mut self.tables.films {
            film.crew.sort_by_key(|c| credits[*c as usize].role);
        }
        for album in &mut self.tables.albums {
            album.credits.sort_by_key(|c| credits[*c as usize].role);
        }
    }

    /// Who albums are by, and who is in which group.
    fn link_performers(&mut self) {
        for (i, a) in self.tables.albums.iter().enumerate() {
            match a.artist {
                Some(Performer::Person(p)) => {
                    let albums = &mut self.tables.people[p as usize].albums;
                    if !albums.contains(&(i as Idx)) {
                        albums.push(i as Idx);
                    }
                }
                Some(Performer::Group(g)) => self.tables.groups[g as usize].albums.push(i as Idx),
                Some(Performer::Team(_)) | None => {}
            }
        }
        for (i, g) in self.tables.groups.iter().enumerate() {
            for p in &g.members {
                self.tables.people[*p as usize].groups.push(i as Idx);
            }
        }
    }

    fn link_matches(&mut self) {
        for (i, m) in self.tables.matches.iter().enumerate() {
            let i = i as Idx;
            for t in &m.teams {
                self.tables.teams[*t as usize].matches.push(i);
            }
            for p in &m.commentators {
                self.tables.people[*p as usize].commentated.push(i);
            }
            for f in &m.films {
                self.tables.films[*f as usize].matches.push(i);
            }
            if let Some(c) = m.competition {
                self.tables.competitions[c as usize].matches.push(i);
            }
        }
    }

    fn link_tracks(&mut self) {
        for (i, t) in self.tables.tracks.iter().enumerate() {
            let album = &mut self.tables.albums[t.album as usize];
            album.tracks.push(i as Idx);
            album.total_duration_seconds = album
                .total_duration_seconds
                .zip(t.duration.as_ref())
                .map(|(total, d)| total + u64::from(d.seconds));
            for m in &t.depicts {
                self.tables.matches[*m as usize].tracks.push(i as Idx);
            }
        }
        let tracks = &self.tables.tracks;
        let albums = &self.tables.albums;
        for m in &mut self.tables.matches {
            m.tracks.sort_by(|a, b| {
                let (ta, tb) = (&tracks[*a as usize], &tracks[*b as usize]);
                albums[ta.album as usize]
                    .meta
                    .slug
                    .cmp(&albums[tb.album as usize].meta.slug)
                    .then(
                        ta.number
                            .unwrap_or(u32::MAX)
                            .cmp(&tb.number.unwrap_or(u32::MAX)),
                    )
                    .then(ta.meta.slug.cmp(&tb.meta.slug))
            });
        }
    }

    /// Orders every edge list that a connection pages through by the very key its cursors
    /// carry ([`Order::key`]), so that the list and its cursors can never disagree.
    fn sort_edges(&mut self) {
        let by = |store: &Store, list: &[Idx], order: Order| {
            let mut sorted = list.to_vec();
            sorted.sort_by_cached_key(|i| order.key(store, *i));
            sorted
        };
        let films: Vec<_> = self
            .films()
            .iter()
            .map(|f| {
                (
                    by(self, &f.cast, Order::Cast),
                    by(self, &f.matches, Order::MatchDate),
                )
            })
            .collect();
        for (film, (cast, matches)) in self.tables.films.iter_mut().zip(films) {
            film.cast = cast;
            film.matches = matches;
        }
        let people: Vec<_> = self
            .people()
            .iter()
            .map(|p| {
                (
                    by(self, &p.credits, Order::PersonCredits),
                    by(self, &p.commentated, Order::MatchDate),
                    by(self, &p.albums, Order::Label(Kind::Album)),
                )
            })
            .collect();
        for (person, (credits, commentated, albums)) in self.tables.people.iter_mut().zip(people) {
            person.credits = credits;
            person.commentated = commentated;
            person.albums = albums;
        }
        let companies: Vec<_> = self
            .companies()
            .iter()
            .map(|c| {
                (
                    by(self, &c.produced, Order::FilmYear),
                    by(self, &c.streams, Order::FilmYear),
                    by(self, &c.labelled, Order::Label(Kind::Album)),
                )
            })
            .collect();
        for (company, (produced, streams, labelled)) in
            self.tables.companies.iter_mut().zip(companies)
        {
            company.produced = produced;
            company.streams = streams;
            company.labelled = labelled;
        }
        let groups: Vec<_> = self
            .groups()
            .iter()
            .map(|g| by(self, &g.credits, Order::PersonCredits))
            .collect();
        for (group, credits) in self.tables.groups.iter_mut().zip(groups) {
            group.credits = credits;
        }
        let teams: Vec<_> = self
            .teams()
            .iter()
            .map(|t| by(self, &t.matches, Order::MatchDate))
            .collect();
        for (team, matches) in self.tables.teams.iter_mut().zip(teams) {
            team.matches = matches;
        }
        let competitions: Vec<_> = self
            .competitions()
            .iter()
            .map(|c| by(self, &c.matches, Order::MatchDate))
            .collect();
        for (competition, matches) in self.tables.competitions.iter_mut().zip(competitions) {
            competition.matches = matches;
        }
        let albums: Vec<_> = self
            .albums()
            .iter()
            .map(|a| by(self, &a.tracks, Order::TrackNumber))
            .collect();
        for (album, tracks) in self.tables.albums.iter_mut().zip(albums) {
            album.tracks = tracks;
        }
    }

    /// A credit's or a coaching's sources are sources of both entities it links. Gathered
    /// first and merged once per entity, so that a person with many credits costs no more
    /// than one sort of their sources.
    fn spread_relationship_sources(&mut self) {
        let mut extra: Vec<(NodeRef, Idx)> = Vec::new();
        for c in &self.tables.credits {
            for s in &c.sources {
                extra.push((Store::work_node(c.work), *s));
                extra.push((Store::performer_node(c.performer), *s));
            }
        }
        for c in &self.tables.coaching {
            for s in &c.sources {
                extra.push((
                    NodeRef {
                        kind: Kind::Person,
                        idx: c.person,
                    },
                    *s,
                ));
                extra.push((
                    NodeRef {
                        kind: Kind::Team,
                        idx: c.team,
                    },
                    *s,
                ));
            }
        }
        extra.sort_unstable();
        extra.dedup();
        for group in extra.chunk_by(|a, b| a.0 == b.0) {
            let meta = self.tables.meta_mut(group[0].0);
            meta.sources.extend(group.iter().map(|(_, s)| *s));
            meta.sources.sort_unstable();
            meta.sources.dedup();
        }
    }

    /// Indexes every node's names. A node's search document number is its place in the order
    /// search results are listed in after their rank: by kind, then in the kind's label order
    /// (folded label, then slug). Postings are sorted by document number, so the index yields
    /// each rank's hits already in result order and nothing has to sort them per request.
    /// [`Store::node_at`] maps a number back to its node.
    fn build_search(&self) -> SearchIndex {
        let mut builder = search::SearchIndexBuilder::new();
        let labelled = Kind::ALL.into_iter().flat_map(|kind| {
            self.orders
                .label(kind)
                .iter()
                .map(move |&idx| NodeRef { kind, idx })
        });
        for (doc, node) in labelled.enumerate() {
            let mut names: Vec<&str> = vec![self.label(node)];
            match node.kind {
                // A label the server made is no name of the match: search leaves it out.
                Kind::Match if self.tables.matches[node.idx as usize].made_title => names.clear(),
                Kind::Film => names.extend(
                    self.tables.films[node.idx as usize]
                        .original_title
                        .as_deref(),
                ),
                Kind::Team => names.extend(
                    self.tables.teams[node.idx as usize]
                        .aliases
                        .iter()
                        .map(|a| &**a),
                ),
                _ => {}
            }
            builder.add(doc as u32, &names);
        }
        builder.finish()
    }

    /// The node with search document number `doc` (see [`Store::build_search`]).
    pub fn node_at(&self, doc: u32) -> Option<NodeRef> {
        let mut rest = doc as usize;
        for kind in Kind::ALL {
            let order = self.orders.label(kind);
            if let Some(&idx) = order.get(rest) {
                return Some(NodeRef { kind, idx });
            }
            rest -= order.len();
        }
        None
    }

    /// How many nodes there are, of every kind.
    pub fn node_count(&self) -> usize {
        Kind::ALL.iter().map(|k| self.len(*k)).sum()
    }

    /// The search document numbers of the nodes of one kind, which are consecutive.
    pub fn docs_of(&self, kind: Kind) -> std::ops::Range<u32> {
        let start: usize = Kind::ALL
            .iter()
            .take_while(|k| **k != kind)
            .map(|k| self.len(*k))
            .sum();
        start as u32..(start + self.len(kind)) as u32
    }

    fn link_sources(&mut self) {
        let mut supports: Vec<Vec<NodeRef>> = vec![Vec::new(); self.tables.sources.len()];
        for node in self.nodes().filter(|n| n.kind != Kind::Source) {
            for s in &self.meta(node).sources {
                if let Some(list) = supports.get_mut(*s as usize) {
                    list.push(node);
                }
            }
        }
        for list in &mut supports {
            // By kind and slug: the order `Source.supports` pages through.
            list.sort_by(|a, b| {
                a.kind
                    .cmp(&b.kind)
                    .then_with(|| self.slug(*a).cmp(self.slug(*b)))
            });
        }
        for (source, list) in self.tables.sources.iter_mut().zip(supports) {
            source.supports = list;
        }
        for (i, s) in self.tables.sources.iter().enumerate() {
            if let Some(a) = s.author {
                self.tables.people[a as usize].authored.push(i as Idx);
            }
        }
        // By title, the order `Person.authoredConnection` pages through.
        let order = Order::Label(Kind::Source);
        let authored: Vec<Vec<Idx>> = self
            .people()
            .iter()
            .map(|p| {
                let mut list = p.authored.clone();
                list.sort_by_cached_key(|i| order.key(self, *i));
                list
            })
            .collect();
        for (person, list) in self.tables.people.iter_mut().zip(authored) {
            person.authored = list;
        }
    }
}
