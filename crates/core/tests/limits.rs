//! Queue limits in the engine, on the memory store in paused tokio time: a
//! limited queue runs no more than its limit, and each finish starts the
//! next held-back task at once (no poll has to come round).

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::{FnHandler, json, registry_with, start};
use rustqueue_core::limits::QueueLimits;
use rustqueue_core::task::{Task, TaskStatus};
use rustqueue_core::{EngineConfig, EngineError, EnqueueRequest, TaskHandler};

/// A handler that takes two seconds and records the most attempts it saw at once.
fn counted(running: Arc<AtomicUsize>, most: Arc<AtomicUsize>) -> impl TaskHandler {
    FnHandler(move |_: Task| {
        let (running, most) = (running.clone(), most.clone());
        async move {
            let now = running.fetch_add(1, Ordering::SeqCst) + 1;
            most.fetch_max(now, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_secs(2)).await;
            running.fetch_sub(1, Ordering::SeqCst);
            Ok(None)
        }
    })
}

fn limited(queue: &str, limits: QueueLimits) -> EngineConfig {
    EngineConfig {
        queue_limits: BTreeMap::from([(queue.to_owned(), limits)]),
        ..EngineConfig::default()
    }
}

fn in_queue(queue: &str, key: Option<&str>) -> EnqueueRequest {
    EnqueueRequest {
        queue: Some(queue.to_owned()),
        concurrency_key: key.map(str::to_owned),
        ..EnqueueRequest::new("SLOW", json("null"))
    }
}

#[tokio::test(start_paused = true)]
async fn a_serial_queue_runs_one_at_a_time_and_each_finish_starts_the_next() {
    let (running, most) = (Arc::default(), Arc::new(AtomicUsize::new(0)));
    let serial = QueueLimits {
        concurrency: Some(1),
        ..QueueLimits::default()
    };
    let config = limited("serial", serial);
    let mut h = start(
        registry_with("SLOW", counted(running, most.clone())),
        config,
    )
    .await;
    let began = tokio::time::Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..4 {
        tasks.push(h.enqueue(in_queue("serial", None)).await);
    }
    for task in &tasks {
        h.wait_for(&task.id, TaskStatus::Completed).await;
    }
    assert_eq!(most.load(Ordering::SeqCst), 1);
    assert_eq!(
        began.elapsed(),
        Duration::from_secs(8),
        "each finish started the next at once, with no poll in between"
    );
}

#[tokio::test(start_paused = true)]
async fn a_per_key_limit_runs_keys_side_by_side_but_each_key_alone() {
    let (running, most) = (Arc::default(), Arc::new(AtomicUsize::new(0)));
    let per_key = QueueLimits {
        per_key_limit: Some(1),
        ..QueueLimits::default()
    };
    let config = limited("tenants", per_key);
    let mut h = start(
        registry_with("SLOW", counted(running, most.clone())),
        config,
    )
    .await;
    let began = tokio::time::Instant::now();
    let mut tasks = Vec::new();
    for key in ["a", "a", "a", "b", "b", "b"] {
        tasks.push(h.enqueue(in_queue("tenants", Some(key))).await);
    }
    for task in &tasks {
        h.wait_for(&task.id, TaskStatus::Completed).await;
    }
    assert_eq!(most.load(Ordering::SeqCst), 2, "one of each key at a time");
    assert_eq!(began.elapsed(), Duration::from_secs(6));
}

#[tokio::test(start_paused = true)]
async fn raising_a_limit_starts_held_back_tasks_at_once() {
    let (running, most) = (Arc::default(), Arc::new(AtomicUsize::new(0)));
    let one = QueueLimits {
        concurrency: Some(1),
        ..QueueLimits::default()
    };
    let config = limited("mail", one);
    let mut h = start(
        registry_with("SLOW", counted(running, most.clone())),
        config,
    )
    .await;
    let began = tokio::time::Instant::now();
    let first = h.enqueue(in_queue("mail", None)).await;
    let second = h.enqueue(in_queue("mail", None)).await;
    h.wait_for(&first.id, TaskStatus::InProgress).await;
    h.engine
        .set_queue_limits("mail", QueueLimits::default())
        .await
        .expect("limits removed");
    h.wait_for(&second.id, TaskStatus::InProgress).await;
    assert_eq!(
        began.elapsed(),
        Duration::ZERO,
        "the second started at once"
    );
    assert_eq!(most.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn bad_limits_are_refused_at_start_and_at_run_time() {
    let zero = QueueLimits {
        concurrency: Some(0),
        ..QueueLimits::default()
    };
    let handler = FnHandler(|_: Task| async { Ok(None) });
    let store = Arc::new(rustqueue_core::store::memory::MemoryStore::new());
    let engine = rustqueue_core::Engine::new(
        store,
        registry_with("SLOW", handler),
        limited("mail", zero.clone()),
        rustqueue_core::clock::TokioClock::new(),
    );
    let refused = engine.start().await.expect_err("a zero limit is refused");
    assert!(
        matches!(&refused, EngineError::Invalid(why) if why.contains("concurrency")),
        "{refused}"
    );

    let handler = FnHandler(|_: Task| async { Ok(None) });
    let h = start(registry_with("SLOW", handler), EngineConfig::default()).await;
    let refused = h
        .engine
        .set_queue_limits("mail", zero)
        .await
        .expect_err("refused");
    assert!(
        matches!(&refused, EngineError::Invalid(why) if why.contains("mail")),
        "{refused}"
    );
    let bad_name = h
        .engine
        .set_queue_limits("", QueueLimits::default())
        .await
        .expect_err("refused");
    assert!(matches!(bad_name, EngineError::Invalid(_)));
    assert!(
        h.engine.queues().await.expect("queues").is_empty(),
        "nothing was stored"
    );
}
