//! Reading and steering many tasks at once: filtered pages, counts, bulk retry
//! and delete, queues. What the dashboard and the full API use.

use std::collections::BTreeMap;

use serde::Serialize;

use super::Engine;
use super::backlog::{Backlog, backlogs};
use super::tasks::check_id;
use crate::error::EngineError;
use crate::limits::QueueLimits;
use crate::store::{
    BulkDeleted, KeyUsage, MIN_SEARCH_LEN, QueueBacklogParams, Selection, Store,
    TaskDeleteManyParams, TaskFilter, TaskPageParams, TaskRetryManyParams,
};
use crate::task::{EventKind, Task, TaskStatus, Timestamp};

/// The largest page a caller may ask for.
pub const MAX_PAGE_SIZE: usize = 500;
/// The most ids one bulk call may name.
pub const MAX_BULK_IDS: usize = 10_000;
/// How many of a key-limited queue's busiest keys [`Engine::queues`] lists.
pub const BUSIEST_KEYS: usize = 10;

/// Tasks per status, zero included.
pub type StatusCounts = BTreeMap<TaskStatus, u64>;

/// How many tasks are in each status, overall, per type and per queue.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TaskCounts {
    /// Over all tasks.
    #[cfg_attr(feature = "openapi", schema(value_type = BTreeMap<String, u64>))]
    pub by_status: StatusCounts,
    /// Per task type.
    #[cfg_attr(feature = "openapi", schema(value_type = BTreeMap<String, BTreeMap<String, u64>>))]
    pub by_type: BTreeMap<String, StatusCounts>,
    /// Per queue.
    #[cfg_attr(feature = "openapi", schema(value_type = BTreeMap<String, BTreeMap<String, u64>>))]
    pub by_queue: BTreeMap<String, StatusCounts>,
    /// The `QUEUED` tasks of every queue as ready, scheduled and retrying.
    pub backlog: Backlog,
    /// The same per queue (every queue of `by_queue`).
    pub backlog_by_queue: BTreeMap<String, Backlog>,
}

/// A queue, whether it is paused, and its tasks per status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QueueInfo {
    /// The queue name.
    pub name: String,
    /// A paused queue accepts tasks but starts none.
    pub paused: bool,
    /// Its tasks per status; `QUEUED` includes tasks not due yet (see `backlog`).
    #[cfg_attr(feature = "openapi", schema(value_type = BTreeMap<String, u64>))]
    pub counts: StatusCounts,
    /// Its `QUEUED` tasks as ready, scheduled and retrying; `ready` is its depth.
    pub backlog: Backlog,
    /// How long its oldest ready task has waited, in milliseconds (now minus
    /// that task's `run_at`); null when nothing is ready.
    pub lag_ms: Option<u64>,
    /// How many of its tasks may run at once, cluster-wide (`{}`: no limit).
    pub limits: QueueLimits,
    /// When its limits name keys, its ten keys with the most running tasks,
    /// busiest first; empty otherwise.
    pub busiest_keys: Vec<KeyUsage>,
}

/// One page of tasks and the cursor of the next one.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TaskPage {
    /// The tasks of this page.
    pub tasks: Vec<Task>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

fn zeroes() -> StatusCounts {
    TaskStatus::ALL.iter().map(|status| (*status, 0)).collect()
}

/// Refuses filters a store could not answer quickly or sensibly.
pub(super) fn check_filter(filter: &TaskFilter) -> Result<(), EngineError> {
    if let Some(search) = &filter.search
        && search.chars().count() < MIN_SEARCH_LEN
    {
        return Err(EngineError::Invalid(format!(
            "search needs at least {MIN_SEARCH_LEN} characters"
        )));
    }
    if let (Some(after), Some(before)) = (filter.created_after, filter.created_before)
        && after >= before
    {
        return Err(EngineError::Invalid(
            "created_after must be before created_before".into(),
        ));
    }
    Ok(())
}

fn check_selection(selection: &Selection) -> Result<(), EngineError> {
    match selection {
        Selection::Ids(ids) if ids.len() > MAX_BULK_IDS => Err(EngineError::Invalid(format!(
            "at most {MAX_BULK_IDS} ids per call"
        ))),
        Selection::Ids(ids) => ids
            .iter()
            .try_for_each(|id| check_id(id).map_err(|_| invalid_id(id))),
        // A mistyped or emptied filter must never turn into "everything".
        Selection::Filter(filter) if filter.is_empty() => Err(EngineError::Invalid(
            "an empty filter would select every task; select all of them explicitly".into(),
        )),
        Selection::Filter(filter) => check_filter(filter),
        Selection::All => Ok(()),
    }
}

fn invalid_id(id: &str) -> EngineError {
    EngineError::Invalid(format!(
        "{:?} is not a task id",
        id.chars().take(64).collect::<String>()
    ))
}

