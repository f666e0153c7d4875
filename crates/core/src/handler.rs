//! Task handlers: the code a task type runs, how an attempt ends when it does
//! not succeed, and the registry of known types.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use crate::context::TaskContext;
use crate::task::RawJson;

/// What a failed attempt asks for next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Another attempt after the engine's exponential back-off, if attempts remain.
    Backoff,
    /// Another attempt after this delay instead of the back-off, if attempts remain.
    RetryIn(Duration),
    /// No more attempts: the task ends `FAILED` at once.
    Fail,
    /// Run again after this delay without using up an attempt (not a failure).
    Snooze(Duration),
}

/// Why an attempt did not succeed, and what should happen next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskError {
    /// Human-readable reason, stored as `last_error` (a snooze stores it only in the history).
    pub message: String,
    /// What happens next.
    pub next: Next,
}

impl TaskError {
    /// A failure worth retrying after the usual back-off.
    pub fn retryable(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            next: Next::Backoff,
        }
    }

    /// A failure no retry can fix: the task ends `FAILED` whatever attempts remain.
    pub fn permanent(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            next: Next::Fail,
        }
    }

    /// A failure worth retrying after `delay` rather than the engine's back-off
    /// (a rate limit's `Retry-After`, say); the attempt still counts.
    pub fn retry_in(message: impl Into<String>, delay: Duration) -> Self {
        Self {
            message: message.into(),
            next: Next::RetryIn(delay),
        }
    }

    /// Not a failure: run this task again after `delay`, giving the attempt
    /// back (a resource is busy, a dependency is not ready yet). A task may
    /// snooze any number of times.
    pub fn snooze(delay: Duration) -> Self {
        Self {
            message: format!("snoozed for {}", human(delay)),
            next: Next::Snooze(delay),
        }
    }

    /// Whether the task ends `FAILED` at once.
    pub fn is_permanent(&self) -> bool {
        self.next == Next::Fail
    }
}

/// A delay as people write it: `250 ms`, `1.5 s`.
fn human(delay: Duration) -> String {
    if delay < Duration::from_secs(1) {
        format!("{} ms", delay.as_millis())
    } else {
        format!("{} s", delay.as_secs_f64())
    }
}

impl fmt::Display for TaskError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for TaskError {}

/// What a successful attempt returns: an optional JSON result.
pub type HandlerResult = Result<Option<RawJson>, TaskError>;

/// The code that runs tasks of one type.
///
/// Dropping the future cancels the attempt (timeouts, deletions and shutdown
/// do), so handlers should await rather than block; work moved to other
/// threads should watch [`TaskContext::cancellation`]. For a typed payload
/// and a plain `async fn`, see [`crate::typed::handler_fn`].
#[async_trait]
pub trait TaskHandler: Send + Sync {
    /// Runs one attempt of the context's task.
    async fn run(&self, ctx: &TaskContext) -> HandlerResult;

    /// One line for people: what this type does.
    fn description(&self) -> String;
}

/// The task types this node knows, by name: those it runs itself (with a
/// handler) and those declared for remote workers (run over the worker API).
#[derive(Clone, Default)]
pub struct Registry {
    handlers: BTreeMap<String, Arc<dyn TaskHandler>>,
    /// Types run only by remote workers, with their descriptions.
    remote: BTreeMap<String, String>,
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registry")
            .field("local", &self.handlers.keys().collect::<Vec<_>>())
            .field("remote", &self.remote.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers (or replaces) the handler of `task_type`.
    pub fn register(
        &mut self,
        task_type: impl Into<String>,
        handler: impl TaskHandler + 'static,
    ) -> &mut Self {
        self.handlers.insert(task_type.into(), Arc::new(handler));
        self
    }

    /// Adds every type of `other`; its handlers and remote types replace
    /// those of the same name here.
    pub fn merge(&mut self, other: Registry) -> &mut Self {
        self.handlers.extend(other.handlers);
        self.remote.extend(other.remote);
        self
    }

    /// Declares `task_type` as run by remote workers: enqueues of it are
    /// accepted, and this node leases them out instead of running them.
    /// A type with a local handler stays local.
    pub fn declare_remote(
        &mut self,
        task_type: impl Into<String>,
        description: impl Into<String>,
    ) -> &mut Self {
        self.remote.insert(task_type.into(), description.into());
        self
    }

    /// Whether tasks of `task_type` may be enqueued (run here or remotely).
    pub fn knows(&self, task_type: &str) -> bool {
        self.handlers.contains_key(task_type) || self.remote.contains_key(task_type)
    }

    /// Every type that may be enqueued, sorted.
    pub fn known_types(&self) -> Vec<String> {
        let mut known: Vec<String> = self
            .handlers
            .keys()
            .chain(self.remote.keys())
            .cloned()
            .collect();
        known.sort_unstable();
        known.dedup();
        known
    }

    /// The handler of `task_type`, if known.
    pub fn get(&self, task_type: &str) -> Option<&Arc<dyn TaskHandler>> {
        self.handlers.get(task_type)
    }

    /// Every type this node runs itself (has a handler for), sorted.
    pub fn types(&self) -> Vec<String> {
        self.handlers.keys().cloned().collect()
    }

    /// Every known type with its description, sorted by name; remote types
    /// say that remote workers run them.
    pub fn describe(&self) -> Vec<(String, String)> {
        let local = self
            .handlers
            .iter()
            .map(|(name, handler)| (name.clone(), handler.description()));
        let remote = self
            .remote
            .iter()
            .filter(|(name, _)| !self.handlers.contains_key(*name))
            .map(|(name, description)| {
                (
                    name.clone(),
                    format!("{description} (run by remote workers)"),
                )
            });
        let mut all: Vec<_> = local.chain(remote).collect();
        all.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        all
    }
}
