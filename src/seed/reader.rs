//! A reader over parsed JSON that reports every problem it meets instead of stopping at the
//! first, as serde would: each accessor records what is wrong, with the file and JSON path, and
//! returns `None` so that the caller can go on and find the next problem.

use serde_json::{Map, Value};

use super::Problem;

/// Where problems go while one file is read.
pub struct Problems<'a> {
    pub file: &'a str,
    pub list: &'a mut Vec<Problem>,
}

impl Problems<'_> {
    pub fn add(&mut self, path: &str, message: impl Into<String>) {
        self.list.push(Problem {
            file: self.file.to_owned(),
            path: path.to_owned(),
            message: message.into(),
        });
    }
}

/// The name of a JSON value's type, for messages.
fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Joins a JSON path and a key, quoting keys that are not plain identifiers.
pub fn join(path: &str, key: &str) -> String {
    if !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
    {
        format!("{path}.{key}")
    } else {
        format!("{path}[{}]", Value::String(key.to_owned()))
    }
}

/// One JSON object being read as a record with a known set of fields.
pub struct SeedRecord<'v> {
    map: &'v Map<String, Value>,
    pub path: String,
}

impl<'v> SeedRecord<'v> {
    /// Opens `value` as a record: reports it if it is not an object, every field not in
    /// `allowed`, and every field of `required` that is missing.
    pub fn open(
        p: &mut Problems,
        value: &'v Value,
        path: String,
        allowed: &[&str],
        required: &[&str],
    ) -> Option<SeedRecord<'v>> {
        let Value::Object(map) = value else {
            p.add(
                &path,
                format!("expected an object, found {}", type_name(value)),
            );
            return None;
        };
        for key in map.keys() {
            if !allowed.contains(&key.as_str()) {
                p.add(
                    &join(&path, key),
                    format!(
                        "unknown field \"{key}\"; expected one of: {}",
                        allowed.join(", ")
                    ),
                );
            }
        }
        for key in required {
            if !map.contains_key(*key) {
                p.add(&path, format!("missing required field \"{key}\""));
            }
        }
        Some(SeedRecord { map, path })
    }

    pub fn at(&self, key: &str) -> String {
        join(&self.path, key)
    }

    /// The field's value; `null` counts as absent, so optional fields may be written as null.
    pub fn get(&self, key: &str) -> Option<&'v Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    pub fn has(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    fn typed<T>(
        &self,
        p: &mut Problems,
        key: &str,
        want: &str,
        f: impl FnOnce(&'v Value) -> Option<T>,
    ) -> Option<T> {
        let v = self.get(key)?;
        let out = f(v);
        if out.is_none() {
            let (want, hint) = match form(key) {
                Some(form) if want == "a string" => (form, hint(key, v)),
                _ => (want, None),
            };
            let hint = hint.map_or(String::new(), |h| format!("; {h}"));
            p.add(
                &self.at(key),
                format!("expected {want}, found {}{hint}", describe(v)),
            );
        }
        out
    }

    pub fn str(&self, p: &mut Problems, key: &str) -> Option<&'v str> {
        self.typed(p, key, "a string", |v| v.as_str())
    }

    /// A string that must say something: empty or blank text is refused.
    pub fn text(&self, p: &mut Problems, key: &str) -> Option<Box<str>> {
        let s = self.str(p, key)?;
        if s.trim().is_empty() {
            p.add(&self.at(key), "must not be empty");
            return None;
        }
        Some(s.into())
    }

    /// A string checked by `parse`, whose error message is reported as it is.
    pub fn parsed<T>(
        &self,
        p: &mut Problems,
        key: &str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<T> {
        let s = self.str(p, key)?;
        match parse(s) {
            Ok(v) => Some(v),
            Err(e) => {
                p.add(&self.at(key), e);
                None
            }
        }
    }

    /// A whole number from `min` up to `u32::MAX`.
    pub fn u32(&self, p: &mut Problems, key: &str, min: u32) -> Option<u32> {
        let v = self.get(key)?;
        let message = match v.as_u64() {
            Some(n) if n >= u64::from(min) => match u32::try_from(n) {
                Ok(n) => return Some(n),
                Err(_) => format!("{n} is too large: at most {}", u32::MAX),
            },
            _ if v.as_f64().is_some_and(|f| f > f64::from(u32::MAX)) => {
                format!("{} is too large: at most {}", describe(v), u32::MAX)
            }
            _ => format!(
                "expected a whole number of at least {min}, found {}",
                describe(v)
            ),
        };
        p.add(&self.at(key), message);
        None
    }

    /// `true` or `false`.
    pub fn bool(&self, p: &mut Problems, key: &str) -> Option<bool> {
        self.typed(p, key, "true or false", |v| v.as_bool())
    }

    /// An array of whole numbers from 0 up to `u32::MAX` (points per side of a score).
    pub fn u32s(&self, p: &mut Problems, key: &str) -> Option<Box<[u32]>> {
        let items = self.items(p, key);
        let before = p.list.len();
        let out: Vec<u32> = items
            .iter()
            .filter_map(|(path, v)| {
                let n = v.as_u64().and_then(|n| u32::try_from(n).ok());
                if n.is_none() {
                    p.add(
                        path,
                        format!(
                            "expected a whole number from 0 to {}, found {}",
                            u32::MAX,
                            describe(v)
                        ),
                    );
                }
                n
            })
            .collect();
        (self.has(key) && p.list.len() == before).then(|| out.into())
    }

    /// An array's items with their paths; reports a value that is not an array.
    pub fn items(&self, p: &mut Problems, key: &str) -> Vec<(String, &'v Value)> {
        let Some(v) = self.get(key) else {
            return Vec::new();
        };
        let Value::Array(items) = v else {
            p.add(
                &self.at(key),
                format!("expected an array, found {}", describe(v)),
            );
            return Vec::new();
        };
        let base = self.at(key);
        items
            .iter()
            .enumerate()
            .map(|(i, v)| (format!("{base}[{i}]"), v))
            .collect()
    }

    /// An array of non-empty strings, each with its path.
    pub fn strings(&self, p: &mut Problems, key: &str) -> Vec<(String, &'v str)> {
        self.items(p, key)
            .into_iter()
            .filter_map(|(path, v)| match v.as_str() {
                Some(s) if !s.trim().is_empty() => Some((path, s)),
                Some(_) => {
                    p.add(&path, "must not be empty");
                    None
                }
                None => {
                    p.add(&path, format!("expected a string, found {}", describe(v)));
                    None
                }
            })
            .collect()
    }

    /// An object whose values are read by `each` (used for `cite` and `editorial`).
    pub fn entries(&self, p: &mut Problems, key: &str) -> Vec<(String, &'v str, &'v Value)> {
        let Some(v) = self.get(key) else {
            return Vec::new();
        };
        let Value::Object(map) = v else {
            p.add(
                &self.at(key),
                format!("expected an object, found {}", describe(v)),
            );
            return Vec::new();
        };
        let base = self.at(key);
        map.iter()
            .map(|(k, v)| (join(&base, k), k.as_str(), v))
            .collect()
    }
}

