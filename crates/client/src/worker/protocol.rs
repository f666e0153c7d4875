//! The worker protocol as a remote worker speaks it: lease (long polling),
//! heartbeat, complete, fail and release, every call naming the worker,
//! plus the back-off between calls that found no server.

use std::time::Duration;

use reqwest::Method;
use rustqueue_core::task::{RawJson, TaskStatus};

use crate::client::{ApiClient, ClientError};
use crate::wire::worker::{
    CompleteBody, FailBody, FinishAnswer, HeartbeatAnswer, HeartbeatBody, HeldLease, LeaseAnswer,
    LeaseBody, LeasedTask, ReleaseAnswer, ReleaseBody,
};

/// How long one lease call waits for work before answering empty. Under
/// the server's cap (60 s) and well under the HTTP timeout below.
const LONG_POLL: Duration = Duration::from_secs(30);

/// The most leases one heartbeat may carry (the server's batch cap).
pub const MAX_PER_HEARTBEAT: usize = 500;

/// How an attempt ended, as the server is told.
#[derive(Debug)]
pub enum Report {
    /// It succeeded, with this result (`None` is stored as null).
    Complete(Option<RawJson>),
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

    /// Leases up to `limit` tasks, waiting up to `LONG_POLL` for one to be ready.
    pub async fn lease_tasks(&self, limit: usize) -> Result<Vec<LeasedTask>, ClientError> {
        let body = LeaseBody {
            types: self.types.clone(),
            limit: Some(limit),
            lease_ms: self.lease_ms,
            wait_ms: Some(LONG_POLL.as_millis() as u64),
            worker_id: Some(self.identity.id.clone()),
            hostname: Some(self.hostname.clone()),
            pid: Some(std::process::id()),
            concurrency: Some(self.identity.concurrency),
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
                .map(|(id, token)| held_lease(id, token))
                .collect(),
            lease_ms: self.lease_ms,
            worker_id: Some(self.identity.id.clone()),
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
    ) -> Result<FinishAnswer, ClientError> {
        let (task_id, token) = (task_id.to_owned(), token.to_owned());
        let worker_id = Some(self.identity.id.clone());
        let request = match report {
            Report::Complete(result) => {
                let body = CompleteBody {
                    task_id,
                    token,
                    result: result.clone(),
                    worker_id,
                };
                (self.client).with_json(Method::POST, "/api/worker/complete", &body)
            }
            Report::Fail { error, permanent } => {
                let body = FailBody {
                    task_id,
                    token,
                    error: error.clone(),
                    permanent: *permanent,
                    worker_id,
                };
                (self.client).with_json(Method::POST, "/api/worker/fail", &body)
            }
            Report::Release => return self.release(&task_id, &token).await,
        };
        self.client.send_json(request).await
    }

    /// Hands a leased task back without using its attempt; a lease no
    /// longer held answers 409, as a finish does.
    async fn release(&self, task_id: &str, token: &str) -> Result<FinishAnswer, ClientError> {
        let body = ReleaseBody {
            leases: vec![held_lease(task_id, token)],
            worker_id: Some(self.identity.id.clone()),
            delay_ms: None,
        };
        let request = (self.client).with_json(Method::POST, "/api/worker/release", &body);
        let answer: ReleaseAnswer = self.client.send_json(request).await?;
        if answer.lost.is_empty() {
            Ok(FinishAnswer {
                status: TaskStatus::Queued,
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

fn held_lease(task_id: &str, token: &str) -> HeldLease {
    HeldLease {
        task_id: task_id.to_owned(),
        token: token.to_owned(),
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
}
