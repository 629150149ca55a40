//! What the subcommands do, apart from parsing their arguments (main.rs does that).

use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;

use crate::config::{LogFormat, SeedSource};
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
                    let file = crate::store::kind_table(*k).1;
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

/// `leap-graphql query`: runs one operation in-process and prints the JSON response.
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
    let mut request = async_graphql::Request::new(document)
        .variables(async_graphql::Variables::from_json(variables))
        .data(Arc::new(store));
    if let Some(name) = operation_name {
        request = request.operation_name(name);
    }
    let schema = crate::schema::build();
    let response = match tokio::runtime::Builder::new_current_thread().build() {
        Ok(rt) => rt.block_on(schema.execute(request)),
        Err(e) => {
            eprintln!("cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let ok = response.errors.is_empty();
    match serde_json::to_string_pretty(&response) {
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
