//! Starts the real app on port 0 and speaks HTTP to it.

#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use leap_graphql::config::{Config, SeedSource};
use leap_graphql::http::{AppState, Server};
use leap_graphql::reload::{ManifestReloader, Reloader};
use serde_json::{Value, json};

pub mod plans;
pub mod skip;

pub struct TestServer {
    pub addr: SocketAddr,
    pub client: reqwest::Client,
}

/// The test config: the bundled seed on a free port.
pub fn config() -> Config {
    Config {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        ..Config::default()
    }
}

/// A server on a free port serving the bundled seed, in the background of this test's runtime.
pub async fn spawn() -> TestServer {
    spawn_with(config()).await
}

pub async fn spawn_with(config: Config) -> TestServer {
    start(config).await.0
}

/// A server and its state, for tests that act on the state (replacing the graph).
pub async fn spawn_state(config: Config) -> (TestServer, AppState) {
    let (server, state, _) = start(config).await;
    (server, state)
}

/// A server and what reloads its seed directory (none for the bundled seed).
pub async fn spawn_reloadable(config: Config) -> (TestServer, Option<Reloader>) {
    let (server, _, reloader) = start(config).await;
    (server, reloader)
}

/// A server and what reloads its trusted documents' manifest (`config.trusted.manifest`).
pub async fn spawn_trusted(config: Config) -> (TestServer, ManifestReloader) {
    let (server, manifest) = start_all(config).await;
    (server.0, manifest.expect("a manifest is configured"))
}

async fn start(config: Config) -> (TestServer, AppState, Option<Reloader>) {
    start_all(config).await.0
}

async fn start_all(
    config: Config,
) -> (
    (TestServer, AppState, Option<Reloader>),
    Option<ManifestReloader>,
) {
    let store = match &config.seed {
        SeedSource::Bundled => leap_graphql::seed::load_bundled(),
        SeedSource::Dir(dir) => leap_graphql::seed::load_dir(dir),
    }
    .expect("the seed loads");
    let reviews = leap_graphql::cli::open_reviews(&config)
        .await
        .expect("the review database opens");
    let state = AppState::with_reviews(config, store, reviews);
    state
        .load_trusted_documents()
        .expect("the trusted documents load");
    let server = Server::bind(state.clone()).await.expect("binds port 0");
    let addr = server.local_addr().expect("has an address");
    let reloader = server.reloader();
    let manifest = server.manifest_reloader();
    tokio::spawn(server.run());
    let server = TestServer {
        addr,
        client: reqwest::Client::new(),
    };
    ((server, state, reloader), manifest)
}

/// A configuration listening on a free port, serving `dir` with the watcher polling every
/// `watch` (or off).
pub fn dir_config(dir: &Path, watch: Option<Duration>) -> Config {
    let mut config = Config {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        seed: SeedSource::Dir(dir.to_owned()),
        ..Config::default()
    };
    config.reload.watch_interval = watch;
    config.reload.debounce = Duration::from_millis(50);
    config
}

/// A copy of the bundled seed in a temporary directory, to edit.
pub fn seed_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let seed = Path::new(env!("CARGO_MANIFEST_DIR")).join("seed");
    for entry in std::fs::read_dir(&seed).expect("the seed directory") {
        let path = entry.expect("an entry").path();
        if path.extension().is_some_and(|e| e == "json") {
            std::fs::copy(&path, dir.path().join(path.file_name().unwrap())).expect("copies");
        }
    }
    dir
}

/// Rewrites one seed file as an editor saving it would: to a temporary file, then renamed
/// over, so that a reload never reads half a file.
pub fn write_seed_file(dir: &Path, name: &str, contents: &str) {
    let tmp = dir.join(format!(".{name}.tmp"));
    std::fs::write(&tmp, contents).expect("writes");
    std::fs::rename(&tmp, dir.join(name)).expect("renames");
}

/// Edits the film `leap` in `dir`'s films.json.
pub fn set_leap(dir: &Path, title: &str, runtime: i64) {
    let path = dir.join("films.json");
    let mut films: Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("reads")).expect("JSON");
    let leap = films
        .as_array_mut()
        .and_then(|a| a.iter_mut().find(|f| f["slug"] == "leap"))
        .expect("the film leap");
    leap["title"] = json!(title);
    leap["runtimeMinutes"] = json!(runtime);
    write_seed_file(dir, "films.json", &films.to_string());
}

