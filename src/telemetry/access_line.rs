//! The access line: one per request, with its method, path, id and operation, its status and
//! latency, written straight into the log writer's buffer (see `log_writer`) in the configured
//! format, without the formatting machinery of `tracing`. It still obeys the `LEAP_LOG`
//! filter, under the target [`ACCESS_TARGET`], and looks as `tracing-subscriber`'s formats
//! print an event inside a span named `request` (see `RequestContext::span`, which other
//! events in a request are logged in).
//!
//! Kept rather than a span per request and an event in it (what `tower-http`'s `trace` layer
//! does): side by side in one release build (branch `house-telemetry-candidates`,
//! `LEAP_CANDIDATE=trace`: the request's span made when it arrives and entered at each poll,
//! the event written by `tracing-subscriber`'s format through the same writer), a cached
//! Catalogue request took 32,271 instructions that way against 16,465 with this line: 96%
//! more (`[LEAP_CANDIDATE=trace] bench/callgrind.sh Catalogue BINARY`, median of 3).
//!
//! Imports: the request's context and the log writer of this room; `axum::http`'s status
//! code; `tracing`.

use std::io::Write as _;
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use tracing::Level;

use super::context::RequestContext;
use super::log_writer::{self, Clock, digits};

/// The target of the access line, as a literal for `concat!`.
macro_rules! access_target {
    () => {
        "leap_graphql::http::access"
    };
}

/// The target of the access line, for filters (`LEAP_LOG=info,leap_graphql::http::access=off`).
pub const ACCESS_TARGET: &str = access_target!();

fn decimal(out: &mut Vec<u8>, value: u64) {
    let mut buf = [0u8; 20];
    let len = if value == 0 {
        1
    } else {
        (value.ilog10() + 1) as usize
    };
    let slot = &mut buf[..len];
    digits(slot, value);
    out.extend_from_slice(slot);
}

/// The access line of one request: its method, path, id and operation, its status and how
/// long it took to answer (up to the response's head), at `now`.
pub fn access(request: &RequestContext, status: StatusCode, latency: Duration, now: Instant) {
    let micros = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
    let pushed = log_writer::push_access(|out, clock, format| {
        if format.json {
            access_json(out, clock, now, request, status, micros);
        } else {
            access_human(out, clock, now, request, status, micros, format.ansi);
        }
    });
    if pushed.is_err() && tracing::enabled!(target: ACCESS_TARGET, Level::INFO) {
        // Another subscriber than ours (a test's, an embedder's): an ordinary event.
        tracing::info!(
            target: ACCESS_TARGET,
            method = %request.method(),
            path = request.path(),
            request_id = request.id(),
            operation = request.operation(),
            latency_us = micros,
            status = status.as_u16(),
            "finished processing request"
        );
    }
}

const MESSAGE: &str = "finished processing request";

fn access_human(
    out: &mut Vec<u8>,
    clock: &mut Clock,
    now: Instant,
    request: &RequestContext,
    status: StatusCode,
    micros: u64,
    ansi: bool,
) {
    if !ansi {
        // Off a terminal (a pipe, a file, the journal): the same line in as few copies as
        // can be.
        clock.write(out, now);
        out.extend_from_slice(b"  INFO ");
        human_span(out, request, false);
        out.extend_from_slice(
            concat!(
                " ",
                access_target!(),
                ": finished processing request latency="
            )
            .as_bytes(),
        );
        decimal(out, micros);
        out.extend_from_slice(" μs status=".as_bytes());
        decimal(out, u64::from(status.as_u16()));
        out.push(b'\n');
        return;
    }
    let style = Style(ansi);
    style.dimmed(out, |out| clock.write(out, now));
    out.push(b' ');
    level(out, Level::INFO, ansi);
    human_span(out, request, ansi);
    out.push(b' ');
    style.dimmed(out, |out| out.extend_from_slice(ACCESS_TARGET.as_bytes()));
    style.dimmed(out, |out| out.push(b':'));
    out.push(b' ');
    out.extend_from_slice(MESSAGE.as_bytes());
    out.push(b' ');
    style.field(out, "latency", |out| {
        decimal(out, micros);
        out.extend_from_slice(" μs".as_bytes());
    });
    out.push(b' ');
    style.field(out, "status", |out| {
        decimal(out, u64::from(status.as_u16()))
    });
    out.push(b'\n');
}

