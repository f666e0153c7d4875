//! Lease upkeep: heartbeats for this node's running attempts (and its worker
//! record), the reaper that rescues attempts whose lease expired (dead or
//! hung workers anywhere), and keeping this node's time on a shared store's clock.

use std::sync::Arc;
use std::time::Duration;

use chrono::TimeDelta;

use super::identity::NODE_HOLDER_PREFIX;
use super::{Shared, clock_sync, outcome, workers};
use crate::error::EngineError;
use crate::store::{
    Finish, Store, TaskFinishManyParams, TaskHeartbeatParams, TaskListExpiredParams,
    TaskListRunningParams,
};
use crate::task::{Task, Timestamp};

/// The most expired leases rescued per store call.
const RESCUE_BATCH: usize = 500;

/// How often forgotten workers' records are pruned (by every node: it is idempotent).
const PRUNE_WORKERS_EVERY: Duration = Duration::from_secs(60);

/// Renews leases a few times per lease period and reaps expired ones, until the engine stops.
pub(super) async fn run(shared: Arc<Shared>) {
    let beat_every = (shared.config.lease / 3).max(Duration::from_millis(10));
    let mut beat = tokio::time::interval(beat_every);
    let mut reap = tokio::time::interval(shared.config.reap_every.max(Duration::from_millis(10)));
    let mut clock_sync = tokio::time::interval(clock_sync::SYNC_EVERY);
    let mut prune_workers = tokio::time::interval(PRUNE_WORKERS_EVERY);
    prune_workers.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    beat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    reap.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    clock_sync.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut store_has_clock = true;
    loop {
        tokio::select! {
            _ = shared.stopped.cancelled() => return,
            _ = beat.tick() => {
                heartbeat(&shared).await;
                workers::note_node_seen(&shared).await;
            }
            _ = prune_workers.tick() => workers::prune(&shared).await,
            _ = reap.tick() => reap_turn(&shared).await,
            _ = clock_sync.tick(), if store_has_clock => {
                store_has_clock = clock_sync::sync(&shared).await;
            }
        }
    }
}

/// Rescues expired leases if this node has the reaper's turn (one node per
/// tick on a shared store).
async fn reap_turn(shared: &Shared) {
    let now = shared.now();
    let every = TimeDelta::from_std(shared.config.reap_every).unwrap_or(TimeDelta::zero());
    match shared.take_turn("reaper", every, now).await {
        Ok(true) => {
            if let Err(error) = rescue_expired(shared, now, "the worker stopped renewing it").await
            {
                tracing::warn!(%error, "rescuing expired leases failed");
            }
        }
        Ok(false) => {}
        Err(error) => tracing::warn!(%error, "cannot take the reaper's turn"),
    }
}

/// Renews every lease this node holds; attempts whose lease was lost are cancelled.
async fn heartbeat(shared: &Shared) {
    let held = shared.attempts.held();
    if held.is_empty() {
        return;
    }
    let lease_for = TimeDelta::from_std(shared.config.lease).unwrap_or(TimeDelta::MAX);
    match shared
        .store
        .task_heartbeat(&TaskHeartbeatParams {
            leases: held,
            expires_at: shared.now() + lease_for,
        })
        .await
    {
        Ok(lost) => {
            for id in lost {
                if shared.attempts.cancel(&id) {
                    tracing::info!(task_id = %id, "lease lost; cancelling the attempt");
                }
            }
        }
        Err(error) => tracing::warn!(%error, "renewing leases failed"),
    }
}

/// Moves attempts whose lease expired by `expired_by` back to the queue (or to
/// `FAILED` when out of attempts). Each move is guarded by its lease token and
/// expiry, so it never races a worker that finishes or renews at the same moment.
async fn rescue_expired(
    shared: &Shared,
    expired_by: Timestamp,
    reason: &str,
) -> Result<usize, EngineError> {
    let mut rescued = 0;
    loop {
        let expired = shared
            .store
            .task_list_expired(&TaskListExpiredParams {
                expired_by,
                limit: RESCUE_BATCH,
            })
            .await?;
        let count = expired.len();
        let now = shared.now();
        let finishes: Vec<Finish> = expired
            .iter()
            .map(|lease| {
                outcome::after_lease_expiry(lease, reason, expired_by, now, &shared.config.backoff)
            })
            .collect();
        rescued += apply_rescues(shared, finishes, now).await?;
        if count < RESCUE_BATCH {
            break;
        }
    }
    if rescued > 0 {
        tracing::info!(rescued, "rescued tasks whose lease expired");
        shared.work_ready();
    }
    Ok(rescued)
}

