//! The storage seam: one trait every backend implements, with shared parameter
//! types and errors. Backends are pure storage: each transition is one atomic
//! statement or transaction, and every business rule lives in the engine.

pub mod memory;

use std::collections::BTreeMap;

use async_trait::async_trait;

use crate::task::{
    EventKind, NewTask, RawJson, Task, TaskEvent, TaskStatus, Timestamp, Transition,
};

/// What went wrong in a store, mapped from each driver's errors in one place.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The task (or other record) does not exist.
    #[error("not found")]
    NotFound,
    /// The record is not in a state that allows the change.
    #[error("conflict: {0}")]
    Conflict(String),
    /// A fault worth retrying: the database is unreachable, busy or restarting.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// Anything else, with its cause.
    #[error("store error: {0}")]
    Other(String),
}

/// A `Result` whose error is a [`StoreError`].
pub type StoreResult<T> = Result<T, StoreError>;

/// One inserted task, or the unfinished task that already held its unique key.
#[derive(Debug, Clone)]
pub struct Inserted {
    /// The stored task (the existing one when `duplicate`).
    pub task: Task,
    /// True when nothing was created because of `unique_key`.
    pub duplicate: bool,
}

/// What to claim: ready tasks of the given types from unpaused queues.
#[derive(Debug, Clone)]
pub struct ClaimParams {
    /// Only tasks of these types (the ones this node can run).
    pub types: Vec<String>,
    /// The most tasks to claim.
    pub limit: usize,
    /// Tasks with `run_at <= now` are ready.
    pub now: Timestamp,
    /// The lease lasts until this time unless renewed.
    pub lease_expires_at: Timestamp,
    /// Written on every claimed task; finishing and heartbeats must present it.
    pub lease_token: i64,
}

/// The identity of one lease: a task and the token its claim wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LeaseToken(pub i64);

/// A claimed task together with its lease token.
#[derive(Debug, Clone)]
pub struct Lease {
    /// The task, already `INPROGRESS` with `attempts` incremented.
    pub task: Task,
    /// The token the claim wrote.
    pub token: LeaseToken,
    /// When the lease runs out unless renewed.
    pub expires_at: Timestamp,
}

/// How an attempt ended, decided by the engine.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// `COMPLETED`, with the handler's result.
    Completed {
        /// The handler's result, if any.
        result: Option<RawJson>,
    },
    /// Back to `QUEUED`, not before `run_at`; the attempt counts.
    Retry {
        /// When the next attempt may start.
        run_at: Timestamp,
        /// Why the attempt failed.
        error: String,
    },
    /// `FAILED` for good (until a manual retry).
    Failed {
        /// Why.
        error: String,
    },
    /// Back to `QUEUED` at once, and the attempt does not count (shutdown hand-back).
    Released,
}

impl Outcome {
    /// The status a task is in once this outcome is applied.
    pub fn status(&self) -> TaskStatus {
        match self {
            Outcome::Completed { .. } => TaskStatus::Completed,
            Outcome::Failed { .. } => TaskStatus::Failed,
            Outcome::Retry { .. } | Outcome::Released => TaskStatus::Queued,
        }
    }
}

/// One guarded transition out of `INPROGRESS`.
#[derive(Debug, Clone)]
pub struct Finish {
    /// The task.
    pub task_id: String,
    /// Applied only while the task is `INPROGRESS` under this token.
    pub token: LeaseToken,
    /// With `Some(t)`, applied only if the lease expired at or before `t`
    /// (the reaper's guard against a heartbeat that just renewed it).
    pub expired_by: Option<Timestamp>,
    /// The new state.
    pub outcome: Outcome,
    /// The history event to record.
    pub event: EventKind,
    /// The event's message (usually the error).
    pub message: Option<String>,
}

impl Finish {
    /// An unconditional finish of `lease` (no expiry guard).
    pub fn new(lease: &Lease, outcome: Outcome, event: EventKind, message: Option<String>) -> Self {
        Self {
            task_id: lease.task.id.clone(),
            token: lease.token,
            expired_by: None,
            outcome,
            event,
            message,
        }
    }
}

/// Which tasks to list (the original `GET /api/jobs`).
#[derive(Debug, Clone, Default)]
pub struct ListParams {
    /// Only tasks with this status.
    pub status: Option<TaskStatus>,
    /// At most this many, oldest first.
    pub limit: Option<usize>,
}

/// Which tasks a page, a count or a bulk operation concerns; every field narrows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TaskFilter {
    /// Only this status.
    pub status: Option<TaskStatus>,
    /// Only this type.
    pub task_type: Option<String>,
    /// Only this queue.
    pub queue: Option<String>,
    /// Only tasks whose id or payload text contains this, ignoring ASCII case.
    /// At least [`MIN_SEARCH_LEN`] characters (stores may index trigrams).
    pub search: Option<String>,
    /// Only tasks created at or after this time.
    pub created_after: Option<Timestamp>,
    /// Only tasks created before this time.
    pub created_before: Option<Timestamp>,
}

