//! The JSON Schemas in `seed/schema/` and the reference page `docs/seed-format.md` describe
//! the loader as it is. The fields each record may have, and those it must have, are asked of
//! the loader itself (a record with an unknown field is answered with "expected one of: ...",
//! an empty one with "missing required field ..."), so a field added to or removed from the
//! loader fails here until the schema and the page say so too. And the seeds we ship or make
//! (the bundled one, the converters' in `tests/fixtures/real/`, the synthetic catalogue, the
//! example on the page) are validated against the schemas by a real JSON Schema validator.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use leap_graphql::seed::{FILES, MANIFEST, load_files};
use serde_json::Value;

const DOC: &str = include_str!("../docs/seed-format.md");

fn schema(file: &str) -> Value {
    let stem = file.strip_suffix(".json").unwrap();
    let path = format!(
        "{}/seed/schema/{stem}.schema.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path} is not JSON: {e}"))
}

/// Every file a seed directory may hold: `seed.json` and the seed files.
fn all_files() -> Vec<&'static str> {
    std::iter::once(MANIFEST).chain(FILES).collect()
}

/// Follows a local `$ref` (`#/$defs/item`) within the same schema.
fn resolve<'a>(root: &'a Value, v: &'a Value) -> &'a Value {
    match v.get("$ref").and_then(Value::as_str) {
        Some(r) => root
            .pointer(r.strip_prefix('#').expect("a local $ref"))
            .unwrap_or_else(|| panic!("{r} does not resolve")),
        None => v,
    }
}

/// The object schema at `path` below the record (`["releases"]` is a release); the record is
/// the file itself for `seed.json`, which is one object.
fn object_at<'a>(root: &'a Value, path: &[&str]) -> &'a Value {
    let mut v = match root["type"].as_str() {
        Some("array") => resolve(root, &root["items"]),
        _ => root,
    };
    for key in path {
        let field = resolve(root, &v["properties"][*key]);
        v = resolve(root, field.get("items").unwrap_or(field));
    }
    assert_eq!(v["type"], "object", "{path:?}");
    assert_eq!(
        v["additionalProperties"],
        Value::Bool(false),
        "{path:?} must refuse unknown fields, as the loader does"
    );
    v
}

fn keys(v: &Value) -> BTreeSet<String> {
    v["properties"]
        .as_object()
        .expect("properties")
        .keys()
        .cloned()
        .collect()
}

fn required(v: &Value) -> BTreeSet<String> {
    v["required"]
        .as_array()
        .map(|r| r.iter().map(|k| k.as_str().unwrap().to_owned()).collect())
        .unwrap_or_default()
}

