//! Reading a field's arguments into the values the query layer takes: scalars by their own
//! `InputType`, as async-graphql coerces them for a resolver, and the filter and order inputs
//! member by member. Plans run only validated documents with variables checked against the
//! schema, so anything unexpected here is a bail, and async-graphql gives the exact answer.
//!
//! Imports: the plan (`Field`, `Arg`) and the store's query layer.

use async_graphql::{InputType, Name, Value as ConstValue};

use super::plan::{Arg, Field};
use super::{Bail, Cx};
use crate::store::model::Kind;
use crate::store::query::{
    FilmFilter, FilmOrder, FilmOrderField, MatchFilter, MatchOrder, MatchOrderField, PageArgs,
    PersonFilter, PersonOrder, TrackFilter, TrackOrder, TrackOrderField,
};

/// The members of an input object argument.
type Members = async_graphql::indexmap::IndexMap<Name, ConstValue>;

impl<'s> Cx<'s> {
    /// The value given for argument `name` of `f`, with its variables filled in.
    fn given(&self, f: &Field, name: &str) -> Result<Option<ConstValue>, Bail> {
        Ok(match f.args.iter().find(|(n, _)| n.as_str() == name) {
            None => None,
            Some((_, Arg::Const(v))) => Some(v.clone()),
            Some((_, Arg::Var(i))) => Some(self.vars.get(*i).ok_or(Bail)?.clone()),
            Some((_, Arg::Mixed(v))) => Some(
                v.clone()
                    .into_const_with(|var| self.var(var.as_str()).cloned().ok_or(()))
                    .map_err(|()| Bail)?,
            ),
        })
    }

    /// The value of argument `name` of `f`, coerced by the argument's own Rust type, as
    /// async-graphql coerces it for the resolver.
    pub(super) fn arg<T: InputType>(&self, f: &Field, name: &str) -> Result<T, Bail> {
        T::parse(self.given(f, name)?).map_err(|_| Bail)
    }

    /// The Relay arguments of a connection field.
    pub(super) fn page_args(&self, f: &Field) -> Result<PageArgs, Bail> {
        Ok(PageArgs::new(
            self.arg(f, "first")?,
            self.arg(f, "after")?,
            self.arg(f, "last")?,
            self.arg(f, "before")?,
        ))
    }

    /// An input object argument: `None` when absent or null; a bail for a member it does not
    /// know, which validation should have refused.
    fn input(&self, f: &Field, name: &str, known: &[&str]) -> Result<Option<Members>, Bail> {
        match self.given(f, name)? {
            None | Some(ConstValue::Null) => Ok(None),
            Some(ConstValue::Object(members))
                if members.keys().all(|k| known.contains(&k.as_str())) =>
            {
                Ok(Some(members))
            }
            Some(_) => Err(Bail),
        }
    }

    pub(super) fn film_filter(&self, f: &Field) -> Result<Option<FilmFilter>, Bail> {
        let Some(m) = self.input(f, "filter", &["year", "titleContains"])? else {
            return Ok(None);
        };
        Ok(Some(FilmFilter {
            year: member(&m, "year")?,
            title_contains: member(&m, "titleContains")?,
        }))
    }

    pub(super) fn film_order(&self, f: &Field) -> Result<Option<FilmOrder>, Bail> {
        let fields = [
            ("TITLE", FilmOrderField::Title),
            ("YEAR", FilmOrderField::Year),
        ];
        let Some(m) = self.input(f, "orderBy", ORDER_MEMBERS)? else {
            return Ok(None);
        };
        Ok(Some(FilmOrder {
            field: enum_member(&m, "field", &fields, FilmOrderField::default())?,
            descending: descending(&m)?,
        }))
    }

    pub(super) fn person_filter(&self, f: &Field) -> Result<Option<PersonFilter>, Bail> {
        let Some(m) = self.input(f, "filter", &["nameContains"])? else {
            return Ok(None);
        };
        Ok(Some(PersonFilter {
            name_contains: member(&m, "nameContains")?,
        }))
    }

    pub(super) fn person_order(&self, f: &Field) -> Result<Option<PersonOrder>, Bail> {
        let Some(m) = self.input(f, "orderBy", ORDER_MEMBERS)? else {
            return Ok(None);
        };
        enum_member(&m, "field", &[("NAME", ())], ())?;
        Ok(Some(PersonOrder {
            descending: descending(&m)?,
        }))
    }

