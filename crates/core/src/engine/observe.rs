//! What an attempt tells the outside: a tracing span around it, carrying the
//! task's id, type, queue and attempt (the handler's own logs nest inside, and
//! it continues the trace of the request that enqueued the task), and its
//! place in this node's timing histograms.

use std::time::Duration;

use super::Shared;
use super::timings::Phase;
use crate::task::Task;

/// The span an attempt of `task` runs in: a child of the trace its enqueue
/// started, when the task carries a `traceparent` and the engine was given a
/// way to link it.
pub(super) fn attempt_span(shared: &Shared, task: &Task) -> tracing::Span {
    // `parent: None`: an attempt belongs to its task's trace, not to whatever
    // span the dispatcher happens to be in.
    let span = tracing::info_span!(
        parent: None,
        "attempt",
        otel.kind = "consumer",
        "task.id" = %task.id,
        "task.type" = %task.task_type,
        "task.queue" = %task.queue,
        "task.attempt" = i64::from(task.attempts),
    );
    if let (Some(link), Some(traceparent)) = (shared.config.link_span, &task.traceparent) {
        link(&span, traceparent);
    }
    span
}

/// Records how long a just-leased `task` waited between being ready and starting.
pub(super) fn started(shared: &Shared, task: &Task) {
    let started = task.started_at.unwrap_or_else(|| shared.now());
    // A task is leased only once ready, so this is never negative but for
    // clock steps, which count as no wait.
    let waited = (started - task.run_at).to_std().unwrap_or(Duration::ZERO);
    shared
        .timings
        .observe(&task.task_type, &task.queue, Phase::Wait, waited);
}

/// Records how long an attempt of `task` ran, however it ended.
pub(super) fn ran(shared: &Shared, task: &Task, took: Duration) {
    shared.tally.time_attempt(&task.task_type, took);
    shared
        .timings
        .observe(&task.task_type, &task.queue, Phase::Run, took);
}
