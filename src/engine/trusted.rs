//! Trusted documents: the operations a server's known clients were built with, from a
//! manifest, each under the SHA-256 of its text. Clients send a document's hash instead of
//! its text (`extensions.persistedQuery.sha256Hash`, as Apollo's clients do, or `documentId`,
//! as Relay and the GraphQL-over-HTTP draft do); with `only` set, the server runs nothing
//! else (a safelist), so that nobody can send it a document its clients never would.
//!
//! A manifest comes in either form clients' tooling writes: Apollo's persisted-query
//! manifest (`{"format": "apollo-persisted-query-manifest", "version": 1, "operations":
//! [{"id", "body", "name", "type"}]}`) or a flat map (`{"<sha256 hex>": "<document>"}`, what
//! Relay writes with SHA-256 chosen). Every hash is checked against its text when the
//! manifest is read, so that a hash the server answers to is always the hash of what it runs.
//!
//! The engine keeps the current manifest and a generation that grows with each one it
//! installs; the response cache's entries are kept under it (with the graph's), so that a new
//! manifest drops every answer made under the old one. Parsing only: reading the file is
//! `reload`'s. Imports `keyed` only.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::keyed::Keyed;

/// The documents of one manifest, by the SHA-256 of their text.
#[derive(Default)]
pub struct Manifest {
    documents: HashMap<[u8; 32], Arc<str>, Keyed>,
}

impl Manifest {
    /// Reads a manifest in either form, checking every hash. The error names the entry.
    pub fn parse(bytes: &[u8]) -> Result<Manifest, String> {
        let value: Value =
            serde_json::from_slice(bytes).map_err(|e| format!("not valid JSON: {e}"))?;
        let Value::Object(map) = value else {
            return Err(
                "expected a JSON object: Apollo's persisted-query manifest, or a map \
                        from SHA-256 hashes to documents"
                    .into(),
            );
        };
        let mut manifest = Manifest::default();
        if map.contains_key("format") {
            if map.get("format").and_then(Value::as_str) != Some(APOLLO_FORMAT) {
                return Err(format!("`format` must be \"{APOLLO_FORMAT}\""));
            }
            if map.get("version").and_then(Value::as_i64) != Some(1) {
                return Err("`version` must be 1".into());
            }
            let Some(operations) = map.get("operations").and_then(Value::as_array) else {
                return Err("`operations` must be an array".into());
            };
            for (i, op) in operations.iter().enumerate() {
                let at = format!("operations[{i}]");
                let field = |name: &str| op.get(name).and_then(Value::as_str);
                let (Some(id), Some(body)) = (field("id"), field("body")) else {
                    return Err(format!("{at}: `id` and `body` must be strings"));
                };
                for optional in ["name", "type"] {
                    if op
                        .get(optional)
                        .is_some_and(|v| !v.is_string() && !v.is_null())
                    {
                        return Err(format!("{at}: `{optional}` must be a string"));
                    }
                }
                manifest.add(&format!("{at}.id"), id, body)?;
            }
        } else {
            for (id, body) in &map {
                let at = format!("{}", Value::String(id.clone()));
                let Some(body) = body.as_str() else {
                    return Err(format!("{at}: the document must be a string"));
                };
                manifest.add(&at, id, body)?;
            }
        }
        Ok(manifest)
    }

    fn add(&mut self, at: &str, id: &str, body: &str) -> Result<(), String> {
        let Some(hash) = parse_hash(id) else {
            return Err(format!(
                "{at}: {id:?} is not a SHA-256 hash (64 hex digits); only SHA-256 is accepted"
            ));
        };
        let actual = sha256(body);
        if actual != hash {
            return Err(format!(
                "{at}: {id} is not the SHA-256 of its document, which is {}",
                hex(&actual)
            ));
        }
        self.documents.insert(hash, Arc::from(body));
        Ok(())
    }

    /// The document with this SHA-256, if the manifest has it.
    pub fn get(&self, hash: &[u8; 32]) -> Option<&Arc<str>> {
        self.documents.get(hash)
    }

    /// How many documents the manifest holds.
    pub fn len(&self) -> usize {
        self.documents.len()
    }

    pub fn is_empty(&self) -> bool {
        self.documents.is_empty()
    }
}

/// The `format` of Apollo's persisted-query manifest.
pub const APOLLO_FORMAT: &str = "apollo-persisted-query-manifest";

/// What the server lets through besides trusted documents.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Policy {
    /// Only the manifest's documents run: a document sent as text is refused unless it is one
    /// of them, and automatic persisted queries cannot register new ones.
    pub only: bool,
    /// With `only`: a document sent as text may still run if it asks only for introspection
    /// (`__schema`, `__type`, `__typename`), for GraphiQL and schema tooling.
    pub allow_introspection: bool,
}

/// The current manifest and its generation.
pub struct Trusted {
    manifest: RwLock<Option<Arc<Manifest>>>,
    /// Grows by one each time a manifest is installed; read on every request (the response
    /// cache's key), so an atomic rather than the lock.
    generation: AtomicU64,
    pub policy: Policy,
}

