//! What the subcommands do, apart from parsing their arguments (main.rs does that).
//!
//! On top of the house: may import anything. `query` runs through the engine, as the server
//! does; `serve` is in `http`.

use std::io::Write;
use std::process::ExitCode;

use crate::config::{Config, LogFormat, SeedSource};
use crate::engine::cache::Coding;
use crate::engine::{self, Answer, Engine, Media, Raw};
use crate::seed::{self, Report};
use crate::store::Store;

pub fn load(source: &SeedSource) -> Result<Store, Report> {
    match source {
        SeedSource::Bundled => seed::load_bundled(),
        SeedSource::Dir(dir) => seed::load_dir(dir),
    }
}

/// Sets up logging for the process; see `telemetry::logging`. `main` keeps the guard until
/// the end.
pub fn init_logging(format: LogFormat) -> Option<crate::telemetry::log_writer::LogWriterGuard> {
    crate::telemetry::logging::init(format)
}

/// `leap-graphql check`: prints every problem, or a summary of what loaded.
pub fn check(source: &SeedSource) -> ExitCode {
    match load(source) {
        Ok(store) => {
            let counts: Vec<String> = crate::store::model::Kind::ALL
                .iter()
                .map(|k| {
                    let file = k.seed_file();
                    format!("{} {}", file.trim_end_matches(".json"), store.len(*k))
                })
                .collect();
            let _ = writeln!(std::io::stdout(), "ok: {}", counts.join(", "));
            ExitCode::SUCCESS
        }
        Err(report) => {
            let _ = writeln!(std::io::stdout(), "{report}");
            ExitCode::FAILURE
        }
    }
}