/// The form a string field takes, shown when it is given as something else: an editor who
/// wrote `duration: 344` learns what to write, not only that it is not a string.
fn form(key: &str) -> Option<&'static str> {
    Some(match key {
        "duration" => "a string like \"05:44\" (mm:ss)",
        "date" | "from" | "to" | "during" => {
            "a date string like \"2020-09-25\", \"2020-09\" or \"2020\""
        }
        "slug" => "a string like \"leap-2020\" (lowercase letters, digits and hyphens)",
        "amount" => "a decimal string like \"3000\" or \"29.99\"",
        "currency" => "a currency code string like \"JPY\"",
        "region" => "a two-letter country code string like \"CN\"",
        "isbn" => "a string like \"978-4-00-000000-2\"",
        _ => return None,
    })
}

/// What the value most likely meant, in the expected form: `344` seconds is `"5:44"`.
fn hint(key: &str, v: &Value) -> Option<String> {
    match (key, v) {
        ("duration", Value::Number(n)) => {
            let secs = n.as_u64()?;
            Some(format!(
                "{secs} seconds is \"{:02}:{:02}\"",
                secs / 60,
                secs % 60
            ))
        }
        ("date" | "from" | "to" | "during", Value::Number(n)) => {
            Some(format!("write the year as a string, \"{n}\""))
        }
        ("amount", Value::Number(n)) => Some(format!("write it as a string, \"{n}\"")),
        _ => None,
    }
}

/// A value's type, and the value itself when it is short, for messages.
pub fn describe(v: &Value) -> String {
    match v {
        Value::Number(n) => format!("{}", n),
        Value::String(s) if s.chars().count() <= 40 => format!("the string {v}"),
        Value::Bool(b) => format!("{b}"),
        _ => type_name(v).to_owned(),
    }
}
