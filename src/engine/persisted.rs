//! Automatic persisted queries, by Apollo's protocol: a client sends only the SHA-256 of its
//! document (`extensions.persistedQuery.sha256Hash`); the first time, the server answers
//! `PERSISTED_QUERY_NOT_FOUND` and the client sends the document with its hash, which the
//! server checks and keeps. Bounded, so that unknown hashes cannot grow it without limit.
//! Imports nothing of ours.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

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
    documents: RwLock<HashMap<[u8; 32], Arc<str>>>,
    max_entries: usize,
}

impl PersistedQueries {
    pub fn new(max_entries: usize) -> PersistedQueries {
        PersistedQueries {
            documents: RwLock::new(HashMap::new()),
            max_entries,
        }
    }

    /// Resolves the document of a request: `query` as sent, or the persisted one its
    /// extensions name. `Ok(None)` when the request has neither.
    pub fn resolve(
        &self,
        query: Option<String>,
        extensions: Option<&Map<String, Value>>,
    ) -> Result<Option<String>, Unresolved> {
        let Some(ext) = extensions.and_then(|e| e.get("persistedQuery")) else {
            return Ok(query);
        };
        let hash = parse(ext)?;
        match query {
            Some(q) => {
                if Sha256::digest(q.as_bytes()).as_slice() != hash {
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
                Ok(Some(q))
            }
            None => {
                let docs = self.documents.read().map_err(|_| Unresolved::NotFound)?;
                docs.get(&hash)
                    .map(|d| Some(d.to_string()))
                    .ok_or(Unresolved::NotFound)
            }
        }
    }
}

fn parse(ext: &Value) -> Result<[u8; 32], Unresolved> {
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
    let bytes = hex.as_bytes();
    if bytes.len() != 64 {
        return Err(Unresolved::Malformed(
            "`persistedQuery.sha256Hash` must be 64 hex digits",
        ));
    }
    let mut out = [0u8; 32];
    for (i, pair) in bytes.chunks_exact(2).enumerate() {
        let digit = |b: u8| (b as char).to_digit(16);
        match (digit(pair[0]), digit(pair[1])) {
            (Some(h), Some(l)) => out[i] = (h * 16 + l) as u8,
            _ => {
                return Err(Unresolved::Malformed(
                    "`persistedQuery.sha256Hash` must be 64 hex digits",
                ));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ext(hash: &str) -> Map<String, Value> {
        json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } })
            .as_object()
            .cloned()
            .unwrap()
    }

    #[test]
    fn registers_then_serves_by_hash() {
        let apq = PersistedQueries::new(2);
        let q = "{ __typename }";
        let hash = format!("{:x}", Sha256::digest(q.as_bytes()));
        assert_eq!(
            apq.resolve(None, Some(&ext(&hash))),
            Err(Unresolved::NotFound)
        );
        assert_eq!(
            apq.resolve(Some(q.into()), Some(&ext(&hash))),
            Ok(Some(q.into()))
        );
        assert_eq!(apq.resolve(None, Some(&ext(&hash))), Ok(Some(q.into())));
        assert_eq!(
            apq.resolve(Some("{ x }".into()), Some(&ext(&hash))),
            Err(Unresolved::Mismatch)
        );
        assert!(matches!(
            apq.resolve(None, Some(&ext("zz"))),
            Err(Unresolved::Malformed(_))
        ));
        assert_eq!(
            apq.resolve(Some(q.into()), None),
            Ok(Some(q.into())),
            "no extension, no persistence"
        );
        for other in ["{ a }", "{ b }", "{ c }"] {
            let h = format!("{:x}", Sha256::digest(other.as_bytes()));
            apq.resolve(Some(other.into()), Some(&ext(&h))).unwrap();
        }
        assert!(apq.documents.read().unwrap().len() <= 2, "bounded");
    }
}
