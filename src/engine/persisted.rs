//! Automatic persisted queries, by Apollo's protocol: a client sends only the SHA-256 of its
//! document (`extensions.persistedQuery.sha256Hash`); the first time, the server answers
//! `PERSISTED_QUERY_NOT_FOUND` and the client sends the document with its hash, which the
//! server checks and keeps. Bounded, so that unknown hashes cannot grow it without limit,
//! and hashed with the process's secret seed. Imports `keyed` and, of the engine, the hashes
//! of `trusted`.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use serde_json::Value;

use super::trusted::{parse_hash, sha256};
use crate::keyed::Keyed;

/// Why a persisted-query request cannot be served.
#[derive(Debug, PartialEq, Eq)]
pub enum Unresolved {
    /// The hash is not known (yet): the client should send the document with it.
    NotFound,
    /// The extension is malformed: not version 1, or the hash is not 64 hex digits.
    Malformed(&'static str),
    /// The document sent does not hash to the hash sent with it.
    Mismatch,
}

pub struct PersistedQueries {
    documents: RwLock<HashMap<[u8; 32], Arc<str>, Keyed>>,
    max_entries: usize,
}

impl PersistedQueries {
    pub fn new(max_entries: usize) -> PersistedQueries {
        PersistedQueries {
            documents: RwLock::new(HashMap::default()),
            max_entries,
        }
    }

    /// The document of an automatic persisted query: `query` when sent with its hash (which
    /// it must match; it is then kept), or the one kept before under `hash`.
    pub fn resolve(&self, query: Option<String>, hash: [u8; 32]) -> Result<String, Unresolved> {
        match query {
            Some(q) => {
                if sha256(&q) != hash {
                    return Err(Unresolved::Mismatch);
                }
                if let Ok(mut docs) = self.documents.write() {
                    if docs.len() >= self.max_entries && !docs.contains_key(&hash) {
                        // Forget an arbitrary document: clients re-register on NotFound.
                        if let Some(k) = docs.keys().next().copied() {
                            docs.remove(&k);
                        }
                    }
                    docs.insert(hash, Arc::from(q.as_str()));
                }
                Ok(q)
            }
            None => {
                let docs = self.documents.read().map_err(|_| Unresolved::NotFound)?;
                docs.get(&hash)
                    .map(|d| d.to_string())
                    .ok_or(Unresolved::NotFound)
            }
        }
    }
}

/// The hash of a `persistedQuery` extension (`{"version": 1, "sha256Hash": "…"}`).
pub fn parse(ext: &Value) -> Result<[u8; 32], Unresolved> {
    let version = ext.get("version").and_then(Value::as_i64);
    if version != Some(1) {
        return Err(Unresolved::Malformed("`persistedQuery.version` must be 1"));
    }
    let hex = ext
        .get("sha256Hash")
        .and_then(Value::as_str)
        .ok_or(Unresolved::Malformed(
            "`persistedQuery.sha256Hash` must be a string",
        ))?;
    parse_hash(hex).ok_or(Unresolved::Malformed(
        "`persistedQuery.sha256Hash` must be 64 hex digits",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::trusted::hex;
    use serde_json::json;

    fn hash_of(ext: &str) -> Result<[u8; 32], Unresolved> {
        parse(&json!({ "version": 1, "sha256Hash": ext }))
    }

    #[test]
    fn registers_then_serves_by_hash() {
        let apq = PersistedQueries::new(2);
        let q = "{ __typename }";
        let hash = hash_of(&hex(&sha256(q))).unwrap();
        assert_eq!(apq.resolve(None, hash), Err(Unresolved::NotFound));
        assert_eq!(apq.resolve(Some(q.into()), hash), Ok(q.into()));
        assert_eq!(apq.resolve(None, hash), Ok(q.into()));
        assert_eq!(
            apq.resolve(Some("{ x }".into()), hash),
            Err(Unresolved::Mismatch)
        );
        assert!(matches!(hash_of("zz"), Err(Unresolved::Malformed(_))));
        assert!(matches!(
            parse(&json!({ "version": 2, "sha256Hash": hex(&hash) })),
            Err(Unresolved::Malformed(_))
        ));
        for other in ["{ a }", "{ b }", "{ c }"] {
            apq.resolve(Some(other.into()), sha256(other)).unwrap();
        }
        assert!(apq.documents.read().unwrap().len() <= 2, "bounded");
    }
}
