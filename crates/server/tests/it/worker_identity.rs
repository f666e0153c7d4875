//! Who runs what, on every backend: workers name themselves, hand tasks
//! back without using an attempt, and are listed with their running tasks
//! by `GET /api/workers`; `GET /api/types` says who serves each type.

use crate::common::{Backend, TestApp, spawn_app};
use serde_json::{Value, json};

on_every_backend!(
    a_released_task_is_queued_again_without_using_an_attempt,
    a_release_reports_lost_leases_and_refuses_malformed_batches,
    workers_are_listed_with_what_they_run,
    types_say_who_serves_them,
    worker_ids_are_checked,
);

async fn enqueue_remote(app: &TestApp, extra: Value) -> String {
    let mut body = json!({"type": "REMOTE", "payload": {"n": 1}});
    body.as_object_mut()
        .expect("object")
        .extend(extra.as_object().cloned().unwrap_or_default());
    let created = app.post_expect("/api/tasks", &body, 201).await;
    created["task"]["id"].as_str().expect("id").to_owned()
}

/// Leases one `REMOTE` task as `worker_id`.
async fn lease_as(app: &TestApp, worker_id: &str) -> Value {
    let body = json!({"types": ["REMOTE"], "limit": 1, "wait_ms": 5000, "worker_id": worker_id,
                      "hostname": "box-1", "pid": 4242, "concurrency": 3});
    let answer = app.post_expect("/api/worker/lease", &body, 200).await;
    answer["leases"][0].clone()
}

fn held(lease: &Value) -> Value {
    json!({"task_id": lease["task"]["id"], "token": lease["token"]})
}

async fn events(app: &TestApp, id: &str) -> Vec<(String, u64)> {
    let history: Value = app.get_json(&format!("/api/tasks/{id}/events")).await;
    history
        .as_array()
        .expect("events")
        .iter()
        .map(|e| {
            let kind = e["kind"].as_str().expect("kind").to_owned();
            (kind, e["attempt"].as_u64().expect("attempt"))
        })
        .collect()
}

async fn a_released_task_is_queued_again_without_using_an_attempt(backend: Backend) {
    let app = spawn_app(backend).await;
    let id = enqueue_remote(&app, json!({"max_retries": 1})).await;
    let lease = lease_as(&app, "deployer").await;
    assert_eq!(lease["task"]["worker"], "deployer");
    assert_eq!(app.job(&id).await["worker"], "deployer");

    let body = json!({"leases": [held(&lease)], "worker_id": "deployer"});
    let answer = app.post_expect("/api/worker/release", &body, 200).await;
    assert_eq!(answer, json!({"released": [id], "lost": []}));
    let task = app.job(&id).await;
    assert_eq!(
        (&task["status"], &task["attempts"], &task["worker"]),
        (&json!("QUEUED"), &json!(0), &Value::Null)
    );
    let kinds = events(&app, &id).await;
    assert_eq!(kinds.last(), Some(&("released".to_owned(), 0)), "{kinds:?}");

    // With one attempt in all, the hand-back left it whole: the task still runs.
    let again = lease_as(&app, "deployer").await;
    assert_eq!(again["task"]["attempts"], 1);
    let done = json!({"task_id": id, "token": again["token"], "result": 1});
    app.post_expect("/api/worker/complete", &done, 200).await;
    assert_eq!(app.job(&id).await["status"], "COMPLETED");
}

async fn a_release_reports_lost_leases_and_refuses_malformed_batches(backend: Backend) {
    let app = spawn_app(backend).await;
    let first = enqueue_remote(&app, json!({})).await;
    let second = enqueue_remote(&app, json!({})).await;
    let a = lease_as(&app, "w").await;
    let b = lease_as(&app, "w").await;
    let wrong = json!({"task_id": b["task"]["id"], "token": "12345"});

    let malformed = [
        json!({"leases": [held(&a), {"task_id": "x", "token": "not a number"}]}),
        json!({"leases": [held(&a), {"task_id": "x"}]}),
        json!({"leases": []}),
        json!({"leases": [held(&a)], "delay_ms": 3_600_001}),
        json!({"leases": [held(&a)], "worker_id": ""}),
    ];
    for body in malformed {
        let refused = app.post_expect("/api/worker/release", &body, 422).await;
        assert!(refused["detail"].is_string(), "{refused}");
    }
    assert_eq!(
        app.job(&first).await["status"],
        "INPROGRESS",
        "a refused batch records nothing"
    );

    let body = json!({"leases": [held(&a), wrong], "delay_ms": 60_000});
    let answer = app.post_expect("/api/worker/release", &body, 200).await;
    let (a_id, b_id) = (a["task"]["id"].clone(), b["task"]["id"].clone());
    assert_eq!(answer, json!({"released": [a_id], "lost": [b_id]}));
    let released = app.job(&first).await;
    assert_eq!(released["status"], "QUEUED");
    assert!(
        released["run_at"].as_str() > released["updated_at"].as_str(),
        "held back by delay_ms: {released}"
    );
    assert_eq!(app.job(&second).await["status"], "INPROGRESS");
}

