//! "Did you mean …?": the names near a misspelt one, as graphql-js's `suggestionList` picks
//! them (the reference implementation, whose hints GraphiQL users know): by the optimal
//! string alignment distance (an edit is an insertion, a deletion, a substitution or a swap
//! of two neighbours, so `titel` is one edit from `title`), case-insensitively first, within
//! two fifths of the typed name's length, nearest first, at most [`MAX`]; and, tighter than
//! graphql-js, none more than one edit further than the nearest.
//!
//! Runs only on the error path. Imports nothing of ours, so that both the engine (which words
//! the errors) and the plan executor's coercion (which words a variable's) can use it.

/// At most this many names are suggested.
pub const MAX: usize = 5;

/// The names among `options` near `input`, nearest first (ties in the options' order).
pub fn near<'a>(input: &str, options: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    let threshold = input.chars().count() * 2 / 5 + 1;
    let lower = input.to_lowercase();
    let mut found: Vec<(usize, &'a str)> = options
        .into_iter()
        .filter(|o| *o != input)
        .filter_map(|o| {
            let d = if o.to_lowercase() == lower {
                1
            } else {
                distance(&lower, &o.to_lowercase())
            };
            (d <= threshold).then_some((d, o))
        })
        .collect();
    found.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(b.1)));
    found.dedup_by(|a, b| a.1 == b.1);
    // Names much further than the nearest are noise (`titel` is one edit from `title` and
    // three from `notes`): only those within one edit of the nearest are kept.
    let nearest = found.first().map_or(0, |f| f.0);
    found.retain(|f| f.0 <= nearest + 1);
    found.into_iter().take(MAX).map(|(_, o)| o).collect()
}

/// ` Did you mean "a", "b" or "c"?` (with its leading space), or nothing when no name is
/// near or suggestions are off.
pub fn did_you_mean<'a>(
    enabled: bool,
    input: &str,
    options: impl IntoIterator<Item = &'a str>,
) -> String {
    if !enabled {
        return String::new();
    }
    hint("", &near(input, options))
}

/// ` Did you mean {prefix}"a" or "b"?` for names already chosen.
pub fn hint(prefix: &str, names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("\"{n}\"")).collect();
    match quoted.as_slice() {
        [] => String::new(),
        [one] => format!(" Did you mean {prefix}{one}?"),
        [rest @ .., last] => format!(" Did you mean {prefix}{} or {last}?", rest.join(", ")),
    }
}

/// The optimal string alignment distance between `a` and `b`, on characters.
fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    // Three rows: the one before last (for swaps), the last, and the one being filled.
    let mut before: Vec<usize> = vec![0; b.len() + 1];
    let mut last: Vec<usize> = (0..=b.len()).collect();
    let mut row: Vec<usize> = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        row[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (last[j] + 1).min(row[j - 1] + 1).min(last[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(before[j - 2] + 1);
            }
            row[j] = d;
        }
        std::mem::swap(&mut before, &mut last);
        std::mem::swap(&mut last, &mut row);
    }
    last[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        for (a, b, d) in [
            ("titel", "title", 1),
            ("title", "title", 0),
            ("", "abc", 3),
            ("fims", "films", 1),
            ("kitten", "sitting", 3),
            ("ab", "ba", 1),
        ] {
            assert_eq!(distance(a, b), d, "{a} {b}");
        }
    }

    #[test]
    fn suggestions() {
        let fields = ["title", "titleZh", "year", "people", "tracks"];
        assert_eq!(near("titel", fields), ["title"]);
        assert_eq!(near("Title", fields), ["title", "titleZh"]);
        assert_eq!(near("yera", fields), ["year"]);
        assert!(near("zzzzzz", fields).is_empty());
        assert_eq!(
            did_you_mean(true, "titel", fields),
            r#" Did you mean "title"?"#
        );
        assert_eq!(did_you_mean(false, "titel", fields), "");
        assert_eq!(
            hint("", &["a", "b", "c"]),
            r#" Did you mean "a", "b" or "c"?"#
        );
        let many = ["aa", "ab", "ac", "ad", "ae", "af", "ag"];
        assert_eq!(near("ax", many).len(), MAX);
    }
}
