//! References that name nothing, gathered while the files are read and reported once each
//! when they are done. One broken record, or one missing file, is referred to from thousands
//! of places; listing every place hid the real problem (a missing `sources.json` gave 37,137
//! lines and never said the file was missing). So each slug that resolves to nothing is
//! reported once, at its first reference, with the count of the others, and says why when
//! the why is known: the record with that slug was refused for its own problems (reported
//! above), or the file of that kind is not in the seed at all.

use std::collections::BTreeMap;

use super::Problem;
use crate::store::model::Kind;

/// The first place a missing slug was referred to, and how many places did.
struct Uses {
    file: String,
    path: String,
    count: usize,
}

/// Every reference that named nothing so far, and the records refused with their slugs.
#[derive(Default)]
pub struct Dangling {
    missing: BTreeMap<(Kind, Box<str>), Uses>,
    /// The records refused for their own problems, by kind and slug: where each was.
    refused: BTreeMap<(Kind, Box<str>), String>,
}

impl Dangling {
    /// Notes a reference from `file` at `path` to the `kind` with `slug`, which names nothing.
    pub fn refer(&mut self, kind: Kind, slug: &str, file: &str, path: &str) {
        self.missing
            .entry((kind, slug.into()))
            .and_modify(|u| u.count += 1)
            .or_insert_with(|| Uses {
                file: file.to_owned(),
                path: path.to_owned(),
                count: 1,
            });
    }

    /// Notes that the record at `path` of kind `kind`, with `slug`, was refused.
    pub fn refused(&mut self, kind: Kind, slug: &str, path: String) {
        self.refused.entry((kind, slug.into())).or_insert(path);
    }

    /// One problem per missing file that something refers to, and one per missing slug of a
    /// file that is there. `present` says whether a kind's file was given.
    pub fn report(self, present: impl Fn(Kind) -> bool, problems: &mut Vec<Problem>) {
        let mut by_missing_file: BTreeMap<Kind, (usize, usize, String)> = BTreeMap::new();
        for ((kind, slug), uses) in self.missing {
            let (noun, file) = (kind.noun(), kind.seed_file());
            if !present(kind) {
                let entry = by_missing_file.entry(kind).or_insert_with(|| {
                    let first = format!("{} {} names \"{slug}\"", uses.file, uses.path);
                    (0, 0, first)
                });
                entry.0 += 1;
                entry.1 += uses.count;
                continue;
            }
            let others = uses.count - 1;
            let rest = match others {
                0 => String::new(),
                1 => "; 1 more reference to it is not listed".to_owned(),
                n => format!("; {n} more references to it are not listed"),
            };
            let message = match self.refused.get(&(kind, slug.clone())) {
                Some(at) => format!(
                    "the {noun} \"{slug}\" ({file} {at}) was refused for the problems reported \
                     there, so this reference cannot resolve{rest}"
                ),
                None => format!("no {noun} has the slug \"{slug}\" ({file}){rest}"),
            };
            problems.push(Problem {
                file: uses.file,
                path: uses.path,
                message,
            });
        }
        for (kind, (slugs, refs, first)) in by_missing_file {
            problems.push(Problem {
                file: kind.seed_file().to_owned(),
                path: "$".into(),
                message: format!(
                    "the file is missing, but other files refer to {slugs} {}{} in it \
                     ({refs} reference{}, the first: {first}); add the file, or write [] in it \
                     for a seed with no {}",
                    kind.noun(),
                    if slugs == 1 { "" } else { "s" },
                    if refs == 1 { "" } else { "s" },
                    kind.noun(),
                ),
            });
        }
    }
}
