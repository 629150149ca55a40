//! The bundled seed says what its three documents say. The expected values are read from the
//! documents themselves (copied into `tests/fixtures/sources/`), so that a typo in the seed —
//! or a fact the documents do not support — fails here rather than reaching the API.

use leap_graphql::seed::load_bundled;
use leap_graphql::store::Store;
use leap_graphql::store::model::*;

const STORE_PAGE: &str = include_str!("fixtures/sources/000_d57985d7f2133b81.txt");
const DRAMA_LIST: &str = include_str!("fixtures/sources/001_5113aa75c8717b65.txt");
const TRAILER: &str = include_str!("fixtures/sources/002_1fe24c7c51627a4d.txt");

fn store() -> Store {
    match load_bundled() {
        Ok(store) => store,
        Err(report) => panic!("the bundled seed does not load:\n{report}"),
    }
}

/// The source whose `file` is the fixture of that name: the seed names its documents.
fn source(store: &Store, file: &str) -> Idx {
    let i = store
        .sources()
        .iter()
        .position(|s| s.file.as_deref() == Some(file))
        .unwrap_or_else(|| panic!("no source has the file {file}"));
    i as Idx
}

struct Docs {
    store_page: Idx,
    drama_list: Idx,
    trailer: Idx,
}

fn docs(store: &Store) -> Docs {
    Docs {
        store_page: source(store, "000_d57985d7f2133b81.txt"),
        drama_list: source(store, "001_5113aa75c8717b65.txt"),
        trailer: source(store, "002_1fe24c7c51627a4d.txt"),
    }
}

/// The text after `label` on the line that starts with it, as in `Duration: 135 min.`.
fn field<'a>(doc: &'a str, label: &str) -> &'a str {
    doc.lines()
        .find_map(|l| l.strip_prefix(label))
        .unwrap_or_else(|| panic!("the document has no line starting {label:?}"))
        .trim()
}

/// A comma-separated list in a document, as in `Producer: Xu Yuezhen, Zhang Yibai`.
fn list(text: &str) -> Vec<&str> {
    text.split(',').map(str::trim).collect()
}

/// The text between `before` and the next `after`, for facts inside a sentence.
fn between<'a>(doc: &'a str, before: &str, after: &str) -> &'a str {
    let start = doc
        .find(before)
        .unwrap_or_else(|| panic!("the document does not say {before:?}"))
        + before.len();
    let len = doc[start..]
        .find(after)
        .unwrap_or_else(|| panic!("nothing ends with {after:?} after {before:?}"));
    &doc[start..start + len]
}

fn assert_says(doc: &str, phrase: &str) {
    assert!(doc.contains(phrase), "the document does not say {phrase:?}");
}

fn film(store: &Store, slug: &str) -> Idx {
    store
        .find(Kind::Film, slug)
        .unwrap_or_else(|| panic!("no film {slug}"))
}

fn the_film(store: &Store) -> &Film {
    &store.films()[film(store, "leap") as usize]
}

fn person_named(store: &Store, name: &str) -> Idx {
    store
        .people()
        .iter()
        .position(|p| &*p.name == name)
        .unwrap_or_else(|| panic!("nobody is named {name}")) as Idx
}

fn names(store: &Store, people: &[Idx]) -> Vec<String> {
    people
        .iter()
        .map(|p| store.people()[*p as usize].name.to_string())
        .collect()
}

/// The people credited in `role` on the film, in the seed's order.
fn crew(store: &Store, role: Role) -> Vec<String> {
    the_film(store)
        .crew
        .iter()
        .map(|c| &store.credits()[*c as usize])
        .filter(|c| c.role == role)
        .map(|c| match c.performer {
            Performer::Person(p) => store.people()[p as usize].name.to_string(),
            Performer::Team(t) => store.teams()[t as usize].name.to_string(),
            Performer::Group(g) => store.groups()[g as usize].name.to_string(),
        })
        .collect()
}

