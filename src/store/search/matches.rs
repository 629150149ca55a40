//! What a query matched, kept as sets of postings rather than as a list of hits, so that the
//! hits can be counted and a page of them listed from any place without ranking the others.
//!
//! Hits are ordered by rank, then by document. The documents of rank at most `r` form a set
//! `S(r)`, each `S(r)` contains the one before, and the hits of rank `r` are `S(r)` without
//! `S(r - 1)`. So the hits before a place `(r, d)` number `|S(r) below d| + |S(r - 1) from d
//! on|`, and a page is listed by walking the candidates for one rank in document order and
//! skipping those of a better rank, one rank after the other, until the page is full.
//!
//! Each set is the union of sorted posting lists. Counting a union of one token's lists (or
//! of lists known to be disjoint) is a sum of binary searches; counting the union of several
//! tokens' lists has to see each of their postings once, into a bitmap, except for tokens
//! whose documents the index also keeps as runs of consecutive numbers (spans), which are
//! read a step per run, and common tokens, whose bitmaps are read a word per 64 documents.

use std::collections::BinaryHeap;
use std::ops::Range;

use super::{Hit, PLACES, RANK_SUBSTRING, SearchIndex};

/// The number of ranks. A place whose rank is this or more is after every hit.
pub const RANKS: u8 = RANK_SUBSTRING + 1;

/// A union with fewer postings than its span has bitmap words over this is counted by
/// merging its lists instead: a bitmap costs a little per word of its span (64 documents)
/// and per posting, a merge (through a heap) about this many words' worth per posting.
const WORDS_PER_MERGED_POSTING: usize = 16;

/// A token of a one-word query: its runs (see [`SearchIndex::word_runs`]) and, when the
/// index keeps them, its documents as spans or as a bitmap.
#[derive(Clone, Copy)]
pub(super) struct Token<'a> {
    pub(super) runs: [&'a [u32]; PLACES],
    pub(super) bits: Option<&'a [u64]>,
    pub(super) spans: Option<&'a [[u32; 2]]>,
}

/// A set of documents: the union of sorted lists of document indexes, of spans and of
/// bitmaps.
struct Union<'a> {
    lists: Vec<&'a [u32]>,
    /// Sets of documents as ascending runs of consecutive numbers, `[first, last + 1]`.
    spans: Vec<&'a [[u32; 2]]>,
    /// Sets of documents as bitmaps over every document: bit `d % 64` of word `d / 64`.
    bitmaps: Vec<&'a [u64]>,
    /// The lists are known to share no document, so the set's size is the sum of theirs.
    disjoint: bool,
}

impl<'a> Union<'a> {
    fn empty() -> Self {
        Union {
            lists: Vec::new(),
            spans: Vec::new(),
            bitmaps: Vec::new(),
            disjoint: true,
        }
    }

    /// The union of tokens' first `places` runs. Each token's runs are disjoint; different
    /// tokens can share documents. With `summaries`, a token wholly in the set is given by
    /// its spans or its bitmap if it has them, when there are other tokens to count it with.
    fn of(tokens: &[Token<'a>], places: usize, summaries: bool) -> Self {
        let mut union = Union::empty();
        union.disjoint = tokens.len() <= 1;
        let summarise = summaries && places == PLACES && !union.disjoint;
        for token in tokens {
            match (token.spans, token.bits) {
                (Some(spans), _) if summarise => union.spans.push(spans),
                (None, Some(bits)) if summarise => union.bitmaps.push(bits),
                _ => union.lists.extend(token.runs.iter().take(places).copied()),
            }
        }
        union
    }

    /// The members in `range`.
    fn count(&self, range: &Range<u32>) -> usize {
        let parts = clip_all(&self.lists, range);
        if !self.bitmaps.is_empty() {
            return bitmap_union_len(&self.bitmaps, &self.spans, &parts, range);
        }
        if !self.spans.is_empty() {
            return spans_union_len(&self.spans, &parts, range);
        }
        match parts[..] {
            [] => 0,
            [one] => one.len(),
            _ if self.disjoint => parts.iter().map(|p| p.len()).sum(),
            _ => union_len(&parts),
        }
    }
}

/// How the documents of each rank are found.
enum Found<'a> {
    /// Every hit, verified against its names, in one ascending list per rank.
    Listed([Vec<u32>; RANKS as usize]),
    /// A query of one word, whose hits are ranked by the tokens they have and their places.
    Word {
        /// The tokens the word is a prefix of: the word itself first, when it is a token.
        prefix: Vec<Token<'a>>,
        /// The other tokens the word occurs in.
        infix: Vec<Token<'a>>,
        /// Whether the first prefix token is the word itself, whose first run (the documents
        /// with a name that is exactly the word) is then the hits of rank 0.
        exact: bool,
    },
}

