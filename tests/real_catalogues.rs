//! Real catalogues from public packages, converted by the scripts in `tools/` (see the mapping
//! table beside each): small excerpts vendored in `tests/fixtures/real/`, each beside the raw
//! rows it was made from. Every raw row is checked against what both executors answer, so a
//! fact the converter or the loader drops, bends or invents fails here. No network.

mod common;

use std::path::Path;
use std::sync::Arc;

use common::plans::{Verdict, check_answered};
use leap_graphql::seed::load_dir;
use leap_graphql::store::Store;
use serde_json::{Value, json};

fn fixture(name: &str) -> (Arc<Store>, Vec<Value>) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/real");
    let store = load_dir(&dir.join(name)).unwrap_or_else(|r| panic!("{name} does not load:\n{r}"));
    let raw = std::fs::read_to_string(dir.join(format!("{name}.raw.json"))).unwrap();
    (Arc::new(store), serde_json::from_str(&raw).unwrap())
}

/// What both executors answer; they must agree.
fn answer(store: &Arc<Store>, query: &str) -> Value {
    let (verdict, body) = check_answered(store, query, json!({}));
    assert_eq!(verdict, Verdict::Same, "the plan answers {query}");
    let body: Value = serde_json::from_str(&body.expect("an answer")).unwrap();
    body["data"].clone()
}

fn nodes<'a>(data: &'a Value, list: &str) -> &'a Vec<Value> {
    data[list]["nodes"].as_array().unwrap()
}

#[test]
fn football_results_answer_as_the_data_set_gives_them() {
    let (store, raw) = fixture("football");
    let data = answer(
        &store,
        "{ matches(first: 100) { totalCount nodes { title date score draw
             teams { name } home { name } winner { name } tournament { name sport } facts { field }
             sources { kind version licence } } } }",
    );
    assert_eq!(data["matches"]["totalCount"], raw.len());
    let matches = nodes(&data, "matches");
    for row in &raw {
        let (home, away, date) = (&row["home_team"], &row["away_team"], &row["date"]);
        let found: Vec<&Value> = matches
            .iter()
            .filter(|m| {
                m["date"] == *date
                    && m["teams"][0]["name"] == *home
                    && m["teams"][1]["name"] == *away
            })
            .collect();
        assert_eq!(found.len(), 1, "{row}");
        let m = found[0];
        let (hs, as_) = (
            row["home_score"].as_u64().unwrap(),
            row["away_score"].as_u64().unwrap(),
        );
        assert_eq!(m["score"], json!([hs, as_]), "{row}");
        assert_eq!(m["home"]["name"], *home);
        assert_eq!(m["draw"], hs == as_, "{row}");
        let winner = match hs.cmp(&as_) {
            std::cmp::Ordering::Greater => home.clone(),
            std::cmp::Ordering::Less => away.clone(),
            std::cmp::Ordering::Equal => Value::Null,
        };
        assert_eq!(m["winner"]["name"], winner, "{row}");
        assert_eq!(
            m["tournament"],
            json!({"name": row["division"], "sport": "Football"})
        );
        // The data set gives no title: the server labels the match, and it is no fact.
        assert_eq!(
            m["title"],
            format!(
                "{} vs {}, {}",
                home.as_str().unwrap(),
                away.as_str().unwrap(),
                date.as_str().unwrap()
            )
        );
        assert!(
            !m["facts"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["field"] == "title")
        );
        assert_eq!(
            m["sources"],
            json!([{"kind": "DATASET", "version": "3.2.1",
            "licence": "CC0-1.0 (OpenFootball); the package is BSD-3-Clause"}])
        );
    }
    // A team is found by its name; its matches' labels are not searched.
    let team = raw[0]["home_team"].as_str().unwrap();
    let query = format!(
        "{{ search(query: {}, first: 100) {{ nodes {{ __typename }} }} }}",
        serde_json::to_string(team).unwrap()
    );
    let found = answer(&store, &query);
    let kinds: Vec<&Value> = nodes(&found, "search")
        .iter()
        .map(|n| &n["__typename"])
        .collect();
    assert!(kinds.contains(&&json!("Team")), "{kinds:?}");
    assert!(!kinds.contains(&&json!("Match")), "{kinds:?}");
}

