//! `rustqueue queues` against the real server: limits set from flags reach
//! the claim, a bare `limit` is refused before any call, the server's 422
//! detail reaches stderr, and pause and resume switch the queue.

use crate::common::cli::{id_of, rustqueue, start};
use serde_json::{Value, json};

/// The queue named `name` in a `queues list` answer.
fn queue(listed: &Value, name: &str) -> Value {
    let queues = listed.as_array().expect("a list of queues");
    let found = queues.iter().find(|queue| queue["name"] == name);
    found.expect("the queue is listed").clone()
}

#[tokio::test]
async fn limits_from_flags_hold_and_show_in_the_list() {
    let node = start(&[]).await;
    let set = rustqueue(
        &node,
        &[
            "queues",
            "limit",
            "mail",
            "--concurrency",
            "2",
            "--per-key",
            "1",
            "--key",
            "gold=3",
            "--round-robin",
        ],
    )
    .await;
    let limits = json!({"concurrency": 2, "per_key_limit": 1, "key_limits": {"gold": 3},
                        "fairness": "round_robin"});
    assert_eq!(set.json()["limits"], limits);
    for key in ["a", "a", "b"] {
        let args = [
            "enqueue",
            "REMOTE",
            "1",
            "--queue",
            "mail",
            "--concurrency-key",
            key,
        ];
        id_of(&rustqueue(&node, &args).await.json());
    }
    let lease = json!({"types": ["REMOTE"], "limit": 10, "lease_ms": 60_000});
    let answer = reqwest::Client::new()
        .post(node.url("/api/worker/lease"))
        .json(&lease)
        .send()
        .await
        .expect("lease");
    let leased: Value = answer.json().await.expect("a JSON answer");
    assert_eq!(
        leased["leases"].as_array().map(Vec::len),
        Some(2),
        "{leased}"
    );

    let mail = queue(&rustqueue(&node, &["queues", "list"]).await.json(), "mail");
    assert_eq!(mail["limits"], limits);
    assert_eq!(
        mail["busiest_keys"],
        json!([{"key": "a", "running": 1}, {"key": "b", "running": 1}])
    );
    let table = rustqueue(&node, &["queues", "list", "--format", "table"]).await;
    assert_eq!(table.code, 0, "{}", table.stderr);
    let row = table.stdout.lines().find(|line| line.starts_with("mail"));
    let cells: Vec<&str> = row.expect("a mail row").split_whitespace().collect();
    assert_eq!(
        cells,
        [
            "mail",
            "active",
            "1",
            "2",
            "2",
            "1",
            "(+1",
            "key)",
            "round_robin",
            "a:1",
            "b:1"
        ]
    );

    let cleared = rustqueue(&node, &["queues", "limit", "mail", "--clear"]).await;
    assert_eq!(cleared.json()["limits"], json!({}));
}

#[tokio::test]
async fn bad_limits_are_refused_with_a_reason() {
    let node = start(&[]).await;
    rustqueue(&node, &["queues", "limit", "mail"])
        .await
        .failed(2, "--clear to remove them");
    rustqueue(&node, &["queues", "limit", "mail", "--key", "gold"])
        .await
        .failed(2, "is not KEY=N");
    // Zero parses as a number; the server refuses it and says why.
    let zero = rustqueue(&node, &["queues", "limit", "mail", "--concurrency", "0"]).await;
    zero.failed(1, "concurrency");
    assert!(zero.stdout.is_empty(), "{}", zero.stdout);
    let listed = rustqueue(&node, &["queues", "list"]).await.json();
    assert!(
        listed
            .as_array()
            .is_some_and(|queues| queues.iter().all(|q| q["name"] != "mail")),
        "a refused limit left a record: {listed}"
    );
}

#[tokio::test]
async fn pause_and_resume_switch_the_queue() {
    let node = start(&[]).await;
    let paused = rustqueue(&node, &["queues", "pause", "mail"]).await.json();
    assert_eq!(
        (&paused["name"], &paused["paused"]),
        (&json!("mail"), &json!(true))
    );
    let listed = rustqueue(&node, &["queues", "list"]).await.json();
    assert_eq!(queue(&listed, "mail")["paused"], true);
    let resumed = rustqueue(&node, &["queues", "resume", "mail"]).await.json();
    assert_eq!(resumed["paused"], false);
}
