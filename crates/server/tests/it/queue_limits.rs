//! Queue limits over HTTP: setting them, refusing bad ones, and the
//! `concurrency_key` a task is enqueued with.

use crate::common::{Backend, TestApp, spawn_app};
use serde_json::{Value, json};

on_every_backend!(
    limits_are_set_listed_and_cleared,
    bad_limits_answer_422_with_detail,
    enqueue_keeps_the_concurrency_key,
    the_listing_shows_the_busiest_keys
);

async fn put_limits(app: &TestApp, queue: &str, body: &Value) -> (u16, Value) {
    let response = app
        .client
        .put(app.url(&format!("/api/queues/{queue}/limits")))
        .json(body)
        .send()
        .await
        .expect("put limits");
    let status = response.status().as_u16();
    (status, response.json().await.expect("a JSON answer"))
}

async fn limits_are_set_listed_and_cleared(backend: Backend) {
    let app = spawn_app(backend).await;
    let limits = json!({"concurrency": 5, "per_key_limit": 2, "key_limits": {"gold": 10},
                        "fairness": "round_robin"});
    let (status, queue) = put_limits(&app, "mail", &limits).await;
    assert_eq!(
        (status, &queue["name"], &queue["limits"]),
        (200, &json!("mail"), &limits)
    );
    let listed: Vec<Value> = app.get_json("/api/queues").await;
    let mail = listed
        .iter()
        .find(|q| q["name"] == "mail")
        .expect("mail listed");
    assert_eq!(mail["limits"], limits);
    let (status, queue) = put_limits(&app, "mail", &json!({})).await;
    assert_eq!((status, &queue["limits"]), (200, &json!({})));
}

async fn bad_limits_answer_422_with_detail(backend: Backend) {
    let app = spawn_app(backend).await;
    for body in [
        json!({"concurrency": -1}),
        json!({"concurrency": 0}),
        json!({"per_key_limit": 0}),
        json!({"concurency": 5}),
        json!({"per_key_limit": 2, "key_limits": {"": 3}}),
        json!({"fairness": "lifo"}),
        json!({"fairness": true}),
        json!([5]),
    ] {
        let (status, answer) = put_limits(&app, "mail", &body).await;
        assert_eq!(status, 422, "{body} answered {answer}");
        assert!(answer["detail"].is_string(), "{body} answered {answer}");
    }
    let (status, answer) = put_limits(&app, "bad%01name", &json!({"concurrency": 1})).await;
    assert_eq!(
        status, 422,
        "a control character in the name answered {answer}"
    );
    assert!(answer["detail"].is_string());
}

async fn enqueue_keeps_the_concurrency_key(backend: Backend) {
    let app = spawn_app(backend).await;
    let body = json!({"type": "EMAIL", "queue": "mail", "concurrency_key": "tenant-7"});
    let created = app.post_expect("/api/tasks", &body, 201).await;
    assert_eq!(created["task"]["concurrency_key"], "tenant-7");
    let plain = app
        .post_expect("/api/tasks", &json!({"type": "EMAIL"}), 201)
        .await;
    assert!(plain["task"].get("concurrency_key").is_none(), "{plain}");
    let control = json!({"type": "EMAIL", "concurrency_key": "a\u{1}b"});
    let refused = app.post_json("/api/tasks", &control).await;
    assert_eq!(refused.status().as_u16(), 422);
}

/// Leased tasks of a key-limited queue show as its busiest keys, and a
/// queue without key limits lists none.
async fn the_listing_shows_the_busiest_keys(backend: Backend) {
    let app = spawn_app(backend).await;
    put_limits(&app, "mail", &json!({"per_key_limit": 2})).await;
    for (queue, key) in [("mail", "a"), ("mail", "a"), ("mail", "b"), ("other", "a")] {
        let body = json!({"type": "REMOTE", "queue": queue, "concurrency_key": key});
        app.post_expect("/api/tasks", &body, 201).await;
    }
    let lease = json!({"types": ["REMOTE"], "limit": 10, "lease_ms": 60_000});
    let leased = app.post_expect("/api/worker/lease", &lease, 200).await;
    assert_eq!(
        leased["leases"].as_array().map(Vec::len),
        Some(4),
        "{leased}"
    );
    let listed: Vec<Value> = app.get_json("/api/queues").await;
    let busiest = |name: &str| {
        let queue = listed.iter().find(|q| q["name"] == name);
        queue.expect("queue listed")["busiest_keys"].clone()
    };
    assert_eq!(
        busiest("mail"),
        json!([{"key": "a", "running": 2}, {"key": "b", "running": 1}])
    );
    assert_eq!(busiest("other"), json!([]));
}
