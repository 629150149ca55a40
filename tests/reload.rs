//! Live reload of a seed directory: broken edits keep the old graph serving, good ones swap
//! in whole, concurrent requests never see two graphs, cursors and ids survive, and SIGHUP
//! reloads the real binary.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::{
    TestServer, dir_config, eventually, seed_copy, set_leap, spawn_reloadable, spawn_with,
};
use serde_json::{Value, json};

const LEAP: &str = r#"{ film(slug: "leap") { title runtimeMinutes } }"#;

async fn leap(server: &TestServer) -> (String, i64) {
    let data = server.data(LEAP, json!({})).await;
    (
        data["film"]["title"].as_str().unwrap().to_owned(),
        data["film"]["runtimeMinutes"].as_i64().unwrap(),
    )
}

async fn reloads(server: &TestServer, result: &str) -> f64 {
    server
        .metric("leap_graphql_reloads_total", &[("result", result)])
        .await
        .expect("the reload counter")
}

#[tokio::test]
async fn a_broken_edit_keeps_the_old_graph_and_a_fix_swaps_in() {
    let dir = seed_copy();
    let server = spawn_with(dir_config(dir.path(), Some(Duration::from_millis(20)))).await;
    assert_eq!(leap(&server).await, ("Leap".to_owned(), 135));

    // A negative runtime is a validation error, not a parse error: the whole load must
    // succeed before anything is swapped.
    set_leap(dir.path(), "Broken", -5);
    eventually("the failed reload", || async {
        (reloads(&server, "failed").await == 1.0).then_some(())
    })
    .await;
    assert_eq!(leap(&server).await, ("Leap".to_owned(), 135));
    assert_eq!(reloads(&server, "ok").await, 0.0);
    assert_eq!(
        server.metric("leap_graphql_graph_generation", &[]).await,
        Some(1.0)
    );

    set_leap(dir.path(), "Leap (2020)", 136);
    let now = eventually("the fixed catalogue", || async {
        let now = leap(&server).await;
        (now.0 != "Leap").then_some(now)
    })
    .await;
    assert_eq!(now, ("Leap (2020)".to_owned(), 136));
    assert_eq!(reloads(&server, "ok").await, 1.0);
    assert_eq!(reloads(&server, "failed").await, 1.0);
    assert_eq!(
        server.metric("leap_graphql_graph_generation", &[]).await,
        Some(2.0)
    );
    let stamp = server
        .metric(
            "leap_graphql_last_reload_timestamp_seconds",
            &[("result", "ok")],
        )
        .await
        .unwrap();
    assert!(stamp > 1.6e9, "a Unix time, not {stamp}");
}

/// Eight clients send requests (a hundred each at least) while the catalogue flips fifty times
/// between two versions that differ in the film's title and runtime. Every request succeeds,
/// each response's two fields (resolved separately) come from the same version, and the
/// swapper waits after each swap until some client has seen it, so that the swaps really are
/// spread through the requests rather than over before they start.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_requests_during_reloads_never_fail_or_mix() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};

    let dir = seed_copy();
    let (server, reloader) = spawn_reloadable(dir_config(dir.path(), None)).await;
    let server = Arc::new(server);
    let reloader = reloader.unwrap();
    let versions = [("Leap", 135), ("Leap, the second cut", 141)];
    let observed = Arc::new([AtomicUsize::new(0), AtomicUsize::new(0)]);
    let done = Arc::new(AtomicBool::new(false));

    let clients: Vec<_> = (0..8)
        .map(|_| {
            let (server, observed, done) = (server.clone(), observed.clone(), done.clone());
            tokio::spawn(async move {
                let mut sent = 0;
                while sent < 100 || !done.load(SeqCst) {
                    let data = server
                        .data(
                            r#"{ a: film(slug: "leap") { title } b: film(slug: "leap") { runtimeMinutes } }"#,
                            json!({}),
                        )
                        .await;
                    let got = (
                        data["a"]["title"].as_str().unwrap(),
                        data["b"]["runtimeMinutes"].as_i64().unwrap(),
                    );
                    let version = versions.iter().position(|v| *v == got);
                    let version = version.unwrap_or_else(|| {
                        panic!("a response mixed two catalogues: {got:?}")
                    });
                    observed[version].fetch_add(1, SeqCst);
                    sent += 1;
                }
                sent
            })
        })
        .collect();

    for i in 0..50 {
        let v = (i + 1) % 2;
        let (title, runtime) = versions[v];
        let before = observed[v].load(SeqCst);
        set_leap(dir.path(), title, runtime);
        let generation = reloader.reload().await.expect("a valid catalogue reloads");
        assert_eq!(generation, i as u64 + 2);
        eventually("a client to see the new version", || async {
            (observed[v].load(SeqCst) > before).then_some(())
        })
        .await;
    }
    done.store(true, SeqCst);

    let mut total = 0;
    for client in clients {
        total += client.await.unwrap();
    }
    assert!(total >= 800, "{total} requests");
    assert_eq!(reloads(&server, "ok").await, 50.0);
    assert_eq!(
        server.metric("leap_graphql_graph_generation", &[]).await,
        Some(51.0)
    );
    // The fiftieth swap wrote the first version back.
    assert_eq!(leap(&server).await, ("Leap".to_owned(), 135));
}

