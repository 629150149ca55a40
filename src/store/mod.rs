//! The in-memory graph: immutable once loaded, indexed by slug, with every reverse edge and
//! every sort order the API needs computed once at load. No GraphQL here.

pub mod model;
pub mod orders;
pub mod search;
pub mod values;

use std::collections::HashMap;

use model::*;

pub use orders::{Order, Orders};
pub use search::SearchIndex;

/// The whole catalogue. Built by [`crate::seed::load_files`]; never changed afterwards.
#[derive(Default)]
pub struct Store {
    pub sources: Vec<Source>,
    pub films: Vec<Film>,
    pub people: Vec<Person>,
    pub teams: Vec<Team>,
    pub companies: Vec<Company>,
    pub competitions: Vec<Competition>,
    pub matches: Vec<Match>,
    pub albums: Vec<Album>,
    pub tracks: Vec<Track>,
    pub credits: Vec<Credit>,
    pub coaching: Vec<Coaching>,
    /// For each kind (in [`Kind::ALL`]'s order), its table's index by slug. A hash map, not a
    /// sorted list: the loader looks up every reference, and a binary search over slugs
    /// scattered in memory made loading a million entities several times slower per entity.
    slugs: [HashMap<Box<str>, Idx>; 9],
    pub orders: Orders,
    pub search: SearchIndex,
}

/// What a kind is called in messages, and the seed file that holds it.
pub fn kind_table(kind: Kind) -> (&'static str, &'static str) {
    match kind {
        Kind::Film => ("film", "films.json"),
        Kind::Person => ("person", "people.json"),
        Kind::Team => ("team", "teams.json"),
        Kind::Match => ("match", "matches.json"),
        Kind::Album => ("album", "albums.json"),
        Kind::Track => ("track", "tracks.json"),
        Kind::Company => ("company", "companies.json"),
        Kind::Competition => ("competition", "competitions.json"),
        Kind::Source => ("source", "sources.json"),
    }
}

impl Store {
    /// How many entities of a kind there are.
    pub fn len(&self, kind: Kind) -> usize {
        match kind {
            Kind::Film => self.films.len(),
            Kind::Person => self.people.len(),
            Kind::Team => self.teams.len(),
            Kind::Match => self.matches.len(),
            Kind::Album => self.albums.len(),
            Kind::Track => self.tracks.len(),
            Kind::Company => self.companies.len(),
            Kind::Competition => self.competitions.len(),
            Kind::Source => self.sources.len(),
        }
    }

    /// The shared part of any entity. Panics only on an index the store did not hand out.
    pub fn meta(&self, node: NodeRef) -> &Meta {
        let i = node.idx as usize;
        match node.kind {
            Kind::Film => &self.films[i].meta,
            Kind::Person => &self.people[i].meta,
            Kind::Team => &self.teams[i].meta,
            Kind::Match => &self.matches[i].meta,
            Kind::Album => &self.albums[i].meta,
            Kind::Track => &self.tracks[i].meta,
            Kind::Company => &self.companies[i].meta,
            Kind::Competition => &self.competitions[i].meta,
            Kind::Source => &self.sources[i].meta,
        }
    }

    pub fn slug(&self, node: NodeRef) -> &str {
        &self.meta(node).slug
    }

    /// The name or title an entity is known by.
    pub fn label(&self, node: NodeRef) -> &str {
        let i = node.idx as usize;
        match node.kind {
            Kind::Film => &self.films[i].title,
            Kind::Person => &self.people[i].name,
            Kind::Team => &self.teams[i].name,
            Kind::Match => &self.matches[i].title,
            Kind::Album => &self.albums[i].title,
            Kind::Track => &self.tracks[i].title,
            Kind::Company => &self.companies[i].name,
            Kind::Competition => &self.competitions[i].name,
            Kind::Source => &self.sources[i].title,
        }
    }