impl Trusted {
    pub fn new(policy: Policy) -> Trusted {
        Trusted {
            manifest: RwLock::new(None),
            generation: AtomicU64::new(0),
            policy,
        }
    }

    /// Swaps in a manifest; the answers made under the old one can no longer be served.
    /// Returns the new generation.
    pub fn install(&self, manifest: Manifest) -> u64 {
        let manifest = Some(Arc::new(manifest));
        match self.manifest.write() {
            Ok(mut m) => *m = manifest,
            Err(poisoned) => *poisoned.into_inner() = manifest,
        }
        // After the swap: whoever reads the new generation then reads the new manifest.
        self.generation.fetch_add(1, Ordering::AcqRel) + 1
    }

    /// The generation of the current manifest (0 before the first).
    #[inline]
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// The current manifest, if one is installed.
    pub fn manifest(&self) -> Option<Arc<Manifest>> {
        match self.manifest.read() {
            Ok(m) => m.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }
}

/// The SHA-256 of a text.
pub fn sha256(text: &str) -> [u8; 32] {
    Sha256::digest(text.as_bytes()).into()
}

/// Lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// 64 hex digits (either case) as 32 bytes.
pub fn parse_hash(text: &str) -> Option<[u8; 32]> {
    let bytes = text.as_bytes();
    if bytes.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (slot, pair) in out.iter_mut().zip(bytes.chunks_exact(2)) {
        let digit = |b: u8| (b as char).to_digit(16);
        *slot = (digit(pair[0])? * 16 + digit(pair[1])?) as u8;
    }
    Some(out)
}

/// A `documentId`: the SHA-256 as 64 hex digits, bare (as Relay sends it) or prefixed with
/// `sha256:` (as the GraphQL-over-HTTP draft writes it).
pub fn parse_document_id(text: &str) -> Option<[u8; 32]> {
    parse_hash(text.strip_prefix("sha256:").unwrap_or(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "query A { film(slug: \"leap\") { title } }";

    #[test]
    fn reads_both_forms_and_checks_every_hash() {
        let id = hex(&sha256(DOC));
        let flat = serde_json::json!({ &id: DOC }).to_string();
        let apollo = serde_json::json!({
            "format": APOLLO_FORMAT, "version": 1,
            "operations": [{ "id": &id, "body": DOC, "name": "A", "type": "query" }],
        })
        .to_string();
        for text in [&flat, &apollo] {
            let m = Manifest::parse(text.as_bytes()).unwrap();
            assert_eq!(m.len(), 1);
            assert_eq!(m.get(&sha256(DOC)).map(|d| &**d), Some(DOC));
        }
        let wrong = hex(&sha256("{ other }"));
        for (text, says) in [
            (
                serde_json::json!({ &wrong: DOC }).to_string(),
                "is not the SHA-256 of its document",
            ),
            (
                serde_json::json!({ "md5:abc": DOC }).to_string(),
                "is not a SHA-256 hash",
            ),
            (
                serde_json::json!({ &id: 1 }).to_string(),
                "must be a string",
            ),
            ("[]".into(), "expected a JSON object"),
            ("{".into(), "not valid JSON"),
            (
                serde_json::json!({ "format": "x", "version": 1, "operations": [] }).to_string(),
                "`format` must be",
            ),
            (
                serde_json::json!({ "format": APOLLO_FORMAT, "version": 2, "operations": [] })
                    .to_string(),
                "`version` must be 1",
            ),
            (
                serde_json::json!({ "format": APOLLO_FORMAT, "version": 1,
                    "operations": [{ "id": &wrong, "body": DOC }] })
                .to_string(),
                "operations[0].id: ",
            ),
        ] {
            let e = Manifest::parse(text.as_bytes()).err().unwrap();
            assert!(e.contains(says), "{text}: {e}");
        }
    }

    #[test]
    fn document_ids() {
        let hash = sha256(DOC);
        assert_eq!(parse_document_id(&hex(&hash)), Some(hash));
        assert_eq!(
            parse_document_id(&format!("sha256:{}", hex(&hash))),
            Some(hash)
        );
        assert_eq!(
            parse_document_id(&hex(&hash).to_uppercase()),
            Some(hash),
            "either case"
        );
        for bad in [
            "",
            "sha256:",
            "md5:00",
            &hex(&hash)[1..],
            "é".repeat(32).as_str(),
        ] {
            assert_eq!(parse_document_id(bad), None, "{bad}");
        }
    }

    #[test]
    fn installing_moves_the_generation_on() {
        let t = Trusted::new(Policy::default());
        assert_eq!((t.generation(), t.manifest().is_none()), (0, true));
        assert_eq!(t.install(Manifest::default()), 1);
        assert_eq!(t.generation(), 1);
        assert!(t.manifest().is_some());
    }
}
