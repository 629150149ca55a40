//! GraphQL-over-HTTP conformance: runs graphql-http's server audits (tests/audit/audit.mjs)
//! against the real server binary and fails unless every audit is 'ok', warnings included.
//!
//! Needs Node.js and `tests/audit/node_modules` (`.ci/install-audit` installs them). Without
//! them the test fails under CI=true and is skipped, loudly, elsewhere.

#[path = "common/skip.rs"]
mod skip;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// The server process, killed however the test ends.
struct ServerProcess(Child);

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `leap-graphql serve` on a free port and returns it with its GraphQL URL, read from
/// the `listening on http://ADDR/graphql` line it prints.
fn start_server() -> (ServerProcess, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_leap-graphql"))
        // A review database of its own, not ./data in the worktree.
        .env(
            "LEAP_DATABASE_URL",
            std::env::temp_dir().join(format!(
                "leap-graphql-test-{}-{}/reviews.db",
                std::process::id(),
                line!()
            )),
        )
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the server binary starts");
    let stdout = child.stdout.take().expect("stdout is piped");
    let server = ServerProcess(child);
    // Read stdout on a thread so that a server that never prints cannot hang the test, and
    // keep draining it afterwards so that the server never blocks on a full pipe.
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(url) = line.strip_prefix("listening on ") {
                let _ = tx.send(url.trim().to_owned());
            }
        }
    });
    let url = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("the server prints `listening on http://ADDR/graphql` within 30 s");
    assert!(
        url.starts_with("http://") && url.ends_with("/graphql"),
        "unexpected address line: {url}"
    );
    (server, url)
}

/// Whether the audit can run here; if not, says why.
fn audit_prerequisites(dir: &Path) -> Result<(), String> {
    match Command::new("node").arg("--version").output() {
        Ok(out) if out.status.success() => {}
        _ => return Err("`node` is not on PATH".into()),
    }
    if !dir.join("node_modules/graphql-http/package.json").is_file() {
        return Err(format!(
            "{} has no node_modules; run .ci/install-audit",
            dir.display()
        ));
    }
    Ok(())
}

#[test]
fn graphql_http_audit_passes_without_warnings() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    if let Err(why) = audit_prerequisites(&root.join("tests/audit")) {
        skip::skip("graphql-http audit", &why);
        return;
    }
    let (_server, url) = start_server();
    // audit.mjs has its own 60 s deadline, so this cannot hang.
    let out = Command::new("node")
        .arg("tests/audit/audit.mjs")
        .arg(&url)
        .current_dir(root)
        .stdin(Stdio::null())
        .output()
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}");
    eprintln!("{stderr}");
    assert!(
        out.status.success(),
        "the graphql-http audit failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
}
