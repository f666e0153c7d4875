//! The bodies of the worker protocol under `/api/worker`: lease a batch of
//! tasks, renew the leases, complete, fail or hand back each attempt.

use std::time::Duration;

use chrono::{DateTime, Utc};
use rustqueue_core::task::{RawJson, Task, TaskStatus};
use serde::{Deserialize, Serialize};

/// What a worker asks for.
#[derive(Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LeaseBody {
    /// The task types this worker runs.
    #[cfg_attr(feature = "openapi", schema(min_items = 1))]
    pub types: Vec<String>,
    /// The most tasks to lease (default 1, at most 500).
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 500))]
    pub limit: Option<usize>,
    /// How long the leases last without a heartbeat, in milliseconds (default: the server's lease).
    #[cfg_attr(feature = "openapi", schema(minimum = 1000, maximum = 3_600_000))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lease_ms: Option<u64>,
    /// When nothing is ready, wait up to this many milliseconds for work
    /// instead of answering empty at once (default 0, at most 60000).
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 60_000))]
    pub wait_ms: Option<u64>,
    /// Who asks: 1 to 255 bytes, not beginning with `node:` (default
    /// `anonymous`). Written as the lease holder of the tasks it gets.
    pub worker_id: Option<String>,
    /// The worker's host, shown by `GET /api/workers`.
    pub hostname: Option<String>,
    /// The worker's process id, shown by `GET /api/workers`.
    pub pid: Option<u32>,
    /// How many attempts the worker runs at once, shown by `GET /api/workers`.
    pub concurrency: Option<u32>,
}

/// One leased task; present `task.id` and `token` to renew, complete or fail it.
#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LeasedTask {
    /// The task, `INPROGRESS`, with `attempts` counting this attempt.
    pub task: Task,
    /// The lease token, different for every lease (a decimal string: JSON
    /// numbers lose precision past 2^53).
    pub token: String,
    /// When the lease runs out unless renewed.
    pub expires_at: DateTime<Utc>,
}

impl LeasedTask {
    /// How long the lease lasts: both times come from the server's clock,
    /// so no clock skew between the machines enters it.
    pub fn duration(&self) -> Option<Duration> {
        let started = self.task.started_at?;
        (self.expires_at - started).to_std().ok()
    }
}

/// The leased tasks, possibly none.
#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LeaseAnswer {
    /// Highest priority first.
    pub leases: Vec<LeasedTask>,
}

/// One lease a worker holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct HeldLease {
    /// The task.
    pub task_id: String,
    /// The token its lease came with.
    #[cfg_attr(feature = "openapi", schema(pattern = "^-?[0-9]{1,19}$"))]
    pub token: String,
}

/// The leases to renew.
#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct HeartbeatBody {
    /// Up to 500 leases.
    #[cfg_attr(feature = "openapi", schema(max_items = 500))]
    pub leases: Vec<HeldLease>,
    /// How long they last from now, in milliseconds (default: the server's lease).
    #[cfg_attr(feature = "openapi", schema(minimum = 1000, maximum = 3_600_000))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lease_ms: Option<u64>,
    /// Who renews them (default `anonymous`); refreshes its last-seen time.
    pub worker_id: Option<String>,
}

/// The leases that could not be renewed.
#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HeartbeatAnswer {
    /// Task ids whose lease is gone: stop those attempts.
    pub lost: Vec<String>,
}

/// A successful attempt.
#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CompleteBody {
    /// The task.
    pub task_id: String,
    /// Its lease token.
    #[cfg_attr(feature = "openapi", schema(pattern = "^-?[0-9]{1,19}$"))]
    pub token: String,
    /// Any JSON value, stored as the task's `result`; `null` when absent.
    #[cfg_attr(feature = "openapi", schema(value_type = Value, required = false))]
    pub result: Option<RawJson>,
    /// Who reports it (default `anonymous`; in a `/worker/finish` batch, the batch's).
    pub worker_id: Option<String>,
}

/// A failed attempt.
#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct FailBody {
    /// The task.
    pub task_id: String,
    /// Its lease token.
    #[cfg_attr(feature = "openapi", schema(pattern = "^-?[0-9]{1,19}$"))]
    pub token: String,
    /// Why it failed, stored as `last_error`.
    pub error: String,
    /// True when no retry can help: the task ends `FAILED` at once.
    #[serde(default)]
    pub permanent: bool,
    /// Who reports it (default `anonymous`; in a `/worker/finish` batch, the batch's).
    pub worker_id: Option<String>,
}

/// The task's status once the attempt's ending was recorded.
#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FinishAnswer {
    /// `COMPLETED`; after a failure `QUEUED` (a retry after back-off) or `FAILED`.
    pub status: TaskStatus,
}

/// Several attempts' endings at once: one request and one store transaction
/// for a whole batch of leases.
#[derive(Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct FinishBody {
    /// Successful attempts.
    #[serde(default)]
    pub complete: Vec<CompleteBody>,
    /// Failed attempts; the retry policy decides for each.
    #[serde(default)]
    pub fail: Vec<FailBody>,
    /// Who reports them (default `anonymous`).
    pub worker_id: Option<String>,
}

/// One recorded ending.
#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FinishedTask {
    /// The task.
    pub task_id: String,
    /// Its status once the ending was recorded.
    pub status: TaskStatus,
}

/// What became of a batch of endings.
#[derive(Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FinishManyAnswer {
    /// The endings recorded, completions first, each list in request order.
    pub finished: Vec<FinishedTask>,
    /// Task ids whose lease was no longer held: those endings were dropped.
    pub lost: Vec<String>,
}

/// Leases a worker hands back without running them to the end (it is
/// shutting down): each task is queued again and its attempt does not count.
#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ReleaseBody {
    /// Up to 500 leases.
    #[cfg_attr(feature = "openapi", schema(min_items = 1, max_items = 500))]
    pub leases: Vec<HeldLease>,
    /// Who hands them back (default `anonymous`).
    pub worker_id: Option<String>,
    /// Keep the tasks from starting again for this many milliseconds
    /// (default 0, at most 3600000).
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 3_600_000))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delay_ms: Option<u64>,
}

/// What became of a batch of hand-backs.
#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReleaseAnswer {
    /// Task ids queued again, in request order, each with a `released` event.
    pub released: Vec<String>,
    /// Task ids whose lease was no longer held: nothing was done to them.
    pub lost: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lease_lasts_from_its_start_to_its_expiry() {
        let lease: LeasedTask = serde_json::from_str(
            r#"{"token": "-12", "expires_at": "2024-01-01T00:00:30Z",
                "task": {"id": "t", "type": "T", "payload": {"a": 1}, "queue": "q", "priority": 0,
                         "status": "INPROGRESS", "attempts": 1, "max_retries": 3,
                         "created_at": "2024-01-01T00:00:00Z", "updated_at": "2024-01-01T00:00:00Z",
                         "run_at": "2024-01-01T00:00:00Z", "started_at": "2024-01-01T00:00:00Z",
                         "finished_at": null, "last_error": null, "result": null,
                         "unique_key": null, "timeout_ms": null, "worker": "w"}}"#,
        )
        .expect("lease");
        assert_eq!(lease.duration(), Some(Duration::from_secs(30)));
        assert_eq!(lease.task.payload.get(), r#"{"a": 1}"#);
    }
}
