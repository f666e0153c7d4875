//! Engine behaviour on the memory store, with paused tokio time: timers and
//! timestamps advance only when every task waits, so nothing here sleeps for real.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use rustqueue_core::clock::TokioClock;
use rustqueue_core::store::memory::MemoryStore;
use rustqueue_core::store::{
    LeaseToken, QueueSetPausedParams, Store, TaskClaimParams, TaskGetParams,
};
use rustqueue_core::task::{EventKind, Task, TaskStatus};
use rustqueue_core::{Engine, EngineConfig, EnqueueRequest, TaskError, TaskHandler};
mod common;

use common::{FnHandler, json, quick_backoff, registry_with, start, start_on};

#[tokio::test(start_paused = true)]
async fn a_task_completes_with_its_result_and_history() {
    let handler = FnHandler(|task: Task| async move {
        tokio::time::sleep(Duration::from_secs(2)).await;
        Ok(Some(json(&format!("{{\"echo\": {}}}", task.payload.get()))))
    });
    let mut h = start(registry_with("ECHO", handler), EngineConfig::default()).await;
    let task = h.enqueue(EnqueueRequest::new("ECHO", json("[1, 2]"))).await;
    let done = h.wait_for(&task.id, TaskStatus::Completed).await;
    assert_eq!(done.result.expect("result").get(), "{\"echo\": [1, 2]}");
    assert_eq!(done.attempts, 1);
    let took = done.finished_at.expect("finished") - done.started_at.expect("started");
    assert_eq!(took.num_seconds(), 2);
    assert_eq!(
        h.kinds(&task.id).await,
        [
            EventKind::Enqueued,
            EventKind::Started,
            EventKind::Completed
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn an_enqueue_wakes_an_idle_dispatcher_at_once() {
    let handler = FnHandler(|_| async { Ok(None) });
    let mut h = start(registry_with("NOOP", handler), EngineConfig::default()).await;
    // Let the dispatcher go idle first.
    tokio::time::sleep(Duration::from_millis(10)).await;
    let before = tokio::time::Instant::now();
    let task = h.enqueue(EnqueueRequest::new("NOOP", json("null"))).await;
    h.wait_for(&task.id, TaskStatus::Completed).await;
    assert_eq!(
        tokio::time::Instant::now(),
        before,
        "no timer had to fire to start the task"
    );
}

#[tokio::test(start_paused = true)]
async fn failing_task_uses_all_attempts_with_growing_backoff() {
    let handler = FnHandler(|_| async { Err(TaskError::retryable("boom")) });
    let mut h = start(registry_with("BAD", handler), quick_backoff()).await;
    let task = h.enqueue(EnqueueRequest::new("BAD", json("1"))).await;
    let failed = h.wait_for(&task.id, TaskStatus::Failed).await;
    assert_eq!((failed.attempts, failed.max_retries), (3, 3));
    assert_eq!(failed.last_error.as_deref(), Some("boom"));
    let history = h.engine.history(&task.id).await.expect("history");
    let kinds: Vec<_> = history.iter().map(|e| e.kind).collect();
    use EventKind::*;
    assert_eq!(
        kinds,
        [
            Enqueued,
            Started,
            RetryScheduled,
            Started,
            RetryScheduled,
            Started,
            Failed
        ]
    );
    let starts: Vec<_> = history
        .iter()
        .filter(|e| e.kind == Started)
        .map(|e| e.at)
        .collect();
    // Equal jitter: the n-th wait is between half and all of base × 2^(n-1).
    let first_gap = (starts[1] - starts[0]).num_milliseconds();
    let second_gap = (starts[2] - starts[1]).num_milliseconds();
    assert!((50..=100).contains(&first_gap), "{first_gap}");
    assert!((100..=200).contains(&second_gap), "{second_gap}");
    assert_eq!(
        history.iter().map(|e| e.attempt).collect::<Vec<_>>(),
        [0, 1, 1, 2, 2, 3, 3]
    );
}

#[tokio::test(start_paused = true)]
async fn a_permanent_error_fails_at_once() {
    let handler = FnHandler(|_| async { Err(TaskError::permanent("bad input")) });
    let mut h = start(registry_with("STRICT", handler), EngineConfig::default()).await;
    let task = h.enqueue(EnqueueRequest::new("STRICT", json("1"))).await;
    let failed = h.wait_for(&task.id, TaskStatus::Failed).await;
    assert_eq!(failed.attempts, 1);
}

#[tokio::test(start_paused = true)]
async fn the_timeout_really_stops_the_handler() {
    let finished = Arc::new(Mutex::new(false));
    let flag = finished.clone();
    let handler = FnHandler(move |_| {
        let flag = flag.clone();
        async move {
            tokio::time::sleep(Duration::from_secs(60)).await;
            *flag.lock().expect("lock") = true;
            Ok(None)
        }
    });
    let mut h = start(registry_with("SLOW", handler), quick_backoff()).await;
    let request = EnqueueRequest {
        timeout_ms: Some(100),
        max_retries: Some(1),
        ..EnqueueRequest::new("SLOW", json("0"))
    };
    let task = h.enqueue(request).await;
    let failed = h.wait_for(&task.id, TaskStatus::Failed).await;
    assert_eq!(failed.last_error.as_deref(), Some("timed out after 100 ms"));
    tokio::time::sleep(Duration::from_secs(120)).await;
    assert!(
        !*finished.lock().expect("lock"),
        "the handler kept running after its timeout"
    );
}

#[tokio::test(start_paused = true)]
async fn a_panicking_handler_fails_the_attempt_not_the_worker() {
    let handler = FnHandler(|_| async { panic!("kaboom") });
    let mut h = start(registry_with("PANIC", handler), quick_backoff()).await;
    let task = h
        .enqueue(EnqueueRequest {
            max_retries: Some(2),
            ..EnqueueRequest::new("PANIC", json("0"))
        })
        .await;
    let failed = h.wait_for(&task.id, TaskStatus::Failed).await;
    assert_eq!(failed.attempts, 2);
    assert_eq!(
        failed.last_error.as_deref(),
        Some("handler panicked: kaboom")
    );
}

#[tokio::test(start_paused = true)]
async fn ready_tasks_run_by_priority_then_run_at_then_age() {
    let order = Arc::new(Mutex::new(Vec::new()));
    let seen = order.clone();
    let handler = FnHandler(move |task: Task| {
        seen.lock()
            .expect("lock")
            .push(task.payload.get().to_owned());
        async { Ok(None) }
    });
    let config = EngineConfig {
        workers: 1,
        ..EngineConfig::default()
    };
    let mut h = start(registry_with("RANK", handler), config).await;
    h.engine
        .set_queue_paused("default", true)
        .await
        .expect("paused");
    let mut last = None;
    for (payload, priority) in [("1", 0), ("2", 5), ("3", 0), ("4", 5), ("5", -1)] {
        let request = EnqueueRequest {
            priority: Some(priority),
            ..EnqueueRequest::new("RANK", json(payload))
        };
        last = Some(h.enqueue(request).await.id);
    }
    h.engine
        .set_queue_paused("default", false)
        .await
        .expect("resumed");
    h.wait_for(&last.expect("enqueued"), TaskStatus::Completed)
        .await;
    assert_eq!(*order.lock().expect("lock"), ["2", "4", "1", "3", "5"]);
}

#[tokio::test(start_paused = true)]
async fn a_paused_queue_accepts_but_starts_nothing() {
    let handler = FnHandler(|_| async { Ok(None) });
    let mut h = start(registry_with("NOOP", handler), EngineConfig::default()).await;
    h.engine
        .set_queue_paused("mail", true)
        .await
        .expect("paused");
    let task = h
        .enqueue(EnqueueRequest {
            queue: Some("mail".into()),
            ..EnqueueRequest::new("NOOP", json("0"))
        })
        .await;
    tokio::time::sleep(Duration::from_secs(60)).await;
    assert_eq!(
        h.engine.get(&task.id).await.expect("task").status,
        TaskStatus::Queued
    );
    h.engine
        .set_queue_paused("mail", false)
        .await
        .expect("resumed");
    h.wait_for(&task.id, TaskStatus::Completed).await;
}

#[tokio::test(start_paused = true)]
async fn a_delayed_task_waits_for_its_run_at() {
    let handler = FnHandler(|_| async { Ok(None) });
    let mut h = start(registry_with("LATER", handler), EngineConfig::default()).await;
    let request = EnqueueRequest {
        delay: Some(Duration::from_secs(90)),
        ..EnqueueRequest::new("LATER", json("0"))
    };
    let task = h.enqueue(request).await;
    let done = h.wait_for(&task.id, TaskStatus::Completed).await;
    assert!(done.started_at.expect("started") >= task.run_at);
    assert_eq!((task.run_at - task.created_at).num_seconds(), 90);
}

#[tokio::test(start_paused = true)]
async fn a_manual_retry_renews_the_budget_and_keeps_history() {
    let calls = Arc::new(Mutex::new(0u32));
    let counter = calls.clone();
    let handler = FnHandler(move |_| {
        let counter = counter.clone();
        async move {
            let mut calls = counter.lock().expect("lock");
            *calls += 1;
            if *calls <= 2 {
                Err(TaskError::retryable("not yet"))
            } else {
                Ok(None)
            }
        }
    });
    let mut h = start(registry_with("FLAKY", handler), quick_backoff()).await;
    let task = h
        .enqueue(EnqueueRequest {
            max_retries: Some(2),
            ..EnqueueRequest::new("FLAKY", json("0"))
        })
        .await;
    h.wait_for(&task.id, TaskStatus::Failed).await;
    let again = h.engine.retry(&task.id).await.expect("retried");
    assert_eq!((again.status, again.attempts), (TaskStatus::Queued, 0));
    let done = h.wait_for(&task.id, TaskStatus::Completed).await;
    assert_eq!(done.attempts, 1);
    let kinds = h.kinds(&task.id).await;
    assert!(kinds.contains(&EventKind::Failed) && kinds.contains(&EventKind::RetriedByUser));
    assert_eq!(kinds.last(), Some(&EventKind::Completed));
    assert!(
        h.engine.retry(&task.id).await.is_err(),
        "only FAILED tasks can be retried"
    );
}

/// A handler that waits forever and records whether its future was dropped.
fn endless(dropped: Arc<Mutex<bool>>) -> impl TaskHandler {
    struct OnDrop(Arc<Mutex<bool>>);
    impl Drop for OnDrop {
        fn drop(&mut self) {
            *self.0.lock().expect("lock") = true;
        }
    }
    FnHandler(move |_| {
        let guard = OnDrop(dropped.clone());
        async move {
            let _guard = guard;
            std::future::pending::<()>().await;
            Ok(None)
        }
    })
}

#[tokio::test(start_paused = true)]
async fn deleting_a_running_task_cancels_its_handler() {
    let dropped = Arc::new(Mutex::new(false));
    let mut h = start(
        registry_with("FOREVER", endless(dropped.clone())),
        EngineConfig::default(),
    )
    .await;
    let task = h.enqueue(EnqueueRequest::new("FOREVER", json("0"))).await;
    h.wait_for(&task.id, TaskStatus::InProgress).await;
    h.engine.delete(&task.id).await.expect("deleted");
    tokio::time::sleep(Duration::from_millis(1)).await;
    assert!(
        *dropped.lock().expect("lock"),
        "the handler was not cancelled"
    );
    assert!(h.engine.get(&task.id).await.is_err());
}

#[tokio::test(start_paused = true)]
async fn shutdown_hands_back_attempts_that_outlive_the_grace_period() {
    let dropped = Arc::new(Mutex::new(false));
    let config = EngineConfig {
        shutdown_grace: Duration::from_secs(5),
        ..EngineConfig::default()
    };
    let mut h = start(registry_with("FOREVER", endless(dropped.clone())), config).await;
    let task = h.enqueue(EnqueueRequest::new("FOREVER", json("0"))).await;
    h.wait_for(&task.id, TaskStatus::InProgress).await;
    let began = tokio::time::Instant::now();
    h.engine.shutdown().await;
    assert_eq!(began.elapsed(), Duration::from_secs(5));
    let back = h.engine.get(&task.id).await.expect("task");
    assert_eq!((back.status, back.attempts), (TaskStatus::Queued, 0));
    assert_eq!(h.kinds(&task.id).await.last(), Some(&EventKind::Released));
    assert!(*dropped.lock().expect("lock"));
}

#[tokio::test(start_paused = true)]
async fn shutdown_lets_short_attempts_finish() {
    let handler = FnHandler(|_| async {
        tokio::time::sleep(Duration::from_secs(2)).await;
        Ok(None)
    });
    let mut h = start(registry_with("SHORT", handler), EngineConfig::default()).await;
    let task = h.enqueue(EnqueueRequest::new("SHORT", json("0"))).await;
    h.wait_for(&task.id, TaskStatus::InProgress).await;
    h.engine.shutdown().await;
    assert_eq!(
        h.engine.get(&task.id).await.expect("task").status,
        TaskStatus::Completed
    );
}

#[tokio::test(start_paused = true)]
async fn an_expired_lease_is_rescued_and_the_task_runs_again() {
    let handler = FnHandler(|_| async { Ok(None) });
    let config = EngineConfig {
        lease: Duration::from_secs(30),
        ..quick_backoff()
    };
    let store = Arc::new(MemoryStore::new());
    let mut h = start_on(store.clone(), registry_with("JOB", handler), config).await;
    h.engine
        .set_queue_paused("default", true)
        .await
        .expect("paused");
    let task = h.enqueue(EnqueueRequest::new("JOB", json("0"))).await;
    // A worker elsewhere leases the task and dies without a word.
    let now = chrono::Utc::now();
    let ghost = TaskClaimParams {
        types: vec!["JOB".into()],
        limit: 1,
        now: now + chrono::TimeDelta::days(1),
        lease_expires_at: now,
        lease_token: LeaseToken(7),
        holder: "test-worker".to_owned(),
    };
    store
        .queue_set_paused(&QueueSetPausedParams::new("default", false, now))
        .await
        .expect("resumed");
    assert_eq!(h.store.task_claim(&ghost).await.expect("claimed").len(), 1);
    let done = h.wait_for(&task.id, TaskStatus::Completed).await;
    assert_eq!(done.attempts, 2);
    let kinds = h.kinds(&task.id).await;
    assert!(kinds.contains(&EventKind::LeaseExpired), "{kinds:?}");
    assert_eq!(
        kinds.iter().filter(|k| **k == EventKind::Completed).count(),
        1
    );
}

#[tokio::test(start_paused = true)]
async fn start_up_recovers_tasks_orphaned_by_a_dead_process_but_not_remote_leases() {
    let store = Arc::new(MemoryStore::new());
    let lease_far_away = chrono::Utc::now() + chrono::TimeDelta::hours(1);
    {
        // The "previous process": it leases one task for itself and hands
        // another to a remote worker, both with long leases, then vanishes.
        let engine = Engine::new(
            store.clone(),
            registry_with("JOB", FnHandler(|_| async { Ok(None) })),
            EngineConfig::default(),
            TokioClock::new(),
        );
        for _ in 0..2 {
            engine
                .enqueue(EnqueueRequest::new("JOB", json("0")))
                .await
                .expect("enqueued");
        }
        for holder in [engine.node_id(), "host-1:99"] {
            let params = TaskClaimParams {
                types: vec!["JOB".into()],
                limit: 1,
                now: lease_far_away,
                lease_expires_at: lease_far_away,
                lease_token: LeaseToken(1),
                holder: holder.to_owned(),
            };
            assert_eq!(store.task_claim(&params).await.expect("claimed").len(), 1);
        }
    }
    let tasks = store.task_list(&Default::default()).await.expect("list");
    let [orphan, remote] = tasks.as_slice() else {
        panic!("two tasks")
    };
    assert!(
        orphan
            .worker
            .as_deref()
            .is_some_and(|w| w.starts_with("node:"))
    );
    assert_eq!(remote.worker.as_deref(), Some("host-1:99"));
    let started = tokio::time::Instant::now();
    let mut h = start_on(
        store.clone(),
        registry_with("JOB", FnHandler(|_| async { Ok(None) })),
        quick_backoff(),
    )
    .await;
    h.wait_for(&orphan.id, TaskStatus::Completed).await;
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "recovered without waiting for the lease"
    );
    let kept = store
        .task_get(&TaskGetParams::new(&remote.id))
        .await
        .expect("get")
        .expect("kept");
    assert_eq!(
        (kept.status, kept.attempts, kept.worker.as_deref()),
        (TaskStatus::InProgress, 1, Some("host-1:99")),
        "a remote worker's lease lives until its own expiry"
    );
}
