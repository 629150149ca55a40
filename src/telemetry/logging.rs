//! The process-wide logging set-up: `tracing-subscriber`'s formats (human or JSON), filtered
//! by `LEAP_LOG`, writing through the log writer (see `log_writer`) to stderr.
//!
//! Imports: `config` (the format setting), the log writer and the access line's target.

use std::io::IsTerminal;

use tracing::Level;

use super::access_line::ACCESS_TARGET;
use super::log_writer::{self, LogWriterGuard};
use crate::config::LogFormat;

/// Logs to stderr, so that stdout carries only the one `listening on` line. Lines are
/// handed to a writer thread that writes them in batches (one system call for many lines,
/// not one per request), and colour is used only on a terminal. The returned guard writes
/// what is left when it is dropped, so `main` keeps it until the end. Under a flood that
/// outruns the writer, lines are dropped rather than requests slowed. `None` when a
/// subscriber is installed already, or the writer thread cannot start.
pub fn init(format: LogFormat) -> Option<LogWriterGuard> {
    let filter = tracing_subscriber::EnvFilter::try_from_env("LEAP_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let ansi = std::io::stderr().is_terminal();
    let json = matches!(format, LogFormat::Json);
    let (writer, guard) = log_writer::start(json, ansi).ok()?;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(writer);
    let installed = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
    installed.ok()?;
    guard.carry_access_lines(tracing::enabled!(target: ACCESS_TARGET, Level::INFO));
    Some(guard)
}
