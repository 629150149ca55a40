//! `Review`, its connection and summary, the `Mutation` root (the four review writes) and the
//! `Subscription` root (`reviewAdded`). Thin wrappers over `crate::reviews`, which owns the
//! rules, the storage and the in-memory lists; the only logic here is GraphQL's: reading the
//! request's data (the reviews, what the request has read, whether it is the admin's) and
//! turning the outcomes into payloads and errors.

use std::sync::Arc;

use async_graphql::{
    Context, ErrorExtensions, ID, InputObject, Object, Result, SimpleObject, Subscription,
};
use futures_util::Stream;

use super::connection::{OrBadInput, PageInfo};
use super::error::bad_input;
use super::node::Work;
use crate::error_code::ErrorCode;
use crate::reviews::model::{self as m, AddInput, Added, Changed, EditInput};
use crate::reviews::{Reads, Reviews};
use crate::store::Store;
use crate::store::ids;
use crate::store::model::{Kind, Work as W};
use crate::store::query::PageArgs;

/// Whether the request carried the admin's bearer token (`LEAP_ADMIN_TOKEN`), as request data.
#[derive(Clone, Copy, Debug, Default)]
pub struct Admin(pub bool);

/// The reviews, from the request's data.
fn reviews<'c>(ctx: &Context<'c>) -> Result<&'c Arc<Reviews>> {
    ctx.data::<Arc<Reviews>>()
}

/// The catalogue as an `Arc`, which reviews keep to resolve their subject.
fn shared_store(ctx: &Context<'_>) -> Result<Arc<Store>> {
    Ok(ctx.data::<Arc<Store>>()?.clone())
}

/// What the request has read, when the engine keeps track (queries it may cache).
fn reads<'c>(ctx: &Context<'c>) -> Option<&'c Reads> {
    ctx.data_opt::<Arc<Reads>>().map(|r| r.as_ref())
}

/// A write that could not be made durable: the client cannot fix it by editing the form.
fn storage_failed(e: crate::reviews::StorageError) -> async_graphql::Error {
    tracing::error!("{e}");
    async_graphql::Error::new("the review could not be stored; try again")
        .extend_with(|_, x| x.set("code", ErrorCode::InternalServerError.as_str()))
}

/// A review of a film or an album, written by a reader.
pub struct Review {
    store: Arc<Store>,
    record: Arc<m::Review>,
}

impl Review {
    pub fn new(store: Arc<Store>, record: Arc<m::Review>) -> Review {
        Review { store, record }
    }
}

/// A review of a film, an album or a track, written by a reader.
#[Object]
impl Review {
    /// The global id: `node(id:)` finds the review until it is deleted or hidden.
    pub async fn id(&self) -> ID {
        ID(self.record.global_id())
    }
    /// From 1 to 5.
    async fn rating(&self) -> i32 {
        i32::from(self.record.rating)
    }
    /// The title, when the author gave one.
    async fn title(&self) -> Option<&str> {
        self.record.title.as_deref()
    }
    /// The text, as written (never HTML: render it as text).
    async fn body(&self) -> &str {
        &self.record.body
    }
    /// The name the author gave.
    async fn author(&self) -> &str {
        &self.record.author
    }
    /// When it was written: RFC 3339 in UTC with milliseconds.
    async fn created_at(&self) -> String {
        m::rfc3339(self.record.created_at)
    }
    /// When it was last edited, if ever: RFC 3339 in UTC with milliseconds.
    async fn edited_at(&self) -> Option<String> {
        self.record.edited_at.map(m::rfc3339)
    }
    /// The film or album reviewed.
    async fn subject(&self) -> Result<Work<'_>> {
        work_of(&self.store, &self.record.subject).ok_or_else(|| {
            async_graphql::Error::new("the reviewed work is no longer in the catalogue")
        })
    }
}

/// The work a global id names, if it is a film, an album or a track of this catalogue.
fn work_of<'a>(store: &'a Store, id: &str) -> Option<Work<'a>> {
    let (kind, slug) = ids::decode(id)?;
    let idx = store.find(kind, &slug)?;
    match kind {
        Kind::Film => Some(Work::new(store, W::Film(idx))),
        Kind::Album => Some(Work::new(store, W::Album(idx))),
        Kind::Track => Some(Work::new(store, W::Track(idx))),
        _ => None,
    }
}

