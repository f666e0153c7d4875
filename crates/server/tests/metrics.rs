//! `GET /metrics`: Prometheus text with task counts from the store and this
//! node's transitions and workers, behind the API token when one is set.

mod common;

use common::{Backend, TestApp, settings, spawn_app, spawn_app_with};
use serde_json::json;

on_every_backend!(metrics_count_tasks_and_transitions);

async fn scrape(app: &TestApp) -> String {
    let response = app.send(reqwest::Method::GET, "/metrics").await;
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(
        content_type.starts_with("application/openmetrics-text"),
        "{content_type}"
    );
    response.text().await.expect("text")
}

async fn metrics_count_tasks_and_transitions(backend: Backend) {
    let app = spawn_app(backend).await;
    let done = app.enqueue(json!("a"), "EMAIL").await;
    app.wait_for_status(done["id"].as_str().expect("id"), "COMPLETED")
        .await;
    app.post_expect(
        "/api/tasks",
        &json!({"type": "REMOTE", "queue": "later"}),
        201,
    )
    .await;
    let text = scrape(&app).await;
    for line in [
        "rustqueue_store_up 1",
        "rustqueue_tasks{status=\"COMPLETED\"} 1",
        "rustqueue_tasks{status=\"QUEUED\"} 1",
        "rustqueue_queue_tasks{queue=\"later\",status=\"QUEUED\"} 1",
        "rustqueue_type_tasks{type=\"EMAIL\",status=\"COMPLETED\"} 1",
        "rustqueue_transitions_total{kind=\"completed\"} 1",
        "rustqueue_transitions_total{kind=\"enqueued\"} 2",
        "rustqueue_attempts_total{type=\"EMAIL\"} 1",
        "rustqueue_workers 64",
        "rustqueue_workers_busy 0",
        "# EOF",
    ] {
        assert!(text.lines().any(|l| l == line), "no {line:?} in:\n{text}");
    }
    // EMAIL sleeps 2 ms at the tests' speed.
    let seconds: f64 = text
        .lines()
        .find_map(|l| l.strip_prefix("rustqueue_attempt_seconds_total{type=\"EMAIL\"} "))
        .expect("attempt seconds")
        .parse()
        .expect("number");
    assert!((0.002..5.0).contains(&seconds), "{seconds}");
}

#[tokio::test]
async fn metrics_need_the_api_token_when_one_is_set() {
    let mut settings = settings();
    settings.api_token = Some("s3cret".into());
    let app = spawn_app_with(Backend::Memory, settings).await;
    let refused = app.send(reqwest::Method::GET, "/metrics").await;
    assert_eq!(refused.status(), 401);
    let allowed = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth("s3cret")
        .send()
        .await
        .expect("scrape");
    assert_eq!(allowed.status(), 200);
}
