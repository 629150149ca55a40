//! What each version of the seed format added, and the check that a seed uses only what the
//! version it is written in has.
//!
//! A seed says its version in `seed.json`; without one it is version 1, the format as it was
//! before version 2. Version 2 only adds (fields, values, a file) and relaxes (fields that
//! real data lacks become optional), so a version 2 server reads every version 1 seed
//! unchanged. The other way round is not free: a seed that uses what version 2 added but says
//! (or, having no `seed.json`, implies) version 1 would be refused by a version 1 server with
//! a pile of "unknown field" errors that never name the cause. So the version is held to its
//! word here: each use of something newer is reported once, with the count of the others like
//! it and the one line that fixes them all (`{"version": 2}` in `seed.json`).

use std::collections::BTreeMap;

use serde_json::Value;

use super::Problem;

/// What a version added to one file's records.
enum Added {
    /// A field a record may have.
    Field(&'static str),
    /// A value of a field that only took others before (`"kind": "DATASET"`).
    Value(&'static str, &'static [&'static str]),
    /// A field that was required and may now be left out.
    Optional(&'static str),
}

/// What version 2 added, file by file (docs/seed-format.md marks each with *(2)*).
const ADDED_IN_2: &[(&str, Added)] = &[
    ("sources.json", Added::Field("version")),
    ("sources.json", Added::Field("licence")),
    ("sources.json", Added::Value("kind", &["DATASET"])),
    ("competitions.json", Added::Field("sport")),
    ("competitions.json", Added::Field("seasons")),
    ("teams.json", Added::Field("sport")),
    ("teams.json", Added::Field("seasons")),
    ("albums.json", Added::Field("artist")),
    ("albums.json", Added::Field("genres")),
    ("matches.json", Added::Field("season")),
    ("matches.json", Added::Field("score")),
    ("matches.json", Added::Field("parts")),
    ("matches.json", Added::Field("draw")),
    ("matches.json", Added::Field("home")),
    ("matches.json", Added::Field("neutral")),
    ("matches.json", Added::Optional("title")),
    ("tracks.json", Added::Field("genres")),
    ("tracks.json", Added::Optional("number")),
    ("tracks.json", Added::Optional("duration")),
    ("credits.json", Added::Field("track")),
    ("credits.json", Added::Field("group")),
    (
        "credits.json",
        Added::Value("role", &["PERFORMER", "LYRICIST", "ARRANGER", "CONDUCTOR"]),
    ),
];

/// The files of version 1. Any other seed file is newer (`groups.json` is version 2's), so
/// that a kind added to the current version needs no line here.
const FILES_IN_1: &[&str] = &[
    "sources.json",
    "people.json",
    "companies.json",
    "competitions.json",
    "teams.json",
    "films.json",
    "albums.json",
    "matches.json",
    "tracks.json",
    "credits.json",
    "coaching.json",
];

/// The first record that used one newer thing, and how many did.
struct Uses {
    path: String,
    message: String,
    count: usize,
}

/// The seed's version and every use of something newer found so far. The default is a seed
/// without `seed.json`.
#[derive(Default)]
pub struct VersionCheck {
    /// The version the seed says it is in, or `None` without `seed.json` (version 1).
    said: Option<u32>,
    found: BTreeMap<(String, String), Uses>,
}

impl VersionCheck {
    /// `said` is the version in `seed.json`, `None` without one. A `seed.json` that could not
    /// be read is reported on its own; pass the newest version then, so that its one problem
    /// is not followed by one for everything the seed uses.
    pub fn new(said: Option<u32>) -> VersionCheck {
        VersionCheck {
            said,
            found: BTreeMap::new(),
        }
    }

    fn version(&self) -> u32 {
        self.said.unwrap_or(1)
    }

    /// How the seed came to be the version it is, for the messages.
    fn why(&self) -> String {
        match self.said {
            None => "this seed is version 1 (it has no seed.json)".to_owned(),
            Some(n) => format!("this seed's seed.json says version {n}"),
        }
    }

    /// Notes each thing in `record` (at `$[i]` of `file`) that is newer than the seed's version.
    /// `null` counts as absent, as everywhere in the format.
    pub fn record(&mut self, file: &str, i: usize, record: &Value) {
        if self.version() >= 2 {
            return;
        }
        let Value::Object(o) = record else { return };
        let given = |key: &str| o.get(key).filter(|v| !v.is_null());
        for (_, added) in ADDED_IN_2.iter().filter(|(f, _)| *f == file) {
            let (what, path, message) = match added {
                Added::Field(key) => match given(key) {
                    Some(_) => (
                        format!("field {key}"),
                        format!("$[{i}].{key}"),
                        format!(
                            "\"{key}\" is new in version 2 of the seed format, but {}: {FIX} to use it",
                            self.why()
                        ),
                    ),
                    None => continue,
                },
                Added::Value(key, values) => match given(key).and_then(Value::as_str) {
                    Some(v) if values.contains(&v) => (
                        format!("value {key} {v}"),
                        format!("$[{i}].{key}"),
                        format!(
                            "the {key} \"{v}\" is new in version 2 of the seed format, but {}: {FIX} to use it",
                            self.why()
                        ),
                    ),
                    _ => continue,
                },
                Added::Optional(key) => match given(key) {
                    Some(_) => continue,
                    None => (
                        format!("optional {key}"),
                        format!("$[{i}]"),
                        format!(
                            "missing required field \"{key}\": version 1 of the seed format \
                             requires it, and {}: {FIX} to leave it out",
                            self.why()
                        ),
                    ),
                },
            };
            self.found
                .entry((file.to_owned(), what))
                .and_modify(|u| u.count += 1)
                .or_insert(Uses {
                    path,
                    message,
                    count: 1,
                });
        }
    }

    /// One problem per file newer than the seed's version, and one per newer field, value or
    /// relaxed rule, at its first use with the count of the others like it.
    pub fn report(self, files: impl Fn(&str) -> bool, problems: &mut Vec<Problem>) {
        if self.version() >= 2 {
            return;
        }
        let newer = super::FILES.iter().filter(|f| !FILES_IN_1.contains(f));
        for file in newer.filter(|f| files(f)) {
            problems.push(Problem {
                file: (*file).to_owned(),
                path: "$".into(),
                message: format!(
                    "this file is new in version 2 of the seed format, but {}: {FIX} to use it",
                    self.why()
                ),
            });
        }
        for ((file, _), uses) in self.found {
            let rest = match uses.count - 1 {
                0 => String::new(),
                1 => "; 1 more record like it is not listed".to_owned(),
                n => format!("; {n} more records like it are not listed"),
            };
            problems.push(Problem {
                file,
                path: uses.path,
                message: format!("{}{rest}", uses.message),
            });
        }
    }
}

/// The one line that lets a seed use what version 2 added.
const FIX: &str = "write {\"version\": 2} in seed.json";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_names_a_seed_file() {
        for (file, _) in ADDED_IN_2 {
            assert!(super::super::FILES.contains(file), "{file}");
        }
        for file in FILES_IN_1 {
            assert!(super::super::FILES.contains(file), "{file}");
        }
    }
}
