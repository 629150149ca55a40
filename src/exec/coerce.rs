//! The spec's CoerceVariableValues (section 6.1.2), the one implementation both executors
//! run: the plan executor for its own variables, and the engine before async-graphql executes
//! anything, so that a missing, null or wrong-typed variable is a request error naming the
//! variable, its declared type and the value received, whichever executor would have run.
//!
//! The input types are the catalog's (read from the committed SDL), and a value is checked as
//! the spec's input coercion rules say: scalars exactly (an `Int` is a whole number within 32
//! bits), enum values by name, input objects field by field (no unknown field, every required
//! one), and a single value stands for a list of one.

use std::fmt::Write;

use async_graphql::Value as ConstValue;
use async_graphql::parser::types::{BaseType, Type};
use serde_json::{Map, Value as Json};

use super::catalog::{Catalog, Named};
use crate::suggest::did_you_mean;

/// Why a value does not fit a type: where inside it (`""` for the value itself, else a path
/// such as `.filter.year` or `[2]`), and what is wrong, as a sentence.
#[derive(Debug, PartialEq, Eq)]
pub struct Invalid {
    pub path: String,
    pub reason: String,
}

impl Invalid {
    fn at(reason: String) -> Invalid {
        Invalid {
            path: String::new(),
            reason,
        }
    }

    /// The same problem, one level further in (the path is built from the inside out).
    fn inside(mut self, step: &str) -> Invalid {
        self.path.insert_str(0, step);
        self
    }
}

/// One variable definition of the operation to run.
pub struct Definition<'a> {
    pub name: &'a str,
    pub ty: &'a Type,
    pub default: Option<&'a ConstValue>,
}

/// A variable that does not coerce.
#[derive(Debug)]
pub struct VariableError {
    /// Its index among the operation's definitions (for the caller's positions).
    pub index: usize,
    pub message: String,
}

/// The longest a received value is quoted in a message, in characters.
const QUOTED_CHARS: usize = 60;

/// The operation's variables coerced from `given`, in the order they are defined: the value
/// given, else the default, else null where the type allows it. Every variable that does not
/// coerce is reported, not only the first.
pub fn variables<'a>(
    catalog: &Catalog,
    definitions: impl ExactSizeIterator<Item = Definition<'a>>,
    given: &Map<String, Json>,
    suggestions: bool,
) -> Result<Vec<ConstValue>, Vec<VariableError>> {
    let mut values = Vec::with_capacity(definitions.len());
    let mut errors = Vec::new();
    for (index, def) in definitions.enumerate() {
        let (name, ty) = (def.name, def.ty);
        let message = match given.get(name) {
            None => match def.default {
                Some(d) => {
                    values.push(d.clone());
                    continue;
                }
                None if ty.nullable => {
                    values.push(ConstValue::Null);
                    continue;
                }
                None => format!("Variable \"${name}\" of required type \"{ty}\" was not provided."),
            },
            Some(Json::Null) if !ty.nullable => {
                format!("Variable \"${name}\" of non-null type \"{ty}\" must not be null.")
            }
            Some(json) => {
                // A JSON number beyond i64 and u64 is an f64 here, refused by `Int` below.
                let checked = ConstValue::from_json(json.clone())
                    .map_err(|e| Invalid::at(format!("it cannot be read: {e}.")))
                    .and_then(|v| catalog.check(ty, &v, suggestions).map(|()| v));
                match checked {
                    Ok(value) => {
                        values.push(value);
                        continue;
                    }
                    Err(invalid) => {
                        let mut m = format!(
                            "Variable \"${name}\" of type \"{ty}\" got invalid value {}",
                            quote(json)
                        );
                        if !invalid.path.is_empty() {
                            let _ = write!(m, " at \"{name}{}\"", invalid.path);
                        }
                        let _ = write!(m, "; {}", invalid.reason);
                        m
                    }
                }
            }
        };
        errors.push(VariableError { index, message });
    }
    if errors.is_empty() {
        Ok(values)
    } else {
        Err(errors)
    }
}

/// A received value as JSON, cut to [`QUOTED_CHARS`] characters.
pub fn quote(json: &Json) -> String {
    cut(json.to_string())
}

