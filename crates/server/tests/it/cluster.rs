//! Several `rustqueue` processes on one PostgreSQL schema: 10,000 tasks
//! enqueued across three nodes, one node SIGKILLed mid-run, and every task
//! still completes exactly once; each node's event stream shows the
//! tasks the other nodes run; and every node lists every worker.

use std::time::Duration;

use crate::common::count;
use crate::common::node::Node;
use rustqueue_store_postgres::testing::{TestSchema, test_url};
use rustqueue_store_tests::eventually;
use serde_json::{Value, json};

const TASKS: usize = 10_000;
const BATCH: usize = 1_000;

/// Settings of one node on `schema`: EMAIL takes 40 ms, and a lease lapses after 1 s.
fn node_settings(schema: &TestSchema) -> Vec<(&'static str, String)> {
    vec![
        ("RUSTQUEUE_DATABASE_URL", test_url()),
        ("RUSTQUEUE_POSTGRES_SCHEMA", schema.name.clone()),
        ("RUSTQUEUE_POSTGRES_POOL_SIZE", "4".into()),
        ("RUSTQUEUE_DEMO_SPEED", "50".into()),
        ("RUSTQUEUE_WORKERS", "32".into()),
        ("RUSTQUEUE_LEASE_SECS", "1".into()),
        ("RUSTQUEUE_BACKOFF_BASE_MS", "10".into()),
        ("RUSTQUEUE_BACKOFF_CAP_MS", "50".into()),
    ]
}

/// Enqueues `TASKS` EMAIL tasks in batches, round robin over the nodes.
async fn enqueue_across(nodes: &[Node]) {
    let client = reqwest::Client::new();
    for batch in 0..TASKS / BATCH {
        let tasks: Vec<Value> = (0..BATCH)
            .map(|n| json!({ "type": "EMAIL", "payload": { "n": batch * BATCH + n } }))
            .collect();
        let node = &nodes[batch % nodes.len()];
        let response = client
            .post(node.url("/api/tasks/batch"))
            .json(&json!({ "tasks": tasks }))
            .send()
            .await
            .expect("batch enqueue");
        assert_eq!(
            response.status(),
            201,
            "{}",
            response.text().await.unwrap_or_default()
        );
    }
}

