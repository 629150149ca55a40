//! Reads each seed file into the store's records, resolving every reference by slug and
//! recording the provenance of every fact. Files are read in dependency order, so that a
//! reference always points into a table that is already complete.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::dangling::FileState;
use super::reader::{Problems, SeedRecord};
use crate::store::StoreBuilder;
use crate::store::model::*;
use crate::store::values::{Duration, Money, PartialDate, check_isbn, check_slug};

/// Declares the seed files, in the order they are read, once for both the list of names and
/// the seed bundled with the binary.
macro_rules! seed_files {
    ($($file:literal,)*) => {
        /// The files a seed directory may hold, in the order they are read: each file's
        /// references point only into files read before it (source authors aside, see
        /// `Decoder::pending_authors`).
        pub const FILES: [&str; [$($file),*].len()] = [$($file),*];

        /// The seed bundled with the binary, so that it serves the Leap graph from anywhere:
        /// its `seed.json`, then every seed file.
        pub const BUNDLED: [(&str, &[u8]); FILES.len() + 1] = [
            (super::MANIFEST, include_bytes!("../../seed/seed.json")),
            $(($file, include_bytes!(concat!("../../seed/", $file)))),*
        ];
    };
}

seed_files! {
    "sources.json",
    "people.json",
    "groups.json",
    "companies.json",
    "competitions.json",
    "teams.json",
    "films.json",
    "albums.json",
    "matches.json",
    "tracks.json",
    "credits.json",
    "coaching.json",
}

/// Fills a store builder from parsed files, collecting problems as it goes.
pub struct Decoder {
    pub store: StoreBuilder,
    pub problems: Vec<super::Problem>,
    /// Source authors are people, and people cite sources, so authors are resolved last.
    pending_authors: Vec<(Idx, String, String)>,
    /// For each kind, the position in its file of each record kept, so that problems found
    /// after decoding (duplicate slugs, track numbering) point at the right record.
    pub positions: BTreeMap<Kind, Vec<usize>>,
    /// Albums with a track that was refused: a gap in their numbering is that track's, and
    /// has already been reported as what is really wrong with it.
    pub refused_tracks: BTreeSet<Idx>,
    /// References that named nothing, reported once each after every file is read.
    dangling: RefCell<super::dangling::Dangling>,
    /// What the seed uses that is newer than the version it is written in.
    versions: super::versions::VersionCheck,
    /// The kinds whose file is in the seed but could not be read whole, with the position of
    /// its problem in `problems`, to which the references into it are added as a count.
    broken: BTreeMap<Kind, usize>,
}

/// The fields of each record that are facts and so need a source (or an editorial note).
const FILM_FACTS: &[&str] = &[
    "title",
    "originalTitle",
    "genres",
    "runtimeMinutes",
    "productionCompanies",
    "platforms",
];
const PERSON_FACTS: &[&str] = &["name"];
const TEAM_FACTS: &[&str] = &["name", "aliases", "sport"];
const GROUP_FACTS: &[&str] = &["name", "members"];
const COMPANY_FACTS: &[&str] = &["name"];
const COMPETITION_FACTS: &[&str] = &["name", "date", "city", "sport"];
const MATCH_FACTS: &[&str] = &[
    "title",
    "date",
    "kind",
    "competition",
    "stage",
    "city",
    "teams",
    "winner",
    "commentators",
    "films",
    "season",
    "score",
    "parts",
    "draw",
    "home",
    "neutral",
];
const ALBUM_FACTS: &[&str] = &[
    "title",
    "film",
    "label",
    "format",
    "sku",
    "isbn",
    "price",
    "editionSize",
    "numbering",
    "artist",
    "genres",
];
const TRACK_FACTS: &[&str] = &["album", "number", "title", "duration", "depicts", "genres"];
const CREDIT_FACTS: &[&str] = &[
    "film",
    "album",
    "track",
    "person",
    "team",
    "group",
    "role",
    "character",
    "billing",
];
const COACHING_FACTS: &[&str] = &["person", "team", "from", "to", "during", "note"];
const SOURCE_FACTS: &[&str] = &[
    "title",
    "kind",
    "publisher",
    "section",
    "author",
    "file",
    "url",
    "version",
    "licence",
];

/// The provenance fields every record may carry.
const PROVENANCE: &[&str] = &["sources", "cite", "editorial"];

fn fields(own: &[&'static str], facts: &[&'static str]) -> Vec<&'static str> {
    let mut all: Vec<&str> = own.to_vec();
    all.extend_from_slice(facts);
    all.extend_from_slice(PROVENANCE);
    all
}

impl Decoder {
    /// `version` is the one `seed.json` says, `None` without it (see `VersionCheck::new`).
    pub fn new(version: Option<u32>) -> Decoder {
        Decoder {
            store: StoreBuilder::new(),
            problems: Vec::new(),
            pending_authors: Vec::new(),
            positions: BTreeMap::new(),
            refused_tracks: BTreeSet::new(),
            dangling: RefCell::default(),
            versions: super::versions::VersionCheck::new(version),
            broken: BTreeMap::new(),
        }
    }

    /// A seed file that is there but could not be read at all (not a file, no permission).
    pub fn unreadable(&mut self, file: &str, message: String) {
        if let Some(kind) = Kind::ALL.into_iter().find(|k| k.seed_file() == file) {
            self.broken.insert(kind, self.problems.len());
        }
        self.problems.push(super::Problem {
            file: file.to_owned(),
            path: "$".into(),
            message,
        });
    }

