//! The values that travel through the storage trait: leases, how an
//! attempt ended, which tasks an operation concerns, and what came back.

use serde::Serialize;

use crate::limits::QueueLimits;
use crate::task::Timestamp;
use crate::task::{EventKind, RawJson, Task, TaskStatus, Transition};

/// One inserted task, or the unfinished task that already held its unique key.
#[derive(Debug, Clone)]
pub struct Inserted {
    /// The stored task (the existing one when `duplicate`).
    pub task: Task,
    /// True when nothing was created because of `unique_key`.
    pub duplicate: bool,
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
    /// Back to `QUEUED`, not before `run_at`, and the attempt does not count
    /// (a hand-back at shutdown, now; a handler's snooze, later).
    Released {
        /// When the next attempt may start.
        run_at: Timestamp,
    },
}

impl Outcome {
    /// The status a task is in once this outcome is applied.
    pub fn status(&self) -> TaskStatus {
        match self {
            Outcome::Completed { .. } => TaskStatus::Completed,
            Outcome::Failed { .. } => TaskStatus::Failed,
            Outcome::Retry { .. } | Outcome::Released { .. } => TaskStatus::Queued,
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
    /// True when no field narrows the selection: it matches every task.
    pub fn is_empty(&self) -> bool {
        *self == TaskFilter::default()
    }

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

/// Which tasks a bulk operation touches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// These ids (unknown ones are ignored).
    Ids(Vec<String>),
    /// Every task the filter matches. The engine refuses an empty filter, so
    /// that a mistyped filter never selects everything; stores read an empty
    /// one as every task.
    Filter(TaskFilter),
    /// Every task, asked for explicitly.
    All,
}

impl Selection {
    /// The filter that selects the same tasks, `None` for an id list
    /// (`All` is the empty filter).
    pub fn filter(&self) -> Option<std::borrow::Cow<'_, TaskFilter>> {
        match self {
            Selection::Ids(_) => None,
            Selection::Filter(filter) => Some(std::borrow::Cow::Borrowed(filter)),
            Selection::All => Some(std::borrow::Cow::Owned(TaskFilter::default())),
        }
    }
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

/// A queue, whether it is paused, and its limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueState {
    /// The queue name.
    pub name: String,
    /// A paused queue accepts tasks but starts none.
    pub paused: bool,
    /// How many of its tasks may run at once (the default: no limit).
    pub limits: QueueLimits,
}

impl QueueState {
    /// A queue with no record: unpaused and unlimited.
    pub fn unlimited(name: impl Into<String>, paused: bool) -> Self {
        Self {
            name: name.into(),
            paused,
            limits: QueueLimits::default(),
        }
    }
}

/// How many of a queue's tasks run under one concurrency key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KeyUsage {
    /// The key.
    pub key: String,
    /// How many of its tasks are `INPROGRESS`.
    pub running: u64,
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
