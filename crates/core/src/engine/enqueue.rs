//! Enqueueing: validated requests stored, the dispatcher woken, and each
//! new task published.

use super::Engine;
use crate::enqueue::EnqueueRequest;
use crate::error::EngineError;
use crate::store::{Inserted, Store, StoreError, TaskInsertManyParams};
use crate::task::{EventKind, NewTask, TaskStatus, Timestamp};

impl Engine {
    /// Validates and stores one task, and wakes the dispatcher.
    pub async fn enqueue(&self, request: EnqueueRequest) -> Result<Inserted, EngineError> {
        let now = self.shared.now();
        let task = request.validate(&self.shared.registry, now)?;
        let mut inserted = self.insert(vec![task], now).await?;
        inserted
            .pop()
            .ok_or_else(|| EngineError::Store(StoreError::other("insert returned nothing")))
    }

    /// Validates and stores tasks, all or nothing, and wakes the dispatcher.
    /// A refusal names the task by its place in the batch (`tasks[1]: ...`).
    pub async fn enqueue_many(
        &self,
        requests: Vec<EnqueueRequest>,
    ) -> Result<Vec<Inserted>, EngineError> {
        let now = self.shared.now();
        let tasks = requests
            .into_iter()
            .enumerate()
            .map(|(i, request)| {
                request
                    .validate(&self.shared.registry, now)
                    .map_err(|error| EngineError::Invalid(format!("tasks[{i}]: {error}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        self.insert(tasks, now).await
    }

    /// Stores validated tasks, wakes the dispatcher and publishes the new ones.
    async fn insert(
        &self,
        tasks: Vec<NewTask>,
        now: Timestamp,
    ) -> Result<Vec<Inserted>, EngineError> {
        let shared = &self.shared;
        let inserted = shared
            .store
            .task_insert_many(TaskInsertManyParams { tasks, now })
            .await?;
        shared.work_ready();
        for new in inserted.iter().filter(|i| !i.duplicate) {
            shared.publish(&new.task.id, EventKind::Enqueued, Some(TaskStatus::Queued));
        }
        Ok(inserted)
    }
}
