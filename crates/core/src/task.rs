//! The task model: a task, its status, its history events, and what an enqueue asks for.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

/// A point in time, always UTC; serialised as ISO-8601.
pub type Timestamp = DateTime<Utc>;

/// A JSON document kept exactly as the client sent it, byte for byte.
pub type RawJson = Box<RawValue>;

/// Where a task is in its life: `QUEUED`, leased to `INPROGRESS`, then `COMPLETED`, or back to `QUEUED` for a retry, or `FAILED`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "UPPERCASE")]
pub enum TaskStatus {
    /// Waiting to run, possibly not before a future `run_at`.
    Queued,
    /// Leased by a worker.
    #[serde(rename = "INPROGRESS")]
    InProgress,
    /// Finished successfully (terminal).
    Completed,
    /// Out of attempts or failed permanently (terminal until a manual retry).
    Failed,
}

impl TaskStatus {
    /// Every status, in life-cycle order.
    pub const ALL: [TaskStatus; 4] = [
        TaskStatus::Queued,
        TaskStatus::InProgress,
        TaskStatus::Completed,
        TaskStatus::Failed,
    ];

    /// The wire and storage name, upper case.
    pub fn as_str(self) -> &'static str {
        match self {
            TaskStatus::Queued => "QUEUED",
            TaskStatus::InProgress => "INPROGRESS",
            TaskStatus::Completed => "COMPLETED",
            TaskStatus::Failed => "FAILED",
        }
    }

    /// Whether the task has reached the end of its life (until a manual retry).
    pub fn is_terminal(self) -> bool {
        matches!(self, TaskStatus::Completed | TaskStatus::Failed)
    }
}

impl fmt::Display for TaskStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The text was not one of the four statuses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown task status {0:?}")]
pub struct UnknownStatus(pub String);

impl FromStr for TaskStatus {
    type Err = UnknownStatus;

    /// Parses a status in any letter case, as the original `?status=` filter did.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        TaskStatus::ALL
            .into_iter()
            .find(|status| status.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| UnknownStatus(s.to_owned()))
    }
}

/// One task with every field, as stored and as sent on the wire.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Task {
    /// Unique, sortable by creation (a UUIDv7).
    pub id: String,
    /// The handler that runs it.
    #[serde(rename = "type")]
    pub task_type: String,
    /// Any JSON value, kept byte for byte.
    #[cfg_attr(feature = "openapi", schema(value_type = Value))]
    pub payload: RawJson,
    /// The queue it waits in.
    pub queue: String,
    /// Higher runs sooner.
    pub priority: i32,
    /// Where it is in its life.
    pub status: TaskStatus,
    /// Attempts started so far.
    pub attempts: u32,
    /// The most attempts it gets in total.
    pub max_retries: u32,
    /// When it was enqueued.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
    /// When it last changed.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub updated_at: Timestamp,
    /// Not before this time.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub run_at: Timestamp,
    /// When the latest attempt started.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub started_at: Option<Timestamp>,
    /// When it reached a terminal state.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub finished_at: Option<Timestamp>,
    /// The error of the latest failed attempt.
    pub last_error: Option<String>,
    /// What the handler returned on success.
    #[cfg_attr(feature = "openapi", schema(value_type = Value))]
    pub result: Option<RawJson>,
    /// At most one unfinished task holds a given key.
    pub unique_key: Option<String>,
    /// Per-attempt timeout; `None` means the server default.
    pub timeout_ms: Option<u64>,
    /// The key a queue's per-key limit counts it under (a tenant, a
    /// customer); absent when it has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub concurrency_key: Option<String>,
    /// The W3C trace context of the request that enqueued it; each attempt's
    /// span continues that trace. Absent when the request carried none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub traceparent: Option<String>,
    /// Who holds the lease while it runs: a remote worker's id, or
    /// `node:<hostname>:<pid>:<start id>` for an attempt of a server node;
    /// null when it is not running (or was leased before holders were kept).
    pub worker: Option<String>,
}

/// A task to insert: every caller-chosen field, validated by the engine.
#[derive(Debug, Clone)]
pub struct NewTask {
    /// Pre-generated id (UUIDv7), so batches keep their order.
    pub id: String,
    /// The handler name.
    pub task_type: String,
    /// The JSON payload, verbatim.
    pub payload: RawJson,
    /// The queue name.
    pub queue: String,
    /// Higher runs sooner.
    pub priority: i32,
    /// The most attempts in total (at least 1).
    pub max_retries: u32,
    /// Not before this time.
    pub run_at: Timestamp,
    /// Deduplication key among unfinished tasks.
    pub unique_key: Option<String>,
    /// Per-attempt timeout in milliseconds.
    pub timeout_ms: Option<u64>,
    /// The key a queue's per-key limit counts it under.
    pub concurrency_key: Option<String>,
    /// The W3C `traceparent` its attempts continue (well-formed, or `None`).
    pub traceparent: Option<String>,
    /// The message of its `enqueued` event: what made it (a cron entry, say);
    /// none for an ordinary enqueue.
    pub note: Option<String>,
}

