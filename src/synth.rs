//! A synthetic catalogue in the seed format (see `docs/seed-format.md`), for load and query
//! benchmarks at sizes the real seed never reaches. Every table grows with the number of
//! films, names are varied word combinations so that search has something to tell apart, and
//! the same `seed` always writes the same bytes.
//!
//! Files are written record by record through a buffered writer: nothing but the current
//! record is held in memory, so a catalogue of millions of entities costs no more to write
//! than one of ten.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

/// How many records of each kind [`generate`] wrote.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub sources: usize,
    pub people: usize,
    pub companies: usize,
    pub competitions: usize,
    pub teams: usize,
    pub films: usize,
    pub albums: usize,
    pub matches: usize,
    pub tracks: usize,
    pub credits: usize,
    pub coaching: usize,
    pub groups: usize,
}

impl Counts {
    /// The records that are entities (they have a slug and a global id).
    pub fn entities(&self) -> usize {
        self.sources
            + self.people
            + self.companies
            + self.competitions
            + self.teams
            + self.films
            + self.albums
            + self.matches
            + self.tracks
            + self.groups
    }

    /// Every record, the links (credits, coaching) included.
    pub fn records(&self) -> usize {
        self.entities() + self.credits + self.coaching
    }
}

/// New people per film: its four leads. Directors, writers and composers are drawn from
/// everybody written so far, so people accumulate credits across films as real ones do.
const PEOPLE_PER_FILM: usize = 4;
const TRACKS_PER_ALBUM: usize = 10;
/// Entities per film, roughly, for callers who want a catalogue of a given size.
pub const ENTITIES_PER_FILM: f64 =
    1.0 + PEOPLE_PER_FILM as f64 + 1.0 + TRACKS_PER_ALBUM as f64 + 0.1 + 0.5 + 0.05 + 0.02 + 0.05;

/// Writes a valid catalogue of `films` films, and everything that scales with them, into `dir`.
pub fn generate(dir: &Path, films: usize, seed: u64) -> io::Result<Counts> {
    std::fs::create_dir_all(dir)?;
    let films = films.max(1);
    let g = Gen {
        seed,
        films,
        people: films * PEOPLE_PER_FILM,
        // Two teams at least, so that every match has two different sides.
        teams: (films / 10).max(2),
        companies: (films / 20).max(1),
        competitions: (films / 50).max(1),
        matches: (films / 2).max(1),
        sources: (films / 1000).max(3),
        coaching: (films / 10).max(1),
        groups: (films / 20).max(1),
    };
    let mut counts = Counts {
        films,
        albums: films,
        tracks: films * TRACKS_PER_ALBUM,
        people: g.people,
        teams: g.teams,
        companies: g.companies,
        competitions: g.competitions,
        matches: g.matches,
        sources: g.sources,
        coaching: g.coaching,
        groups: g.groups,
        credits: 0,
    };
    // The fields of format 2 (results, seasons, groups, artists, track credits) are used.
    std::fs::write(dir.join("seed.json"), "{\"version\": 2}\n")?;
    g.write(dir, "sources.json", g.sources, Gen::source)?;
    g.write(dir, "people.json", g.people, Gen::person)?;
    g.write(dir, "groups.json", g.groups, Gen::group)?;
    g.write(dir, "companies.json", g.companies, Gen::company)?;
    g.write(dir, "competitions.json", g.competitions, Gen::competition)?;
    g.write(dir, "teams.json", g.teams, Gen::team)?;
    g.write(dir, "films.json", films, Gen::film)?;
    g.write(dir, "albums.json", films, Gen::album)?;
    g.write(dir, "matches.json", g.matches, Gen::match_)?;
    g.write(dir, "tracks.json", counts.tracks, Gen::track)?;
    counts.credits = g.write_credits(dir)?;
    g.write(dir, "coaching.json", g.coaching, Gen::coaching)?;
    Ok(counts)
}