/// Whether the fact `field` of an entity cites `source`.
fn cites(meta: &Meta, field: &str, source: Idx) -> bool {
    meta.fact(field)
        .unwrap_or_else(|| panic!("{} has no fact {field}", meta.slug))
        .sources
        .contains(&source)
}

#[test]
fn the_bundled_seed_loads_without_problems() {
    let store = store();
    assert_eq!(store.sources().len(), 3);
    assert!(!store.films().is_empty());
}

#[test]
fn the_album_tracks_are_the_store_pages_track_list() {
    let store = store();
    let d = docs(&store);
    // Lines such as `07. World Cup, China vs. Japan 02:26`.
    let listed: Vec<(u32, &str, &str)> = STORE_PAGE
        .lines()
        .filter_map(|line| {
            let (number, rest) = line.trim().split_once(". ")?;
            let (title, duration) = rest.rsplit_once(' ')?;
            let number = number.parse().ok()?;
            (duration.len() == 5 && duration.as_bytes()[2] == b':')
                .then_some((number, title, duration))
        })
        .collect();
    assert_eq!(listed.len(), 22, "the page lists 22 tracks");
    let album = store.find(Kind::Album, "leap-soundtrack").unwrap();
    let album = &store.albums()[album as usize];
    let tracks: Vec<&Track> = album
        .tracks
        .iter()
        .map(|t| &store.tracks()[*t as usize])
        .collect();
    assert_eq!(tracks.len(), listed.len());
    let mut total = 0u64;
    for (track, (number, title, duration)) in tracks.iter().zip(&listed) {
        assert_eq!(track.number, Some(*number));
        assert_eq!(&*track.title, *title, "track {number}");
        let track_duration = track
            .duration
            .as_ref()
            .expect("the page gives every duration");
        assert_eq!(&*track_duration.text, *duration, "track {number}");
        let (m, s) = duration.split_once(':').unwrap();
        let seconds: u64 = m.parse::<u64>().unwrap() * 60 + s.parse::<u64>().unwrap();
        assert_eq!(u64::from(track_duration.seconds), seconds, "track {number}");
        total += seconds;
        assert!(cites(&track.meta, "duration", d.store_page));
        assert!(cites(&track.meta, "title", d.store_page));
    }
    assert_eq!(album.total_duration_seconds, Some(total));
    // 52 minutes 49 seconds, added up by hand from the page as a check on the check.
    assert_eq!(total, 52 * 60 + 49);
}

#[test]
fn the_album_is_the_one_the_store_page_sells() {
    let store = store();
    let d = docs(&store);
    let album = &store.albums()[store.find(Kind::Album, "leap-soundtrack").unwrap() as usize];
    assert_eq!(album.sku.as_deref(), Some(field(STORE_PAGE, "SKU:")));
    assert_eq!(album.isbn.as_deref(), Some(field(STORE_PAGE, "ISBN:")));
    assert_eq!(album.format.as_deref(), Some(field(STORE_PAGE, "Format:")));
    // `$16.98 USD`, under "Regular price".
    let price = between(STORE_PAGE, "Regular price\n$", "\n");
    let (amount, currency) = price.split_once(' ').unwrap();
    let money = album.price.as_ref().expect("the album has a price");
    assert_eq!((&*money.amount, &*money.currency), (amount, currency));
    let copies = between(STORE_PAGE, "limited edition ", " copies");
    assert_eq!(album.edition_size, Some(copies.parse().unwrap()));
    let numbering = between(STORE_PAGE, "copies, with ", ".");
    assert_eq!(
        album.numbering.as_deref().map(str::to_lowercase),
        Some(numbering.to_lowercase())
    );
    let label = album.label.expect("the album has a label") as usize;
    assert_says(
        STORE_PAGE,
        &format!("production from {}.", store.companies()[label].name),
    );
    assert_eq!(album.film, Some(film(&store, "leap")));
    for fact in [
        "sku",
        "isbn",
        "format",
        "price",
        "editionSize",
        "label",
        "film",
    ] {
        assert!(cites(&album.meta, fact, d.store_page), "{fact}");
    }
    // The composer, who also produced and edited it, and the two who wrote its notes.
    assert_says(STORE_PAGE, "produced and edited by Shigeru Umebayashi");
    assert_says(
        STORE_PAGE,
        "Director Peter Chan and composer Shigeru Umebayashi write the music notes",
    );
    let credits: Vec<(Role, String)> = album
        .credits
        .iter()
        .map(|c| &store.credits()[*c as usize])
        .map(|c| match c.performer {
            Performer::Person(p) => (c.role, store.people()[p as usize].name.to_string()),
            Performer::Team(_) | Performer::Group(_) => {
                panic!("only people are credited on the album")
            }
        })
        .collect();
    let umebayashi = "Shigeru Umebayashi".to_owned();
    for role in [
        Role::Composer,
        Role::Producer,
        Role::Editor,
        Role::LinerNotes,
    ] {
        assert!(credits.contains(&(role, umebayashi.clone())), "{role:?}");
    }
    assert!(credits.contains(&(Role::LinerNotes, "Peter Chan".to_owned())));
    assert_eq!(credits.len(), 5);
}

