//! Durability of the real binary: kill -9 while 300 tasks are queued or running,
//! start again on the same SQLite file, and every task is there and completes.

use std::path::Path;
use std::time::Duration;

use serde_json::{Value, json};

mod common;

use common::node::Node;

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
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("crash.db");
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

    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let now = second.jobs().await;
        if count(&now, "COMPLETED") == 300 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "not all completed: {} left",
            300 - count(&now, "COMPLETED")
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The attempts cut short by the kill count as failed attempts.
    let finished = second.jobs().await;
    let retried = finished.iter().filter(|job| job["attempts"] == 2).count();
    assert!(
        (1..=50).contains(&retried),
        "{retried} tasks show an interrupted attempt; at most 50 ran at once"
    );
}
