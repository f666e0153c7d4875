//! The worker protocol: remote workers, in any language, lease tasks, renew
//! their leases, and report how each attempt ended. The same guarded store
//! transitions as local workers use, so a remote worker whose lease lapsed
//! cannot overwrite what the reaper decided.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use chrono::TimeDelta;

use super::claim::{ClaimRequest, claim};
use super::identity::check_worker_id;
use super::{Engine, Shared, outcome};
use crate::enqueue::MAX_PAYLOAD_DEPTH;
use crate::error::EngineError;
use crate::store::{
    Finish, Lease, LeaseToken, Store, TaskFinishManyParams, TaskGetManyParams, TaskHeartbeatParams,
    WorkerKind, WorkerRecord,
};
use crate::task::{RawJson, Task, TaskStatus, json_depth};

/// The most tasks one lease call hands out.
pub const MAX_WORKER_BATCH: usize = 500;

/// The shortest and longest lease a remote worker may ask for.
pub const WORKER_LEASE_RANGE: (Duration, Duration) =
    (Duration::from_secs(1), Duration::from_secs(3600));

/// The longest a lease call may wait for work.
pub const MAX_WORKER_WAIT: Duration = Duration::from_secs(60);

/// How a remote attempt ended.
#[derive(Debug, Clone)]
pub enum WorkerOutcome {
    /// It succeeded, with an optional JSON result.
    Completed(Option<RawJson>),
    /// It failed; a permanent failure ends the task `FAILED` at once,
    /// otherwise the retry policy decides (back-off, or `FAILED` when out of attempts).
    Failed {
        /// Why, stored as `last_error`.
        error: String,
        /// No retry can fix it.
        permanent: bool,
    },
}

fn check_lease_for(lease_for: Duration) -> Result<TimeDelta, EngineError> {
    let (shortest, longest) = WORKER_LEASE_RANGE;
    if !(shortest..=longest).contains(&lease_for) {
        return Err(EngineError::Invalid(format!(
            "lease_ms must be between {} and {}",
            shortest.as_millis(),
            longest.as_millis()
        )));
    }
    TimeDelta::from_std(lease_for).map_err(|_| EngineError::Invalid("lease_ms is too long".into()))
}

/// The token a remote worker sees for a lease, and back: one claim writes
/// one token on every task it leases, so the worker's token mixes in the
/// task id (reversibly: XOR is its own inverse) to give each lease a token of
/// its own. The guard stays the task id plus the stored token.
pub(super) fn worker_token(task_id: &str, token: LeaseToken) -> LeaseToken {
    LeaseToken(token.0 ^ fnv1a(task_id.as_bytes()))
}

/// FNV-1a, 64 bits: a fixed hash, so every node and version maps alike.
fn fnv1a(bytes: &[u8]) -> i64 {
    let hash = bytes.iter().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3)
    });
    i64::from_ne_bytes(hash.to_ne_bytes())
}

impl Engine {
    /// Leases up to `limit` ready tasks of `types` to the remote worker
    /// `worker` for `lease_for`; each lease comes with a token of its own,
    /// and the worker's id is written as each task's lease holder.
    pub async fn worker_lease(
        &self,
        worker: &WorkerInfo,
        types: &[String],
        limit: usize,
        lease_for: Duration,
    ) -> Result<Vec<Lease>, EngineError> {
        let shared = &self.shared;
        if self.is_draining() {
            return Err(EngineError::ShuttingDown);
        }
        check_worker_id(&worker.id)?;
        if let Some(unknown) = types.iter().find(|t| !shared.registry.knows(t)) {
            return Err(EngineError::UnknownType {
                task_type: unknown.clone(),
                known: shared.registry.known_types(),
            });
        }
        if types.is_empty() || !(1..=MAX_WORKER_BATCH).contains(&limit) {
            return Err(EngineError::Invalid(format!(
                "a lease needs at least one type and a limit from 1 to {MAX_WORKER_BATCH}"
            )));
        }
        let request = ClaimRequest {
            types: types.to_vec(),
            limit,
            lease_for: check_lease_for(lease_for)?,
            holder: worker.id.clone(),
        };
        super::workers::note_seen(shared, worker.record(types, shared.now())).await;
        // The worker holds its leases itself: it renews them and reports their endings.
        let leases = claim(shared, request, |mut lease| {
            lease.token = worker_token(&lease.task.id, lease.token);
            lease
        })
        .await?;
        Ok(leases)
    }

