//! Retention: finished tasks are deleted, with their history, once they are
//! older than their status's retention, so storage does not grow forever.
//! One node per tick does it (a periodic job's turn), in small batches that
//! leave room for enqueues and claims between them. Unfinished tasks are
//! never touched (the store only prunes rows with `finished_at`).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use chrono::TimeDelta;

use super::Shared;
use crate::store::{Store, TaskPruneParams};
use crate::task::TaskStatus;

/// How long finished tasks are kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retention {
    /// `COMPLETED` tasks are deleted this long after they finished; `None` keeps them.
    pub completed: Option<Duration>,
    /// `FAILED` tasks are deleted this long after they finished; `None` keeps them.
    pub failed: Option<Duration>,
    /// How often one node of the cluster looks for tasks to delete.
    pub every: Duration,
    /// The most tasks one store call deletes: small enough that the
    /// writer's queue never waits long behind it.
    pub batch: usize,
}

impl Default for Retention {
    fn default() -> Self {
        Self {
            completed: Some(Duration::from_secs(24 * 3600)),
            failed: Some(Duration::from_secs(7 * 24 * 3600)),
            every: Duration::from_secs(60),
            batch: 100,
        }
    }
}

/// The share of a turn's period it may spend deleting; the rest waits for
/// the next turn, so turns of two nodes do not overlap.
const TURN_SHARE: u32 = 2;

/// Tasks this node deleted by retention, per status.
#[derive(Debug, Default)]
pub(super) struct Pruned {
    completed: AtomicU64,
    failed: AtomicU64,
}

impl Pruned {
    fn add(&self, status: TaskStatus, count: u64) {
        let counter = match status {
            TaskStatus::Failed => &self.failed,
            _ => &self.completed,
        };
        counter.fetch_add(count, Ordering::Relaxed);
    }

    /// (completed, failed) deleted so far.
    pub(super) fn totals(&self) -> (u64, u64) {
        (
            self.completed.load(Ordering::Relaxed),
            self.failed.load(Ordering::Relaxed),
        )
    }
}

/// Takes a turn every `every` until the engine stops.
pub(super) async fn run(shared: Arc<Shared>) {
    let retention = &shared.config.retention;
    if retention.completed.is_none() && retention.failed.is_none() {
        return;
    }
    let mut tick = tokio::time::interval(retention.every.max(Duration::from_millis(10)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = shared.stopped.cancelled() => return,
            _ = tick.tick() => turn(&shared).await,
        }
    }
}

/// Deletes what is due, if this node has the turn.
async fn turn(shared: &Shared) {
    let retention = &shared.config.retention;
    let every = TimeDelta::from_std(retention.every).unwrap_or(TimeDelta::zero());
    match shared.take_turn("retention", every, shared.now()).await {
        Ok(true) => {}
        Ok(false) => return,
        Err(error) => {
            tracing::warn!(%error, "cannot take retention's turn");
            return;
        }
    }
    for (status, keep) in [
        (TaskStatus::Completed, retention.completed),
        (TaskStatus::Failed, retention.failed),
    ] {
        if let Some(keep) = keep {
            prune_status(shared, status, keep).await;
        }
    }
}

/// Deletes the tasks of `status` finished more than `keep` ago, batch by batch.
async fn prune_status(shared: &Shared, status: TaskStatus, keep: Duration) {
    let keep = TimeDelta::from_std(keep).unwrap_or(TimeDelta::MAX);
    let Some(finished_before) = shared.now().checked_sub_signed(keep) else {
        return;
    };
    let params = TaskPruneParams {
        status,
        finished_before,
        limit: shared.config.retention.batch.max(1),
    };
    let mut total = 0;
    let deadline = tokio::time::Instant::now() + shared.config.retention.every / TURN_SHARE;
    while !shared.stopping.is_cancelled() && tokio::time::Instant::now() < deadline {
        let started = tokio::time::Instant::now();
        match shared.store.task_prune(&params).await {
            Ok(count) => {
                total += count;
                shared.pruned.add(status, count);
                if count < params.limit as u64 {
                    break;
                }
                // A store writes one thing at a time: rest as long as the
                // batch took, so enqueues and claims get at least half of it.
                tokio::time::sleep(started.elapsed()).await;
            }
            Err(error) => {
                tracing::warn!(%error, status = status.as_str(), "retention failed; next turn tries again");
                break;
            }
        }
    }
    if total > 0 {
        tracing::info!(
            deleted = total,
            status = status.as_str(),
            "retention deleted old tasks"
        );
    }
}

impl super::Engine {
    /// How long this node keeps finished tasks.
    pub fn retention(&self) -> &Retention {
        &self.shared.config.retention
    }
}
