//! Name search over every entity, built once at load time and queried per request.
//!
//! Names are folded (see [`fold`]) and split into word tokens and CJK runs. Word tokens go
//! into a sorted vocabulary, so a query token finds every token it is a prefix of with two
//! binary searches, plus a suffix array over the vocabulary so that a query token of at least
//! three characters also finds the tokens it occurs inside. CJK text has no spaces, so each
//! CJK character and each pair of adjacent CJK characters is indexed as an n-gram instead.
//!
//! The ranking rules are defined once, by [`rank_name`] on one folded name. For a query of
//! one word the postings alone decide them: each token's documents are kept apart by where
//! the token stands in a name (a whole name, first, elsewhere), so the hits of each rank are
//! unions and differences of posting lists, which [`Matches`] counts and pages without
//! listing them. Any other query takes candidates from its most selective piece and verifies
//! each against its stored folded names, so its work grows with its candidates, not with the
//! corpus. Tests hold both ways to ranking every document with [`rank_name`].

use std::collections::HashMap;
use std::fmt;
use std::hash::Hash;
use std::ops::Range;

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::{canonical_combining_class, is_combining_mark};

mod matches;

pub use matches::{Matches, RANKS};
use matches::{Merge, Span, Token};

/// A name equals the query after folding.
pub const RANK_EXACT: u8 = 0;
/// A name starts with the query after folding.
pub const RANK_PREFIX: u8 = 1;
/// Every query token is a prefix of some token of one name.
pub const RANK_WORD_PREFIX: u8 = 2;
/// Every query token occurs inside some token of one name (or CJK text occurs in a CJK run).
pub const RANK_SUBSTRING: u8 = 3;

/// Shorter query tokens only match as prefixes, because a one- or two-letter infix matches
/// nearly every name and would make such queries cost the whole corpus for useless results.
const MIN_INFIX_CHARS: usize = 3;

/// Longer tokens are still found by prefix, but get no infix entries: a pathological token of
/// a million characters would otherwise add a million suffixes and make the build quadratic.
const MAX_INFIX_TOKEN_CHARS: usize = 64;

/// Folded text beyond this is dropped, because offsets are stored as `u32` to halve their
/// memory, and the vocabulary text (which can be a little larger than the name text) must fit too.
const MAX_TEXT_BYTES: usize = (u32::MAX / 2) as usize;

/// One match: the caller's document id and how well it matched (lower is better).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Hit {
    pub doc: u32,
    pub rank: u8,
}

/// Folds text for matching: NFKD, strip diacritics, full lowercase, punctuation to spaces.
///
/// Details, each chosen so that what a user types matches what is stored:
/// - Compatibility decomposition (NFKD) turns ligatures, full-width and superscript forms into
///   plain letters and digits, and splits accented letters into base plus mark.
/// - Combining marks are dropped (é → e, ü → u), except the alphabetic marks with combining
///   class 0 (Indic and South-East Asian vowel signs, which are letters rather than accents)
///   and the kana voicing marks (が must not become か). The text is then recomposed (NFC) so
///   that Hangul syllables, which NFKD splits into jamo, come back as syllables.
/// - Lowercasing uses the full Unicode mapping; final sigma becomes σ and ß becomes "ss", as
///   case folding does, so that "ΟΔΟΣ" finds "οδος" and "strasse" finds "straße".
/// - Apostrophes (' ’ ‘ ʼ ʻ ` ´ ′) are removed rather than turned into spaces, so "year’s",
///   "year's" and "years" all fold to "years", and "O'Brien" to "obrien".
/// - Every other character that is neither alphanumeric nor CJK (punctuation, symbols, emoji,
///   controls, NUL) separates words; runs of separators become one space and the result is
///   trimmed, so folded strings can be compared with `==` and `starts_with`.
/// - CJK characters are kept as they are.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    fold_into(s, &mut out);
    out
}

/// Appends the folding of `s` to `out`, so the builder can fold straight into its text buffer.
fn fold_into(s: &str, out: &mut String) {
    let start = out.len();
    let mut gap = false;
    let mut put = |out: &mut String, c: char| {
        if is_apostrophe(c) || is_ignorable_mark(c) {
            return;
        }
        if is_cjk(c) || c.is_alphanumeric() {
            if gap && out.len() > start {
                out.push(' ');
            }
            gap = false;
            match c {
                'ς' => out.push('σ'),
                'ß' => out.push_str("ss"),
                _ => out.push(c),
            }
        } else {
            gap = true;
        }
    };
    if s.is_ascii() {
        // ASCII needs no normalisation, and most names are ASCII, so this keeps builds fast.
        for b in s.bytes() {
            put(out, b.to_ascii_lowercase() as char);
        }
    } else {
        let decomposed = s
            .chars()
            .filter(|&c| !is_apostrophe(c))
            .nfkd()
            .filter(|&c| !is_ignorable_mark(c))
            .nfc();
        for c in decomposed {
            for l in c.to_lowercase() {
                put(out, l);
            }
        }
    }
}

/// Apostrophe-like characters, which are removed so that contractions and possessives match
/// their unpunctuated spelling. Checked before decomposition too, because NFKD turns ´ into a
/// space and a combining accent.
fn is_apostrophe(c: char) -> bool {
    matches!(
        c,
        '\'' | '`'
            | '\u{00B4}'
            | '\u{02B9}'
            | '\u{02BB}'
            | '\u{02BC}'
            | '\u{2018}'
            | '\u{2019}'
            | '\u{201B}'
            | '\u{2032}'
            | '\u{FF07}'
    )
}

/// Combining marks that folding removes; see [`fold`] for which ones are kept and why.
fn is_ignorable_mark(c: char) -> bool {
    is_combining_mark(c)
        && c != '\u{3099}'
        && c != '\u{309A}'
        && !(canonical_combining_class(c) == 0 && c.is_alphabetic())
}

/// Characters of scripts written without spaces between words, which are indexed by
/// character n-grams instead of word tokens: Han, Hiragana, Katakana and Hangul.
fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x1100..=0x11FF          // Hangul Jamo
        | 0x3005..=0x3007        // 々 〆 〇
        | 0x3021..=0x3029        // Hangzhou numerals
        | 0x3038..=0x303B
        | 0x3040..=0x309F        // Hiragana
        | 0x30A1..=0x30FA        // Katakana, without ゠ and the ・ name separator
        | 0x30FC..=0x30FF
        | 0x3130..=0x318F        // Hangul compatibility jamo
        | 0x31F0..=0x31FF        // Katakana phonetic extensions
        | 0x3400..=0x4DBF        // CJK extension A
        | 0x4E00..=0x9FFF        // CJK unified ideographs
        | 0xA960..=0xA97F        // Hangul jamo extended A
        | 0xAC00..=0xD7FF        // Hangul syllables and jamo extended B
        | 0xF900..=0xFAFF        // CJK compatibility ideographs
        | 0x1B000..=0x1B16F      // Kana supplement and extensions
        | 0x20000..=0x323AF      // CJK extensions B to H
    )
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TokenKind {
    Word,
    Cjk,
}

