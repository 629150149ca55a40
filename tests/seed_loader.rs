//! The loader's error reporting, one broken fixture per class of mistake. Every case starts
//! from a small valid catalogue (a made-up film, its score and the two teams it re-stages),
//! replaces some of its files, and states every problem the load must report: each expected
//! problem must be found, and no other problem may be reported, so that a misleading
//! follow-on message fails the test as surely as a missing one.

use std::collections::BTreeMap;

use leap_graphql::seed::{Problem, load_dir, load_files};

const SOURCES: &str = r#"[
{"slug": "liner", "title": "Liner notes of The Long Rally score", "kind": "STORE_PAGE"},
{"slug": "review", "title": "The Long Rally, reviewed", "kind": "ARTICLE", "author": "ada-moss"}
]"#;
const PEOPLE: &str = r#"[
{"slug": "ada-moss", "name": "Ada Moss", "sources": ["review"]},
{"slug": "ben-ito", "name": "Ben Ito", "sources": ["liner"]}
]"#;
const COMPANIES: &str = r#"[
{"slug": "north-pictures", "name": "North Pictures", "sources": ["review"]}
]"#;
const COMPETITIONS: &str = r#"[
{"slug": "harbor-cup", "name": "Harbor Cup", "date": "1999", "sources": ["review"]}
]"#;
const TEAMS: &str = r#"[
{"slug": "herons", "name": "Herons", "sources": ["review"]},
{"slug": "gulls", "name": "Gulls", "sources": ["review"]},
{"slug": "crows", "name": "Crows", "sources": ["review"]}
]"#;
const FILMS: &str = r#"[
{"slug": "long-rally", "title": "The Long Rally", "genres": ["Sport"], "runtimeMinutes": 101, "productionCompanies": ["north-pictures"], "releases": [{"date": "2001-05-04", "kind": "RELEASE", "sources": ["review"]}], "sources": ["review"]}
]"#;
const ALBUMS: &str = r#"[
{"slug": "long-rally-score", "title": "The Long Rally (Score)", "film": "long-rally", "sources": ["liner"]}
]"#;
const MATCHES: &str = r#"[
{"slug": "cup-final", "title": "Herons vs Gulls", "date": "1999-06-01", "competition": "harbor-cup", "teams": ["herons", "gulls"], "winner": "herons", "films": ["long-rally"], "sources": ["review"]}
]"#;
const TRACKS: &str = r#"[
{"slug": "score-01", "album": "long-rally-score", "number": 1, "title": "Opening Serve", "duration": "03:46", "sources": ["liner"]},
{"slug": "score-02", "album": "long-rally-score", "number": 2, "title": "Match Point", "duration": "01:07", "sources": ["liner"]},
{"slug": "score-03", "album": "long-rally-score", "number": 3, "title": "The Long Rally", "duration": "12:00", "depicts": ["cup-final"], "sources": ["liner"]}
]"#;
const CREDITS: &str = r#"[
{"film": "long-rally", "person": "ada-moss", "role": "DIRECTOR", "sources": ["review"]},
{"film": "long-rally", "person": "ben-ito", "role": "CAST", "billing": 1, "character": "The coach", "sources": ["review"]},
{"film": "long-rally", "team": "herons", "role": "CAST", "billing": 2, "character": "Themselves", "sources": ["review"]},
{"album": "long-rally-score", "person": "ben-ito", "role": "COMPOSER", "sources": ["liner"]}
]"#;
const COACHING: &str = r#"[
{"person": "ada-moss", "team": "herons", "from": "1998", "to": "2000", "sources": ["review"]}
]"#;

/// One expected problem: its file, its path, and a substring of its message.
type Expected<'a> = (&'a str, &'a str, &'a str);

const BASE: [(&str, &str); 11] = [
    ("sources.json", SOURCES),
    ("people.json", PEOPLE),
    ("companies.json", COMPANIES),
    ("competitions.json", COMPETITIONS),
    ("teams.json", TEAMS),
    ("films.json", FILMS),
    ("albums.json", ALBUMS),
    ("matches.json", MATCHES),
    ("tracks.json", TRACKS),
    ("credits.json", CREDITS),
    ("coaching.json", COACHING),
];