/// The sizes of the tables, from which every slug can be computed without remembering it.
struct Gen {
    seed: u64,
    films: usize,
    people: usize,
    teams: usize,
    companies: usize,
    competitions: usize,
    matches: usize,
    sources: usize,
    coaching: usize,
    groups: usize,
}

/// One record being written as a JSON object: fields are appended in order, with commas.
struct Rec<'w, W: Write> {
    w: &'w mut W,
    first: bool,
}

impl<'w, W: Write> Rec<'w, W> {
    fn open(w: &'w mut W) -> io::Result<Self> {
        w.write_all(b"{")?;
        Ok(Rec { w, first: true })
    }

    fn key(&mut self, key: &str) -> io::Result<&mut W> {
        if !self.first {
            self.w.write_all(b",")?;
        }
        self.first = false;
        write!(self.w, "\"{key}\":")?;
        Ok(self.w)
    }

    fn str(&mut self, key: &str, value: &str) -> io::Result<()> {
        let w = self.key(key)?;
        serde_json::to_writer(&mut *w, value)?;
        Ok(())
    }

    fn num(&mut self, key: &str, value: u64) -> io::Result<()> {
        write!(self.key(key)?, "{value}")
    }

    fn strs(&mut self, key: &str, values: &[&str]) -> io::Result<()> {
        let w = self.key(key)?;
        serde_json::to_writer(&mut *w, values)?;
        Ok(())
    }

    /// Raw JSON that the caller has built, for small nested objects.
    fn raw(&mut self, key: &str, json: &str) -> io::Result<()> {
        self.key(key)?.write_all(json.as_bytes())
    }

    fn close(self) -> io::Result<()> {
        self.w.write_all(b"}")
    }
}

const GIVEN: &[&str] = &[
    "Ada", "Bao", "Chen", "Dalia", "Emeka", "Farah", "Goran", "Hana", "Ivo", "Jun", "Kofi", "Lena",
    "Mateo", "Nadia", "Oskar", "Priya", "Quinn", "Rosa", "Sami", "Tomas", "Uma", "Viktor", "Wen",
    "Xiu", "Yara", "Zoltan", "Aiko", "Bruno", "Carmen", "Dmitri", "Elif", "Felix",
];
const FAMILY: &[&str] = &[
    "Abara",
    "Brandt",
    "Castillo",
    "Dubois",
    "Eriksen",
    "Fujita",
    "Gallo",
    "Haddad",
    "Ivanova",
    "Jensen",
    "Kowalski",
    "Lindqvist",
    "Moreau",
    "Nakamura",
    "Okafor",
    "Petrov",
    "Quintero",
    "Rossi",
    "Sato",
    "Takahashi",
    "Udeh",
    "Varga",
    "Wagner",
    "Xu",
    "Yilmaz",
    "Zhou",
    "Almeida",
    "Bianchi",
    "Costa",
    "Dahl",
    "Esposito",
    "Ferreira",
];
const ADJECTIVES: &[&str] = &[
    "Silent", "Golden", "Broken", "Distant", "Burning", "Hidden", "Endless", "Crimson", "Frozen",
    "Wild", "Quiet", "Bright", "Lonely", "Final", "Restless", "Northern", "Hollow", "Rising",
    "Fading", "Iron", "Paper", "Velvet", "Electric", "Salt", "Winter", "Summer", "Midnight",
    "Open", "Narrow", "Sacred", "Bitter", "Gentle",
];
const NOUNS: &[&str] = &[
    "River", "Harbor", "Court", "Serve", "Summit", "Garden", "Signal", "Mirror", "Lantern",
    "Orbit", "Meadow", "Engine", "Tide", "Forest", "Bridge", "Compass", "Season", "Horizon",
    "Ember", "Canyon", "Net", "Rally", "Spike", "Anthem", "Letter", "Island", "Window", "Comet",
    "Valley", "Crown", "Shadow", "Promise",
];
const CITIES: &[&str] = &[
    "Lisbon", "Osaka", "Nairobi", "Quito", "Tallinn", "Hanoi", "Porto", "Accra", "Bergen", "Cusco",
    "Dakar", "Hobart",
];
const GENRES: &[&str] = &[
    "Drama",
    "Sport",
    "Comedy",
    "Documentary",
    "Romance",
    "Thriller",
    "History",
    "Family",
];
const ROLES: &[&str] = &["DIRECTOR", "WRITER", "PRODUCER"];
const SPORTS: &[&str] = &["Volleyball", "Football"];
const RELEASES: &[&str] = &["RELEASE", "THEATRICAL", "STREAMING", "PREMIERE"];

