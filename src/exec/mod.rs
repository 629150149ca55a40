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
//! `fields`), and writing JSON. Imports: `store` (records, ids, the query layer) and
//! async-graphql's parser and values; never `schema`. A `QueryError` becomes a [`Bail`] in
//! one place (below).

mod args;
mod catalog;
mod fid;
mod fields;
mod plan;
mod warm;

use async_graphql::Value as ConstValue;
use serde_json::{Map, Value as Json};

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

    /// The operation's variables, in the order they are defined: as given, else the default,
    /// else null when the type allows it; each must be valid for its type.
    fn coerce(&self, given: &Map<String, Json>) -> Result<Vec<ConstValue>, Bail> {
        self.vars
            .iter()
            .map(|def| {
                let value = match given.get(def.name.as_str()) {
                    Some(json) => ConstValue::from_json(json.clone()).map_err(|_| Bail)?,
                    None => match &def.default {
                        Some(d) => d.clone(),
                        None if def.ty.nullable => ConstValue::Null,
                        None => return Err(Bail),
                    },
                };
                if catalog::CATALOG.accepts(&def.ty, &value) {
                    Ok(value)
                } else {
                    Err(Bail)
                }
            })
            .collect()
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
fn write_str(s: &str, out: &mut Vec<u8>) {
    // Writing to a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, s);
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
