//! Writes a synthetic catalogue and loads it back, to show that the generator's output is a
//! valid seed: `cargo run --example synth -- DIR [FILMS] [SEED]`.

use leap_graphql::synth;

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(dir) = args.next().map(PathBuf::from) else {
        eprintln!("usage: synth DIR [FILMS] [SEED]");
        return ExitCode::FAILURE;
    };
    let films = args.next().and_then(|a| a.parse().ok()).unwrap_or(100);
    let seed = args.next().and_then(|a| a.parse().ok()).unwrap_or(1);
    let counts = match synth::generate(&dir, films, seed) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("cannot write {}: {e}", dir.display());
            return ExitCode::FAILURE;
        }
    };
    println!(
        "wrote {} entities ({} records, about {} per film) into {}: {counts:?}",
        counts.entities(),
        counts.records(),
        synth::ENTITIES_PER_FILM,
        dir.display()
    );
    match leap_graphql::seed::load_dir(&dir) {
        Ok(store) => {
            println!(
                "loaded: {} films, {} people, {} tracks, {} credits",
                store.films().len(),
                store.people().len(),
                store.tracks().len(),
                store.credits().len()
            );
            ExitCode::SUCCESS
        }
        Err(report) => {
            eprintln!("{report}");
            ExitCode::FAILURE
        }
    }
}