impl<'a> Found<'a> {
    /// `S(rank)`: the documents of rank `rank` or better.
    fn level(&self, rank: u8) -> Union<'_> {
        match self {
            Found::Listed(ranks) => Union {
                lists: ranks
                    .iter()
                    .take(rank as usize + 1)
                    .map(Vec::as_slice)
                    .collect(),
                spans: Vec::new(),
                bitmaps: Vec::new(),
                disjoint: true,
            },
            Found::Word {
                prefix,
                infix,
                exact,
            } => match rank {
                0 if !exact => Union::empty(),
                0 => Union::of(prefix.get(..1).unwrap_or_default(), 1, false),
                1 => Union::of(prefix, 2, true),
                2 => Union::of(prefix, PLACES, true),
                _ => {
                    let tokens: Vec<Token> = prefix.iter().chain(infix).copied().collect();
                    Union::of(&tokens, PLACES, true)
                }
            },
        }
    }

    /// Documents among which are all those of rank exactly `rank`, and others only of a
    /// better rank, as lists to walk through.
    fn candidates(&self, rank: u8) -> Union<'_> {
        match self {
            Found::Listed(ranks) => Union {
                lists: ranks
                    .get(rank as usize)
                    .map(Vec::as_slice)
                    .into_iter()
                    .collect(),
                spans: Vec::new(),
                bitmaps: Vec::new(),
                disjoint: true,
            },
            Found::Word { .. } if rank == 0 => self.level(0),
            Found::Word { prefix, .. } if rank == 1 => Union::of(prefix, 2, false),
            // Documents of rank 2 not in a better rank have one of the prefix tokens in a
            // third run, and those of rank 3 one of the infix tokens.
            Found::Word { prefix, .. } if rank == 2 => Union {
                lists: prefix.iter().map(|t| t.runs[PLACES - 1]).collect(),
                spans: Vec::new(),
                bitmaps: Vec::new(),
                disjoint: prefix.len() <= 1,
            },
            Found::Word { infix, .. } => Union::of(infix, PLACES, false),
        }
    }

    /// The candidates for `rank` that have a better rank, and must be skipped.
    fn better(&self, rank: u8) -> Union<'_> {
        match self {
            Found::Listed(_) => Union::empty(),
            Found::Word { .. } if rank == 0 => Union::empty(),
            Found::Word { .. } => self.level(rank - 1),
        }
    }
}

/// The hits of one query; see the module documentation. Document numbers here are the
/// index's own (positions in its sorted document ids); hits going out carry the caller's.
pub struct Matches<'a> {
    index: &'a SearchIndex,
    found: Found<'a>,
    /// The ranges of documents that hits are restricted to: sorted, disjoint, non-empty.
    within: Vec<Range<u32>>,
}

impl<'a> Matches<'a> {
    pub(super) fn listed(
        index: &'a SearchIndex,
        ranks: [Vec<u32>; RANKS as usize],
        within: Vec<Range<u32>>,
    ) -> Self {
        Matches {
            index,
            found: Found::Listed(ranks),
            within,
        }
    }

    pub(super) fn word(
        index: &'a SearchIndex,
        prefix: Vec<Token<'a>>,
        infix: Vec<Token<'a>>,
        exact: bool,
        within: Vec<Range<u32>>,
    ) -> Self {
        Matches {
            index,
            found: Found::Word {
                prefix,
                infix,
                exact,
            },
            within,
        }
    }

