//! Counts, queues and metrics tell ready tasks from scheduled ones, and say
//! how long the oldest ready task has waited; resuming an empty queue
//! removes it.

use std::time::Duration;

use crate::common::{Backend, TestApp, spawn_app};
use rustqueue_store_tests::eventually;
use serde_json::{Value, json};

on_every_backend!(
    counts_tell_ready_from_scheduled,
    lag_grows_while_a_ready_task_waits,
    resuming_an_empty_queue_removes_it
);

/// Enqueues a `REMOTE` task (no worker here runs it) into `queue`.
async fn remote(app: &TestApp, queue: &str, delay_ms: u64) {
    let body = json!({"type": "REMOTE", "queue": queue, "delay_ms": delay_ms});
    app.post_expect("/api/tasks", &body, 201).await;
}

async fn queue(app: &TestApp, name: &str) -> Option<Value> {
    let queues: Vec<Value> = app.get_json("/api/queues").await;
    queues.into_iter().find(|q| q["name"] == name)
}

async fn counts_tell_ready_from_scheduled(backend: Backend) {
    let app = spawn_app(backend).await;
    remote(&app, "later", 0).await;
    remote(&app, "later", 0).await;
    remote(&app, "later", 3_600_000).await;
    remote(&app, "soon", 3_600_000).await;

    let counts: Value = app.get_json("/api/counts").await;
    assert_eq!(counts["by_status"]["QUEUED"], 4, "the status total stays");
    let total = &counts["backlog"];
    assert_eq!(
        (&total["ready"], &total["scheduled"], &total["retrying"]),
        (&json!(2), &json!(2), &json!(0)),
        "{counts}"
    );
    assert!(total["oldest_ready_at"].is_string(), "{counts}");
    let later = &counts["backlog_by_queue"]["later"];
    assert_eq!(
        (&later["ready"], &later["scheduled"]),
        (&json!(2), &json!(1))
    );
    let soon = &counts["backlog_by_queue"]["soon"];
    assert_eq!((&soon["ready"], &soon["scheduled"]), (&json!(0), &json!(1)));
    assert_eq!(soon["oldest_ready_at"], Value::Null);

    let later = queue(&app, "later").await.expect("listed");
    assert_eq!(later["counts"]["QUEUED"], 3);
    assert_eq!(later["backlog"]["ready"], 2);
    assert!(later["lag_ms"].is_u64(), "{later}");
    let soon = queue(&app, "soon").await.expect("listed");
    assert_eq!(soon["lag_ms"], Value::Null, "nothing ready: {soon}");

    let text = app
        .send(reqwest::Method::GET, "/metrics")
        .await
        .text()
        .await
        .expect("text");
    for line in [
        r#"rustqueue_queue_backlog{scope="cluster",queue="later",state="ready"} 2"#,
        r#"rustqueue_queue_backlog{scope="cluster",queue="later",state="scheduled"} 1"#,
        r#"rustqueue_queue_backlog{scope="cluster",queue="later",state="retrying"} 0"#,
        r#"rustqueue_queue_backlog{scope="cluster",queue="soon",state="ready"} 0"#,
        r#"rustqueue_queue_oldest_ready_age_seconds{scope="cluster",queue="soon"} 0.0"#,
    ] {
        assert!(text.lines().any(|l| l == line), "no {line:?} in:\n{text}");
    }
}

async fn lag_grows_while_a_ready_task_waits(backend: Backend) {
    let app = spawn_app(backend).await;
    remote(&app, "stuck", 0).await;
    eventually(
        "the lag reaches 50 ms",
        Duration::from_secs(10),
        async || {
            let stuck = queue(&app, "stuck").await.expect("listed");
            if stuck["lag_ms"].as_u64().expect("a lag") >= 50 {
                Ok(())
            } else {
                Err(stuck)
            }
        },
    )
    .await;
    let text = app
        .send(reqwest::Method::GET, "/metrics")
        .await
        .text()
        .await
        .expect("text");
    let age: f64 = text
        .lines()
        .find_map(|l| {
            l.strip_prefix(
                r#"rustqueue_queue_oldest_ready_age_seconds{scope="cluster",queue="stuck"} "#,
            )
        })
        .expect("an age")
        .parse()
        .expect("a number");
    assert!(age >= 0.05, "{age}");
}

async fn resuming_an_empty_queue_removes_it(backend: Backend) {
    let app = spawn_app(backend).await;
    let paused = app
        .post_expect("/api/queues/mial/pause", &json!({}), 200)
        .await;
    assert_eq!(paused["paused"], true);
    assert!(
        queue(&app, "mial").await.is_some(),
        "a paused queue is listed"
    );
    let resumed = app
        .post_expect("/api/queues/mial/resume", &json!({}), 200)
        .await;
    assert_eq!(
        (&resumed["name"], &resumed["paused"]),
        (&json!("mial"), &json!(false))
    );
    assert_eq!(resumed["counts"]["QUEUED"], 0);
    assert_eq!(
        queue(&app, "mial").await,
        None,
        "an empty resumed queue is gone"
    );

    remote(&app, "kept", 0).await;
    app.post_expect("/api/queues/kept/pause", &json!({}), 200)
        .await;
    app.post_expect("/api/queues/kept/resume", &json!({}), 200)
        .await;
    let kept = queue(&app, "kept").await.expect("a queue with tasks stays");
    assert_eq!(kept["paused"], false);
}

#[tokio::test]
async fn the_openapi_document_describes_the_backlog() {
    let app = spawn_app(Backend::Memory).await;
    let doc: Value = app.get_json("/openapi.json").await;
    let schemas = &doc["components"]["schemas"];
    for (schema, fields) in [
        (
            "Backlog",
            &["ready", "scheduled", "retrying", "oldest_ready_at"][..],
        ),
        ("TaskCounts", &["backlog", "backlog_by_queue"][..]),
        ("QueueInfo", &["backlog", "lag_ms"][..]),
        ("Throughput", &["interval_secs", "points"][..]),
        ("ThroughputPoint", &["at", "completed", "failed"][..]),
    ] {
        for field in fields {
            assert!(
                schemas[schema]["properties"].get(field).is_some(),
                "{schema}.{field} is not documented"
            );
        }
    }
    let metrics = &doc["paths"]["/metrics"]["get"]["responses"]["200"]["content"];
    assert!(
        metrics.get("text/plain; version=0.0.4").is_some(),
        "{metrics}"
    );
}
