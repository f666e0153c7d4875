//! Round-robin queues across nodes: three stores on one schema share the
//! keys' turns, so claims made on any node take turns as one claimant
//! would, and nodes racing on a round-robin queue with a per-key limit take
//! every task once, keep the limit, and keep the keys level.

mod common;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use chrono::TimeDelta;
use common::{SchemaGuard, inspect, new_task, now};
use rustqueue_core::limits::{Fairness, QueueLimits};
use rustqueue_core::store::{
    LeaseToken, QueueSetLimitsParams, Store, TaskClaimParams, TaskFinishManyParams,
    TaskInsertManyParams,
};
use rustqueue_core::task::NewTask;
use rustqueue_store_postgres::PostgresStore;
use rustqueue_store_tests::fixtures::complete;
use tokio::task::JoinSet;

fn claim_params(token: i64, limit: usize) -> TaskClaimParams {
    let now = now();
    TaskClaimParams {
        types: vec!["EMAIL".to_owned()],
        limit,
        now,
        lease_expires_at: now + TimeDelta::seconds(60),
        lease_token: LeaseToken(token),
        holder: format!("worker-{token}"),
    }
}

async fn round_robin(node: &PostgresStore, per_key_limit: Option<u32>) {
    let limits = QueueLimits {
        per_key_limit,
        fairness: Some(Fairness::RoundRobin),
        ..QueueLimits::default()
    };
    let params = QueueSetLimitsParams {
        name: "default".to_owned(),
        limits,
        now: now(),
    };
    node.queue_set_limits(&params).await.expect("set limits");
}

/// Tasks of `keys`, in that order, a millisecond apart and all due.
fn keyed(keys: impl IntoIterator<Item = String>) -> Vec<NewTask> {
    let due = now() - TimeDelta::seconds(60);
    (0..)
        .zip(keys)
        .map(|(i, key)| NewTask {
            concurrency_key: Some(key),
            run_at: due + TimeDelta::milliseconds(i),
            ..new_task("EMAIL")
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_node_takes_the_turns_the_others_recorded() {
    let schema = SchemaGuard::new();
    let nodes = [
        schema.connect().await,
        schema.connect().await,
        schema.connect().await,
    ];
    round_robin(&nodes[0], None).await;
    let tasks = keyed("A A A B B C".split(' ').map(str::to_owned));
    nodes[0]
        .task_insert_many(TaskInsertManyParams { tasks, now: now() })
        .await
        .expect("insert");
    let mut started = Vec::new();
    for (token, node) in (1..).zip(nodes.iter().cycle().take(6)) {
        let leases = node
            .task_claim(&claim_params(token, 1))
            .await
            .expect("claim");
        started.extend(leases.into_iter().filter_map(|l| l.task.concurrency_key));
    }
    assert_eq!(started, ["A", "B", "C", "A", "B", "A"]);
}

const KEYS: usize = 6;
const PER_KEY_TASKS: usize = 30;
const WORKERS: usize = 6;

/// Starts per key so far, shared by the workers.
type Starts = Arc<Mutex<HashMap<String, usize>>>;

async fn worker(node: Arc<PostgresStore>, schema: String, starts: Starts, token: i64) {
    let db = inspect().await;
    let running = format!(
        "SELECT concurrency_key, count(*) FROM \"{schema}\".tasks \
         WHERE status = 'INPROGRESS' GROUP BY concurrency_key"
    );
    loop {
        let leases = node
            .task_claim(&claim_params(token, 2))
            .await
            .expect("claim");
        if leases.is_empty() {
            let left = db
                .query_one(
                    &format!("SELECT count(*) FROM \"{schema}\".tasks WHERE status = 'QUEUED'"),
                    &[],
                )
                .await
                .expect("count queued");
            if left.get::<_, i64>(0) == 0 {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(2)).await;
            continue;
        }
        for row in db.query(&running, &[]).await.expect("count running") {
            let n: i64 = row.get(1);
            assert!(
                n <= 1,
                "{n} tasks of {:?} run at once",
                row.get::<_, String>(0)
            );
        }
        {
            let mut starts = starts.lock().expect("starts");
            for lease in &leases {
                let key = lease.task.concurrency_key.clone().expect("keyed");
                *starts.entry(key).or_default() += 1;
            }
            // While every key has tasks left, none falls far behind.
            let counts: Vec<usize> = starts.values().copied().collect();
            let (least, most) = (counts.iter().min(), counts.iter().max());
            if counts.len() == KEYS && most < Some(&PER_KEY_TASKS) {
                let spread = most.zip(least).map(|(m, l)| m - l);
                assert!(spread <= Some(2 * WORKERS), "starts per key: {starts:?}");
            }
        }
        let finishes = leases.iter().map(complete).collect();
        let params = TaskFinishManyParams {
            finishes,
            now: now(),
        };
        node.task_finish_many(params).await.expect("finish");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 6)]
async fn racing_nodes_take_every_task_once_in_turns_within_the_limit() {
    let schema = SchemaGuard::new();
    let nodes = [
        Arc::new(schema.connect().await),
        Arc::new(schema.connect().await),
        Arc::new(schema.connect().await),
    ];
    round_robin(&nodes[0], Some(1)).await;
    // Key 0's tasks come first: claim order alone would start only key 0.
    let keys = (0..KEYS).flat_map(|key| (0..PER_KEY_TASKS).map(move |_| format!("tenant-{key}")));
    let tasks = keyed(keys);
    nodes[0]
        .task_insert_many(TaskInsertManyParams { tasks, now: now() })
        .await
        .expect("insert");
    let starts: Starts = Arc::default();
    let mut workers = JoinSet::new();
    for (token, node) in (1..).zip(nodes.iter().cycle().take(WORKERS)) {
        workers.spawn(worker(
            Arc::clone(node),
            schema.name.clone(),
            Arc::clone(&starts),
            token,
        ));
    }
    while let Some(done) = workers.join_next().await {
        done.expect("worker");
    }
    let db = inspect().await;
    let attempts = db
        .query(
            &format!(
                "SELECT attempts, count(*) FROM \"{}\".tasks GROUP BY attempts",
                schema.name
            ),
            &[],
        )
        .await
        .expect("attempts");
    let attempts: HashSet<(i64, i64)> = attempts.iter().map(|r| (r.get(0), r.get(1))).collect();
    let all = i64::try_from(KEYS * PER_KEY_TASKS).expect("count");
    assert_eq!(
        attempts,
        HashSet::from([(1, all)]),
        "every task started once"
    );
}
