//! The store's query layer: lookups (by slug, by global id), the one paginator, the filters
//! and orders of the root lists, and the search page, as plain Rust over a finished
//! [`Store`]. Both executors are thin adapters over it — `schema` (async-graphql) and `exec`
//! (plans) — so the two cannot drift, and neither needs the other.
//!
//! Imports: the store only. Errors are [`QueryError`]s, whose messages are the API's (each
//! executor turns them into its own error in one place).

mod budget;
mod cursor;
mod filter;
mod page;
mod search;

use super::Store;
use super::ids;
use super::model::{Idx, Kind, NodeRef};
use super::search::fold;

pub use budget::{Budget, OBJECTS_PER_CLOCK};
pub use cursor::encode_cursor;
pub use filter::{
    FilmFilter, FilmOrder, FilmOrderField, MatchFilter, MatchOrder, MatchOrderField, PersonFilter,
    PersonOrder, TrackFilter, TrackOrder, TrackOrderField, films_page, label_page, matches_page,
    people_page, tracks_page,
};
pub use page::{
    DEFAULT_PAGE, Keyed, MAX_PAGE, PageArgs, Paged, Seek, Window, paginate, paginate_seek, window,
};
pub use search::{Hit, Hits, Supported, search_page};

/// The longest text a filter or search may be given.
const MAX_QUERY_CHARS: usize = 200;

/// A request the query layer refuses, with a message that says what to change. Every one is
/// the client's doing: the executors report them as bad input.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    #[error("`{arg}` must be between 0 and {MAX_PAGE}, not {value}")]
    PageSize { arg: &'static str, value: i32 },
    #[error("`{arg}` is not a cursor of this list; use a cursor from the same field and order")]
    NotACursor { arg: &'static str },
    #[error("give exactly one of `id` and `slug`")]
    IdAndSlug,
    #[error("`id` names a {}, not a {}", .found.name(), .wanted.name())]
    IdOfAnotherKind { found: Kind, wanted: Kind },
    #[error("`id` is not a valid {} id", .0.name())]
    NotAnIdOf(Kind),
    /// The id, cut to its first 40 characters.
    #[error("\"{0}\" is not a valid id")]
    NotAnId(String),
    #[error("`ids` may hold at most {MAX_PAGE} ids, not {0}")]
    TooManyIds(usize),
    #[error("`{arg}` may be at most {MAX_QUERY_CHARS} characters")]
    TextTooLong { arg: &'static str },
    #[error("`{arg}`: {message}")]
    BadDate { arg: &'static str, message: String },
    #[error("`query` must contain a letter, a digit or a CJK character")]
    NothingToSearch,
}

/// Resolves a root lookup's `id` or `slug` (exactly one) to an entity of `kind`.
pub fn lookup(
    store: &Store,
    kind: Kind,
    id: Option<&str>,
    slug: Option<&str>,
) -> Result<Option<Idx>, QueryError> {
    match (id, slug) {
        (Some(id), None) => match ids::decode(id) {
            Some((found, slug)) if found == kind => Ok(store.find(kind, &slug)),
            Some((found, _)) => Err(QueryError::IdOfAnotherKind {
                found,
                wanted: kind,
            }),
            None => Err(QueryError::NotAnIdOf(kind)),
        },
        (None, Some(slug)) => Ok(store.find(kind, slug)),
        _ => Err(QueryError::IdAndSlug),
    }
}

/// The entity a global id names; `None` for a well-formed id that names nothing.
pub fn node_by_id(store: &Store, id: &str) -> Result<Option<NodeRef>, QueryError> {
    let (kind, slug) =
        ids::decode(id).ok_or_else(|| QueryError::NotAnId(id.chars().take(40).collect()))?;
    Ok(store.find(kind, &slug).map(|idx| NodeRef { kind, idx }))
}

/// `nodes(ids:)` takes at most a page of ids.
pub fn check_id_count(count: usize) -> Result<(), QueryError> {
    if count > MAX_PAGE {
        return Err(QueryError::TooManyIds(count));
    }
    Ok(())
}

/// Folds a filter's text, refusing text that is too long.
fn filter_text(text: &str, arg: &'static str) -> Result<String, QueryError> {
    if text.chars().count() > MAX_QUERY_CHARS {
        return Err(QueryError::TextTooLong { arg });
    }
    Ok(fold(text))
}