    /// How many hits there are.
    pub fn len(&self) -> usize {
        self.count(&self.found.level(RANKS - 1), 0..u32::MAX)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many hits come before the place of `at`: before the hit `(rank, doc)` if there
    /// were one, whether or not there is.
    pub fn count_before(&self, at: Hit) -> usize {
        if at.rank >= RANKS {
            return self.len();
        }
        let doc = self.index.position(at.doc);
        let below = self.count(&self.found.level(at.rank), 0..doc);
        let better_after = match at.rank {
            0 => 0,
            r => self.count(&self.found.level(r - 1), doc..u32::MAX),
        };
        below + better_after
    }

    /// Up to `n` hits from the place of `at` on, in order.
    pub fn take_from(&self, at: Hit, n: usize) -> Vec<Hit> {
        let mut out = Vec::new();
        let doc = self.index.position(at.doc);
        for rank in at.rank..RANKS {
            if out.len() >= n {
                break;
            }
            let from = if rank == at.rank { doc } else { 0 };
            self.collect(rank, from..u32::MAX, true, n, &mut out);
        }
        out
    }

    /// Up to `n` hits before the place of `at`: the last ones, in order.
    pub fn take_before(&self, at: Hit, n: usize) -> Vec<Hit> {
        let mut out = Vec::new();
        let doc = self.index.position(at.doc);
        for rank in (0..at.rank.min(RANKS - 1) + 1).rev() {
            if out.len() >= n {
                break;
            }
            let to = if rank == at.rank { doc } else { u32::MAX };
            self.collect(rank, 0..to, false, n, &mut out);
        }
        out.reverse();
        out
    }

    /// The members of `set` in `span` and in the ranges hits are restricted to.
    fn count(&self, set: &Union, span: Range<u32>) -> usize {
        self.within
            .iter()
            .map(|r| set.count(&(r.start.max(span.start)..r.end.min(span.end))))
            .sum()
    }

    /// Appends hits of `rank` in `span` to `out`, ascending or descending, until it holds `n`.
    fn collect(&self, rank: u8, span: Range<u32>, ascending: bool, n: usize, out: &mut Vec<Hit>) {
        let candidates = self.found.candidates(rank);
        let better = self.found.better(rank);
        let mut ranges: Vec<Range<u32>> = self
            .within
            .iter()
            .map(|r| r.start.max(span.start)..r.end.min(span.end))
            .filter(|r| !r.is_empty())
            .collect();
        if !ascending {
            ranges.reverse();
        }
        for range in ranges {
            let lists = clip_all(&better.lists, &range);
            let mut skip = Member::new(lists, &better.spans, &better.bitmaps, ascending);
            for doc in Merge::new(clip_all(&candidates.lists, &range), ascending) {
                if out.len() >= n {
                    return;
                }
                if skip.contains(doc) {
                    continue;
                }
                if let Some(&id) = self.index.doc_ids.get(doc as usize) {
                    out.push(Hit { doc: id, rank });
                }
            }
        }
    }
}

/// The part of a sorted list that falls in `range`.
fn clip<'a>(list: &'a [u32], range: &Range<u32>) -> &'a [u32] {
    let start = list.partition_point(|&d| d < range.start);
    let end = list.partition_point(|&d| d < range.end);
    list.get(start..end).unwrap_or_default()
}

/// The non-empty parts of the lists that fall in `range`.
fn clip_all<'a>(lists: &[&'a [u32]], range: &Range<u32>) -> Vec<&'a [u32]> {
    if range.is_empty() {
        return Vec::new();
    }
    lists
        .iter()
        .map(|l| clip(l, range))
        .filter(|l| !l.is_empty())
        .collect()
}

/// The parts of ascending spans that fall in `range`, trimmed to it.
fn clip_spans<'s>(
    spans: &'s [[u32; 2]],
    range: &Range<u32>,
) -> impl Iterator<Item = [u32; 2]> + 's {
    let (start, end) = (range.start, range.end);
    let first = spans.partition_point(|s| s[1] <= start);
    spans
        .get(first..)
        .unwrap_or_default()
        .iter()
        .take_while(move |s| s[0] < end)
        .map(move |s| [s[0].max(start), s[1].min(end)])
}

