//! Task handlers: the code a task type runs, and the registry of known types.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;

use crate::task::{RawJson, Task};

/// Why an attempt failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskError {
    /// Human-readable reason, stored as `last_error`.
    pub message: String,
    /// A permanent failure ends the task `FAILED` at once, whatever attempts remain.
    pub permanent: bool,
}

impl TaskError {
    /// A failure worth retrying.
    pub fn retryable(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            permanent: false,
        }
    }

    /// A failure no retry can fix.
    pub fn permanent(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            permanent: true,
        }
    }
}

impl fmt::Display for TaskError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// What a successful attempt returns: an optional JSON result.
pub type HandlerResult = Result<Option<RawJson>, TaskError>;

/// The code that runs tasks of one type. Dropping the future cancels the attempt
/// (timeouts and deletions do), so handlers should await rather than block.
#[async_trait]
pub trait TaskHandler: Send + Sync {
    /// Runs one attempt of `task`.
    async fn run(&self, task: &Task) -> HandlerResult;

    /// One line for people: what this type does.
    fn description(&self) -> String;
}

/// The task types this node knows, by name.
#[derive(Clone, Default)]
pub struct Registry {
    handlers: BTreeMap<String, Arc<dyn TaskHandler>>,
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.handlers.keys()).finish()
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

    /// The handler of `task_type`, if known.
    pub fn get(&self, task_type: &str) -> Option<&Arc<dyn TaskHandler>> {
        self.handlers.get(task_type)
    }

    /// Every registered type name, sorted.
    pub fn types(&self) -> Vec<String> {
        self.handlers.keys().cloned().collect()
    }

    /// Every registered type with its description, sorted by name.
    pub fn describe(&self) -> Vec<(String, String)> {
        self.handlers
            .iter()
            .map(|(name, handler)| (name.clone(), handler.description()))
            .collect()
    }
}
