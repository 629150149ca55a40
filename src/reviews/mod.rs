//! Reviews: the second, durable kind of data, attached to the catalogue's works (films and
//! albums) by global id. The catalogue stays read-only and in memory; reviews are written by
//! people, kept in a database, and served from memory.
//!
//! Owns: the review records and their rules (`model`, `validate`), the one storage seam
//! (`storage`: the [`Storage`] trait, with SQLite in `sqlite`), and [`Reviews`], which
//! decides writes one after another and commits those that arrive together in one
//! transaction (`commit`), makes each durable before it is acknowledged, keeps every work's
//! list and summary in memory exact, tells the response cache which work changed, and sends
//! the added reviews to subscribers once they are durable.
//!
//! May import: `store` (ids, the catalogue's works, the one paginator's window). No GraphQL:
//! `schema` wraps what this gives.

mod commit;
pub mod model;
pub mod sqlite;
pub mod storage;
pub mod validate;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};

use sha2::{Digest, Sha256};
use tokio::sync::broadcast;
use uuid::Uuid;

use crate::store::Store;
use crate::store::orders::{Key, Part};
use crate::store::query::{PageArgs, QueryError, Window, window};
use commit::{Answer, Command};
pub use model::{AddInput, Added, Changed, EditInput, Review, Summary, UserError};
use model::{codes, now_ms};
pub use storage::{Change, Ephemeral, Idempotent, Storage, StorageError};

/// How long the answer to an idempotency key is kept.
pub const IDEMPOTENCY_TTL_MS: i64 = 24 * 60 * 60 * 1000;

/// How many events a subscriber may fall behind before it is dropped.
pub const SUBSCRIBER_QUEUE: usize = 64;

/// The cursor tag of review lists.
const CURSOR_TAG: &str = "reviews";

/// One work's visible reviews, oldest first (they are presented newest first), its summary,
/// and a version that every change to them bumps.
#[derive(Default)]
struct WorkReviews {
    list: Vec<Arc<Review>>,
    summary: Summary,
    version: u64,
}

impl WorkReviews {
    fn position(&self, review: &Review) -> Result<usize, usize> {
        let key = review.order_key();
        self.list.binary_search_by(|r| r.order_key().cmp(&key))
    }
}

#[derive(Default)]
struct State {
    works: HashMap<Arc<str>, WorkReviews>,
    by_id: HashMap<Uuid, Arc<Review>>,
    idempotent: HashMap<String, Idempotent>,
}

impl State {
    fn insert(&mut self, review: Arc<Review>) {
        let work = self.works.entry(review.subject.clone()).or_default();
        let at = work.position(&review).unwrap_or_else(|at| at);
        work.summary.add(review.rating, 1);
        work.list.insert(at, review.clone());
        work.version += 1;
        self.by_id.insert(review.id, review);
    }

    fn remove(&mut self, id: Uuid) -> Option<Arc<Review>> {
        let review = self.by_id.remove(&id)?;
        if let Some(work) = self.works.get_mut(&review.subject) {
            if let Ok(at) = work.position(&review) {
                work.list.remove(at);
            }
            work.summary.add(review.rating, -1);
            work.version += 1;
        }
        Some(review)
    }
}

/// What a request has read of the reviews: each work and the version it read, so that an
/// answer made from them is kept only while they are still current.
#[derive(Default)]
pub struct Reads(Mutex<Vec<(Arc<str>, u64)>>);

impl Reads {
    fn record(&self, work: &Arc<str>, version: u64) {
        if let Ok(mut reads) = self.0.lock()
            && !reads.iter().any(|(w, _)| w == work)
        {
            reads.push((work.clone(), version));
        }
    }

    /// The works read, with the versions read.
    pub fn take(&self) -> Vec<(Arc<str>, u64)> {
        self.0
            .lock()
            .map(|mut r| std::mem::take(&mut *r))
            .unwrap_or_default()
    }
}

/// One page of a work's reviews, newest first.
pub struct Page {
    pub items: Vec<Arc<Review>>,
    pub window: Window,
}

/// The cursor of a review in a list.
pub fn cursor(review: &Review) -> String {
    crate::store::query::encode_cursor(CURSOR_TAG, &key(review))
}

