//! Every `curl` command in the README runs as printed against a real server on a free port
//! (only the address is changed): each answers JSON with `data` and no errors, except the
//! ones after a comment that calls them a mistake, which must answer with errors that say
//! what to write instead.

mod common;

use std::process::Command;

use serde_json::Value;

/// The README's `curl` commands, continuation lines joined, each with the comment line
/// above it.
fn curl_commands(readme: &str) -> Vec<(String, String)> {
    let mut commands = Vec::new();
    let mut comment = String::new();
    let mut lines = readme.lines();
    while let Some(line) = lines.next() {
        if line.starts_with("# ") {
            comment = line.to_owned();
            continue;
        }
        if !line.starts_with("curl ") {
            continue;
        }
        // A command goes on past a line that ends with a backslash, or inside a quoted
        // argument that spans lines.
        let mut command = line.to_owned();
        loop {
            let open_quote = command.matches('\'').count() % 2 == 1;
            if command.ends_with('\\') {
                command.pop();
            } else if open_quote {
                command.push('\n');
            } else {
                break;
            }
            match lines.next() {
                Some(next) => command.push_str(next),
                None => break,
            }
        }
        commands.push((comment.clone(), command));
    }
    commands
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_curl_command_in_the_readme_runs_as_printed() {
    let readme = include_str!("../README.md");
    let commands = curl_commands(readme);
    assert!(commands.len() >= 3, "found {commands:?}");
    if Command::new("curl").arg("--version").output().is_err() {
        common::skip::skip("README curl commands", "`curl` is not on PATH");
        return;
    }
    let server = common::spawn().await;
    let origin = format!("http://{}", server.addr);
    for (comment, command) in commands {
        let command = command.replace("http://127.0.0.1:8000", &origin);
        let run = command.clone();
        let out = tokio::task::spawn_blocking(move || {
            Command::new("sh")
                .arg("-c")
                .arg(&run)
                .output()
                .expect("sh runs")
        })
        .await
        .expect("the command ran");
        assert!(out.status.success(), "{command}: {out:?}");
        let body: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "{command}: not JSON ({e}): {}",
                String::from_utf8_lossy(&out.stdout)
            )
        });
        if comment.to_lowercase().contains("mistake") {
            let message = body["errors"][0]["message"].as_str().unwrap_or_default();
            assert!(message.contains("Did you mean"), "{command}: {body}");
        } else {
            assert!(body.get("errors").is_none(), "{command}: {body}");
            assert!(body["data"].is_object(), "{command}: {body}");
        }
    }
}
