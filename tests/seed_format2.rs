//! Version 2 of the seed format: `seed.json`, and the fields real catalogues need (results,
//! seasons, groups, artists, track credits, data sets, untitled matches and unnumbered
//! tracks). Each answer is asked of both executors (`check_answered` panics if they differ).

mod common;

use std::sync::Arc;

use common::plans::{Verdict, check_answered};
use leap_graphql::seed::{Report, load_bundled, load_files};
use leap_graphql::store::Store;
use serde_json::{Value, json};

/// A small version 2 catalogue: a data set, two clubs in a league's season, a drawn match
/// without a title, a won one with its sets, an album by a group whose one track has no number.
fn files() -> Vec<(&'static str, String)> {
    vec![
        ("seed.json", r#"{"version": 2}"#.into()),
        (
            "sources.json",
            r#"[{"slug": "results", "title": "League results", "kind": "DATASET",
                 "version": "2.1.0", "licence": "CC0-1.0"}]"#
                .into(),
        ),
        (
            "people.json",
            r#"[{"slug": "ann", "name": "Ann Lee", "sources": ["results"]},
                {"slug": "bo", "name": "Bo Chen", "sources": ["results"]}]"#
                .into(),
        ),
        (
            "groups.json",
            r#"[{"slug": "the-nets", "name": "The Nets", "members": ["ann", "bo"],
                 "sources": ["results"]}]"#
                .into(),
        ),
        (
            "competitions.json",
            r#"[{"slug": "league", "name": "Harbor League", "sport": "Volleyball",
                 "seasons": [{"name": "2001-02", "from": "2001-09", "to": "2002-05", "sources": ["results"]},
                             {"name": "2000-01", "from": "2000-09", "sources": ["results"]}],
                 "sources": ["results"]}]"#
                .into(),
        ),
        (
            "teams.json",
            r#"[{"slug": "gulls", "name": "Gulls", "sport": "Volleyball",
                 "seasons": [{"competition": "league", "season": "2001-02", "sources": ["results"]}],
                 "sources": ["results"]},
                {"slug": "herons", "name": "Herons", "sources": ["results"]}]"#
                .into(),
        ),
        (
            "matches.json",
            r#"[{"slug": "m1", "teams": ["gulls", "herons"], "date": "2002-02-03",
                 "competition": "league", "season": "2001-02", "score": [1, 1], "draw": true,
                 "neutral": true, "sources": ["results"]},
                {"slug": "m2", "title": "The Spring Final", "teams": ["gulls", "herons"],
                 "winner": "herons", "home": "gulls", "score": [1, 3],
                 "parts": [{"name": "1st set", "score": [25, 20]}, {"name": "2nd set", "score": [18, 25]},
                           {"name": "3rd set", "score": [21, 25]}, {"name": "4th set", "score": [23, 25]}],
                 "sources": ["results"]}]"#
                .into(),
        ),
        (
            "albums.json",
            r#"[{"slug": "tides", "title": "Tides", "artist": {"group": "the-nets"},
                 "genres": ["Jazz"], "sources": ["results"]}]"#
                .into(),
        ),
        (
            "tracks.json",
            r#"[{"slug": "tides-1", "album": "tides", "number": 1, "title": "Ebb", "duration": "03:00",
                 "genres": ["Jazz", "Ballad"], "sources": ["results"]},
                {"slug": "tides-x", "album": "tides", "title": "Flow", "sources": ["results"]}]"#
                .into(),
        ),
        (
            "credits.json",
            r#"[{"track": "tides-1", "group": "the-nets", "role": "PERFORMER", "sources": ["results"]},
                {"track": "tides-1", "person": "ann", "role": "COMPOSER", "sources": ["results"]}]"#
                .into(),
        ),
    ]
}

fn load(files: Vec<(&str, String)>) -> Result<Store, Report> {
    load_files(
        files
            .into_iter()
            .map(|(n, t)| (n.to_owned(), t.into_bytes())),
    )
}

fn store() -> Arc<Store> {
    Arc::new(load(files()).unwrap_or_else(|r| panic!("the catalogue does not load:\n{r}")))
}

/// The answer of both executors, which must agree.
fn answer(store: &Arc<Store>, query: &str) -> Value {
    let (verdict, body) = check_answered(store, query, json!({}));
    assert_eq!(verdict, Verdict::Same, "the plan answers {query}");
    serde_json::from_str::<Value>(&body.expect("an answer"))
        .unwrap()
        .pointer("/data")
        .cloned()
        .unwrap()
}

