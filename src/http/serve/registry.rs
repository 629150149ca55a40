//! The open connections: what each one is doing and since when, the one task that closes
//! those past their timeout, and the choice of which to close when the server is full.
//!
//! A connection's deadline is not a timer of its own: hyper's header timer armed a sleep for
//! every request, and a sleep per phase would cost the same. Each connection instead keeps
//! its [`Phase`] and when it began, by a coarse clock that only the reaper advances, so a
//! request pays a few atomic stores; the reaper wakes every tick (a tenth of the shortest
//! timeout, at most a second), moves the clock on and closes whatever has overstayed. A
//! connection is never closed before its timeout, and at most two ticks after it.
//!
//! May import: `config`; nothing else of the crate.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::Waker;
use std::time::{Duration, Instant};

use rustc_hash::FxBuildHasher;

use crate::config::Connections;

/// What a connection is doing, which says how long it may go on doing it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Phase {
    /// Accepted, or sent the first byte of a request, and the headers are not all in yet.
    Headers,
    /// The headers are in and the declared body is still coming.
    Body,
    /// The request is whole and its answer is being made: the request timeout covers this.
    Answering,
    /// Answered, and waiting for the next request (or writing the answer to a slow reader).
    Idle,
    /// Answering with a long-lived stream (SSE, and WebSocket once upgrades are served): never
    /// idle, whatever the gaps between its events, and never closed to make room. Entered
    /// through [`Slot::stream`], the hook for those handlers.
    Streaming,
}

impl Phase {
    fn from_u8(n: u8) -> Phase {
        match n {
            0 => Phase::Headers,
            1 => Phase::Body,
            2 => Phase::Answering,
            3 => Phase::Idle,
            _ => Phase::Streaming,
        }
    }

    /// Whether closing a connection in this phase to make room loses no one's answer.
    fn reapable(self) -> bool {
        matches!(self, Phase::Headers | Phase::Idle)
    }
}

/// Milliseconds since the registry was made, as of the reaper's last tick.
#[derive(Default)]
struct Clock(AtomicU64);

impl Clock {
    fn now(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// One connection as the registry and the connection's own parts (its socket, its requests'
/// bodies and answers) see it.
pub struct Slot {
    id: u64,
    phase: AtomicU8,
    /// When the phase began (or, while idle, when a byte last went out), by [`Clock`].
    since: AtomicU64,
    /// Set once, by whoever closes the connection first: the reaper, the room-maker, or the
    /// connection itself as it ends.
    closed: AtomicBool,
    waker: Mutex<Option<Waker>>,
    clock: Arc<Clock>,
}

impl Slot {
    fn phase(&self) -> Phase {
        Phase::from_u8(self.phase.load(Ordering::Relaxed))
    }

    /// Starts `phase` now.
    pub fn enter(&self, phase: Phase) {
        self.since.store(self.clock.now(), Ordering::Relaxed);
        self.phase.store(phase as u8, Ordering::Relaxed);
    }

    /// Bytes came in: on an idle connection they are the next request's, whose headers now
    /// have their time.
    pub fn read_some(&self) {
        if self.phase() == Phase::Idle {
            self.enter(Phase::Headers);
        }
    }

    /// Bytes went out: the answer is made (a refusal may go out before the body is in), and
    /// the connection is idle from now on; an answer going out to a slow reader restarts the
    /// idle time with every write. Marking this here rather than when the answer's future
    /// ends saves a wrapper around every answer: 1.5% of a cached answer's instructions.
    pub fn wrote_some(&self) {
        if matches!(self.phase(), Phase::Body | Phase::Answering | Phase::Idle) {
            self.enter(Phase::Idle);
        }
    }

    /// The hook for long-lived streams: a connection that will stream for long (an SSE
    /// answer, an upgraded WebSocket, whose socket is this module's `Socket` and so reaches
    /// its slot) is marked so, and no timeout or cap closes it.
    pub fn stream(&self) {
        self.enter(Phase::Streaming);
    }

    /// The whole body is in (if the answer has not gone out first, as an early refusal's
    /// does).
    pub fn body_done(&self) {
        let _ = self.phase.compare_exchange(
            Phase::Body as u8,
            Phase::Answering as u8,
            Ordering::Relaxed,
            Ordering::Relaxed,
        );
    }

    /// Whether the connection has been closed from outside and should end now.
    pub fn closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
    }

    /// Sets the waker that [`Registry`] wakes to close or stop this connection.
    pub fn set_waker(&self, waker: &Waker) {
        *lock(&self.waker) = Some(waker.clone());
    }

    fn wake(&self) {
        if let Some(waker) = &*lock(&self.waker) {
            waker.wake_by_ref();
        }
    }
}

/// A lock whose holder panicked still guards whole data: a map of slots, or a waker.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The timeouts in milliseconds of [`Clock`].
#[derive(Clone, Copy)]
struct Timeouts {
    headers: u64,
    body: u64,
    idle: u64,
    tick: u64,
}

impl Timeouts {
    fn new(settings: &Connections) -> Timeouts {
        let ms = |d: Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        let (headers, body, idle) = (
            ms(settings.header_timeout),
            ms(settings.body_timeout),
            ms(settings.idle_timeout),
        );
        let tick = (headers.min(body).min(idle) / 10).clamp(1, 1000);
        Timeouts {
            headers,
            body,
            idle,
            tick,
        }
    }

