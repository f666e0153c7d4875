//! `rustqueue enqueue` and `rustqueue tasks` against the real server: every
//! field reaches the server, answers are its JSON on stdout, errors print its
//! `detail` and exit non-zero, and the API token comes from the flag or the
//! environment.

use std::time::Duration;

use crate::common::cli::{id_of, rustqueue, rustqueue_with, start};
use crate::common::node::free_port;
use rustqueue_store_tests::eventually;
use serde_json::Value;

#[tokio::test]
async fn enqueue_sends_every_field_and_keeps_the_payload_byte_for_byte() {
    let node = start(&[]).await;
    let payload = r#"{"to": "a@b.c", "n": 12345678901234567890}"#;
    let args = [
        "enqueue",
        "REMOTE",
        payload,
        "--queue",
        "mail",
        "--priority",
        "-3",
        "--max-retries",
        "5",
        "--unique-key",
        "k1",
        "--timeout-ms",
        "9000",
        "--delay-ms",
        "60000",
    ];
    let run = rustqueue(&node, &args).await;
    let answer = run.json();
    assert!(
        run.stdout.contains(payload),
        "payload reformatted: {}",
        run.stdout
    );
    let task = &answer["task"];
    assert_eq!(answer["duplicate"], false);
    assert_eq!(task["type"], "REMOTE");
    assert_eq!(task["queue"], "mail");
    assert_eq!(task["priority"], -3);
    assert_eq!(task["max_retries"], 5);
    assert_eq!(task["unique_key"], "k1");
    assert_eq!(task["timeout_ms"], 9000);
    assert!(
        task["run_at"].as_str() > task["created_at"].as_str(),
        "delayed: {task}"
    );

    let again = rustqueue(&node, &args).await.json();
    assert_eq!(
        (again["duplicate"].clone(), id_of(&again)),
        (Value::Bool(true), id_of(&answer))
    );

    let from_stdin = rustqueue_with(
        &node.base,
        &["enqueue", "REMOTE", "-"],
        &[],
        " \"from stdin\"\n",
    )
    .await;
    assert_eq!(from_stdin.json()["task"]["payload"], "from stdin");
    let no_payload = rustqueue(&node, &["enqueue", "REMOTE"]).await.json();
    assert_eq!(no_payload["task"]["payload"], Value::Null);

    rustqueue(&node, &["enqueue", "REMOTE", "not json"])
        .await
        .failed(2, "not JSON");
    rustqueue(&node, &["enqueue", "NOPE", "1"])
        .await
        .failed(1, "unknown task type \"NOPE\"");
}

#[tokio::test]
async fn tasks_are_listed_shown_and_deleted() {
    let node = start(&[]).await;
    let first = id_of(
        &rustqueue(&node, &["enqueue", "REMOTE", "1", "--queue", "a"])
            .await
            .json(),
    );
    let second = id_of(
        &rustqueue(&node, &["enqueue", "REMOTE", "2", "--queue", "b"])
            .await
            .json(),
    );

    let shown = rustqueue(&node, &["tasks", "show", &first]).await.json();
    assert_eq!(
        (shown["id"].as_str(), shown["status"].as_str()),
        (Some(first.as_str()), Some("QUEUED"))
    );

    let page = rustqueue(&node, &["tasks", "list", "--limit", "1"])
        .await
        .json();
    assert_eq!(page["tasks"][0]["id"], second.as_str(), "newest first");
    let cursor = page["next_cursor"].as_str().expect("a next page");
    let next = rustqueue(
        &node,
        &["tasks", "list", "--limit", "1", "--cursor", cursor],
    )
    .await
    .json();
    assert_eq!(next["tasks"][0]["id"], first.as_str());
    let oldest = rustqueue(
        &node,
        &["tasks", "list", "--order", "oldest", "--type", "REMOTE"],
    )
    .await
    .json();
    assert_eq!(oldest["tasks"].as_array().map(Vec::len), Some(2));
    assert_eq!(oldest["tasks"][0]["id"], first.as_str());
    let queue_b = rustqueue(
        &node,
        &["tasks", "list", "--queue", "b", "--status", "queued"],
    )
    .await
    .json();
    assert_eq!(queue_b["tasks"].as_array().map(Vec::len), Some(1));
    assert_eq!(queue_b["tasks"][0]["id"], second.as_str());

    let table = rustqueue(&node, &["tasks", "list", "--format", "table"]).await;
    assert_eq!(table.code, 0, "{}", table.stderr);
    let lines: Vec<&str> = table.stdout.lines().collect();
    assert!(
        lines[0].starts_with("ID") && lines[0].contains("STATUS"),
        "{}",
        table.stdout
    );
    assert!(
        lines[1].starts_with(&second) && lines[1].contains("QUEUED"),
        "{}",
        table.stdout
    );
    assert_eq!(lines.len(), 3);
    rustqueue(&node, &["tasks", "list", "--status", "bogus"])
        .await
        .failed(1, "Invalid status filter");

    let events = rustqueue(&node, &["tasks", "events", &first]).await.json();
    assert_eq!(events[0]["kind"], "enqueued", "{events}");

    let deleted = rustqueue(&node, &["tasks", "delete", &first]).await.json();
    assert_eq!(deleted["message"], format!("Job {first} deleted!"));
    rustqueue(&node, &["tasks", "show", &first])
        .await
        .failed(1, "not found");
    rustqueue(&node, &["tasks", "delete", &first])
        .await
        .failed(1, "not found");
}