    /// Reads one file's top-level array with `each`, which returns the record it made. The
    /// records are streamed: each is parsed, decoded and dropped before the next, so memory
    /// holds one record's JSON at a time, never the whole file's tree.
    fn file<T: Record>(
        &mut self,
        files: &BTreeMap<&str, Vec<u8>>,
        file: &str,
        kind: Option<Kind>,
        mut each: impl FnMut(&mut Decoder, &mut Vec<super::Problem>, &Value, String) -> Option<T>,
    ) {
        let Some(bytes) = files.get(file) else { return };
        let mut problems = std::mem::take(&mut self.problems);
        let mut seen = super::duplicates::Seen::default();
        let streamed = super::stream::for_each_record(bytes, |i, item| {
            // A record written twice is reported once, as what it is, and not decoded again:
            // a second report of its slug or its credit would only repeat this one.
            if let Some(first) = seen.earlier(i, &item) {
                problems.push(super::Problem {
                    file: file.to_owned(),
                    path: format!("$[{i}]"),
                    message: format!("duplicate record: the same as $[{first}]"),
                });
                return;
            }
            self.versions.record(file, i, &item);
            if let Some(record) = each(self, &mut problems, &item, format!("$[{i}]")) {
                self.store.push(record);
                if let Some(kind) = kind {
                    self.positions.entry(kind).or_default().push(i);
                }
            } else if let (Some(kind), Some(slug)) =
                (kind, item.get("slug").and_then(Value::as_str))
            {
                // References to it will not resolve; they are summarised, not repeated.
                self.dangling
                    .get_mut()
                    .refused(kind, slug, format!("$[{i}]"));
            }
        });
        if let Err(e) = streamed {
            if let Some(kind) = kind {
                self.broken.insert(kind, problems.len());
            }
            problems.push(super::Problem {
                file: file.to_owned(),
                path: "$".into(),
                message: super::syntax_message(&e, bytes),
            });
        }
        self.problems = problems;
        if let Some(kind) = kind {
            self.index_slugs(file, kind);
        }
    }

    /// Sorts a table's slugs for lookup, reporting duplicates.
    fn index_slugs(&mut self, file: &str, kind: Kind) {
        let duplicates = self.store.index_slugs(kind);
        for (first, second) in duplicates {
            self.problems.push(super::Problem {
                file: file.to_owned(),
                path: format!("{}.slug", self.record_path(kind, second)),
                message: format!(
                    "duplicate slug \"{}\": {} has it too",
                    self.store.slug(NodeRef { kind, idx: first }),
                    self.record_path(kind, first)
                ),
            });
        }
    }

    /// The JSON path of a kept record in its file.
    pub fn record_path(&self, kind: Kind, idx: Idx) -> String {
        let pos = self
            .positions
            .get(&kind)
            .and_then(|p| p.get(idx as usize))
            .copied()
            .unwrap_or(idx as usize);
        format!("$[{pos}]")
    }

    pub fn decode_all(&mut self, files: &BTreeMap<&str, Vec<u8>>) {
        self.file(files, "sources.json", Some(Kind::Source), Self::source);
        self.file(files, "people.json", Some(Kind::Person), Self::person);
        self.resolve_authors();
        self.file(files, "groups.json", Some(Kind::Group), Self::group);
        self.file(files, "companies.json", Some(Kind::Company), Self::company);
        self.file(
            files,
            "competitions.json",
            Some(Kind::Competition),
            Self::competition,
        );
        self.file(files, "teams.json", Some(Kind::Team), Self::team);
        self.file(files, "films.json", Some(Kind::Film), Self::film);
        self.file(files, "albums.json", Some(Kind::Album), Self::album);
        self.file(files, "matches.json", Some(Kind::Match), Self::match_);
        self.file(files, "tracks.json", Some(Kind::Track), Self::track);
        self.file(files, "credits.json", None, Self::credit);
        self.file(files, "coaching.json", None, Self::coaching);
        let state = |kind: Kind| match self.broken.get(&kind) {
            Some(at) => FileState::Broken(*at),
            None if files.contains_key(kind.seed_file()) => FileState::Read,
            None => FileState::Missing,
        };
        self.dangling.take().report(state, &mut self.problems);
        std::mem::take(&mut self.versions)
            .report(|file| files.contains_key(file), &mut self.problems);
    }

    fn resolve_authors(&mut self) {
        for (source, slug, path) in std::mem::take(&mut self.pending_authors) {
            match self.store.find(Kind::Person, &slug) {
                Some(person) => {
                    if let Some(s) = self.store.record_mut::<Source>(source) {
                        s.author = Some(person);
                    }
                }
                None => self
                    .dangling
                    .get_mut()
                    .refer(Kind::Person, &slug, "sources.json", &path),
            }
        }
    }

    /// Resolves a reference to an entity of `kind` by slug, reporting one that names nothing.
    fn reference(&self, p: &mut Problems, kind: Kind, path: &str, slug: &str) -> Option<Idx> {
        let found = self.store.find(kind, slug);
        if found.is_none() {
            self.dangling.borrow_mut().refer(kind, slug, p.file, path);
        }
        found
    }

    fn one_ref(&self, p: &mut Problems, o: &SeedRecord, key: &str, kind: Kind) -> Option<Idx> {
        let slug = o.str(p, key)?;
        self.reference(p, kind, &o.at(key), slug)
    }

