//! The retry rules: how a failed or abandoned attempt ends. Pure functions, no I/O.

use std::time::Duration;

use chrono::TimeDelta;

use crate::handler::{Next, TaskError};
use crate::retry::Backoff;
use crate::store::{Finish, Lease, Outcome};
use crate::task::{EventKind, Task, Timestamp};

/// The finish for an attempt that returned an error (or timed out).
pub(super) fn after_error(
    lease: &Lease,
    error: String,
    permanent: bool,
    now: Timestamp,
    backoff: &Backoff,
) -> Finish {
    let run_at = now + delay(backoff, lease.task.attempts);
    retry_or_fail(lease, error, permanent, run_at)
}

/// The finish for an attempt whose handler returned `error`: what it asks
/// for next, within the task's attempts (a snooze gives its attempt back).
pub(super) fn after_handler_error(
    lease: &Lease,
    error: TaskError,
    now: Timestamp,
    backoff: &Backoff,
) -> Finish {
    match error.next {
        Next::Backoff => after_error(lease, error.message, false, now, backoff),
        Next::Fail => after_error(lease, error.message, true, now, backoff),
        Next::RetryIn(wait) => retry_or_fail(lease, error.message, false, later(now, wait)),
        Next::Snooze(wait) => Finish::new(
            lease,
            Outcome::Released {
                run_at: later(now, wait),
            },
            EventKind::RetryScheduled,
            Some(error.message),
        ),
    }
}

/// Back to the queue not before `run_at`, or `FAILED` when permanent or out of attempts.
fn retry_or_fail(lease: &Lease, error: String, permanent: bool, run_at: Timestamp) -> Finish {
    let task = &lease.task;
    let (outcome, event) = if permanent || out_of_attempts(task) {
        (
            Outcome::Failed {
                error: error.clone(),
            },
            EventKind::Failed,
        )
    } else {
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
pub(super) fn after_lease_expiry(
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
pub(super) fn after_success(lease: &Lease, result: Option<crate::task::RawJson>) -> Finish {
    Finish::new(
        lease,
        Outcome::Completed { result },
        EventKind::Completed,
        None,
    )
}

/// The finish that hands an interrupted attempt back without using it up.
pub(super) fn after_release(lease: &Lease, reason: &str, now: Timestamp) -> Finish {
    Finish::new(
        lease,
        Outcome::Released { run_at: now },
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

/// `now + wait`, for a wait a handler chose: one too long for a timestamp
/// waits a century instead of overflowing.
fn later(now: Timestamp, wait: Duration) -> Timestamp {
    let century = TimeDelta::days(36_525);
    let wait = TimeDelta::from_std(wait).unwrap_or(century).min(century);
    now + wait
}