impl TaskFilter {
    /// Whether `task` passes every field of the filter (the reference semantics stores follow).
    pub fn matches(&self, task: &Task) -> bool {
        self.status.is_none_or(|status| task.status == status)
            && self
                .task_type
                .as_deref()
                .is_none_or(|t| task.task_type == t)
            && self.queue.as_deref().is_none_or(|q| task.queue == q)
            && self
                .created_after
                .is_none_or(|after| task.created_at >= after)
            && self
                .created_before
                .is_none_or(|before| task.created_at < before)
            && self.search.as_deref().is_none_or(|needle| {
                contains_ignoring_ascii_case(&task.id, needle)
                    || contains_ignoring_ascii_case(task.payload.get(), needle)
            })
    }
}

fn contains_ignoring_ascii_case(haystack: &str, needle: &str) -> bool {
    let (haystack, needle) = (haystack.as_bytes(), needle.as_bytes());
    needle.is_empty()
        || haystack
            .windows(needle.len())
            .any(|window| window.eq_ignore_ascii_case(needle))
}

/// The shortest search text a filter may hold.
pub const MIN_SEARCH_LEN: usize = 3;

/// The order of a page; ids sort by creation, so this is by age.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum PageOrder {
    /// Newest first (the dashboard's default).
    #[default]
    NewestFirst,
    /// Oldest first.
    OldestFirst,
}

/// One page of a filtered list, by keyset: no offset, so every page costs the same.
#[derive(Debug, Clone, Default)]
pub struct PageParams {
    /// Which tasks.
    pub filter: TaskFilter,
    /// Which way.
    pub order: PageOrder,
    /// Only tasks strictly after this id in `order` (the previous page's last id).
    pub after: Option<String>,
    /// At most this many.
    pub limit: usize,
}

/// Which tasks a bulk operation touches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// These ids (unknown ones are ignored).
    Ids(Vec<String>),
    /// Every task the filter matches.
    Filter(TaskFilter),
}

/// How many tasks of one queue and type are in one status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountRow {
    /// The queue.
    pub queue: String,
    /// The task type.
    pub task_type: String,
    /// The status.
    pub status: TaskStatus,
    /// How many (rows with 0 may be omitted).
    pub count: u64,
}

/// What a bulk delete removed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BulkDeleted {
    /// How many tasks were deleted.
    pub count: u64,
    /// The ids of deleted tasks that were `INPROGRESS` (their attempts should be cancelled).
    pub running: Vec<String>,
}

/// A queue and whether it is paused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueState {
    /// The queue name.
    pub name: String,
    /// A paused queue accepts tasks but starts none.
    pub paused: bool,
}

/// Transitions one node shares with the other nodes of a shared store, so
/// that every node's live view shows the whole cluster.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TransitionBatch {
    /// The transitions, in the order they happened.
    pub transitions: Vec<Transition>,
    /// How many more happened that were not shared (too many to send one by
    /// one); a receiver should reload what it shows.
    pub skipped: u64,
}

/// The storage of tasks, their history and queue states.
///
/// Every method that changes a task also appends its history event in the
/// same transaction. Methods take `now` from the caller's clock; stores keep
/// times to the microsecond, so callers pass microsecond-precise times.
#[async_trait]
pub trait Store: Send + Sync + std::fmt::Debug {
    /// True when no other process can share this store, so any `INPROGRESS`
    /// task found at start-up belongs to a dead process and can be recovered at once.
    fn is_exclusive(&self) -> bool;

    /// Fires when another process may have made work ready (an insert, a
    /// retry, a resumed queue), so an idle dispatcher starts it at once.
    /// `None` for stores only this process writes.
    fn work_signal(&self) -> Option<std::sync::Arc<tokio::sync::Notify>> {
        None
    }

    /// Shares this node's transitions with the other nodes of a shared store.
    /// Best effort: a lost batch only leaves other nodes' live views behind
    /// until they reload. Stores only this process writes ignore it.
    async fn transitions_share(&self, _batch: TransitionBatch) -> StoreResult<()> {
        Ok(())
    }

    /// Transitions shared by the other nodes (never this node's own); `None`
    /// for stores only this process writes.
    fn transitions_feed(&self) -> Option<tokio::sync::broadcast::Receiver<TransitionBatch>> {
        None
    }

    /// Takes this turn of the periodic job `job` (the reaper): true for one
    /// caller per `every` among all the nodes sharing the store, so the job
    /// runs once per tick cluster-wide. Stores only this process writes
    /// always say true.
    async fn periodic_take_turn(
        &self,
        _job: &str,
        _every: chrono::TimeDelta,
        _now: Timestamp,
    ) -> StoreResult<bool> {
        Ok(true)
    }

    /// Checks that the store answers (readiness).
    async fn ping(&self) -> StoreResult<()>;