#[tokio::test]
async fn retry_queues_a_failed_task_again_and_refuses_others() {
    let node = start(&[]).await;
    // FAILABS always fails (after 1 ms at this speed); one attempt ends it FAILED.
    let failing = id_of(
        &rustqueue(
            &node,
            &["enqueue", "FAILABS", "\"x\"", "--max-retries", "1"],
        )
        .await
        .json(),
    );
    eventually("the task fails", Duration::from_secs(10), async || {
        let task = rustqueue(&node, &["tasks", "show", &failing]).await.json();
        if task["status"] == "FAILED" {
            Ok(())
        } else {
            Err(task)
        }
    })
    .await;
    let retried = rustqueue(&node, &["tasks", "retry", &failing]).await.json();
    assert_eq!(
        (retried["id"].as_str(), retried["status"].as_str()),
        (Some(failing.as_str()), Some("QUEUED"))
    );
    let events = rustqueue(&node, &["tasks", "events", &failing])
        .await
        .json();
    let kinds: Vec<&str> = events
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|e| e["kind"].as_str())
        .collect();
    assert!(kinds.contains(&"retried_by_user"), "{kinds:?}");

    let queued = id_of(&rustqueue(&node, &["enqueue", "REMOTE", "1"]).await.json());
    rustqueue(&node, &["tasks", "retry", &queued])
        .await
        .failed(1, "HTTP 400");
    rustqueue(&node, &["tasks", "retry", "no-such-task"])
        .await
        .failed(1, "not found");
}

#[tokio::test]
async fn bulk_commands_need_a_selection_and_send_it() {
    let node = start(&[]).await;
    // REMOTE tasks stay QUEUED: no worker runs them here.
    let mut ids = Vec::new();
    for queue in ["mail", "mail", "reports"] {
        let answer = rustqueue(&node, &["enqueue", "REMOTE", "1", "--queue", queue]).await;
        ids.push(id_of(&answer.json()));
    }
    rustqueue(&node, &["tasks", "bulk-delete"])
        .await
        .failed(2, "--all for every task");
    rustqueue(&node, &["tasks", "bulk-delete", "--all", "--queue", "mail"])
        .await
        .failed(2, "exactly one");
    let by_queue = rustqueue(&node, &["tasks", "bulk-delete", "--queue", "mail"]).await;
    assert_eq!(by_queue.json()["deleted"], 2);
    let none_failed = rustqueue(&node, &["tasks", "bulk-retry", "--ids", &ids[2]]).await;
    assert_eq!(none_failed.json()["retried"], 0);
    let everything = rustqueue(&node, &["tasks", "bulk-delete", "--all"]).await;
    assert_eq!(everything.json()["deleted"], 1);
}

#[tokio::test]
async fn the_token_comes_from_the_flag_or_the_environment() {
    let node = start(&[("RUSTQUEUE_API_TOKEN", "s3cret")]).await;
    rustqueue(&node, &["tasks", "list"])
        .await
        .failed(1, "HTTP 401");
    rustqueue(&node, &["enqueue", "REMOTE", "1", "--api-token", "wrong"])
        .await
        .failed(1, "HTTP 401");

    let by_flag = rustqueue(&node, &["enqueue", "REMOTE", "1", "--api-token", "s3cret"])
        .await
        .json();
    let id = id_of(&by_flag);
    let env = [("RUSTQUEUE_API_TOKEN", "s3cret")];
    let by_env = rustqueue_with(&node.base, &["tasks", "show", &id], &env, "")
        .await
        .json();
    assert_eq!(by_env["id"], id.as_str());
    let deleted = rustqueue_with(&node.base, &["tasks", "delete", &id], &env, "")
        .await
        .json();
    assert_eq!(deleted["message"], format!("Job {id} deleted!"));
}

#[tokio::test]
async fn an_unreachable_or_malformed_server_is_an_error() {
    let nowhere = format!("http://127.0.0.1:{}", free_port());
    rustqueue_with(&nowhere, &["tasks", "list"], &[], "")
        .await
        .failed(1, "cannot reach the server");
    let malformed = ["tasks", "list", "--server", "localhost:8000"];
    rustqueue_with(&nowhere, &malformed, &[], "")
        .await
        .failed(2, "http:// URL");
}