/// Applies rescues, publishing each that applied; returns how many did.
async fn apply_rescues(
    shared: &Shared,
    finishes: Vec<Finish>,
    now: Timestamp,
) -> Result<usize, EngineError> {
    if finishes.is_empty() {
        return Ok(0);
    }
    let applied = shared
        .store
        .task_finish_many(TaskFinishManyParams {
            finishes: finishes.clone(),
            now,
        })
        .await?;
    let mut rescued = 0;
    for (finish, applied) in finishes.iter().zip(applied) {
        if applied {
            rescued += 1;
            shared.publish(&finish.task_id, finish.event, Some(finish.outcome.status()));
        }
    }
    Ok(rescued)
}

/// At start-up on an exclusive store, every `INPROGRESS` task that a server
/// process held (or whose holder was never recorded) belongs to a process
/// that died, so it is rescued at once instead of after its lease. Tasks
/// leased by remote workers are left alone: those workers may still run
/// them, and their heartbeats keep the leases (or the reaper rescues them
/// when they expire).
pub(super) async fn recover_orphans(shared: &Shared) -> Result<usize, EngineError> {
    let reason = "the previous server process stopped while it ran";
    let mut rescued = 0;
    let mut after: Option<String> = None;
    loop {
        let running = shared
            .store
            .task_list_running(&TaskListRunningParams {
                after: after.clone(),
                limit: RESCUE_BATCH,
            })
            .await?;
        let Some(last) = running.last() else { break };
        after = Some(last.task.id.clone());
        let now = shared.now();
        let finishes: Vec<Finish> = running
            .iter()
            .filter(|lease| held_by_a_node(&lease.task))
            .map(|lease| {
                let expired_by = Timestamp::MAX_UTC;
                outcome::after_lease_expiry(lease, reason, expired_by, now, &shared.config.backoff)
            })
            .collect();
        rescued += apply_rescues(shared, finishes, now).await?;
        if running.len() < RESCUE_BATCH {
            break;
        }
    }
    if rescued > 0 {
        tracing::info!(
            rescued,
            "rescued the attempts of the previous server process"
        );
        shared.work_ready();
    }
    Ok(rescued)
}

/// Whether a running task's lease belongs to a server node's own attempt:
/// its holder is a node identity, or unknown (leased before holders were kept).
fn held_by_a_node(task: &Task) -> bool {
    task.worker
        .as_deref()
        .is_none_or(|holder| holder.starts_with(NODE_HOLDER_PREFIX))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::task::NewTask;

    fn held_by(worker: Option<&str>) -> Task {
        let new = NewTask {
            id: "t".into(),
            task_type: "T".into(),
            payload: serde_json::value::RawValue::from_string("1".into()).expect("json"),
            queue: "default".into(),
            priority: 0,
            max_retries: 3,
            run_at: Timestamp::MIN_UTC,
            unique_key: None,
            timeout_ms: None,
            concurrency_key: None,
            traceparent: None,
            note: None,
        };
        Task {
            worker: worker.map(str::to_owned),
            ..new.into_queued(Timestamp::MIN_UTC)
        }
    }

    #[test]
    fn start_up_rescues_node_attempts_and_unknown_holders_only() {
        assert!(held_by_a_node(&held_by(Some("node:host:42:0190abcd"))));
        // Leased before holders were recorded: rescued as before.
        assert!(held_by_a_node(&held_by(None)));
        assert!(!held_by_a_node(&held_by(Some("host:42"))));
        assert!(!held_by_a_node(&held_by(Some("anonymous"))));
    }
}
