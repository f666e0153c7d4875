//! The storage seam: one trait every backend implements, with shared parameter
//! types and errors. Backends are pure storage: each transition is one atomic
//! statement or transaction, and every business rule lives in the engine.
//! The engine calls them through [`StoreFacade`], which adds what every
//! backend would otherwise repeat.

mod backlog;
mod claim_order;
mod cluster;
mod cron;
mod facade;
pub mod memory;
mod params;
mod values;
mod workers;

pub use backlog::QueueBacklog;
pub use claim_order::{
    CLAIM_ORDER_IN_LEVEL_SQL, CLAIM_ORDER_SQL, ClaimKey, claim_cmp, claim_key, claim_order,
    claim_order_in_level_sql, claim_order_sql,
};
pub use cluster::Cluster;
pub use cron::{CronFire, CronRecord};
pub use facade::{STORE_CALL_BUCKETS, StoreCallHistogram, StoreCallTimings, StoreFacade};
pub use params::{
    CronFireParams, CronRegisterParams, CronSetEnabledParams, PeriodicTakeTurnParams,
    QueueBacklogParams, QueueKeyUsageParams, QueueSetLimitsParams, QueueSetPausedParams,
    TaskClaimParams, TaskDeleteManyParams, TaskDeleteParams, TaskEventsParams,
    TaskFinishManyParams, TaskGetManyParams, TaskGetParams, TaskHeartbeatParams,
    TaskInsertManyParams, TaskListExpiredParams, TaskListParams, TaskListRunningParams,
    TaskNextRunAtParams, TaskPageParams, TaskPruneParams, TaskRetryManyParams, TaskRetryParams,
    WorkerListParams, WorkerPruneParams,
};
pub use values::{
    BulkDeleted, CountRow, Finish, Inserted, KeyUsage, Lease, LeaseToken, MIN_SEARCH_LEN, Outcome,
    PageOrder, QueueState, Selection, TaskFilter, TransitionBatch,
};
pub use workers::{WorkerKind, WorkerRecord};

use std::collections::BTreeMap;

use async_trait::async_trait;

use crate::task::{Task, TaskEvent, TaskStatus, Timestamp};

