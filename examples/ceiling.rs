//! The ceiling of the performance benchmark: a bare axum server that answers every request
//! with the same precomputed bytes, on the same runtime the real server uses. Whatever the
//! real server does beyond this is the cost of GraphQL. `cargo run --release --example ceiling
//! -- RESPONSE_FILE [ADDR]` prints `listening on http://ADDR/graphql` like the real server.

use axum::Router;
use axum::body::Bytes;
use axum::http::header;
use axum::routing::any;

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let Some(file) = args.next() else {
        eprintln!("usage: ceiling RESPONSE_FILE [ADDR]");
        std::process::exit(2);
    };
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:0".to_owned());
    let body = Bytes::from(std::fs::read(file)?);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let app = Router::new().route(
            "/graphql",
            any(move || {
                let body = body.clone();
                async move {
                    (
                        [(
                            header::CONTENT_TYPE,
                            "application/graphql-response+json; charset=utf-8",
                        )],
                        body,
                    )
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind(&addr).await?;
        println!("listening on http://{}/graphql", listener.local_addr()?);
        axum::serve(listener, app).await
    })
}
