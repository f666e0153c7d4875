//! Lease upkeep: heartbeats for this node's running attempts, the reaper that
//! rescues attempts whose lease expired (dead or hung workers anywhere), and
//! keeping this node's time on a shared store's clock.

use std::sync::Arc;
use std::time::Duration;

use chrono::TimeDelta;

use super::{Shared, clock_sync, outcome};
use crate::error::EngineError;
use crate::store::{Finish, LeaseToken};
use crate::task::Timestamp;

/// The most expired leases rescued per store call.
const RESCUE_BATCH: usize = 500;

/// Renews leases a few times per lease period and reaps expired ones, until the engine stops.
pub(super) async fn run(shared: Arc<Shared>) {
    let beat_every = (shared.config.lease / 3).max(Duration::from_millis(10));
    let mut heartbeat = tokio::time::interval(beat_every);
    let mut reap = tokio::time::interval(shared.config.reap_every.max(Duration::from_millis(10)));
    let mut clock_sync = tokio::time::interval(clock_sync::SYNC_EVERY);
    heartbeat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    reap.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    clock_sync.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut store_has_clock = true;
    loop {
        tokio::select! {
            _ = shared.stopped.cancelled() => return,
            _ = heartbeat.tick() => renew(&shared).await,
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
    match shared.store.periodic_take_turn("reaper", every, now).await {
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
async fn renew(shared: &Shared) {
    let held: Vec<(String, LeaseToken)> = shared
        .running()
        .iter()
        .map(|(id, running)| (id.clone(), running.token))
        .collect();
    if held.is_empty() {
        return;
    }
    let lease_for = TimeDelta::from_std(shared.config.lease).unwrap_or(TimeDelta::MAX);
    match shared
        .store
        .task_heartbeat(&held, shared.now() + lease_for)
        .await
    {
        Ok(lost) => {
            let running = shared.running();
            for id in lost {
                if let Some(attempt) = running.get(&id) {
                    tracing::info!(task_id = %id, "lease lost; cancelling the attempt");
                    attempt.cancel.cancel();
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
            .task_list_expired(expired_by, RESCUE_BATCH)
            .await?;
        let count = expired.len();
        let now = shared.now();
        let finishes: Vec<Finish> = expired
            .iter()
            .map(|lease| {
                outcome::after_lease_expiry(lease, reason, expired_by, now, &shared.config.backoff)
            })
            .collect();
        let applied = shared.store.task_finish_many(finishes.clone(), now).await?;
        for (finish, applied) in finishes.iter().zip(applied) {
            if applied {
                rescued += 1;
                shared.publish(&finish.task_id, finish.event, Some(finish.outcome.status()));
            }
        }
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

/// At start-up on an exclusive store, every `INPROGRESS` task belongs to a
/// process that died, so it is rescued at once instead of after its lease.
pub(super) async fn recover_orphans(shared: &Shared) -> Result<usize, EngineError> {
    rescue_expired(
        shared,
        Timestamp::MAX_UTC,
        "the previous server process stopped while it ran",
    )
    .await
}