fn key(review: &Review) -> Key {
    vec![
        Part::Int(review.created_at),
        Part::Str(review.id.hyphenated().to_string().into()),
    ]
}

/// Told the work whose reviews changed, once the change is visible (see [`Reviews::on_change`]).
type Listener = Box<dyn Fn(&str) + Send + Sync>;

/// See the module's comment.
pub struct Reviews {
    storage: Box<dyn Storage>,
    state: RwLock<State>,
    /// Writes waiting for the next transaction (see `commit`).
    queue: Mutex<Vec<commit::Pending>>,
    /// Held by the one commit in progress: the last `createdAt` given.
    commit: tokio::sync::Mutex<i64>,
    /// Transactions committed, and the writes they held.
    transactions: AtomicU64,
    writes: AtomicU64,
    events: broadcast::Sender<Arc<Review>>,
    on_change: OnceLock<Listener>,
}

impl Reviews {
    /// Loads what `storage` keeps.
    pub async fn open(storage: Box<dyn Storage>) -> Result<Arc<Reviews>, StorageError> {
        let loaded = storage.load().await?;
        let now = now_ms();
        let mut state = State::default();
        for review in loaded.reviews {
            state.insert(Arc::new(review));
        }
        for i in loaded.idempotent {
            if i.created_at + IDEMPOTENCY_TTL_MS > now {
                state.idempotent.insert(i.key.clone(), i);
            }
        }
        Ok(Reviews::with(storage, state, loaded.last_created_at))
    }

    /// Reviews that live as long as the process (no database).
    pub fn ephemeral() -> Arc<Reviews> {
        Reviews::with(Box::new(Ephemeral), State::default(), 0)
    }

    fn with(storage: Box<dyn Storage>, state: State, last_created_at: i64) -> Arc<Reviews> {
        Arc::new(Reviews {
            storage,
            state: RwLock::new(state),
            queue: Mutex::new(Vec::new()),
            commit: tokio::sync::Mutex::new(last_created_at),
            transactions: AtomicU64::new(0),
            writes: AtomicU64::new(0),
            events: broadcast::channel(SUBSCRIBER_QUEUE).0,
            on_change: OnceLock::new(),
        })
    }

    /// The transactions committed since start, and the writes they held: with concurrent
    /// writers, fewer transactions than writes.
    pub fn commits(&self) -> Commits {
        Commits {
            transactions: self.transactions.load(Ordering::Relaxed),
            writes: self.writes.load(Ordering::Relaxed),
        }
    }

    /// Sets what is told, after each write, which work's reviews changed (the engine drops
    /// the cached answers that read them). Set once.
    pub fn on_change(&self, listener: impl Fn(&str) + Send + Sync + 'static) {
        let _ = self.on_change.set(Box::new(listener));
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write_state(&self) -> std::sync::RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(|e| e.into_inner())
    }

    /// The version of a work's reviews now (0 for a work never reviewed).
    pub fn version(&self, work: &str) -> u64 {
        self.read().works.get(work).map_or(0, |w| w.version)
    }

    /// A work's summary, recorded in `reads`.
    pub fn summary(&self, work: &Arc<str>, reads: Option<&Reads>) -> Summary {
        let state = self.read();
        let w = state.works.get(work);
        if let Some(reads) = reads {
            reads.record(work, w.map_or(0, |w| w.version));
        }
        w.map(|w| w.summary).unwrap_or_default()
    }

    /// One page of a work's reviews, newest first, recorded in `reads`.
    pub fn page(
        &self,
        work: &Arc<str>,
        args: &PageArgs,
        reads: Option<&Reads>,
    ) -> Result<Page, QueryError> {
        let state = self.read();
        let Some(w) = state.works.get(work) else {
            if let Some(reads) = reads {
                reads.record(work, 0);
            }
            let window = window(0, |_| Vec::new(), CURSOR_TAG, true, args)?;
            return Ok(Page {
                items: Vec::new(),
                window,
            });
        };
        if let Some(reads) = reads {
            reads.record(work, w.version);
        }
        let len = w.list.len();
        // Presented newest first: position `i` is the list's `len - 1 - i`.
        let at = |i: usize| &w.list[len - 1 - i];
        let window = window(len, |i| key(at(i)), CURSOR_TAG, true, args)?;
        let items = (window.start..window.end).map(|i| at(i).clone()).collect();
        Ok(Page { items, window })
    }