/// Loads the base catalogue with `files` put in place of (or beside) its own, and checks that
/// the problems reported are exactly `expected`: (file, path, a substring of the message).
/// No expectations means the load must succeed. Contents are bytes so that a fixture can be
/// invalid UTF-8; the cases written as text pass `&str`.
fn check<C: AsRef<[u8]> + ?Sized>(files: &[(&str, &C)], expected: &[(&str, &str, &str)]) {
    let mut all: BTreeMap<String, Vec<u8>> = BASE
        .iter()
        .map(|(name, text)| (name.to_string(), text.as_bytes().to_vec()))
        .collect();
    for (name, bytes) in files {
        all.insert(name.to_string(), bytes.as_ref().to_vec());
    }
    let problems = match load_files(all) {
        Ok(_) if expected.is_empty() => return,
        Ok(_) => panic!("the load succeeded, but these problems were expected: {expected:?}"),
        Err(report) => report.problems,
    };
    let mut unmatched: Vec<&Problem> = problems.iter().collect();
    let mut missing = Vec::new();
    for want @ (file, path, message) in expected {
        let found = unmatched
            .iter()
            .position(|p| p.file == *file && p.path == *path && p.message.contains(message));
        match found {
            Some(i) => {
                unmatched.remove(i);
            }
            None => missing.push(want),
        }
    }
    let shown: Vec<String> = problems.iter().map(|p| format!("  {p}")).collect();
    assert!(
        missing.is_empty() && unmatched.is_empty(),
        "expected but not reported: {missing:?}\nreported but not expected: {unmatched:?}\nall problems:\n{}",
        shown.join("\n")
    );
}

/// The base catalogue's file `name` with `from` replaced by `to`, which must occur in it, so
/// that a fixture cannot silently stop breaking what it means to break.
fn edit(name: &str, from: &str, to: &str) -> String {
    let (_, text) = BASE.iter().find(|(n, _)| *n == name).expect("a base file");
    assert!(text.contains(from), "{name} has no {from:?}");
    text.replacen(from, to, 1)
}

/// The base catalogue's file `name` with one more record at the end.
fn append(name: &str, record: &str) -> String {
    edit(name, "\n]", &format!(",\n{record}\n]"))
}

/// `tracks.json` with one more track, number 4, so that a fourth track that fails to load
/// leaves no gap in the numbering of the three before it.
fn fourth_track(fields: &str) -> String {
    append(
        "tracks.json",
        &format!(
            r#"{{"slug": "score-04", "album": "long-rally-score", "number": 4, "title": "Encore", "sources": ["liner"], {fields}}}"#
        ),
    )
}

#[test]
fn the_base_catalogue_is_valid() {
    check::<str>(&[], &[]);
    let store = load_files(
        BASE.iter()
            .map(|(n, t)| (n.to_string(), t.as_bytes().to_vec())),
    )
    .unwrap();
    assert_eq!(store.tracks().len(), 3);
    assert_eq!(
        store.albums()[0].total_duration_seconds,
        Some(226 + 67 + 720)
    );
}

#[test]
fn json_syntax_errors_give_line_and_column() {
    // Line 2 lacks the comma after the slug; serde_json stops at the next quote, column 21.
    let broken = "[\n{\"slug\": \"ada-moss\" \"name\": \"Ada Moss\"}\n]";
    check(
        &[("people.json", broken)],
        // Every person fails with the file that holds them: the references to them are
        // counted in the file's one problem, not said once per person.
        &[(
            "people.json",
            "$",
            "invalid JSON: expected `,` or `}` at line 2 column 21; 5 references from other \
             files to 2 people in it cannot be checked (the first: sources.json $[1].author \
             names \"ada-moss\")",
        )],
    );
    check(
        &[("coaching.json", "[{\"person\": \"ada-moss\",]")],
        &[("coaching.json", "$", "at line 1 column 24")],
    );
    check(
        &[("coaching.json", "[")],
        &[(
            "coaching.json",
            "$",
            "EOF while parsing a list at line 1 column 1",
        )],
    );
}

