//! Enqueue load over HTTP: one request at a time, many clients at once, and
//! batches; each request is answered only after its commit.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::BenchResult;
use crate::stats::Latencies;

/// How a load run went.
#[derive(Debug, Clone)]
pub struct LoadResult {
    /// Tasks accepted.
    pub tasks: usize,
    /// Wall time of the whole run.
    pub took: Duration,
    /// Time of each request.
    pub latencies: Latencies,
}

impl LoadResult {
    /// Tasks per second.
    pub fn rate(&self) -> f64 {
        crate::rate(self.tasks, self.took)
    }
}

/// A client that keeps connections open, with a timeout that stops a hung run.
pub fn client() -> BenchResult<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .pool_max_idle_per_host(256)
        .build()?)
}

/// Posts one original-contract enqueue (`POST /api/enqueue`) of `task_type`.
pub async fn enqueue_one(
    client: &reqwest::Client,
    base: &str,
    task_type: &str,
    n: usize,
) -> BenchResult<Duration> {
    let sent = Instant::now();
    let body = json!({"payload": format!("task {n}"), "t_type": task_type});
    let response = client
        .post(format!("{base}/api/enqueue"))
        .json(&body)
        .send()
        .await?;
    let status = response.status();
    if !status.is_success() {
        return Err(format!("enqueue answered {status}: {}", response.text().await?).into());
    }
    Ok(sent.elapsed())
}

/// `tasks` enqueues from `clients` concurrent clients, each waiting for its
/// answer before sending the next; `clients = 1` is one-at-a-time.
pub async fn enqueue_concurrently(
    base: &str,
    task_type: &str,
    tasks: usize,
    clients: usize,
) -> BenchResult<LoadResult> {
    let client = client()?;
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut handles = Vec::with_capacity(clients);
    for _ in 0..clients.max(1) {
        let (client, next) = (client.clone(), next.clone());
        let (base, task_type) = (base.to_owned(), task_type.to_owned());
        handles.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= tasks {
                    return Ok::<_, crate::BenchError>(latencies);
                }
                latencies.push(enqueue_one(&client, &base, &task_type, n).await?);
            }
        }));
    }
    let mut latencies = Vec::new();
    for handle in handles {
        latencies.extend(handle.await??);
    }
    Ok(LoadResult {
        tasks,
        took: started.elapsed(),
        latencies: Latencies::new(latencies),
    })
}

/// `tasks` tasks through `POST /api/tasks/batch`, `batch` per request, one request at a time.
pub async fn enqueue_batches(
    base: &str,
    task_type: &str,
    tasks: usize,
    batch: usize,
) -> BenchResult<LoadResult> {
    let client = client()?;
    let started = Instant::now();
    let mut latencies = Vec::new();
    let mut sent = 0;
    while sent < tasks {
        let size = batch.min(tasks - sent);
        let body: Vec<_> = (sent..sent + size)
            .map(|n| json!({"type": task_type, "payload": n}))
            .collect();
        let request_started = Instant::now();
        let response = client
            .post(format!("{base}/api/tasks/batch"))
            .json(&json!({ "tasks": body }))
            .send()
            .await?;
        if !response.status().is_success() {
            return Err(format!("batch answered {}", response.status()).into());
        }
        latencies.push(request_started.elapsed());
        sent += size;
    }
    Ok(LoadResult {
        tasks,
        took: started.elapsed(),
        latencies: Latencies::new(latencies),
    })
}

/// The store's count of `COMPLETED` tasks, from `GET /api/counts`.
pub async fn completed(client: &reqwest::Client, base: &str) -> BenchResult<u64> {
    let counts: serde_json::Value = client
        .get(format!("{base}/api/counts"))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    Ok(counts["by_status"]["COMPLETED"].as_u64().unwrap_or(0))
}

/// Pauses or resumes a queue over HTTP.
pub async fn set_paused(base: &str, queue: &str, paused: bool) -> BenchResult<()> {
    let action = if paused { "pause" } else { "resume" };
    client()?
        .post(format!("{base}/api/queues/{queue}/{action}"))
        .send()
        .await?
        .error_for_status()?;
    Ok(())
}

/// Resumes the default queue and polls the counts until `tasks` are
/// completed: the time a drain of a paused backlog takes.
pub async fn time_resume_to_done(base: &str, tasks: usize) -> BenchResult<Duration> {
    let client = client()?;
    let started = Instant::now();
    set_paused(base, "default", false).await?;
    while completed(&client, base).await? < tasks as u64 {
        if started.elapsed() > Duration::from_secs(600) {
            return Err("the drain took more than 10 minutes".into());
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    Ok(started.elapsed())
}