/// Polls `check` every 10 ms until it returns a value, failing after 10 s with `what`.
pub async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// One sample of a Prometheus text page.
#[derive(Debug, Clone)]
pub struct Sample {
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub value: f64,
}

/// Parses a Prometheus text page (format 0.0.4) strictly, panicking on anything malformed:
/// every sample line is `name{label="value",...} number`, and every sample belongs to a
/// family announced by `# HELP` and `# TYPE` (a histogram's `_bucket`, `_sum` and `_count`
/// belong to it).
pub fn parse_prometheus(page: &str) -> Vec<Sample> {
    let mut helped = BTreeSet::new();
    let mut types = BTreeMap::new();
    let mut samples = Vec::new();
    for line in page.lines() {
        if line.is_empty() {
            continue;
        }
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let (name, help) = rest.split_once(' ').expect("# HELP name text");
            assert!(!help.trim().is_empty(), "empty help: {line}");
            assert!(helped.insert(name.to_owned()), "two HELP lines for {name}");
            continue;
        }
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').expect("# TYPE name kind");
            assert!(
                ["counter", "gauge", "histogram", "summary", "untyped"].contains(&kind),
                "unknown type: {line}"
            );
            assert!(
                types.insert(name.to_owned(), kind.to_owned()).is_none(),
                "two TYPE lines for {name}"
            );
            continue;
        }
        assert!(
            !line.starts_with('#'),
            "a comment that is neither HELP nor TYPE: {line}"
        );
        samples.push(parse_sample(line));
    }
    for s in &samples {
        let family = if types.contains_key(&s.name) {
            s.name.clone()
        } else {
            ["_bucket", "_sum", "_count"]
                .iter()
                .find_map(|suffix| {
                    let base = s.name.strip_suffix(suffix)?;
                    (types.get(base).map(String::as_str) == Some("histogram"))
                        .then(|| base.to_owned())
                })
                .unwrap_or_else(|| panic!("{} has no # TYPE", s.name))
        };
        assert!(helped.contains(&family), "{family} has no # HELP");
        if types[&family] == "counter" {
            assert!(
                s.name.ends_with("_total"),
                "counter {} should end in _total",
                s.name
            );
        }
    }
    samples
}

fn parse_sample(line: &str) -> Sample {
    let is_name = |n: &str| {
        !n.is_empty()
            && !n.starts_with(|c: char| c.is_ascii_digit())
            && n.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
    };
    let (series, value) = line
        .rsplit_once(' ')
        .unwrap_or_else(|| panic!("no value: {line}"));
    let value: f64 = match value {
        "+Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        v => v.parse().unwrap_or_else(|_| panic!("not a number: {line}")),
    };
    let (name, labels) = match series.split_once('{') {
        None => (series, BTreeMap::new()),
        Some((name, rest)) => {
            let body = rest
                .strip_suffix('}')
                .unwrap_or_else(|| panic!("unclosed labels: {line}"));
            let mut labels = BTreeMap::new();
            let mut chars = body.chars().peekable();
            while chars.peek().is_some() {
                let key: String = chars.by_ref().take_while(|&c| c != '=').collect();
                assert!(is_name(&key), "bad label name {key:?}: {line}");
                assert_eq!(chars.next(), Some('"'), "label value not quoted: {line}");
                let mut value = String::new();
                loop {
                    match chars.next() {
                        Some('\\') => match chars.next() {
                            Some('n') => value.push('\n'),
                            Some(c @ ('\\' | '"')) => value.push(c),
                            other => panic!("bad escape {other:?}: {line}"),
                        },
                        Some('"') => break,
                        Some(c) => value.push(c),
                        None => panic!("unterminated label value: {line}"),
                    }
                }
                assert!(labels.insert(key, value).is_none(), "a label twice: {line}");
                match chars.next() {
                    Some(',') | None => {}
                    Some(c) => panic!("unexpected {c:?} after a label: {line}"),
                }
            }
            (name, labels)
        }
    };
    assert!(is_name(name), "bad metric name {name:?}: {line}");
    Sample {
        name: name.to_owned(),
        labels,
        value,
    }
}

