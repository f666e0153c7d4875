//! RustQueue embedded in a Rust program, black-box over HTTP on a real
//! server on a free port: typed handlers run, time out (their token fires),
//! snooze or pick their back-off; demo types can be left out; the example runs.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rustqueue_core::store::memory::MemoryStore;
use rustqueue_server::embed::{Builder, RustQueue, Server, TaskContext, TaskError};
use rustqueue_store_tests::eventually;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::common::node::Node as Process;

#[path = "../../examples/embedded.rs"]
#[allow(dead_code)]
mod example;

/// A started node and a client for it.
struct Node {
    server: Server,
    base: String,
    client: reqwest::Client,
}

/// Starts `builder` on a free port, with 10 ms back-off.
async fn start(builder: Builder) -> Node {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("free port");
    let server = builder
        .configure(|settings| {
            settings.backoff_base_ms = 10;
            settings.backoff_cap_ms = 20;
        })
        .listen(listener)
        .await
        .expect("starts");
    let base = format!("http://{}", server.local_addr());
    Node {
        server,
        base,
        client: reqwest::Client::new(),
    }
}

impl Node {
    /// Posts to `path` and returns the status and the JSON answer.
    async fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        let response = self
            .client
            .post(format!("{}{path}", self.base))
            .json(body)
            .send()
            .await
            .expect("request");
        let status = response.status().as_u16();
        (status, response.json().await.expect("json"))
    }

    async fn get(&self, path: &str) -> Value {
        let response = self.client.get(format!("{}{path}", self.base)).send();
        response.await.expect("request").json().await.expect("json")
    }

    /// Enqueues through the full API and returns the task id.
    async fn enqueue(&self, body: Value) -> String {
        let (status, created) = self.post("/api/tasks", &body).await;
        assert_eq!(status, 201, "{body}: {created}");
        created["task"]["id"].as_str().expect("id").to_owned()
    }

    /// Polls the task until it has `status`, for at most ten seconds.
    async fn wait_for(&self, id: &str, status: &str) -> Value {
        eventually(
            format!("{id} reaches {status}"),
            Duration::from_secs(10),
            async || {
                let task = self.get(&format!("/api/tasks/{id}")).await;
                if task["status"] == status {
                    Ok(task)
                } else {
                    Err(task)
                }
            },
        )
        .await
    }

    /// The task's history as (kind, attempt, message).
    async fn history(&self, id: &str) -> Vec<(String, u64, Option<String>)> {
        let events = self.get(&format!("/api/tasks/{id}/events")).await;
        let events = events.as_array().expect("events").iter();
        events
            .map(|e| {
                let kind = e["kind"].as_str().expect("kind").to_owned();
                let message = e["message"].as_str().map(str::to_owned);
                (kind, e["attempt"].as_u64().expect("attempt"), message)
            })
            .collect()
    }

    /// When each attempt started.
    async fn starts(&self, id: &str) -> Vec<chrono::DateTime<chrono::Utc>> {
        let events = self.get(&format!("/api/tasks/{id}/events")).await;
        let events = events.as_array().expect("events").iter();
        events
            .filter(|e| e["kind"] == "started")
            .map(|e| serde_json::from_value(e["at"].clone()).expect("time"))
            .collect()
    }
}

#[derive(Debug, Deserialize)]
struct Resize {
    width: u32,
    work_ms: u64,
}

#[derive(Debug, Serialize)]
struct Resized {
    width: u32,
    attempt: u32,
}

