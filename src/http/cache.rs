//! The response cache: the frontends send the same few operations again and again, so the
//! bytes of a successful response are kept, keyed by the exact request (method, response
//! media type, and the raw body or query string), and served again without parsing JSON or
//! GraphQL. Bounded in entries and bytes, and tied to one graph generation: a reload makes
//! every entry stale at once.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};
use std::sync::{Arc, OnceLock, RwLock};

use async_graphql::parser::types::ExecutableDocument;
use axum::body::Bytes;
use rustc_hash::FxBuildHasher;

use crate::exec::{Plan, Unsupported};

/// Which request shape a key comes from; each has its own table so that a lookup needs no
/// allocation to build a compound key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// A POST body, answered as application/graphql-response+json.
    PostGraphql = 0,
    /// A POST body, answered as application/json.
    PostJson = 1,
    /// A GET query string, answered as application/graphql-response+json.
    GetGraphql = 2,
    /// A GET query string, answered as application/json.
    GetJson = 3,
}

/// A response worth serving again: its body and the strong ETag of that body.
#[derive(Clone, Debug)]
pub struct Cached {
    pub body: Bytes,
    /// Empty for an answer to a POST, which never carries one.
    pub etag: Bytes,
    /// The request's `operationName`, so that a served-again answer is counted under it.
    pub operation: Option<Arc<str>>,
}

/// The strong ETag of a body: a quoted 64-bit FxHash, cheap enough to compute per response.
pub fn etag(body: &[u8]) -> Bytes {
    let mut h = FxBuildHasher.build_hasher();
    h.write(body);
    h.write_usize(body.len());
    Bytes::from(format!("\"{:016x}\"", h.finish()))
}

struct Tables {
    generation: u64,
    maps: [HashMap<Bytes, Cached, FxBuildHasher>; 4],
    bytes: usize,
    entries: usize,
}

pub struct ResponseCache {
    tables: RwLock<Tables>,
    max_entries: usize,
    max_bytes: usize,
    /// Responses larger than this are not kept: one huge answer must not evict the others.
    max_entry_bytes: usize,
}

impl ResponseCache {
    pub fn new(max_entries: usize, max_bytes: usize) -> ResponseCache {
        ResponseCache {
            tables: RwLock::new(Tables {
                generation: 0,
                maps: Default::default(),
                bytes: 0,
                entries: 0,
            }),
            max_entries,
            max_bytes,
            max_entry_bytes: (max_bytes / 16).max(1),
        }
    }

    /// The cached response for this exact request, if it was answered under this generation.
    /// An answer to a POST comes without its ETag, which only GET sends: each reference
    /// counted here is a cost of every cache hit.
    pub fn get(&self, generation: u64, shape: Shape, key: &[u8]) -> Option<Cached> {
        let tables = self.tables.read().ok()?;
        if tables.generation != generation {
            return None;
        }
        let cached = tables.maps[shape as usize].get(key)?;
        let etag = match shape {
            Shape::GetGraphql | Shape::GetJson => cached.etag.clone(),
            Shape::PostGraphql | Shape::PostJson => Bytes::new(),
        };
        Some(Cached {
            body: cached.body.clone(),
            etag,
            operation: cached.operation.clone(),
        })
    }

    /// Keeps a response. Entries of an older generation are dropped first; when full, some
    /// entries are evicted (an arbitrary eighth, which keeps insertion O(1) amortised).
    pub fn insert(&self, generation: u64, shape: Shape, key: Bytes, value: Cached) {
        // A request body read off the wire is a view into the connection's read buffer, which
        // a cached key would keep alive whole (kilobytes for a few hundred bytes); the kept
        // key is an exact copy, so that the byte budget is what the cache really holds.
        let size = key.len() + value.body.len() + value.etag.len();
        if self.max_entries == 0 || size > self.max_entry_bytes {
            return;
        }
        let key = Bytes::copy_from_slice(&key);
        let Ok(mut t) = self.tables.write() else {
            return;
        };
        if t.generation != generation {
            if generation < t.generation {
                return;
            }
            t.maps.iter_mut().for_each(HashMap::clear);
            t.generation = generation;
            t.bytes = 0;
            t.entries = 0;
        }
        if t.entries + 1 > self.max_entries || t.bytes + size > self.max_bytes {
            evict(&mut t, (self.max_entries / 8).max(1));
        }
        if let Some(old) = t.maps[shape as usize].insert(key.clone(), value) {
            t.bytes = t
                .bytes
                .saturating_sub(key.len() + old.body.len() + old.etag.len());
            t.entries -= 1;
        }
        t.bytes += size;
        t.entries += 1;
    }