/// Splits folded text into word tokens and maximal CJK runs; spaces only separate.
fn tokens(s: &str) -> Tokens<'_> {
    Tokens { rest: s }
}

struct Tokens<'a> {
    rest: &'a str,
}

impl<'a> Iterator for Tokens<'a> {
    type Item = (TokenKind, &'a str);

    fn next(&mut self) -> Option<Self::Item> {
        let trimmed = self.rest.trim_start_matches(' ');
        let first = trimmed.chars().next()?;
        let cjk = is_cjk(first);
        let end = trimmed
            .char_indices()
            .find(|&(_, c)| c == ' ' || is_cjk(c) != cjk)
            .map_or(trimmed.len(), |(i, _)| i);
        let (tok, rest) = trimmed.split_at(end);
        self.rest = rest;
        Some((if cjk { TokenKind::Cjk } else { TokenKind::Word }, tok))
    }
}

/// One token of a folded query, with its character count cached for the infix rules.
struct Piece<'a> {
    kind: TokenKind,
    text: &'a str,
    chars: usize,
}

/// Ranks one folded name against a folded query, or `None` if it does not match. This is the
/// single definition of matching: the index only has to produce a superset of the documents
/// for which it returns `Some`.
fn rank_name(name: &str, query: &str, pieces: &[Piece]) -> Option<u8> {
    if name == query {
        return Some(RANK_EXACT);
    }
    if name.starts_with(query) {
        return Some(RANK_PREFIX);
    }
    let mut worst = RANK_WORD_PREFIX;
    for p in pieces {
        let mut best = None;
        for (kind, tok) in tokens(name) {
            if kind != p.kind {
                continue;
            }
            if tok.starts_with(p.text) {
                best = Some(RANK_WORD_PREFIX);
                break;
            }
            let infix_ok = match kind {
                TokenKind::Cjk => true,
                TokenKind::Word => p.chars >= MIN_INFIX_CHARS && infix_indexed(tok),
            };
            if best.is_none() && infix_ok && tok.contains(p.text) {
                best = Some(RANK_SUBSTRING);
            }
        }
        worst = worst.max(best?);
    }
    Some(worst)
}

/// Whether a word token gets infix (suffix array) entries.
fn infix_indexed(tok: &str) -> bool {
    tok.len() <= MAX_INFIX_TOKEN_CHARS || tok.chars().count() <= MAX_INFIX_TOKEN_CHARS
}

/// Packs one CJK character, or two adjacent ones, into a map key; bigrams set a bit above
/// both 21-bit code points, so they never collide with unigrams.
fn unigram(c: char) -> u64 {
    c as u64
}

fn bigram(a: char, b: char) -> u64 {
    (1 << 42) | ((a as u64) << 21) | b as u64
}

/// Where a word token stands in a document's names, best first: the whole of a name, the
/// first token of one, or elsewhere. A one-word query ranks a document by the best place of
/// the tokens it matches, so the postings keep each place's documents apart (see
/// [`SearchIndex::word_runs`]) and such a query is ranked without reading any name.
const PLACE_NAME: u8 = 0;
const PLACE_FIRST: u8 = 1;
const PLACE_OTHER: u8 = 2;
const PLACES: usize = 3;

/// Another piece of a query filters its candidates when its postings number at most this
/// many per candidate: setting a posting's bit costs far less than checking a candidate's
/// names, so reading a few times more postings than there are candidates still pays.
const PREFILTER_POSTINGS_PER_CANDIDATE: usize = 8;

/// A token in at least one document in this many also gets a bitmap of its documents, which
/// is then no larger than its postings. Counting a union of several tokens reads a bitmap a
/// word per 64 documents instead of a posting per document: a common word is counted from
/// its bitmap, and only the rarer tokens beside it are read posting by posting.
const DENSE_SHARE: usize = 32;

/// A token whose documents fall in runs of consecutive numbers, this many documents to a run
/// or more on average, also keeps the runs ("spans"), and then needs no bitmap. Documents are
/// numbered in label order (see `Store::build_search`), so a word that starts many names, or
/// follows the same first words in them, has its documents in a few long runs; counting a
/// union of such tokens costs a step per span instead of a bit per document. A span costs
/// two postings' memory, so the spans add an eighth at most to the postings they summarise.
const POSTINGS_PER_SPAN: usize = 16;

/// A token with fewer documents than this keeps no spans: its postings are cheap to read.
const MIN_SPANNED_POSTINGS: usize = 256;

/// Accumulates `(key, doc)` pairs during the build, deduplicating repeated keys within a doc
/// and keeping the best place the key has in that doc. Documents are visited in increasing
/// order, so each key's documents arrive already sorted.
struct Collector<K> {
    ids: HashMap<K, u32>,
    keys: Vec<K>,
    /// The index in `pairs` of each key's latest pair, or `u32::MAX` before its first.
    last_pair: Vec<u32>,
    pairs: Vec<(u32, u32)>,
    /// The place of each pair; CJK n-grams leave it at `PLACE_NAME` and never read it.
    places: Vec<u8>,
}

impl<K: Hash + Eq + Copy> Collector<K> {
    fn new() -> Self {
        Collector {
            ids: HashMap::new(),
            keys: Vec::new(),
            last_pair: Vec::new(),
            pairs: Vec::new(),
            places: Vec::new(),
        }
    }

    fn add(&mut self, key: K, doc: u32, place: u8) {
        let next = self.keys.len() as u32;
        let id = *self.ids.entry(key).or_insert(next);
        if id == next {
            self.keys.push(key);
            self.last_pair.push(u32::MAX);
        }
        let last = self.last_pair[id as usize] as usize;
        match self.pairs.get(last) {
            Some(&(_, d)) if d == doc => self.places[last] = self.places[last].min(place),
            _ => {
                self.last_pair[id as usize] = self.pairs.len() as u32;
                self.pairs.push((id, doc));
                self.places.push(place);
            }
        }
    }
}

/// Collects documents and their names, then builds the immutable [`SearchIndex`].
#[derive(Debug, Default, Clone)]
pub struct SearchIndexBuilder {
    /// Folded names in insertion order, so nothing but this buffer is kept per name.
    text: String,
    /// `(doc, start, end)` of each non-empty folded name in `text`.
    names: Vec<(u32, u32, u32)>,
    /// Every doc added, so that a doc whose names all fold to nothing still counts in `len`.
    docs: Vec<u32>,
}

