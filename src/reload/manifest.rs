//! Live reload of the trusted documents' manifest (`--trusted-documents FILE`): on SIGHUP,
//! or when the watcher sees the file change (its size, time or inode, polled as the seed
//! directory is), the file is read and checked on a blocking thread and, only if every entry
//! is sound, swapped in (see `Engine::install_manifest`, which drops the response cache's
//! answers made under the old one). A bad manifest is logged and the old one keeps serving.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use tokio::sync::{Mutex, Notify};
use tokio::task::JoinHandle;

use super::{Fingerprint, file_fingerprint, watch};
use crate::config;
use crate::engine::Engine;
use crate::engine::trusted::Manifest;

/// Reads and checks a manifest file; the error names the file.
pub fn load_manifest(path: &Path) -> Result<Manifest, String> {
    let bytes = std::fs::read(path)
        .map_err(|e| format!("{}: cannot read the trusted documents: {e}", path.display()))?;
    Manifest::parse(&bytes).map_err(|e| format!("{}: {e}", path.display()))
}

/// Reloads one manifest file into one engine. Cheap to clone; every clone drives the same
/// reloads.
#[derive(Clone)]
pub struct ManifestReloader {
    inner: Arc<Inner>,
}

struct Inner {
    engine: Arc<Engine>,
    path: PathBuf,
    /// Wakes the reload loop; triggers during a reload coalesce into one more after it.
    wake: Notify,
    /// Held for the whole of a reload, so that an older manifest never replaces a newer one.
    running: Mutex<()>,
    /// The file as it was when the reloader was made, before the server said it was
    /// listening: an edit made once clients can see the server is always a change.
    baseline: std::sync::Mutex<Option<Fingerprint>>,
}

impl ManifestReloader {
    /// A reloader for the manifest at `path`, which the caller has loaded once already.
    pub fn new(engine: Arc<Engine>, path: PathBuf) -> ManifestReloader {
        let baseline = file_fingerprint(&path);
        ManifestReloader {
            inner: Arc::new(Inner {
                engine,
                path,
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

    /// Reloads now: the manifest's new generation, or why the old one keeps serving.
    pub async fn reload(&self) -> Result<u64, String> {
        let _running = self.inner.running.lock().await;
        let started = Instant::now();
        let path = self.inner.path.clone();
        let loaded = tokio::task::spawn_blocking(move || load_manifest(&path))
            .await
            .unwrap_or_else(|_| Err("the manifest's loader panicked".into()));
        let elapsed_ms = started.elapsed().as_millis() as u64;
        match loaded {
            Ok(manifest) => {
                let documents = manifest.len();
                let generation = self.inner.engine.install_manifest(manifest);
                tracing::info!(
                    generation,
                    documents,
                    elapsed_ms,
                    "reloaded the trusted documents"
                );
                Ok(generation)
            }
            Err(e) => {
                tracing::error!(
                    generation = self.inner.engine.trusted().generation(),
                    elapsed_ms,
                    "{e}; still serving the trusted documents loaded before"
                );
                Err(e)
            }
        }
    }

    /// The reload loop and, if configured, the watcher.
    pub(super) fn start(self, config: &config::Reload) -> Vec<JoinHandle<()>> {
        let looping = self.clone();
        let mut tasks = vec![tokio::spawn(async move {
            loop {
                looping.inner.wake.notified().await;
                // The outcome is logged; nobody is waiting for it here.
                let _ = looping.reload().await;
            }
        })];
        if let Some(interval) = config.watch_interval {
            let baseline = match self.inner.baseline.lock() {
                Ok(mut b) => b.take(),
                Err(poisoned) => poisoned.into_inner().take(),
            };
            let path = self.inner.path.clone();
            tasks.push(tokio::spawn(watch(
                baseline,
                move || file_fingerprint(&path),
                move || {
                    tracing::info!("the trusted documents' manifest changed");
                    self.trigger();
                },
                interval,
                config.debounce,
            )));
        }
        tasks
    }
}
