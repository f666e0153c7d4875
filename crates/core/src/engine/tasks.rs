//! One task at a time: read, list, history, manual retry, delete (which
//! cancels a running attempt), clear; and queue pauses.

use super::Engine;
use crate::error::EngineError;
use crate::store::{
    QueueSetPausedParams, Store, StoreError, TaskDeleteParams, TaskEventsParams, TaskGetParams,
    TaskListParams, TaskRetryParams,
};
use crate::task::{EventKind, Task, TaskEvent, TaskStatus};

impl Engine {
    /// One task.
    pub async fn get(&self, id: &str) -> Result<Task, EngineError> {
        check_id(id)?;
        self.shared
            .store
            .task_get(&TaskGetParams::new(id))
            .await?
            .ok_or_else(|| EngineError::NotFound(id.to_owned()))
    }

    /// Tasks oldest first, optionally filtered.
    pub async fn list(&self, params: &TaskListParams) -> Result<Vec<Task>, EngineError> {
        Ok(self.shared.store.task_list(params).await?)
    }

    /// A task's history.
    pub async fn history(&self, id: &str) -> Result<Vec<TaskEvent>, EngineError> {
        check_id(id)?;
        self.shared
            .store
            .task_events(&TaskEventsParams::new(id))
            .await
            .map_err(|e| not_found(e, id))
    }

    /// Queues a `FAILED` task again with a fresh attempt budget.
    pub async fn retry(&self, id: &str) -> Result<Task, EngineError> {
        check_id(id)?;
        let task = self
            .shared
            .store
            .task_retry(&TaskRetryParams::new(id, self.shared.now()))
            .await
            .map_err(|e| not_found(e, id))?;
        self.shared.work_ready();
        self.shared
            .publish(id, EventKind::RetriedByUser, Some(TaskStatus::Queued));
        Ok(task)
    }

    /// Deletes a task; a running attempt on this node is cancelled.
    pub async fn delete(&self, id: &str) -> Result<Task, EngineError> {
        check_id(id)?;
        let task = self
            .shared
            .store
            .task_delete(&TaskDeleteParams::new(id))
            .await?
            .ok_or_else(|| EngineError::NotFound(id.to_owned()))?;
        self.shared.attempts.cancel(id);
        self.shared.publish(id, EventKind::Cancelled, None);
        Ok(task)
    }

    /// Deletes every task, cancelling running attempts on this node.
    pub async fn clear(&self) -> Result<u64, EngineError> {
        let count = self.shared.store.task_clear().await?;
        self.shared.attempts.cancel_all();
        Ok(count)
    }

    /// Pauses or resumes a queue.
    pub async fn set_queue_paused(&self, queue: &str, paused: bool) -> Result<(), EngineError> {
        self.shared
            .store
            .queue_set_paused(&QueueSetPausedParams::new(queue, paused, self.shared.now()))
            .await?;
        self.shared.work_ready();
        Ok(())
    }
}

/// The longest id a task can have (UUIDv7 text is 36 bytes; room for other schemes).
const MAX_ID_LEN: usize = 128;

/// Ids no task can have are refused before reaching the store (some stores
/// reject NUL bytes or very long keys outright).
pub(super) fn check_id(id: &str) -> Result<(), EngineError> {
    if id.is_empty() || id.len() > MAX_ID_LEN || id.chars().any(char::is_control) {
        return Err(EngineError::NotFound(id.chars().take(MAX_ID_LEN).collect()));
    }
    Ok(())
}

fn not_found(error: StoreError, id: &str) -> EngineError {
    match error {
        StoreError::NotFound => EngineError::NotFound(id.to_owned()),
        other => other.into(),
    }
}
