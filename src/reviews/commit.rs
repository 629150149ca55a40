//! Group commit: the writes that arrive while a commit is in flight go into the next
//! transaction together, so that concurrent writers share one `fsync` instead of queueing for
//! one each.
//!
//! Each write is queued with a reply channel, then waits for the commit lock. Whoever holds
//! the lock takes everything queued (up to [`MAX_BATCH`]) and commits it: each write is
//! decided in arrival order against memory plus what the batch has decided before it (so
//! a retry with the same idempotency key, or an edit of a review added in the same batch,
//! sees it), the changes go to [`Storage::write`] as one transaction, and only once that
//! is durable is memory updated, the listener told, subscribers sent the new reviews and
//! each writer answered. A writer whose write an earlier holder already committed finds its
//! answer waiting and leaves; none is left behind, since every queued write has a writer
//! still to take the lock.
//!
//! A write that is refused (a `userError`) stores nothing and answers without touching the
//! others. A batch the storage refuses is tried again one write at a time, each decided
//! afresh, so that a write that cannot be stored fails alone and its neighbours commit.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use tokio::sync::oneshot;
use uuid::Uuid;

use super::model::{self, codes, hash_token, new_token, now_ms, token_matches};
use super::storage::{Change, Idempotent, StorageError};
use super::validate::{Edit, NewReview};
use super::{
    Added, Changed, EditInput, IDEMPOTENCY_TTL_MS, Review, Reviews, State, UserError, input_hash,
};

/// The most writes one transaction takes; more wait for the next.
pub const MAX_BATCH: usize = 256;

/// One write, checked against the rules and waiting for its turn.
pub(super) enum Command {
    Add {
        new: NewReview,
        key: Option<String>,
    },
    Edit {
        input: EditInput,
        edit: Edit,
        /// What the input's own checks found (the token's check comes first).
        errors: Vec<UserError>,
    },
    Delete {
        id: String,
        token: String,
    },
    Hide {
        id: String,
        reason: String,
    },
}

/// What a write answers.
pub(super) enum Answer {
    Added(Added),
    Changed(Changed),
    Deleted(Result<String, Vec<UserError>>),
}

/// A queued write and where its answer goes.
pub(super) struct Pending {
    command: Command,
    reply: oneshot::Sender<Result<Answer, StorageError>>,
}

/// What a decided write does to memory once its batch is durable.
enum Effect {
    Insert(Arc<Review>, Option<Idempotent>),
    Replace(Arc<Review>),
    Remove(Arc<Review>),
}

/// A write decided: its answer, and what it stores and changes (none for a `userError` or an
/// idempotent retry).
struct Decided {
    answer: Answer,
    write: Option<(Change, Effect)>,
}

impl Decided {
    fn answer(answer: Answer) -> Decided {
        Decided {
            answer,
            write: None,
        }
    }
}

/// Memory as the batch sees it: the committed state, under what the batch has decided so
/// far.
struct Overlay<'s> {
    state: &'s State,
    /// The last `createdAt` given, the batch's included.
    last: i64,
    /// Reviews the batch added or changed (`Some`), or removed (`None`).
    reviews: HashMap<Uuid, Option<Arc<Review>>>,
    keys: HashMap<String, Idempotent>,
}