#[test]
fn the_film_is_the_drama_lists_entry() {
    let store = store();
    let d = docs(&store);
    let f = the_film(&store);
    assert_eq!(&*f.title, field(DRAMA_LIST, "English Title:"));
    assert_eq!(
        f.original_title.as_deref(),
        Some(field(DRAMA_LIST, "Chinese Title:"))
    );
    let genres: Vec<&str> = f.genres.iter().map(|g| &**g).collect();
    assert_eq!(genres, list(field(DRAMA_LIST, "Genre:")));
    let minutes = field(DRAMA_LIST, "Duration:")
        .strip_suffix(" min.")
        .unwrap();
    assert_eq!(f.runtime_minutes, Some(minutes.parse().unwrap()));
    let companies: Vec<&str> = f
        .production_companies
        .iter()
        .map(|c| &*store.companies()[*c as usize].name)
        .collect();
    assert_eq!(companies, list(field(DRAMA_LIST, "Product Company:")));
    let platforms: Vec<&str> = f
        .platforms
        .iter()
        .map(|c| &*store.companies()[*c as usize].name)
        .collect();
    assert_eq!(platforms, list(field(DRAMA_LIST, "Broadcast Website:")));
    for fact in [
        "title",
        "originalTitle",
        "genres",
        "runtimeMinutes",
        "productionCompanies",
        "platforms",
    ] {
        assert!(cites(&f.meta, fact, d.drama_list), "{fact}");
    }
    assert_eq!(
        crew(&store, Role::Director),
        list(field(DRAMA_LIST, "Director:"))
    );
    assert_eq!(
        crew(&store, Role::Writer),
        list(field(DRAMA_LIST, "Writer:"))
    );
    assert_eq!(
        crew(&store, Role::Producer),
        list(field(DRAMA_LIST, "Producer:"))
    );
    // All three documents name the director.
    assert_says(
        STORE_PAGE,
        "directed by the famous Hong Kong director Peter Chan",
    );
    assert_says(TRAILER, "Trailer: Leap by Peter Chan");
    let director = f
        .crew
        .iter()
        .map(|c| &store.credits()[*c as usize])
        .find(|c| c.role == Role::Director)
        .unwrap();
    for s in [d.store_page, d.drama_list, d.trailer] {
        assert!(director.sources.contains(&s));
    }
}

