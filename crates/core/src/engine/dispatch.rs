//! The dispatcher: claims batches of ready tasks sized to the free worker slots,
//! and runs each attempt under its timeout and cancellation.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use chrono::TimeDelta;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use super::claim::{self, ClaimRequest};
use super::{Shared, observe, outcome};
use crate::context::{Deadline, TaskContext};
use crate::handler::TaskError;
use crate::store::{Finish, Lease, Store, StoreError, TaskNextRunAtParams};

/// Claims and starts work until the engine stops.
pub(super) async fn run(shared: Arc<Shared>, finishes: mpsc::UnboundedSender<Finish>) {
    let slots = Arc::new(Semaphore::new(shared.config.workers.max(1)));
    let mut failures = 0u32;
    loop {
        let Some(permits) = free_slots(&shared, &slots).await else {
            return;
        };
        let wanted = permits.len();
        match claim(&shared, wanted).await {
            Ok(leases) => {
                failures = 0;
                let claimed = leases.len();
                for ((lease, cancel), permit) in leases.into_iter().zip(permits) {
                    start_attempt(&shared, lease, cancel, permit, finishes.clone());
                }
                if claimed < wanted && !wait_for_work(&shared).await {
                    return;
                }
            }
            Err(error) => {
                failures += 1;
                tracing::warn!(%error, "claiming tasks failed; backing off");
                drop(permits);
                let pause = Duration::from_millis(50 * u64::from(failures.min(100)));
                if !sleep_unless_stopping(&shared, pause).await {
                    return;
                }
            }
        }
    }
}

/// Waits for at least one free worker slot and takes every free one, up to a claim batch.
async fn free_slots(shared: &Shared, slots: &Arc<Semaphore>) -> Option<Vec<OwnedSemaphorePermit>> {
    let first = tokio::select! {
        biased;
        _ = shared.stopping.cancelled() => return None,
        permit = slots.clone().acquire_owned() => permit.ok()?,
    };
    let mut permits = vec![first];
    while permits.len() < shared.config.claim_batch {
        match slots.clone().try_acquire_owned() {
            Ok(permit) => permits.push(permit),
            Err(_) => break,
        }
    }
    Some(permits)
}

/// Claims up to `limit` tasks for this node, each recorded as a running attempt.
async fn claim(
    shared: &Shared,
    limit: usize,
) -> Result<Vec<(Lease, CancellationToken)>, StoreError> {
    let request = ClaimRequest {
        types: shared.types.clone(),
        limit,
        lease_for: TimeDelta::from_std(shared.config.lease).unwrap_or(TimeDelta::MAX),
        holder: shared.node_id.clone(),
    };
    claim::claim(shared, request, |lease| {
        let cancel = shared.attempts.start(&lease.task.id, lease.token);
        (lease, cancel)
    })
    .await
}

/// Sleeps until woken, until the next delayed task is due, or for the idle poll;
/// false when the engine is stopping.
async fn wait_for_work(shared: &Shared) -> bool {
    let woken = shared.wake.notified();
    let mut nap = shared.config.idle_poll;
    match shared
        .store
        .task_next_run_at(&TaskNextRunAtParams {
            types: shared.types.clone(),
        })
        .await
    {
        Ok(Some(next)) => {
            let until_next = (next - shared.now()).to_std().unwrap_or(Duration::ZERO);
            // A task due now that the claim left is held back by a limit (or
            // taken by another node): a finish or an enqueue wakes us, not a
            // poll. Without limits, look again at once as before.
            let held_back = until_next.is_zero() && shared.limited.load(Ordering::Relaxed);
            if !held_back {
                nap = nap.min(until_next);
            }
        }
        Ok(None) => {}
        Err(error) => tracing::warn!(%error, "looking up the next due task failed"),
    }
    tokio::select! {
        biased;
        _ = shared.stopping.cancelled() => false,
        _ = woken => true,
        _ = tokio::time::sleep(nap) => true,
    }
}

async fn sleep_unless_stopping(shared: &Shared, pause: Duration) -> bool {
    tokio::select! {
        _ = shared.stopping.cancelled() => false,
        _ = tokio::time::sleep(pause) => true,
    }
}

/// Runs a claimed attempt in a task of its own, holding its worker slot.
fn start_attempt(
    shared: &Arc<Shared>,
    lease: Lease,
    cancel: CancellationToken,
    permit: OwnedSemaphorePermit,
    finishes: mpsc::UnboundedSender<Finish>,
) {
    let shared = shared.clone();
    let span = observe::attempt_span(&shared, &lease.task);
    tokio::spawn(
        async move {
            let started = std::time::Instant::now();
            let finish = attempt(&shared, &lease, cancel).await;
            observe::ran(&shared, &lease.task, started.elapsed());
            drop(permit);
            // The finisher outlives every attempt (shutdown waits for them first).
            let _ = finishes.send(finish);
        }
        .instrument(span),
    );
}

/// Runs one attempt to its end: success, error, panic, timeout or cancellation.
async fn attempt(shared: &Shared, lease: &Lease, cancel: CancellationToken) -> Finish {
    let task = Arc::new(lease.task.clone());
    let Some(handler) = shared.registry.get(&task.task_type).cloned() else {
        let error = format!("no handler for task type {:?} on this node", task.task_type);
        return outcome::after_error(lease, error, true, shared.now(), &shared.config.backoff);
    };
    let timeout = task
        .timeout_ms
        .map_or(shared.config.default_timeout, Duration::from_millis);
    let deadline = Deadline::after(timeout);
    // The handler's token fires on timeout too; deletion, a lost lease and
    // shutdown cancel `cancel`, which reaches it as its parent.
    let handler_cancel = cancel.child_token();
    let (token, until) = (handler_cancel.clone(), deadline.clone());
    // A task of its own, so a panicking handler fails the attempt instead of
    // the worker; it runs in the attempt's span, which its context captures.
    let mut run = tokio::spawn(
        async move {
            let ctx = TaskContext::for_attempt(task, token, until, tracing::Span::current());
            handler.run(&ctx).await
        }
        .in_current_span(),
    );
    let result = tokio::select! {
        joined = &mut run => match joined {
            Ok(result) => result,
            Err(error) => Err(TaskError::retryable(format!("handler panicked: {}", panic_message(error)))),
        },
        () = deadline.reached() => {
            handler_cancel.cancel();
            run.abort();
            Err(TaskError::retryable(format!("timed out after {} ms", deadline.allowed().as_millis())))
        }
        _ = cancel.cancelled() => {
            run.abort();
            return outcome::after_release(lease, "handed back: the attempt was cancelled on this node", shared.now());
        }
    };
    match result {
        Ok(output) => outcome::after_success(lease, output),
        Err(error) => {
            outcome::after_handler_error(lease, error, shared.now(), &shared.config.backoff)
        }
    }
}

fn panic_message(error: tokio::task::JoinError) -> String {
    match error.try_into_panic() {
        Ok(panic) => panic
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into()),
        Err(error) => error.to_string(),
    }
}
