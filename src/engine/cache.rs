//! The response cache: the frontends send the same few operations again and again, so the
//! bytes of a successful response are kept, keyed by the exact request (method, response
//! media type, and the raw body or query string), and served again without parsing JSON or
//! GraphQL. Bounded in entries and bytes, and tied to one graph generation: a reload makes
//! every entry stale at once. Also the document cache: parsed documents, the guard's verdict
//! on them and their plans.
//!
//! Both tables hash their keys, which come from requests, with the process's secret seed
//! (`crate::keyed`), so that nobody can compute keys that collide.
//!
//! May import: `exec` (a document's plan), `keyed`. Keyed on bytes and generations, not on
//! the store, and it makes no compressed copy itself: HTTP hands it the function that does.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, RwLock};

use async_graphql::parser::types::ExecutableDocument;
use axum::body::Bytes;
use rustc_hash::FxBuildHasher;

use crate::exec::{Plan, Unsupported};
use crate::keyed::Keyed;

/// A content coding the cache keeps copies in. The HTTP boundary chooses it from the
/// request's `Accept-Encoding` and knows how to make it; the cache only keeps one copy per
/// coding, made by the [`Compress`] function it was given.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Coding {
    Identity,
    Gzip,
    Brotli,
}

/// Makes a body's copy in a coding (HTTP's, at the compression layer's levels, so that a copy
/// is byte for byte what that layer would send).
pub type Compress = fn(Coding, &[u8]) -> Bytes;

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
    /// The coding `body` is in: identity when kept, and what [`ResponseCache::get`] serves.
    pub coding: Coding,
}

/// A cache hit: the response, and (when the client asked for a coding of which no copy
/// is kept yet) where to keep the copy the caller makes with [`CacheHit::compress`].
pub struct CacheHit {
    pub cached: Cached,
    pending: Option<(Coding, Arc<Copies>, Compress)>,
}

impl CacheHit {
    /// Makes the compressed copy the hit still lacks (outside the cache's lock), keeps it
    /// when it is small enough, and serves it.
    #[inline]
    pub fn compress(mut self) -> Cached {
        if let Some((coding, copies, compress)) = self.pending.take() {
            self.cached.body = copies.make(coding, &self.cached.body, compress);
            self.cached.coding = coding;
        }
        self.cached
    }
}

/// The compressed copies of a body, made on the first hit that asks for each. A copy is
/// kept only when it is at most half the body, which is what the byte budget reserves for
/// each (see [`ResponseCache::insert`]); a body that does not compress that well is
/// compressed again on every such hit, as the compression layer would.
#[derive(Debug, Default)]
struct Copies {
    gzip: OnceLock<Option<Bytes>>,
    brotli: OnceLock<Option<Bytes>>,
}

impl Copies {
    fn slot(&self, coding: Coding) -> Option<&OnceLock<Option<Bytes>>> {
        match coding {
            Coding::Identity => None,
            Coding::Gzip => Some(&self.gzip),
            Coding::Brotli => Some(&self.brotli),
        }
    }

    fn make(&self, coding: Coding, body: &Bytes, compress: Compress) -> Bytes {
        let Some(slot) = self.slot(coding) else {
            return body.clone();
        };
        let mut made = None;
        let kept = slot.get_or_init(|| {
            let copy = compress(coding, body);
            let keep = copy.len() <= body.len() / 2;
            made = Some(copy.clone());
            keep.then_some(copy)
        });
        match kept {
            Some(copy) => copy.clone(),
            None => made.unwrap_or_else(|| compress(coding, body)),
        }
    }
}

/// What a table holds per request: the response and, for a body large enough to be
/// compressed, its compressed copies.
struct Entry {
    cached: Cached,
    copies: Option<Arc<Copies>>,
}

impl Entry {
    /// The bytes the entry counts against the budget: its key, body and ETag, and half the
    /// body for each compressed copy it may keep.
    fn size(&self, key: &[u8]) -> usize {
        let copies = if self.copies.is_some() {
            self.cached.body.len()
        } else {
            0
        };
        key.len() + self.cached.body.len() + self.cached.etag.len() + copies
    }
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
    maps: [HashMap<Bytes, Entry, Keyed>; 4],
    bytes: usize,
    entries: usize,
    /// For each work whose reviews an answer read, the keys of those answers: a write to the
    /// work's reviews drops them, and only them (see [`ResponseCache::invalidate`]). A key
    /// may outlive its entry (evicted); dropping a missing key does nothing.
    readers: HashMap<Arc<str>, Vec<(Shape, Bytes)>, FxBuildHasher>,
}

