//! The one claim path, for this node's worker pool and remote workers alike:
//! claim ready tasks from the store, let the claimant hold each one, and
//! tell the outside that its attempt started.

use chrono::TimeDelta;

use super::{Shared, observe};
use crate::store::{Lease, LeaseToken, Store, StoreError, TaskClaimParams};
use crate::task::{EventKind, TaskStatus};

/// What a claim asks the store for.
#[derive(Debug)]
pub(super) struct ClaimRequest {
    /// The types the claimant runs.
    pub(super) types: Vec<String>,
    /// The most tasks to lease.
    pub(super) limit: usize,
    /// How long each lease lasts without a heartbeat.
    pub(super) lease_for: TimeDelta,
    /// The lease holder written on each task.
    pub(super) holder: String,
}

/// Claims up to `request.limit` ready tasks; `hold` takes each lease before
/// its `started` event is published, so whoever reacts to the event (a
/// delete cancelling the attempt) finds the attempt already held.
pub(super) async fn claim<T>(
    shared: &Shared,
    request: ClaimRequest,
    mut hold: impl FnMut(Lease) -> T,
) -> Result<Vec<T>, StoreError> {
    let now = shared.now();
    let params = TaskClaimParams {
        types: request.types,
        limit: request.limit,
        now,
        lease_expires_at: now + request.lease_for,
        lease_token: LeaseToken(rand::random()),
        holder: request.holder,
    };
    let leases = shared.store.task_claim(&params).await?;
    Ok(leases
        .into_iter()
        .map(|lease| {
            observe::started(shared, &lease.task);
            let task_id = lease.task.id.clone();
            let held = hold(lease);
            shared.publish(&task_id, EventKind::Started, Some(TaskStatus::InProgress));
            held
        })
        .collect())
}
