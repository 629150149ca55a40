//! The plan executor: the cache-miss path without async-graphql's executor.
//!
//! async-graphql spends about half a microsecond on each field it resolves (a future, a
//! context, a `Value` in an `IndexMap`), which caps an uncached film page near a sixth of
//! what HTTP allows here. A document that async-graphql has once validated and run is
//! compiled into a [`Plan`]; later requests with that document run the plan, which walks the
//! store and writes the response's JSON straight into one buffer.
//!
//! The plan executor is a fast path, never the only path. It answers only requests that
//! succeed: anything else (a variable that does not coerce, a bad cursor, a lookup with both
//! `id` and `slug`, a field it does not know) makes it [`Bail`], and the request runs on
//! async-graphql, which gives the exact answer and errors. Executing has no side effects, so
//! running again is always safe.
//!
//! Owns: compiling a validated document into a plan (`plan`, with the schema's types read from
//! the committed SDL in `catalog`), reading arguments (`args`), resolving fields (`fid`,
//! `fields`), writing JSON, and coercing variables (`coerce`, which the engine runs for
//! async-graphql too). Imports: `store` (records, ids, the query layer), `suggest`, and
//! async-graphql's parser and values; never `schema`. A `QueryError` becomes a [`Bail`] in
//! one place (below).

mod args;
mod catalog;
pub mod coerce;
mod fid;
mod fields;
mod plan;
mod warm;

use async_graphql::Value as ConstValue;
use serde_json::{Map, Value as Json};

pub use catalog::{CATALOG, Catalog, base_name};
pub use plan::{Plan, Unsupported};

use crate::store::Store;
use crate::store::query::{Budget, OBJECTS_PER_CLOCK, QueryError};
use fields::{Obj, Val};
use plan::{Field, Sub};

/// The plan cannot answer this request; async-graphql will.
#[derive(Debug, PartialEq, Eq)]
pub struct Bail;

/// Why a plan stopped without an answer.
#[derive(Debug, PartialEq, Eq)]
pub enum Stop {
    /// The plan cannot answer this request; async-graphql will.
    Bail,
    /// The answer grew past the byte cap; no part of it may be sent.
    TooLarge,
    /// The request's deadline passed while the answer was being written.
    Late,
}

impl From<Bail> for Stop {
    fn from(_: Bail) -> Stop {
        Stop::Bail
    }
}

/// A request the query layer refuses is answered by async-graphql, with its error: the one
/// place the plan executor meets a `QueryError`.
impl From<QueryError> for Bail {
    fn from(_: QueryError) -> Bail {
        Bail
    }
}

/// One execution: the graph, the coerced variables and the answer's budget.
pub struct Cx<'s> {
    store: &'s Store,
    plan: &'s Plan,
    vars: Vec<ConstValue>,
    budget: Budget,
    /// Objects left to write before the clock is read again.
    until_clock: std::cell::Cell<u32>,
}

impl<'s> Cx<'s> {
    fn var(&self, name: &str) -> Option<&ConstValue> {
        let i = self.plan.vars.iter().position(|v| v.name == name)?;
        self.vars.get(i)
    }
}

impl Plan {
    /// Runs the plan and returns the whole response body, `{"data":…}`, or stops: to bail,
    /// or because the answer outgrew `budget`.
    pub fn execute(
        &self,
        store: &Store,
        variables: &Map<String, Json>,
        budget: Budget,
    ) -> Result<Vec<u8>, Stop> {
        let vars = self.coerce(variables)?;
        let cx = Cx {
            store,
            plan: self,
            vars,
            budget,
            until_clock: std::cell::Cell::new(OBJECTS_PER_CLOCK),
        };
        let mut out = Vec::with_capacity(1024);
        out.extend_from_slice(b"{\"data\":");
        write_fields(&cx, &Obj::Query, &self.root, &mut out)?;
        out.push(b'}');
        // The last object may have taken the answer over the cap.
        if out.len() > budget.max_bytes {
            return Err(Stop::TooLarge);
        }
        Ok(out)
    }

    /// The operation's variables, coerced as the engine coerces them before async-graphql
    /// runs (`coerce::variables`): a variable that does not coerce is a request error there,
    /// so here it is a bail.
    fn coerce(&self, given: &Map<String, Json>) -> Result<Vec<ConstValue>, Bail> {
        let definitions = self.vars.iter().map(|v| coerce::Definition {
            name: v.name.as_str(),
            ty: &v.ty,
            default: v.default.as_ref(),
        });
        coerce::variables(&catalog::CATALOG, definitions, given, false).map_err(|_| Bail)
    }
}

/// Stops the answer once it is over the byte cap, or (every [`OBJECTS_PER_CLOCK`] objects)
/// past the deadline. Called before each object is written.
#[inline]
fn check_budget(cx: &Cx<'_>, out: &[u8]) -> Result<(), Stop> {
    if out.len() > cx.budget.max_bytes {
        return Err(Stop::TooLarge);
    }
    let left = cx.until_clock.get();
    if left > 0 {
        cx.until_clock.set(left - 1);
        return Ok(());
    }
    cx.until_clock.set(OBJECTS_PER_CLOCK);
    if std::time::Instant::now() >= cx.budget.deadline {
        return Err(Stop::Late);
    }
    Ok(())
}

