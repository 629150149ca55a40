//! The one paginator every connection uses: Relay's `first/after/last/before` over a sorted
//! list, with a default and a maximum page size, and cursors made from the entity's sort key
//! (not an offset), so that a cursor finds its place again after a reload. Lists held whole
//! page with [`paginate`]; lists that are only counted and sought (search results) with
//! [`paginate_seek`], which selects the same window.

use std::cmp::Ordering;

use super::QueryError;
use super::cursor::{decode_cursor, encode_cursor};
use crate::store::Store;
use crate::store::model::Idx;
use crate::store::orders::{Key, Order};
use crate::store::search::partition;

/// The page size when a client gives neither `first` nor `last`.
pub const DEFAULT_PAGE: usize = 20;
/// The largest page a client may ask for.
pub const MAX_PAGE: usize = 100;

/// The four Relay arguments, as a client sent them.
#[derive(Default, Clone, Debug)]
pub struct PageArgs {
    pub first: Option<i32>,
    pub after: Option<String>,
    pub last: Option<i32>,
    pub before: Option<String>,
}

impl PageArgs {
    pub fn new(
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Self {
        PageArgs {
            first,
            after,
            last,
            before,
        }
    }
}

/// Which part of a list a page covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    pub start: usize,
    pub end: usize,
    pub total: usize,
}

impl Window {
    pub fn has_next(&self) -> bool {
        self.end < self.total
    }
    pub fn has_previous(&self) -> bool {
        self.start > 0
    }
}

fn page_size(value: Option<i32>, arg: &'static str) -> Result<Option<usize>, QueryError> {
    match value {
        None => Ok(None),
        Some(n) if (0..=MAX_PAGE as i32).contains(&n) => Ok(Some(n as usize)),
        Some(value) => Err(QueryError::PageSize { arg, value }),
    }
}

/// Works out the window of a list of `len` items that the arguments select. `key(i)` is the
/// sort key of the item at position `i`, in the order the list is presented; `descending`
/// says whether that order runs from the largest key down.
pub fn window(
    len: usize,
    key: impl Fn(usize) -> Key,
    tag: &str,
    descending: bool,
    args: &PageArgs,
) -> Result<Window, QueryError> {
    let first = page_size(args.first, "first")?;
    let last = page_size(args.last, "last")?;
    let presented = |a: &Key, b: &Key| if descending { b.cmp(a) } else { a.cmp(b) };
    let (mut start, mut end) = (0, len);
    if let Some(after) = &args.after {
        let cursor = decode_cursor(tag, after, "after")?;
        start = partition(0, len, |i| presented(&key(i), &cursor) != Ordering::Greater);
    }
    if let Some(before) = &args.before {
        let cursor = decode_cursor(tag, before, "before")?;
        end = partition(0, len, |i| presented(&key(i), &cursor) == Ordering::Less).max(start);
    }
    match (first, last) {
        (None, None) => end = end.min(start + DEFAULT_PAGE),
        (first, last) => {
            if let Some(n) = first {
                end = end.min(start + n);
            }
            if let Some(n) = last {
                start = start.max(end.saturating_sub(n));
            }
        }
    }
    Ok(Window {
        start,
        end,
        total: len,
    })
}

/// An item of a connection that knows its own sort key.
pub trait Keyed: Copy + Send + Sync {
    fn key(&self, store: &Store, order: Order) -> Key;
}

impl Keyed for Idx {
    fn key(&self, store: &Store, order: Order) -> Key {
        order.key(store, *self)
    }
}

/// One page of a list: the items in the window, and what it takes to make their cursors.
pub struct Paged<'a, T: Keyed> {
    pub store: &'a Store,
    pub items: Vec<T>,
    pub window: Window,
    pub order: Order,
}

impl<'a, T: Keyed> Paged<'a, T> {
    /// The opaque cursor of an item of this page.
    pub fn cursor(&self, item: &T) -> String {
        encode_cursor(self.order.tag(), &item.key(self.store, self.order))
    }

    /// The cursors of the page's first and last items, as `pageInfo` gives them.
    pub fn start_cursor(&self) -> Option<String> {
        self.items.first().map(|i| self.cursor(i))
    }

    pub fn end_cursor(&self) -> Option<String> {
        self.items.last().map(|i| self.cursor(i))
    }
}

/// Pages through `list` (sorted by `order`, ascending), presented in `direction`.
pub fn paginate<'a, T: Keyed>(
    store: &'a Store,
    list: &[T],
    order: Order,
    descending: bool,
    args: &PageArgs,
) -> Result<Paged<'a, T>, QueryError> {
    let len = list.len();
    let at = |i: usize| {
        if descending {
            list[len - 1 - i]
        } else {
            list[i]
        }
    };
    let w = window(
        len,
        |i| at(i).key(store, order),
        order.tag(),
        descending,
        args,
    )?;
    Ok(Paged {
        store,
        items: (w.start..w.end).map(at).collect(),
        window: w,
        order,
    })
}