/// SplitMix64: a good, tiny mixing function, so each record's choices depend only on the
/// seed, its kind and its index, and every file can be written without the others in memory.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn pick<'a>(list: &[&'a str], r: u64) -> &'a str {
    list[(r % list.len() as u64) as usize]
}

fn lower(word: &str) -> String {
    word.to_ascii_lowercase()
}

/// The ISBN-13 check digit, so that generated albums pass the loader's ISBN check.
fn isbn13(n: usize) -> String {
    let body = format!("979{:09}", n % 1_000_000_000);
    let sum: u32 = body
        .bytes()
        .enumerate()
        .map(|(i, b)| u32::from(b - b'0') * if i % 2 == 0 { 1 } else { 3 })
        .sum();
    format!("{body}{}", (10 - sum % 10) % 10)
}

impl Gen {
    fn draw(&self, kind: u64, i: usize, salt: u64) -> u64 {
        mix(self.seed ^ mix(kind.wrapping_mul(0x1000_0001) ^ mix(i as u64 ^ (salt << 48))))
    }

    fn person_name(&self, i: usize) -> (String, String) {
        let (g, f) = (
            pick(GIVEN, self.draw(1, i, 0)),
            pick(FAMILY, self.draw(1, i, 1)),
        );
        (format!("{g} {f}"), format!("{}-{}-{i}", lower(g), lower(f)))
    }

    fn person_slug(&self, i: usize) -> String {
        self.person_name(i).1
    }

    fn film_title(&self, i: usize) -> (String, String) {
        let (a, n) = (
            pick(ADJECTIVES, self.draw(2, i, 0)),
            pick(NOUNS, self.draw(2, i, 1)),
        );
        (
            format!("The {a} {n}"),
            format!("the-{}-{}-{i}", lower(a), lower(n)),
        )
    }

    fn film_slug(&self, i: usize) -> String {
        self.film_title(i).1
    }

    fn team_name(&self, i: usize) -> (String, String) {
        let c = pick(CITIES, self.draw(3, i, 0));
        let n = pick(NOUNS, self.draw(3, i, 1));
        (
            format!("{c} {n}s"),
            format!("{}-{}s-{i}", lower(c), lower(n)),
        )
    }

    fn team_slug(&self, i: usize) -> String {
        self.team_name(i).1
    }

    fn source_slug(&self, i: usize) -> String {
        format!("source-{i}")
    }

    fn company_slug(&self, i: usize) -> String {
        format!("company-{i}")
    }

    fn competition_slug(&self, i: usize) -> String {
        format!("cup-{i}")
    }

    fn album_slug(&self, i: usize) -> String {
        format!("{}-soundtrack", self.film_slug(i))
    }

    fn group_slug(&self, i: usize) -> String {
        format!("group-{i}")
    }

    /// The year of competition `i`, which names its first season too.
    fn competition_year(&self, i: usize) -> usize {
        1960 + i % 60
    }

    fn match_slug(&self, i: usize) -> String {
        format!("match-{i}")
    }

    /// Every record cites one of the documents, so that no fact is without a source.
    fn cite(&self, kind: u64, i: usize) -> String {
        let s = self.source_slug((self.draw(kind, i, 9) % self.sources as u64) as usize);
        format!("[\"{s}\"]")
    }

