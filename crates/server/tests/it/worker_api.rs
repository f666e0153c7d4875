//! The worker protocol (`/api/worker/...`) on every backend: lease, renew,
//! complete and fail, the retry policy, lost leases, and bad requests.

use crate::common::{Backend, TestApp, spawn_app};
use rustqueue_store_tests::eventually;
use serde_json::{Value, json};

on_every_backend!(
    a_leased_task_completes_with_its_result,
    failures_follow_the_retry_policy,
    a_lost_lease_is_answered_409,
    every_lease_of_a_batch_has_its_own_token,
    a_lease_call_can_wait_for_work,
    local_workers_leave_remote_types_alone,
    bad_worker_requests_answer_422,
    a_batch_of_endings_is_recorded_at_once,
);

/// Leases `REMOTE` tasks; returns the leases.
async fn lease(app: &TestApp, limit: usize) -> Vec<Value> {
    let body = json!({"types": ["REMOTE"], "limit": limit, "lease_ms": 60_000});
    let answer = app.post_expect("/api/worker/lease", &body, 200).await;
    answer["leases"].as_array().expect("leases").clone()
}

/// Leases until one `REMOTE` task comes back (it may be in back-off).
async fn lease_one(app: &TestApp) -> Value {
    eventually(
        "a task becomes leasable",
        std::time::Duration::from_secs(10),
        async || lease(app, 1).await.pop(),
    )
    .await
}

fn held(lease: &Value) -> Value {
    json!({"task_id": lease["task"]["id"], "token": lease["token"]})
}

async fn enqueue_remote(app: &TestApp, extra: Value) -> String {
    let mut body = json!({"type": "REMOTE", "payload": {"n": 1}});
    body.as_object_mut()
        .expect("object")
        .extend(extra.as_object().cloned().unwrap_or_default());
    let created = app.post_expect("/api/tasks", &body, 201).await;
    created["task"]["id"].as_str().expect("id").to_owned()
}

async fn a_leased_task_completes_with_its_result(backend: Backend) {
    let app = spawn_app(backend).await;
    let id = enqueue_remote(&app, json!({})).await;
    let leases = lease(&app, 10).await;
    assert_eq!(leases.len(), 1);
    let leased = &leases[0];
    assert_eq!(leased["task"]["id"], id.as_str());
    assert_eq!(leased["task"]["status"], "INPROGRESS");
    assert_eq!(leased["task"]["attempts"], 1);
    assert!(
        leased["token"]
            .as_str()
            .expect("token")
            .parse::<i64>()
            .is_ok()
    );
    assert!(
        lease(&app, 10).await.is_empty(),
        "a leased task is not leased again"
    );

    let renewed = json!({"leases": [held(leased)], "lease_ms": 30_000});
    let beat = app
        .post_expect("/api/worker/heartbeat", &renewed, 200)
        .await;
    assert_eq!(beat, json!({"lost": []}));

    let mut done = held(leased);
    done["result"] = json!({"sent": true, "ids": [1, 2]});
    let finished = app.post_expect("/api/worker/complete", &done, 200).await;
    assert_eq!(finished, json!({"status": "COMPLETED"}));
    let task = app.job(&id).await;
    assert_eq!(task["status"], "COMPLETED");
    assert_eq!(task["result"], json!({"sent": true, "ids": [1, 2]}));
    let history = app
        .get_json::<Value>(&format!("/api/tasks/{id}/events"))
        .await;
    let kinds: Vec<&str> = history
        .as_array()
        .expect("events")
        .iter()
        .map(|e| e["kind"].as_str().expect("kind"))
        .collect();
    assert_eq!(kinds, ["enqueued", "started", "completed"]);
}

