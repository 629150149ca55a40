//! Starts the real app on port 0 and speaks HTTP to it.

#![allow(dead_code)]

use std::net::SocketAddr;

use leap_graphql::config::Config;
use leap_graphql::http::{AppState, Server};
use serde_json::{Value, json};

pub struct TestServer {
    pub addr: SocketAddr,
    pub client: reqwest::Client,
}

/// The test config: the bundled seed on a free port.
pub fn config() -> Config {
    Config {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        ..Config::default()
    }
}

/// A server on a free port serving the bundled seed, in the background of this test's runtime.
pub async fn spawn() -> TestServer {
    spawn_with(config()).await
}

pub async fn spawn_with(config: Config) -> TestServer {
    spawn_state(config).await.0
}

/// A server and its state, for tests that act on the state (replacing the graph).
pub async fn spawn_state(config: Config) -> (TestServer, AppState) {
    let store = leap_graphql::seed::load_bundled().expect("the bundled seed loads");
    let state = AppState::new(config, store);
    let server = Server::bind(state.clone()).await.expect("binds port 0");
    let addr = server.local_addr().expect("has an address");
    tokio::spawn(server.run());
    let server = TestServer {
        addr,
        client: reqwest::Client::new(),
    };
    (server, state)
}

impl TestServer {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// POSTs a GraphQL request and returns the status and the JSON body.
    pub async fn post(&self, query: &str, variables: Value) -> (u16, Value) {
        let body = json!({ "query": query, "variables": variables });
        let r = self
            .client
            .post(self.url("/graphql"))
            .header("content-type", "application/json")
            .header("accept", "application/graphql-response+json")
            .body(body.to_string())
            .send()
            .await
            .expect("the server answers");
        let status = r.status().as_u16();
        let text = r.text().await.expect("a body");
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    /// POSTs and asserts the response has data and no errors.
    pub async fn data(&self, query: &str, variables: Value) -> Value {
        let (status, body) = self.post(query, variables).await;
        assert_eq!(status, 200, "{body}");
        assert!(body.get("errors").is_none(), "unexpected errors: {body}");
        body["data"].clone()
    }

    /// POSTs and returns the first error's code.
    pub async fn error_code(&self, query: &str, variables: Value) -> String {
        let (_, body) = self.post(query, variables).await;
        body["errors"][0]["extensions"]["code"]
            .as_str()
            .unwrap_or_else(|| panic!("no error code in {body}"))
            .to_owned()
    }
}