    /// Like [`Engine::worker_lease`], but when nothing is ready, waits up to
    /// `wait` for work, woken by the same signal as local workers (an
    /// enqueue, a retry, a resumed queue, another node's work), so a remote
    /// worker starts new work at once without polling. Answers empty when the
    /// wait runs out or the node starts shutting down.
    pub async fn worker_lease_waiting(
        &self,
        worker: &WorkerInfo,
        types: &[String],
        limit: usize,
        lease_for: Duration,
        wait: Duration,
    ) -> Result<Vec<Lease>, EngineError> {
        if wait > MAX_WORKER_WAIT {
            return Err(EngineError::Invalid(format!(
                "wait_ms must be at most {}",
                MAX_WORKER_WAIT.as_millis()
            )));
        }
        let shared = &self.shared;
        let _counted = WaitingCall::new(&shared.lease_calls_waiting);
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            // Registered before the claim, so work made ready during it still wakes us.
            let ready = shared.remote_wake.notified();
            tokio::pin!(ready);
            ready.as_mut().enable();
            let leases = self.worker_lease(worker, types, limit, lease_for).await?;
            let now = tokio::time::Instant::now();
            if !leases.is_empty() || now >= deadline {
                return Ok(leases);
            }
            // Delayed tasks fall due without a signal: look again now and then.
            let nap = (deadline - now).min(shared.config.idle_poll);
            tokio::select! {
                () = ready => {}
                () = tokio::time::sleep(nap) => {}
                () = shared.stopping.cancelled() => return Ok(Vec::new()),
            }
        }
    }

    /// Renews the leases of the remote worker `worker_id` for `lease_for`;
    /// returns the ids of the leases it lost (the worker should stop those attempts).
    pub async fn worker_heartbeat(
        &self,
        worker_id: &str,
        leases: &[(String, LeaseToken)],
        lease_for: Duration,
    ) -> Result<Vec<String>, EngineError> {
        if leases.len() > MAX_WORKER_BATCH {
            return Err(EngineError::Invalid(format!(
                "at most {MAX_WORKER_BATCH} leases per heartbeat"
            )));
        }
        check_worker_id(worker_id)?;
        let now = self.shared.now();
        let expires_at = now + check_lease_for(lease_for)?;
        super::workers::note_seen(&self.shared, WorkerInfo::named(worker_id).record(&[], now))
            .await;
        let stored: Vec<_> = leases
            .iter()
            .map(|(id, token)| (id.clone(), worker_token(id, *token)))
            .collect();
        Ok(self
            .shared
            .store
            .task_heartbeat(&TaskHeartbeatParams {
                leases: stored,
                expires_at,
            })
            .await?)
    }

    /// Records how a remote attempt ended; returns the task's status after it.
    /// `LeaseLost` when the worker no longer holds the lease.
    pub async fn worker_finish(
        &self,
        worker_id: &str,
        task_id: &str,
        token: LeaseToken,
        ended: WorkerOutcome,
    ) -> Result<TaskStatus, EngineError> {
        let finish = WorkerFinish {
            task_id: task_id.to_owned(),
            token,
            outcome: ended,
        };
        let statuses = self.worker_finish_many(worker_id, vec![finish]).await?;
        statuses.into_iter().flatten().next().ok_or_else(|| {
            EngineError::LeaseLost(format!("the lease on task {task_id} is no longer held"))
        })
    }

    /// Records how several remote attempts ended, in one store transaction:
    /// for each, in order, the task's status after it, or `None` when the
    /// worker no longer held that lease. An invalid ending (a malformed id,
    /// a result nested too deep) refuses the whole batch and writes nothing.
    pub async fn worker_finish_many(
        &self,
        worker_id: &str,
        ends: Vec<WorkerFinish>,
    ) -> Result<Vec<Option<TaskStatus>>, EngineError> {
        let shared = &self.shared;
        if !(1..=MAX_WORKER_BATCH).contains(&ends.len()) {
            return Err(EngineError::Invalid(format!(
                "finish 1 to {MAX_WORKER_BATCH} leases at once"
            )));
        }
        check_worker_id(worker_id)?;
        for end in &ends {
            check_ending(end)?;
        }
        let seen = WorkerInfo::named(worker_id).record(&[], shared.now());
        super::workers::note_seen(shared, seen).await;
        let count = ends.len();
        let held = held_endings(shared, ends).await?;
        let mut statuses = vec![None; count];
        if held.is_empty() {
            return Ok(statuses);
        }
        let finishes = held.iter().map(|(_, _, finish)| finish.clone()).collect();
        let applied = shared
            .store
            .task_finish_many(TaskFinishManyParams {
                finishes,
                now: shared.now(),
            })
            .await?;
        for ((index, lease, finish), applied) in held.into_iter().zip(applied) {
            if !applied {
                continue;
            }
            if let Some(started) = lease.task.started_at {
                let took = (shared.now() - started).to_std().unwrap_or_default();
                super::observe::ran(shared, &lease.task, took);
            }
            let status = finish.outcome.status();
            shared.publish(&lease.task.id, finish.event, Some(status));
            statuses[index] = Some(status);
        }
        Ok(statuses)
    }
}

