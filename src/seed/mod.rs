//! The seed format: a directory of JSON files, one per kind of record (see `docs/seed-format.md`).
//! Loading reads every file, reports every problem in every file at once, and only then builds
//! the store, so that nobody fixes a catalogue one error at a time.
//!
//! Owns: the file format and its checks (`reader`, `stream`, `decode`, exact duplicate records
//! in `duplicates`, the cross-record checks here) and the loaders (`load_bundled`, `load_dir`,
//! `load_files`). Imports: `store` only; it fills a `StoreBuilder` and hands out the finished
//! `Store`.

mod dangling;
mod decode;
mod duplicates;
mod reader;
mod stream;
mod versions;

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use crate::store::Store;

use crate::store::model::{Credit, Idx, Kind, NodeRef, Performer, Track, Work};
pub use decode::{BUNDLED, FILES};

/// One thing wrong with a seed: where it is and what is wrong, in words for the editor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub file: String,
    /// A JSON path into the file (`$[3].duration`), or `$` for the file as a whole.
    pub path: String,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}: {}", self.file, self.path, self.message)
    }
}

/// Every problem a load found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    pub problems: Vec<Problem>,
}

/// How many problems of one kind a report lists before it only counts the rest.
pub const LINES_PER_KIND: usize = 10;

impl Problem {
    /// What kind of problem this is: its file and its message with the particulars (quoted
    /// text, numbers) left out, so that `no team has the slug "a"` and `… "b"` are one kind.
    pub fn kind(&self) -> String {
        let mut kind = format!("{}: ", self.file);
        let mut quoted = false;
        for c in self.message.chars() {
            match c {
                '"' => {
                    quoted = !quoted;
                    if quoted {
                        kind.push_str("\"…\"");
                    }
                }
                _ if quoted => {}
                '0'..='9' => {
                    if !kind.ends_with('#') {
                        kind.push('#');
                    }
                }
                c => kind.push(c),
            }
        }
        kind
    }
}

impl Report {
    /// The report for people: every problem, but at most `per_kind` of each kind (see
    /// [`Problem::kind`]), then a count of the rest of each kind, then the total.
    pub fn summary(&self, per_kind: usize) -> String {
        use std::fmt::Write;
        let mut seen: BTreeMap<String, usize> = BTreeMap::new();
        let mut out = String::new();
        for p in &self.problems {
            let count = seen.entry(p.kind()).or_default();
            *count += 1;
            if *count <= per_kind {
                let _ = writeln!(out, "{p}");
            }
        }
        for (kind, count) in &seen {
            if *count > per_kind {
                let rest = count - per_kind;
                let _ = writeln!(out, "… and {rest} more like: {kind}");
            }
        }
        let n = self.problems.len();
        let _ = write!(out, "{n} problem{}", if n == 1 { "" } else { "s" });
        out
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.summary(LINES_PER_KIND))
    }
}

impl std::error::Error for Report {}

/// Loads the bundled seed.
pub fn load_bundled() -> Result<Store, Report> {
    load_files(
        BUNDLED
            .iter()
            .map(|(name, bytes)| (name.to_string(), bytes.to_vec())),
    )
}

/// The optional file that says which version of the seed format a directory is written in.
pub const MANIFEST: &str = "seed.json";

/// The newest version of the seed format this server reads. Each version reads every seed of
/// the versions before it unchanged: version 2 only adds optional fields and files.
pub const FORMAT_VERSION: u32 = 2;

