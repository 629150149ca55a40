//! `Group`: a band, an orchestra, an ensemble.

use async_graphql::{Context, ID, Object, Result};

use super::album::Album;
use super::connection::{OrBadInput, connection};
use super::credit::CreditConnection;
use super::node::entity;
use super::person::Person;
use super::provenance::{Fact, Statement, statements};
use super::query::{lookup, store};
use super::source::Source;
use crate::store::model::{self, Kind};
use crate::store::orders::Order;
use crate::store::query::{self as q, PageArgs, paginate};

entity!(Group, groups, model::Group, Kind::Group);

/// A band, an orchestra or an ensemble: performers credited together.
#[Object]
impl<'a> Group<'a> {
    /// The global id.
    pub async fn id(&self) -> ID {
        self.global_id()
    }
    /// The slug: lowercase, URL-safe, unique among groups.
    pub async fn slug(&self) -> &str {
        &self.record().meta.slug
    }
    /// The name.
    pub async fn name(&self) -> &str {
        &self.record().name
    }
    /// The people in the group, where the documents say.
    async fn members(&self) -> Vec<Person<'a>> {
        let s = self.store;
        self.record()
            .members
            .iter()
            .map(|p| Person::new(s, *p))
            .collect()
    }
    /// The albums the group is the artist of.
    async fn albums(&self) -> Vec<Album<'a>> {
        let s = self.store;
        self.record()
            .albums
            .iter()
            .map(|a| Album::new(s, *a))
            .collect()
    }
    /// Every credit of the group, by year; each edge carries the role.
    async fn credits(
        &self,
        #[graphql(
            desc = "Return the first n credits (0 to 100; 20 when neither first nor last is given)."
        )]
        first: Option<i32>,
        #[graphql(desc = "Return the credits after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n credits (0 to 100).")] last: Option<i32>,
        #[graphql(desc = "Return the credits before this cursor.")] before: Option<String>,
    ) -> Result<CreditConnection<'a>> {
        let args = PageArgs::new(first, after, last, before);
        let list = &self.record().credits;
        Ok(CreditConnection(
            paginate(self.store, list, Order::PersonCredits, false, &args).or_bad_input()?,
        ))
    }
    /// What the documents say about the group.
    async fn notes(&self) -> Vec<Statement<'a>> {
        statements(self.store, &self.record().notes)
    }
    /// The documents this group's facts come from.
    async fn sources(&self) -> Vec<Source<'a>> {
        self.sources_list()
    }
    /// Where each of the group's facts comes from.
    async fn facts(&self) -> Vec<Fact<'a>> {
        self.facts_list()
    }
}

connection!(
    GroupConnection,
    GroupEdge,
    model::Idx,
    Group<'a>,
    "groups",
    |s, i| Group::new(s, i)
);

/// The root fields of groups, merged into `Query`.
#[derive(Default)]
pub struct GroupRoot;

#[Object]
impl GroupRoot {
    /// A group by `id` or `slug` (exactly one).
    async fn group<'a>(
        &self,
        ctx: &Context<'a>,
        #[graphql(desc = "The group's global id.")] id: Option<ID>,
        #[graphql(desc = "The group's slug.")] slug: Option<String>,
    ) -> Result<Option<Group<'a>>> {
        let s = store(ctx)?;
        Ok(lookup(s, Kind::Group, id, slug)?.map(|i| Group::new(s, i)))
    }

    /// Every group, by name.
    async fn groups<'a>(
        &self,
        ctx: &Context<'a>,
        #[graphql(
            desc = "Return the first n groups (0 to 100; 20 when neither first nor last is given)."
        )]
        first: Option<i32>,
        #[graphql(desc = "Return the groups after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n groups (0 to 100).")] last: Option<i32>,
        #[graphql(desc = "Return the groups before this cursor.")] before: Option<String>,
    ) -> Result<GroupConnection<'a>> {
        let s = store(ctx)?;
        let args = PageArgs::new(first, after, last, before);
        Ok(GroupConnection(
            q::label_page(s, Kind::Group, &args).or_bad_input()?,
        ))
    }
}
