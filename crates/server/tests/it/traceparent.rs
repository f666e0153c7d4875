//! Without an exporter, an enqueue still keeps the caller's W3C trace
//! context on the task, so attempts (here, or in remote workers that read
//! the task) can continue it; a malformed header is ignored, as the W3C spec
//! asks, and a task without one shows no `traceparent` at all.

use crate::common::{self, Backend, spawn_app};
use serde_json::{Value, json};

const SENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

async fn enqueue_with(app: &common::TestApp, path: &str, body: Value, header: &str) -> Value {
    let response = app
        .client
        .post(app.url(path))
        .header("traceparent", header)
        .json(&body)
        .send()
        .await
        .expect("enqueue");
    assert!(response.status().is_success(), "{}", response.status());
    response.json().await.expect("json")
}

#[tokio::test]
async fn the_callers_traceparent_is_stored_as_sent() {
    let app = spawn_app(Backend::Memory).await;
    let original = json!({"payload": "hi", "t_type": "REMOTE"});
    let enqueued = enqueue_with(&app, "/api/enqueue", original, &SENT.to_uppercase()).await;
    assert_eq!(enqueued["task"]["traceparent"], SENT);
    let id = enqueued["id"].as_str().expect("id");
    assert_eq!(app.job(id).await["traceparent"], SENT);

    let batch = json!({"tasks": [{"type": "REMOTE"}, {"type": "REMOTE"}]});
    let answer = enqueue_with(&app, "/api/tasks/batch", batch, SENT).await;
    for entry in answer["tasks"].as_array().expect("tasks") {
        assert_eq!(entry["task"]["traceparent"], SENT);
    }
}

#[tokio::test]
async fn a_malformed_or_missing_traceparent_leaves_no_field() {
    let app = spawn_app(Backend::Memory).await;
    let body = json!({"type": "REMOTE"});
    let bad = enqueue_with(&app, "/api/tasks", body.clone(), "00-not-a-trace-01").await;
    assert!(bad["task"].get("traceparent").is_none(), "{bad}");
    let plain = app.post_expect("/api/tasks", &body, 201).await;
    assert!(plain["task"].get("traceparent").is_none(), "{plain}");
}
