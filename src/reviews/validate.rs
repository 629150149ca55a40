//! The rules a review's input must meet, checked in full before anything is stored: every
//! problem comes back at once as a `UserError`, and a write with any stores nothing.

use unicode_normalization::UnicodeNormalization;

use super::model::{AddInput, EditInput, UserError, codes};
use crate::store::Store;
use crate::store::ids;
use crate::store::model::Kind;

pub const MAX_AUTHOR: usize = 60;
pub const MAX_TITLE: usize = 120;
pub const MAX_BODY: usize = 5_000;
pub const MAX_REASON: usize = 500;
pub const MAX_IDEMPOTENCY_KEY: usize = 100;

/// An `addReview` input that passed: its text in NFC, and the subject's global id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewReview {
    pub subject: String,
    pub rating: u8,
    pub title: Option<String>,
    pub body: String,
    pub author: String,
}

/// The changes an `editReview` input that passed asks for.
#[derive(Clone, Debug, Default)]
pub struct Edit {
    pub rating: Option<u8>,
    pub title: Option<String>,
    pub body: Option<String>,
}

/// Checks an `addReview` input against the rules and the catalogue.
pub fn add(store: &Store, input: &AddInput) -> Result<NewReview, Vec<UserError>> {
    let mut errors = Vec::new();
    subject(store, &input.subject, &mut errors);
    let rating = rating(input.rating, &mut errors);
    let author = text("author", &input.author, MAX_AUTHOR, false, &mut errors);
    let body = text("body", &input.body, MAX_BODY, true, &mut errors);
    let title = input
        .title
        .as_deref()
        .map(|t| text("title", t, MAX_TITLE, false, &mut errors));
    if let Some(key) = &input.idempotency_key {
        idempotency_key(key, &mut errors);
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(NewReview {
        subject: input.subject.clone(),
        rating,
        title,
        body,
        author,
    })
}

/// Checks the changes of an `editReview` input (the id and token are the store's to check).
pub fn edit(input: &EditInput, errors: &mut Vec<UserError>) -> Edit {
    let edit = Edit {
        rating: input.rating.map(|r| rating(r, errors)),
        title: input
            .title
            .as_deref()
            .map(|t| text("title", t, MAX_TITLE, false, errors)),
        body: input
            .body
            .as_deref()
            .map(|b| text("body", b, MAX_BODY, true, errors)),
    };
    if input.rating.is_none() && input.title.is_none() && input.body.is_none() {
        errors.push(UserError::new(
            "",
            codes::REQUIRED,
            "give at least one of rating, title and body to change",
        ));
    }
    edit
}

/// Checks `hideReview`'s reason.
pub fn reason(reason: &str) -> Result<String, Vec<UserError>> {
    let mut errors = Vec::new();
    let reason = text("reason", reason, MAX_REASON, true, &mut errors);
    if errors.is_empty() {
        Ok(reason)
    } else {
        Err(errors)
    }
}

fn subject(store: &Store, id: &str, errors: &mut Vec<UserError>) {
    let Some((kind, slug)) = ids::decode(id) else {
        let code = if super::model::is_review_id(id) {
            codes::WRONG_KIND
        } else {
            codes::NOT_FOUND
        };
        errors.push(UserError::new(
            "subject",
            code,
            "the subject must be the id of a film, an album or a track",
        ));
        return;
    };
    if !matches!(kind, Kind::Film | Kind::Album | Kind::Track) {
        errors.push(UserError::new(
            "subject",
            codes::WRONG_KIND,
            format!(
                "the subject is a {}; reviews are of works: films, albums and tracks",
                kind.name()
            ),
        ));
    } else if store.find(kind, &slug).is_none() {
        errors.push(UserError::new(
            "subject",
            codes::NOT_FOUND,
            format!("no {} has the id {id}", kind.name()),
        ));
    }
}

fn rating(rating: i32, errors: &mut Vec<UserError>) -> u8 {
    match u8::try_from(rating) {
        Ok(r @ 1..=5) => r,
        _ => {
            errors.push(UserError::new(
                "rating",
                codes::OUT_OF_RANGE,
                format!("the rating must be from 1 to 5, not {rating}"),
            ));
            0
        }
    }
}

/// Checks one text field and gives it back in NFC: not blank, at most `max` characters, and
/// no control characters (but newlines and tabs where `multiline`).
fn text(
    field: &str,
    value: &str,
    max: usize,
    multiline: bool,
    errors: &mut Vec<UserError>,
) -> String {
    let value: String = value.nfc().collect();
    if value.trim().is_empty() {
        let code = if value.is_empty() {
            codes::REQUIRED
        } else {
            codes::BLANK
        };
        errors.push(UserError::new(field, code, format!("the {field} is empty")));
    }
    let chars = value.chars().count();
    if chars > max {
        errors.push(UserError::new(
            field,
            codes::TOO_LONG,
            format!("the {field} is {chars} characters; at most {max} are allowed"),
        ));
    }
    let allowed = |c: char| multiline && matches!(c, '\n' | '\r' | '\t');
    if value.chars().any(|c| c.is_control() && !allowed(c)) {
        let what = if multiline {
            "control characters other than newlines and tabs"
        } else {
            "control characters (newlines and tabs included)"
        };
        errors.push(UserError::new(
            field,
            codes::CONTROL_CHARACTERS,
            format!("the {field} has {what}"),
        ));
    }
    value
}

fn idempotency_key(key: &str, errors: &mut Vec<UserError>) {
    let chars = key.chars().count();
    let visible = key.chars().all(|c| !c.is_control() && !c.is_whitespace());
    if chars == 0 || chars > MAX_IDEMPOTENCY_KEY || !visible {
        errors.push(UserError::new(
            "idempotencyKey",
            codes::INVALID,
            format!("the idempotency key must be 1 to {MAX_IDEMPOTENCY_KEY} visible characters"),
        ));
    }
}
