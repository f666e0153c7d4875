//! Cron on two nodes sharing one schema: each tick of an entry is enqueued
//! exactly once, however the nodes race for it.

mod common;

use std::sync::Arc;
use std::time::Duration;

use chrono::TimeDelta;
use common::SchemaGuard;
use rustqueue_core::clock::SystemClock;
use rustqueue_core::cron::{CronEntry, Schedule};
use rustqueue_core::store::Store;
use rustqueue_core::{Engine, EngineConfig, Registry};
use rustqueue_store_tests::eventually;
use serde_json::value::RawValue;

/// Ticks every second. With backfill no tick is ever skipped, so the count
/// of tasks must equal the count of ticks exactly: one more is a duplicate.
fn every_second() -> CronEntry {
    let schedule = Schedule::parse("* * * * * *", "UTC").expect("valid schedule");
    let payload = RawValue::from_string("{}".into()).expect("JSON");
    let mut entry = CronEntry::new("every-second", schedule, "TICK", payload).expect("valid entry");
    entry.backfill = true;
    entry
}

/// A node whose TICK tasks stay queued, so the test counts them.
async fn node(store: Arc<dyn Store>) -> Engine {
    let mut registry = Registry::new();
    registry.declare_remote("TICK", "counted by the test");
    let config = EngineConfig {
        cron: vec![every_second()],
        ..EngineConfig::default()
    };
    let engine = Engine::new(store, registry, config, Arc::new(SystemClock));
    engine.start().await.expect("engine starts");
    engine
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_nodes_enqueue_each_cron_tick_once() {
    let schema = SchemaGuard::new();
    let stores: [Arc<dyn Store>; 2] = [
        Arc::new(schema.connect().await),
        Arc::new(schema.connect().await),
    ];
    let nodes = [node(stores[0].clone()).await, node(stores[1].clone()).await];
    eventually("five ticks", Duration::from_secs(30), async || {
        let tasks = stores[0]
            .task_list(&Default::default())
            .await
            .expect("list");
        if tasks.len() >= 5 {
            Ok(())
        } else {
            Err(format!("{} ticks", tasks.len()))
        }
    })
    .await;
    for node in &nodes {
        node.shutdown().await;
    }

    let records = stores[1].cron_list().await.expect("records");
    let [record] = records.as_slice() else {
        panic!("one record expected, got {records:?}");
    };
    let last = record.last_tick.expect("a tick ran");
    let first = every_second()
        .schedule
        .next_after(record.since)
        .expect("a first tick");
    let ticks = (last - first).num_seconds() + 1;
    let tasks = stores[1]
        .task_list(&Default::default())
        .await
        .expect("list");
    assert_eq!(
        tasks.len() as i64,
        ticks,
        "ticks {first}..={last}: each enqueued exactly once"
    );
    let ids: Vec<&str> = tasks.iter().map(|t| t.id.as_str()).collect();
    assert!(ids.contains(&record.last_task_id.as_deref().unwrap_or_default()));
    assert!(last - first >= TimeDelta::seconds(4));
}
