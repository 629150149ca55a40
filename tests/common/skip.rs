//! What a test does when something it drives (Chromium, npm packages) is missing here: one
//! clear line on the process's stderr, or, under `CI=true` (which `.ci/run` sets), a failure,
//! so that CI never counts a test that did not run as passed.

use std::io::Write;

/// Says that `test` cannot run here and why, in one line, and returns (the caller returns
/// too); under `CI=true`, fails instead.
pub fn skip(test: &str, why: &str) {
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{test} cannot run under CI=true: {why}");
    }
    // Straight to the process's stderr: libtest captures `eprintln!` of a test that passes,
    // and a skip must not pass unseen.
    let _ = writeln!(
        std::io::stderr(),
        "SKIPPED: {test}: {why} (with CI=true this test fails instead)"
    );
}
