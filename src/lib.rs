//! leap-graphql: the world of the 2020 film *Leap* (夺冠) as one linked GraphQL graph.

pub mod seed;
pub mod store;