/// Asks the loader which fields the object at `at` may and must have, by loading `record`
/// (which puts an object holding only `"zzz"` there) into `file`: as the file's one record,
/// or as the whole of `seed.json`.
fn loader_fields(file: &str, record: &str, at: &str) -> (BTreeSet<String>, BTreeSet<String>) {
    let text = if file == MANIFEST {
        record.to_owned()
    } else {
        format!("[{record}]")
    };
    let mut files = vec![(file.to_owned(), text.into_bytes())];
    if file != MANIFEST {
        // In the newest version, which the schemas describe.
        files.push((MANIFEST.to_owned(), br#"{"version": 2}"#.to_vec()));
    }
    let report = load_files(files)
        .err()
        .expect("a record with an unknown field is refused");
    let unknown = format!("{at}.zzz");
    let allowed = report
        .problems
        .iter()
        .find(|p| p.path == unknown)
        .and_then(|p| p.message.split_once("expected one of: "))
        .unwrap_or_else(|| panic!("no field list for {file} {at}:\n{report}"))
        .1
        .split(", ")
        .map(str::to_owned)
        .collect();
    let required = report
        .problems
        .iter()
        .filter(|p| p.path == at)
        .filter_map(|p| p.message.strip_prefix("missing required field \""))
        .filter_map(|f| f.split('"').next())
        .map(str::to_owned)
        .collect();
    (allowed, required)
}

/// Every kind of object the loader reads: (file, record, where the probe object is, the
/// schema path to it below the record).
const OBJECTS: &[(&str, &str, &str, &[&str])] = &[
    ("seed.json", r#"{"zzz": 1}"#, "$", &[]),
    ("sources.json", r#"{"zzz": 1}"#, "$[0]", &[]),
    ("people.json", r#"{"zzz": 1}"#, "$[0]", &[]),
    ("companies.json", r#"{"zzz": 1}"#, "$[0]", &[]),
    ("competitions.json", r#"{"zzz": 1}"#, "$[0]", &[]),
    ("teams.json", r#"{"zzz": 1}"#, "$[0]", &[]),
    ("films.json", r#"{"zzz": 1}"#, "$[0]", &[]),
    ("albums.json", r#"{"zzz": 1}"#, "$[0]", &[]),
    ("matches.json", r#"{"zzz": 1}"#, "$[0]", &[]),
    ("tracks.json", r#"{"zzz": 1}"#, "$[0]", &[]),
    ("credits.json", r#"{"zzz": 1}"#, "$[0]", &[]),
    ("coaching.json", r#"{"zzz": 1}"#, "$[0]", &[]),
    ("groups.json", r#"{"zzz": 1}"#, "$[0]", &[]),
    (
        "groups.json",
        r#"{"slug": "g", "name": "G", "notes": [{"zzz": 1}]}"#,
        "$[0].notes[0]",
        &["notes"],
    ),
    (
        "competitions.json",
        r#"{"slug": "c", "name": "C", "seasons": [{"zzz": 1}]}"#,
        "$[0].seasons[0]",
        &["seasons"],
    ),
    (
        "teams.json",
        r#"{"slug": "t", "name": "T", "seasons": [{"zzz": 1}]}"#,
        "$[0].seasons[0]",
        &["seasons"],
    ),
    (
        "matches.json",
        r#"{"slug": "m", "teams": [], "parts": [{"zzz": 1}]}"#,
        "$[0].parts[0]",
        &["parts"],
    ),
    (
        "albums.json",
        r#"{"slug": "a", "title": "A", "artist": {"zzz": 1}}"#,
        "$[0].artist",
        &["artist"],
    ),
    (
        "people.json",
        r#"{"slug": "p", "name": "P", "notes": [{"zzz": 1}]}"#,
        "$[0].notes[0]",
        &["notes"],
    ),
    (
        "teams.json",
        r#"{"slug": "t", "name": "T", "notes": [{"zzz": 1}]}"#,
        "$[0].notes[0]",
        &["notes"],
    ),
    (
        "matches.json",
        r#"{"slug": "m", "title": "M", "teams": [], "notes": [{"zzz": 1}]}"#,
        "$[0].notes[0]",
        &["notes"],
    ),
    (
        "albums.json",
        r#"{"slug": "a", "title": "A", "notes": [{"zzz": 1}]}"#,
        "$[0].notes[0]",
        &["notes"],
    ),
    (
        "albums.json",
        r#"{"slug": "a", "title": "A", "price": {"zzz": 1}}"#,
        "$[0].price",
        &["price"],
    ),
    (
        "films.json",
        r#"{"slug": "f", "title": "F", "notes": [{"zzz": 1}]}"#,
        "$[0].notes[0]",
        &["notes"],
    ),
    (
        "films.json",
        r#"{"slug": "f", "title": "F", "synopses": [{"zzz": 1}]}"#,
        "$[0].synopses[0]",
        &["synopses"],
    ),
    (
        "films.json",
        r#"{"slug": "f", "title": "F", "releases": [{"zzz": 1}]}"#,
        "$[0].releases[0]",
        &["releases"],
    ),
    (
        "films.json",
        r#"{"slug": "f", "title": "F", "awards": [{"zzz": 1}]}"#,
        "$[0].awards[0]",
        &["awards"],
    ),
];

#[test]
fn there_is_one_schema_per_seed_file() {
    let dir = format!("{}/seed/schema", env!("CARGO_MANIFEST_DIR"));
    let mut found: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    found.sort();
    let mut expected: Vec<String> = all_files()
        .iter()
        .map(|f| f.replace(".json", ".schema.json"))
        .collect();
    expected.sort();
    assert_eq!(found, expected);
    for file in all_files() {
        let s = schema(file);
        assert_eq!(
            s["$schema"], "https://json-schema.org/draft/2020-12/schema",
            "{file}"
        );
        assert_eq!(s["title"], file);
        let shape = if file == MANIFEST { "object" } else { "array" };
        assert_eq!(
            s["type"], shape,
            "{file}: a seed file is an array of records, seed.json one object"
        );
    }
}

#[test]
fn schemas_name_exactly_the_fields_the_loader_accepts() {
    let mut checked = BTreeSet::new();
    for (file, record, at, path) in OBJECTS {
        let (allowed, must) = loader_fields(file, record, at);
        let root = schema(file);
        let object = object_at(&root, path);
        assert_eq!(keys(object), allowed, "{file} {at}: fields");
        assert_eq!(required(object), must, "{file} {at}: required fields");
        checked.insert(*file);
    }
    assert_eq!(
        checked.len(),
        all_files().len(),
        "every file has its records checked"
    );
}

#[test]
fn the_reference_page_names_every_field() {
    for (file, record, at, _) in OBJECTS {
        assert!(
            DOC.contains(&format!("`{file}`")),
            "the page does not describe {file}"
        );
        for field in loader_fields(file, record, at).0 {
            assert!(
                DOC.contains(&format!("`{field}`")),
                "the page does not name the field `{field}` of {file} {at}"
            );
        }
    }
}

/// The example catalogue on the page: each block of JSON under a heading that names a file.
fn example_files() -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    let mut name: Option<String> = None;
    let mut block: Option<String> = None;
    for line in DOC.lines() {
        if let Some(text) = block.as_mut() {
            if line.starts_with("```") {
                files.push((name.take().unwrap(), block.take().unwrap().into_bytes()));
            } else {
                text.push_str(line);
                text.push('\n');
            }
        } else if let Some(heading) = line.strip_prefix("#### `") {
            name = heading.strip_suffix('`').map(str::to_owned);
        } else if line == "```json" && name.is_some() {
            block = Some(String::new());
        }
    }
    files
}

#[test]
fn the_example_catalogue_on_the_page_loads() {
    let files = example_files();
    let names: BTreeSet<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        all_files().into_iter().collect(),
        "the example has every file, once each"
    );
    let store = match load_files(files) {
        Ok(store) => store,
        Err(report) => panic!("the example on the page does not load:\n{report}"),
    };
    assert_eq!(store.films().len(), 1);
    assert!(
        !store.tracks().is_empty() && !store.credits().is_empty() && !store.coaching().is_empty()
    );
}

/// The schemas, compiled by a JSON Schema validator (draft 2020-12), one per file name.
struct Validator {
    schemas: boon::Schemas,
    compiled: Vec<(&'static str, boon::SchemaIndex)>,
}

impl Validator {
    fn new() -> Validator {
        let mut schemas = boon::Schemas::new();
        let mut compiler = boon::Compiler::new();
        let compiled = all_files()
            .into_iter()
            .map(|file| {
                let stem = file.strip_suffix(".json").unwrap();
                let path = format!(
                    "{}/seed/schema/{stem}.schema.json",
                    env!("CARGO_MANIFEST_DIR")
                );
                let index = compiler
                    .compile(&path, &mut schemas)
                    .unwrap_or_else(|e| panic!("{path} does not compile: {e}"));
                (file, index)
            })
            .collect();
        Validator { schemas, compiled }
    }

    /// Why the file `name` holding `text` is not valid against its schema, if it is not.
    fn problems(&self, name: &str, text: &[u8]) -> Option<String> {
        let (_, index) = self.compiled.iter().find(|(f, _)| *f == name)?;
        let value: Value = match serde_json::from_slice(text) {
            Ok(v) => v,
            Err(e) => return Some(format!("not JSON: {e}")),
        };
        self.schemas
            .validate(&value, *index)
            .err()
            .map(|e| format!("{e:#}"))
    }

    /// Validates every seed file in `dir` (a file of another name is no business of ours),
    /// and returns the names it found.
    fn directory(&self, dir: &Path, failures: &mut Vec<String>) -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if !all_files().contains(&name.as_str()) {
                continue;
            }
            let text = std::fs::read(&path).unwrap();
            if let Some(why) = self.problems(&name, &text) {
                failures.push(format!("{}: {why}", path.display()));
            }
            seen.insert(name);
        }
        seen
    }
}

/// The seed directories in the repository: the bundled seed and the converters' excerpts.
fn seed_directories() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut dirs = vec![root.join("seed")];
    let real = root.join("tests/fixtures/real");
    let mut converted: Vec<PathBuf> = std::fs::read_dir(&real)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    converted.sort();
    assert!(
        converted.len() >= 3,
        "the converters' film, results and music seeds are in {}",
        real.display()
    );
    dirs.extend(converted);
    dirs
}

#[test]
fn the_seeds_we_ship_and_make_are_valid_against_the_schemas() {
    let validator = Validator::new();
    let mut failures = Vec::new();
    for dir in seed_directories() {
        let seen = validator.directory(&dir, &mut failures);
        assert!(
            seen.contains(MANIFEST),
            "{} says its version in seed.json",
            dir.display()
        );
    }
    let synthetic = tempfile::tempdir().unwrap();
    leap_graphql::synth::generate(synthetic.path(), 60, 4).unwrap();
    let seen = validator.directory(synthetic.path(), &mut failures);
    assert_eq!(seen.len(), all_files().len(), "synth writes every file");
    for (name, text) in example_files() {
        if let Some(why) = validator.problems(&name, &text) {
            failures.push(format!("the example's {name}: {why}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The validator is no rubber stamp: a record the schema refuses is reported.
#[test]
fn the_validator_refuses_what_the_schemas_refuse() {
    let validator = Validator::new();
    for (name, text) in [
        ("seed.json", r#"{"version": 3}"#),
        ("seed.json", r#"{"version": 2, "extra": true}"#),
        ("people.json", r#"[{"slug": "Not A Slug", "name": "A"}]"#),
        (
            "matches.json",
            r#"[{"slug": "m", "teams": [], "score": [-1]}]"#,
        ),
    ] {
        assert!(
            validator.problems(name, text.as_bytes()).is_some(),
            "{name} {text} passed"
        );
    }
}

/// `seed.json`'s schema and the loader agree on every version document tried: the schema
/// accepts exactly what the loader reads.
#[test]
fn the_schema_of_seed_json_accepts_what_the_loader_reads() {
    let validator = Validator::new();
    for text in [
        r#"{"version": 1}"#,
        r#"{"version": 2}"#,
        r#"{"version": 3}"#,
        r#"{"version": 0}"#,
        r#"{"version": -1}"#,
        r#"{"version": "two"}"#,
        r#"{"version": "2"}"#,
        r#"{"version": null}"#,
        r#"{"version": 2, "name": "x"}"#,
        r#"{}"#,
        r#"[2]"#,
        r#"2"#,
    ] {
        let schema_ok = validator.problems(MANIFEST, text.as_bytes()).is_none();
        let loader_ok = load_files([(MANIFEST.to_owned(), text.as_bytes().to_vec())]).is_ok();
        assert_eq!(
            schema_ok, loader_ok,
            "{text}: schema {schema_ok}, loader {loader_ok}"
        );
    }
}
