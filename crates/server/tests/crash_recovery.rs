//! Durability of the real binary: kill -9 while 300 tasks are queued or running,
//! start again on the same SQLite file, and every task is there and completes.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

struct Server {
    child: Child,
    base: String,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("port")
        .local_addr()
        .expect("address")
        .port()
}

async fn start_server(db: &Path) -> Server {
    let port = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_rustqueue"))
        .arg("serve")
        .env("RUSTQUEUE_BIND", format!("127.0.0.1:{port}"))
        .env(
            "RUSTQUEUE_DATABASE_URL",
            format!("sqlite://{}", db.display()),
        )
        .env("RUSTQUEUE_DEMO_SPEED", "20")
        .env("RUSTQUEUE_WORKERS", "50")
        .env("RUSTQUEUE_BACKOFF_BASE_MS", "10")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("server starts");
    let base = format!("http://127.0.0.1:{port}");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while reqwest::get(format!("{base}/readyz")).await.is_err() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "server never became ready"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Server { child, base }
}

async fn jobs(base: &str) -> Vec<Value> {
    reqwest::get(format!("{base}/api/jobs"))
        .await
        .expect("list")
        .json()
        .await
        .expect("json")
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
    let before = jobs(&first.base).await;
    assert!(
        count(&before, "INPROGRESS") > 0,
        "some tasks should be running at the kill"
    );
    first.child.kill().expect("SIGKILL");
    first.child.wait().expect("reaped");

    let mut second = start_server(&db).await;
    let after = jobs(&second.base).await;
    let mut after_ids: Vec<&str> = after.iter().filter_map(|job| job["id"].as_str()).collect();
    after_ids.sort_unstable();
    let mut expected: Vec<&str> = ids.iter().map(String::as_str).collect();
    expected.sort_unstable();
    assert_eq!(after_ids, expected, "every accepted task survived the kill");

    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let now = jobs(&second.base).await;
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
    let finished = jobs(&second.base).await;
    let retried = finished.iter().filter(|job| job["attempts"] == 2).count();
    assert!(
        (1..=50).contains(&retried),
        "{retried} tasks show an interrupted attempt; at most 50 ran at once"
    );
    second.child.kill().expect("stop");
    second.child.wait().expect("reaped");
}