fn access_json(
    out: &mut Vec<u8>,
    clock: &mut Clock,
    now: Instant,
    request: &RequestContext,
    status: StatusCode,
    micros: u64,
) {
    out.extend_from_slice(b"{\"timestamp\":\"");
    clock.write(out, now);
    out.extend_from_slice(b"\",\"level\":\"INFO\",\"fields\":{\"message\":\"");
    out.extend_from_slice(MESSAGE.as_bytes());
    out.extend_from_slice(b"\",\"latency\":\"");
    decimal(out, micros);
    out.extend_from_slice(" μs\",\"status\":".as_bytes());
    decimal(out, u64::from(status.as_u16()));
    out.extend_from_slice(b"},\"target\":\"");
    out.extend_from_slice(ACCESS_TARGET.as_bytes());
    out.extend_from_slice(b"\",\"span\":");
    json_span(out, request);
    out.extend_from_slice(b",\"spans\":[");
    json_span(out, request);
    out.extend_from_slice(b"]}\n");
}

/// ANSI styles as `tracing-subscriber` uses them, or nothing off a terminal.
#[derive(Clone, Copy)]
struct Style(bool);

impl Style {
    fn wrap(self, out: &mut Vec<u8>, code: &[u8], inner: impl FnOnce(&mut Vec<u8>)) {
        if self.0 {
            out.extend_from_slice(code);
            inner(out);
            out.extend_from_slice(b"\x1b[0m");
        } else {
            inner(out);
        }
    }

    fn dimmed(self, out: &mut Vec<u8>, inner: impl FnOnce(&mut Vec<u8>)) {
        self.wrap(out, b"\x1b[2m", inner);
    }

    fn bold(self, out: &mut Vec<u8>, inner: impl FnOnce(&mut Vec<u8>)) {
        self.wrap(out, b"\x1b[1m", inner);
    }

    /// `name=value`, the name in italics.
    fn field(self, out: &mut Vec<u8>, name: &str, value: impl FnOnce(&mut Vec<u8>)) {
        self.wrap(out, b"\x1b[3m", |out| {
            out.extend_from_slice(name.as_bytes())
        });
        self.dimmed(out, |out| out.push(b'='));
        value(out);
    }
}

/// The level, padded to five characters, and a space.
fn level(out: &mut Vec<u8>, level: Level, ansi: bool) {
    let (text, colour): (&[u8], &[u8]) = match level {
        Level::TRACE => (b"TRACE", b"\x1b[35m"),
        Level::DEBUG => (b"DEBUG", b"\x1b[34m"),
        Level::INFO => (b" INFO", b"\x1b[32m"),
        Level::WARN => (b" WARN", b"\x1b[33m"),
        Level::ERROR => (b"ERROR", b"\x1b[31m"),
    };
    Style(ansi).wrap(out, colour, |out| out.extend_from_slice(text));
    out.push(b' ');
}

/// `request{method=POST path="/graphql" request_id="…" operation="…"}:`, as the span was
/// printed.
fn human_span(out: &mut Vec<u8>, request: &RequestContext, ansi: bool) {
    if !ansi {
        out.extend_from_slice(b"request{method=");
        out.extend_from_slice(request.method().as_str().as_bytes());
        out.extend_from_slice(b" path=");
        debug_str(out, request.path());
        out.extend_from_slice(b" request_id=");
        if request.made_id() {
            out.push(b'"');
            out.extend_from_slice(request.id_header().as_bytes());
            out.push(b'"');
        } else {
            debug_str(out, request.id());
        }
        if let Some(op) = request.operation() {
            out.extend_from_slice(b" operation=");
            debug_str(out, op);
        }
        out.extend_from_slice(b"}:");
        return;
    }
    let style = Style(ansi);
    style.bold(out, |out| out.extend_from_slice(b"request"));
    style.bold(out, |out| out.push(b'{'));
    style.field(out, "method", |out| {
        out.extend_from_slice(request.method().as_str().as_bytes())
    });
    out.push(b' ');
    style.field(out, "path", |out| debug_str(out, request.path()));
    out.push(b' ');
    style.field(out, "request_id", |out| debug_str(out, request.id()));
    if let Some(op) = request.operation() {
        out.push(b' ');
        style.field(out, "operation", |out| debug_str(out, op));
    }
    style.bold(out, |out| out.push(b'}'));
    style.dimmed(out, |out| out.push(b':'));
}