impl Tables {
    fn remove(&mut self, shape: Shape, key: &[u8]) {
        if let Some(v) = self.maps[shape as usize].remove(key) {
            self.bytes = self.bytes.saturating_sub(v.size(key));
            self.entries -= 1;
        }
    }
}

pub struct ResponseCache {
    tables: RwLock<Tables>,
    max_entries: usize,
    max_bytes: usize,
    /// Responses larger than this are not kept: one huge answer must not evict the others.
    max_entry_bytes: usize,
    /// Bodies of at least this many bytes are compressed for clients that ask (the
    /// compression layer's threshold), and so get compressed copies.
    compress_above: usize,
    compress: Compress,
}

impl ResponseCache {
    pub fn new(
        max_entries: usize,
        max_bytes: usize,
        compress_above: usize,
        compress: Compress,
    ) -> ResponseCache {
        ResponseCache {
            tables: RwLock::new(Tables {
                generation: 0,
                maps: Default::default(),
                bytes: 0,
                entries: 0,
                readers: HashMap::default(),
            }),
            max_entries,
            max_bytes,
            max_entry_bytes: (max_bytes / 16).max(1),
            compress_above,
            compress,
        }
    }

    /// The cached response for this exact request, if it was answered under this generation,
    /// in `coding` when its body is large enough to be compressed (see [`CacheHit`]). An answer
    /// to a POST comes without its ETag, which only GET sends: each reference counted here is
    /// a cost of every cache hit.
    pub fn get(
        &self,
        generation: u64,
        shape: Shape,
        key: &[u8],
        coding: Coding,
    ) -> Option<CacheHit> {
        let tables = self.tables.read().ok()?;
        if tables.generation != generation {
            return None;
        }
        let entry = tables.maps[shape as usize].get(key)?;
        let cached = &entry.cached;
        let etag = match shape {
            Shape::GetGraphql | Shape::GetJson => cached.etag.clone(),
            Shape::PostGraphql | Shape::PostJson => Bytes::new(),
        };
        let copies = entry.copies.as_ref();
        let (body, served, pending) = match copies.and_then(|c| c.slot(coding)) {
            // No copies for this body or this coding: the body as it is.
            None => (cached.body.clone(), Coding::Identity, None),
            Some(slot) => match slot.get() {
                Some(Some(copy)) => (copy.clone(), coding, None),
                // Not made yet, or too large to keep: the caller compresses.
                _ => (
                    cached.body.clone(),
                    Coding::Identity,
                    copies.map(|c| (coding, c.clone(), self.compress)),
                ),
            },
        };
        Some(CacheHit {
            cached: Cached {
                body,
                etag,
                operation: cached.operation.clone(),
                coding: served,
            },
            pending,
        })
    }

    /// Keeps a response. Entries of an older generation are dropped first; when full, some
    /// entries are evicted (an arbitrary eighth, which keeps insertion O(1) amortised).
    pub fn insert(&self, generation: u64, shape: Shape, key: Bytes, value: Cached) {
        self.insert_reading(generation, shape, key, value, &[], |_| 0);
    }