/// `leap-graphql query`: runs one operation in-process and prints the JSON response. It goes
/// through the same engine as the server (guard, limits, plans, both executors), as a `POST`
/// whose body holds the document, so that a document the server refuses is refused here with
/// the same code; it exits with failure on any error.
pub fn query(
    source: &SeedSource,
    document: &str,
    variables: Option<&str>,
    operation_name: Option<&str>,
) -> ExitCode {
    let store = match load(source) {
        Ok(s) => s,
        Err(report) => {
            eprintln!("{report}");
            return ExitCode::FAILURE;
        }
    };
    let variables = match variables.map(serde_json::from_str::<serde_json::Value>) {
        None => serde_json::Value::Object(Default::default()),
        Some(Ok(v @ serde_json::Value::Object(_))) => v,
        Some(_) => {
            eprintln!("--variables must be a JSON object");
            return ExitCode::FAILURE;
        }
    };
    let body = serde_json::json!({
        "query": document,
        "variables": variables,
        "operationName": operation_name,
    });
    let body = axum::body::Bytes::from(body.to_string());
    let config = Config {
        seed: source.clone(),
        ..Config::default()
    };
    let engine = Engine::new(
        &config,
        |_, body| axum::body::Bytes::copy_from_slice(body),
        crate::reviews::Reviews::ephemeral(),
    );
    engine.install(store, &());
    let request = engine::Request {
        raw: Raw::Body(&body),
        media: Media::Json,
        coding: Coding::Identity,
        caller: engine::Caller::default(),
    };
    let outcome = match tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
    {
        Ok(rt) => rt.block_on(engine.execute(request, &())),
        Err(e) => {
            eprintln!("cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let (ok, body) = match outcome.answer {
        Answer::Clean(cached) => (true, cached.body),
        Answer::WithErrors(body) => (false, body),
        Answer::Refused(refusal) => (false, refusal.body().into()),
    };
    let pretty = serde_json::from_slice::<serde_json::Value>(&body)
        .and_then(|v| serde_json::to_string_pretty(&v));
    match pretty {
        // A closed pipe (`| head`) is not worth a panic.
        Ok(json) => {
            let _ = writeln!(std::io::stdout(), "{json}");
        }
        Err(e) => {
            eprintln!("cannot print the response: {e}");
            return ExitCode::FAILURE;
        }
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// The reviews a server with `config` serves: from its database, or in memory without one.
pub async fn open_reviews(
    config: &Config,
) -> Result<std::sync::Arc<crate::reviews::Reviews>, crate::reviews::StorageError> {
    use crate::reviews::sqlite::{Holder, Sqlite};
    match &config.writes.database {
        None => Ok(crate::reviews::Reviews::ephemeral()),
        Some(url) => {
            let db = Sqlite::open(url, Holder::Server).await?;
            crate::reviews::Reviews::open(Box::new(db)).await
        }
    }
}

/// Runs one database command on a small runtime, printing its error.
fn with_database<F, Fut>(url: &str, holder: crate::reviews::sqlite::Holder, run: F) -> ExitCode
where
    F: FnOnce(crate::reviews::sqlite::Sqlite) -> Fut,
    Fut: std::future::Future<Output = Result<(), String>>,
{
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let done = runtime.block_on(async {
        let db = crate::reviews::sqlite::Sqlite::open(url, holder)
            .await
            .map_err(|e| e.to_string())?;
        run(db).await
    });
    match done {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}

/// `leap-graphql manifest DIR`: prints Apollo's persisted-query manifest of the `.graphql`
/// files in `dir`, one operation each, in the order of their names; every problem (a file
/// that does not parse, holds no operation or several, an anonymous operation, a name used
/// twice) goes to stderr with its file, and then nothing is printed.
pub fn manifest(dir: &std::path::Path) -> ExitCode {
    match manifest_of(dir) {
        Ok(manifest) => {
            let text = serde_json::to_string_pretty(&manifest).unwrap_or_default();
            let _ = writeln!(std::io::stdout(), "{text}");
            ExitCode::SUCCESS
        }
        Err(problems) => {
            for p in &problems {
                eprintln!("{p}");
            }
            ExitCode::FAILURE
        }
    }
}

/// `leap-graphql reviews export`: every review, one JSON object a line, oldest first.
pub fn export_reviews(url: &str) -> ExitCode {
    use crate::reviews::sqlite::Holder;
    with_database(url, Holder::Reader, |db| async move {
        let reviews = db.export().await.map_err(|e| e.to_string())?;
        let mut out = std::io::BufWriter::new(std::io::stdout().lock());
        for r in reviews {
            let line = serde_json::to_string(&r).map_err(|e| e.to_string())?;
            writeln!(out, "{line}").map_err(|e| e.to_string())?;
        }
        out.flush().map_err(|e| e.to_string())
    })
}

/// `leap-graphql reviews import`: reviews as `export` writes them, from stdin, in one
/// transaction; refused while a server holds the database.
pub fn import_reviews(url: &str) -> ExitCode {
    use std::io::BufRead;

    use crate::reviews::sqlite::{Exported, Holder};
    let mut reviews = Vec::new();
    for (n, line) in std::io::stdin().lock().lines().enumerate() {
        let line = match line {
            Ok(line) => line,
            Err(e) => {
                eprintln!("cannot read line {}: {e}", n + 1);
                return ExitCode::FAILURE;
            }
        };
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<Exported>(&line) {
            Ok(r) if (1..=5).contains(&r.rating) => reviews.push(r),
            Ok(_) => {
                eprintln!("line {}: the rating must be from 1 to 5", n + 1);
                return ExitCode::FAILURE;
            }
            Err(e) => {
                eprintln!("line {}: {e}", n + 1);
                return ExitCode::FAILURE;
            }
        }
    }
    with_database(url, Holder::Writer, |db| async move {
        let added = db.import(&reviews).await.map_err(|e| e.to_string())?;
        println!("imported {added} of {} reviews", reviews.len());
        Ok(())
    })
}

/// `leap-graphql backup FILE`: a consistent snapshot of the review database, beside a server.
pub fn backup(url: &str, file: &std::path::Path) -> ExitCode {
    use crate::reviews::sqlite::Holder;
    with_database(url, Holder::Reader, |db| async move {
        db.backup(file).await.map_err(|e| e.to_string())?;
        println!("wrote {}", file.display());
        Ok(())
    })
}

fn manifest_of(dir: &std::path::Path) -> Result<serde_json::Value, Vec<String>> {
    use crate::engine::trusted::{APOLLO_FORMAT, hex, sha256};
    use async_graphql::parser::types::{DocumentOperations, OperationType};

    let entries = std::fs::read_dir(dir)
        .map_err(|e| vec![format!("{}: cannot read the folder: {e}", dir.display())])?;
    let mut files: Vec<std::path::PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "graphql") && p.is_file())
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(vec![format!("{}: no .graphql files", dir.display())]);
    }
    let mut problems = Vec::new();
    let mut operations = Vec::new();
    let mut names: std::collections::BTreeMap<String, String> = Default::default();
    for path in files {
        let file = path.display().to_string();
        let body = match std::fs::read_to_string(&path) {
            Ok(body) => body,
            Err(e) => {
                problems.push(format!("{file}: cannot read it: {e}"));
                continue;
            }
        };
        let doc = match async_graphql::parser::parse_query(&body) {
            Ok(doc) => doc,
            Err(e) => {
                problems.push(format!("{file}: {e}"));
                continue;
            }
        };
        let (name, ty) = match &doc.operations {
            DocumentOperations::Single(op) => (None, op.node.ty),
            DocumentOperations::Multiple(ops) if ops.len() == 1 => {
                let Some((name, op)) = ops.iter().next() else {
                    continue;
                };
                (Some(name.to_string()), op.node.ty)
            }
            DocumentOperations::Multiple(ops) => {
                problems.push(format!(
                    "{file}: holds {} operations; a manifest's entry is one operation",
                    ops.len()
                ));
                continue;
            }
        };
        let Some(name) = name else {
            problems.push(format!(
                "{file}: the operation has no name; clients and the metrics know operations by name"
            ));
            continue;
        };
        if let Some(first) = names.insert(name.clone(), file.clone()) {
            problems.push(format!(
                "{file}: the operation name {name} is used by {first} too"
            ));
            continue;
        }
        let ty = match ty {
            OperationType::Query => "query",
            OperationType::Mutation => "mutation",
            OperationType::Subscription => "subscription",
        };
        operations.push(serde_json::json!({
            "id": hex(&sha256(&body)),
            "body": body,
            "name": name,
            "type": ty,
        }));
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(serde_json::json!({
        "format": APOLLO_FORMAT,
        "version": 1,
        "operations": operations,
    }))
}
