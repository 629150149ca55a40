//! The one seam between the reviews and where they are kept: [`Storage`], small enough that
//! moving to Postgres for many replicas is one more implementation. Two live here: SQLite
//! (`super::sqlite`, the default) and [`Ephemeral`], which keeps nothing (for the CLI's
//! `query` and tests that start a server without a database).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use uuid::Uuid;

use super::model::Review;

/// Why storage failed: the message is for the log, never for the client.
#[derive(Debug, thiserror::Error)]
#[error("review storage: {0}")]
pub struct StorageError(pub String);

impl StorageError {
    pub fn new(e: impl std::fmt::Display) -> StorageError {
        StorageError(e.to_string())
    }
}

/// A boxed future, so that the trait can be used as `dyn Storage`.
pub type Fut<'a, T> = Pin<Box<dyn Future<Output = Result<T, StorageError>> + Send + 'a>>;

/// The first answer to an idempotency key.
#[derive(Clone, Debug)]
pub struct Idempotent {
    pub key: String,
    /// SHA-256 of the input the key first came with.
    pub input_hash: [u8; 32],
    pub review_id: Uuid,
    pub edit_token: String,
    pub created_at: i64,
}

/// One durable change. [`Storage::write`] returns only once it would survive a crash.
#[derive(Clone, Debug)]
pub enum Change {
    Add {
        review: Arc<Review>,
        idempotent: Option<Idempotent>,
    },
    Edit(Arc<Review>),
    Delete(Uuid),
    Hide {
        id: Uuid,
        reason: String,
        at: i64,
    },
    /// Erases the idempotency answers made before this time.
    ForgetKeysBefore(i64),
}

/// What the server starts from.
#[derive(Default)]
pub struct Loaded {
    /// Every review that is neither hidden nor deleted.
    pub reviews: Vec<Review>,
    /// The latest `created_at` ever given (hidden reviews included), so that time never runs
    /// backwards across a restart.
    pub last_created_at: i64,
    pub idempotent: Vec<Idempotent>,
}

/// Where reviews are kept.
pub trait Storage: Send + Sync {
    /// Everything the in-memory state is built from, at start.
    fn load(&self) -> Fut<'_, Loaded>;
    /// Makes `changes` durable in one transaction, in order: all of them or none. Returns
    /// once the commit would survive a crash. The writes that came together while the last
    /// commit was in flight arrive here as one batch (see `super::commit`).
    fn write(&self, changes: Vec<Change>) -> Fut<'_, ()>;
}

/// Keeps nothing: reviews live as long as the process.
pub struct Ephemeral;

impl Storage for Ephemeral {
    fn load(&self) -> Fut<'_, Loaded> {
        Box::pin(async { Ok(Loaded::default()) })
    }

    fn write(&self, _: Vec<Change>) -> Fut<'_, ()> {
        Box::pin(async { Ok(()) })
    }
}
