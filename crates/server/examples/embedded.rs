//! RustQueue embedded in a Rust program, with task types of its own and no
//! demo types: a CPU-bound thumbnail on a blocking thread that stops when
//! the attempt is cancelled, a rate-limited webhook that picks its own
//! back-off, and a post published at a chosen time by snoozing until then.
//!
//! Run it, then enqueue over HTTP:
//!
//! ```text
//! cargo run -p rustqueue-server --example embedded
//! curl -X POST localhost:8000/api/tasks -H 'content-type: application/json' \
//!   -d '{"type": "THUMBNAIL", "payload": {"url": "https://example.com/cat.png", "width": 200}}'
//! ```
//!
//! With `--smoke` it starts on a free port with a memory store, runs a task
//! of each type over HTTP, checks their results and exits (CI runs this).

use std::error::Error;
use std::time::Duration;

use chrono::{DateTime, Utc};
use rustqueue_server::embed::{Builder, RustQueue, TaskContext, TaskError};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

/// What the program's errors box into.
type AnyError = Box<dyn Error + Send + Sync>;

/// The payload of a `THUMBNAIL` task.
#[derive(Debug, Deserialize)]
struct Thumbnail {
    url: String,
    width: u32,
}

/// The result of a `THUMBNAIL` task.
#[derive(Debug, Serialize)]
struct Rendered {
    url: String,
    rows: u32,
}

/// Renders on a blocking thread, which watches the attempt's token: the
/// handler's future is dropped on timeout, deletion or shutdown, the thread is not.
async fn thumbnail(ctx: TaskContext, job: Thumbnail) -> Result<Rendered, TaskError> {
    if !(1..=4096).contains(&job.width) {
        return Err(TaskError::permanent(format!(
            "width {} is not between 1 and 4096",
            job.width
        )));
    }
    ctx.progress(format_args!("rendering {} at {} px", job.url, job.width));
    let (token, span) = (ctx.cancellation().clone(), ctx.span().clone());
    let width = job.width;
    let rows = tokio::task::spawn_blocking(move || span.in_scope(|| render(width, &token)))
        .await
        .map_err(|error| TaskError::retryable(format!("rendering panicked: {error}")))??;
    Ok(Rendered {
        url: format!("{}?w={width}", job.url),
        rows,
    })
}

/// Stands in for CPU-bound work, checking for cancellation between rows.
fn render(width: u32, token: &CancellationToken) -> Result<u32, TaskError> {
    for _ in 0..width {
        if token.is_cancelled() {
            return Err(TaskError::retryable("rendering stopped: attempt cancelled"));
        }
        std::thread::sleep(Duration::from_micros(100));
    }
    Ok(width)
}

/// The payload of a `WEBHOOK` task.
#[derive(Debug, Deserialize)]
struct Webhook {
    url: String,
}

/// Stands in for a call to a rate-limited service: the first attempt is
/// told to come back later (HTTP 429 with `Retry-After`), and retries then
/// rather than after the usual back-off.
async fn webhook(ctx: TaskContext, hook: Webhook) -> Result<Value, TaskError> {
    if ctx.attempt() == 1 {
        let retry_after = Duration::from_millis(200);
        return Err(TaskError::retry_in(
            format!("{} answered 429 Too Many Requests", hook.url),
            retry_after,
        ));
    }
    Ok(json!({"delivered_to": hook.url, "attempt": ctx.attempt()}))
}

/// The payload of a `PUBLISH` task.
#[derive(Debug, Deserialize)]
struct Publish {
    slug: String,
    at: DateTime<Utc>,
}

/// Publishes at `at`: earlier runs snooze until then, which uses up no attempt.
async fn publish(_ctx: TaskContext, post: Publish) -> Result<String, TaskError> {
    let early = post.at - Utc::now();
    if let Ok(wait) = early.to_std()
        && !wait.is_zero()
    {
        return Err(TaskError::snooze(wait));
    }
    Ok(format!("published {}", post.slug))
}

/// The node: this program's three types, no demo types.
fn builder() -> Builder {
    RustQueue::builder()
        .handler("THUMBNAIL", thumbnail)
        .handler("WEBHOOK", webhook)
        .handler("PUBLISH", publish)
        .demo_types(false)
}

#[tokio::main]
async fn main() -> Result<(), AnyError> {
    tracing_subscriber::fmt::init();
    if std::env::args().any(|arg| arg == "--smoke") {
        return smoke().await;
    }
    builder()
        .database_url("sqlite://embedded.db")
        .serve("127.0.0.1:8000".parse()?)
        .await?;
    Ok(())
}

/// Starts the node on a free port, runs one task of each type over HTTP,
/// checks what they returned, and shuts down.
pub(crate) async fn smoke() -> Result<(), AnyError> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let server = builder().database_url("memory://").listen(listener).await?;
    let base = format!("http://{}", server.local_addr());
    let client = reqwest::Client::new();
    let soon = Utc::now() + chrono::TimeDelta::milliseconds(300);
    let cases = [
        (
            json!({"type": "THUMBNAIL", "payload": {"url": "https://example.com/cat.png", "width": 64}}),
            json!({"url": "https://example.com/cat.png?w=64", "rows": 64}),
        ),
        (
            json!({"type": "WEBHOOK", "payload": {"url": "https://example.com/hook"}}),
            json!({"delivered_to": "https://example.com/hook", "attempt": 2}),
        ),
        (
            json!({"type": "PUBLISH", "payload": {"slug": "hello", "at": soon}}),
            json!("published hello"),
        ),
    ];
    for (body, expected) in cases {
        let created: Value = client
            .post(format!("{base}/api/tasks"))
            .json(&body)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let id = created["task"]["id"].as_str().ok_or("no task id")?;
        let done = completed(&client, &base, id).await?;
        if done["result"] != expected {
            return Err(format!("{body}: expected {expected}, got {done}").into());
        }
        println!("{} completed: {}", body["type"], done["result"]);
    }
    server.shutdown().await?;
    Ok(())
}

/// Polls the task until it is `COMPLETED`; an error if it fails or takes over ten seconds.
async fn completed(client: &reqwest::Client, base: &str, id: &str) -> Result<Value, AnyError> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let task: Value = client
            .get(format!("{base}/api/tasks/{id}"))
            .send()
            .await?
            .json()
            .await?;
        match task["status"].as_str() {
            Some("COMPLETED") => return Ok(task),
            Some("FAILED") => return Err(format!("task failed: {task}").into()),
            _ if tokio::time::Instant::now() > deadline => {
                return Err(format!("task did not complete in time: {task}").into());
            }
            _ => tokio::time::sleep(Duration::from_millis(10)).await,
        }
    }
}
