//! Errors the engine reports to its callers (the HTTP layer maps them to status codes).

use crate::store::StoreError;

/// Why an engine operation was refused or failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EngineError {
    /// The task type has no handler here.
    #[error("unknown task type {task_type:?}; known types: {}", known.join(", "))]
    UnknownType {
        /// The type asked for.
        task_type: String,
        /// The types this node knows.
        known: Vec<String>,
    },
    /// A field is out of range or malformed.
    #[error("{0}")]
    Invalid(String),
    /// No task has this id.
    #[error("task {0} not found")]
    NotFound(String),
    /// No cron entry has this name.
    #[error("cron entry {0:?} not found")]
    CronNotFound(String),
    /// The task is not in a state that allows this.
    #[error("{0}")]
    Conflict(String),
    /// The worker no longer holds this lease (it expired and was rescued, the
    /// task was deleted, or the token is wrong): its outcome is not recorded.
    #[error("{0}")]
    LeaseLost(String),
    /// The store cannot be reached now; worth retrying later.
    #[error(
        "storage unavailable, try again later (if it went away while committing, the change may have been applied: a retry with a unique_key is safe)"
    )]
    Unavailable(#[source] StoreError),
    /// The store's disk is full; writes succeed again once space is freed.
    #[error("the database's disk is full: free some space, then try again")]
    Full(#[source] StoreError),
    /// This node is shutting down and takes no new work; another node (or
    /// this one after its restart) will.
    #[error("the server is shutting down; try again on another node or after its restart")]
    ShuttingDown,
    /// An unexpected storage failure.
    #[error("internal storage error")]
    Store(#[source] StoreError),
}

impl From<StoreError> for EngineError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Unavailable(_) => EngineError::Unavailable(error),
            StoreError::Full(_) => EngineError::Full(error),
            StoreError::Conflict(cause) => EngineError::Conflict(cause.to_string()),
            other => EngineError::Store(other),
        }
    }
}
