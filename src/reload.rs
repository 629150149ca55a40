//! Live reload of a seed directory: on SIGHUP, or when the watcher sees its `.json` files
//! change, the catalogue is loaded and validated on a blocking thread and, only if it is
//! whole, swapped in (see [`Graphs::install`]). A catalogue with problems leaves the old
//! graph serving and logs every problem with its file and JSON path. The trusted documents'
//! manifest has its own watcher and reload (`manifest`), on the same signal and the same
//! polling.
//!
//! The watcher polls file sizes, modification times and inodes rather than using inotify (the
//! `notify` crate): a dozen `stat` calls every half second cost nothing, need no dependency,
//! behave the same on every platform and on network and container mounts where file events
//! are unreliable, and can be tested without racing the kernel's event delivery.
//!
//! May import: `engine` (the graph it swaps, and the observer it reports to), `seed`,
//! `config`. Not `http`, which starts it.
//!
//! [`Graphs::install`]: crate::engine::graph::Graphs::install

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use tokio::sync::{Mutex, Notify};
use tokio::task::JoinHandle;

use crate::config;
use crate::engine::{Engine, Observer};
use crate::seed::{self, Problem, Report};

mod manifest;
pub use manifest::{ManifestReloader, load_manifest};

/// Reloads one seed directory into one server. Cheap to clone; every clone drives the same
/// reloads.
#[derive(Clone)]
pub struct Reloader {
    inner: Arc<Inner>,
}

struct Inner {
    engine: Arc<Engine>,
    /// Hears of every reload and every graph installed (the server's metrics).
    observer: Arc<dyn Observer + Send + Sync>,
    dir: PathBuf,
    /// Wakes the reload loop. `Notify` keeps at most one wake-up while a reload runs, so any
    /// number of triggers during it coalesce into one more reload after it, which sees them all.
    wake: Notify,
    /// Held for the whole of a reload, so that two never race and an older catalogue can never
    /// be swapped in after a newer one.
    running: Mutex<()>,
    /// The directory as it was when the reloader was made (before the server says it is
    /// listening), for the watcher to compare with: an edit made once clients can see the
    /// server is always a change, however late the watcher starts.
    baseline: std::sync::Mutex<Option<Fingerprint>>,
}

impl Reloader {
    /// A reloader for `dir`. It reads the directory's file list once, so call it at start-up
    /// rather than on a request.
    pub fn new(
        engine: Arc<Engine>,
        observer: Arc<dyn Observer + Send + Sync>,
        dir: PathBuf,
    ) -> Reloader {
        let baseline = fingerprint(&dir);
        Reloader {
            inner: Arc::new(Inner {
                engine,
                observer,
                dir,
                wake: Notify::new(),
                running: Mutex::new(()),
                baseline: std::sync::Mutex::new(Some(baseline)),
            }),
        }
    }

    /// Asks for a reload without waiting for it; what SIGHUP and the watcher do.
    pub fn trigger(&self) {
        self.inner.wake.notify_one();
    }

    /// Reloads now and returns the generation now serving, or the problems that kept the old
    /// graph serving.
    pub async fn reload(&self) -> Result<u64, Report> {
        let _running = self.inner.running.lock().await;
        let started = Instant::now();
        let dir = self.inner.dir.clone();
        let loaded = tokio::task::spawn_blocking(move || seed::load_dir(&dir))
            .await
            .unwrap_or_else(|_| {
                Err(Report {
                    problems: vec![Problem {
                        file: self.inner.dir.display().to_string(),
                        path: "$".into(),
                        message: "the loader panicked".into(),
                    }],
                })
            });
        let (engine, observer) = (&self.inner.engine, &*self.inner.observer);
        let elapsed_ms = started.elapsed().as_millis() as u64;
        match loaded {
            Ok(store) => {
                let (generation, old) = engine.install(store, observer);
                observer.reloaded(true);
                tracing::info!(generation, elapsed_ms, "reloaded the seed directory");
                // Requests still running on the old graph keep it alive; when none are, it is
                // freed here on a blocking thread rather than on a request's.
                tokio::task::spawn_blocking(move || drop(old));
                Ok(generation)
            }
            Err(report) => {
                observer.reloaded(false);
                for p in &report.problems {
                    tracing::error!(file = %p.file, path = %p.path, "{}", p.message);
                }
                tracing::error!(
                    problems = report.problems.len(),
                    generation = engine.graphs().generation(),
                    elapsed_ms,
                    "the seed directory has problems; still serving the graph loaded before"
                );
                Err(report)
            }
        }
    }
}

/// Starts what reloads a server: the reload loops, SIGHUP and (if configured) the watchers,
/// of the seed directory and of the trusted documents' manifest, each when there is one.
/// With neither (the bundled seed, no manifest) only the SIGHUP listener runs, to say there
/// is nothing to reload. They stop when the returned handle is dropped.
pub fn start(
    reloader: Option<Reloader>,
    manifest: Option<ManifestReloader>,
    hangup: Hangup,
    config: &config::Reload,
) -> Running {
    let mut tasks = vec![tokio::spawn(on_sighup(
        hangup,
        reloader.clone(),
        manifest.clone(),
    ))];
    if let Some(manifest) = manifest {
        tasks.extend(manifest.start(config));
    }
    let Some(reloader) = reloader else {
        return Running(tasks);
    };
    let looping = reloader.clone();
    tasks.push(tokio::spawn(async move {
        loop {
            looping.inner.wake.notified().await;
            // The outcome is logged and counted; nobody is waiting for it here.
            let _ = looping.reload().await;
        }
    }));
    if let Some(interval) = config.watch_interval {
        let baseline = match reloader.inner.baseline.lock() {
            Ok(mut b) => b.take(),
            Err(poisoned) => poisoned.into_inner().take(),
        };
        let dir = reloader.inner.dir.clone();
        tasks.push(tokio::spawn(watch(
            baseline,
            move || fingerprint(&dir),
            move || {
                tracing::info!("the seed directory changed");
                reloader.trigger();
            },
            interval,
            config.debounce,
        )));
    }
    Running(tasks)
}

