//! The answer's budget (`store::query::Budget`) kept by async-graphql's executor: its bytes
//! and its deadline, checked field by field through the per-field `resolve` hook.
//!
//! async-graphql builds the whole answer as a tree of values before anything is written, and
//! its resolvers here never wait, so a timer around the execution fires only after it is
//! done: a fan-out over a large catalogue ran for seconds past the timeout and then answered
//! 200 with tens of megabytes. This extension counts what the answer will weigh as its leaves
//! are resolved (each scalar and its key) and reads the clock every
//! [`OBJECTS_PER_CLOCK`](crate::store::query::OBJECTS_PER_CLOCK) fields. Once either is
//! over, every field still to run fails at once with `RESPONSE_TOO_LARGE` or `TIMEOUT`, and
//! the engine refuses the request whole ([`stopped`]). The engine checks the exact size again
//! as it writes the answer; the count here only has to stop the work early.

use std::sync::atomic::{AtomicU8, AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextExecute, NextResolve, ResolveInfo,
};
use async_graphql::{ErrorExtensionValues, Response, ServerError, ServerResult, Value};

use crate::error_code::ErrorCode;
use crate::store::query::{Budget, OBJECTS_PER_CLOCK};

/// Registers [`Spending`] for each request; requests without a [`Budget`] in their data run
/// unchecked.
pub struct KeepBudget;

impl ExtensionFactory for KeepBudget {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(Spending::default())
    }
}

const TOO_LARGE: u8 = 1;
const LATE: u8 = 2;

/// One request's spending so far.
#[derive(Default)]
struct Spending {
    budget: OnceLock<Budget>,
    bytes: AtomicUsize,
    until_clock: AtomicU32,
    /// 0 while within the budget, else [`TOO_LARGE`] or [`LATE`].
    over: AtomicU8,
}

impl Spending {
    /// The refusal once the budget is spent, for the field at hand.
    fn refusal(&self) -> Option<ServerError> {
        let code = match self.over.load(Ordering::Relaxed) {
            TOO_LARGE => ErrorCode::ResponseTooLarge,
            LATE => ErrorCode::Timeout,
            _ => return None,
        };
        Some(coded(code))
    }

    fn check_clock(&self, budget: &Budget) {
        if self
            .until_clock
            .fetch_add(1, Ordering::Relaxed)
            .is_multiple_of(OBJECTS_PER_CLOCK)
            && Instant::now() >= budget.deadline
        {
            self.over.store(LATE, Ordering::Relaxed);
        }
    }
}

/// An error carrying `code`, with the engine's message for it.
fn coded(code: ErrorCode) -> ServerError {
    let message = match code {
        ErrorCode::ResponseTooLarge => "the answer is larger than the server sends",
        _ => "the request took too long",
    };
    let mut error = ServerError::new(message, None);
    let mut extensions = ErrorExtensionValues::default();
    extensions.set("code", code.as_str());
    error.extensions = Some(extensions);
    error
}

/// What a value adds to the answer's JSON, not counting objects (their fields are counted
/// as they are resolved).
fn weight(value: &Value) -> usize {
    match value {
        Value::String(s) => s.len() + 2,
        Value::Enum(e) => e.len() + 2,
        Value::Number(_) => 8,
        Value::Boolean(_) | Value::Null => 5,
        Value::List(items) => 2 + items.iter().map(|v| weight(v) + 1).sum::<usize>(),
        Value::Object(_) | Value::Binary(_) => 2,
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for Spending {
    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        if let Some(budget) = ctx.data_opt::<Budget>() {
            let _ = self.budget.set(*budget);
        }
        next.run(ctx, operation_name).await
    }

    async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        let Some(budget) = self.budget.get() else {
            return next.run(ctx, info).await;
        };
        if let Some(refusal) = self.refusal() {
            return Err(refusal);
        }
        self.check_clock(budget);
        let key = info.alias.unwrap_or(info.name).len() + 4;
        let value = next.run(ctx, info).await?;
        let added = key + value.as_ref().map_or(0, weight);
        if self.bytes.fetch_add(added, Ordering::Relaxed) + added > budget.max_bytes {
            self.over.store(TOO_LARGE, Ordering::Relaxed);
        }
        Ok(value)
    }
}

/// The code of the budget an execution ran out of, if it did: `RESPONSE_TOO_LARGE` or
/// `TIMEOUT`. The engine then refuses the request whole, with no `data`.
pub fn stopped(response: &Response) -> Option<ErrorCode> {
    response.errors.iter().find_map(|e| {
        let code = e.extensions.as_ref()?.get("code")?;
        match code {
            Value::String(c) if c == ErrorCode::ResponseTooLarge.as_str() => {
                Some(ErrorCode::ResponseTooLarge)
            }
            Value::String(c) if c == ErrorCode::Timeout.as_str() => Some(ErrorCode::Timeout),
            _ => None,
        }
    })
}
