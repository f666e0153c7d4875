//! The full API beyond the original routes, on every backend.

use std::collections::HashSet;

use crate::common::{Backend, TestApp, spawn_app};
use serde_json::{Value, json};

on_every_backend!(
    enqueue_takes_every_field,
    unique_keys_return_the_unfinished_holder,
    concurrent_enqueues_of_one_key_create_one_task,
    batches_are_all_or_nothing,
    pages_walk_every_task_once_in_both_orders,
    filters_narrow_pages,
    counts_queues_and_types,
    a_paused_queue_starts_nothing_until_resumed,
    history_shows_every_transition,
    bulk_retry_and_delete,
    a_mistyped_or_empty_bulk_filter_selects_nothing,
    bad_requests_answer_4xx_with_detail,
);

async fn enqueue_takes_every_field(backend: Backend) {
    let app = spawn_app(backend).await;
    let run_at = "2099-01-02T03:04:05.123456Z";
    let body = json!({"type": "EMAIL", "payload": {"to": "x@y.z"}, "queue": "mail", "priority": 7,
        "max_retries": 5, "run_at": run_at, "unique_key": "welcome-42", "timeout_ms": 1500});
    let created = app.post_expect("/api/tasks", &body, 201).await;
    let task = &created["task"];
    assert_eq!(created["duplicate"], false);
    assert_eq!(
        (
            task["queue"].as_str(),
            task["priority"].as_i64(),
            task["max_retries"].as_u64()
        ),
        (Some("mail"), Some(7), Some(5))
    );
    assert_eq!(
        (task["run_at"].as_str(), task["timeout_ms"].as_u64()),
        (Some(run_at), Some(1500))
    );
    assert_eq!(
        (task["unique_key"].as_str(), task["status"].as_str()),
        (Some("welcome-42"), Some("QUEUED"))
    );
    let delayed = app
        .post_expect(
            "/api/tasks",
            &json!({"type": "SMS", "delay_ms": 60000}),
            201,
        )
        .await;
    let delayed = &delayed["task"];
    assert_eq!(delayed["payload"], Value::Null);
    let (created_at, run_at) = (
        delayed["created_at"].as_str().expect("t"),
        delayed["run_at"].as_str().expect("t"),
    );
    let gap = chrono::DateTime::parse_from_rfc3339(run_at).expect("t")
        - chrono::DateTime::parse_from_rfc3339(created_at).expect("t");
    assert_eq!(gap.num_seconds(), 60);
}

async fn unique_keys_return_the_unfinished_holder(backend: Backend) {
    let app = spawn_app(backend).await;
    // Paused, so the holder cannot finish (and free the key) between the two.
    app.engine
        .set_queue_paused("default", true)
        .await
        .expect("pause");
    let body = json!({"type": "SMS", "unique_key": "once"});
    let first = app.post_expect("/api/tasks", &body, 201).await;
    let second = app.post_expect("/api/tasks", &body, 200).await;
    assert_eq!(second["duplicate"], true);
    assert_eq!(second["task"]["id"], first["task"]["id"]);
    // Once the holder finished, the key is free again.
    app.engine
        .set_queue_paused("default", false)
        .await
        .expect("resume");
    let id = first["task"]["id"].as_str().expect("id");
    app.wait_for_status(id, "COMPLETED").await;
    let third = app.post_expect("/api/tasks", &body, 201).await;
    assert_ne!(third["task"]["id"], first["task"]["id"]);
}

async fn concurrent_enqueues_of_one_key_create_one_task(backend: Backend) {
    let app = spawn_app(backend).await;
    app.engine
        .set_queue_paused("default", true)
        .await
        .expect("pause");
    let body = json!({"type": "SMS", "unique_key": "race"});
    let requests = (0..20).map(|_| app.post_json("/api/tasks", &body));
    let responses = futures_util::future::join_all(requests).await;
    let mut ids = HashSet::new();
    let mut created = 0;
    for response in responses {
        created += usize::from(response.status() == 201);
        let body: Value = response.json().await.expect("json");
        ids.insert(body["task"]["id"].as_str().expect("id").to_owned());
    }
    assert_eq!(
        (created, ids.len()),
        (1, 1),
        "exactly one task was created and every caller got it"
    );
    let page = app.get_json::<Value>("/api/tasks").await;
    assert_eq!(page["tasks"].as_array().expect("tasks").len(), 1);
}