#[test]
fn the_cast_is_billed_as_the_drama_list_stars_them() {
    let store = store();
    let d = docs(&store);
    // "starring Gong Li, Huang Bo, Wu Gang, Peng Yuchang, Bai Lang, and the Chinese women's
    // national volleyball team."
    let starring = between(DRAMA_LIST, "starring ", ".");
    let mut billed: Vec<String> = list(starring)
        .into_iter()
        .map(|s| s.trim_start_matches("and the ").to_owned())
        .collect();
    let team = billed.pop().unwrap();
    let f = the_film(&store);
    let cast: Vec<&Credit> = f
        .cast
        .iter()
        .map(|c| &store.credits()[*c as usize])
        .collect();
    assert_eq!(cast.len(), billed.len() + 1);
    for (i, (credit, name)) in cast.iter().zip(&billed).enumerate() {
        let Performer::Person(p) = credit.performer else {
            panic!("cast member {i} is not a person")
        };
        assert_eq!(&*store.people()[p as usize].name, name);
        assert_eq!(credit.billing, Some(i as u32 + 1));
        assert!(credit.sources.contains(&d.drama_list));
    }
    let last = cast.last().unwrap();
    let Performer::Team(t) = last.performer else {
        panic!("the team is not billed last")
    };
    assert_eq!(
        store.teams()[t as usize].name.to_lowercase(),
        team.to_lowercase()
    );
    // "players of the actual Chinese national team, who play themselves".
    assert_says(TRAILER, "who play themselves");
    assert_eq!(last.character.as_deref(), Some("Themselves"));
    assert!(
        last.facts
            .iter()
            .any(|f| f.field == "character" && f.sources.contains(&d.trailer))
    );
}

#[test]
fn the_release_dates_come_each_from_its_own_document() {
    let store = store();
    let d = docs(&store);
    let f = the_film(&store);
    let release = |date: &str| {
        f.releases
            .iter()
            .find(|r| r.date.to_string() == date && r.kind != ReleaseKind::Planned)
            .unwrap_or_else(|| panic!("no release on {date}"))
    };
    let listed = field(DRAMA_LIST, "Released Date:");
    assert_eq!(listed, "2020-09-25");
    let r = release(listed);
    assert_eq!(r.sources, vec![d.drama_list]);

    // "It hits Chinese theatres on September 30th, 2020."
    let hits = between(TRAILER, "It hits Chinese theatres on ", ".");
    assert_eq!(hits, "September 30th, 2020");
    let r = release("2020-09-30");
    assert_eq!(r.kind, ReleaseKind::Theatrical);
    assert_eq!(r.region.as_deref(), Some("CN"));
    assert_eq!(r.sources, vec![d.trailer]);

    // "scheduled for a January, 2020 release and had a star-studded premiere in Beijing that
    // month but the coronavirus outbreak delayed it indefinitely".
    assert_says(TRAILER, "scheduled for a January, 2020 release");
    assert_says(TRAILER, "star-studded premiere in Beijing that month");
    let premiere = f
        .releases
        .iter()
        .find(|r| r.kind == ReleaseKind::Premiere)
        .expect("a premiere");
    assert_eq!(premiere.date.to_string(), "2020-01");
    assert_eq!(premiere.city.as_deref(), Some("Beijing"));
    assert_eq!(premiere.sources, vec![d.trailer]);
    assert_eq!(f.year, Some(2020));

    // "China's official entry to the 93rd Academy Awards".
    assert_says(STORE_PAGE, "official entry to the 93rd Academy Awards");
    let award = f
        .awards
        .iter()
        .find(|a| &*a.ceremony == "93rd Academy Awards")
        .expect("the Academy Awards entry");
    assert!(award.recognition.contains("official entry"));
    assert_eq!(award.sources, vec![d.store_page]);
}

