//! Durability of the real binary: kill -9 while 300 tasks are queued or running,
//! start again on the same SQLite file, and every task is there and completes.

use std::path::Path;
use std::time::Duration;

use rustqueue_store_sqlite::testing::TestDatabase;
use rustqueue_store_tests::eventually;
use serde_json::{Value, json};

use crate::common::node::Node;

async fn start_server(db: &Path) -> Node {
    Node::start(&[
        (
            "RUSTQUEUE_DATABASE_URL",
            format!("sqlite://{}", db.display()),
        ),
        ("RUSTQUEUE_DEMO_SPEED", "20".into()),
        ("RUSTQUEUE_WORKERS", "50".into()),
        ("RUSTQUEUE_BACKOFF_BASE_MS", "10".into()),
    ])
    .await
}

fn count(jobs: &[Value], status: &str) -> usize {
    jobs.iter().filter(|job| job["status"] == status).count()
}

#[tokio::test]
async fn kill_9_loses_nothing_and_leaves_nothing_stuck() {
    let database = TestDatabase::new();
    let db = database.path().to_owned();
    let mut first = start_server(&db).await;
    let client = reqwest::Client::new();
    let mut ids = Vec::new();
    for n in 0..300 {
        // REPORT takes 250 ms at speed 20: enough to be mid-run at the kill.
        let body = json!({ "payload": format!("task {n}"), "t_type": "REPORT" });
        let response = client
            .post(format!("{}/api/enqueue", first.base))
            .json(&body)
            .send()
            .await
            .expect("enqueue");
        assert_eq!(response.status(), 200);
        ids.push(
            response.json::<Value>().await.expect("json")["id"]
                .as_str()
                .expect("id")
                .to_owned(),
        );
    }
    let before = first.jobs().await;
    assert!(
        count(&before, "INPROGRESS") > 0,
        "some tasks should be running at the kill"
    );
    first.kill();

    let second = start_server(&db).await;
    let after = second.jobs().await;
    let mut after_ids: Vec<&str> = after.iter().filter_map(|job| job["id"].as_str()).collect();
    after_ids.sort_unstable();
    let mut expected: Vec<&str> = ids.iter().map(String::as_str).collect();
    expected.sort_unstable();
    assert_eq!(after_ids, expected, "every accepted task survived the kill");

    eventually("all 300 complete", Duration::from_secs(60), async || {
        let now = second.jobs().await;
        let left = 300 - count(&now, "COMPLETED");
        if left == 0 {
            Ok(())
        } else {
            Err(format!("{left} left"))
        }
    })
    .await;
    // The attempts cut short by the kill count as failed attempts. At most 50
    // ran at once; a few more may have finished with their completion not yet
    // committed, so the bound is loose. Each second attempt must be explained
    // by the lapsed lease of the first, never by a task run twice for nothing.
    let finished = second.jobs().await;
    let retried: Vec<&str> = finished
        .iter()
        .filter(|job| job["attempts"] == 2)
        .filter_map(|job| job["id"].as_str())
        .collect();
    assert!(
        (1..=100).contains(&retried.len()),
        "{} tasks show an interrupted attempt",
        retried.len()
    );
    for id in retried {
        let events: Value = client
            .get(format!("{}/api/tasks/{id}/events", second.base))
            .send()
            .await
            .expect("events")
            .json()
            .await
            .expect("json");
        let kinds: Vec<&str> = events
            .as_array()
            .expect("events")
            .iter()
            .filter_map(|event| event["kind"].as_str())
            .collect();
        assert_eq!(
            kinds,
            [
                "enqueued",
                "started",
                "lease_expired",
                "started",
                "completed"
            ],
            "task {id}"
        );
    }
}
