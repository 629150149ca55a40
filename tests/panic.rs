//! A panic while answering a request is a 500 with a JSON body, a stable code and nothing of
//! the internals, and the server goes on answering. No resolver can be made to panic on
//! purpose, so the test adds a route that does, inside the same layer stack as the server.

use axum::routing::get;
use leap_graphql::config::Config;
use leap_graphql::http::{AppState, app_with_routes, routes};
use serde_json::{Value, json};

/// What the panicking route says; it must not reach the client.
const SECRET: &str = "the secret internals of the panic";

async fn boom() -> &'static str {
    panic!("{SECRET}")
}

#[tokio::test]
async fn a_panic_is_a_500_that_says_nothing_and_the_server_keeps_answering() {
    let store = leap_graphql::seed::load_bundled().expect("the bundled seed loads");
    let state = AppState::new(Config::default(), store);
    let app = app_with_routes(state.clone(), routes(state).route("/boom", get(boom)));
    // A router only to hand the app to `axum::serve`.
    let router = axum::Router::new().fallback_service(app);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binds port 0");
    let addr = listener.local_addr().expect("has an address");
    tokio::spawn(async move { axum::serve(listener, router).await });
    let client = reqwest::Client::new();

    for attempt in 0..3 {
        let response = client
            .get(format!("http://{addr}/boom"))
            .send()
            .await
            .unwrap_or_else(|e| panic!("attempt {attempt}: no answer: {e}"));
        assert_eq!(response.status().as_u16(), 500, "attempt {attempt}");
        assert_eq!(
            response
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok()),
            Some("application/json; charset=utf-8"),
            "attempt {attempt}"
        );
        let text = response.text().await.expect("a body");
        assert!(!text.contains(SECRET), "the panic message leaked: {text}");
        assert!(!text.contains("panicked"), "{text}");
        let body: Value = serde_json::from_str(&text).expect("the body is JSON");
        assert_eq!(
            body,
            json!({ "errors": [{
                "message": "internal server error",
                "extensions": { "code": "INTERNAL_SERVER_ERROR" }
            }] }),
        );

        // The panic took down neither the connection's server nor the GraphQL route.
        let response = client
            .post(format!("http://{addr}/graphql"))
            .header("content-type", "application/json")
            .body(json!({ "query": r#"{ film(slug: "leap") { title } }"# }).to_string())
            .send()
            .await
            .expect("the server still answers");
        assert_eq!(response.status().as_u16(), 200);
        let body: Value = response.json().await.expect("a JSON body");
        assert_eq!(body["data"]["film"]["title"], "Leap", "{body}");
    }
}