impl SearchIndexBuilder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a document's names; the first is the primary one. Adding the same doc again
    /// appends more names to it. Names that fold to nothing are not stored.
    pub fn add<S: AsRef<str>>(&mut self, doc: u32, names: &[S]) {
        self.docs.push(doc);
        for name in names {
            let start = self.text.len();
            fold_into(name.as_ref(), &mut self.text);
            let end = self.text.len();
            if end == start {
                continue;
            }
            if end > MAX_TEXT_BYTES {
                self.text.truncate(start);
                continue;
            }
            self.names.push((doc, start as u32, end as u32));
        }
    }

    pub fn finish(self) -> SearchIndex {
        let SearchIndexBuilder {
            text: raw,
            mut names,
            mut docs,
        } = self;
        docs.sort_unstable();
        docs.dedup();
        // A stable sort keeps each document's names in the order given, primary first.
        names.sort_by_key(|n| n.0);

        let mut text = String::with_capacity(names.iter().map(|n| (n.2 - n.1) as usize).sum());
        let mut name_ends = Vec::with_capacity(names.len() + 1);
        name_ends.push(0u32);
        let mut doc_names = Vec::with_capacity(docs.len() + 1);
        doc_names.push(0u32);
        let mut next = names.iter().peekable();
        for &doc in &docs {
            while let Some(&&(d, s, e)) = next.peek() {
                if d != doc {
                    break;
                }
                text.push_str(&raw[s as usize..e as usize]);
                name_ends.push(text.len() as u32);
                next.next();
            }
            doc_names.push((name_ends.len() - 1) as u32);
        }
        drop(raw);
        drop(names);

        let mut words: Collector<&str> = Collector::new();
        let mut ngrams: Collector<u64> = Collector::new();
        for d in 0..docs.len() {
            for n in doc_names[d] as usize..doc_names[d + 1] as usize {
                let name = &text[name_ends[n] as usize..name_ends[n + 1] as usize];
                let whole = tokens(name).nth(1).is_none();
                for (i, (kind, tok)) in tokens(name).enumerate() {
                    match kind {
                        TokenKind::Word => {
                            let place = match i {
                                0 if whole => PLACE_NAME,
                                0 => PLACE_FIRST,
                                _ => PLACE_OTHER,
                            };
                            words.add(tok, d as u32, place);
                        }
                        TokenKind::Cjk => {
                            let mut prev = None;
                            for c in tok.chars() {
                                ngrams.add(unigram(c), d as u32, PLACE_NAME);
                                if let Some(p) = prev {
                                    ngrams.add(bigram(p, c), d as u32, PLACE_NAME);
                                }
                                prev = Some(c);
                            }
                        }
                    }
                }
            }
        }

        // Lay the word postings out in vocabulary order, so a prefix range of the sorted
        // vocabulary is also a contiguous range of postings offsets. Each token's documents
        // are split into one sorted run per place, best place first.
        let vocab_len = words.keys.len();
        let mut order: Vec<u32> = (0..vocab_len as u32).collect();
        order.sort_unstable_by(|&a, &b| words.keys[a as usize].cmp(words.keys[b as usize]));
        let mut position = vec![0u32; vocab_len];
        for (p, &id) in order.iter().enumerate() {
            position[id as usize] = p as u32;
        }
        let total = words.pairs.len() + ngrams.pairs.len();
        let mut postings = vec![0u32; total];

        let mut cursor = vec![0u32; vocab_len * PLACES];
        for (&(id, _), &place) in words.pairs.iter().zip(&words.places) {
            cursor[position[id as usize] as usize * PLACES + place as usize] += 1;
        }
        let mut vocab_post = Vec::with_capacity(vocab_len + 1);
        let mut vocab_runs = Vec::with_capacity(vocab_len);
        let mut offset = 0u32;
        for runs in cursor.chunks_exact_mut(PLACES) {
            vocab_post.push(offset);
            for run in runs.iter_mut() {
                let len = *run;
                *run = offset;
                offset += len;
            }
            vocab_runs.push([runs[PLACE_FIRST as usize], runs[PLACE_OTHER as usize]]);
        }
        vocab_post.push(offset);
        for (&(id, doc), &place) in words.pairs.iter().zip(&words.places) {
            let run = position[id as usize] as usize * PLACES + place as usize;
            postings[cursor[run] as usize] = doc;
            cursor[run] += 1;
        }
        drop(cursor);
        drop(position);

        let bitmap_words = docs.len().div_ceil(64);
        let mut dense_tokens = Vec::new();
        let mut dense_bits: Vec<u64> = Vec::new();
        let mut span_tokens = Vec::new();
        let mut span_starts = Vec::new();
        let mut spans: Vec<[u32; 2]> = Vec::new();
        for t in 0..vocab_len {
            let (start, end) = (vocab_post[t] as usize, vocab_post[t + 1] as usize);
            let len = end - start;
            let dense = len > 0 && len * DENSE_SHARE >= docs.len();
            if len >= MIN_SPANNED_POSTINGS {
                let [first, other] = vocab_runs[t].map(|o| o as usize);
                let runs = [start..first, first..other, other..end].map(|r| &postings[r]);
                let mut token_spans: Vec<[u32; 2]> = Vec::new();
                for d in Merge::new(runs.to_vec(), true) {
                    if let Some(span) = token_spans.last_mut()
                        && span[1] == d
                    {
                        span[1] = d + 1;
                    } else if (token_spans.len() + 1) * POSTINGS_PER_SPAN > len {
                        break;
                    } else {
                        token_spans.push([d, d + 1]);
                    }
                }
                let covered: u32 = token_spans.iter().map(|[a, b]| b - a).sum();
                if covered as usize == len {
                    span_tokens.push(t as u32);
                    span_starts.push(spans.len() as u32);
                    spans.extend(token_spans);
                    continue;
                }
            }
            if dense {
                let list = &postings[start..end];
                dense_tokens.push(t as u32);
                let at = dense_bits.len();
                dense_bits.resize(at + bitmap_words, 0);
                for &d in list {
                    dense_bits[at + d as usize / 64] |= 1 << (d % 64);
                }
            }
        }
        span_starts.push(spans.len() as u32);

        let mut ngram_counts = vec![0u32; ngrams.keys.len()];
        for &(id, _) in &ngrams.pairs {
            ngram_counts[id as usize] += 1;
        }
        let mut ngram_start = Vec::with_capacity(ngrams.keys.len());
        let mut offset = words.pairs.len() as u32;
        for &count in &ngram_counts {
            ngram_start.push(offset);
            offset += count;
        }
        let mut cursor = ngram_start.clone();
        for &(id, doc) in &ngrams.pairs {
            postings[cursor[id as usize] as usize] = doc;
            cursor[id as usize] += 1;
        }
        let mut cjk = HashMap::with_capacity(ngrams.keys.len());
        for (id, &key) in ngrams.keys.iter().enumerate() {
            cjk.insert(key, (ngram_start[id], ngram_counts[id]));
        }
        drop(ngrams);

        // Tokens are separated by a space in the vocabulary text; tokens never contain one,
        // which lets a suffix be compared with a query without first finding its token's end.
        let mut vocab_text = String::with_capacity(
            order
                .iter()
                .map(|&id| words.keys[id as usize].len() + 1)
                .sum(),
        );
        let mut vocab_start = Vec::with_capacity(vocab_len + 1);
        for &id in &order {
            vocab_start.push(vocab_text.len() as u32);
            vocab_text.push_str(words.keys[id as usize]);
            vocab_text.push(' ');
        }
        vocab_start.push(vocab_text.len() as u32);
        drop(order);
        drop(words);

        let mut suffixes: Vec<(u32, u32)> = Vec::new();
        for i in 0..vocab_len {
            let start = vocab_start[i] as usize;
            let end = vocab_start[i + 1] as usize - 1;
            let tok = &vocab_text[start..end];
            if !infix_indexed(tok) {
                continue;
            }
            let chars = tok.chars().count();
            // Suffixes starting at the token's first character are the vocabulary itself, and
            // suffixes shorter than the minimum infix can never contain a query token.
            for (k, (b, _)) in tok.char_indices().enumerate().skip(1) {
                if chars - k < MIN_INFIX_CHARS {
                    break;
                }
                suffixes.push(((start + b) as u32, end as u32));
            }
        }
        let bytes = vocab_text.as_bytes();
        suffixes.sort_unstable_by(|a, b| {
            bytes[a.0 as usize..a.1 as usize].cmp(&bytes[b.0 as usize..b.1 as usize])
        });
        // Collected into a fresh vector: an in-place collect would reuse the pair buffer and
        // keep twice the memory the offsets need.
        let mut offsets = Vec::with_capacity(suffixes.len());
        offsets.extend(suffixes.iter().map(|s| s.0));
        drop(suffixes);
        // The vectors grown by pushing may hold up to twice their length; the index lives for
        // the whole process, so giving the slack back is worth one copy.
        docs.shrink_to_fit();
        vocab_text.shrink_to_fit();

        SearchIndex {
            doc_ids: docs,
            doc_names,
            name_ends,
            text,
            vocab_text,
            vocab_start,
            vocab_post,
            vocab_runs,
            dense_tokens,
            dense_bits,
            span_tokens,
            span_starts,
            spans,
            suffixes: offsets,
            cjk,
            postings,
        }
    }
}