impl NewTask {
    /// The task as an insert stores it at `now`: `QUEUED`, no attempts yet.
    pub fn into_queued(self, now: Timestamp) -> Task {
        Task {
            id: self.id,
            task_type: self.task_type,
            payload: self.payload,
            queue: self.queue,
            priority: self.priority,
            status: TaskStatus::Queued,
            attempts: 0,
            max_retries: self.max_retries,
            created_at: now,
            updated_at: now,
            run_at: self.run_at,
            started_at: None,
            finished_at: None,
            last_error: None,
            result: None,
            unique_key: self.unique_key,
            timeout_ms: self.timeout_ms,
            concurrency_key: self.concurrency_key,
            traceparent: self.traceparent,
            worker: None,
        }
    }
}

/// Makes a new task id: a UUIDv7, so ids sort by creation time.
pub fn new_task_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// How deeply a JSON text nests arrays and objects (0 for a scalar).
/// Scans the text once, skipping string contents, without building a tree.
pub fn json_depth(text: &str) -> usize {
    let (mut depth, mut deepest, mut in_string, mut escaped) = (0usize, 0usize, false, false);
    for byte in text.bytes() {
        if in_string {
            match byte {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

/// What happened to a task; one event per transition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// Accepted into a queue.
    Enqueued,
    /// A worker leased it and an attempt began.
    Started,
    /// The attempt succeeded.
    Completed,
    /// The task ended `FAILED`.
    Failed,
    /// The attempt failed and another is scheduled after a back-off.
    RetryScheduled,
    /// The worker stopped renewing its lease (crash, hang, lost node).
    LeaseExpired,
    /// A person asked for a failed task to run again.
    RetriedByUser,
    /// The running attempt was cancelled.
    Cancelled,
    /// The node shut down and handed the task back without using an attempt.
    Released,
}

impl EventKind {
    /// The storage name, snake case.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Enqueued => "enqueued",
            EventKind::Started => "started",
            EventKind::Completed => "completed",
            EventKind::Failed => "failed",
            EventKind::RetryScheduled => "retry_scheduled",
            EventKind::LeaseExpired => "lease_expired",
            EventKind::RetriedByUser => "retried_by_user",
            EventKind::Cancelled => "cancelled",
            EventKind::Released => "released",
        }
    }
}

impl FromStr for EventKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        serde_json::from_value(serde_json::Value::String(s.to_owned()))
            .map_err(|_| format!("unknown event kind {s:?}"))
    }
}

/// One entry of a task's history.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TaskEvent {
    /// The task it belongs to.
    pub task_id: String,
    /// When it happened.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub at: Timestamp,
    /// What happened.
    pub kind: EventKind,
    /// The attempt number it concerns (0 before the first attempt).
    pub attempt: u32,
    /// Detail, such as the error of a failed attempt.
    pub message: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_parses_in_any_case() {
        assert_eq!("failed".parse(), Ok(TaskStatus::Failed));
        assert_eq!("InProgress".parse(), Ok(TaskStatus::InProgress));
        assert!("done".parse::<TaskStatus>().is_err());
    }

    #[test]
    fn event_kind_names_round_trip() {
        for kind in [
            EventKind::RetryScheduled,
            EventKind::LeaseExpired,
            EventKind::Enqueued,
        ] {
            assert_eq!(kind.as_str().parse::<EventKind>(), Ok(kind));
        }
    }

    #[test]
    fn depth_counts_nesting_outside_strings() {
        assert_eq!(json_depth("1"), 0);
        assert_eq!(json_depth(r#"{"a": [1, {"b": []}]}"#), 4);
        assert_eq!(json_depth(r#"["[[[", "\\\"{{{"]"#), 1);
    }

    #[test]
    fn ids_sort_by_creation() {
        let ids: Vec<String> = (0..1000).map(|_| new_task_id()).collect();
        let mut sorted = ids.clone();
        sorted.sort();
        assert_eq!(ids, sorted);
    }
}

/// A change of a task's status, broadcast to subscribers (the event stream, tests).
#[derive(Debug, Clone, PartialEq)]
pub struct Transition {
    /// The task.
    pub task_id: String,
    /// What happened.
    pub kind: EventKind,
    /// The status it is in now; `None` when it was deleted.
    pub status: Option<TaskStatus>,
}