    /// How many responses are kept now.
    pub fn len(&self) -> usize {
        self.tables.read().map(|t| t.entries).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn evict(t: &mut Tables, count: usize) {
    let mut left = count;
    for shape in 0..t.maps.len() {
        let victims: Vec<Bytes> = t.maps[shape].keys().take(left).cloned().collect();
        for k in victims {
            if let Some(v) = t.maps[shape].remove(&k) {
                t.bytes = t
                    .bytes
                    .saturating_sub(k.len() + v.body.len() + v.etag.len());
                t.entries -= 1;
                left -= 1;
            }
        }
        if left == 0 {
            break;
        }
    }
}

/// Parsed documents by their text: the frontends send the same few documents with changing
/// variables, and async-graphql's parser is a third of such a request's time. A clone of a
/// parsed document costs far less than parsing it again (names are shared). Documents do
/// not depend on the graph, so a reload keeps them.
pub struct DocumentCache {
    docs: RwLock<HashMap<Arc<str>, Arc<Document>, FxBuildHasher>>,
    max_entries: usize,
}

/// A parsed document and, once async-graphql has validated it, its plan.
pub struct Document {
    pub doc: ExecutableDocument,
    plan: OnceLock<Planned>,
    guard: OnceLock<Guarded>,
}

/// The guard's verdict on a document that passed it without reading a variable, for one
/// operation name: whether it measured the document (see `guard::Stats::parsed`).
struct Guarded {
    operation_name: Option<Box<str>>,
    measured: bool,
}

/// The plan of one operation of a document, or why it has none.
struct Planned {
    operation_name: Option<Box<str>>,
    plan: Result<Arc<Plan>, Unsupported>,
}

impl Document {
    /// Whether the guard has passed this document for `operation_name` on its own, and if
    /// so whether it measured it.
    pub fn guard_passed(&self, operation_name: Option<&str>) -> Option<bool> {
        let g = self.guard.get()?;
        (g.operation_name.as_deref() == operation_name).then_some(g.measured)
    }

    /// Records that the guard passed the document for `operation_name` without reading any
    /// variable, so that its verdict holds for every request with it.
    pub fn passed_guard(&self, operation_name: Option<&str>, measured: bool) {
        self.guard.get_or_init(|| Guarded {
            operation_name: operation_name.map(Box::from),
            measured,
        });
    }

    /// The plan for `operation_name`, if the document has been validated and has one.
    pub fn plan(&self, operation_name: Option<&str>) -> Option<&Arc<Plan>> {
        let planned = self.plan.get()?;
        if planned.operation_name.as_deref() != operation_name {
            return None;
        }
        planned.plan.as_ref().ok()
    }

    /// Compiles the plan of `operation_name`, once. Only for a document that async-graphql has
    /// validated: a plan trusts its document. A document is compiled for the first operation
    /// name it is validated with; the frontends send one operation per document.
    pub fn validated(&self, operation_name: Option<&str>) {
        self.plan.get_or_init(|| Planned {
            operation_name: operation_name.map(Box::from),
            plan: Plan::compile(&self.doc, operation_name).map(Arc::new),
        });
    }
}

impl DocumentCache {
    pub fn new(max_entries: usize) -> DocumentCache {
        DocumentCache {
            docs: RwLock::new(HashMap::default()),
            max_entries,
        }
    }

    pub fn get(&self, query: &str) -> Option<Arc<Document>> {
        self.docs.read().ok()?.get(query).cloned()
    }

    /// Keeps a document that parsed; when full, an arbitrary eighth of the others goes.
    pub fn insert(&self, query: &str, doc: ExecutableDocument) -> Arc<Document> {
        let entry = Arc::new(Document {
            doc,
            plan: OnceLock::new(),
            guard: OnceLock::new(),
        });
        if self.max_entries == 0 {
            return entry;
        }
        let Ok(mut docs) = self.docs.write() else {
            return entry;
        };
        if docs.len() >= self.max_entries {
            let victims: Vec<Arc<str>> = docs
                .keys()
                .take((self.max_entries / 8).max(1))
                .cloned()
                .collect();
            for k in victims {
                docs.remove(&k);
            }
        }
        docs.insert(Arc::from(query), entry.clone());
        entry
    }

    pub fn len(&self) -> usize {
        self.docs.read().map(|d| d.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_are_kept_and_bounded() {
        let c = DocumentCache::new(8);
        let doc = async_graphql::parser::parse_query("{ a }").unwrap();
        c.insert("{ a }", doc);
        assert!(c.get("{ a }").is_some());
        assert!(c.get("{ b }").is_none());
        for i in 0..100 {
            let q = format!("{{ f{i} }}");
            c.insert(&q, async_graphql::parser::parse_query(&q).unwrap());
            assert!(c.len() <= 8);
        }
    }

    fn cached(body: &'static str) -> Cached {
        Cached {
            body: Bytes::from_static(body.as_bytes()),
            etag: etag(body.as_bytes()),
            operation: None,
        }
    }

    #[test]
    fn keeps_per_shape_and_generation() {
        let c = ResponseCache::new(100, 1 << 20);
        c.insert(1, Shape::PostGraphql, Bytes::from_static(b"q"), cached("a"));
        assert_eq!(
            c.get(1, Shape::PostGraphql, b"q").map(|v| v.body),
            Some(Bytes::from_static(b"a"))
        );
        assert!(
            c.get(1, Shape::PostJson, b"q").is_none(),
            "another media type is another response"
        );
        c.insert(1, Shape::GetJson, Bytes::from_static(b"q"), cached("a"));
        assert_eq!(
            c.get(1, Shape::GetJson, b"q").map(|v| v.etag),
            Some(etag(b"a")),
            "GET answers carry their ETag"
        );
        assert!(
            c.get(2, Shape::PostGraphql, b"q").is_none(),
            "a reload makes entries stale"
        );
        c.insert(2, Shape::PostGraphql, Bytes::from_static(b"r"), cached("b"));
        assert_eq!(c.len(), 1, "the old generation was dropped");
        c.insert(1, Shape::PostGraphql, Bytes::from_static(b"s"), cached("c"));
        assert!(
            c.get(2, Shape::PostGraphql, b"s").is_none(),
            "a late insert from an old graph is refused"
        );
    }

    #[test]
    fn keeps_an_exact_copy_of_the_key() {
        let c = ResponseCache::new(10, 1 << 20);
        let read_buffer = Bytes::from(vec![b'x'; 64 * 1024]);
        let key = read_buffer.slice(0..10);
        c.insert(1, Shape::PostJson, key.clone(), cached("a"));
        let t = c.tables.read().unwrap();
        let (kept, _) = t.maps[Shape::PostJson as usize]
            .get_key_value(&key[..])
            .unwrap();
        let buffer = read_buffer.as_ptr_range();
        assert!(
            !buffer.contains(&kept.as_ptr()),
            "the key must not pin the 64 KiB buffer"
        );
    }

    #[test]
    fn stays_within_bounds() {
        let c = ResponseCache::new(16, 1 << 20);
        for i in 0..1000u32 {
            c.insert(1, Shape::GetJson, Bytes::from(i.to_string()), cached("x"));
            assert!(c.len() <= 16);
        }
        let small = ResponseCache::new(1000, 64);
        small.insert(
            1,
            Shape::GetJson,
            Bytes::from_static(b"k"),
            cached("this body is far larger than a sixteenth of the cache"),
        );
        assert!(small.is_empty(), "an entry too large is not kept");
        assert_ne!(etag(b"a"), etag(b"b"));
        assert_eq!(etag(b"a"), etag(b"a"));
    }
}