    fn refs(&self, p: &mut Problems, o: &SeedRecord, key: &str, kind: Kind) -> Vec<Idx> {
        let mut out: Vec<Idx> = Vec::new();
        for (path, slug) in o.strings(p, key) {
            if let Some(idx) = self.reference(p, kind, &path, slug) {
                if out.contains(&idx) {
                    p.add(&path, format!("\"{slug}\" is listed twice"));
                } else {
                    out.push(idx);
                }
            }
        }
        out
    }

    fn source_refs(&self, p: &mut Problems, o: &SeedRecord, key: &str) -> Vec<Idx> {
        let list = self.refs(p, o, key, Kind::Source);
        if matches!(o.get(key), Some(Value::Array(items)) if items.is_empty()) {
            p.add(&o.at(key), "must name at least one source");
        }
        list
    }

    /// Reads `sources`, `cite` and `editorial` and works out the provenance of every fact
    /// field the record has. A fact cites `cite[field]` if given, else the record's `sources`
    /// unless the field is editorial only; one with neither a source nor a note is reported.
    fn provenance(
        &self,
        p: &mut Problems,
        o: &SeedRecord,
        facts: &[&'static str],
    ) -> (Vec<Fact>, Vec<Idx>) {
        let record_sources = self.source_refs(p, o, "sources");
        let mut cite: BTreeMap<&str, Vec<Idx>> = BTreeMap::new();
        for (path, key, value) in o.entries(p, "cite") {
            if !self.fact_key(p, o, facts, &path, key) {
                continue;
            }
            let list = match value {
                Value::Array(items) if !items.is_empty() => items
                    .iter()
                    .enumerate()
                    .filter_map(|(i, v)| {
                        let at = format!("{path}[{i}]");
                        match v.as_str() {
                            Some(slug) => self.reference(p, Kind::Source, &at, slug),
                            None => {
                                p.add(
                                    &at,
                                    format!(
                                        "expected a source's slug, found {}",
                                        super::reader::describe(v)
                                    ),
                                );
                                None
                            }
                        }
                    })
                    .collect(),
                _ => {
                    p.add(&path, "expected a non-empty array of source slugs");
                    Vec::new()
                }
            };
            cite.insert(key, list);
        }
        let mut editorial: BTreeMap<&str, Box<str>> = BTreeMap::new();
        for (path, key, value) in o.entries(p, "editorial") {
            if !self.fact_key(p, o, facts, &path, key) {
                continue;
            }
            match value.as_str() {
                Some(note) if !note.trim().is_empty() => {
                    editorial.insert(key, note.into());
                }
                _ => p.add(&path, "expected a note saying where this fact comes from"),
            }
        }
        let mut out = Vec::new();
        let mut union = record_sources.clone();
        for field in facts.iter().copied().filter(|f| o.has(f)) {
            let note = editorial.remove(field);
            let cited = cite.remove(field);
            // A field whose `cite` did not resolve has been reported already.
            let was_cited = cited.is_some();
            let sources = match cited {
                Some(list) => list,
                None if note.is_some() => Vec::new(),
                None => record_sources.clone(),
            };
            // A record whose `sources` did not resolve has been reported already.
            if sources.is_empty() && note.is_none() && !o.has("sources") && !was_cited {
                p.add(
                    &o.at(field),
                    "this fact has no source: list the record's \"sources\", cite the field in \"cite\", or explain it in \"editorial\"",
                );
            }
            union.extend_from_slice(&sources);
            out.push(Fact {
                field,
                sources,
                editorial: note,
            });
        }
        union.sort_unstable();
        union.dedup();
        (out, union)
    }

    /// Whether a key of `cite` or `editorial` names a fact the record has; reports it if not.
    fn fact_key(
        &self,
        p: &mut Problems,
        o: &SeedRecord,
        facts: &[&str],
        path: &str,
        key: &str,
    ) -> bool {
        if !facts.contains(&key) {
            p.add(
                path,
                format!(
                    "\"{key}\" is not a fact of this record; facts are: {}",
                    facts.join(", ")
                ),
            );
            false
        } else if !o.has(key) {
            p.add(
                path,
                format!("cites \"{key}\", which the record does not have"),
            );
            false
        } else {
            true
        }
    }

    /// A list of statements with their own sources (notes, synopses).
    fn texts(&self, p: &mut Problems, o: &SeedRecord, key: &str) -> Vec<Text> {
        o.items(p, key)
            .into_iter()
            .filter_map(|(path, v)| {
                let t = SeedRecord::open(p, v, path, &["text", "sources", "editorial"], &["text"])?;
                let (sources, editorial) = self.item_provenance(p, &t);
                Some(Text {
                    text: t.text(p, "text")?,
                    sources,
                    editorial,
                })
            })
            .collect()
    }

    /// The provenance of one item of a list: its own `sources`, or an `editorial` note.
    fn item_provenance(&self, p: &mut Problems, t: &SeedRecord) -> (Vec<Idx>, Option<Box<str>>) {
        let sources = self.source_refs(p, t, "sources");
        let editorial = t.text(p, "editorial");
        if sources.is_empty() && editorial.is_none() && !t.has("sources") {
            p.add(
                &t.path,
                "this item has no source: give it \"sources\" or an \"editorial\" note",
            );
        }
        (sources, editorial)
    }

    fn slug(&self, p: &mut Problems, o: &SeedRecord) -> Box<str> {
        o.parsed(p, "slug", |s| check_slug(s).map(|()| s.into()))
            .unwrap_or_default()
    }

    fn meta(
        &self,
        p: &mut Problems,
        o: &SeedRecord,
        facts: &[&'static str],
        items: &[&[Idx]],
    ) -> Meta {
        let slug = self.slug(p, o);
        let (facts, mut sources) = self.provenance(p, o, facts);
        for list in items {
            sources.extend_from_slice(list);
        }
        sources.sort_unstable();
        sources.dedup();
        // A record whose `cite` names only sources that did not resolve has been reported.
        if sources.is_empty()
            && !o.has("sources")
            && !o.has("cite")
            && !facts.iter().any(|f| f.editorial.is_some())
        {
            p.add(&o.path, "the record cites no source at all");
        }
        Meta {
            slug,
            facts,
            sources,
        }
    }

    fn source(
        &mut self,
        list: &mut Vec<super::Problem>,
        v: &Value,
        path: String,
    ) -> Option<Source> {
        let file = "sources.json";
        let p = &mut Problems { file, list };
        let o = SeedRecord::open(
            p,
            v,
            path,
            &fields(&["slug"], SOURCE_FACTS),
            &["slug", "title", "kind"],
        )?;
        let idx = self.store.len(Kind::Source) as Idx;
        if let Some(author) = o.str(p, "author") {
            self.pending_authors
                .push((idx, author.to_owned(), o.at("author")));
        }
        let kind = o.parsed(p, "kind", |s| {
            SourceKind::from_code(s).ok_or_else(|| {
                format!(
                    "\"{s}\" is not a kind of source: STORE_PAGE, LIST_ENTRY, ARTICLE or DATASET"
                )
            })
        });
        // A document is the source of its own facts; the slug is its own, so the facts name it.
        let slug = self.slug(p, &o);
        let mut facts = Vec::new();
        let mut editorial: BTreeMap<&str, Box<str>> = BTreeMap::new();
        for (at, key, value) in o.entries(p, "editorial") {
            if self.fact_key(p, &o, SOURCE_FACTS, &at, key) {
                match value.as_str() {
                    Some(note) if !note.trim().is_empty() => {
                        editorial.insert(key, note.into());
                    }
                    _ => p.add(&at, "expected a note saying where this fact comes from"),
                }
            }
        }
        for key in ["sources", "cite"] {
            if o.has(key) {
                p.add(&o.at(key), "a source document is the source of its own facts; it takes no \"sources\" or \"cite\"");
            }
        }
        for field in SOURCE_FACTS.iter().copied().filter(|f| o.has(f)) {
            let note = editorial.remove(field);
            let sources = if note.is_some() {
                Vec::new()
            } else {
                vec![idx]
            };
            facts.push(Fact {
                field,
                sources,
                editorial: note,
            });
        }
        Some(Source {
            meta: Meta {
                slug,
                facts,
                sources: vec![idx],
            },
            title: o.text(p, "title")?,
            kind: kind?,
            publisher: o.text(p, "publisher"),
            section: o.text(p, "section"),
            author: None,
            file: o.text(p, "file"),
            url: o.text(p, "url"),
            version: o.text(p, "version"),
            licence: o.text(p, "licence"),
            supports: Vec::new(),
        })
    }

    fn person(
        &mut self,
        list: &mut Vec<super::Problem>,
        v: &Value,
        path: String,
    ) -> Option<Person> {
        let p = &mut Problems {
            file: "people.json",
            list,
        };
        let o = SeedRecord::open(
            p,
            v,
            path,
            &fields(&["slug", "notes"], PERSON_FACTS),
            &["slug", "name"],
        )?;
        let notes = self.texts(p, &o, "notes");
        let meta = self.meta(p, &o, PERSON_FACTS, &text_sources(&notes));
        Some(Person {
            meta,
            name: o.text(p, "name")?,
            notes,
            credits: Vec::new(),
            albums: Vec::new(),
            coaching: Vec::new(),
            commentated: Vec::new(),
            authored: Vec::new(),
            groups: Vec::new(),
        })
    }

    fn company(
        &mut self,
        list: &mut Vec<super::Problem>,
        v: &Value,
        path: String,
    ) -> Option<Company> {
        let p = &mut Problems {
            file: "companies.json",
            list,
        };
        let o = SeedRecord::open(
            p,
            v,
            path,
            &fields(&["slug"], COMPANY_FACTS),
            &["slug", "name"],
        )?;
        let meta = self.meta(p, &o, COMPANY_FACTS, &[]);
        Some(Company {
            meta,
            name: o.text(p, "name")?,
            produced: Vec::new(),
            streams: Vec::new(),
            labelled: Vec::new(),
        })
    }

    fn competition(
        &mut self,
        list: &mut Vec<super::Problem>,
        v: &Value,
        path: String,
    ) -> Option<Competition> {
        let p = &mut Problems {
            file: "competitions.json",
            list,
        };
        let o = SeedRecord::open(
            p,
            v,
            path,
            &fields(&["slug", "seasons"], COMPETITION_FACTS),
            &["slug", "name"],
        )?;
        let seasons = self.seasons(p, &o);
        let season_sources: Vec<&[Idx]> = seasons.iter().map(|s| s.sources.as_slice()).collect();
        let meta = self.meta(p, &o, COMPETITION_FACTS, &season_sources);
        let date = o.parsed(p, "date", PartialDate::parse);
        Some(Competition {
            meta,
            name: o.text(p, "name")?,
            date,
            city: o.text(p, "city"),
            sport: o.text(p, "sport"),
            seasons,
            matches: Vec::new(),
        })
    }

    fn team(&mut self, list: &mut Vec<super::Problem>, v: &Value, path: String) -> Option<Team> {
        let p = &mut Problems {
            file: "teams.json",
            list,
        };
        let o = SeedRecord::open(
            p,
            v,
            path,
            &fields(&["slug", "notes", "seasons"], TEAM_FACTS),
            &["slug", "name"],
        )?;
        let notes = self.texts(p, &o, "notes");
        let seasons = self.entries(p, &o);
        let mut item_sources = text_sources(&notes);
        item_sources.extend(seasons.iter().map(|e| e.sources.as_slice()));
        let meta = self.meta(p, &o, TEAM_FACTS, &item_sources);
        let aliases = o
            .strings(p, "aliases")
            .into_iter()
            .map(|(_, s)| s.into())
            .collect();
        Some(Team {
            meta,
            name: o.text(p, "name")?,
            aliases,
            sport: o.text(p, "sport"),
            notes,
            seasons,
            matches: Vec::new(),
            coaches: Vec::new(),
            credits: Vec::new(),
        })
    }

    fn film(&mut self, list: &mut Vec<super::Problem>, v: &Value, path: String) -> Option<Film> {
        let p = &mut Problems {
            file: "films.json",
            list,
        };
        let own = ["slug", "synopses", "releases", "awards", "notes"];
        let o = SeedRecord::open(p, v, path, &fields(&own, FILM_FACTS), &["slug", "title"])?;
        let synopses = self.texts(p, &o, "synopses");
        let notes = self.texts(p, &o, "notes");
        let releases = self.releases(p, &o);
        let awards = self.awards(p, &o);
        let mut item_sources = text_sources(&synopses);
        item_sources.extend(text_sources(&notes));
        item_sources.extend(releases.iter().map(|r| r.sources.as_slice()));
        item_sources.extend(awards.iter().map(|a| a.sources.as_slice()));
        let meta = self.meta(p, &o, FILM_FACTS, &item_sources);
        let genres = texts_of(p, &o, "genres");
        Some(Film {
            meta,
            title: o.text(p, "title")?,
            original_title: o.text(p, "originalTitle"),
            genres,
            runtime_minutes: o.u32(p, "runtimeMinutes", 1),
            production_companies: self.refs(p, &o, "productionCompanies", Kind::Company),
            platforms: self.refs(p, &o, "platforms", Kind::Company),
            year: releases.iter().map(|r| r.date.year).min(),
            synopses,
            releases,
            awards,
            notes,
            cast: Vec::new(),
            crew: Vec::new(),
            albums: Vec::new(),
            matches: Vec::new(),
        })
    }

    fn releases(&self, p: &mut Problems, o: &SeedRecord) -> Vec<Release> {
        let mut out: Vec<Release> = o
            .items(p, "releases")
            .into_iter()
            .filter_map(|(path, v)| {
                let own = ["date", "kind", "region", "city", "note", "sources", "editorial"];
                let r = SeedRecord::open(p, v, path, &own, &["date", "kind"])?;
                let (sources, editorial) = self.item_provenance(p, &r);
                let kind = r.parsed(p, "kind", |s| {
                    ReleaseKind::from_code(s).ok_or_else(|| {
                        format!(
                            "\"{s}\" is not a kind of release: PREMIERE, PLANNED, RELEASE, THEATRICAL or STREAMING"
                        )
                    })
                });
                let region = r.parsed(p, "region", |s| {
                    if s.len() == 2 && s.bytes().all(|b| b.is_ascii_uppercase()) {
                        Ok(Box::<str>::from(s))
                    } else {
                        Err(format!("\"{s}\" is not a region: write its ISO 3166-1 alpha-2 code, such as \"CN\""))
                    }
                });
                Some(Release {
                    date: r.parsed(p, "date", PartialDate::parse)?,
                    kind: kind?,
                    region,
                    city: r.text(p, "city"),
                    note: r.text(p, "note"),
                    sources,
                    editorial,
                })
            })
            .collect();
        // Stable, so that releases on the same date keep the seed's order.
        out.sort_by_key(|r| r.date);
        out
    }

    fn awards(&self, p: &mut Problems, o: &SeedRecord) -> Vec<Award> {
        o.items(p, "awards")
            .into_iter()
            .filter_map(|(path, v)| {
                let own = [
                    "ceremony",
                    "category",
                    "recognition",
                    "sources",
                    "editorial",
                ];
                let a = SeedRecord::open(p, v, path, &own, &["ceremony", "recognition"])?;
                let (sources, editorial) = self.item_provenance(p, &a);
                Some(Award {
                    ceremony: a.text(p, "ceremony")?,
                    category: a.text(p, "category"),
                    recognition: a.text(p, "recognition")?,
                    sources,
                    editorial,
                })
            })
            .collect()
    }

    fn album(&mut self, list: &mut Vec<super::Problem>, v: &Value, path: String) -> Option<Album> {
        let p = &mut Problems {
            file: "albums.json",
            list,
        };
        let o = SeedRecord::open(
            p,
            v,
            path,
            &fields(&["slug", "notes"], ALBUM_FACTS),
            &["slug", "title"],
        )?;
        let notes = self.texts(p, &o, "notes");
        let meta = self.meta(p, &o, ALBUM_FACTS, &text_sources(&notes));
        let price = o.get("price").and_then(|v| {
            let m = SeedRecord::open(
                p,
                v,
                o.at("price"),
                &["amount", "currency"],
                &["amount", "currency"],
            )?;
            let amount = m.parsed(p, "amount", |s| {
                Money::parse_amount(s).map(|()| Box::<str>::from(s))
            });
            let currency = m.parsed(p, "currency", |s| {
                Money::parse_currency(s).map(|()| Box::<str>::from(s))
            });
            Some(Money {
                amount: amount?,
                currency: currency?,
            })
        });
        let artist = self.performer_ref(p, &o, "artist");
        Some(Album {
            meta,
            title: o.text(p, "title")?,
            artist,
            genres: texts_of(p, &o, "genres"),
            film: self.one_ref(p, &o, "film", Kind::Film),
            label: self.one_ref(p, &o, "label", Kind::Company),
            format: o.text(p, "format"),
            sku: o.text(p, "sku"),
            isbn: o.parsed(p, "isbn", |s| check_isbn(s).map(|()| Box::<str>::from(s))),
            price,
            edition_size: o.u32(p, "editionSize", 1),
            numbering: o.text(p, "numbering"),
            notes,
            tracks: Vec::new(),
            credits: Vec::new(),
            total_duration_seconds: Some(0),
        })
    }

    fn match_(&mut self, list: &mut Vec<super::Problem>, v: &Value, path: String) -> Option<Match> {
        let p = &mut Problems {
            file: "matches.json",
            list,
        };
        let o = SeedRecord::open(
            p,
            v,
            path,
            &fields(&["slug", "notes"], MATCH_FACTS),
            &["slug", "teams"],
        )?;
        let notes = self.texts(p, &o, "notes");
        let meta = self.meta(p, &o, MATCH_FACTS, &text_sources(&notes));
        let teams = self.refs(p, &o, "teams", Kind::Team);
        if matches!(o.get("teams"), Some(Value::Array(items)) if items.len() < 2) {
            p.add(&o.at("teams"), "a match needs at least two teams");
        }
        let winner = self.one_ref(p, &o, "winner", Kind::Team);
        if let Some(w) = winner
            && !teams.is_empty()
            && !teams.contains(&w)
        {
            p.add(
                &o.at("winner"),
                format!(
                    "the winner \"{}\" is not one of the match's teams",
                    self.store.slug(NodeRef {
                        kind: Kind::Team,
                        idx: w
                    })
                ),
            );
        }
        let date = o.parsed(p, "date", PartialDate::parse);
        let competition = self.one_ref(p, &o, "competition", Kind::Competition);
        let result = self.result(p, &o, &teams, winner);
        let season = self.find_season(p, &o, competition);
        let (title, made_title) = match o.get("title") {
            Some(_) => (o.text(p, "title")?, false),
            None => (self.match_label(&teams, date), true),
        };
        Some(Match {
            meta,
            title,
            made_title,
            date,
            kind: o.text(p, "kind"),
            competition,
            stage: o.text(p, "stage"),
            city: o.text(p, "city"),
            teams,
            winner,
            season,
            score: result.score,
            parts: result.parts,
            draw: result.draw,
            home: result.home,
            neutral: result.neutral,
            commentators: self.refs(p, &o, "commentators", Kind::Person),
            films: self.refs(p, &o, "films", Kind::Film),
            notes,
            tracks: Vec::new(),
        })
    }

    fn track(&mut self, list: &mut Vec<super::Problem>, v: &Value, path: String) -> Option<Track> {
        let p = &mut Problems {
            file: "tracks.json",
            list,
        };
        let o = SeedRecord::open(
            p,
            v,
            path,
            &fields(&["slug"], TRACK_FACTS),
            &["slug", "album", "title"],
        )?;
        let meta = self.meta(p, &o, TRACK_FACTS, &[]);
        let album = self.one_ref(p, &o, "album", Kind::Album)?;
        let track = (|| {
            let number = match o.get("number") {
                Some(_) => Some(o.u32(p, "number", 1)?),
                None => None,
            };
            let duration = match o.get("duration") {
                Some(_) => Some(o.parsed(p, "duration", Duration::parse)?),
                None => None,
            };
            Some(Track {
                meta,
                album,
                number,
                title: o.text(p, "title")?,
                duration,
                genres: texts_of(p, &o, "genres"),
                depicts: self.refs(p, &o, "depicts", Kind::Match),
                credits: Vec::new(),
            })
        })();
        if track.is_none() {
            // The refused track still holds its place in the album's numbering.
            self.refused_tracks.insert(album);
        }
        track
    }

    fn credit(
        &mut self,
        list: &mut Vec<super::Problem>,
        v: &Value,
        path: String,
    ) -> Option<Credit> {
        let p = &mut Problems {
            file: "credits.json",
            list,
        };
        let o = SeedRecord::open(p, v, path, &fields(&[], CREDIT_FACTS), &["role"])?;
        let (facts, sources) = self.provenance(p, &o, CREDIT_FACTS);
        let role = o.parsed(p, "role", |s| {
            Role::from_code(s).ok_or_else(|| {
                format!(
                    "\"{s}\" is not a role: DIRECTOR, WRITER, PRODUCER, CAST, COMPOSER, EDITOR, LINER_NOTES, PERFORMER, LYRICIST, ARRANGER or CONDUCTOR"
                )
            })
        });
        let work = match (o.has("film"), o.has("album"), o.has("track")) {
            (true, false, false) => self.one_ref(p, &o, "film", Kind::Film).map(Work::Film),
            (false, true, false) => self.one_ref(p, &o, "album", Kind::Album).map(Work::Album),
            (false, false, true) => self.one_ref(p, &o, "track", Kind::Track).map(Work::Track),
            _ => {
                p.add(
                    &o.path,
                    "a credit names exactly one of \"film\", \"album\" and \"track\"",
                );
                None
            }
        };
        let performer = match (o.has("person"), o.has("team"), o.has("group")) {
            (true, false, false) => self
                .one_ref(p, &o, "person", Kind::Person)
                .map(Performer::Person),
            (false, true, false) => self.one_ref(p, &o, "team", Kind::Team).map(Performer::Team),
            (false, false, true) => self
                .one_ref(p, &o, "group", Kind::Group)
                .map(Performer::Group),
            _ => {
                p.add(
                    &o.path,
                    "a credit names exactly one of \"person\", \"team\" and \"group\"",
                );
                None
            }
        };
        let role = role?;
        if role != Role::Cast {
            for key in ["character", "billing", "team"] {
                if o.has(key) {
                    p.add(&o.at(key), format!("only a CAST credit has a \"{key}\""));
                }
            }
        }
        // Sources named but not resolved have been reported (once) already.
        let named = o.has("sources") || o.has("cite");
        if sources.is_empty() && !named && !facts.iter().any(|f| f.editorial.is_some()) {
            p.add(&o.path, "the credit cites no source at all");
        }
        Some(Credit {
            work: work?,
            performer: performer?,
            role,
            character: o.text(p, "character"),
            billing: o.u32(p, "billing", 1),
            facts,
            sources,
        })
    }

    fn coaching(
        &mut self,
        list: &mut Vec<super::Problem>,
        v: &Value,
        path: String,
    ) -> Option<Coaching> {
        let p = &mut Problems {
            file: "coaching.json",
            list,
        };
        let o = SeedRecord::open(
            p,
            v,
            path,
            &fields(&[], COACHING_FACTS),
            &["person", "team"],
        )?;
        let (facts, sources) = self.provenance(p, &o, COACHING_FACTS);
        let from = o.parsed(p, "from", PartialDate::parse);
        let to = o.parsed(p, "to", PartialDate::parse);
        let during = o.parsed(p, "during", PartialDate::parse);
        if let (Some(f), Some(t)) = (from, to)
            && t < f
            && !f.contains(&t)
        {
            p.add(
                &o.at("to"),
                format!("the coaching ends ({t}) before it starts ({f})"),
            );
        }
        if let Some(d) = during {
            let before = from.is_some_and(|f| d < f && !d.contains(&f));
            let after = to.is_some_and(|t| d > t && !t.contains(&d));
            if before || after {
                p.add(
                    &o.at("during"),
                    format!("{d} falls outside the coaching's span"),
                );
            }
        }
        // Sources named but not resolved have been reported (once) already.
        let named = o.has("sources") || o.has("cite");
        if sources.is_empty() && !named && !facts.iter().any(|f| f.editorial.is_some()) {
            p.add(&o.path, "the coaching cites no source at all");
        }
        Some(Coaching {
            person: self.one_ref(p, &o, "person", Kind::Person)?,
            team: self.one_ref(p, &o, "team", Kind::Team)?,
            from,
            to,
            during,
            note: o.text(p, "note"),
            facts,
            sources,
        })
    }
}

fn text_sources(texts: &[Text]) -> Vec<&[Idx]> {
    texts.iter().map(|t| t.sources.as_slice()).collect()
}

/// What a match's result is made of, read together so that the parts can be checked against
/// each other and against the teams.
struct MatchResult {
    score: Option<Box<[u32]>>,
    parts: Vec<MatchPart>,
    draw: Option<bool>,
    home: Option<Idx>,
    neutral: Option<bool>,
}

/// The decoders of format 2's records and values: groups, seasons, results, and references
/// that may name more than one kind.
impl Decoder {
    fn group(&mut self, list: &mut Vec<super::Problem>, v: &Value, path: String) -> Option<Group> {
        let p = &mut Problems {
            file: "groups.json",
            list,
        };
        let o = SeedRecord::open(
            p,
            v,
            path,
            &fields(&["slug", "notes"], GROUP_FACTS),
            &["slug", "name"],
        )?;
        let notes = self.texts(p, &o, "notes");
        let meta = self.meta(p, &o, GROUP_FACTS, &text_sources(&notes));
        Some(Group {
            meta,
            name: o.text(p, "name")?,
            members: self.refs(p, &o, "members", Kind::Person),
            notes,
            credits: Vec::new(),
            albums: Vec::new(),
        })
    }

    /// A reference that may name several kinds, written `{"person": "slug"}` or
    /// `{"group": "slug"}`, since slugs are unique only within a kind.
    fn performer_ref(&self, p: &mut Problems, o: &SeedRecord, key: &str) -> Option<Performer> {
        let v = o.get(key)?;
        let kinds = ["person", "group"];
        let r = SeedRecord::open(p, v, o.at(key), &kinds, &[])?;
        match (r.has("person"), r.has("group")) {
            (true, false) => r
                .str(p, "person")
                .and_then(|s| self.reference(p, Kind::Person, &r.at("person"), s))
                .map(Performer::Person),
            (false, true) => r
                .str(p, "group")
                .and_then(|s| self.reference(p, Kind::Group, &r.at("group"), s))
                .map(Performer::Group),
            _ => {
                p.add(
                    &r.path,
                    "name exactly one performer: {\"person\": \"slug\"} or {\"group\": \"slug\"}",
                );
                None
            }
        }
    }

    /// A competition's seasons, by start (unknown last) and then in the seed's order.
    fn seasons(&self, p: &mut Problems, o: &SeedRecord) -> Vec<Season> {
        let mut out: Vec<Season> = Vec::new();
        for (path, v) in o.items(p, "seasons") {
            let own = ["name", "from", "to", "sources", "editorial"];
            let Some(r) = SeedRecord::open(p, v, path, &own, &["name"]) else {
                continue;
            };
            let (sources, editorial) = self.item_provenance(p, &r);
            let from = r.parsed(p, "from", PartialDate::parse);
            let to = r.parsed(p, "to", PartialDate::parse);
            if let (Some(f), Some(t)) = (from, to)
                && t < f
                && !f.contains(&t)
            {
                p.add(
                    &r.at("to"),
                    format!("the season ends ({t}) before it starts ({f})"),
                );
            }
            let Some(name) = r.text(p, "name") else {
                continue;
            };
            if out.iter().any(|s| s.name == name) {
                p.add(
                    &r.at("name"),
                    format!("the season \"{name}\" is listed twice"),
                );
                continue;
            }
            out.push(Season {
                name,
                from,
                to,
                sources,
                editorial,
            });
        }
        out.sort_by_key(|s| s.from.map_or(u32::MAX, |d| d.sort_key()));
        out
    }

    /// The season named by `o.season` among a competition's seasons.
    fn find_season(
        &self,
        p: &mut Problems,
        o: &SeedRecord,
        competition: Option<Idx>,
    ) -> Option<Idx> {
        let name = o.str(p, "season")?;
        let Some(c) = competition else {
            if !o.has("competition") {
                p.add(
                    &o.at("season"),
                    "a season belongs to a \"competition\"; name it too",
                );
            }
            return None;
        };
        let record = self.store.records::<Competition>().get(c as usize)?;
        let found = record.seasons.iter().position(|s| &*s.name == name);
        if found.is_none() {
            p.add(
                &o.at("season"),
                format!(
                    "the competition \"{}\" has no season \"{name}\" (competitions.json)",
                    record.meta.slug
                ),
            );
        }
        found.map(|i| i as Idx)
    }

    /// A team's competitions, season by season.
    fn entries(&self, p: &mut Problems, o: &SeedRecord) -> Vec<Entry> {
        o.items(p, "seasons")
            .into_iter()
            .filter_map(|(path, v)| {
                let own = ["competition", "season", "sources", "editorial"];
                let r = SeedRecord::open(p, v, path, &own, &["competition"])?;
                let (sources, editorial) = self.item_provenance(p, &r);
                let competition = self.one_ref(p, &r, "competition", Kind::Competition);
                let season = self.find_season(p, &r, competition);
                Some(Entry {
                    competition: competition?,
                    season,
                    sources,
                    editorial,
                })
            })
            .collect()
    }

    /// A match's score, its parts, draw, home side and venue, checked against its teams.
    fn result(
        &self,
        p: &mut Problems,
        o: &SeedRecord,
        teams: &[Idx],
        winner: Option<Idx>,
    ) -> MatchResult {
        let sides = teams.len();
        let per_side = |p: &mut Problems, at: &str, score: &[u32]| {
            if sides >= 2 && score.len() != sides {
                p.add(
                    at,
                    format!(
                        "a score gives one number per team, in the order of \"teams\": expected {sides}, found {}",
                        score.len()
                    ),
                );
            }
        };
        let score = o.u32s(p, "score");
        if let Some(s) = &score {
            per_side(p, &o.at("score"), s);
        }
        let parts = o
            .items(p, "parts")
            .into_iter()
            .filter_map(|(path, v)| {
                let r = SeedRecord::open(p, v, path, &["name", "score"], &["name", "score"])?;
                let score = r.u32s(p, "score")?;
                per_side(p, &r.at("score"), &score);
                Some(MatchPart {
                    name: r.text(p, "name")?,
                    score,
                })
            })
            .collect();
        let draw = o.bool(p, "draw");
        if draw == Some(true) {
            if winner.is_some() {
                p.add(&o.at("draw"), "a match with a \"winner\" is not a draw");
            }
            if let Some(s) = &score
                && s.windows(2).any(|w| w[0] != w[1])
            {
                p.add(&o.at("draw"), "a draw has the same score on every side");
            }
        }
        let home = self.one_ref(p, o, "home", Kind::Team);
        if let Some(h) = home
            && !teams.is_empty()
            && !teams.contains(&h)
        {
            p.add(
                &o.at("home"),
                "the home team is not one of the match's teams",
            );
        }
        let neutral = o.bool(p, "neutral");
        if home.is_some() && neutral == Some(true) {
            p.add(
                &o.at("neutral"),
                "a match on neutral ground has no home team",
            );
        }
        MatchResult {
            score,
            parts,
            draw,
            home,
            neutral,
        }
    }

    /// The label of a match the seed gives no title: its teams and date (`Herons vs Gulls,
    /// 1998-06-12`). It is not a fact, and search leaves it out.
    fn match_label(&self, teams: &[Idx], date: Option<PartialDate>) -> Box<str> {
        let names: Vec<&str> = teams
            .iter()
            .filter_map(|t| self.store.records::<Team>().get(*t as usize))
            .map(|t| &*t.name)
            .collect();
        let mut label = names.join(" vs ");
        if let Some(d) = date {
            label.push_str(&format!(", {d}"));
        }
        if label.is_empty() {
            label.push_str("Match");
        }
        label.into()
    }
}

/// An array of non-empty strings (genres).
fn texts_of(p: &mut Problems, o: &SeedRecord, key: &str) -> Vec<Box<str>> {
    o.strings(p, key)
        .into_iter()
        .map(|(_, s)| s.into())
        .collect()
}