/// The immutable search index; see the module documentation for how it works.
#[derive(Clone, Default)]
pub struct SearchIndex {
    /// Caller doc ids in increasing order; postings hold indexes into this, so sorted
    /// postings are also sorted by caller id.
    doc_ids: Vec<u32>,
    /// Names of doc `i` are `doc_names[i]..doc_names[i + 1]`.
    doc_names: Vec<u32>,
    /// Name `n` is `text[name_ends[n]..name_ends[n + 1]]`.
    name_ends: Vec<u32>,
    /// All folded names, concatenated.
    text: String,
    /// The distinct word tokens in sorted order, each followed by a space.
    vocab_text: String,
    /// Token `t` starts at `vocab_start[t]`; the last entry is the text length.
    vocab_start: Vec<u32>,
    /// Postings of token `t` are `postings[vocab_post[t]..vocab_post[t + 1]]`.
    vocab_post: Vec<u32>,
    /// Where the postings of token `t` that are first in a name, and those that are neither
    /// first nor a whole name, start (see [`SearchIndex::word_runs`]).
    vocab_runs: Vec<[u32; 2]>,
    /// The tokens (sorted) that have a bitmap of their documents, see [`DENSE_SHARE`].
    dense_tokens: Vec<u32>,
    /// Those bitmaps, back to back, each a bit per document rounded up to whole words.
    dense_bits: Vec<u64>,
    /// The tokens (sorted) that keep the runs of their documents, see [`POSTINGS_PER_SPAN`].
    span_tokens: Vec<u32>,
    /// The spans of the `i`th of those tokens are `spans[span_starts[i]..span_starts[i + 1]]`.
    span_starts: Vec<u32>,
    /// Runs of consecutive documents, `[first, last + 1]`, ascending within each token.
    spans: Vec<[u32; 2]>,
    /// Offsets in `vocab_text` of token suffixes (not at a token start), sorted by suffix.
    suffixes: Vec<u32>,
    /// CJK unigram and bigram keys to `(start, len)` in `postings`.
    cjk: HashMap<u64, (u32, u32)>,
    /// Sorted, deduplicated doc indexes for every token and n-gram, back to back.
    postings: Vec<u32>,
}

/// Candidate documents for one query piece, before they are materialised.
enum Source<'a> {
    /// Documents in any of the lists (a word piece matches any of several tokens).
    Union(Vec<&'a [u32]>),
    /// Documents in all of the lists (a CJK piece must contain each of its bigrams).
    Intersection(Vec<&'a [u32]>),
}

impl Source<'_> {
    /// An upper bound on the number of candidates, used to pick the cheapest piece.
    fn cost(&self) -> usize {
        match self {
            Source::Union(lists) => lists.iter().map(|l| l.len()).sum(),
            Source::Intersection(lists) => lists.iter().map(|l| l.len()).min().unwrap_or(0),
        }
    }

    /// Lists whose union holds every candidate: all of a union's, the shortest of an
    /// intersection's.
    fn superset(&self) -> &[&[u32]] {
        match self {
            Source::Union(lists) => lists,
            Source::Intersection(lists) => {
                let shortest = lists.iter().enumerate().min_by_key(|(_, l)| l.len());
                shortest.map_or(&[], |(i, _)| lists.get(i..i + 1).unwrap_or_default())
            }
        }
    }

    fn docs(self) -> Vec<u32> {
        match self {
            Source::Union(lists) => Merge::new(lists, true).collect(),
            Source::Intersection(mut lists) => {
                lists.sort_by_key(|l| l.len());
                let Some((first, rest)) = lists.split_first() else {
                    return Vec::new();
                };
                let mut docs = first.to_vec();
                for list in rest {
                    docs.retain(|d| list.binary_search(d).is_ok());
                }
                docs
            }
        }
    }
}

impl SearchIndex {
    pub fn build<'a>(docs: impl IntoIterator<Item = (u32, &'a [&'a str])>) -> SearchIndex {
        let mut builder = SearchIndexBuilder::new();
        for (doc, names) in docs {
            builder.add(doc, names);
        }
        builder.finish()
    }

    /// All matching documents, best first, as `(rank, doc)` ascending. See the `RANK_*`
    /// constants. A query that folds to nothing returns nothing.
    pub fn search(&self, query: &str) -> Vec<Hit> {
        self.matches(query, None)
            .take_from(Hit { doc: 0, rank: 0 }, usize::MAX)
    }