/// Works for `work_ms` on a blocking thread that watches the token, and
/// notes each attempt whose token fired.
fn resize(
    fired: Arc<Mutex<Vec<u32>>>,
) -> impl Fn(TaskContext, Resize) -> futures_util::future::BoxFuture<'static, Result<Resized, TaskError>>
+ Send
+ Sync
+ 'static {
    move |ctx, job| {
        let fired = fired.clone();
        Box::pin(async move {
            let (token, attempt) = (ctx.cancellation().clone(), ctx.attempt());
            let until = Instant::now() + Duration::from_millis(job.work_ms);
            let work = tokio::task::spawn_blocking(move || {
                while Instant::now() < until {
                    if token.is_cancelled() {
                        fired.lock().expect("lock").push(attempt);
                        return;
                    }
                    std::thread::sleep(Duration::from_millis(1));
                }
            });
            work.await.expect("work ran");
            Ok(Resized {
                width: job.width / 2,
                attempt,
            })
        })
    }
}

#[tokio::test]
async fn a_typed_handler_runs_over_http_and_its_timeout_fires_the_token() {
    let fired = Arc::new(Mutex::new(Vec::new()));
    let builder = RustQueue::builder()
        .store(MemoryStore::new())
        .demo_types(false)
        .handler("RESIZE", resize(fired.clone()));
    let node = start(builder).await;

    let quick = json!({"type": "RESIZE", "payload": {"width": 640, "work_ms": 0}});
    let done = node.wait_for(&node.enqueue(quick).await, "COMPLETED").await;
    assert_eq!(done["result"], json!({"width": 320, "attempt": 1}));

    let slow = json!({"type": "RESIZE", "payload": {"width": 640, "work_ms": 60000},
        "timeout_ms": 200, "max_retries": 2});
    let failed = node.wait_for(&node.enqueue(slow).await, "FAILED").await;
    assert_eq!(failed["attempts"], 2, "{failed}");
    assert_eq!(failed["last_error"], "timed out after 200 ms");
    eventually("both tokens fire", Duration::from_secs(5), async || {
        fired.lock().expect("lock").len() >= 2
    })
    .await;
    assert_eq!(
        *fired.lock().expect("lock"),
        [1, 2],
        "each attempt's token fired"
    );

    let misfit = json!({"type": "RESIZE", "payload": {"height": 1}});
    let refused = node.wait_for(&node.enqueue(misfit).await, "FAILED").await;
    assert_eq!(
        refused["attempts"], 1,
        "a payload that does not fit is not retried"
    );
    let error = refused["last_error"].as_str().expect("error");
    assert!(error.contains("missing field `width`"), "{error}");
    node.server.shutdown().await.expect("clean shutdown");
}

#[tokio::test]
async fn a_handler_can_snooze_or_choose_its_back_off() {
    let runs = Arc::new(AtomicU32::new(0));
    let builder = RustQueue::builder()
        .database_url("memory://")
        .handler("SNOOZY", move |ctx: TaskContext, (): ()| {
            let run = runs.fetch_add(1, Ordering::SeqCst) + 1;
            async move {
                match run {
                    1..=3 => Err(TaskError::snooze(Duration::from_millis(50))),
                    _ => Ok(ctx.attempt()),
                }
            }
        })
        .handler("LIMITED", |ctx: TaskContext, (): ()| async move {
            match ctx.attempt() {
                1 => Err(TaskError::retry_in("busy", Duration::from_millis(400))),
                _ => Ok(()),
            }
        });
    let node = start(builder).await;

    // One attempt allowed, three snoozes taken: snoozes use up none.
    let id = node
        .enqueue(json!({"type": "SNOOZY", "max_retries": 1}))
        .await;
    let done = node.wait_for(&id, "COMPLETED").await;
    assert_eq!(
        (done["attempts"].clone(), done["result"].clone()),
        (json!(1), json!(1))
    );
    assert_eq!(done["last_error"], Value::Null, "a snooze is not a failure");
    let snoozed = (
        "retry_scheduled".to_owned(),
        0,
        Some("snoozed for 50 ms".to_owned()),
    );
    let history = node.history(&id).await;
    assert_eq!(
        history.iter().filter(|e| **e == snoozed).count(),
        3,
        "{history:?}"
    );
    let starts = node.starts(&id).await;
    assert!(
        (starts[1] - starts[0]).num_milliseconds() >= 50,
        "{starts:?}"
    );

    // The back-off is 10 ms; the handler asked for 400.
    let id = node.enqueue(json!({"type": "LIMITED"})).await;
    let done = node.wait_for(&id, "COMPLETED").await;
    assert_eq!(done["attempts"], 2);
    let starts = node.starts(&id).await;
    let gap = (starts[1] - starts[0]).num_milliseconds();
    assert!(
        (400..5000).contains(&gap),
        "second attempt {gap} ms after the first"
    );
    node.server.shutdown().await.expect("clean shutdown");
}

