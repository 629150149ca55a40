//! `SearchConnection`: a page of search results with each hit's rank. The hits themselves and
//! their order are the query layer's (`crate::store::query`).

use super::Node;
use super::connection::connection;
use crate::store::query::Hit;

connection!(
    SearchConnection,
    SearchEdge,
    Hit,
    Node<'a>,
    "search results",
    |s, i| Node::new(s, i.node),
    {
        /// How well the node matched: 0 when a name equals the query, 1 when a name starts with
        /// it, 2 when every word of the query starts a word of a name, 3 for a match inside a word.
        async fn rank(&self) -> u8 {
            self.item.rank
        }
    }
);
