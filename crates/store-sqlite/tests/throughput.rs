//! A measurement, not a check: how fast claim + finish drains no-op tasks.
//!
//! Run it optimised:
//! `cargo nextest run -p rustqueue-store-sqlite --cargo-profile release --run-ignored only --no-capture throughput`

use std::sync::Arc;
use std::time::Instant;

use chrono::{SubsecRound, TimeDelta, Utc};
use rustqueue_core::store::{
    LeaseToken, Store, TaskClaimParams, TaskFinishManyParams, TaskInsertManyParams,
};
use rustqueue_core::task::{NewTask, new_task_id};
use rustqueue_store_sqlite::SqliteStore;
use rustqueue_store_sqlite::testing::TestDatabase;
use rustqueue_store_tests::fixtures::complete;
use serde_json::value::RawValue;

const BATCH: usize = 500;

/// How many tasks to drain: `RUSTQUEUE_BENCH_TASKS`, default 20,000 (a multiple of 1,000).
fn tasks() -> usize {
    std::env::var("RUSTQUEUE_BENCH_TASKS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(20_000)
}

async fn fill(store: &SqliteStore) {
    let now = Utc::now().trunc_subsecs(6);
    let payload =
        RawValue::from_string(r#"{"to":"someone@example.com"}"#.to_owned()).expect("json");
    for _ in 0..tasks() / 1000 {
        let news = (0..1000)
            .map(|_| NewTask {
                id: new_task_id(),
                task_type: "NOOP".to_owned(),
                payload: payload.clone(),
                queue: "default".to_owned(),
                priority: 0,
                max_retries: 3,
                run_at: now,
                unique_key: None,
                timeout_ms: None,
                concurrency_key: None,
                traceparent: None,
                note: None,
            })
            .collect();
        store
            .task_insert_many(TaskInsertManyParams { tasks: news, now })
            .await
            .expect("insert");
    }
}

/// What one worker loop did: tasks finished, and seconds spent claiming and finishing.
#[derive(Default)]
struct Drained {
    done: usize,
    claiming: f64,
    finishing: f64,
}

/// One worker loop: claim a batch, finish it all as completed, until nothing is left.
async fn drain(store: Arc<SqliteStore>, token: i64) -> Drained {
    let mut drained = Drained::default();
    loop {
        let now = Utc::now();
        let params = TaskClaimParams {
            types: vec!["NOOP".to_owned()],
            limit: BATCH,
            now,
            lease_expires_at: now + TimeDelta::seconds(30),
            lease_token: LeaseToken(token),
            holder: "test-worker".to_owned(),
        };
        let clock = Instant::now();
        let leases = store.task_claim(&params).await.expect("claim");
        drained.claiming += clock.elapsed().as_secs_f64();
        if leases.is_empty() {
            return drained;
        }
        let finishes = leases.iter().map(complete).collect();
        let clock = Instant::now();
        let applied = store
            .task_finish_many(TaskFinishManyParams {
                finishes,
                now: Utc::now(),
            })
            .await
            .expect("finish");
        drained.finishing += clock.elapsed().as_secs_f64();
        drained.done += applied.iter().filter(|a| **a).count();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "a measurement; run it in release mode (see the module doc)"]
async fn throughput_claim_and_finish() {
    for loops in [1, 2, 4] {
        let db = TestDatabase::new();
        let store = Arc::new(db.open());
        let filled = Instant::now();
        fill(&store).await;
        let insert_rate = tasks() as f64 / filled.elapsed().as_secs_f64();

        let started = Instant::now();
        let workers: Vec<_> = (0..loops)
            .map(|token| tokio::spawn(drain(store.clone(), token)))
            .collect();
        let (mut finished, mut claiming, mut finishing) = (0, 0.0, 0.0);
        for worker in workers {
            let drained = worker.await.expect("worker");
            finished += drained.done;
            claiming += drained.claiming;
            finishing += drained.finishing;
        }
        let elapsed = started.elapsed().as_secs_f64();

        assert_eq!(finished, tasks());
        println!(
            "{loops} loop(s): inserted {insert_rate:.0}/s; drained {} tasks in {elapsed:.3}s = {:.0} tasks/s \
             (claim calls {claiming:.3}s, finish calls {finishing:.3}s, summed over loops)",
            tasks(),
            tasks() as f64 / elapsed
        );
    }
}