/// The problems of loading `files()` with `file` replaced.
fn problems_with(file: &str, text: &str) -> Vec<String> {
    let mut all = files();
    for f in &mut all {
        if f.0 == file {
            f.1 = text.to_owned();
        }
    }
    if !all.iter().any(|f| f.0 == file) {
        all.push((file, text.to_owned()));
    }
    match load(all) {
        Ok(_) => Vec::new(),
        Err(r) => r.problems.iter().map(|p| p.to_string()).collect(),
    }
}

#[test]
fn a_match_answers_its_result_season_and_venue() {
    let s = store();
    let data = answer(
        &s,
        r#"{ m1: match(slug: "m1") { title score draw neutral home { slug } winner { slug }
               season { name from to } parts { name } facts { field } }
             m2: match(slug: "m2") { title score draw neutral home { slug }
               parts { name score } } }"#,
    );
    assert_eq!(
        data["m1"],
        json!({"title": "Gulls vs Herons, 2002-02-03", "score": [1, 1], "draw": true,
               "neutral": true, "home": null, "winner": null,
               "season": {"name": "2001-02", "from": "2001-09", "to": "2002-05"}, "parts": [],
               "facts": [{"field": "date"}, {"field": "competition"}, {"field": "teams"},
                         {"field": "season"}, {"field": "score"}, {"field": "draw"},
                         {"field": "neutral"}]})
    );
    assert_eq!(data["m2"]["title"], "The Spring Final");
    assert_eq!(data["m2"]["score"], json!([1, 3]));
    // A winner means no draw, though the seed does not say `draw`.
    assert_eq!(data["m2"]["draw"], false);
    assert_eq!(data["m2"]["neutral"], Value::Null);
    assert_eq!(data["m2"]["home"], json!({"slug": "gulls"}));
    assert_eq!(
        data["m2"]["parts"][3],
        json!({"name": "4th set", "score": [23, 25]})
    );
}

#[test]
fn search_leaves_out_the_labels_the_server_made() {
    let s = store();
    let data = answer(
        &s,
        r#"{ label: search(query: "2002", first: 10) { totalCount }
             titled: search(query: "spring final", first: 10) { nodes { ... on Match { slug } } } }"#,
    );
    assert_eq!(data["label"]["totalCount"], 0);
    assert_eq!(data["titled"]["nodes"], json!([{"slug": "m2"}]));
}

#[test]
fn competitions_and_teams_answer_seasons_and_sport() {
    let s = store();
    let data = answer(
        &s,
        r#"{ competition(slug: "league") { sport seasons { name from to sources { slug } } }
             team(slug: "gulls") { sport seasons { competition { slug } season { name } sources { version licence kind } } }
             herons: team(slug: "herons") { sport seasons { season { name } } } }"#,
    );
    // By start: 2000-01 before 2001-02, though the seed lists it second.
    assert_eq!(
        data["competition"],
        json!({"sport": "Volleyball", "seasons": [
            {"name": "2000-01", "from": "2000-09", "to": null, "sources": [{"slug": "results"}]},
            {"name": "2001-02", "from": "2001-09", "to": "2002-05", "sources": [{"slug": "results"}]}]})
    );
    assert_eq!(
        data["team"],
        json!({"sport": "Volleyball", "seasons": [{"competition": {"slug": "league"},
               "season": {"name": "2001-02"},
               "sources": [{"version": "2.1.0", "licence": "CC0-1.0", "kind": "DATASET"}]}]})
    );
    assert_eq!(data["herons"], json!({"sport": null, "seasons": []}));
}

#[test]
fn groups_are_performers_with_members_albums_and_credits() {
    let s = store();
    let data = answer(
        &s,
        r#"{ group(slug: "the-nets") { name members { slug groups { slug } }
               albums { slug artist { __typename ... on Group { slug } } genres }
               credits(first: 5) { totalCount edges { role node { __typename slug } } } }
             groups(first: 5) { nodes { slug } }
             search(query: "nets", first: 5) { nodes { __typename } } }"#,
    );
    let g = &data["group"];
    assert_eq!(g["name"], "The Nets");
    assert_eq!(
        g["members"],
        json!([{"slug": "ann", "groups": [{"slug": "the-nets"}]},
               {"slug": "bo", "groups": [{"slug": "the-nets"}]}])
    );
    assert_eq!(
        g["albums"],
        json!([{"slug": "tides", "artist": {"__typename": "Group", "slug": "the-nets"}, "genres": ["Jazz"]}])
    );
    assert_eq!(
        g["credits"],
        json!({"totalCount": 1, "edges": [{"role": "PERFORMER",
               "node": {"__typename": "Track", "slug": "tides-1"}}]})
    );
    assert_eq!(data["groups"]["nodes"], json!([{"slug": "the-nets"}]));
    assert_eq!(data["search"]["nodes"], json!([{"__typename": "Group"}]));
}