    /// The documents that match `query`, restricted to the ranges of caller doc ids in
    /// `within` when it is given, to be counted and paged in `(rank, doc)` order.
    ///
    /// A query of one word is answered from the postings alone: which tokens it starts and
    /// which it occurs in, and where in a name each token stands, decide every rank, so
    /// nothing is verified and nothing is listed but the page (see [`Matches`]). Any other
    /// query draws candidates from its most selective piece and verifies each against its
    /// names, which costs a little per candidate.
    pub fn matches(&self, query: &str, within: Option<&[Range<u32>]>) -> Matches<'_> {
        let within = self.positions(within);
        let query = fold(query);
        let pieces: Vec<Piece> = tokens(&query)
            .map(|(kind, text)| Piece {
                kind,
                text,
                chars: text.chars().count(),
            })
            .collect();
        if let [piece] = &pieces[..]
            && piece.kind == TokenKind::Word
        {
            let (prefix, infix) = self.word_tokens(piece);
            let exact = prefix.start < prefix.end && self.token(prefix.start) == piece.text;
            return Matches::word(
                self,
                prefix.map(|t| self.word_token(t)).collect(),
                infix.into_iter().map(|t| self.word_token(t)).collect(),
                exact,
                within,
            );
        }
        let ranks = self.verified(&query, &pieces, &within);
        Matches::listed(self, ranks, within)
    }

    /// The hits of `query` in `within`, verified one by one, in a sorted list per rank.
    fn verified(
        &self,
        query: &str,
        pieces: &[Piece],
        within: &[Range<u32>],
    ) -> [Vec<u32>; RANKS as usize] {
        let mut ranks: [Vec<u32>; RANKS as usize] = Default::default();
        // Generate candidates from the most selective piece only; the verification below
        // checks the other pieces anyway, and is cheaper than materialising every union.
        let mut sources: Vec<Source> = pieces.iter().map(|p| self.source(p)).collect();
        if sources.iter().any(|s| s.cost() == 0) {
            return ranks;
        }
        let cheapest = sources.iter().enumerate().min_by_key(|(_, s)| s.cost());
        let Some(best) = cheapest.map(|(i, _)| i) else {
            return ranks;
        };
        let source = sources.swap_remove(best);
        let mut docs = source.docs();
        docs.retain(|d| within.iter().any(|r| r.contains(d)));
        // A hit has every piece somewhere in its names, so another piece's postings rule
        // candidates out at a bit each, before the dearer check of every name. A piece is
        // read only when its postings are not many more than the candidates it can remove.
        for other in &sources {
            let (Some(&lo), Some(&hi)) = (docs.first(), docs.last()) else {
                return ranks;
            };
            if other.cost() <= docs.len() * PREFILTER_POSTINGS_PER_CANDIDATE {
                let present = Span::of(other.superset(), lo..hi.saturating_add(1));
                docs.retain(|&d| present.contains(d));
            }
        }
        for d in docs {
            let rank = self
                .names_of(d as usize)
                .filter_map(|name| rank_name(name, query, pieces))
                .min();
            // Candidates come in doc order, so each rank's list is sorted.
            if let Some(list) = rank.and_then(|r| ranks.get_mut(r as usize)) {
                list.push(d);
            }
        }
        ranks
    }

    /// The index's own document numbers for ranges of caller doc ids: sorted, merged where
    /// they overlap, without empty ones; every document when there are no ranges.
    fn positions(&self, within: Option<&[Range<u32>]>) -> Vec<Range<u32>> {
        let Some(ranges) = within else {
            let every = 0..self.len() as u32;
            return vec![every];
        };
        let mut out: Vec<Range<u32>> = ranges
            .iter()
            .map(|r| self.position(r.start)..self.position(r.end))
            .filter(|r| !r.is_empty())
            .collect();
        out.sort_by_key(|r| r.start);
        let mut merged: Vec<Range<u32>> = Vec::with_capacity(out.len());
        for r in out {
            match merged.last_mut() {
                Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
                _ => merged.push(r),
            }
        }
        merged
    }

    /// The index's number of the first document whose caller id is `doc` or more.
    fn position(&self, doc: u32) -> u32 {
        self.doc_ids.partition_point(|&d| d < doc) as u32
    }

    /// Every document, ranked by [`rank_name`] directly without the postings: what every
    /// way of answering a query must agree with.
    #[cfg(test)]
    pub(crate) fn brute_force(&self, query: &str) -> Vec<Hit> {
        let q = fold(query);
        let pieces: Vec<Piece> = tokens(&q)
            .map(|(kind, text)| Piece {
                kind,
                text,
                chars: text.chars().count(),
            })
            .collect();
        if pieces.is_empty() {
            return Vec::new();
        }
        let mut hits: Vec<Hit> = (0..self.len())
            .filter_map(|d| {
                let rank = self
                    .names_of(d)
                    .filter_map(|n| rank_name(n, &q, &pieces))
                    .min()?;
                Some(Hit {
                    doc: self.doc_ids[d],
                    rank,
                })
            })
            .collect();
        hits.sort_by_key(|h| (h.rank, h.doc));
        hits
    }

    /// Number of documents.
    pub fn len(&self) -> usize {
        self.doc_ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.doc_ids.is_empty()
    }

    /// Approximate heap memory held by the index, in bytes, for capacity planning.
    pub fn heap_size(&self) -> usize {
        let u32s = self.doc_ids.capacity()
            + self.doc_names.capacity()
            + self.name_ends.capacity()
            + self.vocab_start.capacity()
            + self.vocab_post.capacity()
            + self.suffixes.capacity()
            + self.postings.capacity()
            + self.vocab_runs.capacity() * 2
            + self.dense_tokens.capacity()
            + self.dense_bits.capacity() * 2
            + self.span_tokens.capacity()
            + self.span_starts.capacity()
            + self.spans.capacity() * 2;
        // A hash map entry is the key and value plus one control byte.
        let map = self.cjk.capacity() * (size_of::<(u64, (u32, u32))>() + 1);
        u32s * 4 + self.text.capacity() + self.vocab_text.capacity() + map
    }

    fn names_of(&self, doc: usize) -> impl Iterator<Item = &str> {
        let names = self.doc_names[doc] as usize..self.doc_names[doc + 1] as usize;
        names.map(|n| &self.text[self.name_ends[n] as usize..self.name_ends[n + 1] as usize])
    }

    fn vocab_len(&self) -> usize {
        self.vocab_start.len().saturating_sub(1)
    }

    fn token(&self, t: usize) -> &str {
        &self.vocab_text[self.vocab_start[t] as usize..self.vocab_start[t + 1] as usize - 1]
    }

    /// The documents of token `t` in three sorted, disjoint runs: those where it is a whole
    /// name, those where it is the first token of a name, and the rest.
    fn word_runs(&self, t: usize) -> [&[u32]; PLACES] {
        let (start, end) = (self.vocab_post[t], self.vocab_post[t + 1]);
        let [first, other] = self.vocab_runs[t];
        [start..first, first..other, other..end]
            .map(|r| &self.postings[r.start as usize..r.end as usize])
    }

    /// Token `t` as a query of one word reads it: its runs, and its spans or bitmap if it
    /// has them.
    fn word_token(&self, t: usize) -> Token<'_> {
        let words = self.doc_ids.len().div_ceil(64);
        let bits = self
            .dense_tokens
            .binary_search(&(t as u32))
            .ok()
            .and_then(|i| self.dense_bits.get(i * words..(i + 1) * words));
        let spans = self
            .span_tokens
            .binary_search(&(t as u32))
            .ok()
            .and_then(|i| {
                let start = *self.span_starts.get(i)? as usize;
                let end = *self.span_starts.get(i + 1)? as usize;
                self.spans.get(start..end)
            });
        Token {
            runs: self.word_runs(t),
            bits,
            spans,
        }
    }

    fn ngram_postings(&self, key: u64) -> &[u32] {
        match self.cjk.get(&key) {
            Some(&(start, len)) => &self.postings[start as usize..(start + len) as usize],
            None => &[],
        }
    }

    /// The range of vocabulary tokens that start with `prefix`.
    fn prefix_range(&self, prefix: &str) -> Range<usize> {
        let lo = partition(0, self.vocab_len(), |t| self.token(t) < prefix);
        let hi = partition(lo, self.vocab_len(), |t| self.token(t).starts_with(prefix));
        lo..hi
    }

    /// Vocabulary tokens that contain `infix` after their first character.
    fn infix_tokens(&self, infix: &str) -> Vec<usize> {
        let text = self.vocab_text.as_bytes();
        let needle = infix.as_bytes();
        // Truncating a suffix to the needle's length is enough to compare it: it stops at the
        // token's end with a space, which sorts below every byte a folded token can contain.
        let head = |pos: u32| {
            let pos = pos as usize;
            &text[pos..(pos + needle.len()).min(text.len())]
        };
        let lo = self.suffixes.partition_point(|&p| head(p) < needle);
        let hi = lo + self.suffixes[lo..].partition_point(|&p| head(p) == needle);
        let mut found: Vec<usize> = self.suffixes[lo..hi]
            .iter()
            .map(|&p| self.vocab_start.partition_point(|&s| s <= p) - 1)
            .collect();
        found.sort_unstable();
        found.dedup();
        found
    }

    /// The tokens a word piece is a prefix of (a range of the vocabulary), and the others it
    /// occurs in, as [`rank_name`] matches them.
    fn word_tokens(&self, piece: &Piece) -> (Range<usize>, Vec<usize>) {
        let range = self.prefix_range(piece.text);
        let mut infix = Vec::new();
        if piece.chars >= MIN_INFIX_CHARS {
            infix = self.infix_tokens(piece.text);
            infix.retain(|t| !range.contains(t));
        }
        (range, infix)
    }

    fn source(&self, piece: &Piece) -> Source<'_> {
        match piece.kind {
            TokenKind::Word => {
                let (prefix, infix) = self.word_tokens(piece);
                let lists = prefix
                    .chain(infix)
                    .flat_map(|t| self.word_runs(t))
                    .filter(|run| !run.is_empty())
                    .collect();
                Source::Union(lists)
            }
            TokenKind::Cjk => {
                let chars: Vec<char> = piece.text.chars().collect();
                if let [c] = chars[..] {
                    Source::Union(vec![self.ngram_postings(unigram(c))])
                } else {
                    let lists = chars
                        .windows(2)
                        .map(|w| self.ngram_postings(bigram(w[0], w[1])))
                        .collect();
                    Source::Intersection(lists)
                }
            }
        }
    }
}

