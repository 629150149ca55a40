//! Build script that vendors the GraphiQL playground into the binary.
//!
//! The playground must work with no network access beyond the server itself, so the browser
//! files GraphiQL needs are fetched once, at build time, from the npm registry with the `npm`
//! client, checked against integrity strings pinned below, and left in `OUT_DIR` for
//! `src/http/playground.rs` to embed with `include_bytes!`.
//!
//! A missing `npm`, an unreachable registry or a failed check must never break the build of
//! the GraphQL server itself: in those cases the script prints a `cargo:warning`, sets
//! `cfg(playground_missing)` so that a small fallback page is served instead, and asks Cargo
//! to try again on the next build. Setting `LEAP_SKIP_PLAYGROUND=1` skips the fetch on
//! purpose (offline or hermetic builds) and stops those retries.

use std::env;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// One npm package to fetch, pinned by exact version and by the registry's `dist.integrity`.
struct Package {
    name: &'static str,
    version: &'static str,
    /// The Subresource Integrity string that `npm view NAME@VERSION dist.integrity` prints.
    integrity: &'static str,
    /// The members to take from the tarball, and the file name each gets in `OUT_DIR`.
    files: &'static [(&'static str, &'static str)],
}

/// The pinned packages: graphiql 4's UMD build reads React and ReactDOM from `window`, so the
/// React 18 UMD builds are all it needs besides its own script and stylesheet (fonts and images
/// are inlined into the stylesheet as `data:` URLs, and `graphql` is bundled into the script).
const PACKAGES: &[Package] = &[
    Package {
        name: "graphiql",
        version: "4.1.2",
        integrity: "sha512-rNlzQIAzm6i2KBXmVQWBgLvt0TloxFVB2d18bukvdsvjEuFDHsKx5IVOomL1W1o5WW+tE54+ioHb2AEKzO2cUg==",
        files: &[
            ("package/graphiql.min.js", "graphiql.min.js"),
            ("package/graphiql.min.css", "graphiql.min.css"),
            ("package/LICENSE", "LICENSE-graphiql"),
        ],
    },
    Package {
        name: "react",
        version: "18.3.1",
        integrity: "sha512-wS+hAgJShR0KhEvPJArfuPVN1+Hz1t0Y6n5jLrGQbkb4urgPE/0Rve+1kMB1v/oWgHgm4WIcV+i7F2pTVj+2iQ==",
        files: &[
            (
                "package/umd/react.production.min.js",
                "react.production.min.js",
            ),
            ("package/LICENSE", "LICENSE-react"),
        ],
    },
    Package {
        name: "react-dom",
        version: "18.3.1",
        integrity: "sha512-5m4nQKp+rZRb09LNH59GM4BxTh9251/ylbKIbpe7TpGxfJ+9kv6BLkLBXIjjspbgbnIBNqlI23tRnTWT0snUIw==",
        files: &[
            (
                "package/umd/react-dom.production.min.js",
                "react-dom.production.min.js",
            ),
            ("package/LICENSE", "LICENSE-react-dom"),
        ],
    },
];

/// How long one `npm pack` may take before it is given up, so that a registry that accepts
/// connections but never answers cannot hang the build.
const NPM_TIMEOUT: Duration = Duration::from_secs(240);

fn main() {
    println!("cargo::rustc-check-cfg=cfg(playground_missing)");
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-env-changed=LEAP_SKIP_PLAYGROUND");

    let Some(out_dir) = env::var_os("OUT_DIR").map(PathBuf::from) else {
        missing(
            "OUT_DIR is not set, so there is nowhere to put the playground files",
            false,
        );
        return;
    };
    let dir = out_dir.join("playground");

    if env::var("LEAP_SKIP_PLAYGROUND").is_ok_and(|v| !v.is_empty() && v != "0") {
        missing(
            "LEAP_SKIP_PLAYGROUND is set, so the GraphiQL playground was not fetched",
            false,
        );
        return;
    }

    let started = Instant::now();
    match vendor(&dir) {
        Ok(()) => {
            // Shown only with `cargo build -vv`: useful to see what a cold build spends here.
            eprintln!("playground files ready in {:.1?}", started.elapsed());
        }
        Err(err) => {
            // Try again on the next build: the likely fix (installing npm, getting online)
            // changes nothing Cargo would otherwise notice.
            let sentinel = dir.join("retry-on-next-build-until-this-exists");
            println!("cargo::rerun-if-changed={}", sentinel.display());
            missing(&err, true);
        }
    }
}