    /// Inserts tasks as `QUEUED`, all or nothing, each with an `enqueued` event
    /// (attempt 0). A task whose `unique_key` is held by an unfinished
    /// (`QUEUED` or `INPROGRESS`) task is not inserted; the holder is returned
    /// with `duplicate: true`. Results come back in input order. An id that
    /// exists already (or twice in the batch) fails the whole batch with `Conflict`.
    async fn task_insert_many(
        &self,
        tasks: Vec<NewTask>,
        now: Timestamp,
    ) -> StoreResult<Vec<Inserted>>;

    /// One task by id.
    async fn task_get(&self, id: &str) -> StoreResult<Option<Task>>;

    /// Tasks oldest first (by id), optionally filtered by status and limited.
    async fn task_list(&self, params: &ListParams) -> StoreResult<Vec<Task>>;

    /// A task's history, oldest first; `NotFound` if the task does not exist.
    async fn task_events(&self, id: &str) -> StoreResult<Vec<TaskEvent>>;

    /// How many tasks are in each status (every status present, zero included).
    async fn task_counts(&self) -> StoreResult<BTreeMap<TaskStatus, u64>>;

    /// One page of tasks matching the filter, in the given order, after the cursor.
    /// Must stay cheap with millions of tasks: indexes fit every filter, and a
    /// page never costs a scan of the table.
    async fn task_page(&self, params: &PageParams) -> StoreResult<Vec<Task>>;

    /// How many tasks there are per queue, type and status, kept as counters
    /// updated with every transition, so this never counts the table.
    async fn task_count_rows(&self) -> StoreResult<Vec<CountRow>>;

    /// Moves every selected `FAILED` task back to `QUEUED` as [`Store::task_retry`]
    /// does, in one transaction, skipping tasks in other states and tasks whose
    /// unique key is now held by another unfinished task; returns the retried ids.
    async fn task_retry_many(
        &self,
        selection: &Selection,
        now: Timestamp,
    ) -> StoreResult<Vec<String>>;

    /// Deletes every selected task and its history in one transaction.
    async fn task_delete_many(&self, selection: &Selection) -> StoreResult<BulkDeleted>;

    /// Atomically leases up to `limit` ready tasks: `QUEUED`, `run_at <= now`,
    /// type in `types`, queue not paused; ordered by priority (high first),
    /// then `run_at`, then id. Each becomes `INPROGRESS` with `attempts + 1`,
    /// `started_at = now`, the given lease, and a `started` event. No two
    /// concurrent claims (even from other processes) return the same task.
    /// Leases come back in claim order.
    async fn task_claim(&self, params: &ClaimParams) -> StoreResult<Vec<Lease>>;

    /// The earliest `run_at` among `QUEUED` tasks of these types in unpaused queues.
    async fn task_next_run_at(&self, types: &[String]) -> StoreResult<Option<Timestamp>>;

    /// Applies each transition whose guard holds, in one transaction, and says
    /// which were applied. `Completed` and `Failed` set `finished_at = now`;
    /// `Retry` and `Failed` set `last_error`; `Completed` sets `result`;
    /// `Released` sets `attempts - 1` and `run_at = now`. Every applied one clears the
    /// lease and appends its event with the attempt number after the change.
    /// `last_error` is kept by `Completed` (it tells of earlier attempts).
    async fn task_finish_many(
        &self,
        finishes: Vec<Finish>,
        now: Timestamp,
    ) -> StoreResult<Vec<bool>>;

    /// Renews the leases still held (task `INPROGRESS` under that token) until
    /// `expires_at`, even if they lapsed but were not yet rescued, and returns
    /// the ids of the leases that were lost. `updated_at` is not touched.
    async fn task_heartbeat(
        &self,
        leases: &[(String, LeaseToken)],
        expires_at: Timestamp,
    ) -> StoreResult<Vec<String>>;

    /// Up to `limit` `INPROGRESS` tasks whose lease expired at or before `expired_by`.
    async fn task_list_expired(
        &self,
        expired_by: Timestamp,
        limit: usize,
    ) -> StoreResult<Vec<Lease>>;

    /// Moves a `FAILED` task back to `QUEUED` with `attempts = 0`, `run_at = now`,
    /// no `finished_at`, and a `retried_by_user` event; history kept.
    /// `NotFound` if absent; `Conflict` if it is not `FAILED`, or if its
    /// unique key is now held by another unfinished task.
    async fn task_retry(&self, id: &str, now: Timestamp) -> StoreResult<Task>;

    /// Deletes a task and its history, returning it as it was; `None` if absent.
    async fn task_delete(&self, id: &str) -> StoreResult<Option<Task>>;

    /// Deletes every task and all history (queue pauses stay); returns how many tasks there were.
    async fn task_clear(&self) -> StoreResult<u64>;

    /// Pauses or resumes a queue (creating its record if needed).
    async fn queue_set_paused(&self, name: &str, paused: bool, now: Timestamp) -> StoreResult<()>;

    /// Every queue that has tasks or a record, with its paused flag, by name.
    async fn queue_list(&self) -> StoreResult<Vec<QueueState>>;
}
