//! The GraphQL side of the one paginator (which lives in `crate::store::query`): `PageInfo`,
//! the connection and edge types every list uses, and the one place where the query layer's
//! errors become GraphQL errors.

use async_graphql::SimpleObject;

use super::error::bad_input;
use crate::store::query::{Keyed, Paged, QueryError};

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

impl PageInfo {
    pub fn of<T: Keyed>(page: &Paged<'_, T>) -> PageInfo {
        PageInfo {
            has_next_page: page.window.has_next(),
            has_previous_page: page.window.has_previous(),
            start_cursor: page.start_cursor(),
            end_cursor: page.end_cursor(),
        }
    }
}

/// Turns the query layer's refusals into GraphQL errors with the `BAD_USER_INPUT` code. The
/// only conversion: `?` alone would take async-graphql's blanket one and lose the code.
pub(crate) trait OrBadInput<T> {
    fn or_bad_input(self) -> async_graphql::Result<T>;
}

impl<T> OrBadInput<T> for Result<T, QueryError> {
    fn or_bad_input(self) -> async_graphql::Result<T> {
        self.map_err(|e| bad_input(e.to_string()))
    }
}

/// Defines a connection type and its edge type for one kind of node. The edge may take extra
/// fields (a cast member's character), written as methods after the node's constructor.
macro_rules! connection {
    ($conn:ident, $edge:ident, $item:ty, $node:ty, $what:literal, |$s:ident, $i:ident| $make:expr $(, { $($extra:tt)* })?) => {
        #[doc = concat!("A page of ", $what, ", by the Relay cursor spec, with the total count.")]
        pub struct $conn<'a>(pub $crate::store::query::Paged<'a, $item>);

        impl<'a> $conn<'a> {
            /// A page of `list`, which the store keeps sorted by `order`, through the one
            /// paginator; a refusal becomes `BAD_USER_INPUT`.
            #[allow(dead_code)]
            pub(crate) fn page(
                store: &'a $crate::store::Store,
                list: &[$item],
                order: $crate::store::orders::Order,
                args: &$crate::store::query::PageArgs,
            ) -> async_graphql::Result<$conn<'a>> {
                let page = $crate::store::query::paginate(store, list, order, false, args);
                Ok($conn($crate::schema::connection::OrBadInput::or_bad_input(page)?))
            }
        }

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
                $crate::schema::connection::PageInfo::of(&self.0)
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
                $crate::store::query::encode_cursor(
                    self.order.tag(),
                    &$crate::store::query::Keyed::key(&self.item, self.store, self.order),
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