/// A page of reviews, newest first, by the Relay cursor spec, with the total count.
pub struct ReviewConnection {
    store: Arc<Store>,
    page: crate::reviews::Page,
}

/// A page of reviews, newest first, by the Relay cursor spec, with the total count.
#[Object]
impl ReviewConnection {
    /// How many visible reviews the work has, across every page.
    async fn total_count(&self) -> usize {
        self.page.window.total
    }
    /// The reviews of this page with their cursors.
    async fn edges(&self) -> Vec<ReviewEdge> {
        self.page
            .items
            .iter()
            .map(|r| ReviewEdge(Review::new(self.store.clone(), r.clone())))
            .collect()
    }
    /// The reviews of this page, for clients that need no cursors.
    async fn nodes(&self) -> Vec<Review> {
        self.page
            .items
            .iter()
            .map(|r| Review::new(self.store.clone(), r.clone()))
            .collect()
    }
    /// Where this page stands in the list.
    async fn page_info(&self) -> PageInfo {
        let w = self.page.window;
        PageInfo {
            has_next_page: w.has_next(),
            has_previous_page: w.has_previous(),
            start_cursor: self.page.items.first().map(|r| crate::reviews::cursor(r)),
            end_cursor: self.page.items.last().map(|r| crate::reviews::cursor(r)),
        }
    }
}

/// One review in a page, with its cursor.
pub struct ReviewEdge(Review);

/// One review in a page, with its cursor.
#[Object]
impl ReviewEdge {
    /// An opaque cursor for this review, to pass as `after` or `before`.
    async fn cursor(&self) -> String {
        crate::reviews::cursor(&self.0.record)
    }
    /// The review itself.
    async fn node(&self) -> &Review {
        &self.0
    }
}

/// How a work's visible reviews rate it.
#[derive(SimpleObject)]
pub struct ReviewSummary {
    /// How many visible reviews there are.
    count: i32,
    /// The mean rating; null while there are none.
    average_rating: Option<f64>,
    /// How many reviews gave each rating, for all five ratings, 1 first.
    rating_counts: Vec<RatingCount>,
}

/// How many reviews gave one rating.
#[derive(SimpleObject)]
pub struct RatingCount {
    /// From 1 to 5.
    rating: i32,
    /// How many visible reviews gave it.
    count: i32,
}

/// A work's reviews page: what `Film.reviews` and `Album.reviews` answer.
pub fn reviews_of(ctx: &Context<'_>, work: String, args: PageArgs) -> Result<ReviewConnection> {
    let page = reviews(ctx)?
        .page(&Arc::from(work), &args, reads(ctx))
        .or_bad_input()?;
    Ok(ReviewConnection {
        store: shared_store(ctx)?,
        page,
    })
}

/// A work's summary: what `Film.reviewSummary` and `Album.reviewSummary` answer.
pub fn summary_of(ctx: &Context<'_>, work: String) -> Result<ReviewSummary> {
    let s = reviews(ctx)?.summary(&Arc::from(work), reads(ctx));
    let count = |n: u32| i32::try_from(n).unwrap_or(i32::MAX);
    Ok(ReviewSummary {
        count: count(s.count()),
        average_rating: s.average(),
        rating_counts: (1..=5)
            .zip(s.by_rating)
            .map(|(rating, n)| RatingCount {
                rating,
                count: count(n),
            })
            .collect(),
    })
}

/// `node(id:)` for a review id: null once deleted or hidden; a malformed one is bad input.
pub fn node(ctx: &Context<'_>, id: &str) -> Result<Option<Review>> {
    let key = m::decode_id(id).ok_or_else(|| bad_input(format!("{id:.40} is not a review id")))?;
    let store = shared_store(ctx)?;
    Ok(reviews(ctx)?
        .get(key, reads(ctx))
        .filter(|r| work_of(&store, &r.subject).is_some())
        .map(|r| Review::new(store, r)))
}

