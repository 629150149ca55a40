//! `leap-graphql check` for people: each real problem once, follow-on references summarised,
//! a missing file said as such, at most a few lines of each kind of problem, and hints that
//! show the form expected. Each case breaks the bundled seed one way and states what the
//! report must (and must not) say.

use leap_graphql::seed::{BUNDLED, LINES_PER_KIND, Report, load_files};
use serde_json::Value;

/// The bundled seed with `edit` applied to the records of one file (`None` removes it).
fn broken(file: &str, edit: impl Fn(&mut Vec<Value>)) -> Vec<(String, Vec<u8>)> {
    BUNDLED
        .iter()
        .map(|(name, bytes)| {
            let mut bytes = bytes.to_vec();
            if *name == file {
                let mut records: Vec<Value> = serde_json::from_slice(&bytes).unwrap();
                edit(&mut records);
                bytes = serde_json::to_vec(&records).unwrap();
            }
            (name.to_string(), bytes)
        })
        .collect()
}

fn without(file: &str) -> Vec<(String, Vec<u8>)> {
    BUNDLED
        .iter()
        .filter(|(name, _)| *name != file)
        .map(|(name, bytes)| (name.to_string(), bytes.to_vec()))
        .collect()
}

fn report(files: Vec<(String, Vec<u8>)>) -> Report {
    match load_files(files) {
        Ok(_) => panic!("the broken seed loaded"),
        Err(report) => report,
    }
}

/// One case: the seed, what the printed report must contain, and how many problems at most.
fn check(name: &str, files: Vec<(String, Vec<u8>)>, contains: &[&str], most: usize) {
    let report = report(files);
    let text = report.to_string();
    for want in contains {
        assert!(text.contains(want), "{name}: no {want:?} in\n{text}");
    }
    assert!(
        report.problems.len() <= most,
        "{name}: {} problems, at most {most} expected:\n{text}",
        report.problems.len()
    );
}

#[test]
fn broken_seeds_read_as_their_real_problems() {
    check(
        "a missing sources.json",
        without("sources.json"),
        &["sources.json: $: the file is missing, but other files refer to"],
        1,
    );
    check(
        "a missing people.json",
        without("people.json"),
        &["people.json: $: the file is missing"],
        1,
    );
    check(
        "one broken source everything cites",
        broken("sources.json", |records| {
            records[0]["kind"] = Value::from("NEWSPAPER");
        }),
        &[
            "\"NEWSPAPER\" is not a kind of source",
            "was refused for the problems reported there",
            "more references to it are not listed",
        ],
        2,
    );
    check(
        "a slug nothing has, cited twice",
        broken("tracks.json", |records| {
            records[0]["album"] = Value::from("no-such-album");
            records[1]["album"] = Value::from("no-such-album");
        }),
        &[
            "no album has the slug \"no-such-album\" (albums.json); 1 more reference to it is not listed",
        ],
        3,
    );
    check(
        "a duration written in seconds",
        broken("tracks.json", |records| {
            records[0]["duration"] = Value::from(344);
        }),
        &["expected a string like \"05:44\" (mm:ss), found 344; 344 seconds is \"05:44\""],
        2,
    );
    check(
        "a year written as a number",
        broken("competitions.json", |records| {
            records[0]["date"] = Value::from(1981);
        }),
        &["found 1981; write the year as a string, \"1981\""],
        1,
    );
}

#[test]
fn many_problems_of_one_kind_are_counted_not_listed() {
    let files = broken("tracks.json", |records| {
        for r in records.iter_mut() {
            r["duration"] = Value::from(200);
        }
    });
    let report = report(files);
    let text = report.to_string();
    let listed = text
        .lines()
        .filter(|l| l.starts_with("tracks.json: $[") && l.contains("seconds is"))
        .count();
    assert_eq!(listed, LINES_PER_KIND, "{text}");
    let rest = report.problems.len() - LINES_PER_KIND;
    assert!(
        text.contains(&format!(
            "… and {rest} more like: tracks.json: expected a string like"
        )),
        "{text}"
    );
}