/// The cause behind a [`StoreError`]: the driver's own error, or a message.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// What went wrong in a store, mapped from each driver's errors in one place.
/// Each variant keeps its cause as the error's source (and in its message,
/// as sqlx does, so a log line of the error alone still says why).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The task (or other record) does not exist.
    #[error("not found")]
    NotFound,
    /// The record is not in a state that allows the change.
    #[error("conflict: {0}")]
    Conflict(#[source] BoxError),
    /// A fault worth retrying: the database is unreachable, busy or restarting.
    #[error("store unavailable: {0}")]
    Unavailable(#[source] BoxError),
    /// The database's disk (or quota) is full: nothing more can be written
    /// until space is freed; worth retrying then.
    #[error("store full: {0}")]
    Full(#[source] BoxError),
    /// Anything else, with its cause.
    #[error("store error: {0}")]
    Other(#[source] BoxError),
}

impl StoreError {
    /// A conflict with this cause (a driver error, or a message).
    pub fn conflict(cause: impl Into<BoxError>) -> Self {
        Self::Conflict(cause.into())
    }

    /// An unavailable store, with this cause.
    pub fn unavailable(cause: impl Into<BoxError>) -> Self {
        Self::Unavailable(cause.into())
    }

    /// A full disk, with this cause.
    pub fn full(cause: impl Into<BoxError>) -> Self {
        Self::Full(cause.into())
    }

    /// Any other failure, with this cause.
    pub fn other(cause: impl Into<BoxError>) -> Self {
        Self::Other(cause.into())
    }

    /// A copy of the error with the same kind, its cause kept as text: for
    /// answering several waiters of one failed call.
    pub fn copied(&self) -> Self {
        match self {
            Self::NotFound => Self::NotFound,
            Self::Conflict(cause) => Self::conflict(cause.to_string()),
            Self::Unavailable(cause) => Self::unavailable(cause.to_string()),
            Self::Full(cause) => Self::full(cause.to_string()),
            Self::Other(cause) => Self::other(cause.to_string()),
        }
    }
}

/// A `Result` whose error is a [`StoreError`].
pub type StoreResult<T> = Result<T, StoreError>;

/// The storage of tasks, their history and queue states.
///
/// Every method that changes a task also appends its history event in the
/// same transaction. Methods take `now` from the caller's clock; stores keep
/// times to the microsecond, so callers pass microsecond-precise times. Calls
/// with nothing to do (no tasks, no ids) never reach a store: the facade
/// answers them. Methods are named noun then verb, in alphabetical order.
#[async_trait]
pub trait Store: Send + Sync + std::fmt::Debug {
    /// What only a store shared by several nodes does; `None` for stores
    /// only this process writes. No default: every backend decides.
    fn cluster(&self) -> Option<&dyn Cluster>;

    /// Enqueues one tick's task in one transaction: only if the entry's
    /// record exists, is enabled, its `last_tick` is still `fire.previous`
    /// and `fire.tick` is after `since`, it records the tick (with the task
    /// id and `now`) and inserts the task with its `enqueued` event. Returns
    /// the task, or `None` when the guard failed (another node enqueued
    /// this tick, or the entry is disabled).
    async fn cron_fire(&self, params: CronFireParams) -> StoreResult<Option<Task>>;

    /// Every cron record, by name.
    async fn cron_list(&self) -> StoreResult<Vec<CronRecord>>;

    /// Creates the records of the cron entries named that have none:
    /// enabled, counting ticks from `now`. Existing records are left alone.
    async fn cron_register(&self, params: &CronRegisterParams) -> StoreResult<()>;

    /// Enables or disables a cron entry, creating its record if needed, and
    /// returns the record. Enabling a disabled entry sets `since = now`, so
    /// the ticks it missed while disabled are never backfilled.
    async fn cron_set_enabled(&self, params: &CronSetEnabledParams) -> StoreResult<CronRecord>;

    /// True when no other process can share this store, so any `INPROGRESS`
    /// task found at start-up belongs to a dead process and can be recovered at once.
    fn is_exclusive(&self) -> bool;

    /// Checks that the store answers (readiness).
    async fn ping(&self) -> StoreResult<()>;

    /// Every queue with `QUEUED` tasks (paused ones too), by name: how many
    /// are not due at `now` (scheduled, retrying) and the oldest due `run_at`.
    /// Polled every second, so it must cost no scan of the queued tasks:
    /// the not-yet-due ones are counted through a range of an index (they
    /// are the minority), and the due ones are left to the counters.
    async fn queue_backlog(&self, params: &QueueBacklogParams) -> StoreResult<Vec<QueueBacklog>>;

    /// The keys of a queue's running tasks with how many run under each,
    /// the busiest first (then by key), at most `limit` of them. Tasks with
    /// no key are not counted. Reads the running tasks only, through an index.
    async fn queue_key_usage(&self, params: &QueueKeyUsageParams) -> StoreResult<Vec<KeyUsage>>;

    /// Every queue that has tasks or a record, with its paused flag and
    /// limits, by name.
    async fn queue_list(&self) -> StoreResult<Vec<QueueState>>;

    /// Replaces a queue's limits (creating its record if needed). A queue
    /// left unpaused with no limits has its record removed, as resuming does.
    async fn queue_set_limits(&self, params: &QueueSetLimitsParams) -> StoreResult<()>;

    /// Pauses a queue (creating its record if needed), or resumes it,
    /// removing its record unless it keeps limits: not paused is the default,
    /// so resuming a queue paused by mistake (a mistyped name) leaves nothing behind.
    async fn queue_set_paused(&self, params: &QueueSetPausedParams) -> StoreResult<()>;

    /// Atomically leases up to `limit` ready tasks: `QUEUED`, `run_at <= now`,
    /// type in `types`, queue not paused; ordered by priority (high first),
    /// then `run_at`, then id. Each becomes `INPROGRESS` with `attempts + 1`,
    /// `started_at = now`, the given lease and holder, and a `started` event. No two
    /// concurrent claims (even from other processes) return the same task.
    /// Leases come back in claim order.
    ///
    /// A queue's limits hold across every claim, concurrent ones from other
    /// processes included: of a queue with `concurrency` N, at most N tasks
    /// are `INPROGRESS` at once, and of a key with a limit, at most that many
    /// of the queue's tasks with that `concurrency_key`. A task that would
    /// exceed a limit is skipped, not waited on: the claim goes on to the
    /// next task in claim order, so a saturated key never holds back another.
    async fn task_claim(&self, params: &TaskClaimParams) -> StoreResult<Vec<Lease>>;

    /// Deletes every task and all history (queue pauses stay); returns how many tasks there were.
    async fn task_clear(&self) -> StoreResult<u64>;

    /// How many tasks there are per queue, type and status, kept as counters
    /// updated with every transition, so this never counts the table.
    async fn task_count_rows(&self) -> StoreResult<Vec<CountRow>>;

    /// How many tasks are in each status (every status present, zero included).
    async fn task_counts(&self) -> StoreResult<BTreeMap<TaskStatus, u64>>;

    /// Deletes a task and its history, returning it as it was; `None` if absent.
    async fn task_delete(&self, params: &TaskDeleteParams) -> StoreResult<Option<Task>>;

    /// Deletes every selected task and its history in one transaction.
    async fn task_delete_many(&self, params: &TaskDeleteManyParams) -> StoreResult<BulkDeleted>;

    /// A task's history, oldest first; `NotFound` if the task does not exist.
    async fn task_events(&self, params: &TaskEventsParams) -> StoreResult<Vec<TaskEvent>>;

    /// Applies each transition whose guard holds, in one transaction, and says
    /// which were applied. `Completed` and `Failed` set `finished_at = now`;
    /// `Retry` and `Failed` set `last_error`; `Completed` sets `result`;
    /// `Released` sets `attempts - 1` and its `run_at`. Every applied one clears the
    /// lease and its holder and appends its event with the attempt number after the change.
    /// `last_error` is kept by `Completed` (it tells of earlier attempts).
    async fn task_finish_many(&self, params: TaskFinishManyParams) -> StoreResult<Vec<bool>>;

    /// One task by id.
    async fn task_get(&self, params: &TaskGetParams) -> StoreResult<Option<Task>>;

    /// The tasks with these ids, in the order asked; ids that match no task
    /// are skipped, and an id asked twice comes back twice. One read, however
    /// many ids.
    async fn task_get_many(&self, params: &TaskGetManyParams) -> StoreResult<Vec<Task>>;

    /// Renews the leases still held (task `INPROGRESS` under that token) until
    /// `expires_at`, even if they lapsed but were not yet rescued, and returns
    /// the ids of the leases that were lost. `updated_at` is not touched.
    async fn task_heartbeat(&self, params: &TaskHeartbeatParams) -> StoreResult<Vec<String>>;

    /// Inserts tasks as `QUEUED`, all or nothing, each with an `enqueued` event
    /// (attempt 0). A task whose `unique_key` is held by an unfinished
    /// (`QUEUED` or `INPROGRESS`) task is not inserted; the holder is returned
    /// with `duplicate: true`. Results come back in input order. An id that
    /// exists already (or twice in the batch) fails the whole batch with `Conflict`.
    async fn task_insert_many(&self, params: TaskInsertManyParams) -> StoreResult<Vec<Inserted>>;

    /// Tasks oldest first (by id), optionally filtered by status and limited.
    async fn task_list(&self, params: &TaskListParams) -> StoreResult<Vec<Task>>;

    /// Up to `limit` `INPROGRESS` tasks whose lease expired at or before `expired_by`.
    async fn task_list_expired(&self, params: &TaskListExpiredParams) -> StoreResult<Vec<Lease>>;

    /// Up to `limit` `INPROGRESS` tasks with their leases, by id, after the
    /// id `after` (a keyset, so a caller can walk every running task whatever
    /// it changes meanwhile), each with its lease holder in `task.worker`.
    async fn task_list_running(&self, params: &TaskListRunningParams) -> StoreResult<Vec<Lease>>;

    /// The earliest `run_at` among `QUEUED` tasks of these types in unpaused queues.
    async fn task_next_run_at(
        &self,
        params: &TaskNextRunAtParams,
    ) -> StoreResult<Option<Timestamp>>;

    /// One page of tasks matching the filter, in the given order, after the cursor.
    /// Must stay cheap with millions of tasks: indexes fit every filter, and a
    /// page never costs a scan of the table.
    async fn task_page(&self, params: &TaskPageParams) -> StoreResult<Vec<Task>>;

    /// Retention: deletes, with their history, up to `limit` tasks in
    /// `status` that finished before `finished_before`, the longest finished
    /// first, and returns how many. The choice and the delete are one
    /// transaction, so a task retried meanwhile is never removed, and an
    /// unfinished task (no `finished_at`) never is. Cheap at any table size:
    /// an index leads to the candidates.
    async fn task_prune(&self, params: &TaskPruneParams) -> StoreResult<u64>;

    /// Moves a `FAILED` task back to `QUEUED` with `attempts = 0`, `run_at = now`,
    /// no `finished_at`, and a `retried_by_user` event; history kept.
    /// `NotFound` if absent; `Conflict` if it is not `FAILED`, or if its
    /// unique key is now held by another unfinished task.
    async fn task_retry(&self, params: &TaskRetryParams) -> StoreResult<Task>;

    /// Moves every selected `FAILED` task back to `QUEUED` as [`Store::task_retry`]
    /// does, in one transaction, skipping tasks in other states and tasks whose
    /// unique key is now held by another unfinished task; returns the retried ids.
    async fn task_retry_many(&self, params: &TaskRetryManyParams) -> StoreResult<Vec<String>>;

    /// Every worker record seen at or after `seen_since`, by id.
    async fn worker_list(&self, params: &WorkerListParams) -> StoreResult<Vec<WorkerRecord>>;

    /// Deletes the records of workers last seen before `seen_before`; returns how many.
    async fn worker_prune(&self, params: &WorkerPruneParams) -> StoreResult<u64>;

    /// Records that a worker called in: creates its record, or updates it
    /// (`last_seen_at` never moves back; empty `types` and absent details
    /// keep the stored ones).
    async fn worker_record(&self, record: &WorkerRecord) -> StoreResult<()>;
}