impl TestServer {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// The parsed `/metrics` page.
    pub async fn metrics(&self) -> Vec<Sample> {
        let r = self
            .client
            .get(self.url("/metrics"))
            .send()
            .await
            .expect("the server answers");
        assert_eq!(r.status(), 200);
        parse_prometheus(&r.text().await.expect("a body"))
    }

    /// The value of the sample `name` with exactly these labels, if the page has it.
    pub async fn metric(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        let want: BTreeMap<String, String> = labels
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        self.metrics()
            .await
            .into_iter()
            .find(|s| s.name == name && s.labels == want)
            .map(|s| s.value)
    }

    /// POSTs a GraphQL request and returns the status and the JSON body.
    pub async fn post(&self, query: &str, variables: Value) -> (u16, Value) {
        self.post_body(&json!({ "query": query, "variables": variables }))
            .await
    }

    /// POSTs a JSON body as it is (any request parameters) and returns the status and the
    /// JSON body.
    pub async fn post_body(&self, body: &Value) -> (u16, Value) {
        let r = self
            .client
            .post(self.url("/graphql"))
            .header("content-type", "application/json")
            .header("accept", "application/graphql-response+json")
            .body(body.to_string())
            .send()
            .await
            .expect("the server answers");
        Self::status_and_json(r).await
    }

    /// GETs `/graphql` with these query parameters (URL-encoded here) and returns the status
    /// and the JSON body.
    pub async fn get_params(&self, params: &[(&str, String)]) -> (u16, Value) {
        let r = self
            .client
            .get(self.url("/graphql"))
            .query(params)
            .header("accept", "application/graphql-response+json")
            .send()
            .await
            .expect("the server answers");
        Self::status_and_json(r).await
    }

    async fn status_and_json(r: reqwest::Response) -> (u16, Value) {
        let status = r.status().as_u16();
        let text = r.text().await.expect("a body");
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    /// POSTs and asserts the response has data and no errors.
    pub async fn data(&self, query: &str, variables: Value) -> Value {
        let (status, body) = self.post(query, variables).await;
        assert_eq!(status, 200, "{body}");
        assert!(body.get("errors").is_none(), "unexpected errors: {body}");
        body["data"].clone()
    }

    /// POSTs and returns the first error's code.
    pub async fn error_code(&self, query: &str, variables: Value) -> String {
        let (_, body) = self.post(query, variables).await;
        body["errors"][0]["extensions"]["code"]
            .as_str()
            .unwrap_or_else(|| panic!("no error code in {body}"))
            .to_owned()
    }
}

/// The real binary serving on a free port, as a separate process (for what only a process
/// shows: `kill -9`, a signal's graceful stop). Killed when dropped.
pub struct ServerProcess {
    pub child: std::process::Child,
    pub addr: SocketAddr,
}

impl ServerProcess {
    /// `leap-graphql serve --listen 127.0.0.1:0 --database DB ARGS…`, once it prints its
    /// `listening on` line; its later output is read and dropped.
    pub fn start(db: &Path, args: &[&str]) -> ServerProcess {
        use std::io::{BufRead, BufReader};
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_leap-graphql"))
            .args(["serve", "--listen", "127.0.0.1:0", "--database"])
            .arg(db)
            .args(args)
            .env("LEAP_LOG", "warn")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("the server starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut lines = BufReader::new(stdout).lines();
        let addr = loop {
            let line = lines
                .next()
                .expect("a `listening on` line")
                .expect("readable stdout");
            if let Some(rest) = line.strip_prefix("listening on http://") {
                break rest
                    .trim_end_matches("/graphql")
                    .parse()
                    .expect("an address");
            }
        };
        std::thread::spawn(move || for _ in lines {});
        ServerProcess { child, addr }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Sends SIGTERM, as a service manager stops a server.
    pub fn terminate(&self) {
        let status = std::process::Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
    }

    /// Waits up to `limit` for the process to exit; its status, or `None` if it had not.
    pub fn wait_for_exit(&mut self, limit: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().expect("waitable") {
                return Some(status);
            }
            if Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