#[test]
fn the_four_matches_are_the_ones_the_drama_list_recounts() {
    let store = store();
    let d = docs(&store);
    let china = store.find(Kind::Team, "china-women").unwrap();
    // (the sentence that tells it, year, city, opponent's name, whether China won).
    let told = [
        (
            "In 1980, the Chinese women's volleyball team lost to the champion Jiangsu men's volleyball team in a training match.",
            "1980",
            None,
            "Jiangsu men's volleyball team",
            false,
        ),
        (
            "In the 1981 World Cup final in Osaka, the Chinese team played against the Japanese team and won",
            "1981",
            Some("Osaka"),
            "Japanese women's national volleyball team",
            true,
        ),
        (
            "In the 2008 Beijing Olympic group stage, the Chinese team played against the American team",
            "2008",
            Some("Beijing"),
            "US women's national volleyball team",
            false,
        ),
        (
            "In the quarterfinals of the 2016 Rio Olympics, the Chinese team played against the host and top-ranked Brazilian team, eventually winning the gold medal.",
            "2016",
            Some("Rio"),
            "Brazilian women's national volleyball team",
            true,
        ),
    ];
    assert_eq!(store.matches().len(), told.len());
    // The 2008 result is the trailer's: "Defeated, the Chinese team plunged into the deepest
    // abyss in three decades."
    assert_says(TRAILER, "Defeated, the Chinese team");
    for (sentence, year, city, opponent, china_won) in told {
        assert_says(DRAMA_LIST, sentence);
        assert!(sentence.contains(year));
        if let Some(city) = city {
            assert!(sentence.contains(city));
        }
        let m = store
            .matches()
            .iter()
            .find(|m| m.date.map(|d| d.to_string()) == Some(year.to_owned()))
            .unwrap_or_else(|| panic!("no match in {year}"));
        assert_eq!(m.city.as_deref(), city, "{year}");
        let sides: Vec<&str> = m
            .teams
            .iter()
            .map(|t| &*store.teams()[*t as usize].name)
            .collect();
        assert_eq!(sides.len(), 2);
        assert!(m.teams.contains(&china), "{year}");
        assert!(sides.contains(&opponent), "{year}: {sides:?}");
        let winner = m.winner.expect("every match has a winner");
        assert_eq!(winner == china, china_won, "{year}");
        assert!(m.films.contains(&film(&store, "leap")));
        assert!(m.meta.sources.contains(&d.drama_list), "{year}");
    }
    // "The powerful and distinctive commentary by Song Shixiong" of the 1981 final.
    let commentator = between(DRAMA_LIST, "distinctive commentary by ", " ");
    let commentator = format!(
        "{commentator} {}",
        between(DRAMA_LIST, &format!("by {commentator} "), " ")
    );
    let final_1981 = store
        .find(Kind::Match, "1981-world-cup-final-china-vs-japan")
        .unwrap() as usize;
    assert_eq!(
        names(&store, &store.matches()[final_1981].commentators),
        vec![commentator]
    );
    assert_eq!(store.matches()[final_1981].stage.as_deref(), Some("Final"));
}

#[test]
fn lang_ping_coached_the_us_in_2008_and_china_from_2013() {
    let store = store();
    let d = docs(&store);
    assert_says(
        DRAMA_LIST,
        "the American team coached by Lang Ping at the time",
    );
    assert_says(
        DRAMA_LIST,
        "In 2013, Lang Ping officially returned to coach the Chinese women's volleyball team",
    );
    let lang_ping = person_named(&store, "Lang Ping");
    let coaching: Vec<(String, Option<String>, Option<String>)> = store
        .coaching()
        .iter()
        .filter(|c| c.person == lang_ping)
        .map(|c| {
            (
                store.teams()[c.team as usize].meta.slug.to_string(),
                c.from.map(|d| d.to_string()),
                c.during.map(|d| d.to_string()),
            )
        })
        .collect();
    assert_eq!(
        coaching,
        vec![
            ("usa-women".into(), None, Some("2008".into())),
            ("china-women".into(), Some("2013".into()), None),
        ]
    );
    let from_2013 = store.coaching().iter().find(|c| c.from.is_some()).unwrap();
    assert!(
        from_2013
            .facts
            .iter()
            .any(|f| f.field == "from" && f.sources == vec![d.drama_list])
    );
}

