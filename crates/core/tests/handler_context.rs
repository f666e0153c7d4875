//! What handlers get and can ask for, in paused tokio time on the memory
//! store: typed payloads, the attempt number, the cancellation token on
//! timeout, a pushed-back deadline, a custom back-off and a snooze.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rustqueue_core::clock::TokioClock;
use rustqueue_core::store::memory::MemoryStore;
use rustqueue_core::task::{EventKind, RawJson, Task, TaskStatus};
use rustqueue_core::typed::handler_fn;
use rustqueue_core::{Engine, EngineConfig, EnqueueRequest, Registry, TaskContext, TaskError};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

fn json(text: &str) -> RawJson {
    RawValue::from_string(text.to_owned()).expect("valid JSON")
}

async fn engine_with(registry: Registry) -> Engine {
    let mut config = EngineConfig::default();
    config.backoff.base = Duration::from_secs(1);
    let engine = Engine::new(
        Arc::new(MemoryStore::new()),
        registry,
        config,
        TokioClock::new(),
    );
    engine.start().await.expect("engine starts");
    engine
}

/// Polls (in paused time, so at once) until the task reaches `status`.
async fn wait_for(engine: &Engine, id: &str, status: TaskStatus) -> Task {
    let limit = Duration::from_secs(3600);
    tokio::time::timeout(limit, async {
        loop {
            let task = engine.get(id).await.expect("task exists");
            if task.status == status {
                return task;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("task {id} never reached {status}"))
}

async fn enqueue(engine: &Engine, task_type: &str, payload: &str, timeout_ms: Option<u64>) -> Task {
    let request = EnqueueRequest {
        timeout_ms,
        ..EnqueueRequest::new(task_type, json(payload))
    };
    engine.enqueue(request).await.expect("enqueued").task
}

#[derive(Deserialize)]
struct Resize {
    width: u32,
}

#[derive(Serialize)]
struct Resized {
    width: u32,
    attempt: u32,
}

async fn resize(ctx: TaskContext, job: Resize) -> Result<Resized, TaskError> {
    Ok(Resized {
        width: job.width / 2,
        attempt: ctx.attempt(),
    })
}

#[tokio::test(start_paused = true)]
async fn a_typed_handler_gets_its_payload_and_stores_its_result() {
    let mut registry = Registry::new();
    registry.register("RESIZE", handler_fn(resize));
    let engine = engine_with(registry).await;
    let good = enqueue(&engine, "RESIZE", r#"{"width": 640}"#, None).await;
    let done = wait_for(&engine, &good.id, TaskStatus::Completed).await;
    assert_eq!(
        done.result.expect("result").get(),
        r#"{"width":320,"attempt":1}"#
    );
    let bad = enqueue(&engine, "RESIZE", r#"{"height": 1}"#, None).await;
    let failed = wait_for(&engine, &bad.id, TaskStatus::Failed).await;
    assert_eq!(
        failed.attempts, 1,
        "a payload that does not fit is not retried"
    );
    let error = failed.last_error.expect("error");
    assert!(error.contains("missing field `width`"), "{error}");
}

#[tokio::test(start_paused = true)]
async fn a_timeout_fires_the_token_and_the_task_is_retried() {
    let fired = Arc::new(Mutex::new(Vec::new()));
    let seen = fired.clone();
    let mut registry = Registry::new();
    registry.register(
        "SLOW",
        handler_fn(move |ctx: TaskContext, (): ()| {
            let seen = seen.clone();
            async move {
                let token = ctx.cancellation().clone();
                let attempt = ctx.attempt();
                // Blocking-style work elsewhere notices the token; the handler's own future is dropped.
                tokio::spawn(async move {
                    token.cancelled().await;
                    seen.lock().expect("lock").push(attempt);
                });
                std::future::pending::<Result<(), TaskError>>().await
            }
        }),
    );
    let engine = engine_with(registry).await;
    let task = enqueue(&engine, "SLOW", "null", Some(500)).await;
    let failed = wait_for(&engine, &task.id, TaskStatus::Failed).await;
    assert_eq!(failed.attempts, 3);
    assert_eq!(failed.last_error.as_deref(), Some("timed out after 500 ms"));
    // The watchers run once the timed-out attempts have ended.
    tokio::time::sleep(Duration::from_millis(1)).await;
    assert_eq!(*fired.lock().expect("lock"), [1, 2, 3]);
}

#[tokio::test(start_paused = true)]
async fn deleting_a_running_task_fires_its_token() {
    let (fired_tx, fired) = tokio::sync::oneshot::channel();
    let fired_tx = Arc::new(Mutex::new(Some(fired_tx)));
    let mut registry = Registry::new();
    registry.register(
        "HELD",
        handler_fn(move |ctx: TaskContext, (): ()| {
            let fired_tx = fired_tx.clone();
            async move {
                let token = ctx.cancellation().clone();
                tokio::spawn(async move {
                    token.cancelled().await;
                    if let Some(tx) = fired_tx.lock().expect("lock").take() {
                        let _ = tx.send(());
                    }
                });
                std::future::pending::<Result<(), TaskError>>().await
            }
        }),
    );
    let engine = engine_with(registry).await;
    let task = enqueue(&engine, "HELD", "null", None).await;
    wait_for(&engine, &task.id, TaskStatus::InProgress).await;
    engine.delete(&task.id).await.expect("deleted");
    tokio::time::timeout(Duration::from_secs(1), fired)
        .await
        .expect("the token fired")
        .expect("sent");
}

#[tokio::test(start_paused = true)]
async fn an_extended_deadline_lets_the_attempt_finish() {
    let mut registry = Registry::new();
    registry.register(
        "LONG",
        handler_fn(|ctx: TaskContext, (): ()| async move {
            ctx.extend_deadline(Duration::from_secs(10));
            ctx.progress("half way");
            tokio::time::sleep(Duration::from_secs(5)).await;
            Ok(())
        }),
    );
    let engine = engine_with(registry).await;
    let task = enqueue(&engine, "LONG", "null", Some(1_000)).await;
    let done = wait_for(&engine, &task.id, TaskStatus::Completed).await;
    assert_eq!(done.attempts, 1);
}

#[tokio::test(start_paused = true)]
async fn retry_in_replaces_the_backoff() {
    let mut registry = Registry::new();
    registry.register(
        "LIMITED",
        handler_fn(|ctx: TaskContext, (): ()| async move {
            match ctx.attempt() {
                1 => Err(TaskError::retry_in("rate limited", Duration::from_secs(90))),
                _ => Ok(()),
            }
        }),
    );
    let engine = engine_with(registry).await;
    let task = enqueue(&engine, "LIMITED", "null", None).await;
    let done = wait_for(&engine, &task.id, TaskStatus::Completed).await;
    assert_eq!(done.attempts, 2);
    let starts = started_at(&engine, &task.id).await;
    assert_eq!((starts[1] - starts[0]).num_seconds(), 90);
}

#[tokio::test(start_paused = true)]
async fn a_snooze_runs_again_later_without_using_an_attempt() {
    let runs = Arc::new(AtomicU32::new(0));
    let mut registry = Registry::new();
    registry.register(
        "WAITS",
        handler_fn(move |ctx: TaskContext, (): ()| {
            let run = runs.fetch_add(1, Ordering::SeqCst) + 1;
            async move {
                // More snoozes than max_retries (3) would allow failures.
                if run <= 5 {
                    return Err(TaskError::snooze(Duration::from_secs(10)));
                }
                Ok(ctx.attempt())
            }
        }),
    );
    let engine = engine_with(registry).await;
    let task = enqueue(&engine, "WAITS", "null", None).await;
    let done = wait_for(&engine, &task.id, TaskStatus::Completed).await;
    assert_eq!(done.attempts, 1, "snoozes gave their attempts back");
    assert_eq!(done.result.expect("result").get(), "1");
    assert_eq!(done.last_error, None, "a snooze is not a failure");
    let history = engine.history(&task.id).await.expect("history");
    let snoozes: Vec<_> = history
        .iter()
        .filter(|e| e.kind == EventKind::RetryScheduled)
        .map(|e| (e.attempt, e.message.as_deref()))
        .collect();
    assert_eq!(snoozes.len(), 5);
    assert!(snoozes.iter().all(|s| *s == (0, Some("snoozed for 10 s"))));
    let starts = started_at(&engine, &task.id).await;
    assert_eq!((starts[1] - starts[0]).num_seconds(), 10);
}

async fn started_at(engine: &Engine, id: &str) -> Vec<chrono::DateTime<chrono::Utc>> {
    let history = engine.history(id).await.expect("history");
    history
        .iter()
        .filter(|e| e.kind == EventKind::Started)
        .map(|e| e.at)
        .collect()
}
