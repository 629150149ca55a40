//! The hash of every table whose keys come from requests (the response cache, the document
//! cache, persisted queries, trusted documents, the metrics' operation labels): foldhash,
//! keyed with a seed drawn once per process from the operating system's randomness, and a
//! second seed per table. With a fixed hash (rustc-hash, as the response cache had), anyone
//! could compute offline a thousand request bodies that land in one bucket and make every
//! lookup walk them; with a secret seed, nobody outside the process knows which keys collide.
//!
//! The process seed comes from std's `RandomState`, whose SipHash keys the standard library
//! draws from the OS (getrandom) once per thread: hashing a constant with a fresh one gives
//! an unpredictable 64-bit value, with no dependency of ours. foldhash's own `RandomState`
//! would seed itself from addresses and the clock instead, which is weaker than we need.
//! foldhash is already in the tree (under hashbrown).
//!
//! What it costs, two release builds measured one after the other on one machine
//! (`bench/callgrind.sh Catalogue BINARY`, median of 3): a cached Catalogue request took
//! 16,793 instructions with rustc-hash in the response cache and FNV-1a for the metrics'
//! labels (main at 3c59f0c), and 16,829 with this keyed foldhash (and the trusted documents'
//! generation read on every hit): +0.2%, inside the ~1% two calls on one binary differ by.
//!
//! Imports nothing of ours.

use std::hash::BuildHasher;
use std::sync::OnceLock;

use foldhash::SharedSeed;
use foldhash::fast::{FoldHasher, SeedableRandomState};

/// A keyed [`BuildHasher`]: the process's secret seed, and one of its own per table.
#[derive(Clone, Debug)]
pub struct Keyed(SeedableRandomState);

impl Keyed {
    /// A hasher for a new table: the process seed and a fresh per-table seed.
    pub fn new() -> Keyed {
        Keyed(SeedableRandomState::with_seed(random_u64(), process_seed()))
    }
}

impl Default for Keyed {
    fn default() -> Keyed {
        Keyed::new()
    }
}

impl BuildHasher for Keyed {
    type Hasher = FoldHasher<'static>;

    #[inline]
    fn build_hasher(&self) -> FoldHasher<'static> {
        self.0.build_hasher()
    }
}

/// The seed every table of this process shares, drawn on first use.
fn process_seed() -> &'static SharedSeed {
    static SEED: OnceLock<SharedSeed> = OnceLock::new();
    SEED.get_or_init(|| SharedSeed::from_u64(random_u64()))
}

/// 64 unpredictable bits: a constant hashed under SipHash keys the standard library drew
/// from the operating system.
fn random_u64() -> u64 {
    std::collections::hash_map::RandomState::new().hash_one(0x6c65_6170_u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"{\"query\":\"{ films { nodes { title } } }\"}";

    /// Run by `two_processes_hash_a_key_differently` in a child process: prints the hash.
    #[test]
    fn child_prints_its_hash() {
        if std::env::var_os("LEAP_KEYED_CHILD").is_some() {
            let one = Keyed(SeedableRandomState::with_seed(0, process_seed()));
            println!("hash={}", one.hash_one(KEY));
        }
    }

    #[test]
    fn two_processes_hash_a_key_differently() {
        let exe = std::env::current_exe().unwrap();
        let run = || {
            let out = std::process::Command::new(&exe)
                .args(["keyed::tests::child_prints_its_hash", "--exact"])
                .args(["--nocapture", "--test-threads=1"])
                .env("LEAP_KEYED_CHILD", "1")
                .output()
                .unwrap();
            let text = String::from_utf8_lossy(&out.stdout).into_owned();
            // The harness prints the test's name on the same line, before the hash.
            text.split("hash=")
                .nth(1)
                .map(|rest| {
                    rest.chars()
                        .take_while(char::is_ascii_digit)
                        .collect::<String>()
                })
                .unwrap_or_else(|| panic!("no hash in the child's output: {text}"))
        };
        let (a, b) = (run(), run());
        assert_ne!(
            a, b,
            "the same per-table seed under two processes' seeds must differ"
        );
    }

    #[test]
    fn two_tables_hash_a_key_differently_and_each_consistently() {
        let (a, b) = (Keyed::new(), Keyed::new());
        assert_eq!(a.hash_one(KEY), a.hash_one(KEY));
        assert_ne!(a.hash_one(KEY), b.hash_one(KEY));
        // Not the hash a fixed seed gives: the seed is not the crate's default.
        let fixed = SeedableRandomState::fixed();
        assert_ne!(a.hash_one(KEY), fixed.hash_one(KEY));
        assert_ne!(random_u64(), random_u64());
    }
}
