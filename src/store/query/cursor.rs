//! Cursors: the sort key of an item and the tag of its order, as JSON in URL-safe base64.
//! A cursor carries a key, not an offset, so it finds its place again after a reload; the
//! tag makes a cursor of one list refused by another.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

use super::QueryError;
use crate::store::orders::{Key, Part};

/// Cursors are short; anything much longer is not one of ours.
const MAX_CURSOR_LEN: usize = 1024;

pub fn encode_cursor(tag: &str, key: &Key) -> String {
    let mut parts = vec![Value::String(tag.to_owned())];
    parts.extend(key.iter().map(|p| match p {
        Part::Int(n) => Value::from(*n),
        Part::Str(s) => Value::String(s.to_string()),
    }));
    URL_SAFE_NO_PAD.encode(Value::Array(parts).to_string())
}

pub(super) fn decode_cursor(tag: &str, cursor: &str, arg: &'static str) -> Result<Key, QueryError> {
    let refuse = || QueryError::NotACursor { arg };
    if cursor.len() > MAX_CURSOR_LEN {
        return Err(refuse());
    }
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| refuse())?;
    let Ok(Value::Array(parts)) = serde_json::from_slice::<Value>(&bytes) else {
        return Err(refuse());
    };
    let mut parts = parts.into_iter();
    if parts.next().as_ref().and_then(Value::as_str) != Some(tag) {
        return Err(refuse());
    }
    parts
        .map(|p| match p {
            Value::String(s) => Ok(Part::Str(s.into())),
            Value::Number(n) => n.as_i64().map(Part::Int).ok_or_else(refuse),
            _ => Err(refuse()),
        })
        .collect()
}