/// Reads `seed.json`: `{"version": N}`, where N is a version this server reads. Without the
/// file a seed is version 1. Its problems come as (JSON path, message), every one at once.
fn read_manifest(bytes: &[u8]) -> Result<u32, Vec<(String, String)>> {
    let whole = |message: String| vec![("$".to_owned(), message)];
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(whole(format!(
            "the file is empty; write {{\"version\": {FORMAT_VERSION}}}"
        )));
    }
    let value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| whole(syntax_message(&e, bytes)))?;
    let serde_json::Value::Object(map) = &value else {
        return Err(whole(format!(
            "expected an object such as {{\"version\": {FORMAT_VERSION}}}, found {}",
            reader::describe(&value)
        )));
    };
    let mut problems: Vec<(String, String)> = map
        .keys()
        .filter(|k| *k != "version")
        .map(|k| {
            let message = format!("unknown field \"{k}\"; expected one of: version");
            (format!("$.{k}"), message)
        })
        .collect();
    let version = match map.get("version").map(|v| (v, v.as_u64())) {
        None => Err(format!(
            "missing required field \"version\": write {{\"version\": {FORMAT_VERSION}}}"
        )),
        Some((_, Some(n))) if (1..=u64::from(FORMAT_VERSION)).contains(&n) => Ok(n as u32),
        Some((_, Some(n))) if n > u64::from(FORMAT_VERSION) => Err(format!(
            "this seed is written in version {n} of the format; this server reads versions 1 to {FORMAT_VERSION}"
        )),
        Some((v, _)) => Err(format!(
            "expected a version from 1 to {FORMAT_VERSION}, such as {{\"version\": {FORMAT_VERSION}}}, found {}",
            reader::describe(v)
        )),
    };
    match version {
        Ok(n) if problems.is_empty() => Ok(n),
        Ok(_) => Err(problems),
        Err(message) => {
            let at = if map.contains_key("version") {
                "$.version"
            } else {
                "$"
            };
            problems.push((at.to_owned(), message));
            Err(problems)
        }
    }
}

/// Reads a seed directory: every `.json` file in it (other files and folders are left alone,
/// so a README or JSON Schemas may sit beside the data). The only I/O of loading. A seed file
/// that cannot be read (a folder by that name, no permission) is one problem, and the rest of
/// the seed is still read and checked, so that every problem is said in one pass.
pub fn load_dir(dir: &Path) -> Result<Store, Report> {
    let fail = |message: String| Report {
        problems: vec![Problem {
            file: dir.display().to_string(),
            path: "$".into(),
            message,
        }],
    };
    let entries =
        std::fs::read_dir(dir).map_err(|e| fail(format!("cannot read the seed directory: {e}")))?;
    let mut files = Vec::new();
    let mut unreadable = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| fail(format!("cannot read the seed directory: {e}")))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.ends_with(".json") {
            continue;
        }
        let seed_file = name == MANIFEST || FILES.contains(&name.as_str());
        // Follows a link, as reading it would.
        if std::fs::metadata(entry.path()).is_ok_and(|m| m.is_dir()) {
            if seed_file {
                let message = "cannot read the file: it is a directory; the seed file must be a \
                               file holding a JSON array";
                unreadable.push((name, message.to_owned()));
            }
            continue;
        }
        match std::fs::read(entry.path()) {
            Ok(bytes) => files.push((name, bytes)),
            Err(e) => unreadable.push((name, format!("cannot read the file: {e}"))),
        }
    }
    load(files, unreadable)
}

/// Parses, validates and builds a store from named file contents. Pure: no I/O.
pub fn load_files(files: impl IntoIterator<Item = (String, Vec<u8>)>) -> Result<Store, Report> {
    load(files, Vec::new())
}

/// `load_files`, with the files that are in the seed but could not be read, each with why.
fn load(
    files: impl IntoIterator<Item = (String, Vec<u8>)>,
    unreadable: Vec<(String, String)>,
) -> Result<Store, Report> {
    let mut problems = Vec::new();
    let mut raw: BTreeMap<&str, Vec<u8>> = BTreeMap::new();
    // Without seed.json, version 1; with one that cannot be read (reported), the newest, so
    // that its one problem is not followed by one for everything newer the seed uses.
    let mut version = None;
    for (name, bytes) in files {
        if name == MANIFEST {
            match read_manifest(&bytes) {
                Ok(v) => version = Some(v),
                Err(found) => {
                    version = Some(FORMAT_VERSION);
                    problems.extend(found.into_iter().map(|(path, message)| Problem {
                        file: MANIFEST.to_owned(),
                        path,
                        message,
                    }));
                }
            }
            continue;
        }
        let Some(known) = FILES.iter().copied().find(|f| *f == name) else {
            problems.push(Problem {
                file: name,
                path: "$".into(),
                message: format!("not a seed file; the seed files are: {}", FILES.join(", ")),
            });
            continue;
        };
        raw.insert(known, bytes);
    }
    if unreadable.iter().any(|(name, _)| name == MANIFEST) {
        version = Some(FORMAT_VERSION);
    }
    let mut decoder = decode::Decoder::new(version);
    for (name, message) in unreadable {
        if name == MANIFEST {
            problems.push(Problem {
                file: name,
                path: "$".into(),
                message,
            });
        } else {
            decoder.unreadable(&name, message);
        }
    }
    decoder.decode_all(&raw);
    drop(raw);
    problems.append(&mut decoder.problems);
    check_tracks(&decoder, &mut problems);
    check_credits(&decoder, &mut problems);
    if !problems.is_empty() {
        return Err(Report { problems });
    }
    Ok(decoder.store.finish())
}

