//! Streams the records of a seed file's top-level array one at a time.

use std::fmt;

use serde::de::{Deserializer, SeqAccess, Visitor};
use serde_json::Value;

/// Hands each element of the file's top-level array to `f` with its position, parsing one
/// element at a time. A file that is not an array, or is not JSON, is an error that says
/// where (serde_json's message ends with the line and column).
pub fn for_each_record(
    bytes: &[u8],
    mut f: impl FnMut(usize, Value),
) -> Result<(), serde_json::Error> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    de.deserialize_seq(Records(&mut f))?;
    de.end()
}

struct Records<'f, F>(&'f mut F);

impl<'de, F: FnMut(usize, Value)> Visitor<'de> for Records<'_, F> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of records")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut i = 0;
        while let Some(record) = seq.next_element::<Value>()? {
            (self.0)(i, record);
            i += 1;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(text: &str) -> Result<Vec<(usize, Value)>, String> {
        let mut out = Vec::new();
        for_each_record(text.as_bytes(), |i, v| out.push((i, v))).map_err(|e| e.to_string())?;
        Ok(out)
    }

    #[test]
    fn streams_and_reports() {
        assert_eq!(collect("[1, {\"a\": 2}]").unwrap().len(), 2);
        assert_eq!(collect(" [] ").unwrap().len(), 0);
        let e = collect("{\"a\": 1}").unwrap_err();
        assert!(e.contains("expected an array of records"), "{e}");
        let e = collect("[1, 2] x").unwrap_err();
        assert!(e.contains("trailing characters"), "{e}");
        let e = collect("[1, {").unwrap_err();
        assert!(e.contains("line 1 column 5"), "{e}");
    }
}
