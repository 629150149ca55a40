//! Tokeniser for GraphQL executable documents (October 2021 spec, section 2.1).
//!
//! The lexer works on bytes: every token that carries meaning for the guard
//! (names, numbers, punctuators) is ASCII, and the only places where other
//! UTF-8 may appear (strings, comments, the BOM) are skipped as byte runs.
//! Because UTF-8 continuation bytes are never ASCII, a byte-wise scan can
//! neither split a character inside a token we slice nor mistake part of a
//! multi-byte character for a quote or a backslash.
//!
//! It is deliberately a little more permissive than the spec (it accepts
//! any escape sequence and line breaks inside strings, and `1x` lexes as a
//! number followed by a name). That is the safe direction: a document the
//! guard calls a syntax error is refused unmeasured, so a stricter lexer
//! would refuse valid documents, while a document it wrongly accepts is
//! still refused by async-graphql's parser.

/// The lexical token kinds the parser needs to tell apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    /// A one-byte punctuator: `! $ & ( ) : = @ [ ] { | }`.
    Punct(u8),
    /// The `...` punctuator.
    Spread,
    Name,
    Int,
    Float,
    /// A string or block string; the guard never needs its contents.
    Str,
}

/// One lexical token, as a byte range of the source.
#[derive(Clone, Copy, Debug)]
pub(super) struct Token {
    pub kind: Kind,
    pub start: usize,
    pub end: usize,
}

/// Why lexing stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum LexEnd {
    /// The whole document was tokenised.
    Done,
    /// A byte sequence that is no token; the tokens before it were kept.
    SyntaxError,
    /// `max_tokens` tokens were produced and another one followed.
    TooManyTokens,
}

/// Returns the byte at `i`, or 0 past the end, so that look-ahead never
/// needs a bounds check that could be forgotten.
fn at(b: &[u8], i: usize) -> u8 {
    b.get(i).copied().unwrap_or(0)
}

fn is_name_continue(c: u8) -> bool {
    c == b'_' || c.is_ascii_alphanumeric()
}

/// Tokenises `src` into `out`, stopping as soon as a token beyond
/// `max_tokens` appears, so a huge document costs at most `max_tokens`
/// tokens of work (plus the ignored bytes between them).
pub(super) fn lex(src: &str, max_tokens: usize, out: &mut Vec<Token>) -> LexEnd {
    let b = src.as_bytes();
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        let start = i;
        let kind = match c {
            b' ' | b'\t' | b'\n' | b'\r' | b',' => {
                i += 1;
                continue;
            }
            // The spec treats U+FEFF as ignored anywhere, not only at the start.
            0xEF if at(b, i + 1) == 0xBB && at(b, i + 2) == 0xBF => {
                i += 3;
                continue;
            }
            b'#' => {
                while i < b.len() && at(b, i) != b'\n' && at(b, i) != b'\r' {
                    i += 1;
                }
                continue;
            }
            b'!' | b'$' | b'&' | b'(' | b')' | b':' | b'=' | b'@' | b'[' | b']' | b'{' | b'|'
            | b'}' => {
                i += 1;
                Kind::Punct(c)
            }
            b'.' => {
                if at(b, i + 1) != b'.' || at(b, i + 2) != b'.' {
                    return LexEnd::SyntaxError;
                }
                i += 3;
                Kind::Spread
            }
            b'_' | b'a'..=b'z' | b'A'..=b'Z' => {
                i += 1;
                while is_name_continue(at(b, i)) {
                    i += 1;
                }
                Kind::Name
            }
            b'-' | b'0'..=b'9' => match lex_number(b, &mut i) {
                Some(kind) => kind,
                None => return LexEnd::SyntaxError,
            },
            b'"' => {
                if !lex_string(b, &mut i) {
                    return LexEnd::SyntaxError;
                }
                Kind::Str
            }
            _ => return LexEnd::SyntaxError,
        };
        if out.len() >= max_tokens {
            return LexEnd::TooManyTokens;
        }
        out.push(Token {
            kind,
            start,
            end: i,
        });
    }
    LexEnd::Done
}

/// Scans an IntValue or FloatValue starting at `*i`.
fn lex_number(b: &[u8], i: &mut usize) -> Option<Kind> {
    if at(b, *i) == b'-' {
        *i += 1;
    }
    if !at(b, *i).is_ascii_digit() {
        return None;
    }
    while at(b, *i).is_ascii_digit() {
        *i += 1;
    }
    let mut kind = Kind::Int;
    if at(b, *i) == b'.' && at(b, *i + 1).is_ascii_digit() {
        kind = Kind::Float;
        *i += 1;
        while at(b, *i).is_ascii_digit() {
            *i += 1;
        }
    }
    if matches!(at(b, *i), b'e' | b'E') {
        let digits = if matches!(at(b, *i + 1), b'+' | b'-') {
            *i + 2
        } else {
            *i + 1
        };
        if at(b, digits).is_ascii_digit() {
            kind = Kind::Float;
            *i = digits;
            while at(b, *i).is_ascii_digit() {
                *i += 1;
            }
        }
    }
    Some(kind)
}

/// Scans a string or block string starting at the opening quote at `*i`;
/// returns false when it is never closed.
fn lex_string(b: &[u8], i: &mut usize) -> bool {
    if at(b, *i + 1) == b'"' && at(b, *i + 2) == b'"' {
        *i += 3;
        loop {
            if *i >= b.len() {
                return false;
            }
            if b.get(*i..*i + 4) == Some(b"\\\"\"\"") {
                *i += 4;
            } else if b.get(*i..*i + 3) == Some(b"\"\"\"") {
                *i += 3;
                return true;
            } else {
                *i += 1;
            }
        }
    }
    *i += 1;
    loop {
        match b.get(*i) {
            None => return false,
            Some(b'"') => {
                *i += 1;
                return true;
            }
            // Skipping the escaped byte is enough for `\"`, `\\`, `\uXXXX`
            // and `\u{...}` alike, since only `\"` could end the string early.
            Some(b'\\') => *i += 2,
            Some(_) => *i += 1,
        }
    }
}