async fn batches_are_all_or_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let good: Vec<Value> = (0..100)
        .map(|n| json!({"type": "TAKESLONG", "payload": n}))
        .collect();
    let created = app
        .post_expect("/api/tasks/batch", &json!({"tasks": good}), 201)
        .await;
    let tasks = created["tasks"].as_array().expect("tasks");
    assert_eq!(tasks.len(), 100);
    assert!(
        tasks
            .iter()
            .enumerate()
            .all(|(n, t)| t["task"]["payload"] == json!(n)),
        "request order kept"
    );
    let mut bad = good.clone();
    bad[50] = json!({"type": "NOPE"});
    app.post_expect("/api/tasks/batch", &json!({"tasks": bad}), 422)
        .await;
    app.post_expect("/api/tasks/batch", &json!({"tasks": []}), 422)
        .await;
    let too_many: Vec<Value> = (0..10_001).map(|_| json!({"type": "SMS"})).collect();
    app.post_expect("/api/tasks/batch", &json!({"tasks": too_many}), 422)
        .await;
    let counts = app.get_json::<Value>("/api/counts").await;
    let total: u64 = counts["by_status"]
        .as_object()
        .expect("map")
        .values()
        .map(|v| v.as_u64().expect("n"))
        .sum();
    assert_eq!(total, 100, "the refused batches wrote nothing");
}

/// Follows `next_cursor` from `first` to the end, returning every id seen.
async fn walk(app: &TestApp, first: &str) -> Vec<String> {
    let mut ids = Vec::new();
    let mut path = first.to_owned();
    loop {
        let page = app.get_json::<Value>(&path).await;
        ids.extend(
            page["tasks"]
                .as_array()
                .expect("tasks")
                .iter()
                .map(|t| t["id"].as_str().expect("id").to_owned()),
        );
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("{first}&cursor={cursor}"),
            None => return ids,
        }
    }
}

async fn pages_walk_every_task_once_in_both_orders(backend: Backend) {
    let app = spawn_app(backend).await;
    let tasks: Vec<Value> = (0..23)
        .map(|n| json!({"type": "TAKESLONG", "payload": n}))
        .collect();
    let created = app
        .post_expect("/api/tasks/batch", &json!({"tasks": tasks}), 201)
        .await;
    let mut expected: Vec<String> = created["tasks"]
        .as_array()
        .expect("tasks")
        .iter()
        .map(|t| t["task"]["id"].as_str().expect("id").to_owned())
        .collect();
    assert_eq!(
        walk(&app, "/api/tasks?order=oldest&limit=5").await,
        expected
    );
    expected.reverse();
    assert_eq!(
        walk(&app, "/api/tasks?limit=7").await,
        expected,
        "newest first by default"
    );
}

async fn filters_narrow_pages(backend: Backend) {
    let app = spawn_app(backend).await;
    app.engine
        .set_queue_paused("slow", true)
        .await
        .expect("pause");
    let batch = json!({"tasks": [
        {"type": "SMS", "queue": "slow", "payload": "Needle in a haystack"},
        {"type": "EMAIL", "queue": "slow", "payload": {"note": "plain"}},
        {"type": "EMAIL", "queue": "other", "payload": "NEEDLE again"},
    ]});
    app.post_expect("/api/tasks/batch", &batch, 201).await;
    app.engine
        .set_queue_paused("other", true)
        .await
        .expect("pause");
    let count = |page: Value| page["tasks"].as_array().expect("tasks").len();
    assert_eq!(count(app.get_json("/api/tasks?type=EMAIL").await), 2);
    assert_eq!(count(app.get_json("/api/tasks?queue=slow").await), 2);
    assert_eq!(
        count(app.get_json("/api/tasks?queue=slow&type=EMAIL").await),
        1
    );
    assert_eq!(
        count(app.get_json("/api/tasks?q=needle").await),
        2,
        "search ignores ASCII case"
    );
    assert_eq!(
        count(app.get_json("/api/tasks?q=haystack&queue=other").await),
        0
    );
    assert_eq!(
        count(
            app.get_json("/api/tasks?created_after=2099-01-01T00:00:00Z")
                .await
        ),
        0
    );
    assert_eq!(
        count(
            app.get_json("/api/tasks?created_before=2099-01-01T00:00:00Z")
                .await
        ),
        3
    );
}

