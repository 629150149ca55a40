//! The command line, run as a user would run it.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

/// The binary, with a review database of its own in the temporary directory: a server holds
/// its database's lock, so tests running at once must not share one (and must not create
/// `./data/` in the worktree).
fn bin() -> Command {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let db = std::env::temp_dir().join(format!(
        "leap-graphql-cli-test-{}-{n}/reviews.db",
        std::process::id()
    ));
    let mut command = Command::new(env!("CARGO_BIN_EXE_leap-graphql"));
    command.env("LEAP_DATABASE_URL", db);
    command
}

#[test]
fn schema_prints_the_committed_sdl() {
    let out = bin().arg("schema").output().unwrap();
    assert!(out.status.success());
    let committed =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql")).unwrap();
    assert_eq!(String::from_utf8(out.stdout).unwrap(), committed);
}

#[test]
fn query_runs_without_a_server() {
    let out = bin()
        .args([
            "query",
            "query($s: String!) { film(slug: $s) { originalTitle runtimeMinutes } }",
            "--variables",
            r#"{"s":"leap"}"#,
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["data"]["film"]["originalTitle"], "夺冠");
    assert_eq!(v["data"]["film"]["runtimeMinutes"], 135);
    let bad = bin().args(["query", "{ nope }"]).output().unwrap();
    assert!(!bad.status.success());
    let bad_vars = bin()
        .args(["query", "{ films { totalCount } }", "--variables", "[1]"])
        .output()
        .unwrap();
    assert!(!bad_vars.status.success());
}

/// `query` goes through the same engine as the server, guard included: a fragment fan-out
/// (ten fragments, each spreading the next ten times: 10^9 fields) is refused with the
/// guard's code, as `tests/hostile.rs` sees the server refuse it, instead of being validated.
#[test]
fn query_refuses_a_fragment_fan_out_as_the_server_does() {
    let mut doc = String::from(r#"{ film(slug: "leap") { ...F0 } }"#);
    for i in 0..9 {
        let spreads = vec![format!("...F{}", i + 1); 10].join(" ");
        doc.push_str(&format!(" fragment F{i} on Film {{ {spreads} }}"));
    }
    doc.push_str(" fragment F9 on Film { title }");
    let out = bin().args(["query", &doc]).output().unwrap();
    assert!(!out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["errors"][0]["extensions"]["code"], "TOO_MANY_FIELDS");
    assert!(v.get("data").is_none(), "refused before execution: {v}");
}

#[test]
fn check_reports_every_problem_and_fails() {
    let ok = bin().arg("check").output().unwrap();
    assert!(ok.status.success());
    assert!(String::from_utf8_lossy(&ok.stdout).starts_with("ok: films 4, people 13,"));

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("films.json"),
        r#"[{"slug": "x", "title": "X", "runtimeMinutes": -5, "sources": ["nope"]}]"#,
    )
    .unwrap();
    std::fs::write(dir.path().join("tracks.json"), "[{").unwrap();
    let out = bin()
        .arg("check")
        .arg("--seed")
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(
            "films.json: $[0].runtimeMinutes: expected a whole number of at least 1, found -5"
        ),
        "{text}"
    );
    // No sources.json at all: said as such, once, rather than as a missing source.
    assert!(
        text.contains(
            "sources.json: $: the file is missing, but other files refer to 1 source in it \
             (1 reference, the first: films.json $[0].sources[0] names \"nope\")"
        ),
        "{text}"
    );
    assert!(text.contains("tracks.json: $: invalid JSON"), "{text}");

    // An exact duplicate in a file without slugs (the bundled seed's first coaching stint,
    // given again at the end) is reported at its position with the first's, and refused.
    let dir = tempfile::tempdir().unwrap();
    let seed = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("seed");
    for (name, _) in leap_graphql::seed::BUNDLED {
        std::fs::copy(seed.join(name), dir.path().join(name)).unwrap();
    }
    let path = dir.path().join("coaching.json");
    let mut coaching: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let list = coaching.as_array_mut().unwrap();
    let again = list[0].clone();
    list.push(again);
    let last = list.len() - 1;
    std::fs::write(&path, coaching.to_string()).unwrap();
    let out = bin()
        .arg("check")
        .arg("--seed")
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        text.trim_end(),
        format!("coaching.json: $[{last}]: duplicate record: the same as $[0]\n1 problem")
    );

    let missing = bin()
        .args(["check", "--seed", "/no/such/dir"])
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stdout).contains("cannot read the seed directory"));
}

