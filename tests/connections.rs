//! The connection level, over real sockets: connections that stop making progress are closed
//! within their timeout (and not long before it), a refusal reaches a client that writes its
//! whole body before it reads, and a server out of descriptors still answers.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use leap_graphql::config::{Config, Connections};

const HEADER_TIMEOUT: Duration = Duration::from_millis(600);
const BODY_TIMEOUT: Duration = Duration::from_millis(1000);
const IDLE_TIMEOUT: Duration = Duration::from_millis(1400);
/// How late a close may come: two of the reaper's ticks (a tenth of the shortest timeout),
/// and time for a loaded machine to schedule both ends.
const LATE: Duration = Duration::from_millis(400);

fn short_timeouts() -> Config {
    Config {
        connections: Connections {
            header_timeout: HEADER_TIMEOUT,
            body_timeout: BODY_TIMEOUT,
            idle_timeout: IDLE_TIMEOUT,
            refusal_drain_time: Duration::from_millis(800),
            ..Connections::default()
        },
        ..common::config()
    }
}

const HEALTHZ: &[u8] = b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n";

/// A connection that stops making progress at some step.
struct Stall {
    name: &'static str,
    /// A whole request to have answered first, if any: the connection is kept alive after.
    answered_first: bool,
    /// What it sends before it stalls.
    then: &'static [u8],
    /// The timeout that should close it.
    timeout: Duration,
}

const STALLS: &[Stall] = &[
    Stall {
        name: "connects and sends nothing",
        answered_first: false,
        then: b"",
        timeout: HEADER_TIMEOUT,
    },
    Stall {
        name: "partial headers",
        answered_first: false,
        then: b"POST /graphql HTTP/1.1\r\nHost: t\r\nContent-Ty",
        timeout: HEADER_TIMEOUT,
    },
    Stall {
        name: "partial body",
        answered_first: false,
        then: b"POST /graphql HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n\
                Content-Length: 100\r\n\r\n{\"query\":",
        timeout: BODY_TIMEOUT,
    },
    Stall {
        name: "idle keep-alive",
        answered_first: true,
        then: b"",
        timeout: IDLE_TIMEOUT,
    },
    Stall {
        name: "partial headers of a second request",
        answered_first: true,
        then: b"GET /healthz HTTP/1.1\r\nHo",
        timeout: HEADER_TIMEOUT,
    },
];

/// Runs one stall and returns how long after it stalled the server closed the connection.
fn time_to_close(addr: SocketAddr, stall: &Stall) -> Duration {
    let mut stream = TcpStream::connect(addr).expect("connects");
    if stall.answered_first {
        stream.write_all(HEALTHZ).expect("writes");
        let answer = read_answer(&mut stream);
        assert!(answer.ends_with("ok\n"), "{}: {answer}", stall.name);
    }
    stream.write_all(stall.then).expect("writes");
    let stalled = Instant::now();
    assert!(
        closes_within(&mut stream, stall.timeout * 3),
        "{}: still open after three timeouts",
        stall.name
    );
    stalled.elapsed()
}

/// Whether the server closes `stream` (an end of stream, or a reset) within `wait`; what it
/// sends before is read and dropped.
fn closes_within(stream: &mut TcpStream, wait: Duration) -> bool {
    stream.set_read_timeout(Some(wait)).expect("sets a timeout");
    let mut buf = [0; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => {}
            Err(e) => {
                return !matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                );
            }
        }
    }
}

#[tokio::test]
async fn connections_that_stall_are_closed_within_their_timeout() {
    let server = common::spawn_with(short_timeouts()).await;
    let addr = server.addr;
    let runs: Vec<_> = STALLS
        .iter()
        .map(|stall| tokio::task::spawn_blocking(move || time_to_close(addr, stall)))
        .collect();
    for (stall, run) in STALLS.iter().zip(runs) {
        let after = run.await.expect("the client thread ends");
        // The client's clock starts after the server's, by a write or a read at most.
        let early = stall.timeout.mul_f32(0.9);
        assert!(
            after >= early && after <= stall.timeout + LATE,
            "{}: closed after {after:?}; its timeout is {:?}",
            stall.name,
            stall.timeout
        );
    }
}

/// A request that keeps making progress is not cut off: a body sent in pieces within its
/// timeout is answered, and so is the next request after an idle gap shorter than the idle
/// timeout.
#[tokio::test]
async fn connections_making_progress_are_left_alone() {
    let server = common::spawn_with(short_timeouts()).await;
    let addr = server.addr;
    tokio::task::spawn_blocking(move || {
        let mut stream = TcpStream::connect(addr).expect("connects");
        let body = br#"{"query":"{ __typename }"}"#;
        let head = format!(
            "POST /graphql HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\n\r\n",
            body.len()
        );
        stream.write_all(head.as_bytes()).expect("writes");
        let (first, rest) = body.split_at(5);
        stream.write_all(first).expect("writes");
        std::thread::sleep(BODY_TIMEOUT / 2);
        stream.write_all(rest).expect("writes");
        let answer = read_answer(&mut stream);
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        std::thread::sleep(IDLE_TIMEOUT / 2);
        stream.write_all(HEALTHZ).expect("writes");
        let answer = read_answer(&mut stream);
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    })
    .await
    .expect("the client thread ends");
}

/// Reads one answer whose body has a `Content-Length`, or up to the end of the connection.
fn read_answer(stream: &mut TcpStream) -> String {
    try_read_answer(stream).expect("reads an answer")
}

fn try_read_answer(stream: &mut TcpStream) -> std::io::Result<String> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut seen = Vec::new();
    let mut buf = [0; 4096];
    loop {
        if let Some(end) = head_end(&seen)
            && seen.len() >= end + content_length(&seen[..end])
        {
            break;
        }
        match stream.read(&mut buf)? {
            0 => break,
            n => seen.extend_from_slice(&buf[..n]),
        }
    }
    Ok(String::from_utf8_lossy(&seen).into_owned())
}

