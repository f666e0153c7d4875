//! The worker protocol as a remote worker speaks it: lease (long polling),
//! heartbeat, complete, fail and release, every call naming the worker,
//! plus the back-off between calls that found no server.

use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::cli::client::{ApiClient, ClientError};

/// How long one lease call waits for work before answering empty. Under
/// the server's cap (60 s) and well under the HTTP timeout below.
const LONG_POLL: Duration = Duration::from_secs(30);

/// The most leases one heartbeat may carry (the server's batch cap).
pub const MAX_PER_HEARTBEAT: usize = 500;

/// One leased task, as much of it as the worker needs.
#[derive(Debug, Deserialize)]
pub struct Lease {
    /// The task, `INPROGRESS`.
    pub task: LeasedTask,
    /// The lease token to present with every later call about this attempt.
    pub token: String,
    /// When the lease runs out unless renewed, by the server's clock.
    pub expires_at: DateTime<Utc>,
}

/// The fields of a leased task the worker uses.
#[derive(Debug, Deserialize)]
pub struct LeasedTask {
    /// The task id.
    pub id: String,
    /// The task type.
    #[serde(rename = "type")]
    pub task_type: String,
    /// The payload, byte for byte as enqueued.
    pub payload: Box<RawValue>,
    /// The queue.
    pub queue: String,
    /// Attempts started, this one included.
    pub attempts: u32,
    /// When this attempt's lease was taken, by the server's clock.
    pub started_at: Option<DateTime<Utc>>,
    /// The task's own per-attempt timeout, if it has one.
    pub timeout_ms: Option<u64>,
    /// The W3C trace context of the enqueue, which the command may continue.
    #[serde(default)]
    pub traceparent: Option<String>,
}

impl Lease {
    /// How long the lease lasts: both times come from the server's clock,
    /// so no clock skew between the machines enters it.
    pub fn duration(&self) -> Option<Duration> {
        let started = self.task.started_at?;
        (self.expires_at - started).to_std().ok()
    }
}

/// How an attempt ended, as the server is told.
#[derive(Debug)]
pub enum Report {
    /// It succeeded, with this result (`None` is stored as null).
    Complete(Option<Box<RawValue>>),
    /// It failed; `permanent` ends the task `FAILED` without further attempts.
    Fail {
        /// Stored as the task's `last_error`.
        error: String,
        /// No retry can help.
        permanent: bool,
    },
    /// It was stopped because the worker is shutting down: the task goes
    /// back to the queue and the attempt does not count.
    Release,
}

#[derive(Serialize)]
struct LeaseBody<'a> {
    types: &'a [String],
    limit: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    lease_ms: Option<u64>,
    wait_ms: u64,
    worker_id: &'a str,
    hostname: &'a str,
    pid: u32,
    concurrency: u32,
}

#[derive(Deserialize)]
struct LeaseAnswer {
    leases: Vec<Lease>,
}

#[derive(Serialize)]
struct HeldLease<'a> {
    task_id: &'a str,
    token: &'a str,
}

#[derive(Serialize)]
struct HeartbeatBody<'a> {
    leases: Vec<HeldLease<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    lease_ms: Option<u64>,
    worker_id: &'a str,
}

#[derive(Deserialize)]
struct HeartbeatAnswer {
    lost: Vec<String>,
}

#[derive(Serialize)]
struct CompleteBody<'a> {
    task_id: &'a str,
    token: &'a str,
    result: Option<&'a RawValue>,
    worker_id: &'a str,
}

#[derive(Serialize)]
struct FailBody<'a> {
    task_id: &'a str,
    token: &'a str,
    error: &'a str,
    permanent: bool,
    worker_id: &'a str,
}

#[derive(Serialize)]
struct ReleaseBody<'a> {
    leases: [HeldLease<'a>; 1],
    worker_id: &'a str,
}

#[derive(Deserialize)]
struct ReleaseAnswer {
    lost: Vec<String>,
}

/// The status a finished attempt left its task in.
#[derive(Debug, Deserialize)]
pub struct Finished {
    /// `COMPLETED`, `QUEUED` (a retry after back-off) or `FAILED`.
    pub status: String,
}

/// Who this worker is, as it tells the server on every call.
#[derive(Debug, Clone)]
pub struct Identity {
    /// The worker id: the lease holder of its tasks.
    pub id: String,
    /// How many commands it runs at once.
    pub concurrency: u32,
}

/// A worker's calls to one server, for a fixed set of task types.
#[derive(Debug)]
pub struct Protocol {
    client: ApiClient,
    types: Vec<String>,
    /// The lease asked for; `None` takes the server's `--lease-secs`.
    lease_ms: Option<u64>,
    identity: Identity,
    hostname: String,
}

impl Protocol {
    /// Calls over `client` for tasks of `types`, with leases of `lease` (or
    /// the server's), on behalf of the worker `identity`.
    pub fn new(
        client: ApiClient,
        types: Vec<String>,
        lease: Option<Duration>,
        identity: Identity,
    ) -> Self {
        let lease_ms = lease.map(|lease| u64::try_from(lease.as_millis()).unwrap_or(u64::MAX));
        Self {
            client,
            types,
            lease_ms,
            identity,
            hostname: rustqueue_core::engine::hostname(),
        }
    }

    /// The client the calls go through.
    pub fn client(&self) -> &ApiClient {
        &self.client
    }

