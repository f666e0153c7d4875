//! The finisher: records how attempts ended, many per store call (grouped commits),
//! and never drops one while the store is briefly unavailable.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinSet;

use super::Shared;
use crate::store::{Finish, Store, StoreError, TaskFinishManyParams};
use crate::task::TaskStatus;

/// The most finishes written in one store call.
const BATCH: usize = 1024;

/// How many batches may be in the store at once: while one commits, the
/// next fills, and a shared store (PostgreSQL) works on both together.
const WRITERS: usize = 2;

/// Writes finishes until every sender is gone and the channel is drained.
pub(super) async fn run(shared: Arc<Shared>, mut finishes: mpsc::UnboundedReceiver<Finish>) {
    let mut writing = JoinSet::new();
    loop {
        if writing.len() >= WRITERS {
            writing.join_next().await;
        }
        let mut batch = Vec::with_capacity(BATCH);
        if finishes.recv_many(&mut batch, BATCH).await == 0 {
            break;
        }
        let shared = shared.clone();
        writing.spawn(async move { finish_batch(&shared, batch).await });
    }
    writing.join_all().await;
}

/// Stores a batch, retrying while the store is unavailable: the attempts already
/// ran, and losing their ending would leave the tasks to the reaper. Any other
/// error is tried finish by finish, so one bad row cannot block the rest;
/// a finish that still fails is left to the reaper.
async fn finish_batch(shared: &Shared, batch: Vec<Finish>) {
    let applied = match finish_retrying(shared, batch.clone()).await {
        Ok(applied) => applied,
        // Only a shutdown that gave up on the store ends the retries this way.
        Err(StoreError::Unavailable(error)) => {
            tracing::error!(%error, count = batch.len(), "shutdown gave up recording finished attempts; their tasks run again when their leases expire");
            vec![false; batch.len()]
        }
        Err(error) if batch.len() > 1 => {
            tracing::warn!(%error, count = batch.len(), "recording a batch of finished attempts failed; trying one by one");
            let mut applied = Vec::with_capacity(batch.len());
            for finish in &batch {
                applied.push(finish_one(shared, finish.clone()).await);
            }
            applied
        }
        Err(_) => vec![finish_one(shared, batch[0].clone()).await],
    };
    record(shared, &batch, applied);
}

/// Stores one finish; false (with the error logged) when it cannot be stored.
async fn finish_one(shared: &Shared, finish: Finish) -> bool {
    let task_id = finish.task_id.clone();
    match finish_retrying(shared, vec![finish]).await {
        Ok(applied) => applied.first().copied().unwrap_or(false),
        Err(error) => {
            tracing::error!(%error, %task_id, "cannot record how an attempt ended; the reaper will rescue the task");
            false
        }
    }
}

/// Calls the store, retrying for as long as it is unavailable, unless a
/// shutdown gives up on it (then the tasks' leases expire and they run again).
async fn finish_retrying(shared: &Shared, batch: Vec<Finish>) -> Result<Vec<bool>, StoreError> {
    let mut failures = 0u32;
    loop {
        match shared
            .store
            .task_finish_many(TaskFinishManyParams {
                finishes: batch.clone(),
                now: shared.now(),
            })
            .await
        {
            Err(StoreError::Unavailable(error) | StoreError::Full(error)) => {
                failures += 1;
                tracing::warn!(%error, count = batch.len(), "store unavailable while recording finished attempts; retrying");
                let pause = Duration::from_millis(50 * u64::from(failures.min(100)));
                tokio::select! {
                    _ = shared.abandon.cancelled() => return Err(StoreError::Unavailable(error)),
                    _ = tokio::time::sleep(pause) => {}
                }
            }
            other => return other,
        }
    }
}

/// Forgets finished attempts and tells subscribers what was applied.
fn record(shared: &Shared, batch: &[Finish], applied: Vec<bool>) {
    let mut retried = false;
    shared
        .attempts
        .end_many(batch.iter().map(|f| (f.task_id.as_str(), f.token)));
    for (finish, applied) in batch.iter().zip(applied) {
        if !applied {
            tracing::debug!(task_id = %finish.task_id, "attempt ending not recorded: the lease was lost");
            continue;
        }
        let status = finish.outcome.status();
        retried |= status == TaskStatus::Queued;
        shared.publish(&finish.task_id, finish.event, Some(status));
    }
    // A retry may be due before the dispatcher's next planned look, and an
    // ended attempt of a limited queue may let a held-back task start.
    if retried || shared.limited.load(std::sync::atomic::Ordering::Relaxed) {
        shared.work_ready();
    }
}