/// `Jun 12 1998` as `1998-06-12`.
fn release_date(text: &str) -> Option<String> {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let mut parts = text.split(' ');
    let name = parts.next()?;
    let month = MONTHS.iter().position(|m| *m == name)? + 1;
    let day: u32 = parts.next()?.parse().ok()?;
    let year: u32 = parts.next()?.parse().ok()?;
    Some(format!("{year:04}-{month:02}-{day:02}"))
}

#[test]
fn films_answer_as_the_data_set_gives_them() {
    let (store, raw) = fixture("films");
    let data = answer(
        &store,
        "{ films(first: 100) { totalCount nodes { title runtimeMinutes genres
             releases { date kind region } directors { name } } } }",
    );
    assert_eq!(data["films"]["totalCount"], raw.len());
    let films = nodes(&data, "films");
    for row in &raw {
        let found: Vec<&Value> = films
            .iter()
            .filter(|f| f["title"] == row["Title"])
            .collect();
        assert_eq!(found.len(), 1, "{row}");
        let f = found[0];
        assert_eq!(f["runtimeMinutes"], row["Running Time min"], "{row}");
        let genres = match &row["Major Genre"] {
            Value::Null => json!([]),
            g => json!([g]),
        };
        assert_eq!(f["genres"], genres, "{row}");
        let releases = match row["Release Date"].as_str().and_then(release_date) {
            Some(date) => json!([{"date": date, "kind": "RELEASE", "region": null}]),
            None => json!([]),
        };
        assert_eq!(f["releases"], releases, "{row}");
        let directors = match &row["Director"] {
            Value::Null => json!([]),
            d => json!([{"name": d}]),
        };
        assert_eq!(f["directors"], directors, "{row}");
    }
}

#[test]
fn a_music_catalogue_answers_as_the_data_set_gives_it() {
    let (store, raw) = fixture("music");
    let of = |model: &str| -> Vec<&Value> { raw.iter().filter(|r| r["model"] == model).collect() };
    let name_of = |model: &str, pk: &Value| -> Value {
        of(model)
            .into_iter()
            .find(|r| r["pk"] == *pk)
            .map_or(Value::Null, |r| r["fields"]["name"].clone())
    };
    let data = answer(
        &store,
        "{ albums(first: 100) { totalCount nodes { title artist { __typename name } totalDurationSeconds
             tracks(first: 100) { nodes { title number durationSeconds genres
               credits { role performer { name } } } } } } }",
    );
    let albums = nodes(&data, "albums");
    assert_eq!(albums.len(), of("chinook.album").len());
    let mut tracks_seen = 0;
    for album in of("chinook.album") {
        let found: Vec<&Value> = albums
            .iter()
            .filter(|a| a["title"] == album["fields"]["title"])
            .collect();
        assert_eq!(found.len(), 1, "{album}");
        let a = found[0];
        let artist = name_of("chinook.artist", &album["fields"]["artist"]);
        assert_eq!(a["artist"], json!({"__typename": "Group", "name": artist}));
        let rows: Vec<&Value> = of("chinook.track")
            .into_iter()
            .filter(|t| t["fields"]["album"] == album["pk"])
            .collect();
        let total: u64 = rows
            .iter()
            .map(|t| t["fields"]["milliseconds"].as_u64().unwrap() / 1000)
            .sum();
        assert_eq!(a["totalDurationSeconds"], total, "{album}");
        let tracks = a["tracks"]["nodes"].as_array().unwrap();
        assert_eq!(tracks.len(), rows.len());
        for row in rows {
            let t = tracks
                .iter()
                .find(|t| t["title"] == row["fields"]["name"])
                .expect("the track");
            tracks_seen += 1;
            // Chinook numbers no track.
            assert_eq!(t["number"], Value::Null);
            assert_eq!(
                t["durationSeconds"],
                row["fields"]["milliseconds"].as_u64().unwrap() / 1000
            );
            assert_eq!(
                t["genres"],
                json!([name_of("chinook.genre", &row["fields"]["genre"])])
            );
            let composer = row["fields"]["composer"].as_str().unwrap_or("");
            for credit in t["credits"].as_array().unwrap() {
                assert_eq!(credit["role"], "COMPOSER");
                let name = credit["performer"]["name"].as_str().unwrap();
                assert!(composer.contains(name), "{name} is not in {composer:?}");
            }
            if !composer.is_empty() {
                assert!(!t["credits"].as_array().unwrap().is_empty(), "{row}");
            }
        }
    }
    assert_eq!(tracks_seen, of("chinook.track").len());
}