    /// The task types this worker leases.
    pub fn types(&self) -> &[String] {
        &self.types
    }

    /// The lease length asked for, when the worker chose one.
    pub fn lease(&self) -> Option<Duration> {
        self.lease_ms.map(Duration::from_millis)
    }

    /// Leases up to `limit` tasks, waiting up to [`LONG_POLL`] for one to be ready.
    pub async fn lease_tasks(&self, limit: usize) -> Result<Vec<Lease>, ClientError> {
        let body = LeaseBody {
            types: &self.types,
            limit,
            lease_ms: self.lease_ms,
            wait_ms: LONG_POLL.as_millis() as u64,
            worker_id: &self.identity.id,
            hostname: &self.hostname,
            pid: std::process::id(),
            concurrency: self.identity.concurrency,
        };
        let request = self
            .client
            .with_json(Method::POST, "/api/worker/lease", &body)
            .timeout(LONG_POLL + Duration::from_secs(15));
        let answer: LeaseAnswer = self.client.send_json(request).await?;
        Ok(answer.leases)
    }

    /// Renews leases (at most [`MAX_PER_HEARTBEAT`]); answers the ids of those that are gone.
    pub async fn heartbeat(&self, held: &[(String, String)]) -> Result<Vec<String>, ClientError> {
        let body = HeartbeatBody {
            leases: held
                .iter()
                .map(|(task_id, token)| HeldLease { task_id, token })
                .collect(),
            lease_ms: self.lease_ms,
            worker_id: &self.identity.id,
        };
        let request = self
            .client
            .with_json(Method::POST, "/api/worker/heartbeat", &body);
        let answer: HeartbeatAnswer = self.client.send_json(request).await?;
        Ok(answer.lost)
    }

    /// Tells the server how an attempt ended; 409 means the lease was lost meanwhile.
    pub async fn finish(
        &self,
        task_id: &str,
        token: &str,
        report: &Report,
    ) -> Result<Finished, ClientError> {
        let worker_id = &self.identity.id;
        let request = match report {
            Report::Complete(result) => {
                let result = result.as_deref();
                let body = CompleteBody {
                    task_id,
                    token,
                    result,
                    worker_id,
                };
                (self.client).with_json(Method::POST, "/api/worker/complete", &body)
            }
            Report::Fail { error, permanent } => {
                let body = FailBody {
                    task_id,
                    token,
                    error,
                    permanent: *permanent,
                    worker_id,
                };
                (self.client).with_json(Method::POST, "/api/worker/fail", &body)
            }
            Report::Release => return self.release(task_id, token).await,
        };
        self.client.send_json(request).await
    }

    /// Hands a leased task back without using its attempt; a lease no
    /// longer held answers 409, as a finish does.
    async fn release(&self, task_id: &str, token: &str) -> Result<Finished, ClientError> {
        let body = ReleaseBody {
            leases: [HeldLease { task_id, token }],
            worker_id: &self.identity.id,
        };
        let request = (self.client).with_json(Method::POST, "/api/worker/release", &body);
        let answer: ReleaseAnswer = self.client.send_json(request).await?;
        if answer.lost.is_empty() {
            Ok(Finished {
                status: "QUEUED".to_owned(),
            })
        } else {
            // What a finish of a lease no longer held answers.
            Err(ClientError::Refused {
                status: reqwest::StatusCode::CONFLICT,
                detail: format!("the lease on task {task_id} is no longer held"),
            })
        }
    }
}

/// Waits between calls that found no server: from 100 ms, doubling, up to
/// 2 s, so a restarted server is found again within about two seconds.
#[derive(Debug)]
pub struct Backoff {
    next: Duration,
}

impl Backoff {
    const FIRST: Duration = Duration::from_millis(100);
    const CAP: Duration = Duration::from_secs(2);

    /// A back-off at its shortest wait.
    pub fn new() -> Self {
        Self { next: Self::FIRST }
    }

    /// The next wait; each is twice the last, up to the cap.
    pub fn next_delay(&mut self) -> Duration {
        let delay = self.next;
        self.next = (self.next * 2).min(Self::CAP);
        delay
    }

    /// Back to the shortest wait, after a call that got an answer.
    pub fn reset(&mut self) {
        self.next = Self::FIRST;
    }
}

impl Default for Backoff {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_its_cap_and_resets() {
        let mut backoff = Backoff::new();
        let waits: Vec<u128> = (0..7).map(|_| backoff.next_delay().as_millis()).collect();
        assert_eq!(waits, [100, 200, 400, 800, 1600, 2000, 2000]);
        backoff.reset();
        assert_eq!(backoff.next_delay(), Duration::from_millis(100));
    }

    #[test]
    fn a_lease_lasts_from_its_start_to_its_expiry() {
        let lease: Lease = serde_json::from_str(
            r#"{"token": "-12", "expires_at": "2024-01-01T00:00:30Z",
                "task": {"id": "t", "type": "T", "payload": {"a": 1}, "queue": "q", "attempts": 1,
                         "started_at": "2024-01-01T00:00:00Z", "timeout_ms": null, "status": "INPROGRESS"}}"#,
        )
        .expect("lease");
        assert_eq!(lease.duration(), Some(Duration::from_secs(30)));
        assert_eq!(lease.task.payload.get(), r#"{"a": 1}"#);
    }
}
