//! Trusted documents over real sockets: a manifest in either form, documents named by
//! `extensions.persistedQuery.sha256Hash` or `documentId` over POST and GET, what is refused
//! with `--only-trusted-documents` (text, introspection, automatic persisted query
//! registration) and what `--allow-introspection` lets back in, reloads on change and on
//! SIGHUP that drop the response cache, a bad manifest kept out, and `leap-graphql manifest`.

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{TestServer, eventually, spawn_trusted};
use leap_graphql::config::{Config, Trusted};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const FILM: &str = "query Film($slug: String!) { film(slug: $slug) { title } }";
const TEAMS: &str = "query Teams { teams(first: 2) { nodes { slug } } }";
const NOT_TRUSTED: &str = "query Other { film(slug: \"leap\") { runtimeMinutes } }";
const INTROSPECTION: &str = "query Schema { __schema { queryType { name } } }";
const MIXED: &str = "query Mixed { __typename film(slug: \"leap\") { title } }";

fn sha(text: &str) -> String {
    format!("{:x}", Sha256::digest(text.as_bytes()))
}

/// The two forms of a manifest clients' tooling writes.
#[derive(Clone, Copy, Debug)]
enum Form {
    Apollo,
    Flat,
}

fn manifest(form: Form, documents: &[&str]) -> String {
    match form {
        Form::Apollo => json!({
            "format": "apollo-persisted-query-manifest",
            "version": 1,
            "operations": documents.iter().map(|d| json!({
                "id": sha(d), "body": d, "name": "Op", "type": "query",
            })).collect::<Vec<_>>(),
        }),
        Form::Flat => Value::Object(
            documents
                .iter()
                .map(|d| (sha(d), Value::from(*d)))
                .collect(),
        ),
    }
    .to_string()
}

/// Writes a file as an editor saving it would: to a temporary file, renamed over.
fn write(path: &Path, text: &str) {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

fn config(path: &Path, only: bool, allow_introspection: bool, watch: Option<u64>) -> Config {
    let mut config = common::config();
    config.trusted = Trusted {
        manifest: Some(path.to_owned()),
        only,
        allow_introspection,
    };
    config.reload.watch_interval = watch.map(Duration::from_millis);
    config.reload.debounce = Duration::from_millis(30);
    config
}

fn apq(hash: &str) -> Value {
    json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } })
}