#[test]
fn peter_chans_other_films_are_the_store_pages() {
    let store = store();
    // "Peter Chan (COMRADES: ALMOST A LOVE STORY, AMERICAN DREAMS IN CHINA, THE WARLORDS)".
    let printed = list(between(STORE_PAGE, "Peter Chan (", ")"));
    let chan = person_named(&store, "Peter Chan");
    let directed: Vec<String> = store.people()[chan as usize]
        .credits
        .iter()
        .map(|c| &store.credits()[*c as usize])
        .filter_map(|c| match c.work {
            Work::Film(f) if c.role == Role::Director => Some(&store.films()[f as usize]),
            _ => None,
        })
        .filter(|f| &*f.meta.slug != "leap")
        .map(|f| f.title.to_uppercase())
        .collect();
    let mut printed: Vec<String> = printed.into_iter().map(str::to_owned).collect();
    printed.sort();
    let mut directed = directed;
    directed.sort();
    assert_eq!(directed, printed);
    // The trailer names the first as his too.
    assert_says(TRAILER, "“Comrades: Almost a Love Story” director");
}

#[test]
fn the_trailer_article_has_its_author() {
    let store = store();
    let d = docs(&store);
    let author = between(TRAILER, "About the author\n\n", "\n");
    let s = &store.sources()[d.trailer as usize];
    let by = s.author.expect("the article has an author");
    assert_eq!(&*store.people()[by as usize].name, author);
    assert_eq!(&*s.title, between(TRAILER, "Trailers\n\n", "\n"));
    assert_eq!(s.section.as_deref(), Some("Other Trailers"));
    assert!(store.people()[by as usize].authored.contains(&d.trailer));
}

#[test]
fn every_entity_and_every_fact_has_a_source_or_an_editorial_note() {
    let store = store();
    let documents = [STORE_PAGE, DRAMA_LIST, TRAILER];
    assert_eq!(store.sources().len(), documents.len());
    let mut facts = 0;
    for node in store.nodes() {
        let meta = store.meta(node);
        assert!(
            !meta.sources.is_empty(),
            "{:?} {} has no source",
            node.kind,
            meta.slug
        );
        assert!(!meta.facts.is_empty(), "{} states no fact", meta.slug);
        for fact in &meta.facts {
            facts += 1;
            assert!(
                !fact.sources.is_empty() || fact.editorial.is_some(),
                "{}.{} has neither a source nor a note",
                meta.slug,
                fact.field
            );
        }
    }
    assert!(facts > 100, "only {facts} facts");
    let item = |what: &str, sources: &[Idx], editorial: &Option<Box<str>>| {
        assert!(
            !sources.is_empty() || editorial.is_some(),
            "{what} has no source"
        );
    };
    for f in store.films() {
        for t in f.synopses.iter().chain(&f.notes) {
            item(&t.text, &t.sources, &t.editorial);
        }
        for r in &f.releases {
            item(&r.date.to_string(), &r.sources, &r.editorial);
        }
        for a in &f.awards {
            item(&a.ceremony, &a.sources, &a.editorial);
        }
    }
    let notes = store
        .people()
        .iter()
        .flat_map(|p| &p.notes)
        .chain(store.teams().iter().flat_map(|t| &t.notes))
        .chain(store.matches().iter().flat_map(|m| &m.notes))
        .chain(store.albums().iter().flat_map(|a| &a.notes));
    for t in notes {
        item(&t.text, &t.sources, &t.editorial);
    }
    for c in store.credits() {
        assert!(!c.sources.is_empty() || c.facts.iter().any(|f| f.editorial.is_some()));
        for f in &c.facts {
            assert!(
                !f.sources.is_empty() || f.editorial.is_some(),
                "credit {}",
                f.field
            );
        }
    }
    for c in store.coaching() {
        assert!(!c.sources.is_empty());
        for f in &c.facts {
            assert!(
                !f.sources.is_empty() || f.editorial.is_some(),
                "coaching {}",
                f.field
            );
        }
    }
    // Every document the seed cites is one of the three, by file, and every one is cited.
    for s in store.sources() {
        let file = s.file.as_deref().expect("every source names its file");
        assert!(
            std::path::Path::new("tests/fixtures/sources")
                .join(file)
                .is_file(),
            "{file} is not among the documents"
        );
        assert!(!s.supports.is_empty(), "{} supports nothing", s.meta.slug);
    }
}
