//! Queue limits across nodes: three stores on one schema, each its own pool,
//! claim and finish at once in a limited queue; no limit is ever exceeded,
//! whether counted in the database or from the leases the workers hold.

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::TimeDelta;
use common::{SchemaGuard, inspect, new_task, now};
use rustqueue_core::limits::QueueLimits;
use rustqueue_core::store::{
    Lease, LeaseToken, QueueSetLimitsParams, Store, TaskClaimParams, TaskFinishManyParams,
    TaskInsertManyParams,
};
use rustqueue_store_postgres::PostgresStore;
use rustqueue_store_tests::fixtures::complete;
use tokio::task::JoinSet;

const CONCURRENCY: u64 = 5;
const PER_KEY: u64 = 2;
const KEYS: usize = 4;
const ROUNDS: usize = 150;

/// The tasks each worker holds now, by id, with their key.
type Held = Arc<Mutex<HashMap<String, String>>>;

fn claim_params(token: i64) -> TaskClaimParams {
    let now = now();
    TaskClaimParams {
        types: vec!["EMAIL".to_owned()],
        limit: 3,
        now,
        lease_expires_at: now + TimeDelta::seconds(60),
        lease_token: LeaseToken(token),
        holder: format!("worker-{token}"),
    }
}

/// Fails if the leases held break a limit. Held leases are a subset of the
/// running tasks (a worker forgets a lease before finishing it), so this can
/// only under-count.
fn check_held(held: &Held) {
    let held = held.lock().expect("held");
    assert!(
        held.len() as u64 <= CONCURRENCY,
        "{} leases held",
        held.len()
    );
    let mut per_key: HashMap<&str, u64> = HashMap::new();
    for key in held.values() {
        *per_key.entry(key).or_default() += 1;
    }
    for (key, n) in per_key {
        assert!(n <= PER_KEY, "{n} leases of key {key} held");
    }
}

/// Fails if the database shows more running tasks than a limit allows.
async fn check_running(db: &tokio_postgres::Client, schema: &str) {
    let rows = db
        .query(
            &format!(
                "SELECT queue, concurrency_key, count(*) FROM \"{schema}\".tasks \
                 WHERE status = 'INPROGRESS' GROUP BY queue, concurrency_key"
            ),
            &[],
        )
        .await
        .expect("count running");
    let mut total = 0;
    for row in rows {
        let key: Option<String> = row.get(1);
        let n = u64::try_from(row.get::<_, i64>(2)).expect("count");
        total += n;
        assert!(n <= PER_KEY, "{n} tasks of key {key:?} running");
    }
    assert!(total <= CONCURRENCY, "{total} tasks running");
}

async fn worker(node: Arc<PostgresStore>, schema: String, held: Held, token: i64) {
    let db = inspect().await;
    let mut mine: Vec<Lease> = Vec::new();
    for round in 0..ROUNDS {
        let leases = node.task_claim(&claim_params(token)).await.expect("claim");
        {
            let mut held_now = held.lock().expect("held");
            for lease in &leases {
                let key = lease.task.concurrency_key.clone().expect("keyed task");
                held_now.insert(lease.task.id.clone(), key);
            }
        }
        check_held(&held);
        check_running(&db, &schema).await;
        mine.extend(leases);
        // Finish about half of what is held, oldest first, so room opens
        // and closes while the other nodes claim.
        let done: Vec<Lease> = mine.drain(..mine.len().div_ceil(2)).collect();
        if round % 3 == 2 || done.is_empty() {
            mine.extend(done);
            continue;
        }
        {
            let mut held_now = held.lock().expect("held");
            for lease in &done {
                held_now.remove(&lease.task.id);
            }
        }
        let finishes = done.iter().map(complete).collect();
        let applied = node
            .task_finish_many(TaskFinishManyParams {
                finishes,
                now: now(),
            })
            .await
            .expect("finish");
        assert!(
            applied.iter().all(|applied| *applied),
            "a finish was refused"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 6)]
async fn three_nodes_claiming_at_once_never_exceed_the_limits() {
    let schema = SchemaGuard::new();
    let nodes = [
        Arc::new(schema.connect().await),
        Arc::new(schema.connect().await),
        Arc::new(schema.connect().await),
    ];
    nodes[0]
        .queue_set_limits(&QueueSetLimitsParams {
            name: "default".to_owned(),
            limits: QueueLimits {
                concurrency: Some(CONCURRENCY as u32),
                per_key_limit: Some(PER_KEY as u32),
                ..QueueLimits::default()
            },
            now: now(),
        })
        .await
        .expect("set limits");
    let tasks = (0..3_000)
        .map(|n| rustqueue_core::task::NewTask {
            concurrency_key: Some(format!("tenant-{}", n % KEYS)),
            ..new_task("EMAIL")
        })
        .collect();
    nodes[0]
        .task_insert_many(TaskInsertManyParams { tasks, now: now() })
        .await
        .expect("insert");

    let held: Held = Arc::default();
    let mut workers = JoinSet::new();
    for (index, node) in nodes.iter().cycle().take(6).enumerate() {
        let token = i64::try_from(index).expect("index") + 1;
        workers.spawn(worker(
            Arc::clone(node),
            schema.name.clone(),
            Arc::clone(&held),
            token,
        ));
    }
    while let Some(done) = workers.join_next().await {
        done.expect("worker");
    }
}