/// A sorted list that is not held whole: it counts its items, finds the place a cursor
/// points at, and lists the items on either side of a place. Search results are one, so
/// that a page of a search with a million hits costs about a page rather than a million.
pub trait Seek {
    type Item: Keyed;
    type Place: Copy;
    /// How many items the whole list holds.
    fn total(&self) -> usize;
    /// The places before the first item and after the last.
    fn start(&self) -> Self::Place;
    fn end(&self) -> Self::Place;
    /// The place just after the items whose keys are less than `cursor` (or, with `equal`,
    /// not greater), with the number of those items.
    fn seek(&self, cursor: &Key, equal: bool) -> (Self::Place, usize);
    /// Up to `n` items from `place` on, in order.
    fn take_from(&self, place: Self::Place, n: usize) -> Vec<Self::Item>;
    /// Up to `n` items before `place`: the last ones, in order.
    fn take_before(&self, place: Self::Place, n: usize) -> Vec<Self::Item>;
}

/// Pages through a [`Seek`] list, ascending by `order`, selecting exactly what [`window`]
/// selects from the whole list, but reading only the window and counting the rest.
pub fn paginate_seek<'a, L: Seek>(
    store: &'a Store,
    list: &L,
    order: Order,
    args: &PageArgs,
) -> Result<Paged<'a, L::Item>, QueryError> {
    let first = page_size(args.first, "first")?;
    let last = page_size(args.last, "last")?;
    let tag = order.tag();
    let (mut from, mut start) = (list.start(), 0);
    if let Some(after) = &args.after {
        (from, start) = list.seek(&decode_cursor(tag, after, "after")?, true);
    }
    let (mut to, mut end) = (list.end(), None);
    if let Some(before) = &args.before {
        let (place, count) = list.seek(&decode_cursor(tag, before, "before")?, false);
        (to, end) = if count < start {
            (from, Some(start))
        } else {
            (place, Some(count))
        };
    }
    let total = list.total();
    let end = end.unwrap_or(total);
    // The same arithmetic as `window`'s.
    let window = match (first, last) {
        (None, None) => Window {
            start,
            end: end.min(start + DEFAULT_PAGE),
            total,
        },
        (first, last) => {
            let stop = first.map_or(end, |n| end.min(start + n));
            Window {
                start: last.map_or(start, |n| start.max(stop.saturating_sub(n))),
                end: stop,
                total,
            }
        }
    };
    let items = match (first, last) {
        (None, Some(_)) => list.take_before(to, window.end - window.start),
        _ => {
            let mut items = list.take_from(from, window.end - start);
            items.drain(..(window.start - start).min(items.len()));
            items
        }
    };
    Ok(Paged {
        store,
        items,
        window,
        order,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::orders::Part;

    fn keys(n: i64) -> Vec<Key> {
        (0..n).map(|i| vec![Part::Int(i * 10)]).collect()
    }

    fn run(n: i64, desc: bool, args: PageArgs) -> Result<(usize, usize), QueryError> {
        let mut k = keys(n);
        if desc {
            k.reverse();
        }
        let w = window(k.len(), |i| k[i].clone(), "t", desc, &args)?;
        Ok((w.start, w.end))
    }

    fn cur(v: i64) -> Option<String> {
        Some(encode_cursor("t", &vec![Part::Int(v)]))
    }

    #[test]
    fn windows() {
        let a = |first, after, last, before| PageArgs {
            first,
            after,
            last,
            before,
        };
        assert_eq!(run(50, false, a(None, None, None, None)).unwrap(), (0, 20));
        assert_eq!(
            run(50, false, a(Some(5), cur(30), None, None)).unwrap(),
            (4, 9)
        );
        // A cursor whose item is gone still finds its place.
        assert_eq!(
            run(50, false, a(Some(5), cur(35), None, None)).unwrap(),
            (4, 9)
        );
        assert_eq!(
            run(50, false, a(None, None, Some(3), cur(100))).unwrap(),
            (7, 10)
        );
        assert_eq!(
            run(50, false, a(Some(0), None, None, None)).unwrap(),
            (0, 0)
        );
        assert_eq!(
            run(50, false, a(Some(10), cur(100), None, cur(50))).unwrap(),
            (11, 11)
        );
        assert_eq!(
            run(10, true, a(Some(2), cur(70), None, None)).unwrap(),
            (3, 5)
        );
        assert_eq!(run(0, false, a(Some(5), None, None, None)).unwrap(), (0, 0));
        for bad in [
            a(Some(-1), None, None, None),
            a(Some(101), None, None, None),
            a(None, None, Some(-5), None),
        ] {
            let e = run(10, false, bad).unwrap_err();
            assert!(e.to_string().contains("between 0 and 100"), "{e}");
        }
        for bad in [
            "",
            "xyz",
            &encode_cursor("other", &vec![Part::Int(1)]),
            &"A".repeat(5000),
        ] {
            let e = run(10, false, a(None, Some(bad.to_string()), None, None)).unwrap_err();
            assert!(e.to_string().contains("not a cursor"), "{e}");
        }
    }
}
