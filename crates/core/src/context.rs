//! What a handler gets for one attempt: the task and its typed payload, the
//! attempt number, a cancellation token, a deadline it may push back,
//! progress reports and the attempt's tracing span.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::de::DeserializeOwned;
use tokio::time::Instant;
use tokio_util::sync::{CancellationToken, WaitForCancellationFuture};

use crate::handler::TaskError;
use crate::task::Task;

/// One attempt of one task, as its handler sees it; cheap to clone, so a
/// clone can go with work spawned onto other tasks or threads.
#[derive(Debug, Clone)]
pub struct TaskContext {
    task: Arc<Task>,
    cancel: CancellationToken,
    deadline: Arc<Deadline>,
    span: tracing::Span,
}

impl TaskContext {
    /// A context for an attempt of `task` that times out after `timeout`,
    /// with a fresh token and the current span. The engine makes its own;
    /// this one is for calling handlers directly, in their unit tests.
    pub fn new(task: Task, timeout: Duration) -> Self {
        Self::for_attempt(
            Arc::new(task),
            CancellationToken::new(),
            Deadline::after(timeout),
            tracing::Span::current(),
        )
    }

    /// The context the engine gives a handler.
    pub(crate) fn for_attempt(
        task: Arc<Task>,
        cancel: CancellationToken,
        deadline: Arc<Deadline>,
        span: tracing::Span,
    ) -> Self {
        Self {
            task,
            cancel,
            deadline,
            span,
        }
    }

    /// The task as it was when this attempt started.
    pub fn task(&self) -> &Task {
        &self.task
    }

    /// The task's id.
    pub fn id(&self) -> &str {
        &self.task.id
    }

    /// This attempt's number: 1 for the first.
    pub fn attempt(&self) -> u32 {
        self.task.attempts
    }

    /// The most attempts the task gets (its `max_retries`).
    pub fn max_attempts(&self) -> u32 {
        self.task.max_retries
    }

    /// Whether a retryable failure of this attempt fails the task for good.
    pub fn is_last_attempt(&self) -> bool {
        self.task.attempts >= self.task.max_retries
    }

    /// The payload as a `P`. A payload that does not fit is a permanent
    /// failure: no retry would change it. A JSON string holding JSON (what
    /// the original clients send) is read through.
    pub fn payload<P: DeserializeOwned>(&self) -> Result<P, TaskError> {
        let raw = self.task.payload.get();
        serde_json::from_str(raw).or_else(|error| {
            let inner = serde_json::from_str::<String>(raw).ok();
            inner
                .and_then(|text| serde_json::from_str(&text).ok())
                .ok_or_else(|| {
                    TaskError::permanent(format!(
                        "the payload does not fit {}: {error}",
                        std::any::type_name::<P>()
                    ))
                })
        })
    }

    /// Fires when the attempt is being abandoned: timed out, task deleted,
    /// lease lost, or shutdown out of grace. The handler's future is then
    /// dropped; work on other threads should stop when it fires.
    pub fn cancellation(&self) -> &CancellationToken {
        &self.cancel
    }

    /// Whether [`TaskContext::cancellation`] has fired.
    pub fn is_cancelled(&self) -> bool {
        self.cancel.is_cancelled()
    }

    /// Resolves when [`TaskContext::cancellation`] fires.
    pub fn cancelled(&self) -> WaitForCancellationFuture<'_> {
        self.cancel.cancelled()
    }

    /// When this attempt times out.
    pub fn deadline(&self) -> Instant {
        self.deadline.get()
    }

    /// Pushes the deadline `by` later, for an attempt that is making progress
    /// and needs longer than its timeout. (The lease is renewed for running
    /// attempts anyway; only the timeout ends a healthy one.)
    pub fn extend_deadline(&self, by: Duration) {
        self.deadline.extend(by);
    }

    /// Reports progress: a log line in the attempt's span, with the task id and attempt.
    pub fn progress(&self, message: impl fmt::Display) {
        tracing::info!(
            parent: &self.span,
            task_id = %self.task.id,
            attempt = self.task.attempts,
            progress = %message,
            "task progress"
        );
    }

    /// The attempt's tracing span: enter it (or instrument futures with it)
    /// in work spawned elsewhere so its logs and traces join the attempt's.
    pub fn span(&self) -> &tracing::Span {
        &self.span
    }
}

/// An attempt's deadline, shared by the engine's timer and the handler, which may push it back.
#[derive(Debug)]
pub(crate) struct Deadline {
    started: Instant,
    at: Mutex<Instant>,
}

impl Deadline {
    /// A deadline `timeout` from now.
    pub(crate) fn after(timeout: Duration) -> Arc<Self> {
        let started = Instant::now();
        Arc::new(Self {
            started,
            at: Mutex::new(started + timeout),
        })
    }

    fn get(&self) -> Instant {
        *self.at.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn extend(&self, by: Duration) {
        let mut at = self.at.lock().unwrap_or_else(|p| p.into_inner());
        *at += by;
    }

    /// How long the attempt was allowed in all, extensions included.
    pub(crate) fn allowed(&self) -> Duration {
        self.get() - self.started
    }

    /// Resolves once the deadline passes, following any extension made meanwhile.
    pub(crate) async fn reached(&self) {
        loop {
            let at = self.get();
            tokio::time::sleep_until(at).await;
            if self.get() <= at {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task_with(payload: &str) -> Task {
        let mut registry = crate::Registry::new();
        registry.declare_remote("RESIZE", "resizes");
        let payload = serde_json::value::RawValue::from_string(payload.into()).expect("json");
        let now = chrono::Utc::now();
        crate::EnqueueRequest::new("RESIZE", payload)
            .validate(&registry, now)
            .expect("valid")
            .into_queued(now)
    }

    #[derive(Debug, serde::Deserialize, PartialEq)]
    struct Resize {
        width: u32,
    }

    #[test]
    fn payload_is_typed_or_a_permanent_failure() {
        let ctx = TaskContext::new(task_with(r#"{"width": 3}"#), Duration::from_secs(1));
        assert_eq!(ctx.payload::<Resize>(), Ok(Resize { width: 3 }));
        let quoted = TaskContext::new(task_with(r#""{\"width\": 4}""#), Duration::from_secs(1));
        assert_eq!(quoted.payload::<Resize>(), Ok(Resize { width: 4 }));
        let bad = TaskContext::new(task_with(r#"{"height": 3}"#), Duration::from_secs(1));
        let error = bad.payload::<Resize>().expect_err("does not fit");
        assert!(error.is_permanent());
        assert!(error.message.contains("missing field `width`"), "{error}");
    }

    #[tokio::test(start_paused = true)]
    async fn an_extended_deadline_is_followed() {
        let deadline = Deadline::after(Duration::from_secs(10));
        let start = Instant::now();
        let extend = async {
            tokio::time::sleep(Duration::from_secs(5)).await;
            deadline.extend(Duration::from_secs(20));
        };
        tokio::join!(deadline.reached(), extend);
        assert_eq!(start.elapsed(), Duration::from_secs(30));
        assert_eq!(deadline.allowed(), Duration::from_secs(30));
    }
}