async fn failures_follow_the_retry_policy(backend: Backend) {
    let app = spawn_app(backend).await;
    let id = enqueue_remote(&app, json!({"max_retries": 2})).await;
    let first = lease_one(&app).await;
    let mut failure = held(&first);
    failure["error"] = json!("smtp timeout");
    let answer = app.post_expect("/api/worker/fail", &failure, 200).await;
    assert_eq!(
        answer,
        json!({"status": "QUEUED"}),
        "one attempt left: back-off"
    );
    let task = app.job(&id).await;
    assert_eq!(
        (task["status"].as_str(), task["last_error"].as_str()),
        (Some("QUEUED"), Some("smtp timeout"))
    );

    let second = lease_one(&app).await;
    assert_eq!(second["task"]["attempts"], 2);
    let mut failure = held(&second);
    failure["error"] = json!("smtp timeout again");
    let answer = app.post_expect("/api/worker/fail", &failure, 200).await;
    assert_eq!(answer, json!({"status": "FAILED"}), "out of attempts");

    let permanent_id = enqueue_remote(&app, json!({"max_retries": 5})).await;
    let leased = lease_one(&app).await;
    assert_eq!(leased["task"]["id"], permanent_id.as_str());
    let mut failure = held(&leased);
    failure["error"] = json!("no such mailbox");
    failure["permanent"] = json!(true);
    let answer = app.post_expect("/api/worker/fail", &failure, 200).await;
    assert_eq!(answer, json!({"status": "FAILED"}), "permanent: no retry");
    assert_eq!(app.job(&permanent_id).await["attempts"], 1);
}

async fn a_lost_lease_is_answered_409(backend: Backend) {
    let app = spawn_app(backend).await;
    let id = enqueue_remote(&app, json!({})).await;
    let leased = lease_one(&app).await;
    let token: i64 = leased["token"]
        .as_str()
        .expect("token")
        .parse()
        .expect("number");
    let forged = json!({"task_id": id, "token": (token ^ 1).to_string()});

    let beat = app
        .post_expect("/api/worker/heartbeat", &json!({"leases": [forged]}), 200)
        .await;
    assert_eq!(beat, json!({"lost": [id]}));
    let refused = app.post_expect("/api/worker/complete", &forged, 409).await;
    assert!(
        refused["detail"]
            .as_str()
            .expect("detail")
            .contains("no longer held")
    );
    assert_eq!(
        app.job(&id).await["status"],
        "INPROGRESS",
        "the real lease still holds"
    );

    let deleted = app
        .send(reqwest::Method::DELETE, &format!("/api/tasks/{id}"))
        .await;
    assert_eq!(deleted.status(), 200);
    let mut failure = held(&leased);
    failure["error"] = json!("too late");
    app.post_expect("/api/worker/fail", &failure, 409).await;
    let gone = json!({"task_id": "no-such-task", "token": "1"});
    app.post_expect("/api/worker/complete", &gone, 409).await;
}

/// Workers may key their leases by token: one batch never repeats one, and
/// a token answers only for its own task.
async fn every_lease_of_a_batch_has_its_own_token(backend: Backend) {
    let app = spawn_app(backend).await;
    for _ in 0..20 {
        enqueue_remote(&app, json!({})).await;
    }
    let leases = lease(&app, 20).await;
    assert_eq!(leases.len(), 20);
    let tokens: std::collections::HashSet<&str> = leases
        .iter()
        .map(|lease| lease["token"].as_str().expect("token"))
        .collect();
    assert_eq!(tokens.len(), 20, "tokens repeat within a batch");

    let swapped = json!({"task_id": leases[0]["task"]["id"], "token": leases[1]["token"]});
    app.post_expect("/api/worker/complete", &swapped, 409).await;
    let beats: Vec<Value> = leases.iter().map(held).collect();
    let beat = app
        .post_expect("/api/worker/heartbeat", &json!({"leases": beats}), 200)
        .await;
    assert_eq!(beat, json!({"lost": []}));
    for lease in &leases {
        let mut done = held(lease);
        done["result"] = json!("ok");
        app.post_expect("/api/worker/complete", &done, 200).await;
    }
}

/// `wait_ms` holds the call open until work comes (the engine's tests show
/// it is woken at once); here, that the HTTP route waits and answers.
async fn a_lease_call_can_wait_for_work(backend: Backend) {
    let app = spawn_app(backend).await;
    let body = json!({"types": ["REMOTE"], "limit": 2, "wait_ms": 200});
    let empty = app.post_expect("/api/worker/lease", &body, 200).await;
    assert_eq!(empty, json!({"leases": []}));
    let waiting = {
        let (client, url) = (app.client.clone(), app.url("/api/worker/lease"));
        let body = json!({"types": ["REMOTE"], "limit": 2, "wait_ms": 30_000});
        tokio::spawn(async move { client.post(url).json(&body).send().await })
    };
    let id = enqueue_remote(&app, json!({})).await;
    let answer: Value = waiting
        .await
        .expect("call")
        .expect("response")
        .json()
        .await
        .expect("json");
    assert_eq!(answer["leases"][0]["task"]["id"], id.as_str(), "{answer}");
    let too_long = json!({"types": ["REMOTE"], "wait_ms": 60_001});
    app.post_expect("/api/worker/lease", &too_long, 422).await;
}