/// Switches the crate to the fallback page and tells the person building why.
fn missing(reason: &str, retry: bool) {
    println!(
        "cargo::warning=GraphiQL playground not built: {}",
        one_line(reason)
    );
    if retry {
        println!(
            "cargo::warning=the server still builds, serving a fallback page, and `POST /graphql` \
             works; fix the cause above (usually: install Node.js with npm, or reach the npm \
             registry) and build again, or set LEAP_SKIP_PLAYGROUND=1 to stop trying"
        );
    }
    println!("cargo::rustc-cfg=playground_missing");
}

/// Fetches, verifies and unpacks every pinned package into `dir`.
fn vendor(dir: &Path) -> Result<(), String> {
    let downloads = dir.join("downloads");
    fs::create_dir_all(&downloads)
        .map_err(|e| format!("cannot create {}: {e}", downloads.display()))?;

    let mut licenses = String::from(
        "The GraphiQL playground served by this program includes the following third-party \
         software.\n",
    );
    for package in PACKAGES {
        let tarball = downloads.join(format!("{}-{}.tgz", package.name, package.version));
        // A tarball left by an earlier run is reused only if it still matches its pin.
        let cached = tarball.is_file() && verify(&tarball, package.integrity).is_ok();
        if !cached {
            fetch(package, &downloads, &tarball)?;
            verify(&tarball, package.integrity)?;
        }
        extract(package, &tarball, dir)?;
        for (_, name) in package.files {
            if let Some(text) = name
                .strip_prefix("LICENSE-")
                .and_then(|_| fs::read_to_string(dir.join(name)).ok())
            {
                licenses.push_str(&format!(
                    "\n==== {}@{} ({}) ====\n\n{}\n",
                    package.name,
                    package.version,
                    package.integrity,
                    text.trim_end()
                ));
            }
        }
    }
    let notices = dir.join("THIRD_PARTY_LICENSES.txt");
    fs::write(&notices, licenses).map_err(|e| format!("cannot write {}: {e}", notices.display()))
}

/// Downloads one package tarball with `npm pack`, into a fresh directory first so that a
/// half-written file never takes the final name.
fn fetch(package: &Package, downloads: &Path, tarball: &Path) -> Result<(), String> {
    let spec = format!("{}@{}", package.name, package.version);
    let work = downloads.join(format!("tmp-{}", package.name));
    let _ = fs::remove_dir_all(&work);
    fs::create_dir_all(&work).map_err(|e| format!("cannot create {}: {e}", work.display()))?;
    let log_path = work.join("npm.log");
    let log = fs::File::create(&log_path)
        .map_err(|e| format!("cannot create {}: {e}", log_path.display()))?;
    let log_err = log
        .try_clone()
        .map_err(|e| format!("cannot reopen {}: {e}", log_path.display()))?;

    let npm = if cfg!(windows) { "npm.cmd" } else { "npm" };
    let mut child = Command::new(npm)
        .args(["pack", &spec, "--pack-destination", ".", "--ignore-scripts"])
        // Run from OUT_DIR so no package.json or .npmrc of the source tree is picked up, and
        // keep npm quiet and quick to give up: a failure here only means the fallback page.
        .current_dir(&work)
        .env("npm_config_update_notifier", "false")
        .env("npm_config_fund", "false")
        .env("npm_config_audit", "false")
        .env("npm_config_loglevel", "error")
        .env("npm_config_fetch_retries", "1")
        .env("npm_config_fetch_timeout", "60000")
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(log_err)
        .spawn()
        .map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => format!("`{npm}` was not found on PATH"),
            _ => format!("cannot run `{npm}`: {e}"),
        })?;

    let deadline = Instant::now() + NPM_TIMEOUT;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(100)),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "`npm pack {spec}` took longer than {NPM_TIMEOUT:?}"
                ));
            }
            Err(e) => return Err(format!("cannot wait for `npm pack {spec}`: {e}")),
        }
    };
    if !status.success() {
        let output = fs::read_to_string(&log_path).unwrap_or_default();
        let tail: Vec<&str> = output.lines().filter(|l| !l.trim().is_empty()).collect();
        let tail = tail[tail.len().saturating_sub(3)..].join(" / ");
        return Err(format!("`npm pack {spec}` failed ({status}): {tail}"));
    }

    let packed = fs::read_dir(&work)
        .map_err(|e| format!("cannot list {}: {e}", work.display()))?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .find(|path| path.extension().is_some_and(|ext| ext == "tgz"))
        .ok_or_else(|| format!("`npm pack {spec}` succeeded but left no .tgz file"))?;
    fs::rename(&packed, tarball).map_err(|e| format!("cannot move {}: {e}", packed.display()))?;
    let _ = fs::remove_dir_all(&work);
    Ok(())
}

