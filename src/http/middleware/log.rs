//! Where log lines go, and how the request's context gets into them.
//!
//! Lines are appended to one buffer in memory, and a writer thread writes the buffer to stderr
//! every [`FLUSH_EVERY`] (sooner once [`WRITE_ABOVE`] bytes wait), so that many lines cost one
//! system call and a request never waits for the terminal or the pipe. Nothing wakes the
//! writer per line: a writer woken per line (as `tracing-appender`'s is) costs a futex wake
//! and a context switch for most lines under load. Past [`MAX_BUFFERED`] bytes, lines are
//! dropped rather than requests slowed, and the writer says how many.
//!
//! The access line (one per request) is written straight into that buffer by
//! [`access`], in the configured format, without the formatting machinery of `tracing`:
//! it is most of what a cache hit logs and was a tenth of its time. It still obeys the
//! `LEAP_LOG` filter, under the target [`ACCESS_TARGET`]. Any other event goes through
//! `tracing-subscriber`, whose formatters here ([`Human`], [`Json`]) add the request that is
//! being handled on the thread (see `middleware::current`) as a span named `request`, as a
//! real span would have been printed.

use std::io::Write as _;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::http::StatusCode;
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::format::{self, Format, Full, Writer};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, MakeWriter};
use tracing_subscriber::registry::LookupSpan;

use super::RequestContext;

/// The target of the access line, as a literal for `concat!`.
macro_rules! access_target {
    () => {
        "leap_graphql::http::access"
    };
}

/// The target of the access line, for filters (`LEAP_LOG=info,leap_graphql::http::access=off`).
pub const ACCESS_TARGET: &str = access_target!();

/// How long a line may wait in memory before it is written.
const FLUSH_EVERY: Duration = Duration::from_millis(100);
/// The writer is woken early once this much waits.
const WRITE_ABOVE: usize = 64 * 1024;
/// Lines that would grow the buffer past this are dropped.
const MAX_BUFFERED: usize = 8 * 1024 * 1024;

/// The sink the installed subscriber writes to, which the access line uses too.
static SINK: OnceLock<Arc<Sink>> = OnceLock::new();

struct Sink {
    state: Mutex<Buffer>,
    wake: Condvar,
    json: bool,
    ansi: bool,
    /// Whether the subscriber's filter lets access lines through, asked once: its filter is
    /// fixed once it is installed.
    access: AtomicBool,
}

struct Buffer {
    bytes: Vec<u8>,
    dropped: u64,
    /// Whether the writer sleeps until the next line (it has nothing to write).
    idle: bool,
    closed: bool,
    clock: Clock,
}

/// Wall-clock time for access lines, from the `Instant` the request already took: one clock
/// read fewer per request. The writer re-anchors it at every write, so it never drifts from
/// the system clock by more than a few hundred microseconds.
struct Clock {
    /// The wall-clock time at `at`, since the Unix epoch.
    wall: Duration,
    at: Instant,
    /// `YYYY-MM-DDTHH:MM:SS.` of the second last formatted.
    second: u64,
    text: [u8; 20],
}

impl Clock {
    fn new() -> Clock {
        let mut clock = Clock {
            wall: Duration::ZERO,
            at: Instant::now(),
            second: u64::MAX,
            text: [0; 20],
        };
        clock.anchor();
        clock
    }

    /// Reads the system clock again.
    fn anchor(&mut self) {
        self.wall = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        self.at = Instant::now();
    }

    fn set_second(&mut self, second: u64) {
        self.second = second;
        civil(second, &mut self.text);
    }

    /// Writes `at` as RFC 3339 with microseconds, as `tracing-subscriber` does.
    fn write(&mut self, out: &mut Vec<u8>, at: Instant) {
        let since = match at.checked_duration_since(self.at) {
            Some(d) => self.wall + d,
            None => self.wall.saturating_sub(self.at.duration_since(at)),
        };
        if since.as_secs() != self.second {
            self.set_second(since.as_secs());
        }
        let mut text = [0u8; 27];
        text[..20].copy_from_slice(&self.text);
        digits(&mut text[20..26], u64::from(since.subsec_micros()));
        text[26] = b'Z';
        out.extend_from_slice(&text);
    }
}

