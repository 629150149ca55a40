//! Exact duplicate records: the same record written twice in one file, which is a copying
//! mistake whatever the file (a coaching stint or a credit has no slug to collide on). Each
//! record is reduced to a digest of its JSON value as the records stream past, so that no
//! file's tree is kept: members in any order, a number as it is written.
//!
//! The digest is SHA-256 (already a dependency) truncated to 128 bits, so that two different
//! records never pass for duplicates in practice; the records are fed to it in a canonical
//! form (each value tagged with its type and each string with its length), so that no two
//! different values feed it the same bytes.

use std::collections::HashMap;

use serde_json::Value;
use sha2::{Digest, Sha256};

/// The records of one file seen so far, by digest, with the position of the first of each.
#[derive(Default)]
pub struct Seen {
    first: HashMap<[u8; 16], usize>,
}

impl Seen {
    /// The position of an earlier record exactly equal to `record` (at `position`), if any.
    pub fn earlier(&mut self, position: usize, record: &Value) -> Option<usize> {
        let mut hasher = Sha256::new();
        feed(&mut hasher, record);
        let digest = hasher.finalize();
        let mut key = [0u8; 16];
        key.copy_from_slice(&digest[..16]);
        match self.first.entry(key) {
            std::collections::hash_map::Entry::Occupied(e) => Some(*e.get()),
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(position);
                None
            }
        }
    }
}

fn feed_str(h: &mut Sha256, s: &str) {
    h.update((s.len() as u64).to_le_bytes());
    h.update(s.as_bytes());
}

/// Feeds a value in canonical form: members of an object sorted by key.
fn feed(h: &mut Sha256, v: &Value) {
    match v {
        Value::Null => h.update(b"n"),
        Value::Bool(b) => h.update(if *b { b"t" } else { b"f" }),
        Value::Number(n) => {
            h.update(b"#");
            feed_str(h, &n.to_string());
        }
        Value::String(s) => {
            h.update(b"s");
            feed_str(h, s);
        }
        Value::Array(items) => {
            h.update(b"[");
            h.update((items.len() as u64).to_le_bytes());
            items.iter().for_each(|item| feed(h, item));
        }
        Value::Object(map) => {
            h.update(b"{");
            h.update((map.len() as u64).to_le_bytes());
            let mut members: Vec<(&String, &Value)> = map.iter().collect();
            members.sort_unstable_by_key(|(k, _)| *k);
            for (k, v) in members {
                feed_str(h, k);
                feed(h, v);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn finds_exact_duplicates_only() {
        let mut seen = Seen::default();
        let a = json!({"person": "lang-ping", "team": "china", "from": "2013"});
        assert_eq!(seen.earlier(0, &a), None);
        // The same members in another order are the same record.
        let reordered = json!({"from": "2013", "team": "china", "person": "lang-ping"});
        assert_eq!(seen.earlier(1, &reordered), Some(0));
        for (i, other) in [
            json!({"person": "lang-ping", "team": "china", "from": "2014"}),
            json!({"person": "lang-ping", "team": "china"}),
            json!({"person": "lang-ping", "team": "china", "from": 2013}),
            json!(["lang-ping", "china", "2013"]),
            json!({"person": "lang-pingteam", "team": "", "from": "2013"}),
        ]
        .iter()
        .enumerate()
        {
            assert_eq!(seen.earlier(i + 2, other), None, "{other}");
        }
        assert_eq!(seen.earlier(9, &a), Some(0), "the first position is kept");
    }
}
