//! A parse error in one line, in the reference implementation's manner (`Syntax Error:
//! Expected a name, found "}".`), in place of the pest report async-graphql's parser writes
//! (an arrow, the line, a caret and the grammar's rule names across six lines).
//!
//! What was expected comes from that report's last line, its rule names put into words; what
//! was found is read from the document at the error's position. Runs only on the error path.

use async_graphql::Pos;
use async_graphql::parser::Error;

/// The message of a document that does not parse, and where.
pub(super) fn message(query: &str, error: &Error) -> (String, Vec<Pos>) {
    let positions: Vec<Pos> = error.positions().collect();
    let message = match error {
        Error::Syntax { message, start, .. } => syntax(query, message, *start),
        Error::MultipleOperations { .. } => {
            "This anonymous operation must be the only defined operation: name it, or remove \
             the others."
                .to_owned()
        }
        Error::OperationDuplicated { operation, .. } => {
            format!("There can be only one operation named \"{operation}\".")
        }
        Error::FragmentDuplicated { fragment, .. } => {
            format!("There can be only one fragment named \"{fragment}\".")
        }
        Error::MissingOperation => "The document has no operation: send a query, such as \
             \"{ films { totalCount } }\"."
            .to_owned(),
        Error::RecursionLimitExceeded => {
            "Syntax Error: the document nests its values or types too deeply.".to_owned()
        }
        other => format!("Syntax Error: {other}."),
    };
    (message, positions)
}

/// `Syntax Error: Expected …, found ….`
fn syntax(query: &str, report: &str, at: Pos) -> String {
    let offset = skip_ignored(query, byte_offset(query, at));
    let found = match found(query, offset) {
        Found::Token(t) => t,
        Found::Unterminated => return "Syntax Error: Unterminated string.".to_owned(),
        Found::Character(c) => {
            return format!("Syntax Error: Unexpected character {:?}.", c.to_string());
        }
    };
    match expected(report) {
        Some(expected) => format!("Syntax Error: Expected {expected}, found {found}."),
        None => format!("Syntax Error: Unexpected {found}."),
    }
}

/// The byte offset of a line and column (both from 1; the column counts characters).
fn byte_offset(query: &str, at: Pos) -> usize {
    let mut line_start = 0;
    for _ in 1..at.line {
        match query[line_start..].find('\n') {
            Some(n) => line_start += n + 1,
            None => return query.len(),
        }
    }
    query[line_start..]
        .char_indices()
        .nth(at.column.saturating_sub(1))
        .map_or(query.len(), |(i, _)| line_start + i)
}

/// Past whitespace, commas, comments and byte-order marks, which pest may point into.
fn skip_ignored(query: &str, mut i: usize) -> usize {
    while let Some(c) = query[i..].chars().next() {
        match c {
            ' ' | '\t' | '\n' | '\r' | ',' | '\u{feff}' => i += c.len_utf8(),
            '#' => i += query[i..].find('\n').unwrap_or(query.len() - i),
            _ => break,
        }
    }
    i
}

enum Found {
    Token(String),
    Unterminated,
    Character(char),
}

/// The token at `i`, in words.
fn found(query: &str, i: usize) -> Found {
    let rest = &query[i..];
    let Some(c) = rest.chars().next() else {
        return Found::Token("the end of the document".to_owned());
    };
    let run = |ok: fn(char) -> bool| rest.find(|c: char| !ok(c)).unwrap_or(rest.len());
    match c {
        '_' | 'a'..='z' | 'A'..='Z' => {
            let n = run(|c| c == '_' || c.is_ascii_alphanumeric());
            Found::Token(format!("name \"{}\"", &rest[..n]))
        }
        '-' | '0'..='9' => {
            let n = run(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '+' | '.'));
            Found::Token(format!("number {}", &rest[..n]))
        }
        '"' if rest.starts_with("\"\"\"") => match rest[3..].find("\"\"\"") {
            Some(_) => Found::Token("a block string".to_owned()),
            None => Found::Unterminated,
        },
        '"' => {
            let mut escaped = false;
            for c in rest[1..].chars() {
                match c {
                    '\n' | '\r' => break,
                    '\\' if !escaped => escaped = true,
                    '"' if !escaped => return Found::Token("a string".to_owned()),
                    _ => escaped = false,
                }
            }
            Found::Unterminated
        }
        '.' if rest.starts_with("...") => Found::Token("\"...\"".to_owned()),
        '!' | '$' | '&' | '(' | ')' | ':' | '=' | '@' | '[' | ']' | '{' | '|' | '}' => {
            Found::Token(format!("\"{c}\""))
        }
        c => Found::Character(c),
    }
}