    /// The two different teams of match `i`.
    fn match_teams(&self, i: usize) -> (usize, usize) {
        let a = (self.draw(6, i, 0) % self.teams as u64) as usize;
        let b = (a + 1 + (self.draw(6, i, 1) % (self.teams as u64 - 1)) as usize) % self.teams;
        (a, b)
    }

    /// Writes `n` records of one file as a JSON array, one record a line.
    fn write(
        &self,
        dir: &Path,
        name: &str,
        n: usize,
        each: impl Fn(&Gen, &mut Rec<BufWriter<File>>, usize) -> io::Result<()>,
    ) -> io::Result<()> {
        let mut w = BufWriter::with_capacity(1 << 16, File::create(dir.join(name))?);
        w.write_all(b"[")?;
        for i in 0..n {
            w.write_all(if i == 0 { b"\n" } else { b",\n" })?;
            let mut rec = Rec::open(&mut w)?;
            each(self, &mut rec, i)?;
            rec.close()?;
        }
        w.write_all(b"\n]\n")?;
        w.flush()
    }

    fn source<W: Write>(&self, o: &mut Rec<W>, i: usize) -> io::Result<()> {
        o.str("slug", &self.source_slug(i))?;
        let (a, n) = (
            pick(ADJECTIVES, self.draw(0, i, 0)),
            pick(NOUNS, self.draw(0, i, 1)),
        );
        o.str("title", &format!("{a} {n} Review, issue {i}"))?;
        // Every sixth document, from the second, is a data set with its version and licence.
        let dataset = i % 6 == 1;
        let kind = if dataset {
            "DATASET"
        } else {
            ["STORE_PAGE", "LIST_ENTRY", "ARTICLE"][i % 3]
        };
        o.str("kind", kind)?;
        if dataset {
            o.str("version", &format!("1.{i}.0"))?;
            o.str("licence", "CC0-1.0")?;
        }
        o.str("publisher", &format!("{n} Press"))?;
        if i % 3 == 2 {
            o.str("section", "Reviews")?;
            o.str("author", &self.person_slug(i % self.people))?;
        }
        o.str(
            "url",
            &format!("https://example.org/{}", self.source_slug(i)),
        )
    }

    fn person<W: Write>(&self, o: &mut Rec<W>, i: usize) -> io::Result<()> {
        let (name, slug) = self.person_name(i);
        o.str("slug", &slug)?;
        o.str("name", &name)?;
        if i.is_multiple_of(7) {
            let note = format!(
                "Known for {} work in {}.",
                lower(pick(ADJECTIVES, self.draw(1, i, 2))),
                pick(CITIES, self.draw(1, i, 3))
            );
            let note = serde_json::to_string(&note)?;
            o.raw(
                "notes",
                &format!("[{{\"text\":{note},\"sources\":{}}}]", self.cite(1, i)),
            )?;
        }
        o.raw("sources", &self.cite(1, i))
    }

    fn group<W: Write>(&self, o: &mut Rec<W>, i: usize) -> io::Result<()> {
        o.str("slug", &self.group_slug(i))?;
        let (a, n) = (
            pick(ADJECTIVES, self.draw(11, i, 0)),
            pick(NOUNS, self.draw(11, i, 1)),
        );
        o.str("name", &format!("The {a} {n}s {i}"))?;
        let members = [
            self.person_slug((i * 3) % self.people),
            self.person_slug((i * 3 + 1) % self.people),
        ];
        if members[0] != members[1] {
            o.strs("members", &[&members[0], &members[1]])?;
        }
        let note =
            serde_json::to_string(&format!("Formed in {}.", pick(CITIES, self.draw(11, i, 2))))?;
        o.raw(
            "notes",
            &format!("[{{\"text\":{note},\"sources\":{}}}]", self.cite(11, i)),
        )?;
        o.raw("sources", &self.cite(11, i))
    }

    fn company<W: Write>(&self, o: &mut Rec<W>, i: usize) -> io::Result<()> {
        o.str("slug", &self.company_slug(i))?;
        let n = pick(NOUNS, self.draw(4, i, 0));
        let a = pick(ADJECTIVES, self.draw(4, i, 1));
        o.str("name", &format!("{a} {n} Pictures {i}"))?;
        o.raw("sources", &self.cite(4, i))
    }

