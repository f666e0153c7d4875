//! The storage seam: one trait every backend implements, with shared parameter
//! types and errors. Backends are pure storage: each transition is one atomic
//! statement or transaction, and every business rule lives in the engine.

mod backlog;
mod claim_order;
mod cron;
pub mod memory;
mod params;
mod workers;

pub use backlog::QueueBacklog;
pub use claim_order::{
    CLAIM_ORDER_IN_LEVEL_SQL, CLAIM_ORDER_SQL, ClaimKey, claim_cmp, claim_key, claim_order,
    claim_order_in_level_sql, claim_order_sql,
};
pub use cron::{CronFire, CronRecord};
pub use workers::{WorkerKind, WorkerRecord};

pub use params::{
    BulkDeleted, ClaimParams, CountRow, Finish, Inserted, Lease, LeaseToken, ListParams,
    MIN_SEARCH_LEN, Outcome, PageOrder, PageParams, PruneParams, QueueState, Selection, TaskFilter,
    TransitionBatch,
};

use std::collections::BTreeMap;

use async_trait::async_trait;

use crate::task::{NewTask, Task, TaskEvent, TaskStatus, Timestamp};

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
    /// The database's disk (or quota) is full: nothing more can be written
    /// until space is freed; worth retrying then.
    #[error("store full: {0}")]
    Full(String),
    /// Anything else, with its cause.
    #[error("store error: {0}")]
    Other(String),
}

/// A `Result` whose error is a [`StoreError`].
pub type StoreResult<T> = Result<T, StoreError>;

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

    /// The time by the store's own clock, for stores several nodes share:
    /// their lease times must all follow one clock, or a node whose clock
    /// runs ahead rescues tasks that are still held. `None` when the
    /// caller's clock is the only one (stores only this process writes).
    async fn clock_now(&self) -> StoreResult<Option<Timestamp>> {
        Ok(None)
    }

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
    /// `started_at = now`, the given lease and holder, and a `started` event. No two
    /// concurrent claims (even from other processes) return the same task.
    /// Leases come back in claim order.
    async fn task_claim(&self, params: &ClaimParams) -> StoreResult<Vec<Lease>>;

    /// The earliest `run_at` among `QUEUED` tasks of these types in unpaused queues.
    async fn task_next_run_at(&self, types: &[String]) -> StoreResult<Option<Timestamp>>;

    /// Applies each transition whose guard holds, in one transaction, and says
    /// which were applied. `Completed` and `Failed` set `finished_at = now`;
    /// `Retry` and `Failed` set `last_error`; `Completed` sets `result`;
    /// `Released` sets `attempts - 1` and its `run_at`. Every applied one clears the
    /// lease and its holder and appends its event with the attempt number after the change.
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

    /// Up to `limit` `INPROGRESS` tasks with their leases, by id, after the
    /// id `after` (a keyset, so a caller can walk every running task whatever
    /// it changes meanwhile), each with its lease holder in `task.worker`.
    async fn task_list_running(&self, after: Option<&str>, limit: usize)
    -> StoreResult<Vec<Lease>>;

    /// Moves a `FAILED` task back to `QUEUED` with `attempts = 0`, `run_at = now`,
    /// no `finished_at`, and a `retried_by_user` event; history kept.
    /// `NotFound` if absent; `Conflict` if it is not `FAILED`, or if its
    /// unique key is now held by another unfinished task.
    async fn task_retry(&self, id: &str, now: Timestamp) -> StoreResult<Task>;

    /// Deletes a task and its history, returning it as it was; `None` if absent.
    async fn task_delete(&self, id: &str) -> StoreResult<Option<Task>>;

    /// Retention: deletes, with their history, up to `limit` tasks in
    /// `status` that finished before `finished_before`, the longest finished
    /// first, and returns how many. The choice and the delete are one
    /// transaction, so a task retried meanwhile is never removed, and an
    /// unfinished task (no `finished_at`) never is. Cheap at any table size:
    /// an index leads to the candidates.
    async fn task_prune(&self, params: &PruneParams) -> StoreResult<u64>;

    /// Creates the records of the cron entries named that have none:
    /// enabled, counting ticks from `now`. Existing records are left alone.
    async fn cron_register(&self, names: &[String], now: Timestamp) -> StoreResult<()>;

    /// Every cron record, by name.
    async fn cron_list(&self) -> StoreResult<Vec<CronRecord>>;

    /// Enables or disables a cron entry, creating its record if needed, and
    /// returns the record. Enabling a disabled entry sets `since = now`, so
    /// the ticks it missed while disabled are never backfilled.
    async fn cron_set_enabled(
        &self,
        name: &str,
        enabled: bool,
        now: Timestamp,
    ) -> StoreResult<CronRecord>;

    /// Enqueues one tick's task in one transaction: only if the entry's
    /// record exists, is enabled, its `last_tick` is still `fire.previous`
    /// and `fire.tick` is after `since`, it records the tick (with the task
    /// id and `now`) and inserts the task with its `enqueued` event. Returns
    /// the task, or `None` when the guard failed (another node enqueued
    /// this tick, or the entry is disabled).
    async fn cron_fire(&self, fire: CronFire, now: Timestamp) -> StoreResult<Option<Task>>;

    /// Deletes every task and all history (queue pauses stay); returns how many tasks there were.
    async fn task_clear(&self) -> StoreResult<u64>;

    /// Pauses a queue (creating its record if needed), or resumes it by
    /// removing its record: not paused is the default, so resuming a queue
    /// paused by mistake (a mistyped name) leaves nothing behind.
    async fn queue_set_paused(&self, name: &str, paused: bool, now: Timestamp) -> StoreResult<()>;

    /// Every queue that has tasks or a record, with its paused flag, by name.
    async fn queue_list(&self) -> StoreResult<Vec<QueueState>>;

    /// Records that a worker called in: creates its record, or updates it
    /// (`last_seen_at` never moves back; empty `types` and absent details
    /// keep the stored ones).
    async fn worker_record(&self, record: &WorkerRecord) -> StoreResult<()>;

    /// Every worker record seen at or after `seen_since`, by id.
    async fn worker_list(&self, seen_since: Timestamp) -> StoreResult<Vec<WorkerRecord>>;

    /// Deletes the records of workers last seen before `seen_before`; returns how many.
    async fn worker_prune(&self, seen_before: Timestamp) -> StoreResult<u64>;

    /// Every queue with `QUEUED` tasks (paused ones too), by name: how many
    /// are not due at `now` (scheduled, retrying) and the oldest due `run_at`.
    /// Polled every second, so it must cost no scan of the queued tasks:
    /// the not-yet-due ones are counted through a range of an index (they
    /// are the minority), and the due ones are left to the counters.
    async fn queue_backlog(&self, now: Timestamp) -> StoreResult<Vec<QueueBacklog>>;
}
