//! `GET /metrics`: Prometheus text with task counts from the store and this
//! node's transitions and workers, behind the API token when one is set.

mod common;

use common::{Backend, TestApp, settings, spawn_app, spawn_app_with};
use serde_json::json;

on_every_backend!(
    metrics_count_tasks_and_transitions,
    histograms_move_when_tasks_run
);

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
        "rustqueue_tasks{scope=\"cluster\",status=\"COMPLETED\"} 1",
        "rustqueue_tasks{scope=\"cluster\",status=\"QUEUED\"} 1",
        "rustqueue_queue_tasks{scope=\"cluster\",queue=\"later\",status=\"QUEUED\"} 1",
        "rustqueue_type_tasks{scope=\"cluster\",type=\"EMAIL\",status=\"COMPLETED\"} 1",
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

/// The value of the sample named exactly `series` (name and labels), if any.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|line| {
        let value = line.strip_prefix(series)?.strip_prefix(' ')?;
        Some(value.parse().expect("a number"))
    })
}

/// Runs one `EMAIL` task in queue `mail` and returns its id.
async fn run_one_in_mail(app: &TestApp) -> String {
    let body = json!({"type": "EMAIL", "queue": "mail", "payload": "hi"});
    let created = app.post_expect("/api/tasks", &body, 201).await;
    let id = created["task"]["id"].as_str().expect("id").to_owned();
    app.wait_for_status(&id, "COMPLETED").await;
    id
}

async fn histograms_move_when_tasks_run(backend: Backend) {
    let app = spawn_app(backend).await;
    let wait = r#"rustqueue_task_wait_seconds_count{type="EMAIL",queue="mail"}"#;
    let run_sum = r#"rustqueue_attempt_duration_seconds_sum{type="EMAIL",queue="mail"}"#;
    let run_all =
        r#"rustqueue_attempt_duration_seconds_bucket{le="+Inf",type="EMAIL",queue="mail"}"#;
    let run_minute =
        r#"rustqueue_attempt_duration_seconds_bucket{le="60.0",type="EMAIL",queue="mail"}"#;
    let before = scrape(&app).await;
    assert_eq!(sample(&before, wait), None, "no series before any task ran");

    let id = run_one_in_mail(&app).await;
    let once = scrape(&app).await;
    assert_eq!(sample(&once, wait), Some(1.0), "{once}");
    assert_eq!(sample(&once, run_all), Some(1.0), "{once}");
    assert_eq!(sample(&once, run_minute), Some(1.0), "{once}");
    let first_sum = sample(&once, run_sum).expect("a sum");
    assert!(first_sum >= 0.002, "{first_sum}");

    run_one_in_mail(&app).await;
    let twice = scrape(&app).await;
    assert_eq!(sample(&twice, wait), Some(2.0), "{twice}");
    assert_eq!(sample(&twice, run_all), Some(2.0), "{twice}");
    assert_eq!(sample(&twice, run_minute), Some(2.0), "{twice}");
    let second_sum = sample(&twice, run_sum).expect("a sum");
    assert!(
        second_sum >= first_sum + 0.002,
        "{first_sum} then {second_sum}"
    );

    // Each request is counted under its route template and status, never its URL.
    app.send(reqwest::Method::GET, &format!("/api/tasks/{id}/events"))
        .await;
    app.send(reqwest::Method::GET, "/api/tasks/no-such-task")
        .await;
    let text = scrape(&app).await;
    let http = "rustqueue_http_request_duration_seconds";
    let events =
        format!(r#"{http}_count{{method="GET",route="/api/tasks/{{id}}/events",status="200"}}"#);
    let missing = format!(r#"{http}_count{{method="GET",route="/api/tasks/{{id}}",status="404"}}"#);
    let scrapes = format!(r#"{http}_count{{method="GET",route="/metrics",status="200"}}"#);
    assert_eq!(sample(&text, &events), Some(1.0), "{text}");
    assert_eq!(sample(&text, &missing), Some(1.0), "{text}");
    assert_eq!(sample(&text, &scrapes), Some(3.0), "{text}");
    assert!(!text.contains(&id), "a task id became a label:\n{text}");
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