    /// Looks an entity up by slug.
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
        }
    }

    fn meta_mut(&mut self, node: NodeRef) -> &mut Meta {
        let i = node.idx as usize;
        match node.kind {
            Kind::Film => &mut self.films[i].meta,
            Kind::Person => &mut self.people[i].meta,
            Kind::Team => &mut self.teams[i].meta,
            Kind::Match => &mut self.matches[i].meta,
            Kind::Album => &mut self.albums[i].meta,
            Kind::Track => &mut self.tracks[i].meta,
            Kind::Company => &mut self.companies[i].meta,
            Kind::Competition => &mut self.competitions[i].meta,
            Kind::Source => &mut self.sources[i].meta,
        }
    }

    /// Computes every reverse edge, sort order and the search index. Runs once, after every
    /// reference has been checked, so indices here are all valid.
    pub fn finish(&mut self) {
        self.link_credits();
        for (i, c) in self.coaching.iter().enumerate() {
            self.people[c.person as usize].coaching.push(i as Idx);
            self.teams[c.team as usize].coaches.push(i as Idx);
        }
        for (i, f) in self.films.iter().enumerate() {
            for c in &f.production_companies {
                self.companies[*c as usize].produced.push(i as Idx);
            }
            for c in &f.platforms {
                self.companies[*c as usize].streams.push(i as Idx);
            }
        }
        for (i, a) in self.albums.iter().enumerate() {
            if let Some(f) = a.film {
                self.films[f as usize].albums.push(i as Idx);
            }
            if let Some(l) = a.label {
                self.companies[l as usize].labelled.push(i as Idx);
            }
        }
        self.link_matches();
        self.link_tracks();
        self.sort_edges();
        self.orders = Orders::build(self);
        self.spread_relationship_sources();
        self.link_sources();
        self.search = self.build_search();
    }

    fn link_credits(&mut self) {
        for (i, c) in self.credits.iter().enumerate() {
            let i = i as Idx;
            match c.work {
                Work::Film(f) if c.role == Role::Cast => self.films[f as usize].cast.push(i),
                Work::Film(f) => self.films[f as usize].crew.push(i),
                Work::Album(a) => self.albums[a as usize].credits.push(i),
            }
            match c.performer {
                Performer::Person(p) => {
                    let person = &mut self.people[p as usize];
                    person.credits.push(i);
                    if let Work::Album(a) = c.work
                        && !person.albums.contains(&a)
                    {
                        person.albums.push(a);
                    }
                }
                Performer::Team(t) => self.teams[t as usize].credits.push(i),
            }
        }
        let credits = &self.credits;
        for film in &mut self.films {
            film.crew.sort_by_key(|c| credits[*c as usize].role);
        }
        for album in &mut self.albums {
            album.credits.sort_by_key(|c| credits[*c as usize].role);
        }
    }

    fn link_matches(&mut self) {
        for (i, m) in self.matches.iter().enumerate() {
            let i = i as Idx;
            for t in &m.teams {
                self.teams[*t as usize].matches.push(i);
            }
            for p in &m.commentators {
                self.people[*p as usize].commentated.push(i);
            }
            for f in &m.films {
                self.films[*f as usize].matches.push(i);
            }
            if let Some(c) = m.competition {
                self.competitions[c as usize].matches.push(i);
            }
        }
    }

    fn link_tracks(&mut self) {
        for (i, t) in self.tracks.iter().enumerate() {
            let album = &mut self.albums[t.album as usize];
            album.tracks.push(i as Idx);
            album.total_duration_seconds += u64::from(t.duration.seconds);
            for m in &t.depicts {
                self.matches[*m as usize].tracks.push(i as Idx);
            }
        }
        let tracks = &self.tracks;
        let albums = &self.albums;
        for m in &mut self.matches {
            m.tracks.sort_by(|a, b| {
                let (ta, tb) = (&tracks[*a as usize], &tracks[*b as usize]);
                albums[ta.album as usize]
                    .meta
                    .slug
                    .cmp(&albums[tb.album as usize].meta.slug)
                    .then(ta.number.cmp(&tb.number))
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
            .films
            .iter()
            .map(|f| {
                (
                    by(self, &f.cast, Order::Cast),
                    by(self, &f.matches, Order::MatchDate),
                )
            })
            .collect();
        for (film, (cast, matches)) in self.films.iter_mut().zip(films) {
            film.cast = cast;
            film.matches = matches;
        }
        let people: Vec<_> = self
            .people
            .iter()
            .map(|p| {
                (
                    by(self, &p.credits, Order::PersonCredits),
                    by(self, &p.commentated, Order::MatchDate),
                )
            })
            .collect();
        for (person, (credits, commentated)) in self.people.iter_mut().zip(people) {
            person.credits = credits;
            person.commentated = commentated;
        }
        let teams: Vec<_> = self
            .teams
            .iter()
            .map(|t| by(self, &t.matches, Order::MatchDate))
            .collect();
        for (team, matches) in self.teams.iter_mut().zip(teams) {
            team.matches = matches;
        }
        let competitions: Vec<_> = self
            .competitions
            .iter()
            .map(|c| by(self, &c.matches, Order::MatchDate))
            .collect();
        for (competition, matches) in self.competitions.iter_mut().zip(competitions) {
            competition.matches = matches;
        }
        let albums: Vec<_> = self
            .albums
            .iter()
            .map(|a| by(self, &a.tracks, Order::TrackNumber))
            .collect();
        for (album, tracks) in self.albums.iter_mut().zip(albums) {
            album.tracks = tracks;
        }
    }

    /// A credit's or a coaching's sources are sources of both entities it links. Gathered
    /// first and merged once per entity, so that a person with many credits costs no more
    /// than one sort of their sources.
    fn spread_relationship_sources(&mut self) {
        let mut extra: Vec<(NodeRef, Idx)> = Vec::new();
        for c in &self.credits {
            for s in &c.sources {
                extra.push((Store::work_node(c.work), *s));
                extra.push((Store::performer_node(c.performer), *s));
            }
        }
        for c in &self.coaching {
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
            let meta = self.meta_mut(group[0].0);
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
                Kind::Film => names.extend(self.films[node.idx as usize].original_title.as_deref()),
                Kind::Team => {
                    names.extend(self.teams[node.idx as usize].aliases.iter().map(|a| &**a))
                }
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
        let mut supports: Vec<Vec<NodeRef>> = vec![Vec::new(); self.sources.len()];
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
        for (source, list) in self.sources.iter_mut().zip(supports) {
            source.supports = list;
        }
        for (i, s) in self.sources.iter().enumerate() {
            if let Some(a) = s.author {
                self.people[a as usize].authored.push(i as Idx);
            }
        }
    }
}
