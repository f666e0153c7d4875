//! Retention in the engine, in paused tokio time on the memory store: old
//! finished tasks are deleted by status, unfinished ones never are, and the
//! node counts what it deleted.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use rustqueue_core::clock::TokioClock;
use rustqueue_core::engine::Retention;
use rustqueue_core::store::memory::MemoryStore;
use rustqueue_core::task::{RawJson, TaskStatus};
use rustqueue_core::{
    Engine, EngineConfig, EnqueueRequest, HandlerResult, Registry, TaskContext, TaskError,
    TaskHandler,
};
use serde_json::value::RawValue;

/// Succeeds, or fails for good when the payload says so.
struct Outcome;

#[async_trait]
impl TaskHandler for Outcome {
    async fn run(&self, ctx: &TaskContext) -> HandlerResult {
        match ctx.task().payload.get() {
            "\"fail\"" => Err(TaskError::permanent("asked to fail")),
            _ => Ok(None),
        }
    }

    fn description(&self) -> String {
        "succeeds or fails as asked".into()
    }
}

fn json(text: &str) -> RawJson {
    RawValue::from_string(text.to_owned()).expect("valid JSON")
}

async fn status_of(engine: &Engine, id: &str) -> Option<TaskStatus> {
    engine.get(id).await.ok().map(|task| task.status)
}

#[tokio::test(start_paused = true)]
async fn old_finished_tasks_go_and_unfinished_ones_stay() {
    let mut registry = Registry::new();
    registry.register("JOB", Outcome);
    let config = EngineConfig {
        retention: Retention {
            completed: Some(Duration::from_secs(60)),
            failed: Some(Duration::from_secs(600)),
            every: Duration::from_secs(10),
            batch: 2,
        },
        ..EngineConfig::default()
    };
    let engine = Engine::new(
        Arc::new(MemoryStore::new()),
        registry,
        config,
        TokioClock::new(),
    );
    engine.start().await.expect("engine starts");
    engine.set_queue_paused("held", true).await.expect("pause");
    let mut done = Vec::new();
    for _ in 0..5 {
        let enqueued = engine.enqueue(EnqueueRequest::new("JOB", json("1"))).await;
        done.push(enqueued.expect("enqueue").task.id);
    }
    let failed = engine
        .enqueue(EnqueueRequest::new("JOB", json("\"fail\"")))
        .await
        .expect("enqueue")
        .task
        .id;
    let held = engine
        .enqueue(EnqueueRequest {
            queue: Some("held".into()),
            ..EnqueueRequest::new("JOB", json("1"))
        })
        .await
        .expect("enqueue")
        .task
        .id;
    tokio::time::sleep(Duration::from_secs(30)).await;
    assert_eq!(
        status_of(&engine, &done[0]).await,
        Some(TaskStatus::Completed)
    );
    assert_eq!(status_of(&engine, &failed).await, Some(TaskStatus::Failed));

    // Past the completed retention: every completed task goes, in batches of 2.
    tokio::time::sleep(Duration::from_secs(60)).await;
    for id in &done {
        assert_eq!(status_of(&engine, id).await, None, "{id} was kept");
    }
    assert_eq!(status_of(&engine, &failed).await, Some(TaskStatus::Failed));
    assert_eq!(engine.node_stats().pruned, (5, 0));

    // An hour on: the failed task goes too; the queued one never does.
    tokio::time::sleep(Duration::from_secs(3600)).await;
    assert_eq!(status_of(&engine, &failed).await, None);
    assert_eq!(status_of(&engine, &held).await, Some(TaskStatus::Queued));
    assert_eq!(engine.node_stats().pruned, (5, 1));
    engine.shutdown().await;
}
