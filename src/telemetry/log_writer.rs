//! Where log lines go: one buffer in memory that a writer thread writes to stderr every
//! [`FLUSH_EVERY`] (sooner once [`WRITE_ABOVE`] bytes wait), so that many lines cost one system
//! call and a request never waits for the terminal or the pipe. Nothing wakes the writer per
//! line. Past [`MAX_BUFFERED`] bytes, lines are dropped rather than requests slowed, and the
//! writer says how many.
//!
//! Kept rather than `tracing-appender`'s non-blocking writer, which sends each line through a
//! channel as a `Vec` of its own and wakes its writer thread for most lines under load (a
//! futex wake, a context switch and a `write` per line, which an instruction count does not
//! even see). Side by side in one release build (branch `house-telemetry-candidates`, the
//! access line formatted as here and written through `tracing_appender::non_blocking` when
//! `LEAP_CANDIDATE=appender`), a cached Catalogue request took 16,978 instructions with the
//! crate against 16,465 with this writer: 3.1% more
//! (`[LEAP_CANDIDATE=appender] bench/callgrind.sh Catalogue BINARY`, median of 3).
//!
//! The wall-clock time of access lines ([`Clock`]) is derived from the `Instant` the request
//! already took, and re-anchored at every write; the calendar is the `time` crate's, asked
//! once a second.
//!
//! Imports: `tracing-subscriber`'s writer trait and `time`; nothing of this crate (the access
//! line writes into it, not the other way round).

use std::io::Write as _;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tracing_subscriber::fmt::MakeWriter;

/// How long a line may wait in memory before it is written.
const FLUSH_EVERY: Duration = Duration::from_millis(100);
/// The writer is woken early once this much waits.
const WRITE_ABOVE: usize = 64 * 1024;
/// Lines that would grow the buffer past this are dropped.
const MAX_BUFFERED: usize = 8 * 1024 * 1024;

/// The sink the installed subscriber writes to, which the access line uses too.
static SINK: OnceLock<Arc<Sink>> = OnceLock::new();

/// How the installed subscriber writes its lines, which access lines follow.
#[derive(Clone, Copy)]
pub(super) struct LineFormat {
    pub json: bool,
    pub ansi: bool,
}

struct Sink {
    state: Mutex<Buffer>,
    wake: Condvar,
    format: LineFormat,
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
pub(super) struct Clock {
    /// The wall-clock time at `at`, since the Unix epoch.
    wall: Duration,
    at: Instant,
    /// `YYYY-MM-DDTHH:MM:SS.` of the second last formatted.
    second: u64,
    text: [u8; 20],
}

impl Clock {
    pub(super) fn new() -> Clock {
        let mut clock = Clock {
            wall: Duration::ZERO,
            at: Instant::now(),
            second: u64::MAX,
            text: [0; 20],
        };
        clock.anchor();
        clock
    }

    /// When the clock was last anchored.
    #[cfg(test)]
    pub(super) fn anchored_at(&self) -> Instant {
        self.at
    }

    /// Reads the system clock again.
    fn anchor(&mut self) {
        self.wall = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        self.at = Instant::now();
    }