/// What a request should get: the status and either a part of `data` or an error code.
#[derive(Clone, Debug)]
enum Want {
    Data(Value),
    Code(u16, &'static str),
}

fn leap() -> Want {
    Want::Data(json!({ "film": { "title": "Leap" } }))
}

/// How a request is sent.
#[derive(Clone, Debug)]
enum Via {
    Post(Value),
    Get(Vec<(&'static str, String)>),
}

async fn send(server: &TestServer, how: &Via) -> (u16, Value) {
    match how {
        Via::Post(body) => server.post_body(body).await,
        Via::Get(params) => server.get_params(params).await,
    }
}

fn check(case: &str, (status, body): (u16, Value), want: &Want) {
    match want {
        Want::Data(data) => {
            assert_eq!(status, 200, "{case}: {body}");
            assert!(body.get("errors").is_none(), "{case}: {body}");
            assert_eq!(&body["data"], data, "{case}");
        }
        Want::Code(want_status, code) => {
            assert_eq!(status, *want_status, "{case}: {body}");
            assert_eq!(
                body["errors"][0]["extensions"]["code"], *code,
                "{case}: {body}"
            );
            assert!(
                body.get("data").is_none(),
                "{case}: a refusal has no data: {body}"
            );
        }
    }
}

/// Every way of naming a document, against both forms of the manifest and the three
/// policies: open (trusted documents beside anything else), only trusted documents, and only
/// trusted documents with introspection.
#[tokio::test]
async fn documents_by_hash_and_id_in_every_mode() {
    let leap_vars = json!({ "slug": "leap" });
    let film = sha(FILM);
    let unknown = sha("query Unknown { __typename }");
    let teams =
        json!({ "teams": { "nodes": [{ "slug": "brazil-women" }, { "slug": "china-women" }] } });
    // (case, request, open, only, only with introspection)
    let rows: Vec<(&str, Via, Want, Want, Want)> = vec![
        (
            "sha256Hash, POST",
            Via::Post(json!({ "extensions": apq(&film), "variables": leap_vars })),
            leap(),
            leap(),
            leap(),
        ),
        (
            "sha256Hash, POST again (a response-cache hit)",
            Via::Post(json!({ "extensions": apq(&film), "variables": leap_vars })),
            leap(),
            leap(),
            leap(),
        ),
        (
            "documentId, POST",
            Via::Post(json!({ "documentId": film, "variables": leap_vars })),
            leap(),
            leap(),
            leap(),
        ),
        (
            "documentId with its sha256: prefix, GET",
            Via::Get(vec![
                ("documentId", format!("sha256:{film}")),
                ("variables", leap_vars.to_string()),
            ]),
            leap(),
            leap(),
            leap(),
        ),
        (
            "sha256Hash, GET",
            Via::Get(vec![("extensions", apq(&sha(TEAMS)).to_string())]),
            Want::Data(teams.clone()),
            Want::Data(teams.clone()),
            Want::Data(teams.clone()),
        ),
        (
            "the text of a trusted document",
            Via::Post(json!({ "query": FILM, "variables": leap_vars })),
            leap(),
            leap(),
            leap(),
        ),
        (
            "an unknown documentId",
            Via::Post(json!({ "documentId": unknown })),
            Want::Code(400, "TRUSTED_DOCUMENT_NOT_FOUND"),
            Want::Code(400, "TRUSTED_DOCUMENT_NOT_FOUND"),
            Want::Code(400, "TRUSTED_DOCUMENT_NOT_FOUND"),
        ),
        (
            "an unknown sha256Hash",
            Via::Post(json!({ "extensions": apq(&unknown) })),
            Want::Code(400, "PERSISTED_QUERY_NOT_FOUND"),
            Want::Code(400, "TRUSTED_DOCUMENT_NOT_FOUND"),
            Want::Code(400, "TRUSTED_DOCUMENT_NOT_FOUND"),
        ),
        (
            "automatic persisted query registration",
            Via::Post(json!({ "query": NOT_TRUSTED, "extensions": apq(&sha(NOT_TRUSTED)) })),
            Want::Data(json!({ "film": { "runtimeMinutes": 135 } })),
            Want::Code(400, "TRUSTED_DOCUMENT_REQUIRED"),
            Want::Code(400, "TRUSTED_DOCUMENT_REQUIRED"),
        ),
        (
            "a document sent as text",
            Via::Post(json!({ "query": NOT_TRUSTED })),
            Want::Data(json!({ "film": { "runtimeMinutes": 135 } })),
            Want::Code(400, "TRUSTED_DOCUMENT_REQUIRED"),
            Want::Code(400, "TRUSTED_DOCUMENT_REQUIRED"),
        ),
        (
            "a document sent as text, GET",
            Via::Get(vec![("query", NOT_TRUSTED.to_owned())]),
            Want::Data(json!({ "film": { "runtimeMinutes": 135 } })),
            Want::Code(400, "TRUSTED_DOCUMENT_REQUIRED"),
            Want::Code(400, "TRUSTED_DOCUMENT_REQUIRED"),
        ),
        (
            "introspection sent as text",
            Via::Post(json!({ "query": INTROSPECTION })),
            Want::Data(json!({ "__schema": { "queryType": { "name": "Query" } } })),
            Want::Code(400, "TRUSTED_DOCUMENT_REQUIRED"),
            Want::Data(json!({ "__schema": { "queryType": { "name": "Query" } } })),
        ),
        (
            "introspection again (its answer is cached)",
            Via::Post(json!({ "query": INTROSPECTION })),
            Want::Data(json!({ "__schema": { "queryType": { "name": "Query" } } })),
            Want::Code(400, "TRUSTED_DOCUMENT_REQUIRED"),
            Want::Data(json!({ "__schema": { "queryType": { "name": "Query" } } })),
        ),
        (
            "introspection beside a field",
            Via::Post(json!({ "query": MIXED })),
            Want::Data(json!({ "__typename": "Query", "film": { "title": "Leap" } })),
            Want::Code(400, "TRUSTED_DOCUMENT_REQUIRED"),
            Want::Code(400, "TRUSTED_DOCUMENT_REQUIRED"),
        ),
        (
            "both query and documentId",
            Via::Post(json!({ "query": FILM, "documentId": film, "variables": leap_vars })),
            Want::Code(400, "BAD_REQUEST"),
            Want::Code(400, "BAD_REQUEST"),
            Want::Code(400, "BAD_REQUEST"),
        ),
        (
            "a documentId that is no SHA-256",
            Via::Post(json!({ "documentId": "md5:0123" })),
            Want::Code(400, "BAD_REQUEST"),
            Want::Code(400, "BAD_REQUEST"),
            Want::Code(400, "BAD_REQUEST"),
        ),
        (
            "a trusted hash with another document's text",
            Via::Post(json!({ "query": NOT_TRUSTED, "extensions": apq(&film) })),
            Want::Code(400, "BAD_REQUEST"),
            Want::Code(400, "BAD_REQUEST"),
            Want::Code(400, "BAD_REQUEST"),
        ),
    ];
    for form in [Form::Apollo, Form::Flat] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("manifest.json");
        write(&path, &manifest(form, &[FILM, TEAMS]));
        for (mode, only, introspection) in [
            ("open", false, false),
            ("only", true, false),
            ("only, introspection", true, true),
        ] {
            let (server, _) = spawn_trusted(config(&path, only, introspection, None)).await;
            for (case, how, open_want, only_want, introspection_want) in &rows {
                let want = match (only, introspection) {
                    (false, _) => open_want,
                    (true, false) => only_want,
                    (true, true) => introspection_want,
                };
                let case = format!("{form:?} manifest, {mode}: {case}");
                check(&case, send(&server, how).await, want);
            }
        }
    }
}

/// An edit of the manifest is picked up by the watcher, a bad one is kept out (and logged),
/// and the response cache's answers made under the old manifest are not served under the
/// new one.
#[tokio::test]
async fn reloads_on_change_keeps_a_bad_manifest_out_and_drops_the_cache() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("manifest.json");
    write(&path, &manifest(Form::Flat, &[FILM]));
    let (server, reloader) = spawn_trusted(config(&path, true, false, Some(20))).await;
    let by_hash =
        Via::Post(json!({ "extensions": apq(&sha(FILM)), "variables": { "slug": "leap" } }));
    let teams = Via::Post(json!({ "documentId": sha(TEAMS) }));
    // Twice: the second answer comes from the response cache.
    for _ in 0..2 {
        check("before", send(&server, &by_hash).await, &leap());
    }
    check(
        "before",
        send(&server, &teams).await,
        &Want::Code(400, "TRUSTED_DOCUMENT_NOT_FOUND"),
    );