#[test]
fn tracks_may_lack_a_number_and_a_duration() {
    let s = store();
    let data = answer(
        &s,
        r#"{ album(slug: "tides") { totalDurationSeconds
               tracks(first: 5) { nodes { slug number duration durationSeconds genres
                 credits { role performer { __typename name } } } } } }"#,
    );
    let album = &data["album"];
    // One track's duration is unknown, so the album's total is too.
    assert_eq!(album["totalDurationSeconds"], Value::Null);
    assert_eq!(
        album["tracks"]["nodes"],
        json!([
            {"slug": "tides-1", "number": 1, "duration": "03:00", "durationSeconds": 180,
             "genres": ["Jazz", "Ballad"], "credits": [
                {"role": "COMPOSER", "performer": {"__typename": "Person", "name": "Ann Lee"}},
                {"role": "PERFORMER", "performer": {"__typename": "Group", "name": "The Nets"}}]},
            {"slug": "tides-x", "number": null, "duration": null, "durationSeconds": null,
             "genres": [], "credits": []}
        ])
    );
}

#[test]
fn seed_json_says_the_version() {
    assert!(problems_with("seed.json", r#"{"version": 2}"#).is_empty());
    // A seed.json that cannot be read is said once: the rest is read as the newest version,
    // so that it is not followed by a problem for everything version 2 added.
    for (text, message) in [
        (
            r#"{"version": 3}"#,
            "seed.json: $.version: this seed is written in version 3 of the format; this server reads versions 1 to 2",
        ),
        (
            r#"{"version": "two"}"#,
            "seed.json: $.version: expected a version from 1 to 2, such as {\"version\": 2}, found the string \"two\"",
        ),
        (
            r#"{"version": "2"}"#,
            "seed.json: $.version: expected a version from 1 to 2, such as {\"version\": 2}, found the string \"2\"",
        ),
        (
            r#"{"version": 0}"#,
            "seed.json: $.version: expected a version from 1 to 2, such as {\"version\": 2}, found 0",
        ),
        (
            r#"{"version": 2.5}"#,
            "seed.json: $.version: expected a version from 1 to 2, such as {\"version\": 2}, found 2.5",
        ),
        (
            r#"{"version": 2, "name": "x"}"#,
            "seed.json: $.name: unknown field \"name\"; expected one of: version",
        ),
        (
            r#"{}"#,
            "seed.json: $: missing required field \"version\": write {\"version\": 2}",
        ),
        (
            r#"[2]"#,
            "seed.json: $: expected an object such as {\"version\": 2}, found an array",
        ),
        (
            "",
            "seed.json: $: the file is empty; write {\"version\": 2}",
        ),
    ] {
        assert_eq!(
            problems_with("seed.json", text),
            vec![message.to_owned()],
            "{text}"
        );
    }
    // Every problem of seed.json at once.
    assert_eq!(
        problems_with("seed.json", r#"{"format": 2, "versio": 2}"#),
        vec![
            "seed.json: $.format: unknown field \"format\"; expected one of: version",
            "seed.json: $.versio: unknown field \"versio\"; expected one of: version",
            "seed.json: $: missing required field \"version\": write {\"version\": 2}",
        ]
    );
}

/// A version 1 catalogue: nothing version 2 added, every field version 1 required.
fn version_1_files() -> Vec<(&'static str, String)> {
    vec![
        (
            "sources.json",
            r#"[{"slug": "gazette", "title": "Harbor Gazette", "kind": "ARTICLE"}]"#.into(),
        ),
        (
            "teams.json",
            r#"[{"slug": "gulls", "name": "Gulls", "sources": ["gazette"]},
                {"slug": "herons", "name": "Herons", "sources": ["gazette"]}]"#
                .into(),
        ),
        (
            "matches.json",
            r#"[{"slug": "m", "title": "The Final", "teams": ["gulls", "herons"],
                 "winner": "herons", "sources": ["gazette"]}]"#
                .into(),
        ),
        (
            "albums.json",
            r#"[{"slug": "tides", "title": "Tides", "sources": ["gazette"]}]"#.into(),
        ),
        (
            "tracks.json",
            r#"[{"slug": "tides-1", "album": "tides", "number": 1, "title": "Ebb",
                 "duration": "03:00", "sources": ["gazette"]}]"#
                .into(),
        ),
    ]
}

