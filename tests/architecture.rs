//! The code map of `docs/architecture.md`, enforced: each room (a top-level module of `src/`)
//! names the rooms it may import, and a `crate::…` path to any other fails here with its file
//! and line. Data flows one way (seed → store → engine → http, with cli and main on top), so
//! a change that would turn an arrow around is caught before review.
//!
//! Only library code counts: a file's unit tests (from its first `#[cfg(test)]`) may load
//! fixtures from anywhere, and `cli.rs` and `main.rs` sit on top and may use every room.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Each room and the rooms it may import; the order is the map's, from the bottom up.
const ROOMS: &[(&str, &[&str])] = &[
    ("error_code", &[]),
    ("suggest", &[]),
    ("keyed", &[]),
    ("store", &[]),
    ("seed", &["store"]),
    ("synth", &[]),
    ("guard", &["error_code"]),
    ("config", &["guard"]),
    ("reviews", &["store"]),
    ("schema", &["store", "reviews", "error_code"]),
    ("exec", &["store", "suggest"]),
    (
        "engine",
        &[
            "store",
            "exec",
            "schema",
            "guard",
            "config",
            "error_code",
            "reviews",
            "suggest",
            "keyed",
        ],
    ),
    ("reload", &["engine", "seed", "config"]),
    ("telemetry", &["config", "store", "keyed"]),
    (
        "http",
        &[
            "engine",
            "config",
            "error_code",
            "reload",
            "store",
            "telemetry",
            "reviews",
        ],
    ),
];

/// The files on top, which may import every room.
const ON_TOP: &[&str] = &["lib.rs", "main.rs", "cli.rs"];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src/ is readable") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every `crate::ROOM` a file's library code names, with the line it is on.
fn references(text: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim_start().starts_with("#[cfg(test)]") {
            break;
        }
        let mut rest = line;
        while let Some(at) = rest.find("crate::") {
            let after = &rest[at + "crate::".len()..];
            let name: String = after
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            found.push((n + 1, name));
            rest = after;
        }
    }
    found
}

#[test]
fn each_room_imports_only_the_rooms_below_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let allowed: BTreeMap<&str, &[&str]> = ROOMS.iter().copied().collect();
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut broken = Vec::new();
    let mut seen_rooms = std::collections::BTreeSet::new();
    for file in &files {
        let relative = file.strip_prefix(&src).expect("under src/");
        let first = relative
            .components()
            .next()
            .and_then(|c| c.as_os_str().to_str())
            .expect("a UTF-8 path");
        if ON_TOP.contains(&first) {
            continue;
        }
        let room = first.trim_end_matches(".rs");
        seen_rooms.insert(room.to_owned());
        let Some(may) = allowed.get(room) else {
            broken.push(format!(
                "src/{}: the room `{room}` is not on the map (add it to ROOMS here and to docs/architecture.md)",
                relative.display()
            ));
            continue;
        };
        // A unit-test file (`guard/tests.rs`) is test code from its first line.
        if relative.file_name().is_some_and(|n| n == "tests.rs") {
            continue;
        }
        let text = std::fs::read_to_string(file).expect("a readable source file");
        for (line, target) in references(&text) {
            if target != room && !may.contains(&target.as_str()) {
                broken.push(format!(
                    "src/{}:{line}: `{room}` imports `crate::{target}`, which is not below it (it may import: {})",
                    relative.display(),
                    if may.is_empty() { "nothing of ours".to_owned() } else { may.join(", ") }
                ));
            }
        }
    }
    assert!(broken.is_empty(), "{}", broken.join("\n"));
    // The map has no room that the code lacks, so the two cannot drift apart unseen.
    for (room, _) in ROOMS {
        assert!(
            seen_rooms.contains(*room),
            "the room `{room}` is on the map but not in src/"
        );
    }
}

#[test]
fn a_path_to_a_room_that_is_not_below_is_found() {
    // The scanner itself, so that the test above cannot pass by finding nothing.
    let text = "use crate::store::Store;\nfn f() { crate::http::app(); }\n#[cfg(test)]\nuse crate::seed;\n";
    assert_eq!(
        references(text),
        vec![(1, "store".to_owned()), (2, "http".to_owned())]
    );
}
