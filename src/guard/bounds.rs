//! What each field of the schema can give, for the cost estimate: the table the engine makes
//! from the schema (each field's type, and whether it is one value, a page or a whole list)
//! and from the graph (each plain list's largest fan-out, measured at load). The guard reads
//! it by type as it walks a document: `matches` on `Competition` is a whole list of up to
//! the largest competition's matches, on `Film` a page of `first` (20 when not given).
//!
//! A field the table does not know (an invalid one, which async-graphql refuses anyway, or
//! introspection) is costed as before the table: by its `first`/`last` alone.

use std::collections::HashMap;

use rustc_hash::FxBuildHasher;

/// How many items one field gives, per parent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Size {
    /// One value (or a list whose items the enclosing page already counted: a
    /// connection's `edges` and `nodes`).
    One,
    /// A page: `first` or `last` as given, the default page when neither is.
    Page,
    /// A whole list of at most this many items.
    List(u64),
}

/// A field's bound and the type its value has (as an index into the table's types).
#[derive(Clone, Copy, Debug)]
pub(super) struct Bound {
    pub ty: Option<u32>,
    pub size: Size,
}

/// The table: for each type, its fields' bounds; by name alone, the largest over every type
/// that has the field, for fields met where the type is unknown.
#[derive(Default, Debug)]
pub struct Bounds {
    types: HashMap<Box<str>, u32, FxBuildHasher>,
    fields: Vec<HashMap<Box<str>, Bound, FxBuildHasher>>,
    by_name: HashMap<Box<str>, Bound, FxBuildHasher>,
}

impl Bounds {
    /// An empty table: every field costed by its `first`/`last` alone.
    pub fn new() -> Bounds {
        Bounds::default()
    }

    fn type_id(&mut self, name: &str) -> u32 {
        if let Some(id) = self.types.get(name) {
            return *id;
        }
        let id = self.fields.len() as u32;
        self.types.insert(name.into(), id);
        self.fields.push(HashMap::default());
        id
    }

    /// Records that `field` on type `on` gives values of type `returns`, `size` of them.
    pub fn add(&mut self, on: &str, field: &str, returns: &str, size: Size) {
        let on = self.type_id(on);
        let ty = Some(self.type_id(returns));
        let bound = Bound { ty, size };
        if let Some(fields) = self.fields.get_mut(on as usize) {
            fields.insert(field.into(), bound);
        }
        let merged = match self.by_name.get(field) {
            None => bound,
            Some(old) => Bound {
                ty: if old.ty == ty { ty } else { None },
                size: larger(old.size, size),
            },
        };
        self.by_name.insert(field.into(), merged);
    }

    /// The bound of `field` on the type `on` (or, with the type unknown, by name).
    pub(super) fn field(&self, on: Option<u32>, field: &str) -> Option<Bound> {
        match on.and_then(|t| self.fields.get(t as usize)) {
            Some(fields) => fields
                .get(field)
                .or_else(|| self.by_name.get(field))
                .copied(),
            None => self.by_name.get(field).copied(),
        }
    }

    /// The index of a type by name, for a fragment's type condition or the root.
    pub(super) fn type_named(&self, name: &str) -> Option<u32> {
        self.types.get(name).copied()
    }

    /// Whether the table is empty (every field costed by its arguments alone).
    pub fn is_empty(&self) -> bool {
        self.types.is_empty()
    }

    /// The size recorded for `field` on `on`, for tests and the docs.
    pub fn size(&self, on: &str, field: &str) -> Option<Size> {
        self.field(self.type_named(on), field).map(|b| b.size)
    }
}

/// The larger of two sizes, a page counting as the largest page.
fn larger(a: Size, b: Size) -> Size {
    let n = |s: Size| match s {
        Size::One => 1,
        Size::Page => super::MAX_PAGE_SIZE,
        Size::List(n) => n,
    };
    match (a, b) {
        (Size::Page, Size::One) | (Size::One, Size::Page) => Size::Page,
        _ if a == b => a,
        _ => Size::List(n(a).max(n(b))),
    }
}
