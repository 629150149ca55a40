//! The root lists' filters and orders, and the page of each root list they select. The
//! filters are plain values: each executor reads its arguments into them.

use super::page::{PageArgs, Paged, paginate};
use super::{QueryError, filter_text};
use crate::store::Store;
use crate::store::model::{Idx, Kind};
use crate::store::orders::Order;
use crate::store::search::fold;
use crate::store::values::PartialDate;

/// What films can be ordered by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum FilmOrderField {
    /// By title, ignoring case and accents.
    #[default]
    Title,
    /// By year of first release, then title.
    Year,
}

/// How to order films: by what, and whether largest first.
#[derive(Clone, Copy, Debug, Default)]
pub struct FilmOrder {
    pub field: FilmOrderField,
    pub descending: bool,
}

/// Which films to list.
#[derive(Clone, Debug, Default)]
pub struct FilmFilter {
    /// Only films first released in this year.
    pub year: Option<i32>,
    /// Only films whose title (or original title) contains this text, ignoring case and accents.
    pub title_contains: Option<String>,
}

/// How to order people: by name, and whether largest first.
#[derive(Clone, Copy, Debug, Default)]
pub struct PersonOrder {
    pub descending: bool,
}

/// Which people to list.
#[derive(Clone, Debug, Default)]
pub struct PersonFilter {
    /// Only people whose name contains this text, ignoring case and accents.
    pub name_contains: Option<String>,
}

/// What matches can be ordered by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum MatchOrderField {
    /// By date; undated matches last.
    #[default]
    Date,
    /// By title.
    Title,
}

/// How to order matches.
#[derive(Clone, Copy, Debug, Default)]
pub struct MatchOrder {
    pub field: MatchOrderField,
    pub descending: bool,
}

/// Which matches to list.
#[derive(Clone, Debug, Default)]
pub struct MatchFilter {
    /// Only matches played in this year.
    pub year: Option<i32>,
    /// Only matches on or after this date (`1981`, `2008-08`, `2016-08-16`).
    pub from: Option<String>,
    /// Only matches on or before this date.
    pub to: Option<String>,
    /// Only matches this team (a slug) played in.
    pub team: Option<String>,
    /// Only matches of this competition (a slug).
    pub competition: Option<String>,
}

/// What tracks can be ordered by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum TrackOrderField {
    /// By track number, then slug.
    #[default]
    Number,
    /// By title, ignoring case and accents.
    Title,
    /// By running time, then track number.
    Duration,
}

/// How to order tracks.
#[derive(Clone, Copy, Debug, Default)]
pub struct TrackOrder {
    pub field: TrackOrderField,
    pub descending: bool,
}

/// Which tracks to list.
#[derive(Clone, Debug, Default)]
pub struct TrackFilter {
    /// Only tracks of this album (a slug).
    pub album: Option<String>,
    /// Only tracks whose title contains this text, ignoring case and accents.
    pub title_contains: Option<String>,
    /// Only tracks at least this many seconds long.
    pub min_duration_seconds: Option<i32>,
    /// Only tracks at most this many seconds long.
    pub max_duration_seconds: Option<i32>,
}

/// Keeps the indices of `list` (in its order) for which `keep` holds.
fn filtered(list: &[Idx], keep: impl Fn(Idx) -> bool) -> Vec<Idx> {
    list.iter().copied().filter(|i| keep(*i)).collect()
}

fn parse_date(text: &str, arg: &'static str) -> Result<PartialDate, QueryError> {
    PartialDate::parse(text).map_err(|e| QueryError::BadDate {
        arg,
        message: e.to_string(),
    })
}

/// The page of `films` the arguments select; both executors call it.
pub fn films_page<'a>(
    s: &'a Store,
    args: &PageArgs,
    filter: Option<FilmFilter>,
    order_by: Option<FilmOrder>,
) -> Result<Paged<'a, Idx>, QueryError> {
    let order_by = order_by.unwrap_or_default();
    let (list, order) = match order_by.field {
        FilmOrderField::Title => (s.orders().label(Kind::Film), Order::Label(Kind::Film)),
        FilmOrderField::Year => (s.orders().films_by_year.as_slice(), Order::FilmYear),
    };
    let desc = order_by.descending;
    let Some(filter) = filter else {
        return paginate(s, list, order, desc, args);
    };
    let title = filter
        .title_contains
        .as_deref()
        .map(|t| filter_text(t, "titleContains"))
        .transpose()?;
    let list = filtered(list, |i| {
        let f = &s.films()[i as usize];
        filter.year.is_none_or(|y| f.year.map(i32::from) == Some(y))
            && title.as_deref().is_none_or(|t| {
                fold(&f.title).contains(t)
                    || f.original_title
                        .as_deref()
                        .is_some_and(|o| fold(o).contains(t))
            })
    });
    paginate(s, &list, order, desc, args)
}

