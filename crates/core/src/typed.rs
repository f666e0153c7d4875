//! Handlers written as plain `async fn`s over a typed payload: the payload is
//! deserialised before the call and the result serialised after it.

use std::future::Future;
use std::marker::PhantomData;

use async_trait::async_trait;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::context::TaskContext;
use crate::handler::{HandlerResult, TaskError, TaskHandler};

/// A [`TaskHandler`] made from an `async fn(TaskContext, P) -> Result<R, TaskError>`.
pub struct HandlerFn<P, F> {
    f: F,
    description: String,
    payload: PhantomData<fn() -> P>,
}

// By hand: a closure has no `Debug`, and the payload type need not have one.
impl<P, F> std::fmt::Debug for HandlerFn<P, F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HandlerFn")
            .field("description", &self.description)
            .finish_non_exhaustive()
    }
}

/// Wraps `f` as a handler: the payload becomes a `P` (a payload that does not
/// fit fails the task permanently, saying why) and the `R` it returns
/// becomes the task's result (`()` stores none).
///
/// ```
/// use rustqueue_core::{TaskContext, TaskError, typed::handler_fn};
///
/// #[derive(serde::Deserialize)]
/// struct Resize { width: u32 }
///
/// async fn resize(_ctx: TaskContext, job: Resize) -> Result<u32, TaskError> {
///     Ok(job.width / 2)
/// }
///
/// let mut registry = rustqueue_core::Registry::new();
/// registry.register("RESIZE", handler_fn(resize));
/// ```
pub fn handler_fn<P, F, Fut, R>(f: F) -> HandlerFn<P, F>
where
    P: DeserializeOwned + Send + 'static,
    F: Fn(TaskContext, P) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<R, TaskError>> + Send + 'static,
    R: Serialize,
{
    HandlerFn {
        f,
        description: format!("Rust handler taking {}", std::any::type_name::<P>()),
        payload: PhantomData,
    }
}

impl<P, F> HandlerFn<P, F> {
    /// Replaces the description shown in the type list.
    pub fn describe(mut self, description: impl Into<String>) -> Self {
        self.description = description.into();
        self
    }
}

#[async_trait]
impl<P, F, Fut, R> TaskHandler for HandlerFn<P, F>
where
    P: DeserializeOwned + Send + 'static,
    F: Fn(TaskContext, P) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<R, TaskError>> + Send + 'static,
    R: Serialize,
{
    async fn run(&self, ctx: &TaskContext) -> HandlerResult {
        let payload = ctx.payload::<P>()?;
        let output = (self.f)(ctx.clone(), payload).await?;
        to_result(&output)
    }

    fn description(&self) -> String {
        self.description.clone()
    }
}

/// The stored form of a handler's output; `null` (from `()`) stores no result.
fn to_result<R: Serialize>(output: &R) -> HandlerResult {
    let raw = serde_json::value::to_raw_value(output).map_err(|error| {
        TaskError::permanent(format!("the handler's result is not JSON: {error}"))
    })?;
    Ok((raw.get() != "null").then_some(raw))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_stores_no_result() {
        assert_eq!(to_result(&()).map(|r| r.is_none()), Ok(true));
        let some = to_result(&serde_json::json!({"w": 1})).expect("json");
        assert_eq!(
            some.map(|r| r.get().to_owned()).as_deref(),
            Some(r#"{"w":1}"#)
        );
    }
}
