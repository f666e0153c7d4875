//! What each storage call takes: one parameter struct per method of the
//! trait, named after it, carrying `now` when the call needs a time.

use chrono::TimeDelta;

use super::{CronFire, Finish, LeaseToken, PageOrder, Selection, TaskFilter};
use crate::limits::QueueLimits;
use crate::task::{NewTask, TaskStatus, Timestamp};

/// One tick of a cron entry to enqueue, at `now`.
#[derive(Debug, Clone)]
pub struct CronFireParams {
    /// The tick and its task.
    pub fire: CronFire,
    /// When the tick is recorded and the task inserted.
    pub now: Timestamp,
}

/// The cron entries that need a record, counting ticks from `now`.
#[derive(Debug, Clone)]
pub struct CronRegisterParams {
    /// The entries, by name.
    pub names: Vec<String>,
    /// When new records start counting ticks.
    pub now: Timestamp,
}

/// A cron entry to enable or disable.
#[derive(Debug, Clone)]
pub struct CronSetEnabledParams {
    /// The entry.
    pub name: String,
    /// Enabled or not.
    pub enabled: bool,
    /// When an enabled entry starts counting ticks again.
    pub now: Timestamp,
}

impl CronSetEnabledParams {
    /// Enables (or disables) `name` at `now`.
    pub fn new(name: impl Into<String>, enabled: bool, now: Timestamp) -> Self {
        Self {
            name: name.into(),
            enabled,
            now,
        }
    }
}

/// A turn of a periodic job among the nodes of a shared store.
#[derive(Debug, Clone)]
pub struct PeriodicTakeTurnParams {
    /// The job (`reaper`, `retention`).
    pub job: String,
    /// How often it runs cluster-wide.
    pub every: TimeDelta,
    /// When this turn is asked for.
    pub now: Timestamp,
}

impl PeriodicTakeTurnParams {
    /// A turn of `job`, which runs once per `every`, asked for at `now`.
    pub fn new(job: impl Into<String>, every: TimeDelta, now: Timestamp) -> Self {
        Self {
            job: job.into(),
            every,
            now,
        }
    }
}

/// What the backlog of queued tasks is measured against.
#[derive(Debug, Clone, Copy)]
pub struct QueueBacklogParams {
    /// Tasks with a later `run_at` are not due yet.
    pub now: Timestamp,
}

/// Whose running tasks to count per key.
#[derive(Debug, Clone)]
pub struct QueueKeyUsageParams {
    /// The queue.
    pub queue: String,
    /// At most this many keys, the busiest first.
    pub limit: usize,
}

/// A queue's new limits.
#[derive(Debug, Clone)]
pub struct QueueSetLimitsParams {
    /// The queue.
    pub name: String,
    /// Its limits, checked by the caller; the default removes them.
    pub limits: QueueLimits,
    /// When (kept on the record).
    pub now: Timestamp,
}

/// A queue to pause or resume.
#[derive(Debug, Clone)]
pub struct QueueSetPausedParams {
    /// The queue.
    pub name: String,
    /// Paused or not.
    pub paused: bool,
    /// When (kept on the record of a paused queue).
    pub now: Timestamp,
}

impl QueueSetPausedParams {
    /// Pauses (or resumes) `name` at `now`.
    pub fn new(name: impl Into<String>, paused: bool, now: Timestamp) -> Self {
        Self {
            name: name.into(),
            paused,
            now,
        }
    }
}

/// What to claim: ready tasks of the given types from unpaused queues.
#[derive(Debug, Clone)]
pub struct TaskClaimParams {
    /// Only tasks of these types (the ones this node can run).
    pub types: Vec<String>,
    /// The most tasks to claim.
    pub limit: usize,
    /// Tasks with `run_at <= now` are ready.
    pub now: Timestamp,
    /// The lease lasts until this time unless renewed.
    pub lease_expires_at: Timestamp,
    /// Written on every claimed task; finishing and heartbeats must present it.
    pub lease_token: LeaseToken,
    /// Who holds the leases (written as each task's `worker` until it leaves
    /// `INPROGRESS`): a remote worker's id, or this node's identity.
    pub holder: String,
}

/// Which tasks to delete with their history.
#[derive(Debug, Clone)]
pub struct TaskDeleteManyParams {
    /// The tasks.
    pub selection: Selection,
}

/// One task to delete with its history.
#[derive(Debug, Clone)]
pub struct TaskDeleteParams {
    /// The task.
    pub id: String,
}

impl TaskDeleteParams {
    /// Deletes `id`.
    pub fn new(id: impl Into<String>) -> Self {
        Self { id: id.into() }
    }
}

