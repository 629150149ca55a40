//! leap-graphql: the world of the 2020 film *Leap* (夺冠) as one linked GraphQL graph.

pub mod cli;
pub mod config;
pub mod engine;
pub mod error_code;
pub mod exec;
pub mod guard;
pub mod http;
pub mod keyed;
pub mod reload;
pub mod reviews;
pub mod schema;
pub mod seed;
pub mod store;
pub mod suggest;
pub mod synth;
pub mod telemetry;
