//! Global ids: opaque to clients, and stable because they are made from the entity's kind and
//! slug, never from load order. `Film:leap` becomes `RmlsbTpsZWFw`. Both executors (async-graphql
//! in `schema`, the plans in `exec`) make and read them, so they live here, below both.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::model::Kind;

pub fn encode(kind: Kind, slug: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}:{slug}", kind.name()))
}

/// Splits an id into its kind and slug; `None` when it is not an id this server makes.
pub fn decode(id: &str) -> Option<(Kind, String)> {
    if id.len() > 400 {
        return None;
    }
    let bytes = URL_SAFE_NO_PAD.decode(id).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (kind, slug) = text.split_once(':')?;
    let kind = Kind::from_name(kind)?;
    super::values::check_slug(slug).ok()?;
    Some((kind, slug.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let id = encode(Kind::Film, "leap");
        assert_eq!(id, "RmlsbTpsZWFw");
        assert_eq!(decode(&id), Some((Kind::Film, "leap".to_owned())));
        for bad in [
            "",
            "!!!",
            "RmlsbQ",
            &encode(Kind::Film, "Not A Slug"),
            &"A".repeat(1000),
        ] {
            assert_eq!(decode(bad), None, "{bad}");
        }
        assert_eq!(decode(&URL_SAFE_NO_PAD.encode("Spaceship:x")), None);
    }
}
