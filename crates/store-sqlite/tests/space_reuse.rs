//! Retention keeps a SQLite file from growing: the pages of pruned tasks and
//! their history go to SQLite's free list, and the next tasks are written
//! into them instead of at the end of the file.

use std::path::Path;

use chrono::{SubsecRound, TimeDelta, Utc};
use rustqueue_core::store::{
    Finish, LeaseToken, Outcome, Store, TaskClaimParams, TaskFinishManyParams,
    TaskInsertManyParams, TaskPruneParams,
};
use rustqueue_core::task::{EventKind, NewTask, TaskStatus, Timestamp, new_task_id};
use rustqueue_store_sqlite::testing::TestDatabase;
use rustqueue_store_sqlite::{SqliteOptions, SqliteStore};
use serde_json::value::RawValue;

const TASKS_PER_ROUND: usize = 3_000;

fn new_task(n: usize, at: Timestamp) -> NewTask {
    // About 1 KiB each, so a round takes a few megabytes of pages.
    let payload = format!("{{\"n\": {n}, \"pad\": \"{}\"}}", "x".repeat(1_000));
    NewTask {
        id: new_task_id(),
        task_type: "EMAIL".to_owned(),
        payload: RawValue::from_string(payload).expect("json"),
        queue: "default".to_owned(),
        priority: 0,
        max_retries: 3,
        run_at: at,
        unique_key: None,
        timeout_ms: None,
        concurrency_key: None,
        traceparent: None,
        note: None,
    }
}

/// One retention cycle: enqueue, run and complete a round of tasks, then
/// prune them all; the file's size after the store is closed.
async fn round(path: &Path) -> u64 {
    let store = SqliteStore::open(path, SqliteOptions::default()).expect("open");
    let now = Utc::now().trunc_subsecs(6);
    let tasks = (0..TASKS_PER_ROUND).map(|n| new_task(n, now)).collect();
    store
        .task_insert_many(TaskInsertManyParams { tasks, now })
        .await
        .expect("insert");
    loop {
        let params = TaskClaimParams {
            types: vec!["EMAIL".to_owned()],
            limit: 500,
            now,
            lease_expires_at: now + TimeDelta::seconds(60),
            lease_token: LeaseToken(7),
            holder: "test-worker".to_owned(),
        };
        let leases = store.task_claim(&params).await.expect("claim");
        if leases.is_empty() {
            break;
        }
        let done = Outcome::Completed { result: None };
        let finishes = leases
            .iter()
            .map(|lease| Finish::new(lease, done.clone(), EventKind::Completed, None))
            .collect();
        store
            .task_finish_many(TaskFinishManyParams { finishes, now })
            .await
            .expect("finish");
    }
    let params = TaskPruneParams {
        status: TaskStatus::Completed,
        finished_before: now + TimeDelta::seconds(1),
        limit: TASKS_PER_ROUND,
    };
    let pruned = store.task_prune(&params).await.expect("prune");
    assert_eq!(pruned, TASKS_PER_ROUND as u64, "every finished task pruned");
    let left = store.task_counts().await.expect("counts");
    assert_eq!(left.values().sum::<u64>(), 0, "{left:?}");
    drop(store);
    std::fs::metadata(path).expect("file").len()
}

#[tokio::test]
async fn pruned_pages_are_reused_by_the_next_tasks() {
    let db = TestDatabase::new();
    let path = db.path().to_owned();
    let first = round(&path).await;
    let mut last = first;
    for _ in 0..3 {
        last = round(&path).await;
    }
    // Without reuse, four rounds would take about four times the first's pages.
    assert!(
        last <= first + first / 4,
        "the file grew from {first} to {last} bytes over four prune cycles"
    );
}