/// The number of distinct documents in `range` that are in any of `spans` or of `lists`
/// (which lie in `range`). The spans are merged by a sweep in order of their starts, a step
/// per span; then only the postings they do not cover are set in a bitmap, one spanning
/// just those lists, to count each document once.
fn spans_union_len(spans: &[&[[u32; 2]]], lists: &[&[u32]], range: &Range<u32>) -> usize {
    let mut all: Vec<[u32; 2]> = spans.iter().flat_map(|s| clip_spans(s, range)).collect();
    all.sort_unstable();
    let mut merged: Vec<[u32; 2]> = Vec::with_capacity(all.len());
    for [a, b] in all {
        match merged.last_mut() {
            Some(span) if a <= span[1] => span[1] = span[1].max(b),
            _ => merged.push([a, b]),
        }
    }
    let covered: usize = merged.iter().map(|[a, b]| (b - a) as usize).sum();
    let (Some(lo), Some(hi)) = (
        lists.iter().filter_map(|l| l.first()).min().copied(),
        lists.iter().filter_map(|l| l.last()).max().copied(),
    ) else {
        return covered;
    };
    let mut scratch = vec![0u64; ((hi - lo) / 64) as usize + 1];
    for list in lists {
        let mut next = 0;
        for &doc in *list {
            while merged.get(next).is_some_and(|s| s[1] <= doc) {
                next += 1;
            }
            if merged.get(next).is_some_and(|s| s[0] <= doc) {
                continue;
            }
            let offset = doc - lo;
            if let Some(word) = scratch.get_mut((offset / 64) as usize) {
                *word |= 1 << (offset % 64);
            }
        }
    }
    covered
        + scratch
            .iter()
            .map(|w| w.count_ones() as usize)
            .sum::<usize>()
}

/// The number of distinct documents in `range` that are in any of `bitmaps`, of `spans` or
/// of `lists` (which lie in `range`): the bitmaps' words are copied, the spans' bits set word
/// by word and the lists' postings one by one.
fn bitmap_union_len(
    bitmaps: &[&[u64]],
    spans: &[&[[u32; 2]]],
    lists: &[&[u32]],
    range: &Range<u32>,
) -> usize {
    if range.is_empty() {
        return 0;
    }
    let first = (range.start / 64) as usize;
    let last = ((range.end - 1) / 64) as usize;
    // Word by word over whole slices, which the compiler turns into plain copies and wide ORs.
    let mut scratch: Vec<u64> = Vec::new();
    for bitmap in bitmaps {
        let words = bitmap.get(first..=last).unwrap_or_default();
        if scratch.is_empty() {
            scratch.extend_from_slice(words);
        } else {
            for (s, w) in scratch.iter_mut().zip(words) {
                *s |= w;
            }
        }
    }
    scratch.resize(last - first + 1, 0);
    if let Some(word) = scratch.first_mut() {
        *word &= u64::MAX << (range.start % 64);
    }
    if !range.end.is_multiple_of(64)
        && let Some(word) = scratch.last_mut()
    {
        *word &= (1u64 << (range.end % 64)) - 1;
    }
    let base = first as u32 * 64;
    for [a, b] in spans.iter().flat_map(|s| clip_spans(s, range)) {
        set_bits(&mut scratch, a - base, b - base);
    }
    for list in lists {
        for &doc in *list {
            if let Some(word) = scratch.get_mut(doc as usize / 64 - first) {
                *word |= 1 << (doc % 64);
            }
        }
    }
    scratch.iter().map(|w| w.count_ones() as usize).sum()
}

/// Sets bits `a..b` of a bitmap: whole words at once, the two ends by masks.
fn set_bits(words: &mut [u64], a: u32, b: u32) {
    let (a, b) = (a as usize, b as usize);
    if a >= b {
        return;
    }
    let (wa, wb) = (a / 64, (b - 1) / 64);
    let head = u64::MAX << (a % 64);
    let tail = u64::MAX >> (63 - (b - 1) % 64);
    if wa == wb {
        if let Some(w) = words.get_mut(wa) {
            *w |= head & tail;
        }
        return;
    }
    if let Some(w) = words.get_mut(wa) {
        *w |= head;
    }
    for w in words.iter_mut().take(wb).skip(wa + 1) {
        *w = u64::MAX;
    }
    if let Some(w) = words.get_mut(wb) {
        *w |= tail;
    }
}

/// The number of distinct documents in sorted lists that may share some.
fn union_len(lists: &[&[u32]]) -> usize {
    let (Some(lo), Some(hi)) = (
        lists.iter().filter_map(|l| l.first()).min().copied(),
        lists.iter().filter_map(|l| l.last()).max().copied(),
    ) else {
        return 0;
    };
    let words = ((hi - lo) / 64) as usize + 1;
    let postings: usize = lists.iter().map(|l| l.len()).sum();
    if postings * WORDS_PER_MERGED_POSTING < words {
        return Merge::new(lists.to_vec(), true).count();
    }
    let mut bits = vec![0u64; words];
    for list in lists {
        for &doc in *list {
            let offset = doc - lo;
            if let Some(word) = bits.get_mut((offset / 64) as usize) {
                *word |= 1 << (offset % 64);
            }
        }
    }
    bits.iter().map(|w| w.count_ones() as usize).sum()
}