/// Something the person can correct, with the path of the input field it is about.
#[derive(SimpleObject)]
pub struct UserError {
    /// The path of the input field, e.g. `["input", "rating"]`.
    field: Vec<String>,
    /// What is wrong, in a sentence.
    message: String,
    /// A stable code: `OUT_OF_RANGE`, `REQUIRED`, `BLANK`, `TOO_LONG`, `CONTROL_CHARACTERS`,
    /// `NOT_FOUND`, `WRONG_KIND`, `BAD_TOKEN`, `INVALID`, `IDEMPOTENCY_KEY_REUSED`.
    code: String,
}

fn user_errors(errors: Vec<m::UserError>) -> Vec<UserError> {
    errors
        .into_iter()
        .map(|e| UserError {
            field: e.field,
            message: e.message,
            code: e.code.to_owned(),
        })
        .collect()
}

/// A new review.
#[derive(InputObject)]
pub struct AddReviewInput {
    /// The global id of the film or album reviewed.
    subject: ID,
    /// From 1 to 5.
    rating: i32,
    /// The name to show (1 to 60 characters, one line).
    author: String,
    /// The text (1 to 5,000 characters; newlines and tabs allowed).
    body: String,
    /// A title (up to 120 characters, one line).
    title: Option<String>,
    /// 1 to 100 visible characters: a retry with the same key and input gets the first
    /// answer again (for 24 hours) instead of a second review.
    idempotency_key: Option<String>,
}

/// Changes to a review, with the token `addReview` gave.
#[derive(InputObject)]
pub struct EditReviewInput {
    /// The review's global id.
    id: ID,
    /// The token `addReview` answered with.
    edit_token: String,
    /// The new rating, from 1 to 5; absent: unchanged.
    rating: Option<i32>,
    /// The new title (at most 120 characters); absent: unchanged.
    title: Option<String>,
    /// The new text (1 to 5,000 characters); absent: unchanged.
    body: Option<String>,
}

/// A review to delete, with the token `addReview` gave.
#[derive(InputObject)]
pub struct DeleteReviewInput {
    /// The review's global id.
    id: ID,
    /// The token `addReview` answered with.
    edit_token: String,
}

/// A review to hide (moderation; needs the admin token).
#[derive(InputObject)]
pub struct HideReviewInput {
    /// The review's global id.
    id: ID,
    /// Why, kept with the review (1 to 500 characters).
    reason: String,
}

/// What `addReview` answers.
#[derive(SimpleObject)]
pub struct AddReviewPayload {
    /// The review, or null when there are user errors.
    review: Option<Review>,
    /// The token that edits or deletes the review: shown once, keep it.
    edit_token: Option<String>,
    /// What to correct; when not empty, nothing was stored.
    user_errors: Vec<UserError>,
}

/// What `editReview` answers.
#[derive(SimpleObject)]
pub struct EditReviewPayload {
    /// The review as changed, or null when there are user errors.
    review: Option<Review>,
    /// What to correct; when not empty, nothing was changed.
    user_errors: Vec<UserError>,
}

/// What `deleteReview` answers.
#[derive(SimpleObject)]
pub struct DeleteReviewPayload {
    /// The id of the review deleted, or null when there are user errors.
    deleted_review_id: Option<ID>,
    /// What to correct; when not empty, nothing was deleted.
    user_errors: Vec<UserError>,
}

/// What `hideReview` answers.
#[derive(SimpleObject)]
pub struct HideReviewPayload {
    /// The review hidden, or null when there are user errors.
    review: Option<Review>,
    /// What to correct; when not empty, nothing was hidden.
    user_errors: Vec<UserError>,
}

fn changed(store: Arc<Store>, c: Changed) -> (Option<Review>, Vec<UserError>) {
    match c {
        Changed::Review(r) => (Some(Review::new(store, r)), Vec::new()),
        Changed::Invalid(e) => (None, user_errors(e)),
    }
}

/// The writes: reviews of films and albums.
pub struct Mutation;

