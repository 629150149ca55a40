//! References that name nothing, gathered while the files are read and reported once each
//! when they are done. One broken record, or one missing file, is referred to from thousands
//! of places; listing every place hid the real problem (a missing `sources.json` gave 37,137
//! lines and never said the file was missing). So each slug that resolves to nothing is
//! reported once, at its first reference, with the count of the others, and says why when
//! the why is known: the record with that slug was refused for its own problems (reported
//! above), the file of that kind is not in the seed at all, or it is there but could not be
//! read whole (not a file, no permission, not UTF-8 or not JSON): then the references into it
//! are counted in that file's one problem, since nothing in them can be checked.

use std::collections::BTreeMap;

use super::Problem;
use crate::store::model::Kind;

/// What became of the file of a kind that a reference points into.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum FileState {
    /// Read whole: a slug missing from it is a problem of the reference.
    Read,
    /// Not in the seed.
    Missing,
    /// In the seed, but not read whole; the number is its problem's position in the list.
    Broken(usize),
}

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

    /// One problem per missing file that something refers to, one per missing slug of a file
    /// that was read, and, for a file that could not be read whole, a count of the references
    /// into it added to its own problem. `state` says what became of each kind's file.
    pub fn report(self, state: impl Fn(Kind) -> FileState, problems: &mut Vec<Problem>) {
        let mut by_file: BTreeMap<Kind, (usize, usize, String)> = BTreeMap::new();
        for ((kind, slug), uses) in self.missing {
            let (noun, file) = (kind.noun(), kind.seed_file());
            if state(kind) != FileState::Read {
                let entry = by_file.entry(kind).or_insert_with(|| {
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
        for (kind, (slugs, refs, first)) in by_file {
            let noun = kind.noun();
            let nouns = if slugs == 1 { noun } else { kind.plural() };
            let s_refs = plural(refs);
            match state(kind) {
                FileState::Broken(at) => {
                    if let Some(p) = problems.get_mut(at) {
                        p.message.push_str(&format!(
                            "; {refs} reference{s_refs} from other files to {slugs} {nouns} \
                             in it cannot be checked (the first: {first})"
                        ));
                    }
                }
                _ => problems.push(Problem {
                    file: kind.seed_file().to_owned(),
                    path: "$".into(),
                    message: format!(
                        "the file is missing, but other files refer to {slugs} {nouns} \
                         in it ({refs} reference{s_refs}, the first: {first}); add the file, \
                         or write [] in it for a seed with no {}",
                        kind.plural()
                    ),
                }),
            }
        }
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