impl Overlay<'_> {
    fn review(&self, key: Uuid) -> Option<Arc<Review>> {
        match self.reviews.get(&key) {
            Some(review) => review.clone(),
            None => self.state.by_id.get(&key).cloned(),
        }
    }

    fn visible(&self, id: &str) -> Option<Arc<Review>> {
        self.review(model::decode_id(id)?)
    }

    fn key(&self, key: &str) -> Option<&Idempotent> {
        self.keys
            .get(key)
            .or_else(|| self.state.idempotent.get(key))
    }

    /// The review `id` names, if `token` is its edit token.
    fn authorised(&self, id: &str, token: &str) -> Result<Arc<Review>, UserError> {
        let review = self.visible(id).ok_or_else(super::not_found)?;
        if token_matches(&review.token_hash, token) {
            Ok(review)
        } else {
            Err(UserError::new(
                "editToken",
                codes::BAD_TOKEN,
                "the edit token is not this review's",
            ))
        }
    }

    fn decide(&mut self, command: &Command) -> Decided {
        match command {
            Command::Add { new, key } => self.add(new, key.as_deref()),
            Command::Edit {
                input,
                edit,
                errors,
            } => self.edit(input, edit, errors),
            Command::Delete { id, token } => match self.authorised(id, token) {
                Err(e) => Decided::answer(Answer::Deleted(Err(vec![e]))),
                Ok(review) => {
                    self.reviews.insert(review.id, None);
                    Decided {
                        answer: Answer::Deleted(Ok(review.global_id())),
                        write: Some((Change::Delete(review.id), Effect::Remove(review))),
                    }
                }
            },
            Command::Hide { id, reason } => match self.visible(id) {
                None => {
                    Decided::answer(Answer::Changed(Changed::Invalid(vec![super::not_found()])))
                }
                Some(review) => {
                    self.reviews.insert(review.id, None);
                    let change = Change::Hide {
                        id: review.id,
                        reason: reason.clone(),
                        at: now_ms(),
                    };
                    Decided {
                        answer: Answer::Changed(Changed::Review(review.clone())),
                        write: Some((change, Effect::Remove(review))),
                    }
                }
            },
        }
    }

    fn add(&mut self, new: &NewReview, key: Option<&str>) -> Decided {
        let now = now_ms();
        let input_hash = input_hash(new);
        if let Some(first) = key.and_then(|key| self.key(key)) {
            let added = if first.input_hash != input_hash {
                Added::Invalid(vec![UserError::new(
                    "idempotencyKey",
                    codes::IDEMPOTENCY_KEY_REUSED,
                    "this idempotency key came before with a different input",
                )])
            } else {
                match self.review(first.review_id) {
                    Some(review) => Added::Review {
                        review,
                        token: first.edit_token.clone(),
                    },
                    None => Added::Invalid(vec![UserError::new(
                        "idempotencyKey",
                        codes::NOT_FOUND,
                        "the review this key made has since been deleted or hidden",
                    )]),
                }
            };
            return Decided::answer(Answer::Added(added));
        }
        // Never backwards, and never twice the same: at least the last plus 1 ms.
        let created_at = now.max(self.last + 1);
        self.last = created_at;
        let token = new_token();
        let review = Arc::new(Review {
            id: Uuid::now_v7(),
            subject: new.subject.as_str().into(),
            rating: new.rating,
            title: new.title.clone(),
            body: new.body.clone(),
            author: new.author.clone(),
            created_at,
            edited_at: None,
            token_hash: hash_token(&token),
        });
        let idempotent = key.map(|key| Idempotent {
            key: key.to_owned(),
            input_hash,
            review_id: review.id,
            edit_token: token.clone(),
            created_at: now,
        });
        self.reviews.insert(review.id, Some(review.clone()));
        if let Some(i) = &idempotent {
            self.keys.insert(i.key.clone(), i.clone());
        }
        let change = Change::Add {
            review: review.clone(),
            idempotent: idempotent.clone(),
        };
        Decided {
            answer: Answer::Added(Added::Review {
                review: review.clone(),
                token,
            }),
            write: Some((change, Effect::Insert(review, idempotent))),
        }
    }

    fn edit(&mut self, input: &EditInput, edit: &Edit, errors: &[UserError]) -> Decided {
        let invalid = |errors| Decided::answer(Answer::Changed(Changed::Invalid(errors)));
        let current = match self.authorised(&input.id, &input.edit_token) {
            Ok(review) => review,
            Err(e) => {
                let mut all = vec![e];
                all.extend_from_slice(errors);
                return invalid(all);
            }
        };
        if !errors.is_empty() {
            return invalid(errors.to_vec());
        }
        let mut review = (*current).clone();
        if let Some(rating) = edit.rating {
            review.rating = rating;
        }
        if let Some(title) = &edit.title {
            review.title = Some(title.clone());
        }
        if let Some(body) = &edit.body {
            review.body = body.clone();
        }
        review.edited_at = Some(now_ms().max(review.created_at));
        let review = Arc::new(review);
        self.reviews.insert(review.id, Some(review.clone()));
        Decided {
            answer: Answer::Changed(Changed::Review(review.clone())),
            write: Some((Change::Edit(review.clone()), Effect::Replace(review))),
        }
    }
}

