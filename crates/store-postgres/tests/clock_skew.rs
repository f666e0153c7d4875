//! Nodes whose clocks disagree: lease times follow the database's clock, so
//! a node running an hour ahead neither rescues tasks another node still
//! holds nor hands out leases that last an hour too long.

mod common;

use std::sync::Arc;
use std::time::Duration;

use chrono::{TimeDelta, Utc};
use common::{SchemaGuard, new_task, now};
use rustqueue_core::clock::Clock;
use rustqueue_core::store::{
    LeaseToken, Store, TaskClaimParams, TaskEventsParams, TaskInsertManyParams,
};
use rustqueue_core::task::{EventKind, TaskStatus, Timestamp};
use rustqueue_core::{Engine, EngineConfig, Registry};
use rustqueue_store_tests::eventually;

/// The system clock, off by a fixed amount.
#[derive(Debug)]
struct SkewedClock(TimeDelta);

impl Clock for SkewedClock {
    fn now(&self) -> Timestamp {
        Utc::now() + self.0
    }
}

const AN_HOUR_AHEAD: TimeDelta = TimeDelta::hours(1);

async fn skewed_node(store: Arc<dyn Store>, skew: TimeDelta) -> Engine {
    let mut registry = Registry::new();
    registry.declare_remote("REMOTE", "leased by the test");
    let config = EngineConfig {
        reap_every: Duration::from_millis(50),
        ..EngineConfig::default()
    };
    let engine = Engine::new(store, registry, config, Arc::new(SkewedClock(skew)));
    engine.start().await.expect("engine starts");
    engine
}

/// Leases the next EMAIL task on `store` by the true time, until `expires_at`.
async fn hold(store: &dyn Store, token: i64, expires_at: Timestamp) -> String {
    let params = TaskClaimParams {
        types: vec!["EMAIL".to_owned()],
        limit: 1,
        now: now(),
        lease_expires_at: expires_at,
        lease_token: LeaseToken(token),
        holder: "test-worker".to_owned(),
    };
    let mut leases = store.task_claim(&params).await.expect("claim");
    leases.pop().expect("a ready task").task.id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_running_ahead_rescues_only_leases_that_really_expired() {
    let schema = SchemaGuard::new();
    let holder: Arc<dyn Store> = Arc::new(schema.connect().await);
    holder
        .task_insert_many(TaskInsertManyParams {
            tasks: vec![new_task("EMAIL"), new_task("EMAIL")],
            now: now(),
        })
        .await
        .expect("insert");
    let held = hold(&*holder, 1, now() + TimeDelta::seconds(60)).await;
    let lapsed = hold(&*holder, 2, now() - TimeDelta::seconds(1)).await;

    let ahead = skewed_node(Arc::new(schema.connect().await), AN_HOUR_AHEAD).await;
    eventually(
        "the reaper rescues the lapsed lease",
        Duration::from_secs(10),
        async || ahead.get(&lapsed).await.expect("task").status == TaskStatus::Queued,
    )
    .await;
    // The same reaper pass saw both tasks: the held one must be untouched.
    let still_held = ahead.get(&held).await.expect("task");
    assert_eq!(still_held.status, TaskStatus::InProgress);
    let history = holder
        .task_events(&TaskEventsParams::new(&held))
        .await
        .expect("history");
    assert!(
        history.iter().all(|e| e.kind != EventKind::LeaseExpired),
        "a held lease was rescued: {history:?}"
    );
    ahead.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_running_ahead_leases_by_the_database_clock() {
    let schema = SchemaGuard::new();
    let ahead = skewed_node(Arc::new(schema.connect().await), AN_HOUR_AHEAD).await;
    let mut task = new_task("REMOTE");
    task.run_at = now() + TimeDelta::minutes(30);
    let delayed = task.id.clone();
    let store = schema.connect().await;
    store
        .task_insert_many(TaskInsertManyParams {
            tasks: vec![task, new_task("REMOTE")],
            now: now(),
        })
        .await
        .expect("insert");

    let leases = ahead
        .worker_lease(
            &rustqueue_core::engine::WorkerInfo::named("skewed"),
            &["REMOTE".to_owned()],
            10,
            Duration::from_secs(30),
        )
        .await
        .expect("lease");
    assert_eq!(leases.len(), 1, "the task delayed by 30 minutes is not due");
    assert_ne!(leases[0].task.id, delayed);
    let lasts = leases[0].expires_at - Utc::now();
    assert!(
        lasts > TimeDelta::seconds(20) && lasts < TimeDelta::seconds(40),
        "a 30 s lease lasts {lasts} by the database's clock"
    );
    let started = leases[0].task.started_at.expect("started");
    assert!((started - Utc::now()).abs() < TimeDelta::seconds(10));
    ahead.shutdown().await;
}
