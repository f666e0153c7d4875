//! `GET /api/throughput`: the last 15 minutes of finished tasks, in
//! 10-second buckets, from this node and (on PostgreSQL) the others.

use std::sync::Arc;
use std::time::Duration;

use crate::common::{Backend, TestApp, spawn_app};
use rustqueue_core::clock::SystemClock;
use rustqueue_core::engine::Throughput;
use rustqueue_core::{Engine, EngineConfig, Registry};
use rustqueue_store_postgres::testing::TestSchema;
use rustqueue_store_tests::eventually;
use serde_json::{Value, json};

/// Completed and failed tasks over the whole answer.
fn totals(throughput: &Value) -> (u64, u64) {
    let points = throughput["points"].as_array().expect("points");
    points.iter().fold((0, 0), |(c, f), point| {
        let n = |field: &str| point[field].as_u64().expect("a count");
        (c + n("completed"), f + n("failed"))
    })
}

/// Polls `/api/throughput` until it shows `expected`, for at most ten seconds.
async fn wait_for_totals(app: &TestApp, expected: (u64, u64)) -> Value {
    eventually(
        format!("totals of {expected:?}"),
        Duration::from_secs(10),
        async || {
            let throughput: Value = app.get_json("/api/throughput").await;
            if totals(&throughput) == expected {
                Ok(throughput)
            } else {
                Err(throughput)
            }
        },
    )
    .await
}

#[tokio::test]
async fn throughput_shows_the_last_fifteen_minutes_oldest_first() {
    let app = spawn_app(Backend::Memory).await;
    let empty: Value = app.get_json("/api/throughput").await;
    assert_eq!(empty["interval_secs"], 10);
    assert_eq!(empty["points"].as_array().expect("points").len(), 90);
    assert_eq!(totals(&empty), (0, 0), "a new node has seen nothing");

    let done = app.enqueue(json!("a"), "EMAIL").await;
    let failed = app.enqueue(json!("b"), "FAILABS").await;
    app.wait_for_status(done["id"].as_str().expect("id"), "COMPLETED")
        .await;
    app.wait_for_status(failed["id"].as_str().expect("id"), "FAILED")
        .await;
    let shown = wait_for_totals(&app, (1, 1)).await;

    let starts: Vec<chrono::DateTime<chrono::Utc>> = shown["points"]
        .as_array()
        .expect("points")
        .iter()
        .map(|p| p["at"].as_str().expect("a time").parse().expect("ISO-8601"))
        .collect();
    assert!(
        starts
            .windows(2)
            .all(|w| w[1] - w[0] == chrono::TimeDelta::seconds(10)),
        "{shown}"
    );
    let last = *starts.last().expect("points");
    let now = chrono::Utc::now();
    assert!(
        last <= now && now - last < chrono::TimeDelta::seconds(11),
        "{last} at {now}"
    );
    assert_eq!(last.timestamp() % 10, 0, "buckets start on 10 s boundaries");
}

/// Tasks finished on one node show in another node's history.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throughput_counts_the_tasks_other_nodes_finish() {
    let schema = TestSchema::new();
    let mut demo = Registry::new();
    rustqueue_core::builtin::register_demo_types(&mut demo, 1000.0);
    let runner = Engine::new(
        Arc::new(schema.connect().await),
        demo,
        EngineConfig::default(),
        Arc::new(SystemClock),
    );
    let mut remote_only = Registry::new();
    remote_only.declare_remote("REMOTE", "run elsewhere");
    let watcher = Engine::new(
        Arc::new(schema.connect().await),
        remote_only,
        EngineConfig::default(),
        Arc::new(SystemClock),
    );
    runner.start().await.expect("runner starts");
    watcher.start().await.expect("watcher starts");

    let payload = serde_json::value::RawValue::from_string("\"x\"".into()).expect("json");
    let request = rustqueue_core::engine::EnqueueRequest::new("EMAIL", payload);
    runner.enqueue(request).await.expect("enqueue");
    let completed = |t: &Throughput| t.points.iter().map(|p| p.completed).sum::<u64>();
    eventually("the watcher sees it", Duration::from_secs(10), async || {
        completed(&watcher.throughput()) >= 1
    })
    .await;
    assert_eq!(completed(&runner.throughput()), 1);
    assert_eq!(completed(&watcher.throughput()), 1);
    runner.shutdown().await;
    watcher.shutdown().await;
}
