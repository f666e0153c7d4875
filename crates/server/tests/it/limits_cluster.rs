//! Queue limits across a cluster: three `rustqueue` processes on one
//! PostgreSQL schema claim a limited queue at the same instants, for their
//! own workers and for remote workers (this test's own handlers, which
//! record how many of each key they run at each moment), and one node is
//! SIGKILLed while it holds limited tasks. No limit is ever exceeded:
//! neither in what the handlers saw, nor in the database sampled throughout
//! the run, nor while the killed node's leases lapse.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::common::count;
use crate::common::node::Node;
use rustqueue_store_postgres::testing::{TestSchema, inspect, test_url};
use rustqueue_store_tests::eventually;
use serde_json::{Value, json};

const QUEUE: &str = "limited";
const KEYS: [&str; 5] = ["k0", "k1", "k2", "k3", "k4"];
const CONCURRENCY: u64 = 8;
const PER_KEY: u64 = 2;
const GOLD: (&str, u64) = ("k0", 4);
const LOCAL_TASKS: usize = 300;
const REMOTE_TASKS: usize = 300;

fn limit_of(key: &str) -> u64 {
    if key == GOLD.0 { GOLD.1 } else { PER_KEY }
}

fn node_settings(schema: &TestSchema) -> Vec<(&'static str, String)> {
    vec![
        ("RUSTQUEUE_DATABASE_URL", test_url()),
        ("RUSTQUEUE_POSTGRES_SCHEMA", schema.name.clone()),
        ("RUSTQUEUE_POSTGRES_POOL_SIZE", "4".into()),
        // EMAIL takes 20 ms: short attempts, many claims racing.
        ("RUSTQUEUE_DEMO_SPEED", "100".into()),
        ("RUSTQUEUE_WORKERS", "16".into()),
        ("RUSTQUEUE_LEASE_SECS", "2".into()),
        ("RUSTQUEUE_REMOTE_TYPES", "RQ_LIMITED".into()),
    ]
}

/// Running tasks per key, as this test's handlers count them: a task is
/// counted from its lease's answer until just before its completion is
/// sent, so it is never counted past the moment the store frees its place.
#[derive(Default)]
struct Handlers {
    running: Mutex<HashMap<String, u64>>,
    most: Mutex<BTreeMap<String, u64>>,
}

impl Handlers {
    fn start(&self, key: &str) {
        let mut running = self.running.lock().expect("lock");
        let now = running.entry(key.to_owned()).or_default();
        *now += 1;
        let mut most = self.most.lock().expect("lock");
        let seen = most.entry(key.to_owned()).or_default();
        *seen = (*seen).max(*now);
    }

    fn end(&self, key: &str) {
        *self
            .running
            .lock()
            .expect("lock")
            .entry(key.to_owned())
            .or_default() -= 1;
    }
}

/// One remote worker: leases from the nodes in turn, runs each task for a
/// few milliseconds, completes it.
async fn remote_worker(nodes: Vec<String>, handlers: Arc<Handlers>, done: Arc<AtomicBool>) {
    let client = reqwest::Client::new();
    let mut turn = 0usize;
    while !done.load(Ordering::Relaxed) {
        turn += 1;
        let base = &nodes[turn % nodes.len()];
        let body =
            json!({ "types": ["RQ_LIMITED"], "limit": 3, "lease_ms": 5_000, "wait_ms": 200 });
        let Ok(answer) = client
            .post(format!("{base}/api/worker/lease"))
            .json(&body)
            .send()
            .await
        else {
            continue; // the node was killed: try the next one
        };
        let Ok(answer) = answer.json::<Value>().await else {
            continue;
        };
        let leases = answer["leases"].as_array().cloned().unwrap_or_default();
        for lease in &leases {
            handlers.start(lease["task"]["concurrency_key"].as_str().unwrap_or(""));
        }
        tokio::time::sleep(Duration::from_millis(15)).await;
        for lease in leases {
            handlers.end(lease["task"]["concurrency_key"].as_str().unwrap_or(""));
            let finish = json!({ "task_id": lease["task"]["id"], "token": lease["token"] });
            for attempt in 0..nodes.len() {
                let base = &nodes[(turn + attempt) % nodes.len()];
                let sent = client
                    .post(format!("{base}/api/worker/complete"))
                    .json(&finish);
                if sent.send().await.is_ok_and(|a| a.status().is_success()) {
                    break;
                }
            }
        }
    }
}

