//! The synthetic catalogue generator writes seeds that the loader accepts, the same bytes
//! for the same seed, and tables that grow with the number of films.

use leap_graphql::synth;

use leap_graphql::seed::load_dir;

fn read_all(dir: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let name = e.file_name().to_string_lossy().into_owned();
            (name, std::fs::read(e.path()).unwrap())
        })
        .collect();
    files.sort();
    files
}

#[test]
fn generated_catalogues_load_and_match_their_counts() {
    for films in [1, 7, 250] {
        let dir = tempfile::tempdir().unwrap();
        let counts = synth::generate(dir.path(), films, 11).unwrap();
        let store = match load_dir(dir.path()) {
            Ok(store) => store,
            Err(report) => panic!("{films} films do not load:\n{report}"),
        };
        assert_eq!(store.films().len(), counts.films);
        assert_eq!(store.people().len(), counts.people);
        assert_eq!(store.teams().len(), counts.teams);
        assert_eq!(store.companies().len(), counts.companies);
        assert_eq!(store.competitions().len(), counts.competitions);
        assert_eq!(store.matches().len(), counts.matches);
        assert_eq!(store.albums().len(), counts.albums);
        assert_eq!(store.tracks().len(), counts.tracks);
        assert_eq!(store.sources().len(), counts.sources);
        assert_eq!(store.credits().len(), counts.credits);
        assert_eq!(store.coaching().len(), counts.coaching);
        assert_eq!(store.nodes().count(), counts.entities());
        // Every film has its cast and crew, and every album its ten tracks.
        assert!(
            store
                .films()
                .iter()
                .all(|f| f.cast.len() == 5 && f.crew.len() == 3)
        );
        assert!(store.albums().iter().all(|a| a.tracks.len() == 10));
    }
}

#[test]
fn every_table_scales_with_the_films() {
    let dir = tempfile::tempdir().unwrap();
    let counts = synth::generate(dir.path(), 1000, 3).unwrap();
    // So that 100 000 films make about a million people and credits, and a million tracks:
    // four people and eleven credits a film (nine on the film and its album, two on tracks).
    assert_eq!(counts.tracks, 10_000);
    assert_eq!(counts.people + counts.credits, 15_000);
    assert_eq!(counts.groups, 50);
    assert_eq!(counts.teams, 100);
    assert_eq!(counts.matches, 500);
    assert_eq!(counts.companies, 50);
    let per_film = counts.entities() as f64 / 1000.0;
    assert!(
        (per_film - synth::ENTITIES_PER_FILM).abs() < 0.05,
        "{per_film}"
    );
}

#[test]
fn the_same_seed_writes_the_same_catalogue() {
    let (a, b, c) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    synth::generate(a.path(), 40, 5).unwrap();
    synth::generate(b.path(), 40, 5).unwrap();
    synth::generate(c.path(), 40, 6).unwrap();
    assert_eq!(read_all(a.path()), read_all(b.path()));
    assert_ne!(read_all(a.path()), read_all(c.path()));
}

#[test]
fn names_are_varied() {
    let dir = tempfile::tempdir().unwrap();
    synth::generate(dir.path(), 200, 9).unwrap();
    let store = load_dir(dir.path()).unwrap();
    let mut names: Vec<&str> = store.people().iter().map(|p| &*p.name).collect();
    names.sort_unstable();
    names.dedup();
    // 800 people drawn from 32 × 32 given and family names: most combinations differ.
    assert!(names.len() > 400, "only {} distinct names", names.len());
    let mut titles: Vec<&str> = store.films().iter().map(|f| &*f.title).collect();
    titles.sort_unstable();
    titles.dedup();
    assert!(titles.len() > 150, "only {} distinct titles", titles.len());
}