/// The page of `people` the arguments select; both executors call it.
pub fn people_page<'a>(
    s: &'a Store,
    args: &PageArgs,
    filter: Option<PersonFilter>,
    order_by: Option<PersonOrder>,
) -> Result<Paged<'a, Idx>, QueryError> {
    let order_by = order_by.unwrap_or_default();
    let (list, order) = (s.orders().label(Kind::Person), Order::Label(Kind::Person));
    let desc = order_by.descending;
    match filter.and_then(|f| f.name_contains) {
        None => paginate(s, list, order, desc, args),
        Some(name) => {
            let name = filter_text(&name, "nameContains")?;
            let list = filtered(list, |i| fold(&s.people()[i as usize].name).contains(&name));
            paginate(s, &list, order, desc, args)
        }
    }
}

/// The page of `matches` the arguments select; both executors call it.
pub fn matches_page<'a>(
    s: &'a Store,
    args: &PageArgs,
    filter: Option<MatchFilter>,
    order_by: Option<MatchOrder>,
) -> Result<Paged<'a, Idx>, QueryError> {
    let order_by = order_by.unwrap_or_default();
    let (list, order) = match order_by.field {
        MatchOrderField::Date => (s.orders().matches_by_date.as_slice(), Order::MatchDate),
        MatchOrderField::Title => (s.orders().label(Kind::Match), Order::Label(Kind::Match)),
    };
    let desc = order_by.descending;
    let Some(f) = filter else {
        return paginate(s, list, order, desc, args);
    };
    let from = f
        .from
        .as_deref()
        .map(|d| parse_date(d, "from"))
        .transpose()?;
    let to = f.to.as_deref().map(|d| parse_date(d, "to")).transpose()?;
    // A slug that names nothing matches nothing; it is not an error, as with lookups.
    let team = f.team.as_deref().map(|t| s.find(Kind::Team, t));
    let competition = f
        .competition
        .as_deref()
        .map(|c| s.find(Kind::Competition, c));
    let list = filtered(list, |i| {
        let m = &s.matches()[i as usize];
        let date = m.date;
        f.year
            .is_none_or(|y| date.is_some_and(|d| i32::from(d.year) == y))
            && from.is_none_or(|from| date.is_some_and(|d| d >= from || from.contains(&d)))
            && to.is_none_or(|to| date.is_some_and(|d| d <= to || to.contains(&d)))
            && team.is_none_or(|t| t.is_some_and(|t| m.teams.contains(&t)))
            && competition.is_none_or(|c| c.is_some() && m.competition == c)
    });
    paginate(s, &list, order, desc, args)
}

/// The page of `tracks` the arguments select; both executors call it.
pub fn tracks_page<'a>(
    s: &'a Store,
    args: &PageArgs,
    filter: Option<TrackFilter>,
    order_by: Option<TrackOrder>,
) -> Result<Paged<'a, Idx>, QueryError> {
    let order_by = order_by.unwrap_or_default();
    let (list, order) = match order_by.field {
        TrackOrderField::Number => (s.orders().tracks_by_number.as_slice(), Order::TrackNumber),
        TrackOrderField::Title => (s.orders().tracks_by_title.as_slice(), Order::TrackTitle),
        TrackOrderField::Duration => (
            s.orders().tracks_by_duration.as_slice(),
            Order::TrackDuration,
        ),
    };
    let desc = order_by.descending;
    let Some(f) = filter else {
        return paginate(s, list, order, desc, args);
    };
    let title = f
        .title_contains
        .as_deref()
        .map(|t| filter_text(t, "titleContains"))
        .transpose()?;
    let album = f.album.as_deref().map(|a| s.find(Kind::Album, a));
    let list = filtered(list, |i| {
        let t = &s.tracks()[i as usize];
        // A track of unknown duration matches no bound on it.
        let secs = t.duration.as_ref().map(|d| i64::from(d.seconds));
        album.is_none_or(|a| a == Some(t.album))
            && title.as_deref().is_none_or(|q| fold(&t.title).contains(q))
            && f.min_duration_seconds
                .is_none_or(|m| secs.is_some_and(|s| s >= i64::from(m)))
            && f.max_duration_seconds
                .is_none_or(|m| secs.is_some_and(|s| s <= i64::from(m)))
    });
    paginate(s, &list, order, desc, args)
}

/// The page of a root list that is only ordered by label (`teams`, `albums`, `companies`,
/// `competitions`, `sources`): every entity of `kind`, by name or title.
pub fn label_page<'a>(
    s: &'a Store,
    kind: Kind,
    args: &PageArgs,
) -> Result<Paged<'a, Idx>, QueryError> {
    paginate(s, s.orders().label(kind), Order::Label(kind), false, args)
}