    fn competition<W: Write>(&self, o: &mut Rec<W>, i: usize) -> io::Result<()> {
        o.str("slug", &self.competition_slug(i))?;
        let year = self.competition_year(i);
        let city = pick(CITIES, self.draw(5, i, 0));
        o.str("name", &format!("{year} {city} Cup"))?;
        o.str("date", &format!("{year}"))?;
        o.str("city", city)?;
        o.str("sport", SPORTS[i % 2])?;
        let src = self.cite(5, i);
        let season = |y: usize| {
            format!("{{\"name\":\"{y}\",\"from\":\"{y}-01\",\"to\":\"{y}-12\",\"sources\":{src}}}")
        };
        o.raw(
            "seasons",
            &format!("[{},{}]", season(year), season(year + 1)),
        )?;
        o.raw("sources", &src)
    }

    fn team<W: Write>(&self, o: &mut Rec<W>, i: usize) -> io::Result<()> {
        let (name, slug) = self.team_name(i);
        o.str("slug", &slug)?;
        o.str("name", &name)?;
        o.strs("aliases", &[&format!("Team {i}")])?;
        o.str("sport", SPORTS[i % 2])?;
        let competition = i % self.competitions;
        o.raw(
            "seasons",
            &format!(
                "[{{\"competition\":\"{}\",\"season\":\"{}\",\"sources\":{}}}]",
                self.competition_slug(competition),
                self.competition_year(competition),
                self.cite(3, i)
            ),
        )?;
        o.raw("sources", &self.cite(3, i))
    }

    fn film<W: Write>(&self, o: &mut Rec<W>, i: usize) -> io::Result<()> {
        let (title, slug) = self.film_title(i);
        let src = self.cite(2, i);
        o.str("slug", &slug)?;
        o.str("title", &title)?;
        let g1 = pick(GENRES, self.draw(2, i, 2));
        let g2 = pick(GENRES, self.draw(2, i, 3));
        if g1 == g2 {
            o.strs("genres", &[g1])?;
        } else {
            o.strs("genres", &[g1, g2])?;
        }
        o.num("runtimeMinutes", 80 + self.draw(2, i, 4) % 80)?;
        o.strs(
            "productionCompanies",
            &[&self.company_slug(i % self.companies)],
        )?;
        let synopsis = serde_json::to_string(&format!(
            "A {} story of a {} {} and the people around it.",
            lower(pick(ADJECTIVES, self.draw(2, i, 5))),
            lower(pick(ADJECTIVES, self.draw(2, i, 6))),
            lower(pick(NOUNS, self.draw(2, i, 7))),
        ))?;
        o.raw(
            "synopses",
            &format!("[{{\"text\":{synopsis},\"sources\":{src}}}]"),
        )?;
        let r = self.draw(2, i, 8);
        let date = format!(
            "{}-{:02}-{:02}",
            1950 + r % 70,
            1 + (r >> 8) % 12,
            1 + (r >> 16) % 28
        );
        o.raw(
            "releases",
            &format!(
                "[{{\"date\":\"{date}\",\"kind\":\"{}\",\"region\":\"CN\",\"sources\":{src}}}]",
                pick(RELEASES, r >> 24)
            ),
        )?;
        o.raw("sources", &src)
    }

