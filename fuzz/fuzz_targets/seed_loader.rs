//! Arbitrary bytes as a seed of several files through `seed::load_files`: never a panic, and
//! a refusal always says where, with a file and a JSON path.
//!
//! Input: chunks separated by NUL bytes (JSON text never holds one); each chunk's first byte
//! picks its file name (one of the seed files, or a name that is not one) and the rest is
//! the file's contents.

#![no_main]

use leap_graphql::seed::{self, FILES};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let files: Vec<(String, Vec<u8>)> = data
        .split(|&b| b == 0)
        .filter_map(|chunk| {
            let (&pick, contents) = chunk.split_first()?;
            let name = FILES
                .get(usize::from(pick) % (FILES.len() + 1))
                .map_or("notes.json", |f| f);
            Some((name.to_owned(), contents.to_vec()))
        })
        .collect();
    let names: Vec<String> = files.iter().map(|(n, _)| n.clone()).collect();
    if let Err(report) = seed::load_files(files) {
        assert!(!report.problems.is_empty(), "a refusal with no problem");
        for p in &report.problems {
            assert!(!p.file.is_empty(), "a problem with no file: {p}");
            assert!(
                names.contains(&p.file) || FILES.contains(&p.file.as_str()),
                "a problem in a file that was not given: {p}"
            );
            assert!(p.path.starts_with('$'), "a path not starting with $: {p}");
            assert!(!p.message.is_empty(), "a problem with no message: {p}");
        }
    }
});