impl Engine {
    /// One page of tasks matching `params`, with the cursor of the next page.
    pub async fn page(&self, mut params: TaskPageParams) -> Result<TaskPage, EngineError> {
        check_filter(&params.filter)?;
        if !(1..=MAX_PAGE_SIZE).contains(&params.limit) {
            return Err(EngineError::Invalid(format!(
                "limit must be between 1 and {MAX_PAGE_SIZE}"
            )));
        }
        let limit = params.limit;
        // One more than asked tells whether another page follows.
        params.limit += 1;
        let mut tasks = self.shared.store.task_page(&params).await?;
        let next_cursor = (tasks.len() > limit).then(|| {
            tasks.truncate(limit);
            tasks.last().map(|task| task.id.clone())
        });
        Ok(TaskPage {
            tasks,
            next_cursor: next_cursor.flatten(),
        })
    }

    /// Tasks per status, per type and per queue, from the store's counters,
    /// and the backlog: which `QUEUED` tasks are ready, scheduled or retrying.
    pub async fn counts(&self) -> Result<TaskCounts, EngineError> {
        let mut counts = TaskCounts {
            by_status: zeroes(),
            ..TaskCounts::default()
        };
        for row in self.shared.store.task_count_rows().await? {
            *counts.by_status.entry(row.status).or_default() += row.count;
            *counts
                .by_type
                .entry(row.task_type)
                .or_insert_with(zeroes)
                .entry(row.status)
                .or_default() += row.count;
            *counts
                .by_queue
                .entry(row.queue)
                .or_insert_with(zeroes)
                .entry(row.status)
                .or_default() += row.count;
        }
        let later = self
            .shared
            .store
            .queue_backlog(&QueueBacklogParams {
                now: self.shared.now(),
            })
            .await?;
        (counts.backlog, counts.backlog_by_queue) = backlogs(&counts.by_queue, later);
        Ok(counts)
    }

    /// Every queue that has tasks or was paused, with its counts and backlog.
    pub async fn queues(&self) -> Result<Vec<QueueInfo>, EngineError> {
        let counts = self.counts().await?;
        self.queues_of(&counts).await
    }

    /// [`Engine::queues`] with counts the caller already read, so that one
    /// read serves both (as a metrics scrape needs).
    pub async fn queues_of(&self, counts: &TaskCounts) -> Result<Vec<QueueInfo>, EngineError> {
        let (by_queue, backlogs) = (&counts.by_queue, &counts.backlog_by_queue);
        let states = self.shared.store.queue_list().await?;
        let now = self.shared.now();
        let mut queues = Vec::with_capacity(states.len());
        for state in states {
            let backlog = backlogs.get(&state.name).cloned().unwrap_or_default();
            // Only queues that limit keys pay for the per-key read.
            let busiest_keys = if state.limits.limits_keys() {
                self.queue_key_usage(&state.name, BUSIEST_KEYS).await?
            } else {
                Vec::new()
            };
            queues.push(QueueInfo {
                counts: by_queue.get(&state.name).cloned().unwrap_or_else(zeroes),
                lag_ms: backlog.lag_ms(now),
                backlog,
                name: state.name,
                paused: state.paused,
                limits: state.limits,
                busiest_keys,
            });
        }
        Ok(queues)
    }

    /// The time by the engine's clock (the store's clock on a shared store),
    /// the `now` that backlogs are read at.
    pub fn now(&self) -> Timestamp {
        self.shared.now()
    }

    /// One queue as [`Engine::queues`] lists it; a queue with no tasks and
    /// no record (one just resumed) is unpaused and empty.
    pub async fn queue(&self, name: &str) -> Result<QueueInfo, EngineError> {
        let listed = self.queues().await?.into_iter().find(|q| q.name == name);
        Ok(listed.unwrap_or_else(|| QueueInfo {
            name: name.to_owned(),
            paused: false,
            counts: zeroes(),
            backlog: Backlog::default(),
            lag_ms: None,
            limits: QueueLimits::default(),
            busiest_keys: Vec::new(),
        }))
    }

    /// Queues every selected `FAILED` task again; returns the ids retried.
    pub async fn retry_many(&self, selection: &Selection) -> Result<Vec<String>, EngineError> {
        check_selection(selection)?;
        let retried = self
            .shared
            .store
            .task_retry_many(&TaskRetryManyParams {
                selection: selection.clone(),
                now: self.shared.now(),
            })
            .await?;
        if !retried.is_empty() {
            self.shared.work_ready();
        }
        for id in &retried {
            self.shared
                .publish(id, EventKind::RetriedByUser, Some(TaskStatus::Queued));
        }
        Ok(retried)
    }

    /// Deletes every selected task, cancelling attempts that run on this node.
    pub async fn delete_many(&self, selection: &Selection) -> Result<BulkDeleted, EngineError> {
        check_selection(selection)?;
        let deleted = self
            .shared
            .store
            .task_delete_many(&TaskDeleteManyParams {
                selection: selection.clone(),
            })
            .await?;
        for id in &deleted.running {
            self.shared.attempts.cancel(id);
        }
        Ok(deleted)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_filter_is_refused_and_all_must_be_explicit() {
        assert!(check_selection(&Selection::Filter(TaskFilter::default())).is_err());
        assert!(check_selection(&Selection::All).is_ok());
        let failed = TaskFilter {
            status: Some(TaskStatus::Failed),
            ..TaskFilter::default()
        };
        assert!(check_selection(&Selection::Filter(failed)).is_ok());
    }
}