    fn album<W: Write>(&self, o: &mut Rec<W>, i: usize) -> io::Result<()> {
        o.str("slug", &self.album_slug(i))?;
        o.str(
            "title",
            &format!("{} (Original Soundtrack)", self.film_title(i).0),
        )?;
        o.str("film", &self.film_slug(i))?;
        o.str("label", &self.company_slug((i + 1) % self.companies))?;
        o.str("format", "CD")?;
        o.str("sku", &format!("SYN {i:08}"))?;
        o.str("isbn", &isbn13(i))?;
        o.raw(
            "price",
            &format!(
                "{{\"amount\":\"{}.{:02}\",\"currency\":\"USD\"}}",
                9 + i % 20,
                i % 100
            ),
        )?;
        o.num("editionSize", 500 + (i as u64 % 10) * 100)?;
        match i % 3 {
            0 => o.raw(
                "artist",
                &format!("{{\"group\":\"{}\"}}", self.group_slug(i % self.groups)),
            )?,
            1 => o.raw(
                "artist",
                &format!("{{\"person\":\"{}\"}}", self.person_slug(i % self.people)),
            )?,
            _ => {}
        }
        o.strs("genres", &["Soundtrack"])?;
        o.raw("sources", &self.cite(7, i))
    }

    fn match_<W: Write>(&self, o: &mut Rec<W>, i: usize) -> io::Result<()> {
        let (a, b) = self.match_teams(i);
        let competition = i % self.competitions;
        o.str("slug", &self.match_slug(i))?;
        // Every fifth match has no title, as real results have none: the server labels it.
        if !i.is_multiple_of(5) {
            o.str(
                "title",
                &format!("{} vs {}", self.team_name(a).0, self.team_name(b).0),
            )?;
        }
        let year = self.competition_year(competition);
        o.str("date", &format!("{year}"))?;
        o.str("competition", &self.competition_slug(competition))?;
        o.str("season", &format!("{year}"))?;
        o.str(
            "stage",
            ["Group stage", "Quarterfinal", "Semifinal", "Final"][i % 4],
        )?;
        o.str("city", pick(CITIES, self.draw(6, i, 2)))?;
        let (ta, tb) = (self.team_slug(a), self.team_slug(b));
        o.strs("teams", &[&ta, &tb])?;
        // One match in seven is a draw; the others have a winner, who scored more.
        let (sa, sb) = if i % 7 == 3 {
            o.raw("draw", "true")?;
            (1, 1)
        } else {
            let a_won = self.draw(6, i, 3).is_multiple_of(2);
            o.str("winner", if a_won { &ta } else { &tb })?;
            let loser = self.draw(6, i, 5) % 3;
            if a_won { (3, loser) } else { (loser, 3) }
        };
        o.raw("score", &format!("[{sa},{sb}]"))?;
        o.raw(
            "parts",
            &format!(
                "[{{\"name\":\"1st half\",\"score\":[{},{}]}},{{\"name\":\"2nd half\",\"score\":[{},{}]}}]",
                sa / 2,
                sb / 2,
                sa - sa / 2,
                sb - sb / 2
            ),
        )?;
        if i.is_multiple_of(4) {
            o.raw("neutral", "true")?;
        } else if i % 2 == 1 {
            o.str("home", &ta)?;
        }
        o.strs(
            "commentators",
            &[&self.person_slug((self.draw(6, i, 4) % self.people as u64) as usize)],
        )?;
        o.strs("films", &[&self.film_slug((i * 2) % self.films)])?;
        o.raw("sources", &self.cite(6, i))
    }

    fn track<W: Write>(&self, o: &mut Rec<W>, i: usize) -> io::Result<()> {
        let (album, number) = (i / TRACKS_PER_ALBUM, i % TRACKS_PER_ALBUM + 1);
        o.str("slug", &format!("{}-{number:02}", self.album_slug(album)))?;
        o.str("album", &self.album_slug(album))?;
        o.num("number", number as u64)?;
        let a = pick(ADJECTIVES, self.draw(8, i, 0));
        let n = pick(NOUNS, self.draw(8, i, 1));
        o.str("title", &format!("{a} {n}"))?;
        let seconds = 30 + self.draw(8, i, 2) % 400;
        // The last track of every tenth album has no known duration, nor has its album's total.
        if !(number == TRACKS_PER_ALBUM && album % 10 == 9) {
            o.str(
                "duration",
                &format!("{:02}:{:02}", seconds / 60, seconds % 60),
            )?;
        }
        if number == 1 {
            o.strs("genres", &["Score"])?;
        }
        // The album's film re-stages match i / 2; a track in ten depicts it.
        if number == 5 && album % 2 == 0 && album / 2 < self.matches {
            o.strs("depicts", &[&self.match_slug(album / 2)])?;
        }
        o.raw("sources", &self.cite(8, i))
    }