/// Kills the child when the test ends, pass or fail.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `serve` with its stdout piped and `stderr` as given, and reads its one ready line:
/// the server and its GraphQL URL.
fn serving(serve: &mut Command, stderr: Stdio) -> (Child, String) {
    let mut child = Child(
        serve
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("the server starts"),
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
    (child, url)
}

#[test]
fn serve_prints_one_line_with_the_real_port_and_answers() {
    let (_child, url) = serving(
        bin().args(["serve", "--listen", "127.0.0.1:0"]),
        Stdio::null(),
    );
    assert!(
        url.starts_with("http://127.0.0.1:") && url.ends_with("/graphql"),
        "{url}"
    );
    assert!(!url.contains(":0/"), "the real port, not 0: {url}");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let health = reqwest::get(url.replace("/graphql", "/healthz"))
            .await
            .unwrap();
        assert_eq!(health.status(), 200);
        let r = reqwest::get(format!(
            "{url}?query=%7Bfilm(slug:%22leap%22)%7Btitle%7D%7D"
        ))
        .await
        .unwrap();
        assert_eq!(r.status(), 200);
        let v: serde_json::Value = r.json().await.unwrap();
        assert_eq!(v["data"]["film"]["title"], "Leap");
    });
}

/// The limit flags reach the server: `--max-depth 2` refuses a depth-3 query that the default
/// allows, and `LEAP_MAX_BODY_BYTES` (the flag's environment variable) a body the default takes.
#[test]
fn serve_applies_the_limit_flags_and_their_environment_variables() {
    let mut child = Child(
        bin()
            .args(["serve", "--listen", "127.0.0.1:0", "--max-depth", "2"])
            .env("LEAP_MAX_BODY_BYTES", "200")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let stdout = child.0.stdout.take().unwrap();
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .expect("the ready line")
        .to_owned();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let client = reqwest::Client::new();
        let post = |query: String| {
            client
                .post(&url)
                .header("content-type", "application/json")
                .body(serde_json::json!({ "query": query }).to_string())
                .send()
        };
        let r = post(r#"{ film(slug: "leap") { title } }"#.into())
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let r = post(r#"{ film(slug: "leap") { directors { name } } }"#.into())
            .await
            .unwrap();
        let v: serde_json::Value = r.json().await.unwrap();
        assert_eq!(v["errors"][0]["extensions"]["code"], "TOO_DEEP", "{v}");
        let r = post(format!("{{ __typename }} #{}", "x".repeat(200)))
            .await
            .unwrap();
        assert_eq!(r.status(), 413);
    });
}

#[test]
fn serve_refuses_a_broken_seed_with_the_report() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("people.json"),
        r#"[{"slug": "Bad Slug", "name": "X"}]"#,
    )
    .unwrap();
    let out = bin()
        .args(["serve", "--listen", "127.0.0.1:0", "--seed"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(
        text.contains("people.json: $[0].slug: \"Bad Slug\" is not a slug"),
        "{text}"
    );
}

/// SIGTERM stops the server cleanly, and every request left one structured log line, in a span
/// with its method, path, request id and (for GraphQL) operation name.
#[test]
fn sigterm_shuts_down_and_each_request_logs_one_line() {
    let (mut child, url) = serving(
        bin().args(["serve", "--listen", "127.0.0.1:0", "--log-format", "json"]),
        Stdio::piped(),
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        for _ in 0..3 {
            assert_eq!(
                reqwest::get(url.replace("/graphql", "/healthz"))
                    .await
                    .unwrap()
                    .status(),
                200
            );
        }
        let r = reqwest::Client::new()
            .post(&url)
            .header("content-type", "application/json")
            .header("x-request-id", "trace-me-1")
            .body(r#"{"query":"query Hello { __typename }","operationName":"Hello"}"#)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["x-request-id"], "trace-me-1");
    });
    let pid = child.0.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let status = child.0.wait().unwrap();
    assert!(status.success(), "a clean exit on SIGTERM, not {status}");
    let mut logs = String::new();
    std::io::Read::read_to_string(&mut child.0.stderr.take().unwrap(), &mut logs).unwrap();
    let request_lines: Vec<serde_json::Value> = logs
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["fields"]["message"] == "finished processing request")
        .collect();
    assert_eq!(request_lines.len(), 4, "one line per request:\n{logs}");
    assert!(
        request_lines[..3]
            .iter()
            .all(|v| v["fields"]["status"] == 200
                && v["span"]["path"] == "/healthz"
                && v["span"]["method"] == "GET"
                && v["span"]["request_id"]
                    .as_str()
                    .is_some_and(|id| id.len() == 25)),
        "{logs}"
    );
    let graphql = &request_lines[3]["span"];
    assert_eq!(graphql["path"], "/graphql", "{logs}");
    assert_eq!(graphql["request_id"], "trace-me-1", "{logs}");
    assert_eq!(graphql["operation"], "Hello", "{logs}");
}