/// The background tasks of [`start`]; dropping it stops them.
pub struct Running(Vec<JoinHandle<()>>);

impl Drop for Running {
    fn drop(&mut self) {
        for task in &self.0 {
            task.abort();
        }
    }
}

/// SIGHUP, caught from the moment [`Hangup::catch`] is called: the server calls it before it
/// says it is listening, so that a SIGHUP sent on seeing that line cannot meet the default
/// action, which would kill the process.
pub struct Hangup {
    #[cfg(unix)]
    signal: Option<tokio::signal::unix::Signal>,
}

impl Hangup {
    /// Starts catching SIGHUP. Call it inside the runtime.
    pub fn catch() -> Hangup {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let signal = signal(SignalKind::hangup())
                .map_err(|e| tracing::warn!("cannot listen for SIGHUP: {e}"))
                .ok();
            Hangup { signal }
        }
        #[cfg(not(unix))]
        Hangup {}
    }
}

/// Triggers a reload of the seed directory and of the manifest on each SIGHUP. Without a
/// seed directory (the bundled seed) SIGHUP is still caught, and the log says why the seed
/// does not reload.
async fn on_sighup(hangup: Hangup, reloader: Option<Reloader>, manifest: Option<ManifestReloader>) {
    #[cfg(unix)]
    {
        let Some(mut signal) = hangup.signal else {
            return;
        };
        while signal.recv().await.is_some() {
            match &reloader {
                Some(r) => {
                    tracing::info!("SIGHUP: reloading the seed directory");
                    r.trigger();
                }
                None => tracing::info!(
                    "SIGHUP: the bundled seed is part of the binary and does not reload (serve --seed DIR to reload)"
                ),
            }
            if let Some(m) = &manifest {
                tracing::info!("SIGHUP: reloading the trusted documents' manifest");
                m.trigger();
            }
        }
    }
    #[cfg(not(unix))]
    let _ = (hangup, reloader, manifest);
}

/// What the watcher compares: each seed file's name, size, modification time and inode (a
/// rename over a file changes the inode even when size and time match), or why the
/// directory could not be read.
type Fingerprint = Result<Vec<(String, u64, Option<SystemTime>, u64)>, std::io::ErrorKind>;

/// The `.json` files of `dir`, as `seed::load_dir` chooses them, so that an editor's swap and
/// backup files do not trigger reloads.
fn fingerprint(dir: &Path) -> Fingerprint {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| e.kind())? {
        let entry = entry.map_err(|e| e.kind())?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.ends_with(".json") {
            continue;
        }
        // A file that vanishes between the listing and the `stat` is a change like any other.
        let Ok(meta) = std::fs::metadata(entry.path()) else {
            files.push((name, 0, None, 0));
            continue;
        };
        if meta.is_dir() {
            continue;
        }
        #[cfg(unix)]
        let inode = std::os::unix::fs::MetadataExt::ino(&meta);
        #[cfg(not(unix))]
        let inode = 0;
        files.push((name, meta.len(), meta.modified().ok(), inode));
    }
    files.sort();
    Ok(files)
}

/// What the watcher compares for one file (the manifest): its size, modification time and
/// inode, in the same shape as a directory's.
fn file_fingerprint(path: &Path) -> Fingerprint {
    let meta = std::fs::metadata(path).map_err(|e| e.kind())?;
    #[cfg(unix)]
    let inode = std::os::unix::fs::MetadataExt::ino(&meta);
    #[cfg(not(unix))]
    let inode = 0;
    Ok(vec![(
        String::new(),
        meta.len(),
        meta.modified().ok(),
        inode,
    )])
}

async fn fingerprint_off_thread<F>(fingerprint: &F) -> Fingerprint
where
    F: Fn() -> Fingerprint + Clone + Send + 'static,
{
    let fingerprint = fingerprint.clone();
    tokio::task::spawn_blocking(fingerprint)
        .await
        .unwrap_or(Err(std::io::ErrorKind::Other))
}

/// Polls `fingerprint` every `interval` (starting from `baseline`, taken before the server
/// said it was listening, when there is one); after a change, waits until it has held still
/// for `debounce`, then calls `changed` once.
async fn watch<F>(
    baseline: Option<Fingerprint>,
    fingerprint: F,
    changed: impl Fn(),
    interval: Duration,
    debounce: Duration,
) where
    F: Fn() -> Fingerprint + Clone + Send + 'static,
{
    let mut seen = match baseline {
        Some(b) => b,
        None => fingerprint_off_thread(&fingerprint).await,
    };
    let mut ticks = tokio::time::interval(interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let mut now = fingerprint_off_thread(&fingerprint).await;
        if now == seen {
            continue;
        }
        loop {
            tokio::time::sleep(debounce).await;
            let again = fingerprint_off_thread(&fingerprint).await;
            if again == now {
                break;
            }
            now = again;
        }
        seen = now;
        changed();
    }
}