    /// Writes `at` as RFC 3339 with microseconds, as `tracing-subscriber` does.
    pub(super) fn write(&mut self, out: &mut Vec<u8>, at: Instant) {
        let since = match at.checked_duration_since(self.at) {
            Some(d) => self.wall + d,
            None => self.wall.saturating_sub(self.at.duration_since(at)),
        };
        if since.as_secs() != self.second {
            self.second = since.as_secs();
            self.text = second_text(self.second);
        }
        let mut text = [0u8; 27];
        text[..20].copy_from_slice(&self.text);
        digits(&mut text[20..26], u64::from(since.subsec_micros()));
        text[26] = b'Z';
        out.extend_from_slice(&text);
    }
}

/// `YYYY-MM-DDTHH:MM:SS.` for a Unix time in seconds, in UTC.
fn second_text(secs: u64) -> [u8; 20] {
    let mut out = *b"0000-00-00T00:00:00.";
    let Ok(t) = time::OffsetDateTime::from_unix_timestamp(i64::try_from(secs).unwrap_or(0)) else {
        return out;
    };
    let fields: [(usize, usize, u64); 6] = [
        (0, 4, u64::try_from(t.year().clamp(0, 9999)).unwrap_or(0)),
        (5, 2, u64::from(u8::from(t.month()))),
        (8, 2, u64::from(t.day())),
        (11, 2, u64::from(t.hour())),
        (14, 2, u64::from(t.minute())),
        (17, 2, u64::from(t.second())),
    ];
    for (at, len, value) in fields {
        if let Some(slot) = out.get_mut(at..at + len) {
            digits(slot, value);
        }
    }
    out
}

/// Writes `value` in decimal into all of `out`, zero-padded (and cut to its low digits).
pub(super) fn digits(out: &mut [u8], mut value: u64) {
    for b in out.iter_mut().rev() {
        *b = b'0' + (value % 10) as u8;
        value /= 10;
    }
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

/// No sink of ours carries access lines: another subscriber than ours is installed (a
/// test's, an embedder's), or none.
pub(super) struct NotOurs;

/// Appends an access line, which `line` writes with the clock and in the sink's format, to
/// the sink that carries access lines; nothing when its filter leaves them out.
pub(super) fn push_access(
    line: impl FnOnce(&mut Vec<u8>, &mut Clock, LineFormat),
) -> Result<(), NotOurs> {
    let sink = SINK.get().ok_or(NotOurs)?;
    if sink.access.load(Relaxed) {
        sink.push(|b| line(&mut b.bytes, &mut b.clock, sink.format));
    }
    Ok(())
}

/// Writes what is left when dropped, and stops the writer. `main` keeps it until the end.
pub struct LogWriterGuard {
    sink: Arc<Sink>,
    thread: Option<JoinHandle<()>>,
}

impl LogWriterGuard {
    /// Writes access lines here from now on (none when `enabled` is false: the installed
    /// subscriber's filter leaves them out, and it is fixed once installed). Call it once the
    /// subscriber that writes here is installed. Only the first sink of a process carries
    /// them, as only the first global subscriber is installed.
    pub fn carry_access_lines(&self, enabled: bool) {
        self.sink.access.store(enabled, Relaxed);
        let _ = SINK.set(self.sink.clone());
    }
}

impl Drop for LogWriterGuard {
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
/// that access lines look like the others; [`LogWriterGuard::carry_access_lines`] then sends
/// them here.
pub fn start(json: bool, ansi: bool) -> std::io::Result<(LineWriter, LogWriterGuard)> {
    let sink = Arc::new(Sink {
        state: Mutex::new(Buffer {
            bytes: Vec::with_capacity(64 * 1024),
            dropped: 0,
            idle: false,
            closed: false,
            clock: Clock::new(),
        }),
        wake: Condvar::new(),
        format: LineFormat { json, ansi },
        access: AtomicBool::new(false),
    });
    let writer = sink.clone();
    let thread = std::thread::Builder::new()
        .name("leap-log".into())
        .spawn(move || writer.run())?;
    Ok((
        LineWriter(sink.clone()),
        LogWriterGuard {
            sink,
            thread: Some(thread),
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_rfc3339_in_utc() {
        assert_eq!(&second_text(0), b"1970-01-01T00:00:00.");
        assert_eq!(&second_text(951_782_400 + 86_399), b"2000-02-29T23:59:59.");
        assert_eq!(&second_text(1_795_000_000), b"2026-11-18T11:06:40.");
        let mut clock = Clock::new();
        let mut out = Vec::new();
        clock.write(&mut out, clock.at + Duration::from_micros(1_500_001));
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text.len(), 27, "{text}");
        assert!(text.ends_with('Z'), "{text}");
    }
}
