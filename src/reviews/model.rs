//! The review records, their ids and timestamps, and what a write answers: plain values, no
//! GraphQL and no I/O.

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// One review as it is kept: in memory, and a row of the `reviews` table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Review {
    /// The key: a UUIDv7, so ids sort roughly by creation time.
    pub id: Uuid,
    /// The global id of the `Work` (film or album) it is about.
    pub subject: Arc<str>,
    /// 1 to 5.
    pub rating: u8,
    pub title: Option<String>,
    pub body: String,
    pub author: String,
    /// Milliseconds since the Unix epoch; strictly increasing from one review to the next.
    pub created_at: i64,
    pub edited_at: Option<i64>,
    /// The SHA-256 of the edit token; the token itself is never kept.
    pub token_hash: [u8; 32],
}

impl Review {
    /// The key lists are ordered by (newest first, ties broken by id).
    pub fn order_key(&self) -> (i64, Uuid) {
        (self.created_at, self.id)
    }

    /// The global id, as `node(id:)` takes it: `Review:<uuid>`, encoded like every other id.
    pub fn global_id(&self) -> String {
        global_id(self.id)
    }
}

/// The global id of the review `id`.
pub fn global_id(id: Uuid) -> String {
    URL_SAFE_NO_PAD.encode(format!("Review:{}", id.hyphenated()))
}

/// The review key inside a global id; `None` when it is not a review's id.
pub fn decode_id(id: &str) -> Option<Uuid> {
    if id.len() > 100 {
        return None;
    }
    let bytes = URL_SAFE_NO_PAD.decode(id).ok()?;
    let text = std::str::from_utf8(&bytes).ok()?;
    let uuid = text.strip_prefix("Review:")?;
    Uuid::try_parse(uuid).ok()
}

/// Whether a global id names a review (well formed or not), so that `node(id:)` asks the
/// reviews rather than the catalogue.
pub fn is_review_id(id: &str) -> bool {
    id.len() <= 100
        && URL_SAFE_NO_PAD
            .decode(id)
            .is_ok_and(|b| b.starts_with(b"Review:"))
}

/// A fresh edit token: 256 bits from the system's random source (two v4 UUIDs' random
/// bits), as 64 hex digits.
pub fn new_token() -> String {
    let mut token = String::with_capacity(64);
    for _ in 0..2 {
        token.push_str(&Uuid::new_v4().simple().to_string());
    }
    token
}

/// The hash kept in place of a token.
pub fn hash_token(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// Whether `given` is the token whose hash is `kept`: the hashes are compared in constant time
/// (every byte is looked at whatever differs), so timing says nothing of where they part.
pub fn token_matches(kept: &[u8; 32], given: &str) -> bool {
    constant_time_eq(kept, &hash_token(given))
}

/// Compares two digests without an early exit.
pub fn constant_time_eq(a: &[u8; 32], b: &[u8; 32]) -> bool {
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

/// Whether the `Authorization` header's bearer token is the admin token. With no admin token
/// configured, no one is admin. Both sides are hashed first, so the comparison takes the same
/// time whatever their lengths.
pub fn is_admin(admin_token: Option<&str>, bearer: Option<&str>) -> bool {
    match (admin_token, bearer) {
        (Some(admin), Some(given)) if !admin.is_empty() => {
            constant_time_eq(&hash_token(admin), &hash_token(given))
        }
        _ => false,
    }
}

/// RFC 3339 in UTC with milliseconds: `2026-12-07T02:18:51.123Z`.
pub fn rfc3339(ms: i64) -> String {
    let nanos = i128::from(ms) * 1_000_000;
    match time::OffsetDateTime::from_unix_timestamp_nanos(nanos) {
        Ok(t) => format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second(),
            t.millisecond()
        ),
        Err(_) => "1970-01-01T00:00:00.000Z".to_owned(),
    }
}

/// Now, in milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Something the person can correct: the input field's path, a message and a stable code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserError {
    pub field: Vec<String>,
    pub message: String,
    pub code: &'static str,
}

impl UserError {
    pub fn new(field: &str, code: &'static str, message: impl Into<String>) -> UserError {
        let mut path = vec!["input".to_owned()];
        if !field.is_empty() {
            path.push(field.to_owned());
        }
        UserError {
            field: path,
            message: message.into(),
            code,
        }
    }
}

