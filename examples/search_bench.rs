//! What each search of the benchmark costs in process, on the bundled seed and on a seed
//! directory: `cargo run --release --example search_bench -- [DIR]` (for instance
//! `bench/.data/films-60000`, about 1M entities). Each word of `bench/run.sh`'s scale section
//! runs through the whole schema (parse, validate, execute, serialise) with `first` 1 to 10,
//! repeatedly; the best and the median of several rounds are printed, in microseconds per
//! request. On a machine shared with other work the best round is the steadier figure.

use std::sync::Arc;
use std::time::Instant;

use serde_json::json;

/// mimalloc, as the server uses.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const WORDS: [&str; 10] = [
    "leap", "china", "team", "the", "gold", "rio", "world", "final", "film", "night",
];

fn main() {
    let document = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/operations/Search.graphql"
    ))
    .expect("the Search operation exists");
    let mut seeds = vec![("bundled".to_string(), None)];
    seeds.extend(std::env::args().skip(1).map(|d| (d.clone(), Some(d))));
    let schema = leap_graphql::schema::build_without_null_propagation();
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    for (name, dir) in seeds {
        let t = Instant::now();
        let store = match &dir {
            None => leap_graphql::seed::load_bundled(),
            Some(d) => leap_graphql::seed::load_dir(std::path::Path::new(d)),
        };
        let Ok(store) = store else {
            eprintln!("{name} does not load");
            continue;
        };
        let store = Arc::new(store);
        println!("{name}: loaded in {:.2} s", t.elapsed().as_secs_f64());
        let (mut total, mut total_median) = (0.0, 0.0);
        // SEARCH_WORDS (comma-separated) picks some of the words, for profiling one.
        let only = std::env::var("SEARCH_WORDS").ok();
        let words: Vec<&str> = WORDS
            .into_iter()
            .filter(|w| {
                only.as_deref()
                    .is_none_or(|o| o.split(',').any(|x| x == *w))
            })
            .collect();
        // SEARCH_ROUNDS sets the rounds per word (15), to run longer under a profiler.
        let rounds_per_word: usize = std::env::var("SEARCH_ROUNDS")
            .ok()
            .and_then(|r| r.parse().ok())
            .unwrap_or(15);
        for word in &words {
            let mut rounds = Vec::new();
            let mut count = 0;
            for _ in 0..rounds_per_word.max(1) {
                let t = Instant::now();
                let mut runs = 0;
                while t.elapsed().as_millis() < 40 {
                    for first in 1..=10 {
                        let request = async_graphql::Request::new(document.clone())
                            .variables(async_graphql::Variables::from_json(
                                json!({ "text": *word, "first": first }),
                            ))
                            .data(store.clone());
                        let response = rt.block_on(schema.execute(request));
                        assert!(response.errors.is_empty(), "{:?}", response.errors);
                        count = response
                            .data
                            .into_json()
                            .ok()
                            .and_then(|d| d["search"]["totalCount"].as_u64())
                            .unwrap_or(0);
                        runs += 1;
                    }
                }
                rounds.push(t.elapsed().as_secs_f64() * 1e6 / f64::from(runs));
            }
            rounds.sort_by(f64::total_cmp);
            let best = rounds[0];
            let median = rounds[rounds.len() / 2];
            total += best;
            total_median += median;
            println!("  {word:>6}: {count:>7} hits, best {best:>7.1} µs, median {median:>7.1} µs");
        }
        let n = words.len() as f64;
        println!(
            "  mean: best {:.1} µs, median {:.1} µs",
            total / n,
            total_median / n
        );
    }
}
