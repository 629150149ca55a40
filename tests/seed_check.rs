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

/// The bundled seed written into a temporary directory, as `leap-graphql check --seed` reads
/// one.
fn seed_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes) in BUNDLED {
        std::fs::write(dir.path().join(name), bytes).unwrap();
    }
    dir
}

fn dir_report(dir: &std::path::Path) -> Report {
    match leap_graphql::seed::load_dir(dir) {
        Ok(_) => panic!("the broken seed in {} loaded", dir.display()),
        Err(report) => report,
    }
}

/// A file everything refers to that is there but cannot be read whole is one problem: what is
/// wrong with it, and how many references into it could not be checked, never one line per
/// slug they name.
fn one_problem_with_its_references(name: &str, report: &Report, starts: &str) {
    let text = report.to_string();
    assert_eq!(report.problems.len(), 1, "{name}:\n{text}");
    let p = &report.problems[0];
    assert_eq!(
        (p.file.as_str(), p.path.as_str()),
        ("people.json", "$"),
        "{name}"
    );
    assert!(p.message.starts_with(starts), "{name}: {p}");
    assert!(
        p.message.contains(" references from other files to ")
            && p.message
                .contains(" people in it cannot be checked (the first: "),
        "{name}: {p}"
    );
    assert!(!text.contains("no person has the slug"), "{name}:\n{text}");
}

#[test]
fn a_file_that_cannot_be_read_is_said_once_with_its_references_counted() {
    // A directory where the file should be.
    let dir = seed_dir();
    let people = dir.path().join("people.json");
    std::fs::remove_file(&people).unwrap();
    std::fs::create_dir(&people).unwrap();
    one_problem_with_its_references(
        "a directory",
        &dir_report(dir.path()),
        "cannot read the file: it is a directory",
    );

    // Not valid UTF-8 from its first record on.
    let dir = seed_dir();
    let people = dir.path().join("people.json");
    let text = std::fs::read(&people).unwrap();
    let at = text.iter().position(|b| *b == b'"').unwrap();
    let mut bad = text.clone();
    bad.insert(at + 1, 0xff);
    std::fs::write(&people, &bad).unwrap();
    one_problem_with_its_references(
        "invalid UTF-8",
        &dir_report(dir.path()),
        "the file is not valid UTF-8 or not valid JSON",
    );

    // Not JSON: cut short after its first byte.
    std::fs::write(&people, "[{\"slug\": ").unwrap();
    one_problem_with_its_references("cut short", &dir_report(dir.path()), "invalid JSON");

    // No permission to read it. Root reads it anyway; then `check` runs as nobody (setpriv,
    // from util-linux), as a seed's reader without rights would.
    let dir = seed_dir();
    let people = dir.path().join("people.json");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&people, std::fs::Permissions::from_mode(0o000)).unwrap();
    if std::fs::read(&people).is_err() {
        one_problem_with_its_references(
            "no permission",
            &dir_report(dir.path()),
            "cannot read the file: Permission denied",
        );
        return;
    }
    assert!(
        leap_graphql::seed::load_dir(dir.path()).is_ok(),
        "root reads it"
    );
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = std::process::Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(env!("CARGO_BIN_EXE_leap-graphql"))
        .arg("check")
        .arg("--seed")
        .arg(dir.path())
        .output()
        .expect("setpriv runs check as nobody");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "one problem and the count:\n{text}");
    assert!(
        lines[0].starts_with("people.json: $: cannot read the file: Permission denied")
            && lines[0].contains(" references from other files to ")
            && lines[1] == "1 problem",
        "{text}"
    );
}

#[test]
fn a_file_broken_halfway_keeps_what_it_read() {
    // The records before the break are read; only references to the slugs after it are
    // counted, in the file's one problem.
    let dir = seed_dir();
    let people = dir.path().join("people.json");
    let text = std::fs::read_to_string(&people).unwrap();
    let records: Vec<Value> = serde_json::from_str(&text).unwrap();
    let half = records.len() / 2;
    let mut cut = String::from("[");
    for r in &records[..half] {
        cut.push_str(&r.to_string());
        cut.push(',');
    }
    cut.push_str("{\"slug\": }]");
    std::fs::write(&people, cut).unwrap();
    let report = dir_report(dir.path());
    one_problem_with_its_references("halfway", &report, "invalid JSON");
    let (files, refs): (usize, usize) = {
        let m = &report.problems[0].message;
        let after = m.split("; ").last().unwrap();
        let refs = after.split(' ').next().unwrap().parse().unwrap();
        let people = after
            .split(" to ")
            .nth(1)
            .and_then(|s| s.split(' ').next())
            .unwrap()
            .parse()
            .unwrap();
        (people, refs)
    };
    assert!(
        (1..=records.len() - half).contains(&files) && refs >= files,
        "{report}"
    );
}

#[test]
fn a_seed_file_left_out_is_said_missing_once() {
    // As the directory holds it: removed, not emptied.
    let dir = seed_dir();
    std::fs::remove_file(dir.path().join("people.json")).unwrap();
    let report = dir_report(dir.path());
    assert_eq!(report.problems.len(), 1, "{report}");
    let p = &report.problems[0];
    assert_eq!((p.file.as_str(), p.path.as_str()), ("people.json", "$"));
    assert!(
        p.message
            .starts_with("the file is missing, but other files refer to ")
            && p.message
                .ends_with("add the file, or write [] in it for a seed with no people"),
        "{p}"
    );
}

#[test]
fn many_broken_records_are_each_said_once() {
    // Every person refused: each record's own problem, and the references to each refused
    // person in one line with its count, never once per reference.
    let files = broken("people.json", |records| {
        for r in records.iter_mut() {
            r["name"] = Value::from(7);
        }
    });
    let people: Vec<Value> =
        serde_json::from_slice(BUNDLED.iter().find(|(n, _)| *n == "people.json").unwrap().1)
            .unwrap();
    let report = report(files);
    let own = report
        .problems
        .iter()
        .filter(|p| p.file == "people.json" && p.path.ends_with(".name"))
        .count();
    assert_eq!(own, people.len(), "{report}");
    let follow_on: Vec<_> = report
        .problems
        .iter()
        .filter(|p| {
            p.message
                .contains("was refused for the problems reported there")
        })
        .collect();
    let mut named: Vec<&str> = follow_on
        .iter()
        .map(|p| p.message.split('"').nth(1).unwrap())
        .collect();
    let n = named.len();
    named.sort_unstable();
    named.dedup();
    assert_eq!(
        named.len(),
        n,
        "a refused person's references said twice:\n{report}"
    );
    assert_eq!(
        report.problems.len(),
        own + follow_on.len(),
        "nothing else is said:\n{report}"
    );
}