/// The stable codes of `userErrors`.
pub mod codes {
    pub const REQUIRED: &str = "REQUIRED";
    pub const BLANK: &str = "BLANK";
    pub const TOO_LONG: &str = "TOO_LONG";
    pub const OUT_OF_RANGE: &str = "OUT_OF_RANGE";
    pub const CONTROL_CHARACTERS: &str = "CONTROL_CHARACTERS";
    pub const NOT_FOUND: &str = "NOT_FOUND";
    pub const WRONG_KIND: &str = "WRONG_KIND";
    pub const BAD_TOKEN: &str = "BAD_TOKEN";
    pub const INVALID: &str = "INVALID";
    pub const IDEMPOTENCY_KEY_REUSED: &str = "IDEMPOTENCY_KEY_REUSED";
}

/// What `addReview` is given, as the schema hands it over.
#[derive(Clone, Debug, Default)]
pub struct AddInput {
    pub subject: String,
    pub rating: i32,
    pub author: String,
    pub body: String,
    pub title: Option<String>,
    pub idempotency_key: Option<String>,
}

/// What `editReview` is given.
#[derive(Clone, Debug, Default)]
pub struct EditInput {
    pub id: String,
    pub edit_token: String,
    pub rating: Option<i32>,
    pub title: Option<String>,
    pub body: Option<String>,
}

/// What `addReview` answers: the review and its edit token, or what to correct.
#[derive(Clone, Debug)]
pub enum Added {
    Review { review: Arc<Review>, token: String },
    Invalid(Vec<UserError>),
}

/// What `editReview` and `hideReview` answer.
#[derive(Clone, Debug)]
pub enum Changed {
    Review(Arc<Review>),
    Invalid(Vec<UserError>),
}

/// The counts of one work's visible reviews, kept exact by every write.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// How many reviews gave each rating, 1 to 5.
    pub by_rating: [u32; 5],
}

impl Summary {
    pub fn count(&self) -> u32 {
        self.by_rating.iter().sum()
    }

    /// The mean rating, or `None` with no reviews.
    pub fn average(&self) -> Option<f64> {
        let count = self.count();
        let sum: u32 = (1..=5).zip(self.by_rating).map(|(r, n)| r * n).sum();
        (count > 0).then(|| f64::from(sum) / f64::from(count))
    }

    pub(super) fn add(&mut self, rating: u8, sign: i32) {
        if let Some(n) = usize::from(rating)
            .checked_sub(1)
            .and_then(|i| self.by_rating.get_mut(i))
        {
            *n = n.saturating_add_signed(sign);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip() {
        let id = Uuid::now_v7();
        let g = global_id(id);
        assert_eq!(decode_id(&g), Some(id));
        assert!(is_review_id(&g));
        assert_eq!(decode_id("RmlsbTpsZWFw"), None);
        assert!(!is_review_id("RmlsbTpsZWFw"));
        assert!(is_review_id(&URL_SAFE_NO_PAD.encode("Review:nope")));
        assert_eq!(decode_id(&URL_SAFE_NO_PAD.encode("Review:nope")), None);
    }

    #[test]
    fn timestamps() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339(1_600_000_000_123), "2020-09-13T12:26:40.123Z");
    }

    #[test]
    fn tokens() {
        let t = new_token();
        assert_eq!(t.len(), 64);
        assert!(token_matches(&hash_token(&t), &t));
        assert!(!token_matches(&hash_token(&t), "x"));
        assert!(is_admin(Some("s3cret"), Some("s3cret")));
        assert!(!is_admin(Some("s3cret"), Some("s3cre")));
        assert!(!is_admin(None, Some("")));
        assert!(!is_admin(Some(""), Some("")));
    }

    #[test]
    fn summary() {
        let mut s = Summary::default();
        assert_eq!(s.average(), None);
        s.add(5, 1);
        s.add(4, 1);
        assert_eq!(s.count(), 2);
        assert_eq!(s.average(), Some(4.5));
        s.add(5, -1);
        assert_eq!(s.by_rating, [0, 0, 0, 1, 0]);
    }
}