/// The first index in `lo..hi` for which `pred` is false, where `pred` is true on a prefix of
/// the range; a slice's `partition_point` without needing a slice.
pub(crate) fn partition(mut lo: usize, mut hi: usize, pred: impl Fn(usize) -> bool) -> usize {
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if pred(mid) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    lo
}

impl fmt::Debug for SearchIndex {
    /// A summary rather than the contents, which can be hundreds of megabytes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SearchIndex")
            .field("docs", &self.len())
            .field("names", &self.name_ends.len().saturating_sub(1))
            .field("tokens", &self.vocab_len())
            .field("cjk_ngrams", &self.cjk.len())
            .field("bitmaps", &self.dense_tokens.len())
            .field("spanned_tokens", &self.span_tokens.len())
            .field("spans", &self.spans.len())
            .field("heap_size", &self.heap_size())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture() -> SearchIndex {
        let docs: Vec<(u32, Vec<&str>)> = vec![
            (1, vec!["Leap", "夺冠"]),
            (2, vec!["Leap Reprise"]),
            (3, vec!["Gong Li"]),
            (4, vec!["Shigeru Umebayashi"]),
            (5, vec!["China vs. Brazil"]),
            (6, vec!["Rio, Quarter Final"]),
            (
                7,
                vec![
                    "China women's national volleyball team",
                    "Chinese women's national volleyball team",
                ],
            ),
            (8, vec!["Café Olé"]),
            (9, vec!["New Year’s Dinner"]),
            (10, vec!["夺冠之路"]),
            (11, vec!["ガンダム", "Straße", "ΟΔΟΣ"]),
            (12, vec!["한국 대표팀"]),
        ];
        SearchIndex::build(docs.iter().map(|(d, n)| (*d, n.as_slice())))
    }

    fn check(index: &SearchIndex, query: &str, expected: &[(u32, u8)]) -> Option<String> {
        let got: Vec<(u32, u8)> = index
            .search(query)
            .iter()
            .map(|h| (h.doc, h.rank))
            .collect();
        (got != expected).then(|| format!("{query:?}: expected {expected:?}, got {got:?}"))
    }

    #[test]
    fn search_table() {
        let cases: &[(&str, &[(u32, u8)])] = &[
            ("leap", &[(1, 0), (2, 1)]),
            ("LEAP", &[(1, 0), (2, 1)]),
            ("ＬＥＡＰ", &[(1, 0), (2, 1)]),
            ("lea", &[(1, 1), (2, 1)]),
            ("eap", &[(1, 3), (2, 3)]),
            ("reprise", &[(2, 2)]),
            ("夺冠", &[(1, 0), (10, 1)]),
            ("夺", &[(1, 1), (10, 1)]),
            ("冠", &[(1, 3), (10, 3)]),
            ("冠之", &[(10, 3)]),
            ("之路", &[(10, 3)]),
            ("夺冠之路", &[(10, 0)]),
            ("路冠", &[]),
            ("umeb", &[(4, 2)]),
            ("UMEBAYASHI", &[(4, 2)]),
            ("bayashi", &[(4, 3)]),
            ("gong li", &[(3, 0)]),
            ("li", &[(3, 2)]),
            ("cafe ole", &[(8, 0)]),
            ("café", &[(8, 1)]),
            ("Cafe\u{301}", &[(8, 1)]),
            ("ole", &[(8, 2)]),
            ("olé", &[(8, 2)]),
            ("china brazil", &[(5, 2)]),
            ("brazil china", &[(5, 2)]),
            ("china vs brazil", &[(5, 0)]),
            ("China vs. Brazil!", &[(5, 0)]),
            ("china", &[(5, 1), (7, 1)]),
            ("chin", &[(5, 1), (7, 1)]),
            ("chinese", &[(7, 1)]),
            ("women volleyball", &[(7, 2)]),
            ("women's", &[(7, 2)]),
            ("national volley", &[(7, 2)]),
            ("ational", &[(7, 3)]),
            ("rio", &[(6, 1)]),
            ("Río", &[(6, 1)]),
            ("quarter final", &[(6, 2)]),
            ("year's", &[(9, 2)]),
            ("year’s", &[(9, 2)]),
            ("years", &[(9, 2)]),
            ("new year", &[(9, 1)]),
            ("new years dinner", &[(9, 0)]),
            ("dinner year", &[(9, 2)]),
            ("ガンダム", &[(11, 0)]),
            ("カンダム", &[]),
            ("ンダ", &[(11, 3)]),
            ("strasse", &[(11, 0)]),
            ("οδος", &[(11, 0)]),
            ("한국", &[(12, 1)]),
            ("대표", &[(12, 2)]),
            ("표팀", &[(12, 3)]),
            // Names of one document are matched one at a time, not across names.
            ("leap 夺冠", &[]),
            ("zzz", &[]),
            ("leap zzz", &[]),
            ("", &[]),
            ("   ", &[]),
            ("!!! ...", &[]),
            ("🎉", &[]),
            ("\0", &[]),
        ];
        let index = fixture();
        let failures: Vec<String> = cases
            .iter()
            .filter_map(|(q, expected)| check(&index, q, expected))
            .collect();
        assert!(failures.is_empty(), "\n{}", failures.join("\n"));
        assert_eq!(index.len(), 12);
    }

