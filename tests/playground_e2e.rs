//! End-to-end test of the GraphiQL playground in a real browser, used as people use it.
//!
//! It starts the real server binary on a free loopback port and runs
//! `tests/e2e/playground.mjs`, which drives Debian's Chromium through playwright-core with a
//! persistent profile launched twice: the example runs; the stored query is replaced by typing
//! and by pasting, and both run; one of two named operations is picked and run; variables typed
//! in the variables pane are sent; a reload keeps working; the frontends' `ReviewAdded`
//! subscription runs over the page's WebSocket and the reviews the script adds meanwhile (over
//! HTTP) appear in the result pane; and no request leaves the server's origin. On failure the script saves a screenshot under `target/tmp/playground-e2e/` and
//! prints its path. Node.js, `tests/e2e/node_modules` (`npm ci` there) and `/usr/bin/chromium`
//! are needed (`.ci/install-e2e` installs them); without them the test prints one `SKIPPED:`
//! line on a developer machine and fails in CI (`CI=true`), where they must exist.

#[path = "common/skip.rs"]
mod skip;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

/// How long the server may take to print its listening line.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(30);
/// A little more than the script's own hard timeout, in case node itself gets stuck.
const SCRIPT_TIMEOUT: Duration = Duration::from_secs(90);
const CHROMIUM: &str = "/usr/bin/chromium";

/// Kills the child process when dropped, so that neither the server nor the browser script
/// outlives the test, even when an assertion fails half-way.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn playground_runs_queries_and_a_live_subscription_in_chromium() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    if !prerequisites_met(&root) {
        return;
    }

    let mut server = KillOnDrop(
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
            .args(["serve", "--listen", "127.0.0.1:0"])
            // Warnings and errors only: the access lines would bury the script's own report.
            .env("LEAP_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the leap-graphql binary starts"),
    );
    let addr = listening_address(&mut server.0);

    let url = format!("http://{addr}/");
    let screenshots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("playground-e2e");
    let mut script = KillOnDrop(
        Command::new("node")
            .arg("tests/e2e/playground.mjs")
            .arg(&url)
            .arg(&screenshots)
            .current_dir(&root)
            .stdin(Stdio::null())
            .spawn()
            .expect("node starts"),
    );
    let status = wait_with_timeout(&mut script.0, SCRIPT_TIMEOUT);
    assert!(
        status.is_some_and(|s| s.success()),
        "the playground e2e script failed against {url} (status {status:?}); its output above says \
         why, and a screenshot of the page is in {}",
        screenshots.display()
    );
}

/// Checks for Node.js, playwright-core and Chromium, and decides what their absence means: a
/// failure in CI, which is meant to run every test, and a loud skip elsewhere.
fn prerequisites_met(root: &Path) -> bool {
    let mut missing = Vec::new();
    let node = Command::new("node")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    if !node.is_ok_and(|s| s.success()) {
        missing.push("`node` on PATH (install Node.js)");
    }
    if !root
        .join("tests/e2e/node_modules/playwright-core/package.json")
        .is_file()
    {
        missing.push("tests/e2e/node_modules/playwright-core (run `npm ci` in tests/e2e)");
    }
    if !Path::new(CHROMIUM).is_file() {
        missing.push("/usr/bin/chromium (apt-get install chromium)");
    }
    if missing.is_empty() {
        return true;
    }
    let what = missing.join(", ");
    skip::skip(
        "playground e2e test",
        &format!("missing {what}; run `.ci/install-e2e` as root to install them"),
    );
    false
}

/// Reads the server's stdout until its `listening on http://ADDR/graphql` line and returns
/// ADDR, then keeps draining stdout in the background so the server never blocks on a full pipe.
fn listening_address(server: &mut Child) -> String {
    let stdout = server.stdout.take().expect("the server's stdout is piped");
    let (sender, receiver) = mpsc::channel();
    thread::spawn(move || {
        let mut sent = false;
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            let addr = line
                .strip_prefix("listening on http://")
                .and_then(|rest| rest.strip_suffix("/graphql"))
                .filter(|addr| addr.parse::<SocketAddr>().is_ok());
            if !sent && let Some(addr) = addr {
                let _ = sender.send(addr.to_owned());
                sent = true;
                continue;
            }
            println!("server: {line}");
        }
    });
    match receiver.recv_timeout(STARTUP_TIMEOUT) {
        Ok(addr) => addr,
        Err(_) => {
            let exited = server.try_wait().ok().flatten();
            panic!(
                "the server printed no `listening on http://ADDR/graphql` line within {STARTUP_TIMEOUT:?} (exit status: {exited:?})"
            );
        }
    }
}

/// Waits for a child to exit, killing it after `timeout`; `None` means it had to be killed.
fn wait_with_timeout(child: &mut Child, timeout: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + timeout;
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Some(status),
            Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(100)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
        }
    }
}