/// A stop lets the request in flight finish (its answer says `connection: close`), closes idle
/// connections (one that never sent a byte too) at once, and refuses new ones; the server
/// then exits cleanly.
#[test]
fn sigterm_finishes_the_request_in_flight_and_closes_idle_connections() {
    let mut serve = bin();
    serve.args(["serve", "--listen", "127.0.0.1:0"]);
    finishes_in_flight_and_closes_idle(serve);
}

/// The same on one core (as the benchmark runs the server), where the server runs on a
/// single-threaded runtime.
#[test]
fn sigterm_on_one_core_finishes_in_flight_too() {
    let mut serve = Command::new("taskset");
    serve
        .args(["-c", "0"])
        .arg(env!("CARGO_BIN_EXE_leap-graphql"))
        .args(["serve", "--listen", "127.0.0.1:0"]);
    finishes_in_flight_and_closes_idle(serve);
}

fn finishes_in_flight_and_closes_idle(mut serve: Command) {
    use std::io::{Read, Write};
    use std::net::TcpStream;
    use std::time::Duration;

    // (`taskset`, for the one-core case, is in util-linux.)
    let (mut child, url) = serving(&mut serve, Stdio::null());
    let addr = url
        .strip_prefix("http://")
        .and_then(|rest| rest.strip_suffix("/graphql"))
        .unwrap()
        .to_owned();
    let connect = || {
        let s = TcpStream::connect(&addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        s
    };
    let read_all = |mut s: TcpStream| {
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        out
    };
    let mut kept_alive = connect();
    kept_alive
        .write_all(b"GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n")
        .unwrap();
    let mut first = [0u8; 15];
    kept_alive.read_exact(&mut first).unwrap();
    assert_eq!(&first, b"HTTP/1.1 200 OK");
    let silent = connect();
    // A request whose body has not all arrived yet is in flight.
    let body = br#"{"query":"{ __typename }"}"#;
    let mut in_flight = connect();
    write!(
        in_flight,
        "POST /graphql HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n\
         content-length: {}\r\n\r\n",
        body.len()
    )
    .unwrap();
    in_flight.write_all(&body[..5]).unwrap();
    std::thread::sleep(Duration::from_millis(200));

    let pid = child.0.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    // Idle connections are closed (the kept-alive one after the rest of its answer).
    assert!(!read_all(kept_alive).contains("HTTP/1.1"));
    assert_eq!(read_all(silent), "");
    assert!(
        child.0.try_wait().unwrap().is_none(),
        "the server waits for the request in flight"
    );
    assert!(
        TcpStream::connect(&addr).is_err(),
        "no new connection once stopping"
    );
    in_flight.write_all(&body[5..]).unwrap();
    let answer = read_all(in_flight);
    assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
    assert!(answer.contains("\r\nconnection: close\r\n"), "{answer}");
    assert!(
        answer.ends_with(r#"{"data":{"__typename":"Query"}}"#),
        "{answer}"
    );
    let status = child.0.wait().unwrap();
    assert!(status.success(), "a clean exit on SIGTERM, not {status}");
}

/// `--response-cache-entries 0` turns the response cache off (the benchmarks' cache-miss runs
/// and bench/catalogue.sh use it): the same request three times is three misses and no hit,
/// where the default keeps the first answer and serves the next two from the cache.
#[test]
fn serve_turns_the_response_cache_off_with_zero_entries() {
    let lookups = |flags: &[&str]| -> (u64, u64) {
        let mut serve = bin();
        serve.args(["serve", "--listen", "127.0.0.1:0"]).args(flags);
        let (_child, url) = serving(&mut serve, Stdio::null());
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let client = reqwest::Client::new();
            let body = serde_json::json!({ "query": "{ film(slug: \"leap\") { title } }" });
            for _ in 0..3 {
                let r = client
                    .post(&url)
                    .header("content-type", "application/json")
                    .body(body.to_string())
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), 200);
            }
            let text = reqwest::get(url.replace("/graphql", "/metrics"))
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            let count = |result: &str| {
                let series = format!(
                    "leap_graphql_cache_lookups_total{{cache=\"response\",result=\"{result}\"}} "
                );
                text.lines()
                    .find_map(|l| l.strip_prefix(&series))
                    .and_then(|n| n.trim().parse::<u64>().ok())
                    .unwrap_or_else(|| panic!("no {series} in\n{text}"))
            };
            (count("hit"), count("miss"))
        })
    };
    assert_eq!(lookups(&[]), (2, 1), "the default keeps answers");
    assert_eq!(lookups(&["--response-cache-entries", "0"]), (0, 3));
}