/// `YYYY-MM-DDTHH:MM:SS.` for a Unix time in seconds (Howard Hinnant's `civil_from_days`).
fn civil(secs: u64, out: &mut [u8; 20]) {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let fields: [(usize, usize, u64); 6] = [
        (0, 4, year.clamp(0, 9999) as u64),
        (5, 2, month as u64),
        (8, 2, day as u64),
        (11, 2, rem / 3600),
        (14, 2, rem / 60 % 60),
        (17, 2, rem % 60),
    ];
    *out = *b"0000-00-00T00:00:00.";
    for (at, len, value) in fields {
        if let Some(slot) = out.get_mut(at..at + len) {
            digits(slot, value);
        }
    }
}

/// Writes `value` in decimal into all of `out`, zero-padded (and cut to its low digits).
fn digits(out: &mut [u8], mut value: u64) {
    for b in out.iter_mut().rev() {
        *b = b'0' + (value % 10) as u8;
        value /= 10;
    }
}

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

impl Sink {
    fn lock(&self) -> MutexGuard<'_, Buffer> {
        // A thread that panicked while appending left at worst a partial line.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Appends one line (or drops it, when too much waits already).
    fn push(&self, line: impl FnOnce(&mut Buffer)) {
        let mut b = self.lock();
        if b.bytes.len() >= MAX_BUFFERED {
            b.dropped += 1;
            return;
        }
        let before = b.bytes.len();
        line(&mut b);
        // Wake the writer only when it sleeps without a deadline, or once the buffer grows
        // past the mark: a wake per line would cost more than the line.
        if std::mem::take(&mut b.idle) || (before < WRITE_ABOVE && b.bytes.len() >= WRITE_ABOVE) {
            self.wake.notify_one();
        }
    }

    fn run(&self) {
        let mut out = Vec::new();
        let mut stderr = std::io::stderr();
        let mut b = self.lock();
        loop {
            if b.bytes.is_empty() && !b.closed {
                b.idle = true;
                b = self.wake.wait(b).unwrap_or_else(|p| p.into_inner());
                continue;
            }
            if b.bytes.len() < WRITE_ABOVE && !b.closed {
                // Let more lines join this write.
                b = self
                    .wake
                    .wait_timeout(b, FLUSH_EVERY)
                    .map_or_else(|p| p.into_inner().0, |(b, _)| b);
            }
            std::mem::swap(&mut out, &mut b.bytes);
            let dropped = std::mem::take(&mut b.dropped);
            b.clock.anchor();
            let closed = b.closed;
            drop(b);
            // Nowhere is left to report a failed write to stderr.
            let _ = stderr.write_all(&out);
            out.clear();
            if closed {
                let _ = stderr.flush();
                return;
            }
            if dropped > 0 {
                tracing::warn!(
                    dropped,
                    "log lines dropped: the log writer could not keep up"
                );
            }
            b = self.lock();
        }
    }
}

/// Writes what is left when dropped, and stops the writer. `main` keeps it until the end.
pub struct Guard {
    sink: Arc<Sink>,
    thread: Option<JoinHandle<()>>,
}