async fn local_workers_leave_remote_types_alone(backend: Backend) {
    let app = spawn_app(backend).await;
    let remote = enqueue_remote(&app, json!({})).await;
    let local = app.enqueue(json!("hi"), "EMAIL").await;
    let local_id = local["id"].as_str().expect("id");
    app.wait_for_status(local_id, "COMPLETED").await;
    assert_eq!(app.job(&remote).await["status"], "QUEUED");
    assert_eq!(lease(&app, 5).await.len(), 1);
}

async fn bad_worker_requests_answer_422(backend: Backend) {
    let app = spawn_app(backend).await;
    let unknown = app
        .post_expect("/api/worker/lease", &json!({"types": ["NOPE"]}), 422)
        .await;
    let detail = unknown["detail"].as_str().expect("detail");
    assert!(
        detail.contains("NOPE") && detail.contains("REMOTE"),
        "{detail}"
    );
    for body in [
        json!({"types": []}),
        json!({"types": ["REMOTE"], "limit": 0}),
        json!({"types": ["REMOTE"], "limit": 501}),
        json!({"types": ["REMOTE"], "lease_ms": 10}),
        json!({"types": ["REMOTE"], "lease_ms": 3_600_001}),
        json!({"types": "REMOTE"}),
        json!({"types": ["REMOTE"], "surprise": 1}),
    ] {
        let answer = app.post_expect("/api/worker/lease", &body, 422).await;
        assert!(answer["detail"].is_string(), "{body}: {answer}");
    }
    for (path, body) in [
        (
            "/api/worker/complete",
            json!({"task_id": "x", "token": "abc"}),
        ),
        ("/api/worker/complete", json!({"task_id": "x"})),
        ("/api/worker/fail", json!({"task_id": "x", "token": "1"})),
        (
            "/api/worker/heartbeat",
            json!({"leases": [{"task_id": "x", "token": "1.5"}]}),
        ),
    ] {
        let answer = app.post_expect(path, &body, 422).await;
        assert!(answer["detail"].is_string(), "{path} {body}: {answer}");
    }
}

/// `/api/worker/finish`: completions and failures of a batch in one call;
/// lost leases are named and dropped, a malformed entry writes nothing.
async fn a_batch_of_endings_is_recorded_at_once(backend: Backend) {
    let app = spawn_app(backend).await;
    for _ in 0..4 {
        enqueue_remote(&app, json!({"max_retries": 1})).await;
    }
    let leases = lease(&app, 4).await;
    assert_eq!(leases.len(), 4);
    let id = |n: usize| leases[n]["task"]["id"].as_str().expect("id").to_owned();
    let mut done = held(&leases[0]);
    done["result"] = json!({"width": 640});
    let mut broken = held(&leases[1]);
    broken["error"] = json!("disk on fire");
    let forged = json!({"task_id": id(2), "token": leases[3]["token"]});

    let bad_token = json!({"complete": [done, {"task_id": id(3), "token": "x"}]});
    app.post_expect("/api/worker/finish", &bad_token, 422).await;
    assert_eq!(
        app.job(&id(0)).await["status"],
        "INPROGRESS",
        "nothing written"
    );
    app.post_expect("/api/worker/finish", &json!({}), 422).await;

    let body = json!({"complete": [done, forged], "fail": [broken]});
    let answer = app.post_expect("/api/worker/finish", &body, 200).await;
    assert_eq!(
        answer,
        json!({
            "finished": [
                {"task_id": id(0), "status": "COMPLETED"},
                {"task_id": id(1), "status": "FAILED"},
            ],
            "lost": [id(2)],
        })
    );
    let completed = app.job(&id(0)).await;
    assert_eq!(completed["result"], json!({"width": 640}));
    assert_eq!(app.job(&id(1)).await["last_error"], "disk on fire");
    assert_eq!(
        app.job(&id(2)).await["status"],
        "INPROGRESS",
        "its lease holds"
    );
    let again = json!({"complete": [held(&leases[0]), held(&leases[2])]});
    let answer = app.post_expect("/api/worker/finish", &again, 200).await;
    assert_eq!(
        answer,
        json!({"finished": [{"task_id": id(2), "status": "COMPLETED"}], "lost": [id(0)]}),
        "a finished lease is lost the second time"
    );
}