    pub(super) fn match_filter(&self, f: &Field) -> Result<Option<MatchFilter>, Bail> {
        let known = ["year", "from", "to", "team", "competition"];
        let Some(m) = self.input(f, "filter", &known)? else {
            return Ok(None);
        };
        Ok(Some(MatchFilter {
            year: member(&m, "year")?,
            from: member(&m, "from")?,
            to: member(&m, "to")?,
            team: member(&m, "team")?,
            competition: member(&m, "competition")?,
        }))
    }

    pub(super) fn match_order(&self, f: &Field) -> Result<Option<MatchOrder>, Bail> {
        let fields = [
            ("DATE", MatchOrderField::Date),
            ("TITLE", MatchOrderField::Title),
        ];
        let Some(m) = self.input(f, "orderBy", ORDER_MEMBERS)? else {
            return Ok(None);
        };
        Ok(Some(MatchOrder {
            field: enum_member(&m, "field", &fields, MatchOrderField::default())?,
            descending: descending(&m)?,
        }))
    }

    pub(super) fn track_filter(&self, f: &Field) -> Result<Option<TrackFilter>, Bail> {
        let known = [
            "album",
            "titleContains",
            "minDurationSeconds",
            "maxDurationSeconds",
        ];
        let Some(m) = self.input(f, "filter", &known)? else {
            return Ok(None);
        };
        Ok(Some(TrackFilter {
            album: member(&m, "album")?,
            title_contains: member(&m, "titleContains")?,
            min_duration_seconds: member(&m, "minDurationSeconds")?,
            max_duration_seconds: member(&m, "maxDurationSeconds")?,
        }))
    }

    pub(super) fn track_order(&self, f: &Field) -> Result<Option<TrackOrder>, Bail> {
        let fields = [
            ("NUMBER", TrackOrderField::Number),
            ("TITLE", TrackOrderField::Title),
            ("DURATION", TrackOrderField::Duration),
        ];
        let Some(m) = self.input(f, "orderBy", ORDER_MEMBERS)? else {
            return Ok(None);
        };
        Ok(Some(TrackOrder {
            field: enum_member(&m, "field", &fields, TrackOrderField::default())?,
            descending: descending(&m)?,
        }))
    }

    /// The `types` of a search: `NodeType` values, named as the kinds in capitals.
    pub(super) fn node_kinds(&self, f: &Field) -> Result<Option<Vec<Kind>>, Bail> {
        let kind = |value: &ConstValue| {
            let name = enum_text(value).ok_or(Bail)?;
            let in_capitals = |k: &Kind| {
                k.name().len() == name.len()
                    && k.name()
                        .bytes()
                        .zip(name.bytes())
                        .all(|(a, b)| a.to_ascii_uppercase() == b)
            };
            Kind::ALL.into_iter().find(in_capitals).ok_or(Bail)
        };
        match self.given(f, "types")? {
            None | Some(ConstValue::Null) => Ok(None),
            Some(ConstValue::List(items)) => {
                items.iter().map(kind).collect::<Result<_, _>>().map(Some)
            }
            // Input coercion reads a single value as a list of one.
            Some(one) => Ok(Some(vec![kind(&one)?])),
        }
    }
}

/// The members of every order input.
const ORDER_MEMBERS: &[&str] = &["field", "direction"];

/// A scalar member of an input object, coerced as async-graphql coerces it.
fn member<T: InputType>(members: &Members, name: &str) -> Result<T, Bail> {
    T::parse(members.get(name).cloned()).map_err(|_| Bail)
}

/// An enum value: a literal is an enum, a variable's value a string.
fn enum_text(value: &ConstValue) -> Option<&str> {
    match value {
        ConstValue::Enum(name) => Some(name.as_str()),
        ConstValue::String(text) => Some(text),
        _ => None,
    }
}

/// An enum member with a default, read through its table of names.
fn enum_member<E: Copy>(
    members: &Members,
    name: &str,
    values: &[(&str, E)],
    default: E,
) -> Result<E, Bail> {
    let Some(value) = members.get(name) else {
        return Ok(default);
    };
    let text = enum_text(value).ok_or(Bail)?;
    values
        .iter()
        .find(|(n, _)| *n == text)
        .map(|(_, e)| *e)
        .ok_or(Bail)
}

/// An order's `direction` (ascending unless it says `DESC`).
fn descending(members: &Members) -> Result<bool, Bail> {
    enum_member(
        members,
        "direction",
        &[("ASC", false), ("DESC", true)],
        false,
    )
}
