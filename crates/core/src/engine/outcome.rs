//! The retry rules: how a failed or abandoned attempt ends. Pure functions, no I/O.

use chrono::TimeDelta;

use crate::retry::Backoff;
use crate::store::{Finish, Lease, Outcome};
use crate::task::{EventKind, Task, Timestamp};

/// The finish for an attempt that returned an error (or timed out).
pub fn after_error(
    lease: &Lease,
    error: String,
    permanent: bool,
    now: Timestamp,
    backoff: &Backoff,
) -> Finish {
    let task = &lease.task;
    let (outcome, event) = if permanent || out_of_attempts(task) {
        (
            Outcome::Failed {
                error: error.clone(),
            },
            EventKind::Failed,
        )
    } else {
        let run_at = now + delay(backoff, task.attempts);
        (
            Outcome::Retry {
                run_at,
                error: error.clone(),
            },
            EventKind::RetryScheduled,
        )
    };
    Finish::new(lease, outcome, event, Some(error))
}

/// The finish for an attempt whose lease ran out (its worker died or hung).
/// Guarded by `expired_by`, so a lease renewed meanwhile is left alone.
pub fn after_lease_expiry(
    lease: &Lease,
    reason: &str,
    expired_by: Timestamp,
    now: Timestamp,
    backoff: &Backoff,
) -> Finish {
    let task = &lease.task;
    let error = format!("lease expired: {reason}");
    let (outcome, event) = if out_of_attempts(task) {
        (
            Outcome::Failed {
                error: error.clone(),
            },
            EventKind::Failed,
        )
    } else {
        let run_at = now + delay(backoff, task.attempts);
        (
            Outcome::Retry {
                run_at,
                error: error.clone(),
            },
            EventKind::LeaseExpired,
        )
    };
    Finish {
        expired_by: Some(expired_by),
        ..Finish::new(lease, outcome, event, Some(error))
    }
}

/// The finish for a successful attempt.
pub fn after_success(lease: &Lease, result: Option<crate::task::RawJson>) -> Finish {
    Finish::new(
        lease,
        Outcome::Completed { result },
        EventKind::Completed,
        None,
    )
}

/// The finish that hands an interrupted attempt back without using it up.
pub fn after_release(lease: &Lease, reason: &str) -> Finish {
    Finish::new(
        lease,
        Outcome::Released,
        EventKind::Released,
        Some(reason.to_owned()),
    )
}

fn out_of_attempts(task: &Task) -> bool {
    task.attempts >= task.max_retries
}

fn delay(backoff: &Backoff, attempt: u32) -> TimeDelta {
    TimeDelta::from_std(backoff.delay(attempt)).unwrap_or(TimeDelta::MAX)
}
