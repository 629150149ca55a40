//! The field names plans know, each once, whatever types have it: the compiler (`plan`) turns
//! a document's field names into them, the resolvers (`fields`) match on them.
//!
//! Imports: nothing of ours.

/// Declares the field names plans know, each once, whatever types have it.
macro_rules! fids {
    ($($variant:ident = $name:literal,)*) => {
        /// A field, by name; which type it is on is the object's business.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum Fid {
            /// `__typename`, which every object has.
            Typename,
            $($variant,)*
        }

        impl Fid {
            pub fn from_name(name: &str) -> Option<Fid> {
                match name {
                    $($name => Some(Fid::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

fids! {
    Artist = "artist", Draw = "draw", Group = "group", Groups = "groups", Home = "home",
    Licence = "licence", Members = "members", Neutral = "neutral", Parts = "parts",
    Score = "score", Season = "season", Seasons = "seasons", Sport = "sport",
    Version = "version",
    Album = "album", Albums = "albums", AlbumsConnection = "albumsConnection",
    Aliases = "aliases", Amount = "amount", Author = "author", Authored = "authored",
    AuthoredConnection = "authoredConnection", Awards = "awards", Billing = "billing",
    Cast = "cast", Category = "category", Ceremony = "ceremony", Character = "character",
    City = "city", Coaches = "coaches", Coaching = "coaching", Commentated = "commentated",
    CommentatedConnection = "commentatedConnection",
    Commentators = "commentators", Companies = "companies", Company = "company",
    Competition = "competition", Competitions = "competitions", Composer = "composer",
    Composers = "composers", Credits = "credits", Crew = "crew", Currency = "currency",
    Cursor = "cursor", Date = "date", Depicts = "depicts", Directors = "directors",
    Duration = "duration", DurationSeconds = "durationSeconds", During = "during",
    Edges = "edges", EditionSize = "editionSize", Editorial = "editorial",
    EditorialNote = "editorialNote", EndCursor = "endCursor", Facts = "facts",
    FieldName = "field", File = "file", Film = "film", Films = "films", Format = "format",
    From = "from", Genres = "genres", HasNextPage = "hasNextPage",
    HasPreviousPage = "hasPreviousPage", Id = "id", Isbn = "isbn", Kind = "kind",
    Label = "label", Match = "match", Matches = "matches",
    MatchesConnection = "matchesConnection", Name = "name", Node = "node",
    Nodes = "nodes", Note = "note", Notes = "notes", Number = "number",
    Numbering = "numbering", OriginalTitle = "originalTitle", PageInfo = "pageInfo",
    People = "people", Performer = "performer", Person = "person", Platforms = "platforms",
    Price = "price", Producers = "producers", ProductionCompanies = "productionCompanies",
    Productions = "productions", ProductionsConnection = "productionsConnection", Publisher = "publisher", Rank = "rank",
    Recognition = "recognition", Region = "region", Releases = "releases", Role = "role",
    RuntimeMinutes = "runtimeMinutes", Search = "search", Section = "section", Sku = "sku",
    Slug = "slug", Soundtrack = "soundtrack", Source = "source", Sources = "sources",
    Stage = "stage", StartCursor = "startCursor", Streams = "streams",
    StreamsConnection = "streamsConnection",
    Supports = "supports", Synopses = "synopses", Synopsis = "synopsis", Team = "team",
    Teams = "teams", Text = "text", Title = "title", To = "to", TotalCount = "totalCount",
    TotalDurationSeconds = "totalDurationSeconds", Tournament = "tournament",
    Track = "track", Tracks = "tracks", Url = "url", Winner = "winner", Work = "work",
    Writers = "writers", Year = "year",
}