/// serde_json's message (which ends with the line and column), made plain for an editor.
pub(crate) fn syntax_message(e: &serde_json::Error, bytes: &[u8]) -> String {
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    // Any JSON value can be a record, so the only data error is a top level that is no array.
    if e.classify() == serde_json::error::Category::Data {
        let found = match first {
            Some(b'{') => "an object",
            Some(b'"') => "a string",
            Some(b't' | b'f') => "a boolean",
            Some(b'n') => "null",
            _ => "a number",
        };
        return format!("expected an array of records, found {found}");
    }
    if first.is_none() {
        "the file is empty; write [] for a file with no records".to_owned()
    } else if std::str::from_utf8(bytes).is_err()
        && e.classify() == serde_json::error::Category::Syntax
    {
        format!("the file is not valid UTF-8 or not valid JSON: {e}")
    } else {
        format!("invalid JSON: {e}")
    }
}

/// Within each album, track numbers run 1, 2, 3… with no repeats and no gaps.
fn check_tracks(d: &decode::Decoder, problems: &mut Vec<Problem>) {
    let mut by_album: BTreeMap<Idx, Vec<(u32, Idx)>> = BTreeMap::new();
    for (i, t) in d.store.records::<Track>().iter().enumerate() {
        // Unnumbered tracks (format 2) are listed after the numbered ones.
        if let Some(number) = t.number {
            by_album
                .entry(t.album)
                .or_default()
                .push((number, i as Idx));
        }
    }
    for (album, mut list) in by_album {
        list.sort_unstable();
        let album_slug = d.store.slug(NodeRef {
            kind: Kind::Album,
            idx: album,
        });
        let mut expected = 1u32;
        for (pos, (number, track)) in list.iter().enumerate() {
            let at = format!("{}.number", d.record_path(Kind::Track, *track));
            if pos > 0 && list[pos - 1].0 == *number {
                let first = d.record_path(Kind::Track, list[pos - 1].1);
                problems.push(Problem {
                    file: "tracks.json".into(),
                    path: at,
                    message: format!(
                        "album \"{album_slug}\" has track number {number} twice (also at {first})"
                    ),
                });
                continue;
            }
            if *number != expected && !d.refused_tracks.contains(&album) {
                let missing = if *number == expected + 1 {
                    format!("{expected}")
                } else {
                    format!("{expected} to {}", number - 1)
                };
                problems.push(Problem {
                    file: "tracks.json".into(),
                    path: at,
                    message: format!("album \"{album_slug}\" skips track number {missing}: numbers run 1, 2, 3… without gaps"),
                });
            }
            expected = number.saturating_add(1);
        }
    }
}

/// The same person (or team) in the same role on the same work twice is a copying mistake.
fn check_credits(d: &decode::Decoder, problems: &mut Vec<Problem>) {
    let mut seen: BTreeMap<(u8, Idx, u8, Idx, u8), usize> = BTreeMap::new();
    for (i, c) in d.store.records::<Credit>().iter().enumerate() {
        let work = match c.work {
            Work::Film(f) => (0, f),
            Work::Album(a) => (1, a),
            Work::Track(t) => (2, t),
        };
        let who = match c.performer {
            Performer::Person(p) => (0, p),
            Performer::Team(t) => (1, t),
            Performer::Group(g) => (2, g),
        };
        let key = (work.0, work.1, who.0, who.1, c.role as u8);
        if let Some(first) = seen.insert(key, i) {
            problems.push(Problem {
                file: "credits.json".into(),
                path: format!("$[{i}]"),
                message: format!("the same credit is listed twice (also at $[{first}])"),
            });
        }
    }
}