/// Samples the running tasks of the queue per key, in one statement (one
/// snapshot), until `done`; returns the most seen per key and in all.
async fn sample_running(schema: String, done: Arc<AtomicBool>) -> (BTreeMap<String, i64>, i64) {
    let client = inspect().await.expect("inspect");
    let sql = format!(
        "SELECT coalesce(concurrency_key, ''), count(*) FROM \"{schema}\".tasks \
         WHERE status = 'INPROGRESS' AND queue = '{QUEUE}' GROUP BY 1"
    );
    let (mut most, mut most_total) = (BTreeMap::new(), 0);
    while !done.load(Ordering::Relaxed) {
        let rows = client.query(&sql, &[]).await.expect("sample");
        let mut total = 0;
        for row in rows {
            let (key, running): (String, i64) = (row.get(0), row.get(1));
            total += running;
            let seen = most.entry(key).or_insert(0);
            *seen = (*seen).max(running);
        }
        most_total = most_total.max(total);
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    (most, most_total)
}

async fn enqueue(nodes: &[Node]) {
    let client = reqwest::Client::new();
    let tasks: Vec<Value> = (0..LOCAL_TASKS + REMOTE_TASKS)
        .map(|n| {
            let kind = if n % 2 == 0 { "EMAIL" } else { "RQ_LIMITED" };
            json!({ "type": kind, "payload": { "n": n }, "queue": QUEUE,
                    "concurrency_key": KEYS[n % KEYS.len()] })
        })
        .collect();
    for (n, chunk) in tasks.chunks(100).enumerate() {
        let response = client
            .post(nodes[n % nodes.len()].url("/api/tasks/batch"))
            .json(&json!({ "tasks": chunk }))
            .send()
            .await
            .expect("enqueue");
        assert_eq!(
            response.status(),
            201,
            "{}",
            response.text().await.unwrap_or_default()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn limits_hold_across_nodes_remote_workers_and_a_killed_node() {
    let schema = TestSchema::new();
    let settings = node_settings(&schema);
    let mut nodes = Vec::new();
    for _ in 0..3 {
        nodes.push(Node::start(&settings).await);
    }
    let limits = json!({ "concurrency": CONCURRENCY, "per_key_limit": PER_KEY,
                         "key_limits": { GOLD.0: GOLD.1 } });
    let set = reqwest::Client::new()
        .put(nodes[1].url(&format!("/api/queues/{QUEUE}/limits")))
        .json(&limits)
        .send()
        .await
        .expect("set limits");
    assert_eq!(
        set.status(),
        200,
        "{}",
        set.text().await.unwrap_or_default()
    );

    let done = Arc::new(AtomicBool::new(false));
    let sampler = tokio::spawn(sample_running(schema.name.clone(), done.clone()));
    let handlers = Arc::new(Handlers::default());
    let bases: Vec<String> = nodes.iter().map(|node| node.url("")).collect();
    let workers: Vec<_> = (0..4)
        .map(|_| tokio::spawn(remote_worker(bases.clone(), handlers.clone(), done.clone())))
        .collect();
    enqueue(&nodes).await;

    // SIGKILL node 0 while it runs limited tasks of its own.
    let pid = nodes[0].child.id();
    let held_by_node0 = format!(
        "SELECT count(*) FROM {{schema}}.tasks WHERE status = 'INPROGRESS' \
         AND leased_by LIKE 'node:%:{pid}:%'"
    );
    eventually(
        "node 0 holds limited tasks",
        Duration::from_secs(60),
        async || count(&schema, &held_by_node0).await > 0,
    )
    .await;
    nodes[0].kill();
    let orphaned = count(&schema, &held_by_node0).await;

    let total = (LOCAL_TASKS + REMOTE_TASKS) as u64;
    eventually(
        "every task completes",
        Duration::from_secs(180),
        async || {
            let counts = nodes[1].status_counts().await;
            (counts["COMPLETED"].as_u64() == Some(total))
                .then_some(())
                .ok_or(counts)
        },
    )
    .await;
    done.store(true, Ordering::Relaxed);
    let (most_sampled, most_total) = sampler.await.expect("sampler");
    for worker in workers {
        worker.await.expect("remote worker");
    }

    assert!(
        most_total <= CONCURRENCY as i64,
        "{most_total} ran at once in the queue"
    );
    assert!(
        most_total >= 2,
        "the queue ran tasks side by side ({most_total})"
    );
    for (key, most) in &most_sampled {
        assert!(
            *most as u64 <= limit_of(key),
            "key {key}: {most} ran at once (sampled)"
        );
    }
    let most_handled = handlers.most.lock().expect("lock").clone();
    assert_eq!(
        most_handled.len(),
        KEYS.len(),
        "remote workers ran every key"
    );
    for (key, most) in &most_handled {
        assert!(
            *most <= limit_of(key),
            "key {key}: the handlers ran {most} at once"
        );
    }
    // The killed node's attempts were rescued only once their leases lapsed.
    if orphaned > 0 {
        let rescued = count(
            &schema,
            "SELECT count(*) FROM {schema}.task_events WHERE kind = 'lease_expired'",
        )
        .await;
        assert!(rescued > 0, "node 0's {orphaned} attempts were rescued");
    }
    let completed_twice = count(
        &schema,
        "SELECT count(*) FROM (SELECT task_id FROM {schema}.task_events \
         WHERE kind = 'completed' GROUP BY task_id HAVING count(*) > 1) AS twice",
    )
    .await;
    assert_eq!(completed_twice, 0);
}