/// `text` cut to [`QUOTED_CHARS`] characters, with an ellipsis where it was cut.
fn cut(text: String) -> String {
    match text.char_indices().nth(QUOTED_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

impl Catalog {
    /// Checks `value` against `ty` by the input coercion rules, and says why it does not fit
    /// (with "did you mean" for enum values and input fields when `suggestions` is on).
    pub fn check(&self, ty: &Type, value: &ConstValue, suggestions: bool) -> Result<(), Invalid> {
        if let ConstValue::Null = value {
            return if ty.nullable {
                Ok(())
            } else {
                Err(Invalid::at(format!(
                    "expected a value of non-null type \"{ty}\", found null."
                )))
            };
        }
        match &ty.base {
            BaseType::List(item) => match value {
                ConstValue::List(items) => {
                    for (i, v) in items.iter().enumerate() {
                        self.check(item, v, suggestions)
                            .map_err(|e| e.inside(&format!("[{i}]")))?;
                    }
                    Ok(())
                }
                // A single value stands for a list of one (input coercion of lists).
                v => self.check(item, v, suggestions),
            },
            BaseType::Named(name) => self.check_named(name, value, suggestions),
        }
    }

    fn check_named(
        &self,
        name: &str,
        value: &ConstValue,
        suggestions: bool,
    ) -> Result<(), Invalid> {
        let shown = || cut(value.to_string());
        let scalar = |ok: bool, what: &str| {
            if ok {
                Ok(())
            } else {
                Err(Invalid::at(format!(
                    "{name} cannot represent {what}: {}.",
                    shown()
                )))
            }
        };
        match name {
            "String" => scalar(matches!(value, ConstValue::String(_)), "a non-string value"),
            "Boolean" => scalar(
                matches!(value, ConstValue::Boolean(_)),
                "a non-boolean value",
            ),
            "Int" => match value {
                ConstValue::Number(n) if n.is_i64() || n.is_u64() => scalar(
                    n.as_i64().is_some_and(|n| i32::try_from(n).is_ok()),
                    "a value outside the 32-bit signed range",
                ),
                _ => scalar(false, "a non-integer value"),
            },
            "Float" => scalar(
                matches!(value, ConstValue::Number(_)),
                "a non-numeric value",
            ),
            // async-graphql's `ID` takes an integer only as an `i64`.
            "ID" => scalar(
                match value {
                    ConstValue::String(_) => true,
                    ConstValue::Number(n) => n.is_i64(),
                    _ => false,
                },
                "a value that is neither a string nor an integer",
            ),
            _ => match self.types.get(name) {
                Some(Named::Enum(values)) => {
                    let given = match value {
                        ConstValue::Enum(v) => v.as_str(),
                        ConstValue::String(v) => v.as_str(),
                        _ => {
                            return Err(Invalid::at(format!(
                                "enum \"{name}\" cannot represent a non-enum value: {}.",
                                shown()
                            )));
                        }
                    };
                    if values.contains(given) {
                        return Ok(());
                    }
                    let mut reason =
                        format!("value \"{given}\" does not exist in the \"{name}\" enum.");
                    reason.push_str(&did_you_mean(
                        suggestions,
                        given,
                        values.iter().map(|v| &**v),
                    ));
                    Err(Invalid::at(reason))
                }
                Some(Named::Input(fields)) => {
                    let ConstValue::Object(given) = value else {
                        return Err(Invalid::at(format!(
                            "expected an object of input type \"{name}\", found {}.",
                            shown()
                        )));
                    };
                    if let Some(unknown) = given
                        .keys()
                        .find(|k| !fields.iter().any(|f| f.name == k.as_str()))
                    {
                        let mut reason =
                            format!("field \"{unknown}\" is not defined by type \"{name}\".");
                        reason.push_str(&did_you_mean(
                            suggestions,
                            unknown,
                            fields.iter().map(|f| &*f.name),
                        ));
                        return Err(Invalid::at(reason));
                    }
                    for f in fields {
                        match given.get(f.name.as_str()) {
                            Some(v) => self
                                .check(&f.ty, v, suggestions)
                                .map_err(|e| e.inside(&format!(".{}", f.name)))?,
                            None if f.ty.nullable || f.has_default => {}
                            None => {
                                return Err(Invalid::at(format!(
                                    "field \"{name}.{}\" of required type \"{}\" was not provided.",
                                    f.name, f.ty
                                )));
                            }
                        }
                    }
                    Ok(())
                }
                // An output type or an unknown name: validation refuses the variable first.
                _ => Err(Invalid::at(format!("\"{name}\" is not an input type."))),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exec::catalog::CATALOG;

    fn ty(text: &str) -> Type {
        Type::new(text).expect("a type")
    }

    fn check(t: &str, json: Json) -> Result<(), Invalid> {
        let value = ConstValue::from_json(json).expect("json");
        CATALOG.check(&ty(t), &value, true)
    }

    #[test]
    fn scalars_and_wrappers() {
        assert!(check("Int", serde_json::json!(3)).is_ok());
        assert!(check("Int", serde_json::json!(3_000_000_000u64)).is_err());
        assert!(check("Int", serde_json::json!(1.5)).is_err());
        assert!(check("[Int!]", serde_json::json!(3)).is_ok());
        let e = check("[Int!]", serde_json::json!([1, null])).unwrap_err();
        assert_eq!(e.path, "[1]");
        assert!(e.reason.contains("\"Int!\""), "{}", e.reason);
        assert!(check("ID", serde_json::json!(true)).is_err());
    }

    #[test]
    fn inputs_and_enums() {
        let e = check("FilmFilter", serde_json::json!({"yaer": 2020})).unwrap_err();
        assert!(e.reason.contains("Did you mean \"year\"?"), "{}", e.reason);
        let e = check("FilmOrder", serde_json::json!({"field": "TITEL"})).unwrap_err();
        assert_eq!(e.path, ".field");
        assert!(e.reason.contains("Did you mean \"TITLE\"?"), "{}", e.reason);
    }

    #[test]
    fn quotes_are_cut() {
        let long = Json::String("x".repeat(500));
        let q = quote(&long);
        assert_eq!(q.chars().count(), QUOTED_CHARS + 1);
        assert!(q.ends_with('…'));
    }
}