/// `{"method":…,"operation":…,"path":…,"request_id":…,"name":"request"}`, as the JSON
/// formatter printed the span.
fn json_span(out: &mut Vec<u8>, request: &RequestContext) {
    out.extend_from_slice(b"{\"method\":");
    json_str(out, request.method().as_str());
    if let Some(op) = request.operation() {
        out.extend_from_slice(b",\"operation\":");
        json_str(out, op);
    }
    out.extend_from_slice(b",\"path\":");
    json_str(out, request.path());
    out.extend_from_slice(b",\"request_id\":");
    json_str(out, request.id());
    out.extend_from_slice(b",\"name\":\"request\"}");
}

/// Whether `s` goes between quotes as it is: no quote, backslash or control byte, and (when
/// `ascii`) nothing past ASCII either.
fn is_plain(s: &[u8], ascii: bool) -> bool {
    s.iter().fold(true, |plain, &b| {
        plain & (b >= 0x20) & (b != b'"') & (b != b'\\') & (!ascii | (b < 0x7f))
    })
}

/// A string quoted and escaped as Rust's `Debug` does for the characters that matter here.
fn debug_str(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    // Paths, ids and operation names almost never need escaping: copy them whole.
    if is_plain(s.as_bytes(), true) {
        out.extend_from_slice(s.as_bytes());
    } else {
        for c in s.chars() {
            match c {
                '"' => out.extend_from_slice(b"\\\""),
                '\\' => out.extend_from_slice(b"\\\\"),
                '\n' => out.extend_from_slice(b"\\n"),
                '\r' => out.extend_from_slice(b"\\r"),
                '\t' => out.extend_from_slice(b"\\t"),
                c if c.is_control() => {
                    let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
                }
                c => {
                    let mut buf = [0; 4];
                    out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                }
            }
        }
    }
    out.push(b'"');
}