/// The endings whose task is still running, each with the lease it names and
/// the finish it asks for, with its position in the batch. The tasks are read
/// in one call: only their attempt numbers are used, since the finish itself
/// is guarded by the token, so a lease lost meanwhile is not overwritten.
async fn held_endings(
    shared: &Shared,
    ends: Vec<WorkerFinish>,
) -> Result<Vec<(usize, Lease, Finish)>, EngineError> {
    let ids = ends.iter().map(|end| end.task_id.clone()).collect();
    let tasks: HashMap<String, Task> = shared
        .store
        .task_get_many(&TaskGetManyParams { ids })
        .await?
        .into_iter()
        .map(|task| (task.id.clone(), task))
        .collect();
    let mut held = Vec::with_capacity(ends.len());
    for (index, end) in ends.into_iter().enumerate() {
        let Some(task) = tasks.get(&end.task_id).cloned() else {
            continue;
        };
        if task.status != TaskStatus::InProgress {
            continue;
        }
        let lease = Lease {
            expires_at: shared.now(),
            token: worker_token(&task.id, end.token),
            task,
        };
        let finish = match end.outcome {
            WorkerOutcome::Completed(result) => outcome::after_success(&lease, result),
            WorkerOutcome::Failed { error, permanent } => outcome::after_error(
                &lease,
                error,
                permanent,
                shared.now(),
                &shared.config.backoff,
            ),
        };
        held.push((index, lease, finish));
    }
    Ok(held)
}

/// Who a remote worker says it is: its id (the lease holder of its tasks)
/// and, optionally, where it runs and how much at once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerInfo {
    /// 1 to 255 bytes, not beginning with `node:`.
    pub id: String,
    /// Its host.
    pub hostname: Option<String>,
    /// Its process id.
    pub pid: Option<u32>,
    /// How many attempts it runs at once.
    pub concurrency: Option<u32>,
}

impl WorkerInfo {
    /// A worker known by its id alone.
    pub fn named(id: &str) -> Self {
        Self {
            id: id.to_owned(),
            hostname: None,
            pid: None,
            concurrency: None,
        }
    }

    pub(super) fn record(&self, types: &[String], now: crate::task::Timestamp) -> WorkerRecord {
        WorkerRecord {
            id: self.id.clone(),
            kind: WorkerKind::Remote,
            types: types.to_vec(),
            hostname: self.hostname.clone(),
            pid: self.pid,
            concurrency: self.concurrency,
            last_seen_at: now,
        }
    }
}

/// One remote attempt's ending, as its worker reports it.
#[derive(Debug, Clone)]
pub struct WorkerFinish {
    /// The task.
    pub task_id: String,
    /// The token its lease came with.
    pub token: LeaseToken,
    /// How the attempt ended.
    pub outcome: WorkerOutcome,
}

fn check_ending(end: &WorkerFinish) -> Result<(), EngineError> {
    super::tasks::check_id(&end.task_id)?;
    if let WorkerOutcome::Completed(Some(result)) = &end.outcome
        && json_depth(result.get()) > MAX_PAYLOAD_DEPTH
    {
        return Err(EngineError::Invalid(format!(
            "result nests deeper than {MAX_PAYLOAD_DEPTH} levels"
        )));
    }
    Ok(())
}

/// Counts a lease call while it runs; dropped with the call, also when the
/// worker hangs up and the HTTP server drops the call's future.
struct WaitingCall<'a>(&'a AtomicUsize);

impl<'a> WaitingCall<'a> {
    fn new(count: &'a AtomicUsize) -> Self {
        count.fetch_add(1, Ordering::Relaxed);
        Self(count)
    }
}

impl Drop for WaitingCall<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_task_of_a_claim_gets_its_own_worker_token() {
        let claimed = LeaseToken(0x1234_5678_9abc_def0);
        let ids: Vec<String> = (0..1000).map(|n| format!("0190-task-{n}")).collect();
        let tokens: std::collections::HashSet<_> =
            ids.iter().map(|id| worker_token(id, claimed)).collect();
        assert_eq!(tokens.len(), ids.len());
        for id in &ids {
            assert_eq!(worker_token(id, worker_token(id, claimed)), claimed);
        }
        // FNV-1a's published value for "a", so the mapping never changes.
        assert_eq!(fnv1a(b"a") as u64, 0xaf63_dc4c_8601_ec8c);
    }
}