/// Checks a tarball against its pinned `sha512-…` integrity string, so that what is embedded is
/// exactly what was reviewed, whatever registry or cache npm was configured to use.
fn verify(tarball: &Path, integrity: &str) -> Result<(), String> {
    let expected = integrity
        .strip_prefix("sha512-")
        .and_then(base64_decode)
        .filter(|bytes| bytes.len() == 64)
        .map(|bytes| bytes.iter().map(|b| format!("{b:02x}")).collect::<String>())
        .ok_or_else(|| format!("pinned integrity {integrity:?} is not a sha512 SRI string"))?;
    let actual = sha512_hex(tarball)?;
    if actual == expected {
        Ok(())
    } else {
        let _ = fs::remove_file(tarball);
        Err(format!(
            "integrity check failed for {}: expected sha512 {expected}, got {actual}",
            tarball.display()
        ))
    }
}

/// Hashes a file with whichever standard SHA-512 tool the machine has, to avoid adding a
/// build-dependency for a check that runs once.
fn sha512_hex(path: &Path) -> Result<String, String> {
    let file = path.as_os_str();
    let tools: [(&str, Vec<&std::ffi::OsStr>); 3] = [
        ("sha512sum", vec![file]),
        ("shasum", vec!["-a".as_ref(), "512".as_ref(), file]),
        (
            "openssl",
            vec!["dgst".as_ref(), "-sha512".as_ref(), "-r".as_ref(), file],
        ),
    ];
    for (tool, args) in tools {
        let Ok(output) = Command::new(tool).args(args).stdin(Stdio::null()).output() else {
            continue;
        };
        let text = String::from_utf8_lossy(&output.stdout);
        let digest = text
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        if output.status.success()
            && digest.len() == 128
            && digest.bytes().all(|b| b.is_ascii_hexdigit())
        {
            return Ok(digest);
        }
    }
    Err("no SHA-512 tool (sha512sum, shasum or openssl) is available to check the download".into())
}

/// Takes the needed members out of a verified tarball with the system `tar`, naming only
/// fixed member paths so that nothing else in the archive is ever written.
fn extract(package: &Package, tarball: &Path, dir: &Path) -> Result<(), String> {
    let unpack = dir.join(format!("unpack-{}", package.name));
    let _ = fs::remove_dir_all(&unpack);
    fs::create_dir_all(&unpack).map_err(|e| format!("cannot create {}: {e}", unpack.display()))?;
    let output = Command::new("tar")
        .arg("-xzf")
        .arg(tarball)
        .arg("-C")
        .arg(&unpack)
        .args(package.files.iter().map(|(member, _)| member))
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run `tar`: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "`tar` could not unpack {}: {}",
            tarball.display(),
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    for (member, name) in package.files {
        let from = unpack.join(member);
        let to = dir.join(name);
        match fs::metadata(&from) {
            Ok(meta) if meta.is_file() && meta.len() > 0 => {}
            _ => {
                return Err(format!(
                    "{}@{} has no file {member}",
                    package.name, package.version
                ));
            }
        }
        fs::copy(&from, &to)
            .map_err(|e| format!("cannot copy {} to {}: {e}", from.display(), to.display()))?;
    }
    let _ = fs::remove_dir_all(&unpack);
    Ok(())
}

/// Decodes standard, padded base64 (the alphabet of SRI strings); `None` on any other input.
fn base64_decode(text: &str) -> Option<Vec<u8>> {
    fn value(c: u8) -> Option<u32> {
        match c {
            b'A'..=b'Z' => Some(u32::from(c - b'A')),
            b'a'..=b'z' => Some(u32::from(c - b'a') + 26),
            b'0'..=b'9' => Some(u32::from(c - b'0') + 52),
            b'+' => Some(62),
            b'/' => Some(63),
            _ => None,
        }
    }
    let bytes = text.as_bytes();
    if bytes.is_empty() || !bytes.len().is_multiple_of(4) {
        return None;
    }
    let mut out = Vec::with_capacity(bytes.len() / 4 * 3);
    for (index, chunk) in bytes.chunks(4).enumerate() {
        let last = index == bytes.len() / 4 - 1;
        let pad = chunk.iter().rev().take_while(|&&c| c == b'=').count();
        if pad > 2 || (pad > 0 && !last) {
            return None;
        }
        let mut acc = 0u32;
        for &c in &chunk[..4 - pad] {
            acc = (acc << 6) | value(c)?;
        }
        acc <<= 6 * pad as u32;
        let decoded = [(acc >> 16) as u8, (acc >> 8) as u8, acc as u8];
        out.extend_from_slice(&decoded[..3 - pad]);
    }
    Some(out)
}

/// Keeps a multi-line error readable as a single `cargo:warning` line.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