async fn workers_are_listed_with_what_they_run(backend: Backend) {
    let app = spawn_app(backend).await;
    let id = enqueue_remote(&app, json!({"queue": "imports"})).await;
    let lease = lease_as(&app, "box-1:4242").await;
    let workers: Vec<Value> = app.get_json("/api/workers").await;
    let node_id = app.engine.node_id().to_owned();
    let ids: Vec<&str> = workers
        .iter()
        .map(|w| w["id"].as_str().expect("id"))
        .collect();
    assert_eq!(ids, [node_id.as_str(), "box-1:4242"], "{workers:#?}");

    let node = &workers[0];
    assert_eq!(node["kind"], "local");
    assert!(
        node["types"]
            .as_array()
            .expect("types")
            .contains(&json!("EMAIL"))
    );
    assert_eq!(node["concurrency"], 64);
    assert!(node["last_seen_at"].is_string());
    let remote = &workers[1];
    assert_eq!(remote["kind"], "remote");
    assert_eq!(remote["types"], json!(["REMOTE"]));
    assert_eq!(remote["concurrency"], 3);
    assert_eq!(remote["hostname"], "box-1");
    assert!(remote["last_seen_at"].is_string());
    assert_eq!(
        remote["running"],
        json!([{"task_id": id, "type": "REMOTE", "queue": "imports",
                "started_at": lease["task"]["started_at"]}])
    );

    let done = json!({"task_id": id, "token": lease["token"], "worker_id": "box-1:4242"});
    app.post_expect("/api/worker/complete", &done, 200).await;
    let workers: Vec<Value> = app.get_json("/api/workers").await;
    assert_eq!(
        workers[1]["running"],
        json!([]),
        "finished attempts leave the list"
    );
}

async fn types_say_who_serves_them(backend: Backend) {
    let app = spawn_app(backend).await;
    let types: Vec<Value> = app.get_json("/api/types").await;
    let find = |types: &[Value], name: &str| {
        types
            .iter()
            .find(|t| t["name"] == name)
            .cloned()
            .expect("listed")
    };
    let remote = find(&types, "REMOTE");
    assert_eq!(
        (&remote["local"], &remote["workers"]),
        (&json!(false), &json!(0))
    );
    let email = find(&types, "EMAIL");
    assert_eq!(
        (&email["local"], &email["workers"]),
        (&json!(true), &json!(0))
    );

    let body = json!({"types": ["REMOTE"], "worker_id": "one"});
    app.post_expect("/api/worker/lease", &body, 200).await;
    let body = json!({"types": ["REMOTE", "EMAIL"], "worker_id": "two"});
    app.post_expect("/api/worker/lease", &body, 200).await;
    let types: Vec<Value> = app.get_json("/api/types").await;
    assert_eq!(find(&types, "REMOTE")["workers"], 2);
    assert_eq!(find(&types, "EMAIL")["workers"], 1);
}

async fn worker_ids_are_checked(backend: Backend) {
    let app = spawn_app(backend).await;
    let too_long = "w".repeat(256);
    for bad in ["", "node:pretender", too_long.as_str(), "a\nb"] {
        let body = json!({"types": ["REMOTE"], "worker_id": bad});
        let refused = app.post_expect("/api/worker/lease", &body, 422).await;
        assert!(
            refused["detail"]
                .as_str()
                .expect("detail")
                .contains("worker_id")
        );
        let body = json!({"leases": [], "worker_id": bad});
        app.post_expect("/api/worker/heartbeat", &body, 422).await;
    }
    let id = enqueue_remote(&app, json!({})).await;
    let anonymous = app
        .post_expect("/api/worker/lease", &json!({"types": ["REMOTE"]}), 200)
        .await;
    assert_eq!(anonymous["leases"][0]["task"]["worker"], "anonymous");
    assert_eq!(app.job(&id).await["worker"], "anonymous");
}
