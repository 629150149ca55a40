//! Search results: a hit and the key its cursor carries, the list of hits that a page reads
//! from the index without listing the others, and the search page; with them the item of
//! `Source.supports`, the other list of nodes of several kinds.

use std::ops::Range;

use super::page::{Keyed, PageArgs, Paged, Seek, paginate_seek};
use super::{QueryError, filter_text};
use crate::store::Store;
use crate::store::model::{Kind, NodeRef};
use crate::store::orders::{Key, Order, Part};
use crate::store::search::{self, Matches, RANKS, fold};

/// A search hit: the node and how well it matched.
#[derive(Clone, Copy)]
pub struct Hit {
    pub node: NodeRef,
    pub rank: u8,
}

impl Keyed for Hit {
    fn key(&self, store: &Store, _order: Order) -> Key {
        vec![
            Part::Int(i64::from(self.rank)),
            Part::Int(self.node.kind as i64),
            Part::Str(fold(store.label(self.node)).into()),
            Part::Str(store.slug(self.node).into()),
        ]
    }
}

/// A node a source supports, as a connection item; the store keeps them by kind and slug.
#[derive(Clone, Copy)]
pub struct Supported(pub NodeRef);

impl Keyed for Supported {
    fn key(&self, store: &Store, _order: Order) -> Key {
        vec![
            Part::Int(self.0.kind as i64),
            Part::Str(store.slug(self.0).into()),
        ]
    }
}

/// The page of `search` the arguments select, only of `kinds` when given; both executors
/// call it.
pub fn search_page<'a>(
    s: &'a Store,
    args: &PageArgs,
    query: &str,
    kinds: Option<&[Kind]>,
) -> Result<Paged<'a, Hit>, QueryError> {
    let folded = filter_text(query, "query")?;
    if folded.trim().is_empty() {
        return Err(QueryError::NothingToSearch);
    }
    let hits = Hits::new(s, query, kinds);
    paginate_seek(s, &hits, Order::Search, args)
}

/// The hits of one search, in the order of [`Hit::key`]. The index lists hits by rank and
/// then by document number, and the store numbers documents by kind and then label (see
/// `Store::build_search`), so the two orders are one.
pub struct Hits<'a> {
    store: &'a Store,
    matches: Matches<'a>,
    /// How many documents the index numbers: every node.
    docs: u32,
}

impl<'a> Hits<'a> {
    /// The hits of `query`, only of `kinds` when given.
    pub fn new(store: &'a Store, query: &str, kinds: Option<&[Kind]>) -> Self {
        // The documents of a kind are consecutive, so a type filter is a few ranges.
        let ranges: Option<Vec<Range<u32>>> =
            kinds.map(|kinds| kinds.iter().map(|k| store.docs_of(*k)).collect());
        Hits {
            store,
            matches: store.search_index().matches(query, ranges.as_deref()),
            docs: store.node_count() as u32,
        }
    }

    fn hit(&self, hit: search::Hit) -> Option<Hit> {
        let node = self.store.node_at(hit.doc)?;
        Some(Hit {
            node,
            rank: hit.rank,
        })
    }
}

