//! SQLite through sqlx: the default storage. Queries are plain strings checked at run time,
//! so building needs no database; the migrations in `migrations/` are embedded and run at
//! open. The journal is a WAL with `synchronous=FULL`: a write is acknowledged only once its
//! commit is on disk, so it survives `kill -9` and power loss alike.
//!
//! A server holds an exclusive lock on `<database>.lock` for as long as it runs, so that
//! `reviews import` can refuse to write under it; `export` and `backup` read a consistent
//! snapshot beside it.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Row, SqlitePool};
use uuid::Uuid;

use super::model::Review;
use super::storage::{Change, Fut, Idempotent, Loaded, Storage, StorageError};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// The default database: a file in `./data/`, made on first run.
pub const DEFAULT_URL: &str = "sqlite://data/reviews.db";

/// A SQLite database of reviews.
pub struct Sqlite {
    pool: SqlitePool,
    path: PathBuf,
    /// The server's lock, held while this value lives (see the module's comment).
    _lock: Option<std::fs::File>,
}

/// How the database is opened: by a server (which takes the lock) or by a command beside it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Holder {
    Server,
    /// `import`: refused while a server holds the database.
    Writer,
    /// `export` and `backup`: fine beside a server.
    Reader,
}

impl Sqlite {
    /// Opens (creating it, and its directory, when missing) the database at `url`: a
    /// `sqlite:` URL or a plain path. Runs the migrations.
    pub async fn open(url: &str, holder: Holder) -> Result<Sqlite, StorageError> {
        let options = if url.starts_with("sqlite:") {
            SqliteConnectOptions::from_str(url).map_err(StorageError::new)?
        } else {
            SqliteConnectOptions::new().filename(url)
        };
        let path = options.get_filename().to_owned();
        if path.as_os_str() == ":memory:" {
            return Err(StorageError(
                "an in-memory database would lose every review; give a file".into(),
            ));
        }
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| StorageError(format!("cannot create {}: {e}", dir.display())))?;
        }
        let lock = match holder {
            Holder::Server | Holder::Writer => Some(lock(&path, holder)?),
            Holder::Reader => None,
        };
        let options = options
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5));
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await
            .map_err(|e| StorageError(format!("cannot open {}: {e}", path.display())))?;
        MIGRATOR
            .run(&pool)
            .await
            .map_err(|e| StorageError(format!("cannot migrate {}: {e}", path.display())))?;
        Ok(Sqlite {
            pool,
            path,
            _lock: lock,
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Every review, hidden ones included, oldest first: what `reviews export` writes.
    pub async fn export(&self) -> Result<Vec<Exported>, StorageError> {
        let rows = sqlx::query(
            "SELECT id, subject, rating, title, body, author, created_at, edited_at, \
             token_hash, hidden_at, hidden_reason FROM reviews ORDER BY created_at, id",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(StorageError::new)?;
        rows.iter()
            .map(|row| {
                let review = review_of(row)?;
                Ok(Exported {
                    id: review.id.hyphenated().to_string(),
                    subject: review.subject.to_string(),
                    rating: review.rating,
                    title: review.title,
                    body: review.body,
                    author: review.author,
                    created_at: review.created_at,
                    edited_at: review.edited_at,
                    token_hash: hex(&review.token_hash),
                    hidden_at: row.try_get("hidden_at").map_err(StorageError::new)?,
                    hidden_reason: row.try_get("hidden_reason").map_err(StorageError::new)?,
                })
            })
            .collect()
    }

    /// Adds exported reviews in one transaction; one whose id is already there is left as it
    /// is. Returns how many were added.
    pub async fn import(&self, reviews: &[Exported]) -> Result<u64, StorageError> {
        let mut tx = self.pool.begin().await.map_err(StorageError::new)?;
        let mut added = 0;
        for r in reviews {
            let id = Uuid::try_parse(&r.id)
                .map_err(|e| StorageError(format!("review {}: {e}", r.id)))?;
            let hash = unhex(&r.token_hash)
                .ok_or_else(|| StorageError(format!("review {}: a bad tokenHash", r.id)))?;
            let done = sqlx::query(
                "INSERT OR IGNORE INTO reviews (id, subject, rating, title, body, author, \
                 created_at, edited_at, token_hash, hidden_at, hidden_reason) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(id.hyphenated().to_string())
            .bind(&r.subject)
            .bind(i64::from(r.rating))
            .bind(&r.title)
            .bind(&r.body)
            .bind(&r.author)
            .bind(r.created_at)
            .bind(r.edited_at)
            .bind(&hash[..])
            .bind(r.hidden_at)
            .bind(&r.hidden_reason)
            .execute(&mut *tx)
            .await
            .map_err(|e| StorageError(format!("review {}: {e}", r.id)))?;
            added += done.rows_affected();
        }
        tx.commit().await.map_err(StorageError::new)?;
        Ok(added)
    }

    /// Writes a consistent snapshot of the database to `file` (which must not exist), while
    /// the server keeps writing: `VACUUM INTO` reads one transaction's view.
    pub async fn backup(&self, file: &Path) -> Result<(), StorageError> {
        if file.exists() {
            return Err(StorageError(format!("{} already exists", file.display())));
        }
        sqlx::query("VACUUM INTO ?")
            .bind(file.to_string_lossy().into_owned())
            .execute(&self.pool)
            .await
            .map_err(StorageError::new)?;
        Ok(())
    }

    /// Writes `changes` in one transaction, committed once: with WAL and `synchronous=FULL`
    /// that is one `fsync` of the log for the whole batch.
    async fn apply(&self, changes: Vec<Change>) -> Result<(), sqlx::Error> {
        let mut tx = self.pool.begin().await?;
        for change in changes {
            apply_one(&mut tx, change).await?;
        }
        tx.commit().await
    }

    async fn load_all(&self) -> Result<Loaded, StorageError> {
        let rows = sqlx::query(
            "SELECT id, subject, rating, title, body, author, created_at, edited_at, \
             token_hash FROM reviews WHERE hidden_at IS NULL",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(StorageError::new)?;
        let reviews = rows.iter().map(review_of).collect::<Result<Vec<_>, _>>()?;
        let last_created_at: Option<i64> =
            sqlx::query_scalar("SELECT MAX(created_at) FROM reviews")
                .fetch_one(&self.pool)
                .await
                .map_err(StorageError::new)?;
        let keys = sqlx::query(
            "SELECT key, input_hash, review_id, edit_token, created_at FROM idempotency",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(StorageError::new)?;
        let idempotent = keys
            .iter()
            .map(|row| {
                let hash: Vec<u8> = row.try_get("input_hash").map_err(StorageError::new)?;
                let id: String = row.try_get("review_id").map_err(StorageError::new)?;
                Ok(Idempotent {
                    key: row.try_get("key").map_err(StorageError::new)?,
                    input_hash: hash
                        .try_into()
                        .map_err(|_| StorageError("a bad hash".into()))?,
                    review_id: Uuid::try_parse(&id).map_err(StorageError::new)?,
                    edit_token: row.try_get("edit_token").map_err(StorageError::new)?,
                    created_at: row.try_get("created_at").map_err(StorageError::new)?,
                })
            })
            .collect::<Result<Vec<_>, StorageError>>()?;
        Ok(Loaded {
            reviews,
            last_created_at: last_created_at.unwrap_or(0),
            idempotent,
        })
    }
}

impl Storage for Sqlite {
    fn load(&self) -> Fut<'_, Loaded> {
        Box::pin(self.load_all())
    }

    fn write(&self, changes: Vec<Change>) -> Fut<'_, ()> {
        Box::pin(async move { self.apply(changes).await.map_err(StorageError::new) })
    }
}

/// One change, inside the batch's transaction.
async fn apply_one(tx: &mut sqlx::SqliteConnection, change: Change) -> Result<(), sqlx::Error> {
    match change {
        Change::Add { review, idempotent } => {
            insert(&review).execute(&mut *tx).await?;
            if let Some(i) = idempotent {
                sqlx::query(
                    "INSERT INTO idempotency (key, input_hash, review_id, edit_token, \
                     created_at) VALUES (?, ?, ?, ?, ?)",
                )
                .bind(&i.key)
                .bind(&i.input_hash[..])
                .bind(i.review_id.hyphenated().to_string())
                .bind(&i.edit_token)
                .bind(i.created_at)
                .execute(&mut *tx)
                .await?;
            }
        }
        Change::Edit(review) => {
            sqlx::query(
                "UPDATE reviews SET rating = ?, title = ?, body = ?, edited_at = ? WHERE id = ?",
            )
            .bind(i64::from(review.rating))
            .bind(&review.title)
            .bind(&review.body)
            .bind(review.edited_at)
            .bind(review.id.hyphenated().to_string())
            .execute(&mut *tx)
            .await?;
        }
        Change::Delete(id) => {
            sqlx::query("DELETE FROM reviews WHERE id = ?")
                .bind(id.hyphenated().to_string())
                .execute(&mut *tx)
                .await?;
        }
        Change::Hide { id, reason, at } => {
            sqlx::query("UPDATE reviews SET hidden_at = ?, hidden_reason = ? WHERE id = ?")
                .bind(at)
                .bind(reason)
                .bind(id.hyphenated().to_string())
                .execute(&mut *tx)
                .await?;
        }
        Change::ForgetKeysBefore(before) => {
            sqlx::query("DELETE FROM idempotency WHERE created_at < ?")
                .bind(before)
                .execute(&mut *tx)
                .await?;
        }
    }
    Ok(())
}

fn insert(
    review: &Review,
) -> sqlx::query::Query<'_, sqlx::Sqlite, sqlx::sqlite::SqliteArguments<'_>> {
    sqlx::query(
        "INSERT INTO reviews (id, subject, rating, title, body, author, created_at, edited_at, \
         token_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(review.id.hyphenated().to_string())
    .bind(review.subject.to_string())
    .bind(i64::from(review.rating))
    .bind(review.title.clone())
    .bind(review.body.clone())
    .bind(review.author.clone())
    .bind(review.created_at)
    .bind(review.edited_at)
    .bind(review.token_hash.to_vec())
}

fn review_of(row: &sqlx::sqlite::SqliteRow) -> Result<Review, StorageError> {
    let get = |e: sqlx::Error| StorageError::new(e);
    let id: String = row.try_get("id").map_err(get)?;
    let subject: String = row.try_get("subject").map_err(get)?;
    let rating: i64 = row.try_get("rating").map_err(get)?;
    let hash: Vec<u8> = row.try_get("token_hash").map_err(get)?;
    Ok(Review {
        id: Uuid::try_parse(&id).map_err(StorageError::new)?,
        subject: subject.into(),
        rating: u8::try_from(rating).map_err(StorageError::new)?,
        title: row.try_get("title").map_err(get)?,
        body: row.try_get("body").map_err(get)?,
        author: row.try_get("author").map_err(get)?,
        created_at: row.try_get("created_at").map_err(get)?,
        edited_at: row.try_get("edited_at").map_err(get)?,
        token_hash: hash
            .try_into()
            .map_err(|_| StorageError("a token hash that is not 32 bytes".into()))?,
    })
}

/// One review as `reviews export` writes it and `reviews import` reads it: one JSON object a
/// line.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Exported {
    pub id: String,
    pub subject: String,
    pub rating: u8,
    pub title: Option<String>,
    pub body: String,
    pub author: String,
    pub created_at: i64,
    pub edited_at: Option<i64>,
    pub token_hash: String,
    pub hidden_at: Option<i64>,
    pub hidden_reason: Option<String>,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<[u8; 32]> {
    if text.len() != 64 || !text.is_ascii() {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(text.get(i * 2..i * 2 + 2)?, 16).ok()?;
    }
    Some(out)
}

/// Takes the database's lock file, refusing when a server holds it.
#[cfg(unix)]
fn lock(db: &Path, holder: Holder) -> Result<std::fs::File, StorageError> {
    use rustix::fs::{FlockOperation, flock};
    let mut name = db.as_os_str().to_owned();
    name.push(".lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&name)
        .map_err(|e| StorageError(format!("cannot open {}: {e}", Path::new(&name).display())))?;
    flock(&file, FlockOperation::NonBlockingLockExclusive).map_err(|_| {
        StorageError(match holder {
            Holder::Server => format!("{} is in use by another server", db.display()),
            _ => format!(
                "{} is in use by a running server; stop it first (export and backup work beside it)",
                db.display()
            ),
        })
    })?;
    Ok(file)
}

#[cfg(not(unix))]
fn lock(db: &Path, _: Holder) -> Result<std::fs::File, StorageError> {
    let mut name = db.as_os_str().to_owned();
    name.push(".lock");
    std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&name)
        .map_err(StorageError::new)
}
