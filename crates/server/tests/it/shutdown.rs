//! Graceful shutdown of the real binary: SIGTERM with a dashboard's event
//! stream open still ends, readiness fails while draining, the running task
//! finishes, and shutdown ends even while PostgreSQL is down.

use std::time::Duration;

use crate::common::node::Node;
use crate::common::private_postgres::PrivatePostgres;
use futures_util::StreamExt;
use rustqueue_store_sqlite::testing::TestDatabase;
use rustqueue_store_tests::eventually;
use serde_json::{Value, json};

async fn enqueue(node: &Node, task_type: &str) -> String {
    let answer: Value = reqwest::Client::new()
        .post(node.url("/api/enqueue"))
        .json(&json!({ "payload": "shutdown", "t_type": task_type }))
        .send()
        .await
        .expect("enqueue")
        .json()
        .await
        .expect("json");
    answer["id"].as_str().expect("id").to_owned()
}

async fn job(node: &Node, id: &str) -> Value {
    reqwest::get(node.url(&format!("/api/jobs/{id}")))
        .await
        .expect("job")
        .json()
        .await
        .expect("json")
}

async fn wait_for_status(node: &Node, id: &str, status: &str, limit: Duration) -> Value {
    eventually(format!("{id} reaches {status}"), limit, async || {
        let job = job(node, id).await;
        if job["status"] == status {
            Ok(job)
        } else {
            Err(job)
        }
    })
    .await
}

/// Polls `/readyz` until it answers 503, and returns its detail.
async fn wait_unready(node: &Node) -> String {
    eventually("/readyz says 503", Duration::from_secs(5), async || {
        let answer = reqwest::get(node.url("/readyz")).await.expect("readyz");
        if answer.status() != 503 {
            return None;
        }
        let body: Value = answer.json().await.expect("json");
        Some(body["detail"].as_str().expect("detail").to_owned())
    })
    .await
}

fn sqlite_settings(db: &std::path::Path) -> Vec<(&'static str, String)> {
    vec![
        (
            "RUSTQUEUE_DATABASE_URL",
            format!("sqlite://{}", db.display()),
        ),
        // TAKESLONG runs 2 s: still running when the signal comes.
        ("RUSTQUEUE_DEMO_SPEED", "5".into()),
        ("RUSTQUEUE_SHUTDOWN_GRACE_SECS", "20".into()),
        ("RUSTQUEUE_REMOTE_TYPES", "REMOTE".into()),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_with_an_event_stream_open_finishes_the_running_task_and_exits() {
    let database = TestDatabase::new();
    let db = database.path().to_owned();
    let mut node = Node::start(&sqlite_settings(&db)).await;
    let mut events = reqwest::get(node.url("/api/events"))
        .await
        .expect("event stream")
        .bytes_stream();
    events.next().await.expect("a first event").expect("bytes");
    let id = enqueue(&node, "TAKESLONG").await;
    wait_for_status(&node, &id, "INPROGRESS", Duration::from_secs(10)).await;

    node.terminate();
    let detail = wait_unready(&node).await;
    assert!(detail.contains("shutting down"), "{detail}");
    let lease = reqwest::Client::new()
        .post(node.url("/api/worker/lease"))
        .json(&json!({ "types": ["REMOTE"], "limit": 1 }))
        .send()
        .await
        .expect("lease");
    assert_eq!(lease.status(), 503, "a draining node leases nothing");
    let ended = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(chunk) = events.next().await {
            if chunk.is_err() {
                break;
            }
        }
    })
    .await;
    assert!(ended.is_ok(), "the event stream ends when shutdown begins");
    assert_eq!(
        job(&node, &id).await["status"],
        "INPROGRESS",
        "the task still runs while the node drains"
    );
    let status = node.wait_exit(Duration::from_secs(30)).await;
    assert!(status.success(), "clean exit: {status}");

    let node = Node::start(&sqlite_settings(&db)).await;
    let finished = job(&node, &id).await;
    assert_eq!(finished["status"], "COMPLETED", "{finished}");
    assert_eq!(finished["attempts"], 1, "it ran once: {finished}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_during_a_database_outage_still_exits_and_loses_nothing() {
    let database = tokio::task::spawn_blocking(PrivatePostgres::start)
        .await
        .expect("private PostgreSQL");
    let settings = [
        ("RUSTQUEUE_DATABASE_URL", database.url()),
        // TAKESLONG runs 2 s, longer than the grace period.
        ("RUSTQUEUE_DEMO_SPEED", "5".into()),
        ("RUSTQUEUE_SHUTDOWN_GRACE_SECS", "1".into()),
        ("RUSTQUEUE_LEASE_SECS", "2".into()),
    ];
    let mut node = Node::start(&settings).await;
    let id = enqueue(&node, "TAKESLONG").await;
    wait_for_status(&node, &id, "INPROGRESS", Duration::from_secs(10)).await;
    let database = tokio::task::spawn_blocking(move || {
        database.stop();
        database
    })
    .await
    .expect("stop");

    node.terminate();
    // Grace 1 s, then 5 s of store retries (cancelled attempts included).
    let status = node.wait_exit(Duration::from_secs(15)).await;
    assert!(status.success(), "clean exit: {status}");

    let database = tokio::task::spawn_blocking(move || {
        database.restart();
        database
    })
    .await
    .expect("restart");
    let node = Node::start(&settings).await;
    let finished = wait_for_status(&node, &id, "COMPLETED", Duration::from_secs(30)).await;
    assert!(
        finished["attempts"].as_u64().expect("attempts") <= 2,
        "{finished}"
    );
    drop(node);
    drop(database);
}