/// Cursors carry the sort key, not a position, and ids the kind and slug: a person added
/// before the page does not shift it.
#[tokio::test]
async fn cursors_and_ids_from_before_a_reload_still_work_after_it() {
    let dir = seed_copy();
    let (server, reloader) = spawn_reloadable(dir_config(dir.path(), None)).await;
    let page = r#"query($after: String) { people(first: 3, after: $after) { totalCount pageInfo { endCursor } nodes { id slug } } }"#;
    let first = server.data(page, json!({})).await;
    let cursor = first["people"]["pageInfo"]["endCursor"].clone();
    let id = first["people"]["nodes"][0]["id"].clone();
    let slug = first["people"]["nodes"][0]["slug"].clone();
    let before = server.data(page, json!({ "after": cursor })).await;
    let slugs = |v: &Value| -> Vec<Value> {
        v["people"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["slug"].clone())
            .collect()
    };

    // A person whose name sorts before everyone else's.
    let people_path = dir.path().join("people.json");
    let mut people: Value =
        serde_json::from_str(&std::fs::read_to_string(&people_path).unwrap()).unwrap();
    people.as_array_mut().unwrap().push(
        json!({ "slug": "aaron-aardvark", "name": "Aaron Aardvark", "sources": ["store-page"] }),
    );
    common::write_seed_file(dir.path(), "people.json", &people.to_string());
    reloader
        .unwrap()
        .reload()
        .await
        .expect("the catalogue with one more person loads");

    let after = server.data(page, json!({ "after": cursor })).await;
    assert_eq!(
        after["people"]["totalCount"].as_i64(),
        before["people"]["totalCount"].as_i64().map(|n| n + 1),
        "the new graph is serving"
    );
    assert_eq!(
        slugs(&after),
        slugs(&before),
        "the page after the cursor is unchanged"
    );
    let newcomer = server.data(page, json!({})).await;
    assert_eq!(newcomer["people"]["nodes"][0]["slug"], "aaron-aardvark");
    let node = server
        .data(
            "query($id: ID!) { node(id: $id) { ... on Person { slug } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(node["node"]["slug"], slug);
}

/// Kills the child when the test ends, pass or fail.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn hup(child: &Child) {
    let pid = child.0.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-HUP", &pid])
            .status()
            .unwrap()
            .success()
    );
}

/// The real binary, watching nothing: SIGHUP alone reloads, a broken catalogue is logged
/// with file and path and keeps the old data, a fixed one swaps in.
#[test]
fn sighup_reloads_the_binary() {
    let dir = seed_copy();
    let mut child = Child(
        Command::new(env!("CARGO_BIN_EXE_leap-graphql"))
            // A review database of its own, not ./data in the worktree.
            .env(
                "LEAP_DATABASE_URL",
                std::env::temp_dir().join(format!(
                    "leap-graphql-test-{}-{}/reviews.db",
                    std::process::id(),
                    line!()
                )),
            )
            .args(["serve", "--listen", "127.0.0.1:0", "--log-format", "json"])
            .args(["--watch-interval-ms", "0", "--seed"])
            .arg(dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut line = String::new();
    BufReader::new(child.0.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .expect("the ready line")
        .to_owned();
    let (logs, log_lines) = mpsc::channel::<Value>();
    let stderr = child.0.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Ok(v) = serde_json::from_str(&line) {
                let _ = logs.send(v);
            }
        }
    });
    let wait_for_log = |what: &str, pred: &dyn Fn(&Value) -> bool| {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match log_lines.recv_timeout(left) {
                Ok(v) if pred(&v) => return v,
                Ok(_) => {}
                Err(_) => panic!("no log line for {what}"),
            }
        }
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let title = || {
        rt.block_on(async {
            let r = reqwest::get(format!(
                "{url}?query=%7Bfilm(slug:%22leap%22)%7Btitle%7D%7D"
            ))
            .await
            .unwrap();
            let v: Value = r.json().await.unwrap();
            v["data"]["film"]["title"].as_str().unwrap().to_owned()
        })
    };
    assert_eq!(title(), "Leap");

    set_leap(dir.path(), "Broken", -5);
    hup(&child);
    let problem = wait_for_log("the problem", &|v| v["fields"]["file"] == "films.json");
    assert_eq!(problem["level"], "ERROR");
    assert_eq!(
        problem["fields"]["path"], "$[0].runtimeMinutes",
        "{problem}"
    );
    wait_for_log("the failed reload", &|v| {
        v["fields"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("still serving"))
    });
    assert_eq!(title(), "Leap");

    set_leap(dir.path(), "Leap, reloaded", 135);
    hup(&child);
    let ok = wait_for_log("the reload", &|v| {
        v["fields"]["message"] == "reloaded the seed directory"
    });
    assert_eq!(ok["fields"]["generation"], 2);
    assert_eq!(title(), "Leap, reloaded");
}