impl Reviews {
    /// Queues `command` and answers once it is decided and, if it stores anything, durable.
    /// The commit runs on its own task, so that a client going away (or a request timing
    /// out) cannot stop it between the database and memory.
    pub(super) async fn submit(self: &Arc<Self>, command: Command) -> Result<Answer, StorageError> {
        let (reply, answer) = oneshot::channel();
        let this = self.clone();
        let task = tokio::spawn(async move {
            this.queue().push(Pending { command, reply });
            let mut last = this.commit.lock().await;
            let batch = {
                let mut queue = this.queue();
                let n = queue.len().min(MAX_BATCH);
                queue.drain(..n).collect::<Vec<_>>()
            };
            if !batch.is_empty() {
                this.commit(&mut last, batch).await;
            }
        });
        task.await
            .map_err(|e| StorageError(format!("a write failed: {e}")))?;
        answer
            .await
            .map_err(|_| StorageError("a write was dropped before its answer".into()))?
    }

    fn queue(&self) -> std::sync::MutexGuard<'_, Vec<Pending>> {
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Commits `batch` as one transaction; one the storage refuses, a write at a time.
    async fn commit(&self, last: &mut i64, batch: Vec<Pending>) {
        let Err(batch) = self.try_commit(last, batch).await else {
            return;
        };
        for pending in batch {
            // Alone, it answers whatever happens.
            let _ = self.try_commit(last, vec![pending]).await;
        }
    }

    /// Decides and commits `batch`, and answers each write. A batch of more than one write
    /// that the storage refuses comes back unanswered, with nothing changed.
    async fn try_commit(&self, last: &mut i64, batch: Vec<Pending>) -> Result<(), Vec<Pending>> {
        let now = now_ms();
        let mut changes = Vec::new();
        if self.forget_expired(now) {
            changes.push(Change::ForgetKeysBefore(now - IDEMPOTENCY_TTL_MS));
        }
        let (decided, overlay_last) = {
            let state = self.read();
            let mut overlay = Overlay {
                state: &state,
                last: *last,
                reviews: HashMap::new(),
                keys: HashMap::new(),
            };
            let decided: Vec<Decided> = batch.iter().map(|p| overlay.decide(&p.command)).collect();
            (decided, overlay.last)
        };
        let mut effects = Vec::new();
        let mut answers = Vec::with_capacity(batch.len());
        for d in decided {
            if let Some((change, effect)) = d.write {
                changes.push(change);
                effects.push(effect);
            }
            answers.push(d.answer);
        }
        if !changes.is_empty() {
            match self.storage.write(changes).await {
                Ok(()) => {
                    self.transactions.fetch_add(1, Ordering::Relaxed);
                    self.writes
                        .fetch_add(effects.len() as u64, Ordering::Relaxed);
                }
                // Only the erasing of expired keys failed: the next batch erases them.
                Err(e) if effects.is_empty() => {
                    tracing::warn!("cannot erase expired idempotency keys: {e}");
                }
                Err(e) if batch.len() > 1 => {
                    tracing::warn!(
                        "a batch of {} writes failed ({e}); trying each alone",
                        batch.len()
                    );
                    return Err(batch);
                }
                Err(e) => {
                    for p in batch {
                        let _ = p.reply.send(Err(StorageError(e.0.clone())));
                    }
                    return Ok(());
                }
            }
        }
        *last = overlay_last;
        self.apply(effects);
        for (p, answer) in batch.into_iter().zip(answers) {
            // The writer may be gone (its task is not): the write stands all the same.
            let _ = p.reply.send(Ok(answer));
        }
        Ok(())
    }

    /// Makes a durable batch visible: memory in one step, then the listener told of each
    /// work that changed, then subscribers sent the added reviews, in order.
    fn apply(&self, effects: Vec<Effect>) {
        if effects.is_empty() {
            return;
        }
        let mut works: Vec<Arc<str>> = Vec::new();
        let mut added = Vec::new();
        {
            let mut state = self.write_state();
            for effect in effects {
                let subject = match effect {
                    Effect::Insert(review, idempotent) => {
                        if let Some(i) = idempotent {
                            state.idempotent.insert(i.key.clone(), i);
                        }
                        state.insert(review.clone());
                        added.push(review.clone());
                        review.subject.clone()
                    }
                    Effect::Replace(review) => {
                        state.remove(review.id);
                        state.insert(review.clone());
                        review.subject.clone()
                    }
                    Effect::Remove(review) => {
                        state.remove(review.id);
                        review.subject.clone()
                    }
                };
                if !works.contains(&subject) {
                    works.push(subject);
                }
            }
        }
        for work in &works {
            self.changed(work);
        }
        for review in added {
            // Durable and visible: now subscribers may hear of it. No receiver is not an error.
            let _ = self.events.send(review);
        }
    }
}
