//! Warming: reading, ahead of the writer, the memory it is about to read.
//!
//! On a large catalogue the records a page needs are scattered over gigabytes, and nearly
//! every one is a cache miss: a film's cast is five credits, each naming a person, each with
//! a slug and a name elsewhere on the heap. The writer meets them one after another, and
//! each miss waits for the one before (about 80 of them, 7.7 µs of a 9.8 µs FilmPage on
//! 100 000 films). Warming reads the same memory in passes, one level of indirection per
//! pass, whose loads do not depend on one another: the CPU keeps many misses in flight at
//! once, and the writer then finds the lines in cache. The reads are plain safe loads whose
//! results are folded into a value the optimiser must keep (`black_box`).

use std::hint::black_box;

use super::fields::{Obj, Val};
use crate::store::Store;
use crate::store::model::{Kind, NodeRef};

/// Reads a string's first byte, which brings its line into the cache.
fn byte(s: &str) -> usize {
    usize::from(s.as_bytes().first().copied().unwrap_or(0))
}

/// Reads a list's first element, which brings the start of its buffer into the cache.
fn head<T: Copy + Into<u64>>(list: &[T]) -> usize {
    list.first().map_or(0, |x| (*x).into() as usize)
}

/// Warms the objects of a list before they are written: the links first (an edge's credit),
/// then the records they lead to, then those records' slugs and labels.
pub fn list(store: &Store, items: &[Val<'_>]) {
    if items.len() < 2 {
        return;
    }
    let mut acc = 0usize;
    for v in items {
        if let Val::Obj(o) = v {
            acc = acc.wrapping_add(o.warm_link(store));
        }
    }
    for v in items {
        if let Some(n) = node_of(store, v) {
            let meta = store.meta(n);
            acc = acc.wrapping_add(meta.slug.len() ^ store.label(n).len());
        }
    }
    for v in items {
        if let Some(n) = node_of(store, v) {
            acc = acc.wrapping_add(byte(&store.meta(n).slug) ^ byte(store.label(n)));
        }
    }
    black_box(acc);
}

/// The entity an item of a list is or leads to.
fn node_of(store: &Store, v: &Val<'_>) -> Option<NodeRef> {
    match v {
        Val::Obj(o) => o.node(store),
        _ => None,
    }
}

/// Warms what an entity's own fields point to (its lists and strings), before its fields
/// are written one by one.
pub fn entity(store: &Store, n: NodeRef) {
    let i = n.idx as usize;
    let acc = match n.kind {
        Kind::Film => store.films().get(i).map_or(0, |r| {
            byte(&r.title)
                ^ r.original_title.as_deref().map_or(0, byte)
                ^ r.genres.first().map_or(0, |g| g.len())
                ^ r.synopses.first().map_or(0, |t| t.text.len())
                ^ r.releases.first().map_or(0, |x| x.sources.len())
                ^ head(&r.crew)
                ^ head(&r.cast)
                ^ head(&r.albums)
                ^ head(&r.matches)
                ^ head(&r.production_companies)
                ^ head(&r.platforms)
                ^ head(&r.meta.sources)
        }),
        Kind::Person => store.people().get(i).map_or(0, |r| {
            byte(&r.name)
                ^ head(&r.credits)
                ^ head(&r.albums)
                ^ head(&r.coaching)
                ^ head(&r.meta.sources)
        }),
        Kind::Team => store.teams().get(i).map_or(0, |r| {
            byte(&r.name) ^ head(&r.matches) ^ head(&r.coaches) ^ head(&r.credits)
        }),
        Kind::Album => store.albums().get(i).map_or(0, |r| {
            byte(&r.title) ^ head(&r.tracks) ^ head(&r.credits) ^ head(&r.meta.sources)
        }),
        Kind::Match => store.matches().get(i).map_or(0, |r| {
            byte(&r.title) ^ head(&r.teams) ^ head(&r.films) ^ head(&r.tracks)
        }),
        _ => 0,
    };
    black_box(acc ^ byte(&store.meta(n).slug));
}

impl Obj<'_> {
    /// Reads the record an object links through (an edge's credit).
    fn warm_link(&self, store: &Store) -> usize {
        match self.credit() {
            Some(c) => store
                .credits()
                .get(c as usize)
                .map_or(0, |c| c.character.as_deref().map_or(1, byte)),
            None => 0,
        }
    }
}