/// A JSON string.
fn json_str(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    if is_plain(s.as_bytes(), false) {
        out.extend_from_slice(s.as_bytes());
    } else {
        for &b in s.as_bytes() {
            match b {
                b'"' => out.extend_from_slice(b"\\\""),
                b'\\' => out.extend_from_slice(b"\\\\"),
                b'\n' => out.extend_from_slice(b"\\n"),
                b'\r' => out.extend_from_slice(b"\\r"),
                b'\t' => out.extend_from_slice(b"\\t"),
                b if b < 0x20 => {
                    let _ = write!(out, "\\u{b:04x}");
                }
                b => out.push(b),
            }
        }
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use tracing_subscriber::fmt::MakeWriter;

    use super::*;

    fn request() -> RequestContext {
        let context = RequestContext::new(
            axum::http::Method::POST,
            Some(axum::http::uri::PathAndQuery::from_static("/graphql?q=1")),
            axum::http::HeaderValue::from_static("abc\"d"),
            false,
            Instant::now(),
        );
        context.record_operation(Some(&"Hello".into()));
        context
    }

    /// A line without its timestamp (and, for the human format, its ANSI escapes).
    fn line(json: bool, ansi: bool) -> String {
        let mut clock = Clock::new();
        let at = clock.anchored_at();
        let mut out = Vec::new();
        if json {
            access_json(&mut out, &mut clock, at, &request(), StatusCode::OK, 123);
        } else {
            access_human(
                &mut out,
                &mut clock,
                at,
                &request(),
                StatusCode::OK,
                123,
                ansi,
            );
        }
        let text = String::from_utf8(out).unwrap();
        let mut plain = String::new();
        let mut rest = text.as_str();
        while let Some(at) = rest.find('\x1b') {
            plain.push_str(&rest[..at]);
            rest = &rest[at..];
            rest = &rest[rest.find('m').unwrap() + 1..];
        }
        plain.push_str(rest);
        plain
    }

    #[test]
    fn access_lines_look_like_tracing_subscribers() {
        let human = line(false, false);
        assert_eq!(
            &human[27..],
            "  INFO request{method=POST path=\"/graphql\" request_id=\"abc\\\"d\" \
             operation=\"Hello\"}: leap_graphql::http::access: finished processing request \
             latency=123 μs status=200\n",
            "{human}"
        );
        assert_eq!(
            line(false, true)[27..],
            human[27..],
            "the same line on a terminal, in colour"
        );
        let json: serde_json::Value = serde_json::from_str(&line(true, false)).unwrap();
        let span = serde_json::json!({
            "method": "POST", "operation": "Hello", "path": "/graphql",
            "request_id": "abc\"d", "name": "request",
        });
        assert_eq!(json["fields"]["message"], "finished processing request");
        assert_eq!(json["fields"]["status"], 200);
        assert_eq!(json["fields"]["latency"], "123 μs");
        assert_eq!(json["target"], ACCESS_TARGET);
        assert_eq!(json["span"], span);
        assert_eq!(json["spans"], serde_json::json!([span]));
    }

    /// What a subscriber writes, for a test to read.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl<'a> MakeWriter<'a> for Captured {
        type Writer = Captured;

        fn make_writer(&'a self) -> Captured {
            self.clone()
        }
    }

    impl std::io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// Emits a warning inside a request (in its span) and one outside, and an access line
    /// (which, without our sink, is an ordinary event), and returns what the subscriber wrote.
    fn events(json: bool) -> Vec<String> {
        let out = Captured::default();
        let builder = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_writer(out.clone());
        let emit = || {
            let context = request();
            context.span().in_scope(|| tracing::warn!(n = 1, "inside"));
            tracing::warn!("outside");
            access(
                &context,
                StatusCode::OK,
                Duration::from_micros(5),
                Instant::now(),
            );
        };
        if json {
            tracing::subscriber::with_default(builder.json().finish(), emit);
        } else {
            tracing::subscriber::with_default(builder.finish(), emit);
        }
        let text = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
        text.lines().map(str::to_owned).collect()
    }

    #[test]
    fn events_in_a_request_name_it() {
        let lines = events(false);
        assert_eq!(lines.len(), 3, "{lines:?}");
        assert_eq!(
            &lines[0][27..],
            "  WARN request{method=POST path=\"/graphql\" request_id=\"abc\\\"d\" \
             operation=\"Hello\"}: leap_graphql::telemetry::access_line::tests: inside n=1",
        );
        assert_eq!(
            &lines[1][27..],
            "  WARN leap_graphql::telemetry::access_line::tests: outside"
        );
        assert!(
            lines[2].contains("finished processing request"),
            "{}",
            lines[2]
        );
        assert!(lines[2].contains("latency_us=5 status=200"), "{}", lines[2]);

        let lines: Vec<serde_json::Value> = events(true)
            .iter()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let span = serde_json::json!({
            "method": "POST", "operation": "Hello", "path": "/graphql",
            "request_id": "abc\"d", "name": "request",
        });
        assert_eq!(lines[0]["fields"]["message"], "inside");
        assert_eq!(lines[0]["span"], span);
        assert_eq!(lines[0]["spans"], serde_json::json!([span]));
        assert_eq!(lines[1]["fields"]["message"], "outside");
        assert!(lines[1].get("span").is_none(), "{}", lines[1]);
        assert_eq!(lines[2]["fields"]["status"], 200);
    }

    #[test]
    fn plain_strings_are_told_from_others() {
        for s in [
            "",
            "/graphql",
            "5f0c9a2e81b7d4c3-0000002a",
            "FilmPage",
            "a~b!c#d$e%f&g'h(i)",
        ] {
            assert!(is_plain(s.as_bytes(), true), "{s:?}");
        }
        let long = "x".repeat(40);
        for at in 0..40 {
            for b in [b'"', b'\\', 0x00, 0x1f, 0x7f, 0x80, 0xff] {
                let mut s = long.clone().into_bytes();
                s[at] = b;
                assert!(!is_plain(&s, true), "{b:#x} at {at}");
                assert_eq!(is_plain(&s, false), b >= 0x7f, "{b:#x} at {at}");
            }
        }
    }

    #[test]
    fn strings_are_escaped() {
        let mut out = Vec::new();
        json_str(&mut out, "a\"b\\c\n\u{1}é");
        assert_eq!(String::from_utf8(out).unwrap(), r#""a\"b\\c\n\u0001é""#);
        let mut out = Vec::new();
        debug_str(&mut out, "a\"b\u{1}");
        assert_eq!(String::from_utf8(out).unwrap(), r#""a\"b\u{1}""#);
        let mut out = Vec::new();
        decimal(&mut out, 0);
        decimal(&mut out, 1234);
        assert_eq!(out, b"01234");
    }
}