/// The documents of sorted lists that fall in a range, as a bitmap over the range.
pub(super) struct Span {
    start: u32,
    words: Vec<u64>,
}

impl Span {
    pub(super) fn of(lists: &[&[u32]], range: Range<u32>) -> Self {
        let len = range.end.saturating_sub(range.start) as usize;
        let mut words = vec![0u64; len.div_ceil(64)];
        for list in clip_all(lists, &range) {
            for &doc in list {
                let offset = doc - range.start;
                if let Some(word) = words.get_mut((offset / 64) as usize) {
                    *word |= 1 << (offset % 64);
                }
            }
        }
        Span {
            start: range.start,
            words,
        }
    }

    pub(super) fn contains(&self, doc: u32) -> bool {
        let Some(offset) = doc.checked_sub(self.start) else {
            return false;
        };
        let word = self.words.get((offset / 64) as usize).copied().unwrap_or(0);
        word >> (offset % 64) & 1 == 1
    }
}

/// The documents of several sorted lists, each once, in ascending or descending order.
pub(super) struct Merge<'a> {
    lists: Vec<&'a [u32]>,
    /// The next document of each list that has one, as `(doc ^ flip, list)`: a max-heap
    /// pops the largest document, or with every bit flipped the smallest.
    heap: BinaryHeap<(u32, usize)>,
    flip: u32,
    ascending: bool,
    last: Option<u32>,
}

impl<'a> Merge<'a> {
    pub(super) fn new(lists: Vec<&'a [u32]>, ascending: bool) -> Self {
        let flip = if ascending { u32::MAX } else { 0 };
        let heap = lists
            .iter()
            .enumerate()
            .filter_map(|(i, l)| {
                let next = if ascending { l.first() } else { l.last() };
                next.map(|d| (d ^ flip, i))
            })
            .collect();
        Merge {
            lists,
            heap,
            flip,
            ascending,
            last: None,
        }
    }
}

impl Iterator for Merge<'_> {
    type Item = u32;

    fn next(&mut self) -> Option<u32> {
        loop {
            let (key, i) = self.heap.pop()?;
            let doc = key ^ self.flip;
            if let Some(list) = self.lists.get_mut(i) {
                let rest = if self.ascending {
                    list.split_first().map(|(_, rest)| rest)
                } else {
                    list.split_last().map(|(_, rest)| rest)
                };
                *list = rest.unwrap_or_default();
                let next = if self.ascending {
                    list.first()
                } else {
                    list.last()
                };
                if let Some(d) = next {
                    self.heap.push((d ^ self.flip, i));
                }
            }
            if self.last != Some(doc) {
                self.last = Some(doc);
                return Some(doc);
            }
        }
    }
}

/// Answers whether documents are in a union, for documents asked in ascending (or in
/// descending) order: each list's remaining part shrinks as the questions go on, so a walk
/// through many candidates costs a binary search per list and candidate at most.
struct Member<'a, 'b> {
    lists: Vec<&'a [u32]>,
    spans: &'b [&'a [[u32; 2]]],
    bitmaps: &'b [&'a [u64]],
    ascending: bool,
}

impl<'a, 'b> Member<'a, 'b> {
    fn new(
        lists: Vec<&'a [u32]>,
        spans: &'b [&'a [[u32; 2]]],
        bitmaps: &'b [&'a [u64]],
        ascending: bool,
    ) -> Self {
        Member {
            lists,
            spans,
            bitmaps,
            ascending,
        }
    }

    fn contains(&mut self, doc: u32) -> bool {
        let bit = |b: &&[u64]| {
            b.get(doc as usize / 64)
                .is_some_and(|w| w >> (doc % 64) & 1 == 1)
        };
        let spanned = |s: &&[[u32; 2]]| {
            let i = s.partition_point(|span| span[1] <= doc);
            s.get(i).is_some_and(|span| span[0] <= doc)
        };
        if self.bitmaps.iter().any(bit) || self.spans.iter().any(spanned) {
            return true;
        }
        let ascending = self.ascending;
        self.lists.iter_mut().any(|list| {
            if ascending {
                let skip = list.partition_point(|&d| d < doc);
                *list = list.get(skip..).unwrap_or_default();
                list.first() == Some(&doc)
            } else {
                let keep = list.partition_point(|&d| d <= doc);
                *list = list.get(..keep).unwrap_or_default();
                list.last() == Some(&doc)
            }
        })
    }
}
