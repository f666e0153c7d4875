//! The OpenAPI document, the offline docs page, and the live event stream.

use std::time::Duration;

use crate::common::{Backend, spawn_app};
use futures_util::StreamExt;
use serde_json::{Value, json};

#[tokio::test]
async fn the_openapi_document_describes_every_route() {
    use std::collections::{BTreeMap, BTreeSet};

    use rustqueue_server::api::AppState;

    /// What a router serves, as `METHOD /path`. axum shows it only in the
    /// router's `Debug` output (route ids mapped to method routers, and to
    /// paths); if that format changes, nothing is found and the test fails.
    fn served(router: &axum::Router) -> BTreeSet<String> {
        let debug = format!("{router:?}");
        let main = debug.split(", fallback_router:").next().expect("router");
        let (routes, paths) = main
            .split_once("node: Node { paths: {")
            .expect("the paths of the routes");
        let path_of: BTreeMap<&str, &str> = paths
            .split("RouteId(")
            .filter_map(|entry| {
                let (id, rest) = entry.split_once("): \"")?;
                Some((id, rest.split_once('"')?.0))
            })
            .collect();
        let methods = [
            "get", "head", "delete", "options", "patch", "post", "put", "trace",
        ];
        let mut served = BTreeSet::new();
        for entry in routes.split("RouteId(").skip(1) {
            let (id, endpoint) = entry.split_once("): ").expect("a route id");
            let path = path_of.get(id).expect("every route has a path");
            // A method a route does not serve shows as `None`.
            for method in methods
                .iter()
                .filter(|m| !endpoint.contains(&format!(" {m}: None")))
            {
                served.insert(format!("{} {path}", method.to_uppercase()));
            }
        }
        served
    }

    let app = spawn_app(Backend::Memory).await;
    let doc = app.get_json::<Value>("/openapi.json").await;
    assert!(doc["openapi"].as_str().expect("version").starts_with("3."));
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("a path item").keys() {
            documented.insert(format!("{} {path}", method.to_uppercase()));
        }
    }
    let state = AppState {
        engine: app.engine.clone(),
    };
    let mut served =
        served(&rustqueue_server::app::app(state, &crate::common::settings()).expect("router"));
    // Served, but not operations of the API. The dashboard is the fallback, not a route.
    for not_api in [
        "GET /openapi.json", // the document itself
        "GET /docs",         // the Swagger UI page and its assets
        "GET /docs/",
        "GET /docs/{*rest}",
    ] {
        assert!(served.remove(not_api), "{not_api} is no longer served");
    }
    let undocumented: Vec<_> = served.difference(&documented).collect();
    assert!(
        undocumented.is_empty(),
        "served, not documented: {undocumented:?}"
    );
    let unserved: Vec<_> = documented.difference(&served).collect();
    assert!(unserved.is_empty(), "documented, not served: {unserved:?}");
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