    /// Keeps a response that read the reviews of `read` works, each at a version: only if
    /// every one is still at that version (`current` says), checked under the lock that
    /// [`ResponseCache::invalidate`] takes, so that an answer made before a write is never
    /// kept after the write has dropped its work's answers.
    pub fn insert_reading(
        &self,
        generation: u64,
        shape: Shape,
        key: Bytes,
        value: Cached,
        read: &[(Arc<str>, u64)],
        current: impl Fn(&str) -> u64,
    ) {
        let mut entry = Entry {
            copies: (value.body.len() >= self.compress_above).then(Default::default),
            cached: value,
        };
        // A request body read off the wire is a view into the connection's read buffer, which
        // a cached key would keep alive whole (kilobytes for a few hundred bytes); the kept
        // key is an exact copy, so that the byte budget is what the cache really holds.
        let mut size = entry.size(&key);
        if size > self.max_entry_bytes && entry.copies.is_some() {
            // Too large with room for copies: kept without, and compressed on each hit.
            entry.copies = None;
            size = entry.size(&key);
        }
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
            t.readers.clear();
            t.generation = generation;
            t.bytes = 0;
            t.entries = 0;
        }
        if read.iter().any(|(work, version)| current(work) != *version) {
            return;
        }
        let tables = &mut *t;
        for (work, _) in read {
            let keys = tables.readers.entry(work.clone()).or_default();
            keys.push((shape, key.clone()));
            // Keys of entries since evicted: pruned once they outnumber what can be kept.
            if keys.len() > self.max_entries.max(16) {
                let maps = &tables.maps;
                keys.retain(|(shape, k)| maps[*shape as usize].contains_key(k));
            }
        }
        if t.entries + 1 > self.max_entries || t.bytes + size > self.max_bytes {
            evict(&mut t, (self.max_entries / 8).max(1));
        }
        if let Some(old) = t.maps[shape as usize].insert(key.clone(), entry) {
            t.bytes = t.bytes.saturating_sub(old.size(&key));
            t.entries -= 1;
        }
        t.bytes += size;
        t.entries += 1;
    }

    /// Drops every kept answer that read `work`'s reviews: they changed.
    pub fn invalidate(&self, work: &str) {
        let Ok(mut t) = self.tables.write() else {
            return;
        };
        if let Some(keys) = t.readers.remove(work) {
            for (shape, key) in keys {
                t.remove(shape, &key);
            }
        }
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
                t.bytes = t.bytes.saturating_sub(v.size(&k));
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
    docs: RwLock<HashMap<Arc<str>, Arc<Document>, Keyed>>,
    max_entries: usize,
}

/// A parsed document and, once async-graphql has validated it, its plan.
pub struct Document {
    pub doc: ExecutableDocument,
    plan: OnceLock<Planned>,
    guard: OnceLock<KeptVerdict>,
}

/// The guard's verdict on a document that passed it without reading a variable, for one
/// operation name: whether it measured the document (see `guard::Stats::parsed`), and the
/// graph generation it holds for (the cost counts lists by their size on that graph).
struct KeptVerdict {
    operation_name: Option<Box<str>>,
    measured: bool,
    generation: AtomicU64,
}

/// The plan of one operation of a document, or why it has none.
struct Planned {
    operation_name: Option<Box<str>>,
    plan: Result<Arc<Plan>, Unsupported>,
}

impl Document {
    /// Whether the guard has passed this document for `operation_name` on its own, and if
    /// so whether it measured it.
    pub fn guard_passed(&self, operation_name: Option<&str>, generation: u64) -> Option<bool> {
        let g = self.guard.get()?;
        (g.operation_name.as_deref() == operation_name
            && g.generation.load(Ordering::Relaxed) == generation)
            .then_some(g.measured)
    }