impl Guard {
    /// Writes access lines here from now on: call it once the subscriber that writes here is
    /// installed. Only the first sink of a process carries them, as only the first global
    /// subscriber is installed.
    pub fn carry_access_lines(&self) {
        let enabled = tracing::enabled!(target: ACCESS_TARGET, Level::INFO);
        self.sink.access.store(enabled, Relaxed);
        let _ = SINK.set(self.sink.clone());
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        self.sink.lock().closed = true;
        self.sink.wake.notify_one();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// What `tracing-subscriber` writes its lines with.
#[derive(Clone)]
pub struct LineWriter(Arc<Sink>);

impl<'a> MakeWriter<'a> for LineWriter {
    type Writer = LineWriter;

    fn make_writer(&'a self) -> LineWriter {
        self.clone()
    }
}

impl std::io::Write for LineWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.push(|b| b.bytes.extend_from_slice(buf));
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Starts the writer thread. `json` and `ansi` must be what the subscriber is built with, so
/// that access lines look like the others; [`Guard::carry_access_lines`] then sends them here.
pub fn install(json: bool, ansi: bool) -> std::io::Result<(LineWriter, Guard)> {
    let sink = Arc::new(Sink {
        state: Mutex::new(Buffer {
            bytes: Vec::with_capacity(64 * 1024),
            dropped: 0,
            idle: false,
            closed: false,
            clock: Clock::new(),
        }),
        wake: Condvar::new(),
        json,
        ansi,
        access: AtomicBool::new(false),
    });
    let writer = sink.clone();
    let thread = std::thread::Builder::new()
        .name("leap-log".into())
        .spawn(move || writer.run())?;
    Ok((
        LineWriter(sink.clone()),
        Guard {
            sink,
            thread: Some(thread),
        },
    ))
}

/// The access line of one request: its method, path, id and operation, its status and how
/// long it took to answer (up to the response's head), at `now`.
pub fn access(request: &RequestContext, status: StatusCode, latency: Duration, now: Instant) {
    let micros = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
    let Some(sink) = SINK.get() else {
        if !tracing::enabled!(target: ACCESS_TARGET, Level::INFO) {
            return;
        }
        // Another subscriber than ours (a test's, an embedder's): an ordinary event.
        tracing::info!(
            target: ACCESS_TARGET,
            method = %request.method,
            path = request.path(),
            request_id = request.id(),
            operation = request.operation.as_deref(),
            latency_us = micros,
            status = status.as_u16(),
            "finished processing request"
        );
        return;
    };
    if !sink.access.load(Relaxed) {
        return;
    }
    sink.push(|b| {
        let Buffer { bytes, clock, .. } = b;
        if sink.json {
            access_json(bytes, clock, now, request, status, micros);
        } else {
            access_human(bytes, clock, now, request, status, micros, sink.ansi);
        }
    });
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
        out.extend_from_slice(request.method.as_str().as_bytes());
        out.extend_from_slice(b" path=");
        debug_str(out, request.path());
        out.extend_from_slice(b" request_id=");
        if request.made_id {
            out.push(b'"');
            out.extend_from_slice(request.id.as_bytes());
            out.push(b'"');
        } else {
            debug_str(out, request.id());
        }
        if let Some(op) = request.operation.as_deref() {
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
        out.extend_from_slice(request.method.as_str().as_bytes())
    });
    out.push(b' ');
    style.field(out, "path", |out| debug_str(out, request.path()));
    out.push(b' ');
    style.field(out, "request_id", |out| debug_str(out, request.id()));
    if let Some(op) = request.operation.as_deref() {
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
    json_str(out, request.method.as_str());
    if let Some(op) = request.operation.as_deref() {
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

/// The human format: `tracing-subscriber`'s `Full`, with the request being handled as the
/// outermost span.
pub struct Human {
    rest: Format<Full, ()>,
}

impl Human {
    pub fn new() -> Human {
        Human {
            rest: format().without_time().with_level(false),
        }
    }
}

impl Default for Human {
    fn default() -> Human {
        Human::new()
    }
}

fn format() -> Format<Full> {
    Format::default()
}

impl<S, N> FormatEvent<S, N> for Human
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> std::fmt::Result {
        let ansi = writer.has_ansi_escapes();
        let mut head = Vec::with_capacity(128);
        let style = Style(ansi);
        let mut clock = Clock::new();
        let now = clock.at;
        style.dimmed(&mut head, |out| clock.write(out, now));
        head.push(b' ');
        level(&mut head, *event.metadata().level(), ansi);
        super::with_current(|request| {
            if let Some(request) = request {
                human_span(&mut head, request, ansi);
                if ctx.event_scope().is_none() {
                    head.push(b' ');
                }
            }
        });
        writer.write_str(&String::from_utf8_lossy(&head))?;
        self.rest.format_event(ctx, writer, event)
    }
}

/// The JSON format: `tracing-subscriber`'s, with the request being handled as the outermost
/// span (in `span` when there is no other, and first in `spans`).
pub struct Json {
    inner: Format<format::Json>,
}

impl Json {
    pub fn new() -> Json {
        Json {
            inner: Format::default().json(),
        }
    }
}

impl Default for Json {
    fn default() -> Json {
        Json::new()
    }
}

impl<S, N> FormatEvent<S, N> for Json
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> std::fmt::Result {
        let mut span = Vec::new();
        super::with_current(|request| {
            if let Some(request) = request {
                json_span(&mut span, request);
            }
        });
        if span.is_empty() {
            return self.inner.format_event(ctx, writer, event);
        }
        // Rare (a warning or an error while a request is handled), so the simplest way is
        // best: the line as the formatter writes it, with the span put in.
        let mut line = String::new();
        self.inner
            .format_event(ctx, Writer::new(&mut line), event)?;
        let (Ok(mut value), Ok(span)) = (
            serde_json::from_str::<serde_json::Value>(&line),
            serde_json::from_slice::<serde_json::Value>(&span),
        ) else {
            return writer.write_str(&line);
        };
        if let Some(fields) = value.as_object_mut() {
            fields.entry("span").or_insert_with(|| span.clone());
            match fields
                .entry("spans")
                .or_insert_with(|| serde_json::Value::Array(Vec::new()))
            {
                serde_json::Value::Array(spans) => spans.insert(0, span),
                other => *other = serde_json::Value::Array(vec![span]),
            }
        }
        writeln!(writer, "{value}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_rfc3339_in_utc() {
        let mut text = [0; 20];
        civil(0, &mut text);
        assert_eq!(&text, b"1970-01-01T00:00:00.");
        civil(951_782_400 + 86_399, &mut text);
        assert_eq!(&text, b"2000-02-29T23:59:59.");
        civil(1_795_000_000, &mut text);
        assert_eq!(&text, b"2026-11-18T11:06:40.");
        let mut clock = Clock::new();
        let mut out = Vec::new();
        clock.write(&mut out, clock.at + Duration::from_micros(1_500_001));
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text.len(), 27, "{text}");
        assert!(text.ends_with('Z'), "{text}");
    }

    fn request() -> RequestContext {
        RequestContext {
            method: axum::http::Method::POST,
            path: Some(axum::http::uri::PathAndQuery::from_static("/graphql?q=1")),
            id: axum::http::HeaderValue::from_static("abc\"d"),
            operation: Some("Hello".into()),
            started: Instant::now(),
            answered: None,
            made_id: false,
            encoding: crate::http::middleware::encoding::Encoding::Identity,
        }
    }

    /// A line without its timestamp (and, for the human format, its ANSI escapes).
    fn line(json: bool, ansi: bool) -> String {
        let mut clock = Clock::new();
        let at = clock.at;
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

    /// Emits a warning inside a request and one outside, and an access line (which, without
    /// our sink, is an ordinary event), and returns what the subscriber wrote.
    fn events(json: bool) -> Vec<String> {
        let out = Captured::default();
        let builder = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_writer(out.clone());
        let emit = || {
            let mut context = Some(Box::new(request()));
            super::super::enter(&mut context, || tracing::warn!(n = 1, "inside"));
            tracing::warn!("outside");
            if let Some(c) = &context {
                access(c, StatusCode::OK, Duration::from_micros(5), Instant::now());
            }
        };
        if json {
            let subscriber = builder.json().event_format(Json::new()).finish();
            tracing::subscriber::with_default(subscriber, emit);
        } else {
            let subscriber = builder.event_format(Human::new()).finish();
            tracing::subscriber::with_default(subscriber, emit);
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
             operation=\"Hello\"}: leap_graphql::http::middleware::log::tests: inside n=1",
        );
        assert_eq!(
            &lines[1][27..],
            "  WARN leap_graphql::http::middleware::log::tests: outside"
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