/// What the grammar expected, in words, from the pest report's last line (`= expected a, b,
/// or c`), or `None` when it says nothing of it.
fn expected(report: &str) -> Option<String> {
    let line = report
        .lines()
        .rev()
        .find(|l| l.trim_start().starts_with('='))?;
    let line = line.trim_start().trim_start_matches('=').trim();
    // pest writes `expected a, b, or c`, `unexpected d`, or `unexpected d; expected a`.
    let list = match line.strip_prefix("expected ") {
        Some(list) => list,
        None => line.split_once("; expected ")?.1,
    };
    let mut words: Vec<&str> = Vec::new();
    for rule in list
        .split([',', ' '])
        .filter(|r| !r.is_empty() && *r != "or")
    {
        let w = rule_words(rule);
        if !w.is_empty() && !words.contains(&w) {
            words.push(w);
        }
    }
    match words.as_slice() {
        [] => None,
        [one] => Some((*one).to_owned()),
        [rest @ .., last] => Some(format!("{} or {last}", rest.join(", "))),
    }
}

/// A rule of async-graphql's grammar (`graphql.pest`), as a reader would say it.
fn rule_words(rule: &str) -> &'static str {
    match rule {
        "EOI" => "the end of the document",
        "executable_definition"
        | "operation_definition"
        | "named_operation_definition"
        | "fragment_definition" => {
            "a definition (\"query\", \"mutation\", \"subscription\", \"fragment\" or \"{\")"
        }
        "selection" | "field" | "alias" | "inline_fragment" | "fragment_spread" => {
            "a field or \"...\""
        }
        "selection_set" => "a selection set (\"{\")",
        "name" => "a name",
        "arguments" => "arguments (\"(\")",
        "directives" | "directive" | "const_directives" | "const_directive" => {
            "a directive (\"@\")"
        }
        "variable_definitions" => "variable definitions (\"(\")",
        "variable_definition" | "variable" => "a variable (\"$name\")",
        "type_" => "a type",
        "type_condition" => "a type condition (\"on Type\")",
        "default_value" => "a default value (\"=\")",
        "operation_type" => "\"query\", \"mutation\" or \"subscription\"",
        "value" | "const_value" | "number" | "float" | "int" | "string" | "block_string"
        | "boolean" | "null" | "enum_value" | "list" | "const_list" | "object" | "const_object" => {
            "a value"
        }
        "object_field" | "const_object_field" => "an input field (\"name: value\")",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(query: &str) -> String {
        let e = async_graphql::parser::parse_query(query).expect_err("does not parse");
        message(query, &e).0
    }

    #[test]
    fn one_line_each() {
        for (query, words) in [
            ("{ a } }", "found \"}\""),
            ("{ a(x: ) }", "Expected a value"),
            ("{ a(x: \"abc) }", "Unterminated string"),
            ("query Q($v) { a }", "Expected"),
            ("{ a %", "Unexpected character \"%\""),
            ("{", "the end of the document"),
        ] {
            let m = parse(query);
            assert!(!m.contains('\n'), "{query}: {m}");
            assert!(m.contains(words), "{query}: {m}");
        }
    }
}
