//! Hand-backs by remote workers: an attempt a worker gives up without
//! running it to the end (it is shutting down) goes back to the queue
//! without using an attempt, as the server's own shutdown does.

use std::time::Duration;

use chrono::TimeDelta;

use super::identity::check_worker_id;
use super::remote::{MAX_WORKER_BATCH, WorkerInfo, worker_token};
use super::{Engine, workers};
use crate::error::EngineError;
use crate::store::{Finish, LeaseToken, Outcome, Store, TaskFinishManyParams};
use crate::task::EventKind;

/// The longest a released task may be held back.
pub const MAX_RELEASE_DELAY: Duration = Duration::from_secs(3600);

impl Engine {
    /// Hands leases of the remote worker `worker_id` back to the queue, in one
    /// store transaction: each task is `QUEUED` again, ready after `delay`,
    /// with its attempt given back and a `released` event. Says for each, in
    /// order, whether it was released (false: the lease was no longer held).
    /// A malformed id refuses the whole batch and writes nothing.
    pub async fn worker_release_many(
        &self,
        worker_id: &str,
        leases: &[(String, LeaseToken)],
        delay: Duration,
    ) -> Result<Vec<bool>, EngineError> {
        let shared = &self.shared;
        if !(1..=MAX_WORKER_BATCH).contains(&leases.len()) {
            return Err(EngineError::Invalid(format!(
                "release 1 to {MAX_WORKER_BATCH} leases at once"
            )));
        }
        if delay > MAX_RELEASE_DELAY {
            return Err(EngineError::Invalid(format!(
                "delay_ms must be at most {}",
                MAX_RELEASE_DELAY.as_millis()
            )));
        }
        check_worker_id(worker_id)?;
        for (task_id, _) in leases {
            super::tasks::check_id(task_id)?;
        }
        let now = shared.now();
        let seen = WorkerInfo::named(worker_id);
        workers::note_seen(shared, seen.record(&[], now)).await;
        let run_at = now + TimeDelta::from_std(delay).unwrap_or(TimeDelta::zero());
        let message = format!("handed back by worker {worker_id}");
        let finishes: Vec<Finish> = leases
            .iter()
            .map(|(task_id, token)| Finish {
                task_id: task_id.clone(),
                token: worker_token(task_id, *token),
                expired_by: None,
                outcome: Outcome::Released { run_at },
                event: EventKind::Released,
                message: Some(message.clone()),
            })
            .collect();
        let applied = shared
            .store
            .task_finish_many(TaskFinishManyParams { finishes, now })
            .await?;
        let mut any = false;
        for ((task_id, _), applied) in leases.iter().zip(&applied) {
            if *applied {
                any = true;
                shared.publish(
                    task_id,
                    EventKind::Released,
                    Some(crate::task::TaskStatus::Queued),
                );
            }
        }
        if any {
            shared.work_ready();
        }
        Ok(applied)
    }
}