/// Polls `node`'s counts until `COMPLETED` reaches `at_least`.
async fn wait_for_completed(node: &Node, at_least: u64, within: Duration) {
    eventually(format!("{at_least} completed"), within, async || {
        let counts = node.status_counts().await;
        if counts["COMPLETED"].as_u64().unwrap_or(0) >= at_least {
            Ok(())
        } else {
            Err(counts)
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_task_completes_exactly_once_when_a_node_is_killed() {
    let schema = TestSchema::new();
    let settings = node_settings(&schema);
    let mut nodes = Vec::new();
    for _ in 0..3 {
        nodes.push(Node::start(&settings).await);
    }
    enqueue_across(&nodes).await;
    wait_for_completed(&nodes[1], 1_500, Duration::from_secs(60)).await;
    nodes[0].kill();
    wait_for_completed(&nodes[1], TASKS as u64, Duration::from_secs(120)).await;

    let tasks = count(&schema, "SELECT count(*) FROM {schema}.tasks").await;
    let completed = count(
        &schema,
        "SELECT count(*) FROM {schema}.tasks WHERE status = 'COMPLETED'",
    )
    .await;
    assert_eq!((tasks, completed), (TASKS as i64, TASKS as i64));
    let once = count(
        &schema,
        "SELECT count(*) FROM (SELECT task_id FROM {schema}.task_events \
         WHERE kind = 'completed' GROUP BY task_id HAVING count(*) = 1) AS once",
    )
    .await;
    let events = count(
        &schema,
        "SELECT count(*) FROM {schema}.task_events WHERE kind = 'completed'",
    )
    .await;
    assert_eq!(
        (once, events),
        (TASKS as i64, TASKS as i64),
        "one completed event per task"
    );
    let rescued = count(
        &schema,
        "SELECT count(*) FROM {schema}.task_events WHERE kind = 'lease_expired'",
    )
    .await;
    assert!(
        rescued > 0,
        "the killed node held attempts that were rescued"
    );
    // Every node sees the same cluster-wide counts.
    for node in &nodes[1..] {
        assert_eq!(node.status_counts().await["COMPLETED"], TASKS);
    }
}

/// The ids of tasks seen `completed` on an event stream, until all of `ids` are.
async fn completed_on_stream(stream: reqwest::Response, ids: &[String], within: Duration) {
    use futures_util::StreamExt;
    let mut body = stream.bytes_stream();
    let mut seen = String::new();
    let deadline = tokio::time::Instant::now() + within;
    let missing = |seen: &str| {
        ids.iter()
            .filter(|id| !seen.contains(&format!("{{\"task_id\":\"{id}\",\"kind\":\"completed\"")))
            .count()
    };
    while missing(&seen) > 0 {
        let chunk = tokio::time::timeout_at(deadline, body.next())
            .await
            .unwrap_or_else(|_| panic!("{} completions never reached the stream", missing(&seen)))
            .expect("stream open")
            .expect("bytes");
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_nodes_event_stream_shows_tasks_run_by_the_others() {
    let schema = TestSchema::new();
    let settings = node_settings(&schema);
    let watched = Node::start(&settings).await;
    let busy = Node::start(&settings).await;
    let stream = reqwest::get(watched.url("/api/events"))
        .await
        .expect("stream");
    assert_eq!(stream.status(), 200);
    // Enqueued on the busy node, which its own dispatcher hears of first, so
    // it runs most of them: the watched node's stream must show them all.
    let tasks: Vec<Value> = (0..200)
        .map(|n| json!({ "type": "SMS", "payload": n }))
        .collect();
    let created: Value = reqwest::Client::new()
        .post(busy.url("/api/tasks/batch"))
        .json(&json!({ "tasks": tasks }))
        .send()
        .await
        .expect("batch")
        .json()
        .await
        .expect("json");
    let ids: Vec<String> = created["tasks"]
        .as_array()
        .expect("tasks")
        .iter()
        .map(|t| t["task"]["id"].as_str().expect("id").to_owned())
        .collect();
    assert_eq!(ids.len(), 200);
    completed_on_stream(stream, &ids, Duration::from_secs(30)).await;
}

/// A remote worker that leased through one node shows on every node, with
/// its running task, beside every node's own pool; so do its types.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_node_lists_every_worker() {
    let schema = TestSchema::new();
    let mut settings = node_settings(&schema);
    settings.push(("RUSTQUEUE_REMOTE_TYPES", "REMOTE".into()));
    let a = Node::start(&settings).await;
    let b = Node::start(&settings).await;
    let client = reqwest::Client::new();
    let post =
        |node: &Node, path: &str, body: Value| client.post(node.url(path)).json(&body).send();
    let created: Value = post(&a, "/api/tasks", json!({"type": "REMOTE", "payload": 1}))
        .await
        .expect("enqueue")
        .json()
        .await
        .expect("json");
    let id = created["task"]["id"].clone();
    let body =
        json!({"types": ["REMOTE"], "worker_id": "far-worker", "wait_ms": 5000, "lease_ms": 60000});
    let leased: Value = post(&a, "/api/worker/lease", body)
        .await
        .expect("lease")
        .json()
        .await
        .expect("json");
    assert_eq!(leased["leases"][0]["task"]["id"], id);

    let workers: Value = reqwest::get(b.url("/api/workers"))
        .await
        .expect("workers")
        .json()
        .await
        .expect("json");
    let workers = workers.as_array().expect("list");
    let nodes: Vec<&Value> = workers.iter().filter(|w| w["kind"] == "local").collect();
    assert_eq!(nodes.len(), 2, "both nodes: {workers:#?}");
    assert!(
        nodes
            .iter()
            .all(|n| n["id"].as_str().is_some_and(|id| id.starts_with("node:")))
    );
    let far = workers
        .iter()
        .find(|w| w["id"] == "far-worker")
        .expect("the remote worker, seen through the other node");
    assert_eq!(far["running"][0]["task_id"], id);
    assert!(far["last_seen_at"].is_string());

    let types: Value = reqwest::get(b.url("/api/types"))
        .await
        .expect("types")
        .json()
        .await
        .expect("json");
    let remote = types
        .as_array()
        .and_then(|t| t.iter().find(|t| t["name"] == "REMOTE"))
        .expect("REMOTE listed");
    assert_eq!(
        (&remote["local"], &remote["workers"]),
        (&json!(false), &json!(1))
    );
}
