//! The one paginator every connection uses: Relay's `first/after/last/before` over a sorted
//! list, with a default and a maximum page size, and cursors made from the entity's sort key
//! (not an offset), so that a cursor finds its place again after a reload.

use std::cmp::Ordering;

use async_graphql::{Result, SimpleObject};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

use super::error::bad_input;
use crate::store::Store;
use crate::store::model::Idx;
use crate::store::orders::{Key, Order, Part};

/// The page size when a client gives neither `first` nor `last`.
pub const DEFAULT_PAGE: usize = 20;
/// The largest page a client may ask for.
pub const MAX_PAGE: usize = 100;
/// Cursors are short; anything much longer is not one of ours.
const MAX_CURSOR_LEN: usize = 1024;

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

/// Information about a page, as the Relay cursor spec defines it.
#[derive(SimpleObject, Clone, Debug)]
pub struct PageInfo {
    /// Whether more items follow this page.
    pub has_next_page: bool,
    /// Whether items come before this page.
    pub has_previous_page: bool,
    /// The cursor of the first item of the page, to page backwards with `before`.
    pub start_cursor: Option<String>,
    /// The cursor of the last item of the page, to page forwards with `after`.
    pub end_cursor: Option<String>,
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

pub fn encode_cursor(tag: &str, key: &Key) -> String {
    let mut parts = vec![Value::String(tag.to_owned())];
    parts.extend(key.iter().map(|p| match p {
        Part::Int(n) => Value::from(*n),
        Part::Str(s) => Value::String(s.to_string()),
    }));
    URL_SAFE_NO_PAD.encode(Value::Array(parts).to_string())
}

fn decode_cursor(tag: &str, cursor: &str, arg: &str) -> Result<Key> {
    let refuse = || {
        bad_input(format!(
            "`{arg}` is not a cursor of this list; use a cursor from the same field and order"
        ))
    };
    if cursor.len() > MAX_CURSOR_LEN {
        return Err(refuse());
    }
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| refuse())?;
    let Ok(Value::Array(parts)) = serde_json::from_slice::<Value>(&bytes) else {
        return Err(refuse());
    };
    let mut parts = parts.into_iter();
    if parts.next().as_ref().and_then(Value::as_str) != Some(tag) {
        return Err(refuse());
    }
    parts
        .map(|p| match p {
            Value::String(s) => Ok(Part::Str(s.into())),
            Value::Number(n) => n.as_i64().map(Part::Int).ok_or_else(refuse),
            _ => Err(refuse()),
        })
        .collect()
}

fn page_size(value: Option<i32>, arg: &str) -> Result<Option<usize>> {
    match value {
        None => Ok(None),
        Some(n) if (0..=MAX_PAGE as i32).contains(&n) => Ok(Some(n as usize)),
        Some(n) => Err(bad_input(format!(
            "`{arg}` must be between 0 and {MAX_PAGE}, not {n}"
        ))),
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
) -> Result<Window> {
    let first = page_size(args.first, "first")?;
    let last = page_size(args.last, "last")?;
    let presented = |a: &Key, b: &Key| if descending { b.cmp(a) } else { a.cmp(b) };
    let (mut start, mut end) = (0, len);
    if let Some(after) = &args.after {
        let cursor = decode_cursor(tag, after, "after")?;
        start = partition_point(len, |i| presented(&key(i), &cursor) != Ordering::Greater);
    }
    if let Some(before) = &args.before {
        let cursor = decode_cursor(tag, before, "before")?;
        end = partition_point(len, |i| presented(&key(i), &cursor) == Ordering::Less).max(start);
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

/// The first position in `0..len` for which `pred` is false, given that it is true for a
/// prefix and false after: a binary search over positions rather than a slice.
fn partition_point(len: usize, pred: impl Fn(usize) -> bool) -> usize {
    let (mut lo, mut hi) = (0, len);
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
    pub fn cursor(&self, item: &T) -> String {
        encode_cursor(self.order.tag(), &item.key(self.store, self.order))
    }

    pub fn page_info(&self) -> PageInfo {
        PageInfo {
            has_next_page: self.window.has_next(),
            has_previous_page: self.window.has_previous(),
            start_cursor: self.items.first().map(|i| self.cursor(i)),
            end_cursor: self.items.last().map(|i| self.cursor(i)),
        }
    }
}

/// Pages through `list` (sorted by `order`, ascending), presented in `direction`.
pub fn paginate<'a, T: Keyed>(
    store: &'a Store,
    list: &[T],
    order: Order,
    descending: bool,
    args: &PageArgs,
) -> Result<Paged<'a, T>> {
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
) -> Result<Paged<'a, L::Item>> {
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

/// Defines a connection type and its edge type for one kind of node. The edge may take extra
/// fields (a cast member's character), written as methods after the node's constructor.
macro_rules! connection {
    ($conn:ident, $edge:ident, $item:ty, $node:ty, $what:literal, |$s:ident, $i:ident| $make:expr $(, { $($extra:tt)* })?) => {
        #[doc = concat!("A page of ", $what, ", by the Relay cursor spec, with the total count.")]
        pub struct $conn<'a>(pub $crate::schema::connection::Paged<'a, $item>);

        #[doc = concat!("A page of ", $what, ", by the Relay cursor spec, with the total count.")]
        #[async_graphql::Object]
        impl<'a> $conn<'a> {
            /// How many items the whole list holds, across every page.
            async fn total_count(&self) -> usize {
                self.0.window.total
            }
            /// The items of this page with their cursors.
            async fn edges(&self) -> Vec<$edge<'a>> {
                self.0
                    .items
                    .iter()
                    .map(|item| $edge { store: self.0.store, order: self.0.order, item: *item })
                    .collect::<Vec<_>>()
            }
            /// The items of this page, for clients that need no cursors.
            async fn nodes(&self) -> Vec<$node> {
                let $s = self.0.store;
                self.0.items.iter().map(|$i| { let $i = *$i; $make }).collect()
            }
            /// Where this page stands in the list.
            async fn page_info(&self) -> $crate::schema::connection::PageInfo {
                self.0.page_info()
            }
        }

        #[doc = concat!("One of ", $what, " in a page, with its cursor.")]
        pub struct $edge<'a> {
            store: &'a $crate::store::Store,
            order: $crate::store::orders::Order,
            item: $item,
        }

        #[doc = concat!("One of ", $what, " in a page, with its cursor.")]
        #[async_graphql::Object]
        impl<'a> $edge<'a> {
            /// An opaque cursor for this item, to pass as `after` or `before`.
            async fn cursor(&self) -> String {
                $crate::schema::connection::encode_cursor(
                    self.order.tag(),
                    &$crate::schema::connection::Keyed::key(&self.item, self.store, self.order),
                )
            }
            /// The item itself.
            async fn node(&self) -> $node {
                let $s = self.store;
                let $i = self.item;
                $make
            }
            $($($extra)*)?
        }
    };
}
pub(crate) use connection;

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(n: i64) -> Vec<Key> {
        (0..n).map(|i| vec![Part::Int(i * 10)]).collect()
    }

    fn run(n: i64, desc: bool, args: PageArgs) -> Result<(usize, usize)> {
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
            assert!(e.message.contains("between 0 and 100"), "{}", e.message);
        }
        for bad in [
            "",
            "xyz",
            &encode_cursor("other", &vec![Part::Int(1)]),
            &"A".repeat(5000),
        ] {
            let e = run(10, false, a(None, Some(bad.to_string()), None, None)).unwrap_err();
            assert!(e.message.contains("not a cursor"), "{}", e.message);
        }
    }
}
