//! How long loading takes and how much memory the store holds, at growing sizes:
//! `cargo run --release --example load_bench -- 10000 100000 1000000` (approximate entity
//! counts). Each size is generated into a temporary directory by `src/synth.rs`, then loaded
//! with `load_dir`, which is what the server does at start. "store MB" is the resident size
//! the loaded store adds (VmRSS after the load, with freed heap handed back, minus before);
//! "peak MB" is the most the load itself needed (VmHWM, reset before each size).

use leap_graphql::synth;

use std::time::Instant;

/// mimalloc: loading builds and frees millions of small allocations, where glibc's malloc
/// spent a fifth of the time consolidating and unlinking chunks.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// A field of /proc/self/status in kibibytes (VmRSS, VmHWM); 0 where there is no /proc.
fn status_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}

/// Hands freed heap back to the system. The parsed JSON is freed when loading ends, but glibc
/// keeps the pages, so without this the resident size counts the parse tree as well.
fn trim() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        unsafe extern "C" {
            fn malloc_trim(pad: usize) -> i32;
        }
        // SAFETY: malloc_trim only releases free memory; it is safe to call at any time.
        unsafe {
            malloc_trim(0);
        }
    }
}

/// Resets the peak resident size, so that each size reports its own peak (Linux only).
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn dir_bytes(dir: &std::path::Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok()?.metadata().ok())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

fn main() {
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.replace('_', "").parse().ok())
        .collect();
    let sizes = if sizes.is_empty() {
        vec![10_000, 100_000]
    } else {
        sizes
    };
    println!(
        "{:>9} {:>9} {:>9} {:>8} {:>8} {:>11} {:>9} {:>9} {:>8} {:>8}",
        "target",
        "entities",
        "records",
        "files MB",
        "load s",
        "entities/s",
        "store MB",
        "peak MB",
        "B/ent",
        "peak B/e"
    );
    for target in sizes {
        let films = ((target as f64 / synth::ENTITIES_PER_FILM).round() as usize).max(1);
        let dir = tempfile::tempdir().expect("a temporary directory");
        let t = Instant::now();
        let counts = synth::generate(dir.path(), films, 42).expect("the catalogue is written");
        let generated = t.elapsed().as_secs_f64();
        let bytes = dir_bytes(dir.path());
        trim();
        let before = status_kib("VmRSS:");
        reset_peak();
        let t = Instant::now();
        let store = match leap_graphql::seed::load_dir(dir.path()) {
            Ok(store) => store,
            Err(report) => {
                let shown: Vec<String> = report
                    .problems
                    .iter()
                    .take(10)
                    .map(|p| p.to_string())
                    .collect();
                panic!(
                    "the synthetic catalogue did not load ({} problems):\n{}",
                    report.problems.len(),
                    shown.join("\n")
                );
            }
        };
        let load = t.elapsed().as_secs_f64();
        let peak = status_kib("VmHWM:");
        trim();
        let after = status_kib("VmRSS:");
        assert_eq!(store.tracks().len(), counts.tracks);
        assert_eq!(store.credits().len(), counts.credits);
        let entities = counts.entities();
        let held = after.saturating_sub(before) * 1024;
        let peak_held = peak.saturating_sub(before) * 1024;
        println!(
            "{:>9} {:>9} {:>9} {:>8.1} {:>8.2} {:>11.0} {:>9.1} {:>9.1} {:>8.0} {:>8.0}",
            target,
            entities,
            counts.records(),
            bytes as f64 / 1e6,
            load,
            entities as f64 / load,
            held as f64 / 1048576.0,
            peak_held as f64 / 1048576.0,
            held as f64 / entities as f64,
            peak_held as f64 / entities as f64,
        );
        eprintln!("  (generated {films} films in {generated:.2} s: {counts:?})");
        drop(store);
        trim();
    }
}
