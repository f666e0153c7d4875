//! One leased task from start to end: run the command, then tell the server
//! how it ended, trying again while the server cannot be reached.

use std::sync::Arc;
use std::time::Duration;

use reqwest::StatusCode;
use rustqueue_core::task::Task;
use tokio::sync::OwnedSemaphorePermit;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::Context;
use super::child::{self, Job, Stop};
use super::outcome;
use super::protocol::{Backoff, Report};
use crate::client::ClientError;
use crate::wire::worker::LeasedTask;

/// The lease assumed when neither the worker nor the lease says (a server
/// too old to send `started_at`): the server's own default.
const DEFAULT_LEASE: Duration = Duration::from_secs(30);

/// Runs one leased task, taken at `since`; the slot is free again when this returns.
pub(super) async fn run(
    context: Arc<Context>,
    lease: LeasedTask,
    since: Instant,
    _slot: OwnedSemaphorePermit,
) {
    let task = &lease.task;
    let lease_for = (context.protocol.lease())
        .or_else(|| lease.duration())
        .unwrap_or(DEFAULT_LEASE);
    let lost = context.held.hold(&task.id, &lease.token, lease_for, since);
    tracing::debug!(task = %task.id, r#type = %task.task_type, attempt = task.attempts, "running");
    let ended = child::run(job(&context, task), stop(&lost, &context.kill_all)).await;
    match outcome::report(ended, context.permanent_exit_code) {
        Some(report) => send(&context, &lease, report, &lost).await,
        None => {
            tracing::warn!(task = %task.id, "lease lost: command killed, the server runs the task again")
        }
    }
    context.held.release(&task.id, &lease.token);
}

fn job<'a>(context: &'a Context, task: &Task) -> Job<'a> {
    let timeout = task
        .timeout_ms
        .filter(|ms| *ms > 0)
        .map_or(context.default_timeout, Duration::from_millis);
    let mut env = vec![
        ("RUSTQUEUE_TASK_ID", task.id.clone()),
        ("RUSTQUEUE_TASK_TYPE", task.task_type.clone()),
        ("RUSTQUEUE_ATTEMPT", task.attempts.to_string()),
        ("RUSTQUEUE_QUEUE", task.queue.clone()),
    ];
    // The variable OpenTelemetry SDKs read to continue a trace in a child process.
    if let Some(traceparent) = &task.traceparent {
        env.push(("TRACEPARENT", traceparent.clone()));
    }
    Job {
        command: &context.command,
        env,
        stdin: task.payload.get().as_bytes().to_vec(),
        timeout,
    }
}

/// Why the command must stop early: its lease is gone, or the grace period
/// is over. A lost lease wins, since then no report is due.
async fn stop(lost: &CancellationToken, kill_all: &CancellationToken) -> Stop {
    tokio::select! {
        biased;
        () = lost.cancelled() => Stop::LeaseLost,
        () = kill_all.cancelled() => Stop::Shutdown,
    }
}

/// Reports the outcome until the server records it, refuses it, or the lease is lost.
async fn send(context: &Context, lease: &LeasedTask, mut report: Report, lost: &CancellationToken) {
    let id = &lease.task.id;
    let mut backoff = Backoff::new();
    loop {
        let error = match context.protocol.finish(id, &lease.token, &report).await {
            Ok(finished) => return log_finished(id, &report, finished.status.as_str()),
            Err(error) => error,
        };
        if error.status() == Some(StatusCode::CONFLICT) {
            return tracing::warn!(task = %id, "lease lost before the outcome was recorded");
        }
        if !error.is_transient() {
            match refused_result(&report, &error) {
                Some(failure) => report = failure,
                None => {
                    return tracing::error!(task = %id, "the server refused the outcome: {error}");
                }
            }
            continue;
        }
        tracing::warn!(task = %id, "cannot report the outcome yet: {error}");
        tokio::select! {
            () = tokio::time::sleep(backoff.next_delay()) => {}
            () = lost.cancelled() => {
                return tracing::warn!(task = %id, "lease lost while reporting: the task runs again");
            }
        }
    }
}

/// A result the server will not take (too large, too deeply nested) fails
/// the attempt with the server's reason, rather than leaving the task to
/// lapse and run again without a word.
fn refused_result(report: &Report, error: &ClientError) -> Option<Report> {
    match report {
        Report::Complete(_) => Some(Report::Fail {
            error: format!("the server refused the command's result: {error}"),
            permanent: false,
        }),
        Report::Fail { .. } | Report::Release => None,
    }
}

fn log_finished(id: &str, report: &Report, status: &str) {
    match report {
        Report::Complete(_) => tracing::debug!(task = %id, status, "completed"),
        Report::Fail { error, .. } => tracing::warn!(task = %id, status, %error, "attempt failed"),
        Report::Release => tracing::info!(task = %id, status, "handed back to the server"),
    }
}