    /// Each film credits its four leads (billed 1 to 4), a team playing itself, and a
    /// director, a writer and a producer drawn from everybody so far; each album credits a
    /// composer. No performer holds the same role twice on one work, as the loader requires.
    fn write_credits(&self, dir: &Path) -> io::Result<usize> {
        let mut w = BufWriter::with_capacity(1 << 16, File::create(dir.join("credits.json"))?);
        let mut n = 0usize;
        let mut rec = |w: &mut BufWriter<File>,
                       work: (&str, &str),
                       who: (&str, &str),
                       role: &str,
                       cast: Option<(&str, u64)>,
                       src: &str|
         -> io::Result<()> {
            w.write_all(if n == 0 { b"[\n" } else { b",\n" })?;
            n += 1;
            let mut o = Rec::open(w)?;
            o.str(work.0, work.1)?;
            o.str(who.0, who.1)?;
            o.str("role", role)?;
            if let Some((character, billing)) = cast {
                o.str("character", character)?;
                o.num("billing", billing)?;
            }
            o.raw("sources", src)?;
            o.close()
        };
        for f in 0..self.films {
            let film = self.film_slug(f);
            let src = self.cite(9, f);
            for lead in 0..PEOPLE_PER_FILM {
                let person = self.person_slug(f * PEOPLE_PER_FILM + lead);
                let character = format!("{} {}", pick(GIVEN, self.draw(9, f, lead as u64)), lead);
                let cast = Some((character.as_str(), lead as u64 + 1));
                rec(
                    &mut w,
                    ("film", &film),
                    ("person", &person),
                    "CAST",
                    cast,
                    &src,
                )?;
            }
            let team = self.team_slug(f % self.teams);
            let cast = Some(("Themselves", PEOPLE_PER_FILM as u64 + 1));
            rec(&mut w, ("film", &film), ("team", &team), "CAST", cast, &src)?;
            let known = (f + 1) * PEOPLE_PER_FILM;
            for (k, role) in ROLES.iter().enumerate() {
                let p = (self.draw(9, f, 10 + k as u64) % known as u64) as usize;
                let person = self.person_slug(p);
                rec(
                    &mut w,
                    ("film", &film),
                    ("person", &person),
                    role,
                    None,
                    &src,
                )?;
            }
            let album = self.album_slug(f);
            let p = (self.draw(9, f, 20) % known as u64) as usize;
            let person = self.person_slug(p);
            rec(
                &mut w,
                ("album", &album),
                ("person", &person),
                "COMPOSER",
                None,
                &src,
            )?;
            // The first track has its own composer, the second a group performing it.
            let first = format!("{album}-01");
            rec(
                &mut w,
                ("track", &first),
                ("person", &person),
                "COMPOSER",
                None,
                &src,
            )?;
            let second = format!("{album}-02");
            let group = self.group_slug(f % self.groups);
            rec(
                &mut w,
                ("track", &second),
                ("group", &group),
                "PERFORMER",
                None,
                &src,
            )?;
        }
        w.write_all(if n == 0 { b"[]\n" } else { b"\n]\n" })?;
        w.flush()?;
        Ok(n)
    }

    fn coaching<W: Write>(&self, o: &mut Rec<W>, i: usize) -> io::Result<()> {
        o.str("person", &self.person_slug((i * 37) % self.people))?;
        o.str("team", &self.team_slug(i % self.teams))?;
        let from = 1960 + (self.draw(10, i, 0) % 50) as usize;
        o.str("from", &format!("{from}"))?;
        o.str("to", &format!("{}", from + 1 + i % 8))?;
        o.raw("sources", &self.cite(10, i))
    }
}