/// Writes an object: its fields in the plan's order.
fn write_fields<'s>(
    cx: &Cx<'s>,
    obj: &Obj<'s>,
    fields: &[Field],
    out: &mut Vec<u8>,
) -> Result<(), Stop> {
    check_budget(cx, out)?;
    // async-graphql answers an object with no field selected with null, even where the
    // schema says it is non-null (and `data` itself when the root selects nothing).
    if fields.is_empty() {
        out.extend_from_slice(b"null");
        return Ok(());
    }
    if let Obj::Node(n) = obj {
        warm::entity(cx.store, *n);
    }
    out.push(b'{');
    for (n, f) in fields.iter().enumerate() {
        if n > 0 {
            out.push(b',');
        }
        out.extend_from_slice(&f.key);
        if f.fid == fid::Fid::Typename {
            write_str(obj.type_name(), out);
            continue;
        }
        let value = obj.resolve(cx, f)?;
        write_value(cx, value, &f.sub, out)?;
    }
    out.push(b'}');
    Ok(())
}

fn write_value<'s>(cx: &Cx<'s>, value: Val<'s>, sub: &Sub, out: &mut Vec<u8>) -> Result<(), Stop> {
    match value {
        Val::Null => out.extend_from_slice(b"null"),
        Val::Bool(true) => out.extend_from_slice(b"true"),
        Val::Bool(false) => out.extend_from_slice(b"false"),
        // Writing to a Vec cannot fail.
        Val::Int(n) => {
            let _ = serde_json::to_writer(&mut *out, &n);
        }
        Val::Str(s) => write_str(s, out),
        Val::String(s) => write_str(&s, out),
        Val::Obj(obj) => {
            let fields = sub.fields_for(obj.type_name()).ok_or(Bail)?;
            write_fields(cx, &obj, fields, out)?;
        }
        Val::List(items) => {
            warm::list(cx.store, &items);
            out.push(b'[');
            for (n, item) in items.into_iter().enumerate() {
                if n > 0 {
                    out.push(b',');
                }
                write_value(cx, item, sub, out)?;
            }
            out.push(b']');
        }
    }
    Ok(())
}

/// A JSON string, escaped exactly as serde_json escapes async-graphql's values.
///
/// serde_json looks each byte up in its escape table; callgrind put 17% of an uncached film
/// page's instructions in its string writer. Nearly every string of a catalogue needs no escape at all, and
/// telling so sixteen bytes at a time (a loop without early exit, which the compiler turns into
/// vector instructions) lets such a string be copied whole; any other goes to serde_json, so
/// the bytes written are the same. Uncached FilmPage, `bench/callgrind.sh FilmPage BINARY --
/// --response-cache-entries 0`: 90,952 instructions per request with serde_json alone,
/// 85,139 with this check first (-6.4%).
fn write_str(s: &str, out: &mut Vec<u8>) {
    if needs_escape(s.as_bytes()) {
        // Writing to a Vec cannot fail.
        let _ = serde_json::to_writer(&mut *out, s);
    } else {
        out.reserve(s.len() + 2);
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    }
}

/// Whether serde_json would escape any byte of `bytes`: a control character, `"` or `\`.
fn needs_escape(bytes: &[u8]) -> bool {
    let escapes = |b: u8| b < 0x20 || b == b'"' || b == b'\\';
    let mut chunks = bytes.chunks_exact(16);
    for chunk in &mut chunks {
        if chunk.iter().fold(false, |any, &b| any | escapes(b)) {
            return true;
        }
    }
    chunks.remainder().iter().any(|&b| escapes(b))
}

/// One field of the schema's output types, as the guard's bounds table needs it.
#[derive(Clone, Debug)]
pub struct FieldShape {
    /// The object or interface it is on.
    pub on: String,
    pub field: String,
    /// The named type of its value (`Match` for `[Match!]!`).
    pub returns: String,
    /// Whether its value is a list.
    pub list: bool,
    /// Whether it pages (a connection, with `first`/`last`).
    pub paged: bool,
}

/// Every field of every object and interface of the schema, read from the committed SDL.
pub fn field_shapes() -> Vec<FieldShape> {
    catalog::CATALOG
        .output_fields()
        .into_iter()
        .map(|(on, field, ty, paged)| FieldShape {
            on: on.to_owned(),
            field: field.to_owned(),
            returns: catalog::base_name(ty).to_owned(),
            list: matches!(ty.base, async_graphql::parser::types::BaseType::List(_)),
            paged,
        })
        .collect()
}

/// Every object type of the schema with its fields, as the plan compiler reads them (for the
/// coverage test).
pub fn object_fields() -> Vec<(String, Vec<String>)> {
    catalog::CATALOG
        .object_fields()
        .into_iter()
        .map(|(t, f)| (t.to_owned(), f.into_iter().map(str::to_owned).collect()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::write_str;

    /// Every string is written as serde_json writes it: each single character below 0x80
    /// (escaped or not), at every position of a string longer than one 16-byte chunk, and
    /// text beyond ASCII.
    #[test]
    fn strings_are_written_as_serde_json_writes_them() {
        let mut cases: Vec<String> = vec![
            String::new(),
            "夺冠 Leap".into(),
            "Gong Li as Lang Ping — “the iron hammer”".into(),
        ];
        for c in (0u8..0x80).map(char::from) {
            for at in [0, 1, 15, 16, 17, 31, 40] {
                let mut s: String = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN".into();
                s.insert(at, c);
                cases.push(s);
            }
            cases.push(c.to_string());
        }
        for s in &cases {
            let mut ours = Vec::new();
            write_str(s, &mut ours);
            assert_eq!(
                String::from_utf8(ours).unwrap(),
                serde_json::to_string(s).unwrap(),
                "{s:?}"
            );
        }
    }
}