#[test]
fn a_version_1_seed_loads_unchanged_with_or_without_seed_json() {
    for manifest in [None, Some(r#"{"version": 1}"#), Some(r#"{"version": 2}"#)] {
        let mut files = version_1_files();
        if let Some(text) = manifest {
            files.push(("seed.json", text.to_owned()));
        }
        let store = load(files).unwrap_or_else(|r| panic!("{manifest:?}:\n{r}"));
        let data = answer(
            &Arc::new(store),
            "{ match(slug: \"m\") { title winner { name } } track(slug: \"tides-1\") { number duration } }",
        );
        assert_eq!(
            data,
            json!({"match": {"title": "The Final", "winner": {"name": "Herons"}},
                   "track": {"number": 1, "duration": "03:00"}})
        );
    }
}

/// A seed that says (or, without seed.json, implies) version 1 and uses what version 2 added
/// is refused: each thing once, at its first use, with the count of the others and the one
/// line that fixes them all; nothing else is said about it.
#[test]
fn a_version_1_seed_that_uses_version_2_is_told_to_say_so() {
    let without: Vec<_> = files().into_iter().filter(|f| f.0 != "seed.json").collect();
    let problems: Vec<String> = match load(without) {
        Ok(_) => panic!("a version 1 seed with version 2 fields loaded"),
        Err(r) => r.problems.iter().map(|p| p.to_string()).collect(),
    };
    let why = "but this seed is version 1 (it has no seed.json): write {\"version\": 2} in seed.json to use it";
    for want in [
        format!("groups.json: $: this file is new in version 2 of the seed format, {why}"),
        format!("sources.json: $[0].kind: the kind \"DATASET\" is new in version 2 of the seed format, {why}"),
        format!("sources.json: $[0].version: \"version\" is new in version 2 of the seed format, {why}"),
        format!("competitions.json: $[0].seasons: \"seasons\" is new in version 2 of the seed format, {why}"),
        format!("teams.json: $[0].sport: \"sport\" is new in version 2 of the seed format, {why}"),
        format!("matches.json: $[0].score: \"score\" is new in version 2 of the seed format, {why}; 1 more record like it is not listed"),
        format!("albums.json: $[0].artist: \"artist\" is new in version 2 of the seed format, {why}"),
        format!("credits.json: $[0].role: the role \"PERFORMER\" is new in version 2 of the seed format, {why}"),
        format!("credits.json: $[0].track: \"track\" is new in version 2 of the seed format, {why}; 1 more record like it is not listed"),
        "matches.json: $[0]: missing required field \"title\": version 1 of the seed format requires it, and this seed is version 1 (it has no seed.json): write {\"version\": 2} in seed.json to leave it out".to_owned(),
        "tracks.json: $[1]: missing required field \"number\": version 1 of the seed format requires it, and this seed is version 1 (it has no seed.json): write {\"version\": 2} in seed.json to leave it out".to_owned(),
    ] {
        assert!(problems.contains(&want), "no {want:?} in\n{}", problems.join("\n"));
    }
    for p in &problems {
        assert!(
            p.contains("write {\"version\": 2} in seed.json"),
            "a problem that is not the version's: {p}"
        );
    }
    // Each thing once: the problems of one file name different fields.
    let mut things: Vec<(&str, &str)> = problems
        .iter()
        .map(|p| {
            let (file, rest) = p.split_once(": ").unwrap();
            let thing = rest
                .split_once(": ")
                .unwrap()
                .1
                .split(" is new")
                .next()
                .unwrap();
            (file, thing)
        })
        .collect();
    let n = things.len();
    things.sort_unstable();
    things.dedup();
    assert_eq!(things.len(), n, "{}", problems.join("\n"));

    // Saying version 1 is the same promise, and the message says where it was made.
    let mut said = files();
    said.retain(|f| f.0 != "seed.json");
    said.push(("seed.json", r#"{"version": 1}"#.into()));
    let report = load(said).err().expect("refused");
    assert_eq!(report.problems.len(), problems.len());
    assert!(
        report.to_string().contains(
            "\"score\" is new in version 2 of the seed format, but this seed's seed.json says version 1: write {\"version\": 2} in seed.json to use it"
        ),
        "{report}"
    );
}

/// A record with a version 2 value spelled as null uses nothing: null counts as absent.
#[test]
fn null_is_absent_for_the_version_too() {
    let mut files = version_1_files();
    files[2].1 = files[2]
        .1
        .replace(r#""winner""#, r#""score": null, "winner""#);
    assert!(load(files).is_ok());
}

#[test]
fn results_that_contradict_themselves_are_refused() {
    let base = r#""slug": "m", "teams": ["gulls", "herons"], "sources": ["results"]"#;
    for (extra, message) in [
        (
            r#""score": [1, 2, 3]"#,
            "matches.json: $[0].score: a score gives one number per team, in the order of \"teams\": expected 2, found 3",
        ),
        (
            r#""score": [1, -2]"#,
            "matches.json: $[0].score[1]: expected a whole number from 0 to 4294967295, found -2",
        ),
        (
            r#""draw": true, "winner": "gulls""#,
            "matches.json: $[0].draw: a match with a \"winner\" is not a draw",
        ),
        (
            r#""draw": true, "score": [2, 1]"#,
            "matches.json: $[0].draw: a draw has the same score on every side",
        ),
        (
            r#""home": "gulls", "neutral": true"#,
            "matches.json: $[0].neutral: a match on neutral ground has no home team",
        ),
        (
            r#""parts": [{"name": "1st half", "score": [1]}]"#,
            "matches.json: $[0].parts[0].score: a score gives one number per team, in the order of \"teams\": expected 2, found 1",
        ),
        (
            r#""competition": "league", "season": "1999""#,
            "matches.json: $[0].season: the competition \"league\" has no season \"1999\" (competitions.json)",
        ),
        (
            r#""season": "2001-02""#,
            "matches.json: $[0].season: a season belongs to a \"competition\"; name it too",
        ),
        (
            r#""draw": "yes""#,
            "matches.json: $[0].draw: expected true or false, found the string \"yes\"",
        ),
    ] {
        let text = format!("[{{{base}, {extra}}}]");
        assert_eq!(
            problems_with("matches.json", &text),
            vec![message.to_owned()],
            "{extra}"
        );
    }
}

#[test]
fn an_artist_names_one_performer_by_kind() {
    let album = |artist: &str| {
        format!(
            r#"[{{"slug": "tides", "title": "Tides", "artist": {artist}, "sources": ["results"]}}]"#
        )
    };
    assert!(problems_with("albums.json", &album(r#"{"person": "ann"}"#)).is_empty());
    assert_eq!(
        problems_with("albums.json", &album(r#"{"person": "ann", "group": "the-nets"}"#)),
        vec![
            "albums.json: $[0].artist: name exactly one performer: {\"person\": \"slug\"} or {\"group\": \"slug\"}"
                .to_owned()
        ]
    );
    assert_eq!(
        problems_with("albums.json", &album(r#"{"group": "ann"}"#)),
        vec![
            "albums.json: $[0].artist.group: no group has the slug \"ann\" (groups.json)"
                .to_owned()
        ]
    );
    assert_eq!(
        problems_with("albums.json", &album(r#""ann""#)),
        vec!["albums.json: $[0].artist: expected an object, found a string".to_owned()]
    );
}

#[test]
fn the_bundled_seed_holds_what_its_documents_now_can_say() {
    let s = Arc::new(load_bundled().expect("the bundled seed loads"));
    let data = answer(
        &s,
        r#"{ album(slug: "leap-soundtrack") { artist { __typename name } }
             match(slug: "2016-olympics-china-vs-brazil") { home { slug } draw score }
             teams(first: 10) { nodes { sport } }
             groups(first: 1) { totalCount } }"#,
    );
    assert_eq!(
        data["album"]["artist"],
        json!({"__typename": "Person", "name": "Shigeru Umebayashi"})
    );
    // The documents call Brazil the host, and give no score.
    assert_eq!(
        data["match"],
        json!({"home": {"slug": "brazil-women"}, "draw": false, "score": null})
    );
    let sports = data["teams"]["nodes"].as_array().unwrap();
    assert!(
        sports.iter().all(|t| t["sport"] == "Volleyball"),
        "{sports:?}"
    );
    assert_eq!(data["groups"]["totalCount"], 0);
}