    /// How long a connection may stay in `phase`, if that is bounded here.
    fn of(self, phase: Phase) -> Option<u64> {
        match phase {
            Phase::Headers => Some(self.headers),
            Phase::Body => Some(self.body),
            Phase::Idle => Some(self.idle),
            Phase::Answering | Phase::Streaming => None,
        }
    }
}

/// Every open connection, and whether the server is stopping.
pub struct Registry {
    stopping: AtomicBool,
    slots: Mutex<HashMap<u64, Arc<Slot>, FxBuildHasher>>,
    next_id: AtomicU64,
    /// The connections open and not yet closed from outside: what the cap counts.
    open: AtomicUsize,
    cap: usize,
    clock: Arc<Clock>,
    timeouts: Timeouts,
}

impl Registry {
    pub fn new(settings: &Connections, cap: usize) -> Registry {
        Registry {
            stopping: AtomicBool::new(false),
            slots: Mutex::default(),
            next_id: AtomicU64::new(0),
            open: AtomicUsize::new(0),
            cap: cap.max(1),
            clock: Arc::default(),
            timeouts: Timeouts::new(settings),
        }
    }

    /// Takes in a new connection, first closing the one that has waited longest while idle
    /// or sending its headers if the server is full. Refusing newcomers instead would let an
    /// attacker take every slot that frees. `None` when every open connection is answering
    /// or streaming: then the newcomer is the one turned away.
    pub fn admit(&self) -> Option<Arc<Slot>> {
        let mut slots = lock(&self.slots);
        if self.open.load(Ordering::SeqCst) >= self.cap {
            let oldest = slots
                .values()
                .filter(|s| !s.closed() && s.phase().reapable())
                .min_by_key(|s| (s.since.load(Ordering::Relaxed), s.id))?;
            tracing::debug!(
                connection = oldest.id,
                "at the connection cap: closing the oldest idle one"
            );
            self.close(oldest);
        }
        let slot = Arc::new(Slot {
            id: self.next_id.fetch_add(1, Ordering::Relaxed),
            phase: AtomicU8::new(Phase::Headers as u8),
            since: AtomicU64::new(self.clock.now()),
            closed: AtomicBool::new(false),
            waker: Mutex::new(None),
            clock: self.clock.clone(),
        });
        slots.insert(slot.id, slot.clone());
        self.open.fetch_add(1, Ordering::SeqCst);
        Some(slot)
    }

    /// Forgets a connection that has ended.
    pub fn leave(&self, slot: &Slot) {
        if !slot.closed.swap(true, Ordering::SeqCst) {
            self.open.fetch_sub(1, Ordering::SeqCst);
        }
        lock(&self.slots).remove(&slot.id);
    }

    /// Closes a connection from outside: it ends at its next poll, which this wakes.
    fn close(&self, slot: &Slot) {
        if !slot.closed.swap(true, Ordering::SeqCst) {
            self.open.fetch_sub(1, Ordering::SeqCst);
            slot.wake();
        }
    }

    /// Closes the connection that has waited longest while idle or sending its headers, to
    /// free a descriptor for an accept that failed for want of one. Says whether it found one.
    pub fn close_oldest_idle(&self) -> bool {
        let slots = lock(&self.slots);
        let oldest = slots
            .values()
            .filter(|s| !s.closed() && s.phase().reapable())
            .min_by_key(|s| (s.since.load(Ordering::Relaxed), s.id));
        oldest.map(|slot| self.close(slot)).is_some()
    }

    pub fn stopping(&self) -> bool {
        self.stopping.load(Ordering::SeqCst)
    }

    /// Tells every connection that the server is stopping. A connection sets its waker and
    /// then reads the flag; this sets the flag and then wakes under the same locks, so each
    /// connection is either woken here or sees the flag itself.
    pub fn begin_stop(&self) {
        self.stopping.store(true, Ordering::SeqCst);
        lock(&self.slots).values().for_each(|slot| slot.wake());
    }

    /// Every tick: moves the clock on and closes each connection that has stayed in its
    /// phase past the phase's timeout. Runs until dropped.
    pub async fn reap(self: Arc<Self>) {
        let started = Instant::now();
        let tick = self.timeouts.tick;
        let mut ticks = tokio::time::interval(Duration::from_millis(tick));
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            let now = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
            self.clock.0.store(now, Ordering::Relaxed);
            let slots = lock(&self.slots);
            for slot in slots.values() {
                let phase = slot.phase();
                let Some(timeout) = self.timeouts.of(phase) else {
                    continue;
                };
                // A phase stamped at clock `since` began up to a tick after it, so it has
                // surely lasted `timeout` once the clock reads `since + timeout + tick`.
                let since = slot.since.load(Ordering::Relaxed);
                if now.saturating_sub(since) >= timeout.saturating_add(tick) {
                    tracing::debug!(
                        connection = slot.id,
                        ?phase,
                        "closing a connection past its timeout"
                    );
                    self.close(slot);
                }
            }
        }
    }
}