/// The writes: readers' reviews of works.
#[Object]
impl Mutation {
    /// Adds a review. Invalid input comes back as `userErrors`, and then nothing is stored.
    async fn add_review(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The review to add.")] input: AddReviewInput,
    ) -> Result<AddReviewPayload> {
        let store = shared_store(ctx)?;
        let input = AddInput {
            subject: input.subject.0,
            rating: input.rating,
            author: input.author,
            body: input.body,
            title: input.title,
            idempotency_key: input.idempotency_key,
        };
        let added = reviews(ctx)?
            .add(&store, input)
            .await
            .map_err(storage_failed)?;
        Ok(match added {
            Added::Review { review, token } => AddReviewPayload {
                review: Some(Review::new(store, review)),
                edit_token: Some(token),
                user_errors: Vec::new(),
            },
            Added::Invalid(errors) => AddReviewPayload {
                review: None,
                edit_token: None,
                user_errors: user_errors(errors),
            },
        })
    }

    /// Changes a review's rating, title or body, with its edit token.
    async fn edit_review(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The review and what to change.")] input: EditReviewInput,
    ) -> Result<EditReviewPayload> {
        let input = EditInput {
            id: input.id.0,
            edit_token: input.edit_token,
            rating: input.rating,
            title: input.title,
            body: input.body,
        };
        let c = reviews(ctx)?.edit(input).await.map_err(storage_failed)?;
        let (review, user_errors) = changed(shared_store(ctx)?, c);
        Ok(EditReviewPayload {
            review,
            user_errors,
        })
    }

    /// Deletes a review, with its edit token.
    async fn delete_review(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The review to delete, with its token.")] input: DeleteReviewInput,
    ) -> Result<DeleteReviewPayload> {
        let done = reviews(ctx)?
            .delete(input.id.0, input.edit_token)
            .await
            .map_err(storage_failed)?;
        Ok(match done {
            Ok(id) => DeleteReviewPayload {
                deleted_review_id: Some(ID(id)),
                user_errors: Vec::new(),
            },
            Err(errors) => DeleteReviewPayload {
                deleted_review_id: None,
                user_errors: user_errors(errors),
            },
        })
    }

    /// Hides a review from every list, count and lookup (moderation). Needs
    /// `Authorization: Bearer <LEAP_ADMIN_TOKEN>`; otherwise a `FORBIDDEN` error.
    async fn hide_review(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The review to hide, with the reason.")] input: HideReviewInput,
    ) -> Result<HideReviewPayload> {
        if !ctx.data_opt::<Admin>().is_some_and(|a| a.0) {
            return Err(async_graphql::Error::new(
                "hiding a review needs the admin token (Authorization: Bearer ...)",
            )
            .extend_with(|_, e| e.set("code", ErrorCode::Forbidden.as_str())));
        }
        let c = reviews(ctx)?
            .hide(input.id.0, input.reason)
            .await
            .map_err(storage_failed)?;
        let (review, user_errors) = changed(shared_store(ctx)?, c);
        Ok(HideReviewPayload {
            review,
            user_errors,
        })
    }
}

/// Live updates.
pub struct Subscription;

/// Live updates: reviews as they are added.
#[Subscription]
impl Subscription {
    /// Each review added to the work `subject` (a film or an album) from now on, sent once it
    /// is durable. A subscriber that falls 64 reviews behind is dropped.
    async fn review_added(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The global id of a film or album.")] subject: ID,
    ) -> Result<impl Stream<Item = Review>> {
        let store = shared_store(ctx)?;
        if work_of(&store, &subject).is_none() {
            return Err(bad_input(format!(
                "{:.40} is not the id of a film or album of this catalogue",
                subject.0
            )));
        }
        let receiver = reviews(ctx)?.subscribe();
        let subject: Arc<str> = Arc::from(subject.0);
        Ok(futures_util::stream::unfold(
            (receiver, subject, store),
            |(mut rx, subject, store)| async move {
                loop {
                    match rx.recv().await {
                        Ok(review) if review.subject == subject => {
                            let item = Review::new(store.clone(), review);
                            return Some((item, (rx, subject, store)));
                        }
                        Ok(_) => continue,
                        // Too far behind (or the server is going): the stream ends.
                        Err(_) => return None,
                    }
                }
            },
        ))
    }
}
