//! The original PyQueue routes, word for word, on every backend.

use crate::common::{Backend, TestApp, spawn_app};
use serde_json::{Value, json};

on_every_backend!(
    enqueue_answers_the_original_message,
    an_email_completes,
    failabs_fails_after_three_attempts_and_can_be_retried,
    list_filters_by_status_in_any_case,
    unknown_ids_answer_404,
    retrying_a_task_that_is_not_failed_answers_400,
    delete_and_clear,
    list_limit,
);

async fn enqueue_answers_the_original_message(backend: Backend) {
    let app = spawn_app(backend).await;
    let body = app.enqueue(json!("hello"), "EMAIL").await;
    let id = body["id"].as_str().expect("id");
    assert_eq!(
        body["message"],
        format!("Job {id} (Payload: hello, Type: EMAIL) enqueued!")
    );
    let task = &body["task"];
    for field in [
        "id",
        "payload",
        "type",
        "status",
        "attempts",
        "max_retries",
        "created_at",
        "queue",
        "priority",
        "run_at",
    ] {
        assert!(task.get(field).is_some(), "missing {field}");
    }
    assert_eq!(
        (task["type"].as_str(), task["max_retries"].as_u64()),
        (Some("EMAIL"), Some(3))
    );
    let created = task["created_at"].as_str().expect("created_at");
    assert!(
        chrono::DateTime::parse_from_rfc3339(created).is_ok(),
        "{created} is not ISO-8601"
    );
}

async fn an_email_completes(backend: Backend) {
    let app = spawn_app(backend).await;
    let id = app.enqueue(json!("to: a@b.c"), "EMAIL").await["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let done = app.wait_for_status(&id, "COMPLETED").await;
    assert_eq!(done["attempts"], 1);
}

async fn failabs_fails_after_three_attempts_and_can_be_retried(backend: Backend) {
    let app = spawn_app(backend).await;
    let id = app.enqueue(json!("x"), "FAILABS").await["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let failed = app.wait_for_status(&id, "FAILED").await;
    assert_eq!(failed["attempts"], 3);
    assert!(
        failed["last_error"]
            .as_str()
            .expect("error")
            .contains("always fails")
    );
    let listed: Vec<Value> = app.get_json("/api/jobs?status=failed").await;
    assert!(listed.iter().any(|job| job["id"] == id.as_str()));
    let response = app
        .send(reqwest::Method::POST, &format!("/api/jobs/{id}/retry"))
        .await;
    assert_eq!(response.status(), 200);
    let retried: Value = response.json().await.expect("json");
    assert_eq!(
        (retried["status"].as_str(), retried["attempts"].as_u64()),
        (Some("QUEUED"), Some(0))
    );
    let failed_again = app.wait_for_status(&id, "FAILED").await;
    assert_eq!(failed_again["attempts"], 3);
}

async fn list_filters_by_status_in_any_case(backend: Backend) {
    let app = spawn_app(backend).await;
    app.engine
        .set_queue_paused("default", true)
        .await
        .expect("pause");
    let first = app.enqueue(json!("a"), "SMS").await["id"].clone();
    let second = app.enqueue(json!("b"), "SMS").await["id"].clone();
    for filter in ["queued", "QUEUED", "Queued"] {
        let listed: Vec<Value> = app.get_json(&format!("/api/jobs?status={filter}")).await;
        let ids: Vec<&Value> = listed.iter().map(|job| &job["id"]).collect();
        assert_eq!(ids, [&first, &second], "oldest first");
    }
    let none: Vec<Value> = app.get_json("/api/jobs?status=completed").await;
    assert!(none.is_empty());
    let bad = app
        .send(reqwest::Method::GET, "/api/jobs?status=done")
        .await;
    assert_eq!(bad.status(), 400);
    assert_eq!(
        bad.json::<Value>().await.expect("json"),
        json!({"detail": "Invalid status filter"})
    );
}

async fn unknown_ids_answer_404(backend: Backend) {
    let app = spawn_app(backend).await;
    for (method, path) in [
        ("GET", "/api/jobs/nope"),
        ("DELETE", "/api/jobs/nope"),
        ("POST", "/api/jobs/nope/retry"),
    ] {
        let response = app.send(method.parse().expect("method"), path).await;
        assert_eq!(response.status(), 404, "{method} {path}");
        assert_eq!(
            response.json::<Value>().await.expect("json"),
            json!({"detail": "Job nope not found"})
        );
    }
}

async fn retrying_a_task_that_is_not_failed_answers_400(backend: Backend) {
    let app = spawn_app(backend).await;
    let id = app.enqueue(json!("x"), "SMS").await["id"]
        .as_str()
        .expect("id")
        .to_owned();
    app.wait_for_status(&id, "COMPLETED").await;
    let response = app
        .send(reqwest::Method::POST, &format!("/api/jobs/{id}/retry"))
        .await;
    assert_eq!(response.status(), 400);
    let detail = response.json::<Value>().await.expect("json")["detail"]
        .as_str()
        .expect("detail")
        .to_owned();
    assert!(detail.contains("COMPLETED"), "{detail}");
}

async fn delete_and_clear(backend: Backend) {
    let app = spawn_app(backend).await;
    let id = app.enqueue(json!("x"), "TAKESLONG").await["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let response = app
        .send(reqwest::Method::DELETE, &format!("/api/jobs/{id}"))
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.json::<Value>().await.expect("json"),
        json!({"message": format!("Job {id} deleted!")})
    );
    assert_eq!(
        app.send(reqwest::Method::GET, &format!("/api/jobs/{id}"))
            .await
            .status(),
        404
    );
    for _ in 0..3 {
        app.enqueue(json!("x"), "SMS").await;
    }
    let cleared: Value = app
        .send(reqwest::Method::POST, "/api/clear")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        cleared,
        json!({"message": "All jobs in the queue cleared!"})
    );
    let left: Vec<Value> = app.get_json("/api/jobs").await;
    assert!(left.is_empty());
}

async fn list_limit(backend: Backend) {
    let app: TestApp = spawn_app(backend).await;
    for n in 0..5 {
        app.enqueue(json!(n), "SMS").await;
    }
    let listed: Vec<Value> = app.get_json("/api/jobs?limit=2").await;
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0]["payload"], 0);
}