async fn counts_queues_and_types(backend: Backend) {
    let app = spawn_app(backend).await;
    app.engine
        .set_queue_paused("q1", true)
        .await
        .expect("pause");
    for body in [
        json!({"type": "SMS", "queue": "q1"}),
        json!({"type": "SMS", "queue": "q1"}),
        json!({"type": "EMAIL", "queue": "q1"}),
    ] {
        app.post_expect("/api/tasks", &body, 201).await;
    }
    let counts = app.get_json::<Value>("/api/counts").await;
    assert_eq!(
        counts["by_status"],
        json!({"QUEUED": 3, "INPROGRESS": 0, "COMPLETED": 0, "FAILED": 0})
    );
    assert_eq!(counts["by_type"]["SMS"]["QUEUED"], 2);
    assert_eq!(counts["by_queue"]["q1"]["QUEUED"], 3);
    let mut queues = app.get_json::<Value>("/api/queues").await;
    let q1 = &mut queues[0];
    assert!(q1["lag_ms"].is_u64(), "{q1}");
    assert!(q1["backlog"]["oldest_ready_at"].is_string(), "{q1}");
    for field in ["lag_ms", "oldest_ready_at"] {
        q1["backlog"]
            .as_object_mut()
            .expect("backlog")
            .remove(field);
        q1.as_object_mut().expect("queue").remove(field);
    }
    assert_eq!(
        queues,
        json!([{"name": "q1", "paused": true,
            "counts": {"QUEUED": 3, "INPROGRESS": 0, "COMPLETED": 0, "FAILED": 0},
            "backlog": {"ready": 3, "scheduled": 0, "retrying": 0},
            "limits": {}, "busiest_keys": []}])
    );
    let types = app.get_json::<Value>("/api/types").await;
    let names: Vec<&str> = types
        .as_array()
        .expect("types")
        .iter()
        .map(|t| t["name"].as_str().expect("name"))
        .collect();
    assert_eq!(
        names.len(),
        10,
        "nine demo types and the test's remote one: {names:?}"
    );
    let described = |name: &str, description: &str| {
        types
            .as_array()
            .expect("types")
            .iter()
            .any(|t| t["name"] == name && t["description"] == description)
    };
    assert!(described("REPORT", "demo: succeeds after 5 s"));
    assert!(described(
        "REMOTE",
        "run by the tests (run by remote workers)"
    ));
}

async fn a_paused_queue_starts_nothing_until_resumed(backend: Backend) {
    let app = spawn_app(backend).await;
    let paused = app
        .post_expect("/api/queues/later/pause", &json!(null), 200)
        .await;
    assert_eq!(paused["paused"], true);
    let created = app
        .post_expect("/api/tasks", &json!({"type": "SMS", "queue": "later"}), 201)
        .await;
    let id = created["task"]["id"].as_str().expect("id");
    let other = app
        .post_expect("/api/tasks", &json!({"type": "SMS"}), 201)
        .await;
    app.wait_for_status(other["task"]["id"].as_str().expect("id"), "COMPLETED")
        .await;
    assert_eq!(
        app.job(id).await["status"],
        "QUEUED",
        "a task in a paused queue waits"
    );
    let resumed = app
        .post_expect("/api/queues/later/resume", &json!(null), 200)
        .await;
    assert_eq!(resumed["paused"], false);
    app.wait_for_status(id, "COMPLETED").await;
}

async fn history_shows_every_transition(backend: Backend) {
    let app = spawn_app(backend).await;
    let created = app
        .post_expect(
            "/api/tasks",
            &json!({"type": "FAILABS", "max_retries": 2}),
            201,
        )
        .await;
    let id = created["task"]["id"].as_str().expect("id");
    app.wait_for_status(id, "FAILED").await;
    let history = app
        .get_json::<Value>(&format!("/api/tasks/{id}/events"))
        .await;
    let kinds: Vec<&str> = history
        .as_array()
        .expect("events")
        .iter()
        .map(|e| e["kind"].as_str().expect("kind"))
        .collect();
    assert_eq!(
        kinds,
        [
            "enqueued",
            "started",
            "retry_scheduled",
            "started",
            "failed"
        ]
    );
    assert!(
        history[4]["message"]
            .as_str()
            .expect("message")
            .contains("always fails")
    );
    assert_eq!(history[4]["attempt"], 2);
    assert_eq!(
        app.send(reqwest::Method::GET, "/api/tasks/nope/events")
            .await
            .status(),
        404
    );
}

