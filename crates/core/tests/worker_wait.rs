//! Long-polling leases for remote workers, in paused tokio time: a waiting
//! call is woken by new work at once, answers empty when its wait runs out,
//! and lets go when the engine shuts down.

use std::sync::Arc;
use std::time::Duration;

use rustqueue_core::clock::TokioClock;
use rustqueue_core::engine::WorkerInfo;
use rustqueue_core::store::memory::MemoryStore;
use rustqueue_core::{Engine, EngineConfig, EnqueueRequest, Registry};
use serde_json::value::RawValue;
use tokio::time::Instant;

const LEASE: Duration = Duration::from_secs(30);

async fn engine() -> Engine {
    let mut registry = Registry::new();
    registry.declare_remote("REMOTE", "leased by the test");
    let config = EngineConfig {
        // Far longer than any wait below: only a wake-up can end one early.
        idle_poll: Duration::from_secs(30),
        ..EngineConfig::default()
    };
    let store = Arc::new(MemoryStore::new());
    let engine = Engine::new(store, registry, config, TokioClock::new());
    engine.start().await.expect("engine starts");
    engine
}

fn remote() -> Vec<String> {
    vec!["REMOTE".to_owned()]
}

/// Starts a lease call that may wait `wait`, and lets it reach its wait
/// (paused time moves on only once every task waits).
async fn waiting_call(engine: &Engine, wait: Duration) -> tokio::task::JoinHandle<usize> {
    let engine = engine.clone();
    let call = tokio::spawn(async move {
        let leases = engine
            .worker_lease_waiting(&WorkerInfo::named("waiting"), &remote(), 5, LEASE, wait)
            .await
            .expect("lease");
        leases.len()
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    call
}

#[tokio::test(start_paused = true)]
async fn a_waiting_lease_gets_work_the_moment_it_is_enqueued() {
    let engine = engine().await;
    let call = waiting_call(&engine, Duration::from_secs(20)).await;
    let enqueued = Instant::now();
    let payload = RawValue::from_string("{}".to_owned()).expect("json");
    engine
        .enqueue(EnqueueRequest::new("REMOTE", payload))
        .await
        .expect("enqueue");
    assert_eq!(call.await.expect("call"), 1);
    assert!(
        enqueued.elapsed() < Duration::from_secs(1),
        "woken by the enqueue, not by a poll: {:?}",
        enqueued.elapsed()
    );
}

#[tokio::test(start_paused = true)]
async fn a_wait_with_no_work_ends_empty_at_its_deadline() {
    let engine = engine().await;
    let started = Instant::now();
    let leases = engine
        .worker_lease_waiting(
            &WorkerInfo::named("waiting"),
            &remote(),
            5,
            LEASE,
            Duration::from_secs(2),
        )
        .await
        .expect("lease");
    assert!(leases.is_empty());
    assert!(started.elapsed() >= Duration::from_secs(2));
    assert!(started.elapsed() < Duration::from_secs(3));
    let too_long = engine
        .worker_lease_waiting(
            &WorkerInfo::named("waiting"),
            &remote(),
            5,
            LEASE,
            Duration::from_secs(61),
        )
        .await;
    assert!(too_long.is_err(), "waits are capped");
}

#[tokio::test(start_paused = true)]
async fn shutdown_releases_waiting_lease_calls() {
    let engine = engine().await;
    let call = waiting_call(&engine, Duration::from_secs(60)).await;
    let stopping = Instant::now();
    engine.shutdown().await;
    assert_eq!(call.await.expect("call"), 0);
    assert!(stopping.elapsed() < Duration::from_secs(1));
}
