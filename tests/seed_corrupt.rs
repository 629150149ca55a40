//! Whatever an editor's mistake does to a seed file, the loader answers with problems, never
//! a panic, and every problem says where it is. Each case takes the bundled seed, corrupts it
//! at random (bytes deleted, inserted, flipped or cut off; values swapped, or replaced by a
//! huge number, a deep array, a value of the wrong type or invalid UTF-8; records
//! duplicated), and loads the result.

use std::panic::{AssertUnwindSafe, catch_unwind};

use leap_graphql::seed::{BUNDLED, load_files};
use proptest::prelude::*;
use serde_json::Value;

/// A small deterministic generator, so that one proptest seed drives a whole corruption and
/// shrinking still works on that seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

/// Text that stands in for a raw replacement until the value is printed again, since some
/// replacements (a number beyond f64, nesting beyond serde_json's limit, invalid UTF-8) are
/// not `Value`s at all.
const MARK: &str = "\u{1}corrupt\u{1}";

/// JSON Pointers to every value in `v`, the root excluded.
fn pointers(v: &Value, at: String, out: &mut Vec<String>) {
    let escape = |k: &str| k.replace('~', "~0").replace('/', "~1");
    match v {
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let p = format!("{at}/{i}");
                out.push(p.clone());
                pointers(item, p, out);
            }
        }
        Value::Object(map) => {
            for (k, item) in map {
                let p = format!("{at}/{}", escape(k));
                out.push(p.clone());
                pointers(item, p, out);
            }
        }
        _ => {}
    }
}

/// A raw JSON text (or bytes) to put in place of a value.
fn replacement(rng: &mut Rng) -> Vec<u8> {
    match rng.below(12) {
        0 => b"1e400".to_vec(),
        1 => b"99999999999999999999".to_vec(),
        2 => b"-99999999999999999999".to_vec(),
        3 => b"1.7976931348623157e308".to_vec(),
        // An array that is never closed, as a cut-off paste leaves one.
        4 => "[".repeat(rng.below(300)).into_bytes(),
        5 => {
            let depth = rng.below(300);
            format!("{}{}", "[".repeat(depth), "]".repeat(depth)).into_bytes()
        }
        6 => b"\"\xff\xfe\"".to_vec(),
        7 => b"\"\xc3\"".to_vec(),
        8 => ["null", "true", "0", "-1", "\"\"", "{}", "[]", "\"x\""][rng.below(8)]
            .as_bytes()
            .to_vec(),
        9 => format!("{}", rng.next()).into_bytes(),
        10 => format!("\"{}\"", "9".repeat(rng.below(60))).into_bytes(),
        _ => b"{\"slug\": \"x\", \"name\": 1}".to_vec(),
    }
}

/// Applies one corruption to one file's bytes.
fn corrupt(bytes: &mut Vec<u8>, rng: &mut Rng) {
    let len = bytes.len();
    match rng.below(9) {
        0 if len > 0 => {
            bytes.remove(rng.below(len));
        }
        1 => {
            let b = [
                b'{', b'}', b'[', b']', b'"', b',', b':', b'\\', 0xff, 0x00, b'1',
            ][rng.below(11)];
            bytes.insert(rng.below(len + 1), b);
        }
        2 if len > 0 => {
            let at = rng.below(len);
            bytes[at] ^= 1 << rng.below(8);
        }
        3 => bytes.truncate(rng.below(len + 1)),
        kind => {
            let Ok(mut value) = serde_json::from_slice::<Value>(bytes) else {
                // An earlier corruption broke the syntax; break it some more.
                bytes.insert(rng.below(len + 1), b'"');
                return;
            };
            let mut all = Vec::new();
            pointers(&value, String::new(), &mut all);
            if all.is_empty() {
                return;
            }
            let raw = match kind {
                // Swap two values, of the same record or of any two places.
                4 | 5 => {
                    let (a, b) = (
                        all[rng.below(all.len())].clone(),
                        all[rng.below(all.len())].clone(),
                    );
                    // A value cannot swap with one inside itself.
                    if a.starts_with(&b) || b.starts_with(&a) {
                        return;
                    }
                    let va = value.pointer(&a).cloned().unwrap();
                    let vb = std::mem::replace(value.pointer_mut(&b).unwrap(), va);
                    *value.pointer_mut(&a).unwrap() = vb;
                    None
                }
                // Duplicate a record: the same slug twice, the same credit twice.
                6 => {
                    if let Value::Array(items) = &mut value
                        && !items.is_empty()
                    {
                        let i = rng.below(items.len());
                        let copy = items[i].clone();
                        items.insert(rng.below(items.len() + 1), copy);
                    }
                    None
                }
                _ => {
                    let at = all[rng.below(all.len())].clone();
                    *value.pointer_mut(&at).unwrap() = Value::String(MARK.into());
                    Some(replacement(rng))
                }
            };
            let text = serde_json::to_string_pretty(&value).unwrap();
            *bytes = match raw {
                Some(raw) => {
                    let marked = serde_json::to_string(MARK).unwrap();
                    let (before, after) = text.split_once(&marked).unwrap();
                    [before.as_bytes(), &raw, after.as_bytes()].concat()
                }
                None => text.into_bytes(),
            };
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn corrupt_seeds_give_problems_not_panics(seed in any::<u64>(), rounds in 1usize..4) {
        let mut rng = Rng(seed);
        let mut files: Vec<(String, Vec<u8>)> = BUNDLED
            .iter()
            .map(|(name, bytes)| (name.to_string(), bytes.to_vec()))
            .collect();
        for _ in 0..rounds {
            let i = rng.below(files.len());
            corrupt(&mut files[i].1, &mut rng);
        }
        let result = catch_unwind(AssertUnwindSafe(|| load_files(files.clone())));
        let Ok(result) = result else {
            let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
            panic!("the loader panicked on a corrupted seed (files {names:?}, seed {seed})");
        };
        if let Err(report) = result {
            prop_assert!(!report.problems.is_empty(), "an error with no problems");
            for p in &report.problems {
                prop_assert!(!p.file.is_empty(), "a problem without a file: {p:?}");
                prop_assert!(p.path.starts_with('$'), "a path not starting with $: {p:?}");
                prop_assert!(!p.message.trim().is_empty(), "a problem without a message: {p:?}");
                prop_assert!(
                    BUNDLED.iter().any(|(name, _)| *name == p.file),
                    "a problem in a file that was not loaded: {p:?}"
                );
            }
        }
    }
}

/// The corruptions really do break things: most cases must be refused, or the property above
/// would pass by loading the same seed 256 times.
#[test]
fn most_corruptions_are_refused() {
    let mut refused = 0;
    for seed in 0..100u64 {
        let mut rng = Rng(seed);
        let mut files: Vec<(String, Vec<u8>)> = BUNDLED
            .iter()
            .map(|(name, bytes)| (name.to_string(), bytes.to_vec()))
            .collect();
        let i = rng.below(files.len());
        corrupt(&mut files[i].1, &mut rng);
        if load_files(files).is_err() {
            refused += 1;
        }
    }
    assert!(
        refused >= 60,
        "only {refused} of 100 corrupted seeds were refused"
    );
}