async fn bulk_retry_and_delete(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut failed = Vec::new();
    for _ in 0..3 {
        let created = app
            .post_expect(
                "/api/tasks",
                &json!({"type": "FAILABS", "max_retries": 1}),
                201,
            )
            .await;
        failed.push(created["task"]["id"].as_str().expect("id").to_owned());
    }
    let done = app
        .post_expect("/api/tasks", &json!({"type": "SMS"}), 201)
        .await;
    for id in &failed {
        app.wait_for_status(id, "FAILED").await;
    }
    app.wait_for_status(done["task"]["id"].as_str().expect("id"), "COMPLETED")
        .await;
    app.engine
        .set_queue_paused("default", true)
        .await
        .expect("pause");
    let by_ids = app
        .post_expect(
            "/api/tasks/bulk/retry",
            &json!({"ids": [failed[0], done["task"]["id"]]}),
            200,
        )
        .await;
    assert_eq!(by_ids["retried"], 1, "only FAILED tasks are retried");
    let by_filter = app
        .post_expect(
            "/api/tasks/bulk/retry",
            &json!({"filter": {"status": "failed"}}),
            200,
        )
        .await;
    assert_eq!(by_filter["retried"], 2);
    let deleted = app
        .post_expect(
            "/api/tasks/bulk/delete",
            &json!({"filter": {"status": "queued"}}),
            200,
        )
        .await;
    assert_eq!(deleted["deleted"], 3);
    let left = app.get_json::<Value>("/api/tasks").await;
    assert_eq!(left["tasks"].as_array().expect("tasks").len(), 1);
}

async fn a_mistyped_or_empty_bulk_filter_selects_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    app.engine
        .set_queue_paused("default", true)
        .await
        .expect("pause");
    for _ in 0..3 {
        app.post_expect("/api/tasks", &json!({"type": "SMS"}), 201)
            .await;
    }
    let refusals = [
        (json!({"filter": {"stauts": "FAILED"}}), "stauts"),
        (json!({"filter": {}}), "all"),
        (json!({"filter": {"status": "", "queue": ""}}), "all"),
        (json!({"all": false}), "all"),
        (
            json!({"all": true, "filter": {"status": "FAILED"}}),
            "exactly one",
        ),
        (json!({"ids": [], "all": true}), "exactly one"),
        (json!({"filter": {"status": "done"}}), "status"),
        (
            json!({"filter": {"created_after": "last week"}}),
            "2030-01-01",
        ),
    ];
    for route in ["/api/tasks/bulk/delete", "/api/tasks/bulk/retry"] {
        for (body, named) in &refusals {
            let answer = app.post_expect(route, body, 422).await;
            let detail = answer["detail"].as_str().expect("detail");
            assert!(detail.contains(named), "{route} {body}: {detail}");
        }
    }
    let left = app.get_json::<Value>("/api/counts").await;
    assert_eq!(left["by_status"]["QUEUED"], 3, "nothing was deleted");
    let everything = app
        .post_expect("/api/tasks/bulk/delete", &json!({"all": true}), 200)
        .await;
    assert_eq!(everything["deleted"], 3);
}

async fn bad_requests_answer_4xx_with_detail(backend: Backend) {
    let app = spawn_app(backend).await;
    let cases: [(&str, &str, Value, u16); 8] = [
        (
            "POST",
            "/api/tasks",
            json!({"type": "SMS", "surprise": 1}),
            422,
        ),
        (
            "POST",
            "/api/tasks",
            json!({"type": "SMS", "run_at": "2099-01-01T00:00:00Z", "delay_ms": 5}),
            422,
        ),
        (
            "POST",
            "/api/tasks",
            json!({"type": "SMS", "max_retries": 0}),
            422,
        ),
        (
            "POST",
            "/api/tasks",
            json!({"type": "SMS", "priority": "high"}),
            422,
        ),
        ("POST", "/api/tasks/bulk/retry", json!({}), 422),
        (
            "POST",
            "/api/tasks/bulk/delete",
            json!({"ids": ["a\u{0}b"]}),
            422,
        ),
        ("POST", "/api/queues/%00/pause", json!(null), 422),
        ("POST", "/api/tasks/batch", json!({"tasks": "no"}), 422),
    ];
    for (_, path, body, status) in cases {
        let answer = app.post_expect(path, &body, status).await;
        assert!(answer["detail"].is_string(), "{path}: {answer}");
    }
    for (path, status) in [
        ("/api/tasks?status=done", 400),
        ("/api/tasks?limit=501", 400),
        ("/api/tasks?limit=many", 400),
        ("/api/tasks?q=ab", 400),
        ("/api/tasks?cursor=%25%25", 400),
        // The base64 of "01a23c": valid base64, but no task id.
        ("/api/tasks?cursor=MDFhMjNj", 400),
        ("/api/tasks?order=sideways", 400),
        ("/api/tasks?stauts=FAILED", 400),
        ("/api/tasks?created_after=yesterday", 400),
        (
            "/api/tasks?created_after=2030-01-01T00:00:00Z&created_before=2029-01-01T00:00:00Z",
            400,
        ),
    ] {
        let response = app.send(reqwest::Method::GET, path).await;
        assert_eq!(response.status().as_u16(), status, "{path}");
        assert!(response.json::<Value>().await.expect("json")["detail"].is_string());
    }
}