    // A wrong hash: the whole new manifest is refused and the old one keeps serving.
    let broken = json!({ sha(TEAMS): FILM }).to_string();
    write(&path, &broken);
    let e = reloader.reload().await.unwrap_err();
    assert!(e.contains("is not the SHA-256 of its document"), "{e}");
    assert!(e.contains("manifest.json"), "the error names the file: {e}");
    check("kept", send(&server, &by_hash).await, &leap());
    check(
        "kept",
        send(&server, &teams).await,
        &Want::Code(400, "TRUSTED_DOCUMENT_NOT_FOUND"),
    );
    // Not JSON at all, or missing: the same.
    write(&path, "{ not json");
    assert!(
        reloader
            .reload()
            .await
            .unwrap_err()
            .contains("not valid JSON")
    );
    std::fs::remove_file(&path).unwrap();
    assert!(reloader.reload().await.unwrap_err().contains("cannot read"));
    check("kept", send(&server, &by_hash).await, &leap());

    // The watcher picks up a good edit: FILM is gone (its cached answer with it), TEAMS in.
    write(&path, &manifest(Form::Apollo, &[TEAMS]));
    eventually("the new manifest", || async {
        let (status, _) = send(&server, &teams).await;
        (status == 200).then_some(())
    })
    .await;
    check(
        "after",
        send(&server, &by_hash).await,
        &Want::Code(400, "TRUSTED_DOCUMENT_NOT_FOUND"),
    );
}

/// Kills the child when the test ends, pass or fail.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn binary() -> Command {
    Command::new(env!("CARGO_BIN_EXE_leap-graphql"))
}

