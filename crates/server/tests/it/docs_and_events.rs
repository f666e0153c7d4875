//! The OpenAPI document, the offline docs page, and the live event stream.

use std::time::Duration;

use crate::common::{Backend, spawn_app};
use futures_util::StreamExt;
use serde_json::{Value, json};

#[tokio::test]
async fn the_openapi_document_describes_every_route() {
    let app = spawn_app(Backend::Memory).await;
    let doc = app.get_json::<Value>("/openapi.json").await;
    assert!(doc["openapi"].as_str().expect("version").starts_with("3."));
    let paths = doc["paths"].as_object().expect("paths");
    for path in [
        "/api/enqueue",
        "/api/jobs",
        "/api/jobs/{id}",
        "/api/clear",
        "/api/tasks",
        "/api/tasks/batch",
        "/api/tasks/{id}/events",
        "/api/tasks/bulk/retry",
        "/api/counts",
        "/api/queues",
        "/api/types",
        "/api/throughput",
        "/api/events",
        "/readyz",
    ] {
        assert!(paths.contains_key(path), "{path} is not documented");
    }
    let task = &doc["components"]["schemas"]["Task"]["properties"];
    for field in [
        "id",
        "type",
        "payload",
        "status",
        "attempts",
        "max_retries",
        "created_at",
        "run_at",
        "unique_key",
    ] {
        assert!(task.get(field).is_some(), "Task.{field} is not documented");
    }
}

#[tokio::test]
async fn the_docs_page_needs_no_network() {
    let app = spawn_app(Backend::Memory).await;
    let page = app.send(reqwest::Method::GET, "/docs/").await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("html");
    assert!(
        !html.contains("://cdn") && !html.contains("unpkg"),
        "the page loads nothing from a CDN"
    );
    for asset in [
        "/docs/swagger-ui.css",
        "/docs/swagger-ui-bundle.js",
        "/docs/swagger-initializer.js",
    ] {
        assert_eq!(
            app.send(reqwest::Method::GET, asset).await.status(),
            200,
            "{asset}"
        );
    }
}

#[tokio::test]
async fn an_unknown_docs_file_is_a_404_with_detail() {
    let app = spawn_app(Backend::Memory).await;
    let response = app.send(reqwest::Method::GET, "/docs/nope.js").await;
    assert_eq!(response.status(), 404);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body, json!({"detail": "Not Found"}));
}

#[tokio::test]
async fn the_event_stream_carries_transitions_and_counts() {
    let app = spawn_app(Backend::Memory).await;
    let response = app.send(reqwest::Method::GET, "/api/events").await;
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let mut body = response.bytes_stream();
    let created = app
        .post_expect("/api/tasks", &json!({"type": "SMS"}), 201)
        .await;
    let id = created["task"]["id"].as_str().expect("id").to_owned();
    let mut seen = String::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !(seen.contains("event: counts")
        && seen.contains(&format!("\"task_id\":\"{id}\""))
        && seen.contains("\"status\":\"COMPLETED\""))
    {
        let chunk = tokio::time::timeout_at(deadline, body.next())
            .await
            .expect("events in time")
            .expect("open")
            .expect("bytes");
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(seen.contains("event: task"));
}

/// Payloads and results are any JSON value (the original clients send
/// strings), so the document must not narrow them to objects, and a new
/// task's payload may be left out.
#[tokio::test]
async fn the_openapi_document_takes_any_json_as_payload() {
    let app = spawn_app(Backend::Memory).await;
    let doc = app.get_json::<Value>("/openapi.json").await;
    let schemas = &doc["components"]["schemas"];
    for (schema, field) in [
        ("EnqueueBody", "payload"),
        ("NewTaskBody", "payload"),
        ("Task", "payload"),
        ("Task", "result"),
        ("CompleteBody", "result"),
    ] {
        let property = &schemas[schema]["properties"][field];
        assert!(property.is_object(), "{schema}.{field} is documented");
        assert!(
            property.get("type").is_none() && property.get("$ref").is_none(),
            "{schema}.{field} must accept any JSON value: {property}"
        );
    }
    let required = |schema: &str| -> Vec<String> {
        serde_json::from_value(schemas[schema]["required"].clone()).unwrap_or_default()
    };
    assert!(required("EnqueueBody").contains(&"payload".to_owned()));
    assert!(!required("NewTaskBody").contains(&"payload".to_owned()));
    assert!(!required("CompleteBody").contains(&"result".to_owned()));
    for payload in [json!("hello"), json!(42), json!(null), json!([1, "two"])] {
        let answer = app
            .post_expect(
                "/api/tasks",
                &json!({ "type": "EMAIL", "payload": payload }),
                201,
            )
            .await;
        assert_eq!(answer["task"]["payload"], payload);
    }
}