/// The test runtime has one thread, so this subscriber sees every span.
#[tokio::test]
async fn a_handler_runs_in_its_attempts_span() {
    let _subscriber = tracing::subscriber::set_default(tracing_subscriber::registry());
    let builder = RustQueue::builder().database_url("memory://").handler(
        "TRACED",
        |ctx: TaskContext, (): ()| async move {
            let name = ctx.span().metadata().map(|meta| meta.name());
            let current = tracing::Span::current().id() == ctx.span().id();
            Ok(json!({"span": name, "current": current}))
        },
    );
    let node = start(builder).await;
    let id = node.enqueue(json!({"type": "TRACED"})).await;
    let done = node.wait_for(&id, "COMPLETED").await;
    assert_eq!(done["result"], json!({"span": "attempt", "current": true}));
    node.server.shutdown().await.expect("clean shutdown");
}

#[tokio::test]
async fn without_demo_types_a_demo_enqueue_is_refused() {
    let builder = RustQueue::builder()
        .database_url("memory://")
        .demo_types(false)
        .handler("RESIZE", resize(Arc::default()));
    let node = start(builder).await;

    let original = json!({"payload": "hello", "t_type": "EMAIL"});
    let (status, body) = node.post("/api/enqueue", &original).await;
    assert_eq!(status, 422, "{body}");
    let detail = body["detail"].as_str().expect("detail");
    assert!(
        detail.contains("unknown task type \"EMAIL\"") && detail.contains("RESIZE"),
        "{detail}"
    );
    let (status, body) = node.post("/api/tasks", &json!({"type": "FAILABS"})).await;
    assert_eq!(status, 422, "{body}");
    let types = node.get("/api/types").await.to_string();
    assert!(
        types.contains("RESIZE") && !types.contains("EMAIL"),
        "{types}"
    );
    node.server.shutdown().await.expect("clean shutdown");
}

#[tokio::test]
async fn demo_types_stay_on_by_default() {
    let builder = RustQueue::builder()
        .database_url("memory://")
        .configure(|settings| settings.demo_speed = 1000.0);
    let node = start(builder).await;
    let (status, body) = node
        .post("/api/enqueue", &json!({"payload": "hi", "t_type": "SMS"}))
        .await;
    assert_eq!(status, 200, "{body}");
    node.server.shutdown().await.expect("clean shutdown");
}

#[tokio::test]
async fn the_binary_leaves_the_demo_types_out_when_told() {
    let settings = [
        ("RUSTQUEUE_DATABASE_URL", "memory://".to_owned()),
        ("RUSTQUEUE_DEMO_TYPES", "false".to_owned()),
        ("RUSTQUEUE_REMOTE_TYPES", "RESIZE".to_owned()),
    ];
    let mut node = Process::start(&settings).await;
    let client = reqwest::Client::new();
    let response = client
        .post(node.url("/api/enqueue"))
        .json(&json!({"payload": "hello", "t_type": "EMAIL"}))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 422);
    let body: Value = response.json().await.expect("json");
    let detail = body["detail"].as_str().expect("detail");
    assert!(detail.contains("known types: RESIZE"), "{detail}");
    node.terminate();
    assert!(node.wait_exit(Duration::from_secs(10)).await.success());
}

#[tokio::test]
async fn the_embedding_example_runs_end_to_end() {
    example::smoke()
        .await
        .expect("the example's smoke run passes");
}
