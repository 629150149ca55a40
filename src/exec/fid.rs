//! The field names plans know, each once, whatever types have it: the compiler (`plan`) turns
//! a document's field names into them, the resolvers (`fields`) match on them.
//!
//! The names of the kinds of entity (`film`, `films`, `group`, `groups`: the root lookups and
//! lists, and the fields that lead to one, like `Track.album` or `Match.teams`) come from the
//! table of kinds, not from a line here, so that a new kind adds no name to this file.
//!
//! Imports: `store` (the table of kinds).

use crate::store::model::Kind;

/// Declares the field names plans know, each once, whatever types have it.
macro_rules! fids {
    ($($variant:ident = $name:literal,)*) => {
        /// A field, by name; which type it is on is the object's business.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum Fid {
            /// `__typename`, which every object has.
            Typename,
            /// A field named as one entity of a kind: `film`, `album`, `match`.
            Entity(Kind),
            /// A field named as the entities of a kind: `films`, `people`, `matches`.
            Entities(Kind),
            $($variant,)*
        }

        impl Fid {
            pub fn from_name(name: &str) -> Option<Fid> {
                if let Some(fid) = kind_field(name) {
                    return Some(fid);
                }
                match name {
                    $($name => Some(Fid::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

/// `Entity(kind)` for the kind's name in lower camel case (`film`), `Entities(kind)` for the
/// name of its table (`films`, `people`).
fn kind_field(name: &str) -> Option<Fid> {
    Kind::ALL.into_iter().find_map(|kind| {
        let (first, rest) = kind.name().split_at(1);
        let (name_first, name_rest) = name.split_at_checked(1)?;
        if name_rest == rest && name_first == first.to_ascii_lowercase() {
            Some(Fid::Entity(kind))
        } else if name == kind.plural() {
            Some(Fid::Entities(kind))
        } else {
            None
        }
    })
}

fids! {
    AlbumsConnection = "albumsConnection", Aliases = "aliases", Amount = "amount",
    Artist = "artist", Author = "author", Authored = "authored",
    AuthoredConnection = "authoredConnection", Awards = "awards", Billing = "billing",
    Cast = "cast", Category = "category", Ceremony = "ceremony", Character = "character",
    City = "city", Coaches = "coaches", Coaching = "coaching", Commentated = "commentated",
    CommentatedConnection = "commentatedConnection", Commentators = "commentators",
    Composer = "composer", Composers = "composers", Credits = "credits", Crew = "crew",
    Currency = "currency", Cursor = "cursor", Date = "date", Depicts = "depicts",
    Directors = "directors", Draw = "draw", Duration = "duration",
    DurationSeconds = "durationSeconds", During = "during", Edges = "edges",
    EditionSize = "editionSize", Editorial = "editorial", EditorialNote = "editorialNote",
    EndCursor = "endCursor", Facts = "facts", FieldName = "field", File = "file",
    Format = "format", From = "from", Genres = "genres", HasNextPage = "hasNextPage",
    HasPreviousPage = "hasPreviousPage", Home = "home", Id = "id", Isbn = "isbn", Kind = "kind",
    Label = "label", Licence = "licence", MatchesConnection = "matchesConnection",
    Members = "members", Name = "name", Neutral = "neutral", Node = "node", Nodes = "nodes",
    Note = "note", Notes = "notes", Number = "number", Numbering = "numbering",
    OriginalTitle = "originalTitle", PageInfo = "pageInfo", Parts = "parts",
    Performer = "performer", Platforms = "platforms", Price = "price", Producers = "producers",
    ProductionCompanies = "productionCompanies", Productions = "productions",
    ProductionsConnection = "productionsConnection", Publisher = "publisher", Rank = "rank",
    Recognition = "recognition", Region = "region", Releases = "releases", Role = "role",
    RuntimeMinutes = "runtimeMinutes", Score = "score", Search = "search", Season = "season",
    Seasons = "seasons", Section = "section", Sku = "sku", Slug = "slug",
    Soundtrack = "soundtrack", Sport = "sport", Stage = "stage", StartCursor = "startCursor",
    Streams = "streams", StreamsConnection = "streamsConnection", Supports = "supports",
    Synopses = "synopses", Synopsis = "synopsis", Text = "text", Title = "title", To = "to",
    TotalCount = "totalCount", TotalDurationSeconds = "totalDurationSeconds",
    Tournament = "tournament", Url = "url", Version = "version", Winner = "winner",
    Work = "work", Writers = "writers", Year = "year",
}