/// The task whose history to read.
#[derive(Debug, Clone)]
pub struct TaskEventsParams {
    /// The task.
    pub id: String,
}

impl TaskEventsParams {
    /// The history of `id`.
    pub fn new(id: impl Into<String>) -> Self {
        Self { id: id.into() }
    }
}

/// Guarded transitions out of `INPROGRESS`, applied at `now`.
#[derive(Debug, Clone)]
pub struct TaskFinishManyParams {
    /// The transitions, each applied only if its guard holds.
    pub finishes: Vec<Finish>,
    /// The time of the change (`finished_at`, the events).
    pub now: Timestamp,
}

/// Tasks to read by id.
#[derive(Debug, Clone)]
pub struct TaskGetManyParams {
    /// The tasks, in the order the answer keeps.
    pub ids: Vec<String>,
}

/// One task to read.
#[derive(Debug, Clone)]
pub struct TaskGetParams {
    /// The task.
    pub id: String,
}

impl TaskGetParams {
    /// Reads `id`.
    pub fn new(id: impl Into<String>) -> Self {
        Self { id: id.into() }
    }
}

/// Leases to renew.
#[derive(Debug, Clone)]
pub struct TaskHeartbeatParams {
    /// Each task with the token of the lease its holder has.
    pub leases: Vec<(String, LeaseToken)>,
    /// The new end of every lease still held.
    pub expires_at: Timestamp,
}

/// Tasks to insert, all or nothing, at `now`.
#[derive(Debug, Clone)]
pub struct TaskInsertManyParams {
    /// The tasks, in the order the answer keeps.
    pub tasks: Vec<NewTask>,
    /// Their `created_at` (and `run_at` unless they have one).
    pub now: Timestamp,
}

/// Which running tasks lost their leases.
#[derive(Debug, Clone, Copy)]
pub struct TaskListExpiredParams {
    /// Leases that expired at or before this time.
    pub expired_by: Timestamp,
    /// At most this many.
    pub limit: usize,
}

/// Which tasks to list (the original `GET /api/jobs`).
#[derive(Debug, Clone, Default)]
pub struct TaskListParams {
    /// Only tasks with this status.
    pub status: Option<TaskStatus>,
    /// At most this many, oldest first.
    pub limit: Option<usize>,
}

/// A page of the running tasks, by id.
#[derive(Debug, Clone, Default)]
pub struct TaskListRunningParams {
    /// Only tasks after this id (the last of the previous page).
    pub after: Option<String>,
    /// At most this many.
    pub limit: usize,
}

/// Which queued tasks the next `run_at` is looked for among.
#[derive(Debug, Clone)]
pub struct TaskNextRunAtParams {
    /// Only tasks of these types.
    pub types: Vec<String>,
}

/// One page of a filtered list, by keyset: no offset, so every page costs the same.
#[derive(Debug, Clone, Default)]
pub struct TaskPageParams {
    /// Which tasks.
    pub filter: TaskFilter,
    /// Which way.
    pub order: PageOrder,
    /// Only tasks strictly after this id in `order` (the previous page's last id).
    pub after: Option<String>,
    /// At most this many.
    pub limit: usize,
}

/// Which finished tasks retention removes: one bounded batch of one status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskPruneParams {
    /// `COMPLETED` or `FAILED`; tasks in other states have no `finished_at`
    /// and are never pruned.
    pub status: TaskStatus,
    /// Only tasks that finished before this time.
    pub finished_before: Timestamp,
    /// At most this many, the longest finished first.
    pub limit: usize,
}

/// Failed tasks to move back to `QUEUED` at `now`.
#[derive(Debug, Clone)]
pub struct TaskRetryManyParams {
    /// The tasks (those not `FAILED` are skipped).
    pub selection: Selection,
    /// Their new `run_at`.
    pub now: Timestamp,
}

/// One failed task to move back to `QUEUED` at `now`.
#[derive(Debug, Clone)]
pub struct TaskRetryParams {
    /// The task.
    pub id: String,
    /// Its new `run_at`.
    pub now: Timestamp,
}

impl TaskRetryParams {
    /// Retries `id` at `now`.
    pub fn new(id: impl Into<String>, now: Timestamp) -> Self {
        Self { id: id.into(), now }
    }
}

/// Which worker records to list.
#[derive(Debug, Clone, Copy)]
pub struct WorkerListParams {
    /// Workers seen at or after this time.
    pub seen_since: Timestamp,
}

/// Which worker records to delete.
#[derive(Debug, Clone, Copy)]
pub struct WorkerPruneParams {
    /// Workers last seen before this time.
    pub seen_before: Timestamp,
}