#[test]
fn one_problem_per_class_of_mistake() {
    let huge = "1".repeat(400);
    let rows: Vec<(&str, String, Vec<Expected>)> = vec![
        (
            "people.json",
            edit(
                "people.json",
                r#""name": "Ben Ito","#,
                r#""name": "Ben Ito", "nickname": "B","#,
            ),
            vec![(
                "people.json",
                "$[1].nickname",
                "unknown field \"nickname\"; expected one of: slug, notes, name, sources, cite, editorial",
            )],
        ),
        (
            "people.json",
            append("people.json", r#"{"slug": "cy-lu", "sources": ["liner"]}"#),
            vec![("people.json", "$[2]", "missing required field \"name\"")],
        ),
        (
            "films.json",
            edit(
                "films.json",
                "\"runtimeMinutes\": 101",
                "\"runtimeMinutes\": \"101\"",
            ),
            vec![(
                "films.json",
                "$[0].runtimeMinutes",
                "expected a whole number of at least 1, found the string \"101\"",
            )],
        ),
        (
            "films.json",
            edit(
                "films.json",
                "\"genres\": [\"Sport\"]",
                "\"genres\": \"Sport\"",
            ),
            vec![(
                "films.json",
                "$[0].genres",
                "expected an array, found the string \"Sport\"",
            )],
        ),
        (
            "teams.json",
            edit("teams.json", "\"slug\": \"crows\"", "\"slug\": \"gulls\""),
            vec![(
                "teams.json",
                "$[2].slug",
                "duplicate slug \"gulls\": $[1] has it too",
            )],
        ),
        (
            "teams.json",
            edit("teams.json", "\"slug\": \"crows\"", "\"slug\": \"Crows\""),
            vec![("teams.json", "$[2].slug", "\"Crows\" is not a slug")],
        ),
        (
            "matches.json",
            edit(
                "matches.json",
                "\"winner\": \"herons\"",
                "\"winner\": \"ravens\"",
            ),
            vec![(
                "matches.json",
                "$[0].winner",
                "no team has the slug \"ravens\" (teams.json)",
            )],
        ),
        (
            "matches.json",
            edit(
                "matches.json",
                "\"winner\": \"herons\"",
                "\"winner\": \"crows\"",
            ),
            vec![(
                "matches.json",
                "$[0].winner",
                "the winner \"crows\" is not one of the match's teams",
            )],
        ),
        (
            "matches.json",
            edit(
                "matches.json",
                "\"teams\": [\"herons\", \"gulls\"]",
                "\"teams\": [\"herons\"]",
            ),
            vec![(
                "matches.json",
                "$[0].teams",
                "a match needs at least two teams",
            )],
        ),
        (
            "credits.json",
            edit(
                "credits.json",
                "\"person\": \"ada-moss\"",
                "\"person\": \"ada-mos\"",
            ),
            vec![(
                "credits.json",
                "$[0].person",
                "no person has the slug \"ada-mos\" (people.json)",
            )],
        ),
        (
            "films.json",
            edit("films.json", "\"2001-05-04\"", "\"2021-02-29\""),
            vec![(
                "films.json",
                "$[0].releases[0].date",
                "\"2021-02-29\" is not a date: month 2 of 2021 has 28 days",
            )],
        ),
        (
            "matches.json",
            edit("matches.json", "\"1999-06-01\"", "\"2020-13\""),
            vec![(
                "matches.json",
                "$[0].date",
                "\"2020-13\" is not a date: there is no month 13",
            )],
        ),
        (
            "coaching.json",
            edit("coaching.json", "\"to\": \"2000\"", "\"to\": \"1997\""),
            vec![(
                "coaching.json",
                "$[0].to",
                "the coaching ends (1997) before it starts (1998)",
            )],
        ),
        (
            "tracks.json",
            fourth_track("\"duration\": \"3:7\""),
            vec![(
                "tracks.json",
                "$[3].duration",
                "\"3:7\" is not a duration: write mm:ss",
            )],
        ),
        (
            "tracks.json",
            fourth_track("\"duration\": \"-01:00\""),
            vec![(
                "tracks.json",
                "$[3].duration",
                "\"-01:00\" is not a duration",
            )],
        ),
        (
            "tracks.json",
            fourth_track("\"duration\": \"99:99\""),
            vec![("tracks.json", "$[3].duration", "seconds below 60")],
        ),
        (
            "tracks.json",
            fourth_track("\"duration\": 226"),
            vec![(
                "tracks.json",
                "$[3].duration",
                "expected a string like \"05:44\" (mm:ss), found 226; 226 seconds is \"03:46\"",
            )],
        ),
        (
            "films.json",
            edit(
                "films.json",
                "\"runtimeMinutes\": 101",
                "\"runtimeMinutes\": -101",
            ),
            vec![(
                "films.json",
                "$[0].runtimeMinutes",
                "expected a whole number of at least 1, found -101",
            )],
        ),
        (
            "films.json",
            edit(
                "films.json",
                "\"runtimeMinutes\": 101",
                "\"runtimeMinutes\": 0",
            ),
            vec![("films.json", "$[0].runtimeMinutes", "at least 1, found 0")],
        ),
        (
            "films.json",
            edit(
                "films.json",
                "\"runtimeMinutes\": 101",
                "\"runtimeMinutes\": 99999999999999999999",
            ),
            vec![(
                "films.json",
                "$[0].runtimeMinutes",
                "is too large: at most 4294967295",
            )],
        ),
        (
            "films.json",
            edit(
                "films.json",
                "\"runtimeMinutes\": 101",
                "\"runtimeMinutes\": 4294967296",
            ),
            vec![(
                "films.json",
                "$[0].runtimeMinutes",
                "4294967296 is too large: at most 4294967295",
            )],
        ),
        (
            "films.json",
            edit(
                "films.json",
                "\"runtimeMinutes\": 101",
                "\"runtimeMinutes\": 101.5",
            ),
            vec![(
                "films.json",
                "$[0].runtimeMinutes",
                "expected a whole number of at least 1, found 101.5",
            )],
        ),
        (
            // serde_json refuses a number beyond f64 as it parses, so this is a syntax error
            // at the end of the number (in coaching.json, which nothing else refers to, so nothing
            // else fails with it).
            "coaching.json",
            edit("coaching.json", "\"1998\"", "1e400"),
            vec![(
                "coaching.json",
                "$",
                "number out of range at line 2 column 54",
            )],
        ),
        (
            // A 400-digit integer overflows to infinity too, and is refused the same way.
            "coaching.json",
            edit("coaching.json", "\"1998\"", &huge),
            vec![("coaching.json", "$", "number out of range at line 2 column")],
        ),
        (
            "tracks.json",
            edit("tracks.json", "\"number\": 3", "\"number\": 2"),
            vec![(
                "tracks.json",
                "$[2].number",
                "album \"long-rally-score\" has track number 2 twice (also at $[1])",
            )],
        ),
        (
            "tracks.json",
            edit("tracks.json", "\"number\": 3", "\"number\": 5"),
            vec![(
                "tracks.json",
                "$[2].number",
                "album \"long-rally-score\" skips track number 3 to 4",
            )],
        ),
        (
            // Regression: a refused track used to be reported a second time, as a gap in
            // its album's numbering ("skips track number 2"), though the number was fine.
            "tracks.json",
            edit("tracks.json", "\"01:07\"", "\"1:07\""),
            vec![("tracks.json", "$[1].duration", "\"1:07\" is not a duration")],
        ),
        (
            "tracks.json",
            edit("tracks.json", "\"number\": 1,", "\"number\": 0,"),
            vec![(
                "tracks.json",
                "$[0].number",
                "expected a whole number of at least 1, found 0",
            )],
        ),
        (
            "credits.json",
            append(
                "credits.json",
                r#"{"album": "long-rally-score", "person": "ben-ito", "role": "COMPOSER", "sources": ["review"]}"#,
            ),
            vec![(
                "credits.json",
                "$[4]",
                "the same credit is listed twice (also at $[3])",
            )],
        ),
        // Exact duplicate records: reported once each, with both positions, in files
        // without slugs (a coaching stint given twice, its members in another order) and
        // with them (where a second report of the slug would only repeat the first).
        (
            "coaching.json",
            append(
                "coaching.json",
                r#"{"team": "herons", "person": "ada-moss", "to": "2000", "from": "1998", "sources": ["review"]}"#,
            ),
            vec![(
                "coaching.json",
                "$[1]",
                "duplicate record: the same as $[0]",
            )],
        ),
        (
            "teams.json",
            append(
                "teams.json",
                r#"{"slug": "gulls", "name": "Gulls", "sources": ["review"]}"#,
            ),
            vec![("teams.json", "$[3]", "duplicate record: the same as $[1]")],
        ),
        (
            "credits.json",
            append(
                "credits.json",
                r#"{"film": "long-rally", "person": "ada-moss", "role": "DIRECTOR", "sources": ["review"]}"#,
            ),
            vec![("credits.json", "$[4]", "duplicate record: the same as $[0]")],
        ),
        (
            "credits.json",
            edit(
                "credits.json",
                "\"role\": \"DIRECTOR\",",
                "\"role\": \"DIRECTOR\", \"billing\": 1,",
            ),
            vec![(
                "credits.json",
                "$[0].billing",
                "only a CAST credit has a \"billing\"",
            )],
        ),
        (
            "people.json",
            edit("people.json", ", \"sources\": [\"liner\"]", ""),
            vec![
                ("people.json", "$[1].name", "this fact has no source"),
                ("people.json", "$[1]", "the record cites no source at all"),
            ],
        ),
        (
            "people.json",
            edit("people.json", "\"sources\": [\"liner\"]", "\"sources\": []"),
            vec![(
                "people.json",
                "$[1].sources",
                "must name at least one source",
            )],
        ),
        (
            "people.json",
            edit(
                "people.json",
                "\"sources\": [\"liner\"]",
                "\"editorial\": {\"name\": \" \"}",
            ),
            vec![
                (
                    "people.json",
                    "$[1].editorial.name",
                    "expected a note saying where this fact comes from",
                ),
                ("people.json", "$[1].name", "this fact has no source"),
                ("people.json", "$[1]", "the record cites no source at all"),
            ],
        ),
        (
            "people.json",
            edit(
                "people.json",
                "\"sources\": [\"liner\"]",
                "\"cite\": {\"name\": [\"nowhere\"]}",
            ),
            vec![
                (
                    "people.json",
                    "$[1].cite.name[0]",
                    "no source has the slug \"nowhere\" (sources.json)",
                ),
                // The fact and the record do cite a source, one that is not there: reported
                // once, above, not again as citing nothing.
            ],
        ),
        (
            "people.json",
            edit(
                "people.json",
                "\"sources\": [\"liner\"]",
                "\"sources\": [\"liner\"], \"cite\": {\"age\": [\"liner\"]}",
            ),
            vec![(
                "people.json",
                "$[1].cite.age",
                "\"age\" is not a fact of this record; facts are: name",
            )],
        ),
        (
            "films.json",
            edit(
                "films.json",
                "\"kind\": \"RELEASE\", \"sources\": [\"review\"]",
                "\"kind\": \"RELEASE\"",
            ),
            vec![("films.json", "$[0].releases[0]", "this item has no source")],
        ),
        (
            "sources.json",
            edit(
                "sources.json",
                "\"kind\": \"STORE_PAGE\"",
                "\"kind\": \"STORE_PAGE\", \"sources\": [\"review\"]",
            ),
            vec![(
                "sources.json",
                "$[0].sources",
                "a source document is the source of its own facts",
            )],
        ),
        (
            "coaching.json",
            "".to_owned(),
            vec![(
                "coaching.json",
                "$",
                "the file is empty; write [] for a file with no records",
            )],
        ),
        (
            "coaching.json",
            " \n\t ".to_owned(),
            vec![("coaching.json", "$", "the file is empty")],
        ),
        ("coaching.json", "[]".to_owned(), vec![]),
        (
            "coaching.json",
            "{}".to_owned(),
            vec![(
                "coaching.json",
                "$",
                "expected an array of records, found an object",
            )],
        ),
        (
            "coaching.json",
            "[42]".to_owned(),
            vec![(
                "coaching.json",
                "$[0]",
                "expected an object, found a number",
            )],
        ),
        (
            "film.json",
            "[]".to_owned(),
            vec![(
                "film.json",
                "$",
                "not a seed file; the seed files are: sources.json, people.json",
            )],
        ),
    ];
    for (file, text, expected) in &rows {
        check(&[(file, text.as_str())], expected);
    }
}

#[test]
fn invalid_utf8_is_reported_not_replaced() {
    let mut bytes = PEOPLE.as_bytes().to_vec();
    let at = PEOPLE.find("Ben").unwrap();
    bytes[at] = 0xFF;
    // The bad byte is the first of "Ben" on line 3, at column 30.
    // Records are read one at a time, so Ada (before the bad byte) is known, and only the
    // references to Ben (whose record holds it) cannot be checked: counted in the one problem.
    let expected: Vec<(&str, &str, &str)> = vec![(
        "people.json",
        "$",
        "the file is not valid UTF-8 or not valid JSON: invalid unicode code point at line 3 \
         column 30; 2 references from other files to 1 person in it cannot be checked (the \
         first: credits.json $[1].person names \"ben-ito\")",
    )];
    check(&[("people.json", bytes.as_slice())], &expected);
}

#[test]
fn deep_nesting_is_refused_without_overflowing_the_stack() {
    // serde_json stops at 128 levels; far deeper input must be refused, not crash the loader.
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    check(
        &[("coaching.json", deep.as_str())],
        &[("coaching.json", "$", "recursion limit exceeded")],
    );
    // Under the limit it parses, and a nested array where a slug belongs is a type error.
    let nested = format!("{}{}", "[".repeat(100), "]".repeat(100));
    let coaching = edit("coaching.json", "\"ada-moss\"", &nested);
    check(
        &[("coaching.json", coaching.as_str())],
        &[(
            "coaching.json",
            "$[0].person",
            "expected a string, found an array",
        )],
    );
}

#[test]
fn problems_from_several_files_are_reported_together() {
    let tracks = edit("tracks.json", "\"03:46\"", "\"3:46\"");
    let tracks = tracks.replacen("\"number\": 3", "\"number\": 2", 1);
    let films = edit(
        "films.json",
        "\"runtimeMinutes\": 101",
        "\"runtimeMinutes\": -1",
    );
    let matches = edit(
        "matches.json",
        "\"winner\": \"herons\"",
        "\"winner\": \"crows\"",
    );
    check(
        &[
            ("tracks.json", tracks.as_str()),
            ("films.json", films.as_str()),
            ("matches.json", matches.as_str()),
            ("coaching.json", "not json"),
            ("extra.json", "[]"),
        ],
        &[
            ("tracks.json", "$[0].duration", "\"3:46\" is not a duration"),
            ("tracks.json", "$[2].number", "has track number 2 twice"),
            ("films.json", "$[0].runtimeMinutes", "found -1"),
            (
                "matches.json",
                "$[0].winner",
                "not one of the match's teams",
            ),
            (
                "coaching.json",
                "$",
                "invalid JSON: expected ident at line 1 column 2",
            ),
            ("extra.json", "$", "not a seed file"),
        ],
    );
}

#[test]
fn load_dir_reads_json_files_and_leaves_the_rest_alone() {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in BASE {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    // Schemas and a README may sit beside the data, as in the bundled seed.
    std::fs::create_dir(dir.path().join("schema")).unwrap();
    std::fs::write(dir.path().join("schema/tracks.schema.json"), "not json").unwrap();
    std::fs::write(dir.path().join("README.md"), "# notes").unwrap();
    let store = load_dir(dir.path()).unwrap();
    assert_eq!(store.films().len(), 1);
    assert_eq!(store.teams().len(), 3);

    std::fs::write(dir.path().join("teams.json"), "[").unwrap();
    let report = load_dir(dir.path())
        .err()
        .expect("a broken teams.json is reported");
    assert!(
        report.problems.iter().any(|p| p.file == "teams.json"
            && p.path == "$"
            && p.message.contains("EOF while parsing")),
        "{report}"
    );
}

#[test]
fn load_dir_reports_a_missing_directory() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-seed");
    let report = load_dir(&missing)
        .err()
        .expect("a missing directory is a problem");
    assert_eq!(report.problems.len(), 1, "{report}");
    let p = &report.problems[0];
    assert_eq!(p.file, missing.display().to_string());
    assert_eq!(p.path, "$");
    assert!(
        p.message.starts_with("cannot read the seed directory: "),
        "{p}"
    );

    // A file where the directory should be is refused the same way, not read as a seed.
    let file = dir.path().join("seed.json");
    std::fs::write(&file, "[]").unwrap();
    let report = load_dir(&file)
        .err()
        .expect("a file is not a seed directory");
    assert!(
        report.problems[0]
            .message
            .starts_with("cannot read the seed directory"),
        "{report}"
    );
}

#[test]
fn an_empty_directory_loads_an_empty_store() {
    // Every file is optional: a catalogue may leave out the kinds it has none of.
    let dir = tempfile::tempdir().unwrap();
    let store = load_dir(dir.path()).unwrap();
    assert_eq!(
        store.films().len() + store.people().len() + store.tracks().len(),
        0
    );
}