    /// A visible review by its key, recorded in `reads` (under its work) when found.
    pub fn get(&self, id: Uuid, reads: Option<&Reads>) -> Option<Arc<Review>> {
        let state = self.read();
        let review = state.by_id.get(&id)?.clone();
        if let (Some(reads), Some(w)) = (reads, state.works.get(&review.subject)) {
            reads.record(&review.subject, w.version);
        }
        Some(review)
    }

    /// The reviews added from now on, once each is durable. A receiver that falls
    /// [`SUBSCRIBER_QUEUE`] events behind is told it lagged, and is then dropped by its reader.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Review>> {
        self.events.subscribe()
    }

    /// Every visible review, oldest first (for tests and tools).
    pub fn all(&self) -> Vec<Arc<Review>> {
        let mut all: Vec<_> = self.read().by_id.values().cloned().collect();
        all.sort_by_key(|r| r.order_key());
        all
    }

    /// The change to `work` is visible: the listener hears of it.
    fn changed(&self, work: &str) {
        if let Some(listener) = self.on_change.get() {
            listener(work);
        }
    }

    /// `addReview`.
    pub async fn add(
        self: &Arc<Self>,
        store: &Store,
        input: AddInput,
    ) -> Result<Added, StorageError> {
        let new = match validate::add(store, &input) {
            Ok(new) => new,
            Err(errors) => return Ok(Added::Invalid(errors)),
        };
        let key = input.idempotency_key;
        match self.submit(Command::Add { new, key }).await? {
            Answer::Added(added) => Ok(added),
            _ => Err(mismatch()),
        }
    }

    /// Drops the idempotency answers older than a day; says whether there were any.
    fn forget_expired(&self, now: i64) -> bool {
        let mut state = self.write_state();
        let before = state.idempotent.len();
        state
            .idempotent
            .retain(|_, i| i.created_at + IDEMPOTENCY_TTL_MS > now);
        state.idempotent.len() != before
    }

    /// `editReview`.
    pub async fn edit(self: &Arc<Self>, input: EditInput) -> Result<Changed, StorageError> {
        let mut errors = Vec::new();
        let edit = validate::edit(&input, &mut errors);
        let command = Command::Edit {
            input,
            edit,
            errors,
        };
        match self.submit(command).await? {
            Answer::Changed(changed) => Ok(changed),
            _ => Err(mismatch()),
        }
    }

    /// `deleteReview`: the deleted review's global id, or what to correct.
    pub async fn delete(
        self: &Arc<Self>,
        id: String,
        token: String,
    ) -> Result<Result<String, Vec<UserError>>, StorageError> {
        match self.submit(Command::Delete { id, token }).await? {
            Answer::Deleted(deleted) => Ok(deleted),
            _ => Err(mismatch()),
        }
    }

    /// `hideReview` (the caller has checked the admin token): the review leaves lists,
    /// counts and `node`, and stays in the database with the reason.
    pub async fn hide(
        self: &Arc<Self>,
        id: String,
        reason: String,
    ) -> Result<Changed, StorageError> {
        let reason = match validate::reason(&reason) {
            Ok(reason) => reason,
            Err(errors) => return Ok(Changed::Invalid(errors)),
        };
        match self.submit(Command::Hide { id, reason }).await? {
            Answer::Changed(changed) => Ok(changed),
            _ => Err(mismatch()),
        }
    }
}

/// See [`Reviews::commits`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Commits {
    pub transactions: u64,
    pub writes: u64,
}

/// A write answered with another kind's answer: never, as each command has its own.
fn mismatch() -> StorageError {
    StorageError("a write got another write's kind of answer".into())
}

fn not_found() -> UserError {
    UserError::new("id", codes::NOT_FOUND, "no review has this id")
}

/// What makes two `addReview` inputs the same, for an idempotency key.
fn input_hash(new: &validate::NewReview) -> [u8; 32] {
    let mut h = Sha256::new();
    for part in [
        new.subject.as_str(),
        &new.rating.to_string(),
        new.title.as_deref().unwrap_or("\u{0}none"),
        &new.body,
        &new.author,
    ] {
        h.update((part.len() as u64).to_le_bytes());
        h.update(part.as_bytes());
    }
    h.finalize().into()
}