/// The real binary with only trusted documents and no watcher: SIGHUP alone reloads the
/// manifest; a manifest that does not load stops the server at start with a clear error.
#[test]
fn sighup_reloads_the_manifest_of_the_binary() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("manifest.json");
    write(&path, &json!({ sha(TEAMS): FILM }).to_string());
    let out = binary()
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--only-trusted-documents",
        ])
        .arg("--trusted-documents")
        .arg(&path)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("is not the SHA-256 of its document"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty(), "it never listened");

    write(&path, &manifest(Form::Apollo, &[FILM]));
    let mut child = Child(
        binary()
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--only-trusted-documents",
            ])
            .args(["--watch-interval-ms", "0", "--trusted-documents"])
            .arg(&path)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
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
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let code_of = |document: &str| {
        rt.block_on(async {
            let r = reqwest::Client::new()
                .post(&url)
                .json(&json!({ "documentId": sha(document), "variables": { "slug": "leap" } }))
                .send()
                .await
                .unwrap();
            let v: Value = r.json().await.unwrap();
            v["errors"][0]["extensions"]["code"]
                .as_str()
                .map(str::to_owned)
        })
    };
    assert_eq!(code_of(FILM), None);
    assert_eq!(
        code_of(TEAMS).as_deref(),
        Some("TRUSTED_DOCUMENT_NOT_FOUND")
    );

    write(&path, &manifest(Form::Flat, &[TEAMS]));
    let pid = child.0.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-HUP", &pid])
            .status()
            .unwrap()
            .success()
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while code_of(TEAMS).is_some() {
        assert!(
            Instant::now() < deadline,
            "SIGHUP did not reload the manifest"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(code_of(FILM).as_deref(), Some("TRUSTED_DOCUMENT_NOT_FOUND"));
}

/// `leap-graphql manifest` on the frontends' operations writes Apollo's manifest, one entry
/// per file with its hash, name and type, and a server given it runs exactly those.
#[tokio::test]
async fn the_manifest_command_writes_what_the_server_trusts() {
    let operations = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/operations");
    let out = binary().arg("manifest").arg(&operations).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let manifest: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(manifest["format"], "apollo-persisted-query-manifest");
    assert_eq!(manifest["version"], 1);
    let mut files: Vec<String> = std::fs::read_dir(&operations)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter_map(|n| n.strip_suffix(".graphql").map(str::to_owned))
        .collect();
    files.sort();
    let entries = manifest["operations"].as_array().unwrap();
    assert_eq!(entries.len(), files.len());
    for (entry, file) in entries.iter().zip(&files) {
        let body = std::fs::read_to_string(operations.join(format!("{file}.graphql"))).unwrap();
        assert_eq!(entry["body"], body.as_str(), "{file}: the file as it is");
        assert_eq!(entry["id"], sha(&body), "{file}");
        assert_eq!(entry["name"], file.as_str(), "{file}: named as its file");
        let ty = if body.trim_start().starts_with("mutation") {
            "mutation"
        } else if body.trim_start().starts_with("subscription") {
            "subscription"
        } else {
            "query"
        };
        assert_eq!(entry["type"], ty, "{file}");
    }

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("manifest.json");
    std::fs::write(&path, &out.stdout).unwrap();
    let (server, _) = spawn_trusted(config(&path, true, false, None)).await;
    let catalogue = std::fs::read_to_string(operations.join("Catalogue.graphql")).unwrap();
    let (status, body) = server
        .post_body(&json!({ "documentId": sha(&catalogue), "variables": { "first": 2 } }))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["films"]["nodes"].as_array().unwrap().len(), 2);
    assert_eq!(
        server
            .error_code(&catalogue.replace("first: $first", "first: 3"), json!({}))
            .await,
        "TRUSTED_DOCUMENT_REQUIRED",
        "a document edited by a byte is no longer trusted"
    );
}

#[test]
fn the_manifest_command_reports_every_bad_file() {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in [
        ("Anonymous.graphql", "{ films { totalCount } }"),
        ("Broken.graphql", "query Broken { films {"),
        (
            "Two.graphql",
            "query A { __typename } query B { __typename }",
        ),
        ("Good.graphql", "query Good { __typename }"),
        (
            "Again.graphql",
            "query Good { __typename films { totalCount } }",
        ),
        ("notes.txt", "not an operation"),
    ] {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    let out = binary().arg("manifest").arg(dir.path()).output().unwrap();
    assert!(!out.status.success());
    assert!(out.stdout.is_empty(), "no manifest with problems");
    let stderr = String::from_utf8_lossy(&out.stderr);
    for (file, says) in [
        ("Anonymous.graphql", "has no name"),
        ("Broken.graphql", ""),
        ("Two.graphql", "holds 2 operations"),
        ("Good.graphql", "Good is used by"),
    ] {
        assert!(
            stderr.lines().any(|l| l.contains(file) && l.contains(says)),
            "{file}: {says}: {stderr}"
        );
    }
    let empty = tempfile::tempdir().unwrap();
    let out = binary().arg("manifest").arg(empty.path()).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no .graphql files"));
}
