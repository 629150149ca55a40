//! The guard's table of bounds for one graph: every field of the schema (read from the
//! committed SDL through `exec::field_shapes`) with its size — one value, a page, or a whole
//! list — and, for each whole list, the largest such list in the graph, measured once when
//! the graph is installed. A query's cost then counts `Competition.matches` as the largest
//! competition's matches, not as one item, at any scale of catalogue.
//!
//! [`fanout`] is the one hand-written part: which list of the store each plain list field
//! reads. `tests/guard_bounds.rs` holds it to the schema: every plain list field must have a
//! measure here, so a new list field cannot go uncosted.

use crate::exec::{FieldShape, field_shapes};
use crate::guard::{Bounds, MAX_PAGE_SIZE, Size};
use crate::store::Store;
use crate::store::model::{Kind, NodeRef};

/// The bounds of every field of the schema over `store`.
pub fn measure(store: &Store) -> Bounds {
    let shapes = field_shapes();
    let mut bounds = Bounds::new();
    for shape in &shapes {
        let size = size(store, &shapes, shape);
        bounds.add(&shape.on, &shape.field, &shape.returns, size);
    }
    bounds
}

/// The size of one field.
fn size(store: &Store, shapes: &[FieldShape], shape: &FieldShape) -> Size {
    if shape.paged {
        return Size::Page;
    }
    // A page's items were counted by the page.
    if !shape.list || shape.on.ends_with("Connection") {
        return Size::One;
    }
    // An interface's list is as long as the longest of its objects' lists.
    let objects: Vec<&str> = shapes
        .iter()
        .filter(|s| s.field == shape.field && s.on != shape.on && implements(&s.on, &shape.on))
        .map(|s| &*s.on)
        .collect();
    let most = if objects.is_empty() {
        fanout(store, &shape.on, &shape.field)
    } else {
        objects
            .iter()
            .filter_map(|on| fanout(store, on, &shape.field))
            .max()
    };
    // A list nobody measured is costed as the largest page: `tests/guard_bounds.rs` makes
    // sure there is none.
    Size::List(most.map_or(MAX_PAGE_SIZE, |n| n as u64))
}

/// Whether `object` implements `interface` (the SDL's interfaces are `Node`, `Work` and
/// `Performer`).
fn implements(object: &str, interface: &str) -> bool {
    match interface {
        "Node" => Kind::from_name(object).is_some(),
        "Work" => matches!(object, "Film" | "Album"),
        "Performer" => matches!(object, "Person" | "Team"),
        _ => false,
    }
}

/// The largest of the lengths.
fn most<T>(items: &[T], len: impl Fn(&T) -> usize) -> Option<usize> {
    Some(items.iter().map(len).max().unwrap_or(0))
}