    /// Records that the guard passed the document for `operation_name` without reading any
    /// variable, so that its verdict holds for every request with it on graph `generation`.
    pub fn passed_guard(&self, operation_name: Option<&str>, measured: bool, generation: u64) {
        let g = self.guard.get_or_init(|| KeptVerdict {
            operation_name: operation_name.map(Box::from),
            measured,
            generation: AtomicU64::new(generation),
        });
        if g.operation_name.as_deref() == operation_name {
            g.generation.store(generation, Ordering::Relaxed);
        }
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

    /// gzip for every coding: the cache's bookkeeping is the same whichever makes the copies
    /// (HTTP's own, at the compression layer's levels, are tested in `http`).
    fn gzip(_: Coding, body: &[u8]) -> Bytes {
        use std::io::Write;
        let mut out = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        out.write_all(body).unwrap();
        Bytes::from(out.finish().unwrap())
    }

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
            coding: Coding::Identity,
        }
    }

    #[test]
    fn keeps_per_shape_and_generation() {
        let c = ResponseCache::new(100, 1 << 20, 1024, gzip);
        c.insert(1, Shape::PostGraphql, Bytes::from_static(b"q"), cached("a"));
        assert_eq!(
            c.get(1, Shape::PostGraphql, b"q", Coding::Gzip)
                .map(|v| v.cached.body),
            Some(Bytes::from_static(b"a"))
        );
        assert!(
            c.get(1, Shape::PostJson, b"q", Coding::Identity).is_none(),
            "another media type is another response"
        );
        c.insert(1, Shape::GetJson, Bytes::from_static(b"q"), cached("a"));
        assert_eq!(
            c.get(1, Shape::GetJson, b"q", Coding::Identity)
                .map(|v| v.cached.etag),
            Some(etag(b"a")),
            "GET answers carry their ETag"
        );
        assert!(
            c.get(2, Shape::PostGraphql, b"q", Coding::Identity)
                .is_none(),
            "a reload makes entries stale"
        );
        c.insert(2, Shape::PostGraphql, Bytes::from_static(b"r"), cached("b"));
        assert_eq!(c.len(), 1, "the old generation was dropped");
        c.insert(1, Shape::PostGraphql, Bytes::from_static(b"s"), cached("c"));
        assert!(
            c.get(2, Shape::PostGraphql, b"s", Coding::Identity)
                .is_none(),
            "a late insert from an old graph is refused"
        );
    }

    #[test]
    fn keeps_an_exact_copy_of_the_key() {
        let c = ResponseCache::new(10, 1 << 20, 1024, gzip);
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
        let c = ResponseCache::new(16, 1 << 20, 1024, gzip);
        for i in 0..1000u32 {
            c.insert(1, Shape::GetJson, Bytes::from(i.to_string()), cached("x"));
            assert!(c.len() <= 16);
        }
        let small = ResponseCache::new(1000, 64, 1024, gzip);
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

    #[test]
    fn compressed_copies_are_made_once_and_counted() {
        let c = ResponseCache::new(100, 1 << 20, 1024, gzip);
        let body = "{\"data\":{\"title\":\"Leap\"}}".repeat(100);
        let value = |body: &str| Cached {
            body: Bytes::from(body.to_owned()),
            etag: Bytes::new(),
            operation: None,
            coding: Coding::Identity,
        };
        c.insert(1, Shape::PostJson, Bytes::from_static(b"big"), value(&body));
        assert_eq!(
            c.tables.read().unwrap().bytes,
            3 + 2 * body.len(),
            "half the body reserved for each of the two copies"
        );
        let first = c.get(1, Shape::PostJson, b"big", Coding::Brotli).unwrap();
        assert!(first.pending.is_some(), "no copy yet");
        assert_eq!(first.cached.coding, Coding::Identity);
        let first = first.compress();
        assert_eq!(first.coding, Coding::Brotli);
        let again = c.get(1, Shape::PostJson, b"big", Coding::Brotli).unwrap();
        assert!(again.pending.is_none(), "the copy is kept");
        assert_eq!(again.cached.coding, Coding::Brotli);
        assert_eq!(again.cached.body, first.body);
        assert!(again.cached.body.len() <= body.len() / 2);
        let plain = c.get(1, Shape::PostJson, b"big", Coding::Identity).unwrap();
        assert_eq!(plain.cached.body, body.as_bytes());
        assert!(plain.pending.is_none());

        // A small body is served as it is, whatever the client accepts, and reserves nothing.
        c.insert(
            1,
            Shape::PostJson,
            Bytes::from_static(b"small"),
            value("{}"),
        );
        let small = c.get(1, Shape::PostJson, b"small", Coding::Gzip).unwrap();
        assert!(small.pending.is_none());
        assert_eq!(small.cached.coding, Coding::Identity);
        assert_eq!(c.tables.read().unwrap().bytes, 3 + 2 * body.len() + 5 + 2);

        // A body that fits the entry limit only without its copies is kept without them.
        let tight = ResponseCache::new(100, 16 * (body.len() + 100), 1024, gzip);
        tight.insert(1, Shape::PostJson, Bytes::from_static(b"big"), value(&body));
        let hit = tight.get(1, Shape::PostJson, b"big", Coding::Gzip).unwrap();
        assert!(hit.pending.is_none(), "no copies to keep");
        assert_eq!(hit.cached.coding, Coding::Identity);
        assert_eq!(tight.tables.read().unwrap().bytes, 3 + body.len());
    }

    #[test]
    fn a_copy_that_does_not_shrink_is_not_kept() {
        // Bytes that do not compress: a copy would cost more than the budget reserved.
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let noise: Vec<u8> = (0..4096)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state as u8
            })
            .collect();
        let copies = Copies::default();
        let body = Bytes::from(noise);
        let made = copies.make(Coding::Gzip, &body, gzip);
        assert!(made.len() > body.len() / 2);
        assert_eq!(copies.gzip.get(), Some(&None), "not kept");
        assert_eq!(
            copies.make(Coding::Gzip, &body, gzip),
            made,
            "made again, the same"
        );
    }
}