    #[test]
    fn fold_table() {
        let cases = [
            ("Café Olé", "cafe ole"),
            ("  China vs. Brazil  ", "china vs brazil"),
            ("New Year’s Dinner", "new years dinner"),
            ("O'Brien", "obrien"),
            ("Hawaiʻi", "hawaii"),
            ("ﬁnal Ｆｉｎａｌ ²", "final final 2"),
            ("Leap夺冠", "leap夺冠"),
            ("ジョン・スミス", "ジョン スミス"),
            ("한국", "한국"),
            ("İstanbul", "istanbul"),
            ("Ångström", "angstrom"),
            ("e\u{301}\u{301}", "e"),
            ("\u{301}", ""),
            ("a\0b", "a b"),
            ("", ""),
        ];
        for (input, folded) in cases {
            assert_eq!(fold(input), folded, "fold({input:?})");
        }
    }

    #[test]
    fn empty_indexes_match_nothing() {
        let empty: [(u32, &[&str]); 0] = [];
        for index in [SearchIndex::default(), SearchIndex::build(empty)] {
            assert!(index.is_empty());
            assert_eq!(index.search("a"), Vec::new());
            assert_eq!(index.search("夺冠"), Vec::new());
        }
        // A doc whose names all fold to nothing still counts, but can never match.
        let index = SearchIndex::build([(5, &["...", ""][..])]);
        assert_eq!(index.len(), 1);
        assert_eq!(index.search("..."), Vec::new());
    }

    /// A xorshift64* generator, so the randomized tests need no dependency and replay exactly.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }

        /// Any scalar value, biased towards the awkward ones.
        fn any_char(&mut self) -> char {
            const AWKWARD: &[char] = &[
                '\0',
                ' ',
                '\'',
                '’',
                '.',
                '-',
                '\u{301}',
                '\u{3099}',
                '\u{200D}',
                '\u{FE0F}',
                '\u{202E}',
                'ß',
                'ς',
                'İ',
                'ﬁ',
                '夺',
                '冠',
                '한',
                'ᄒ',
                'ガ',
                'ｶ',
                'א',
                'ب',
                '🎉',
                '\u{E0100}',
                '\u{FFFF}',
                '\u{10FFFF}',
                '²',
                '०',
                'क',
                '\u{93F}',
            ];
            match self.below(3) {
                0 => AWKWARD[self.below(AWKWARD.len())],
                1 => (b' ' + self.below(95) as u8) as char,
                _ => loop {
                    if let Some(c) = char::from_u32(self.below(0x11_0000) as u32) {
                        break c;
                    }
                },
            }
        }

