//! Arbitrary bytes through the document guard, under the default limits and under tight
//! ones. Beyond "never panics" it checks what the guard promises: every count within its
//! limit, stats that agree with each other, the variables never changing whether a document
//! parses, and tight limits accepting nothing the defaults refuse, measured the same.
//!
//! Input: the document, optionally followed by a NUL byte and the operation name.

#![no_main]

use leap_graphql::error_code::ErrorCode;
use leap_graphql::guard::{self, DocumentLimits, Stats};
use libfuzzer_sys::fuzz_target;

const CODES: [ErrorCode; 11] = [
    ErrorCode::DocumentTooLarge,
    ErrorCode::TooManyTokens,
    ErrorCode::TooDeep,
    ErrorCode::TooManyAliases,
    ErrorCode::TooManyRootFields,
    ErrorCode::TooManyDirectives,
    ErrorCode::TooManyFragmentSpreads,
    ErrorCode::TooManyFields,
    ErrorCode::TooCostly,
    ErrorCode::IntrospectionTooDeep,
    ErrorCode::FragmentCycle,
];

fn tight() -> DocumentLimits {
    DocumentLimits {
        max_document_chars: 300,
        max_tokens: 80,
        max_depth: 3,
        max_aliases: 2,
        max_root_fields: 3,
        max_directives: 2,
        max_fragment_spreads: 4,
        max_expanded_fields: 30,
        max_cost: 100,
        max_introspection_depth: 1,
    }
}

/// Variables whose integer values depend on the name, negative and huge ones included.
fn variable(name: &str) -> Option<i64> {
    match name.len() % 4 {
        0 => None,
        1 => Some(-7),
        2 => Some(i64::MAX),
        _ => Some(name.len() as i64 * 13),
    }
}

fn check_ok(doc: &str, stats: &Stats, limits: &DocumentLimits) {
    assert_eq!(stats.chars, doc.chars().count());
    assert!(stats.chars <= limits.max_document_chars);
    assert!(stats.tokens <= limits.max_tokens);
    assert!(stats.aliases <= limits.max_aliases);
    assert!(stats.directives <= limits.max_directives);
    assert!(stats.fragment_spreads <= limits.max_fragment_spreads);
    if stats.parsed {
        assert!(stats.depth <= limits.max_depth, "{stats:?}");
        assert!(stats.root_fields <= limits.max_root_fields, "{stats:?}");
        assert!(
            stats.expanded_fields <= limits.max_expanded_fields as u64,
            "{stats:?}"
        );
        assert!(stats.cost <= limits.max_cost, "{stats:?}");
        assert!(
            stats.introspection_depth <= limits.max_introspection_depth,
            "{stats:?}"
        );
        // Every field costs at least one, and the root fields and the fields on the longest
        // path are among the expanded fields.
        assert!(stats.cost >= stats.expanded_fields, "{stats:?}");
        assert!(
            stats.root_fields as u64 <= stats.expanded_fields,
            "{stats:?}"
        );
        assert!(stats.depth as u64 <= stats.expanded_fields, "{stats:?}");
    }
}

fuzz_target!(|data: &[u8]| {
    let (doc, name) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], Some(&data[i + 1..])),
        None => (data, None),
    };
    let doc = String::from_utf8_lossy(doc);
    let name = name.map(String::from_utf8_lossy);
    let name = name.as_deref();
    let no_variables = |_: &str| None;

    let default = DocumentLimits::default();
    let by_default = guard::check(&doc, name, &variable, &default);
    match &by_default {
        Ok(stats) => check_ok(&doc, stats, &default),
        Err(r) => {
            assert!(CODES.contains(&r.code), "{r}");
            assert!(!r.message.is_empty());
        }
    }
    // Whether it parses does not depend on the variables.
    let unvalued = guard::check(&doc, name, &no_variables, &default);
    if let (Ok(a), Ok(b)) = (&by_default, &unvalued) {
        assert_eq!(a.parsed, b.parsed);
    }

    let limits = tight();
    match guard::check(&doc, name, &variable, &limits) {
        Ok(stats) => {
            check_ok(&doc, &stats, &limits);
            // Tight limits are all below the defaults: what they accept, the defaults accept,
            // measured the same.
            assert_eq!(by_default.as_ref(), Ok(&stats));
        }
        Err(r) => assert!(CODES.contains(&r.code), "{r}"),
    }
});