fn head_end(bytes: &[u8]) -> Option<usize> {
    bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| i + 4)
}

fn content_length(head: &[u8]) -> usize {
    String::from_utf8_lossy(head)
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().ok())?
        })
        .unwrap_or(0)
}

/// A naive client: writes the headers and then the whole body, and only then reads. Returns
/// what it read, or the error that stopped it.
fn naive_post(addr: SocketAddr, declared: usize, sent: usize) -> std::io::Result<String> {
    let mut stream = TcpStream::connect(addr)?;
    let head = format!(
        "POST /graphql HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n\
         Content-Length: {declared}\r\n\r\n"
    );
    stream.write_all(head.as_bytes())?;
    stream.write_all(&vec![b' '; sent])?;
    try_read_answer(&mut stream)
}

/// The body over the limit is refused before it is read; the client, still writing 8 MiB,
/// gets to read the 413 and its JSON, not a reset.
#[tokio::test]
async fn a_naive_client_writing_a_too_large_body_reads_the_413() {
    let server = common::spawn_with(short_timeouts()).await;
    let addr = server.addr;
    let size = 8 * 1024 * 1024;
    let answer = tokio::task::spawn_blocking(move || naive_post(addr, size, size))
        .await
        .expect("the client thread ends")
        .expect("the client writes its body and reads an answer");
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains(r#""code":"PAYLOAD_TOO_LARGE""#), "{answer}");
}

/// Draining is bounded in time: a client that declares a huge body and sends part of it reads
/// the 413, and the connection is closed once the drain time is up.
#[tokio::test]
async fn a_refused_body_that_never_ends_is_drained_for_a_bounded_time() {
    let config = short_timeouts();
    let drain = config.connections.refusal_drain_time;
    let server = common::spawn_with(config).await;
    let addr = server.addr;
    tokio::task::spawn_blocking(move || {
        let mut stream = TcpStream::connect(addr).expect("connects");
        let head = "POST /graphql HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n\
                    Content-Length: 100000000\r\n\r\n";
        stream.write_all(head.as_bytes()).expect("writes");
        stream
            .write_all(&vec![b' '; 1024 * 1024])
            .expect("writes a part of the body");
        let stopped = Instant::now();
        let answer = read_answer(&mut stream);
        assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
        assert!(
            closes_within(&mut stream, drain * 3),
            "still open after three drain times"
        );
        assert!(
            stopped.elapsed() <= drain + LATE,
            "closed {:?} after the body stopped; the drain time is {drain:?}",
            stopped.elapsed()
        );
    })
    .await
    .expect("the client thread ends");
}

/// Kills the child when the test ends, pass or fail.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The real binary with 256 descriptors (soft and hard) opens at most 128 connections; 400
/// idle ones do not keep a normal query from being answered at once, because the oldest idle
/// connection is closed for each newcomer.
#[test]
fn out_of_descriptors_the_oldest_idle_connection_makes_room() {
    let mut child = Child(
        Command::new("bash")
            .args([
                "-c",
                r#"ulimit -n 256 && exec "$0" serve --listen 127.0.0.1:0"#,
            ])
            .arg(env!("CARGO_BIN_EXE_leap-graphql"))
            // A review database of its own, not ./data in the worktree.
            .env(
                "LEAP_DATABASE_URL",
                std::env::temp_dir().join(format!(
                    "leap-graphql-test-{}-connections/reviews.db",
                    std::process::id()
                )),
            )
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the server starts"),
    );
    let mut line = String::new();
    let stdout = child.0.stdout.take().expect("a stdout");
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("reads the ready line");
    let addr: SocketAddr = line
        .trim()
        .strip_prefix("listening on http://")
        .and_then(|rest| rest.strip_suffix("/graphql"))
        .and_then(|addr| addr.parse().ok())
        .unwrap_or_else(|| panic!("the ready line: {line:?}"));

    let idle: Vec<TcpStream> = (0..400)
        .map(|_| TcpStream::connect(addr).expect("connects"))
        .collect();
    let started = Instant::now();
    let body = r#"{"query":"{ __typename }"}"#;
    let answer = {
        let mut stream = TcpStream::connect(addr).expect("connects");
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .expect("sets a timeout");
        let request = format!(
            "POST /graphql HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        stream.write_all(request.as_bytes()).expect("writes");
        let mut answer = String::new();
        stream
            .read_to_string(&mut answer)
            .expect("reads the answer");
        answer
    };
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        answer.contains(r#"{"data":{"__typename":"Query"}}"#),
        "{answer}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "answered after {:?}",
        started.elapsed()
    );

    // The first connections opened were the ones closed.
    let mut first = &idle[0];
    first
        .set_read_timeout(Some(Duration::from_secs(2)))
        .expect("sets a timeout");
    let mut buf = [0; 16];
    assert!(
        matches!(first.read(&mut buf), Ok(0) | Err(_)),
        "the oldest idle connection is still open"
    );
    drop(idle);

    // The log is written off the request path; wait for the lines rather than kill first.
    let Some(stderr) = child.0.stderr.take() else {
        panic!("no stderr");
    };
    let (lines, log) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    let mut seen = String::new();
    let deadline = Instant::now() + Duration::from_secs(5);
    while !(seen.contains("soft limit 256") && seen.contains("at most 128 connections")) {
        let left = deadline.saturating_duration_since(Instant::now());
        match log.recv_timeout(left) {
            Ok(line) => seen.push_str(&(line + "\n")),
            Err(_) => panic!("the limits are not logged: {seen}"),
        }
    }
}