impl Seek for Hits<'_> {
    type Item = Hit;
    type Place = search::Hit;

    fn total(&self) -> usize {
        self.matches.len()
    }

    fn start(&self) -> search::Hit {
        search::Hit { doc: 0, rank: 0 }
    }

    fn end(&self) -> search::Hit {
        search::Hit {
            doc: 0,
            rank: RANKS,
        }
    }

    /// A binary search over every pair of a rank and a document, hit or not: their keys
    /// ascend in `(rank, document)` order as the hits' do, so the first pair past the cursor
    /// is the place of the first hit past it, for any cursor, even one of a node that is gone.
    fn seek(&self, cursor: &Key, equal: bool) -> (search::Hit, usize) {
        let docs = u64::from(self.docs);
        let pairs = docs * u64::from(RANKS);
        let place = |i: u64| search::Hit {
            doc: (i % docs) as u32,
            rank: (i / docs) as u8,
        };
        let before = |i: u64| {
            self.hit(place(i)).is_some_and(|hit| {
                let key = hit.key(self.store, Order::Search);
                if equal { key <= *cursor } else { key < *cursor }
            })
        };
        let (mut lo, mut hi) = (0, pairs);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if before(mid) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        let at = if lo < pairs { place(lo) } else { self.end() };
        (at, self.matches.count_before(at))
    }

    fn take_from(&self, place: search::Hit, n: usize) -> Vec<Hit> {
        let hits = self.matches.take_from(place, n);
        hits.into_iter().filter_map(|h| self.hit(h)).collect()
    }

    fn take_before(&self, place: search::Hit, n: usize) -> Vec<Hit> {
        let hits = self.matches.take_before(place, n);
        hits.into_iter().filter_map(|h| self.hit(h)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::query::{encode_cursor, paginate};

    /// What the old resolver did, kept as the definition: rank every document by its names,
    /// keep the hits of `kinds`, sort them all by their keys, and page through the list.
    fn reference(store: &Store, query: &str, kinds: Option<&[Kind]>) -> Vec<Hit> {
        let mut hits: Vec<Hit> = store
            .search_index()
            .brute_force(query)
            .into_iter()
            .filter_map(|h| store.node_at(h.doc).map(|node| Hit { node, rank: h.rank }))
            .filter(|h| kinds.is_none_or(|k| k.contains(&h.node.kind)))
            .collect();
        hits.sort_by_cached_key(|h| h.key(store, Order::Search));
        hits
    }

    /// A page as plain values: the items, the window and the cursors, or the error.
    fn summary(page: Result<Paged<'_, Hit>, QueryError>) -> String {
        match page {
            Err(e) => format!("error: {e}"),
            Ok(p) => {
                let items: Vec<_> = p
                    .items
                    .iter()
                    .map(|h| (h.node.kind, h.node.idx, h.rank))
                    .collect();
                format!(
                    "{items:?} {:?} next {} previous {} {:?} {:?}",
                    p.window,
                    p.window.has_next(),
                    p.window.has_previous(),
                    p.start_cursor(),
                    p.end_cursor()
                )
            }
        }
    }

    /// Cursors to page from: of hits at the ends and in the middle, of nodes that are not
    /// hits (at every rank), of a node that is gone, past every rank, and of another list.
    fn cursors(store: &Store, hits: &[Hit], rng: &mut u64) -> Vec<String> {
        let mut next = || {
            *rng ^= *rng << 13;
            *rng ^= *rng >> 7;
            *rng ^= *rng << 17;
            *rng
        };
        let tag = Order::Search.tag();
        let mut out = Vec::new();
        let n = hits.len();
        for i in [0, 1, n / 2, n.saturating_sub(2), n.saturating_sub(1)] {
            if let Some(hit) = hits.get(i) {
                out.push(encode_cursor(tag, &hit.key(store, Order::Search)));
            }
        }
        let docs = store.node_count() as u64;
        for rank in 0..RANKS {
            if let Some(node) = store.node_at((next() % docs) as u32) {
                out.push(encode_cursor(
                    tag,
                    &Hit { node, rank }.key(store, Order::Search),
                ));
            }
        }
        if let Some(hit) = hits.get(n / 3) {
            let mut key = hit.key(store, Order::Search);
            key[3] = Part::Str(format!("{}-gone", store.slug(hit.node)).into());
            out.push(encode_cursor(tag, &key));
        }
        out.push(encode_cursor(tag, &vec![Part::Int(9)]));
        out.push(encode_cursor(
            tag,
            &vec![Part::Int(1), Part::Str("x".into())],
        ));
        out.push(encode_cursor("film.title", &vec![Part::Int(0)]));
        out
    }

    /// Pages every query in every window shape both ways, and wants the same page.
    fn check(store: &Store, queries: &[&str], seed: u64) {
        let kind_sets: [Option<&[Kind]>; 5] = [
            None,
            Some(&[Kind::Track]),
            Some(&[Kind::Album, Kind::Film]),
            Some(&[Kind::Team, Kind::Person, Kind::Team]),
            Some(&[]),
        ];
        let mut rng = seed;
        let mut pages = 0;
        for query in queries {
            for kinds in kind_sets {
                let all = reference(store, query, kinds);
                let hits = Hits::new(store, query, kinds);
                assert_eq!(hits.total(), all.len(), "{query:?} {kinds:?}");
                let cursors = cursors(store, &all, &mut rng);
                let mut sampled: Vec<Option<String>> = vec![None];
                sampled.extend(cursors.iter().cloned().map(Some));
                for first in [None, Some(0), Some(1), Some(3), Some(100), Some(101)] {
                    for last in [None, Some(0), Some(2), Some(100)] {
                        for after in &sampled {
                            for before in &sampled {
                                let args =
                                    PageArgs::new(first, after.clone(), last, before.clone());
                                let want =
                                    summary(paginate(store, &all, Order::Search, false, &args));
                                let got =
                                    summary(paginate_seek(store, &hits, Order::Search, &args));
                                assert_eq!(got, want, "{query:?} {kinds:?} {args:?}");
                                pages += 1;
                            }
                        }
                    }
                }
            }
        }
        assert!(pages > 10_000);
    }

    #[test]
    fn pages_equal_a_full_sort_on_a_synthetic_catalogue() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        crate::synth::generate(dir.path(), 1500, 7).expect("the catalogue is written");
        let store = crate::seed::load_dir(dir.path()).expect("the catalogue loads");
        assert!(store.node_count() > 20_000);
        let queries = [
            "the",
            "anthem",
            "golden",
            "north",
            "ern",
            "a",
            "t",
            "team",
            "the golden",
            "golden anthem",
            "pictures 1",
            "1",
            "lisbon",
            "zzz",
        ];
        check(&store, &queries, 11);
    }

    #[test]
    fn pages_equal_a_full_sort_on_the_bundled_seed() {
        let store = crate::seed::load_bundled().expect("the bundled seed loads");
        let queries = [
            "夺冠",
            "冠",
            "china",
            "chin",
            "leap",
            "women volleyball",
            "li",
            "a",
            "e",
            "olympics",
        ];
        check(&store, &queries, 5);
    }
}