        fn string(&mut self, alphabet: &[&str], max_parts: usize) -> String {
            let n = self.below(max_parts + 1);
            (0..n)
                .map(|_| alphabet[self.below(alphabet.len())])
                .collect()
        }
    }

    fn brute_force(index: &SearchIndex, query: &str) -> Vec<Hit> {
        index.brute_force(query)
    }

    #[test]
    fn random_unicode_never_panics() {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let mut builder = SearchIndexBuilder::new();
        for doc in 0..300u32 {
            let names: Vec<String> = (0..rng.below(3))
                .map(|_| (0..rng.below(12)).map(|_| rng.any_char()).collect())
                .collect();
            builder.add(doc * 7 % 301, &names);
        }
        builder.add(1000, &["a".repeat(100_000), "夺".repeat(10_000)]);
        let index = builder.finish();
        for _ in 0..10_000 {
            let query: String = (0..rng.below(10)).map(|_| rng.any_char()).collect();
            let hits = index.search(&query);
            assert!(
                hits.windows(2)
                    .all(|w| (w[0].rank, w[0].doc) < (w[1].rank, w[1].doc))
            );
            assert!(hits.iter().all(|h| h.rank <= RANK_SUBSTRING));
            let _ = fold(&query);
        }
        assert!(!index.search(&"a".repeat(1000)).is_empty());
        assert!(!index.search(&"夺".repeat(100)).is_empty());
    }

    #[test]
    fn random_queries_match_brute_force() {
        // A small alphabet makes collisions, prefixes and infixes frequent.
        const ALPHABET: &[&str] = &[
            "a", "b", "ab", "ba", "abc", "E", "é", "ë", "n", " ", "'", ".", "-", "\u{301}", "夺",
            "冠", "之", "한", "국", "ガ", "カ", "ß", "ss", "1", "12",
        ];
        let mut rng = Rng(42);
        let mut builder = SearchIndexBuilder::new();
        let mut names_seen = Vec::new();
        for doc in 0..400u32 {
            let names: Vec<String> = (0..1 + rng.below(2))
                .map(|_| rng.string(ALPHABET, 10))
                .collect();
            names_seen.extend(names.iter().cloned());
            builder.add(doc, &names);
        }
        let index = builder.finish();
        for i in 0..3_000 {
            let query = if i % 3 == 0 {
                // Real names and their fragments hit the exact and prefix ranks.
                let name = &names_seen[rng.below(names_seen.len())];
                let chars: Vec<char> = name.chars().collect();
                let a = rng.below(chars.len() + 1);
                let b = a + rng.below(chars.len() - a + 1);
                chars[a..b].iter().collect()
            } else {
                rng.string(ALPHABET, 4)
            };
            assert_eq!(
                index.search(&query),
                brute_force(&index, &query),
                "{query:?}"
            );
        }
        for name in &names_seen {
            if !fold(name).is_empty() {
                assert_eq!(index.search(name).first().map(|h| h.rank), Some(RANK_EXACT));
            }
        }
    }

    /// Checks every way of reading `index.matches(query, within)` (count, places, pages
    /// either way from them) against the brute-force list of hits in `within`.
    fn check_matches(
        index: &SearchIndex,
        query: &str,
        within: Option<&[Range<u32>]>,
        rng: &mut Rng,
        max_doc: u32,
    ) {
        let expected: Vec<Hit> = brute_force(index, query)
            .into_iter()
            .filter(|h| within.is_none_or(|w| w.iter().any(|r| r.contains(&h.doc))))
            .collect();
        let matches = index.matches(query, within);
        let context = format!("{query:?} within {within:?}");
        assert_eq!(matches.len(), expected.len(), "{context}");
        let start = Hit { doc: 0, rank: 0 };
        assert_eq!(matches.take_from(start, usize::MAX), expected, "{context}");
        let end = Hit {
            doc: 0,
            rank: RANKS,
        };
        assert_eq!(matches.take_before(end, usize::MAX), expected, "{context}");
        let mut places: Vec<Hit> = expected.iter().copied().step_by(3).collect();
        places.extend((0..12).map(|_| Hit {
            doc: rng.below(max_doc as usize + 3) as u32,
            rank: rng.below(RANKS as usize + 2) as u8,
        }));
        for at in places {
            let before = expected
                .iter()
                .filter(|h| (h.rank, h.doc) < (at.rank, at.doc))
                .count();
            assert_eq!(matches.count_before(at), before, "{context} at {at:?}");
            for n in [0, 1, 2, 5, 1000] {
                let after = &expected[before..(before + n).min(expected.len())];
                assert_eq!(matches.take_from(at, n), after, "{context} from {at:?}");
                let prior = &expected[before.saturating_sub(n)..before];
                assert_eq!(matches.take_before(at, n), prior, "{context} before {at:?}");
            }
        }
    }

    #[test]
    fn random_pages_match_brute_force() {
        // Few letters and many words per name make tokens share documents, prefixes and
        // infixes, and places: what the one-word path has to get right.
        const ALPHABET: &[&str] = &[
            "a", "b", "ab", "ba", "abc", "n", " ", " ", " ", "-", "é", "夺", "冠", "1",
        ];
        let mut rng = Rng(2024);
        let mut builder = SearchIndexBuilder::new();
        let mut names_seen = Vec::new();
        // Sparse caller ids, so that their mapping to the index's numbers is exercised.
        let max_doc = 3 * 600 + 1;
        for doc in 0..600u32 {
            let names: Vec<String> = (0..1 + rng.below(3))
                .map(|_| rng.string(ALPHABET, 12))
                .collect();
            names_seen.extend(names.iter().cloned());
            builder.add(3 * doc + 1, &names);
        }
        let index = builder.finish();
        for i in 0..600 {
            let query = match i % 4 {
                0 => {
                    let name = &names_seen[rng.below(names_seen.len())];
                    let words: Vec<&str> = name.split(' ').collect();
                    words[rng.below(words.len())].to_string()
                }
                1 => rng.string(&ALPHABET[..6], 3),
                _ => rng.string(ALPHABET, 4),
            };
            let within: Option<Vec<Range<u32>>> = match rng.below(3) {
                0 => None,
                _ => Some(
                    (0..rng.below(4))
                        .map(|_| {
                            let a = rng.below(max_doc as usize + 2) as u32;
                            a..a + rng.below(800) as u32
                        })
                        .collect(),
                ),
            };
            check_matches(&index, &query, within.as_deref(), &mut rng, max_doc);
        }
    }

    #[test]
    fn names_in_label_order_make_spans_and_pages_match_brute_force() {
        // Names added in sorted order, as the store adds them, put the documents of a name's
        // first words in long runs: spans. A few words spread over every name get bitmaps.
        const FIRST: &[&str] = &["the", "a", "northern", "anthem", "then"];
        const OTHER: &[&str] = &[
            "golden", "north", "the", "ant", "hem", "anthems", "theme", "or", "a",
        ];
        let mut rng = Rng(77);
        let mut names: Vec<String> = (0..4000)
            .map(|_| {
                let mut name = FIRST[rng.below(FIRST.len())].to_string();
                for _ in 0..rng.below(3) {
                    name.push(' ');
                    name.push_str(OTHER[rng.below(OTHER.len())]);
                }
                name
            })
            .collect();
        names.sort();
        let mut builder = SearchIndexBuilder::new();
        for (i, name) in names.iter().enumerate() {
            builder.add(3 * i as u32 + 1, &[name]);
        }
        let index = builder.finish();
        assert!(index.span_tokens.len() >= 3, "{:?}", index.span_tokens);
        assert!(!index.dense_tokens.is_empty());
        let max_doc = 3 * 4000 + 1;
        let queries = [
            "the",
            "th",
            "t",
            "a",
            "an",
            "ant",
            "the",
            "north",
            "nort",
            "orth",
            "hem",
            "them",
            "then",
            "theme",
            "golden",
            "or",
            "n",
            "e",
            "the golden",
            "a north",
        ];
        for query in queries {
            for within in [
                None,
                Some(vec![0..max_doc / 2, max_doc..max_doc + 1]),
                Some(vec![5..900, 4000..9000]),
            ] {
                check_matches(&index, query, within.as_deref(), &mut rng, max_doc);
            }
        }
    }

    /// Measures build time, memory and query time at a million documents:
    /// `cargo test --release -- --ignored --nocapture million`.
    #[test]
    #[ignore]
    fn million_docs_report() {
        use std::time::Instant;
        const SYLLABLES: &[&str] = &[
            "ka", "to", "ri", "mo", "na", "shi", "ba", "lu", "ve", "dor", "an", "el", "qu", "zé",
            "ño", "th", "gr", "ai", "ou", "st",
        ];
        let mut rng = Rng(7);
        let word = |rng: &mut Rng| -> String {
            (0..2 + rng.below(3))
                .map(|_| SYLLABLES[rng.below(SYLLABLES.len())])
                .collect()
        };
        let mut docs: Vec<Vec<String>> = Vec::with_capacity(1_000_000);
        for i in 0..1_000_000u32 {
            let primary = if i % 2 == 0 {
                format!("Track {i} of album {}", i / 12)
            } else {
                let n = 1 + rng.below(4);
                (0..n).map(|_| word(&mut rng)).collect::<Vec<_>>().join(" ")
            };
            let mut names = vec![primary];
            if i % 10 == 0 {
                names.push(format!("{} {}", word(&mut rng), i % 977));
            }
            if i % 100 == 0 {
                names.push(format!(
                    "夺冠{}之路",
                    ["一", "二", "三", "四"][rng.below(4)]
                ));
            }
            docs.push(names);
        }
        let raw_bytes: usize = docs.iter().flatten().map(|n| n.len()).sum();
        let start = Instant::now();
        let mut builder = SearchIndexBuilder::new();
        for (i, names) in docs.iter().enumerate() {
            builder.add(i as u32, names);
        }
        let index = builder.finish();
        let build = start.elapsed();
        let names = index.name_ends.len() - 1;
        let heap = index.heap_size();
        let overhead = heap - index.text.len();
        println!("{index:?}");
        println!(
            "build {build:?}; raw name bytes {raw_bytes}; folded text {}; heap {heap} \
             ({:.1} B/doc, {:.1} B/name); overhead beyond text {:.1} B/name; suffixes {}; postings {}",
            index.text.len(),
            heap as f64 / index.len() as f64,
            heap as f64 / names as f64,
            overhead as f64 / names as f64,
            index.suffixes.len(),
            index.postings.len(),
        );
        for query in [
            "track 123456",
            "album 4567",
            "track",
            "a",
            "ka",
            "kato",
            "zzz",
            "3456",
            "ñ",
            "夺冠",
            "冠",
            "shi ba",
        ] {
            let start = Instant::now();
            let mut hits = Vec::new();
            for _ in 0..10 {
                hits = index.search(query);
            }
            let each = start.elapsed() / 10;
            println!("{query:>14}: {:>7} hits in {each:?}", hits.len());
        }
    }
}