/// The largest list the plain list field `field` of type `on` gives in `store`, or `None`
/// for a field this table does not know.
pub fn fanout(store: &Store, on: &str, field: &str) -> Option<usize> {
    // What every entity has: its sources and facts.
    if let Some(kind) = Kind::from_name(on) {
        let meta = |f: fn(&crate::store::model::Meta) -> usize| {
            (0..store.len(kind) as u32)
                .map(|idx| f(store.meta(NodeRef { kind, idx })))
                .max()
                .or(Some(0))
        };
        match field {
            "sources" => return meta(|m| m.sources.len()),
            "facts" => return meta(|m| m.facts.len()),
            _ => {}
        }
    }
    let credits = store.credits();
    let coaching = store.coaching();
    // The sources of anything that is not an entity: a statement, a release, an award, a
    // fact, a credit, a coaching.
    let any_sources = || {
        let films = store.films().iter().flat_map(|f| {
            let texts = f.synopses.iter().chain(&f.notes).map(|t| t.sources.len());
            let releases = f.releases.iter().map(|r| r.sources.len());
            let awards = f.awards.iter().map(|a| a.sources.len());
            texts.chain(releases).chain(awards)
        });
        let notes = store
            .people()
            .iter()
            .flat_map(|p| &p.notes)
            .chain(store.teams().iter().flat_map(|t| &t.notes))
            .chain(store.matches().iter().flat_map(|m| &m.notes))
            .chain(store.albums().iter().flat_map(|a| &a.notes))
            .map(|t| t.sources.len());
        let facts = store
            .nodes()
            .flat_map(|n| &store.meta(n).facts)
            .chain(credits.iter().flat_map(|c| &c.facts))
            .chain(coaching.iter().flat_map(|c| &c.facts))
            .map(|f| f.sources.len());
        let links = credits
            .iter()
            .map(|c| c.sources.len())
            .chain(coaching.iter().map(|c| c.sources.len()));
        films
            .chain(notes)
            .chain(facts)
            .chain(links)
            .max()
            .or(Some(0))
    };
    let credit_facts = || most(credits, |c| c.facts.len());
    let of_role = |list: &[u32], role| {
        list.iter()
            .filter(|c| credits.get(**c as usize).is_some_and(|c| c.role == role))
            .count()
    };
    use crate::store::model::Role;
    match (on, field) {
        ("Album", "composers") => most(store.albums(), |a| of_role(&a.credits, Role::Composer)),
        ("Album", "credits") => most(store.albums(), |a| a.credits.len()),
        ("Album", "notes") => most(store.albums(), |a| a.notes.len()),
        ("Company", "productions") => most(store.companies(), |c| c.produced.len()),
        ("Company", "streams") => most(store.companies(), |c| c.streams.len()),
        ("Company", "albums") => most(store.companies(), |c| c.labelled.len()),
        ("Competition", "matches") => most(store.competitions(), |c| c.matches.len()),
        ("Film", "genres") => most(store.films(), |f| f.genres.len()),
        ("Film", "synopses") => most(store.films(), |f| f.synopses.len()),
        ("Film", "releases") => most(store.films(), |f| f.releases.len()),
        ("Film", "awards") => most(store.films(), |f| f.awards.len()),
        ("Film", "notes") => most(store.films(), |f| f.notes.len()),
        ("Film", "directors") => most(store.films(), |f| of_role(&f.crew, Role::Director)),
        ("Film", "writers") => most(store.films(), |f| of_role(&f.crew, Role::Writer)),
        ("Film", "producers") => most(store.films(), |f| of_role(&f.crew, Role::Producer)),
        ("Film", "composers") => most(store.films(), |f| of_role(&f.crew, Role::Composer)),
        ("Film", "crew") => most(store.films(), |f| f.crew.len()),
        ("Film", "productionCompanies") => most(store.films(), |f| f.production_companies.len()),
        ("Film", "platforms") => most(store.films(), |f| f.platforms.len()),
        ("Film", "albums") => most(store.films(), |f| f.albums.len()),
        ("Match", "teams") => most(store.matches(), |m| m.teams.len()),
        ("Match", "commentators") => most(store.matches(), |m| m.commentators.len()),
        ("Match", "films") => most(store.matches(), |m| m.films.len()),
        ("Match", "tracks") => most(store.matches(), |m| m.tracks.len()),
        ("Match", "notes") => most(store.matches(), |m| m.notes.len()),
        ("Person", "notes") => most(store.people(), |p| p.notes.len()),
        ("Person", "albums") => most(store.people(), |p| p.albums.len()),
        ("Person", "coaching") => most(store.people(), |p| p.coaching.len()),
        ("Person", "commentated") => most(store.people(), |p| p.commentated.len()),
        ("Person", "authored") => most(store.people(), |p| p.authored.len()),
        ("Team", "aliases") => most(store.teams(), |t| t.aliases.len()),
        ("Team", "notes") => most(store.teams(), |t| t.notes.len()),
        ("Team", "coaches") => most(store.teams(), |t| t.coaches.len()),
        ("Team", "films") => most(store.teams(), |t| t.credits.len()),
        ("Track", "depicts") => most(store.tracks(), |t| t.depicts.len()),
        ("Track", "genres") => most(store.tracks(), |t| t.genres.len()),
        ("Track", "credits") => most(store.tracks(), |t| t.credits.len()),
        ("Album", "genres") => most(store.albums(), |a| a.genres.len()),
        ("Match", "score") => most(store.matches(), |m| m.score.as_ref().map_or(0, |s| s.len())),
        ("Match", "parts") => most(store.matches(), |m| m.parts.len()),
        ("MatchPart", "score") => store
            .matches()
            .iter()
            .flat_map(|m| &m.parts)
            .map(|p| p.score.len())
            .max()
            .or(Some(0)),
        ("Competition", "seasons") => most(store.competitions(), |c| c.seasons.len()),
        ("Season", "sources") => store
            .competitions()
            .iter()
            .flat_map(|c| &c.seasons)
            .map(|s| s.sources.len())
            .max()
            .or(Some(0)),
        ("Team", "seasons") => most(store.teams(), |t| t.seasons.len()),
        ("TeamSeason", "sources") => store
            .teams()
            .iter()
            .flat_map(|t| &t.seasons)
            .map(|e| e.sources.len())
            .max()
            .or(Some(0)),
        ("Group", "members") => most(store.groups(), |g| g.members.len()),
        ("Group", "notes") => most(store.groups(), |g| g.notes.len()),
        ("Group", "albums") => most(store.groups(), |g| g.albums.len()),
        ("Person", "groups") => most(store.people(), |p| p.groups.len()),
        // `nodes(ids:)` takes at most a page of ids.
        ("Query", "nodes") => Some(MAX_PAGE_SIZE as usize),
        // The reviews' lists have fixed bounds: one count per rating from 1 to 5; at most two
        // user errors per input field (a text can be both too long and hold control
        // characters; `AddReviewInput` has the most fields, six), each naming a path of at
        // most two names (`input`, the field).
        ("ReviewSummary", "ratingCounts") => Some(5),
        (
            "AddReviewPayload" | "EditReviewPayload" | "DeleteReviewPayload" | "HideReviewPayload",
            "userErrors",
        ) => Some(12),
        ("UserError", "field") => Some(2),
        ("Credit" | "CastEdge" | "CreditEdge" | "Coaching", "facts") => {
            credit_facts().max(most(coaching, |c| c.facts.len()))
        }
        (
            "Statement" | "Release" | "Award" | "Fact" | "Credit" | "CastEdge" | "CreditEdge"
            | "Coaching",
            "sources",
        ) => any_sources(),
        _ => None,
    }
}

/// Every plain list field of the schema that [`fanout`] does not measure: empty when the
/// table is whole.
pub fn unmeasured(store: &Store) -> Vec<String> {
    let shapes = field_shapes();
    shapes
        .iter()
        .filter(|s| s.list && !s.paged && !s.on.ends_with("Connection"))
        .filter(|s| !matches!(&*s.on, "Node" | "Work" | "Performer"))
        .filter(|s| fanout(store, &s.on, &s.field).is_none())
        .map(|s| format!("{}.{}", s.on, s.field))
        .collect()
}
