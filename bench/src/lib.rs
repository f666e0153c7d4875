//! What the benchmarks share: the no-op handler, payloads, rates, timing a
//! drain by committed completions, serving the app, and peak memory.

use std::time::{Duration, Instant};

use async_trait::async_trait;
use rustqueue_core::task::{EventKind, RawJson, Task, TaskStatus};
use rustqueue_core::{Engine, HandlerResult, TaskHandler};
use rustqueue_server::api::AppState;
use rustqueue_server::app::{HttpSettings, app};
use serde_json::value::RawValue;
use tokio::sync::broadcast::error::RecvError;

/// The no-op task the drains run.
pub struct Noop;

#[async_trait]
impl TaskHandler for Noop {
    async fn run(&self, _task: &Task) -> HandlerResult {
        Ok(None)
    }

    fn description(&self) -> String {
        "does nothing".into()
    }
}

/// A small JSON payload for task `n`.
pub fn payload(n: usize) -> RawJson {
    // A number is always valid JSON.
    RawValue::from_string(n.to_string()).expect("valid JSON")
}

/// Tasks per second.
pub fn rate(count: usize, took: Duration) -> f64 {
    count as f64 / took.as_secs_f64()
}

/// What a completion feed tells the drain timer.
enum Progress {
    /// One more committed completion.
    Completed,
    /// The feed lagged: the store's (cluster-wide) count of completed tasks.
    Recount(u64),
}

/// Starts every engine and waits until `tasks` completions are committed
/// among them; returns the time from the first start to the last completion.
pub async fn time_drain(engines: &[Engine], tasks: usize) -> Duration {
    let (progress_tx, mut progress) = tokio::sync::mpsc::unbounded_channel();
    for engine in engines {
        // Completions are published only after their finish is committed.
        let mut feed = engine.subscribe();
        let engine = engine.clone();
        let progress_tx = progress_tx.clone();
        tokio::spawn(async move {
            loop {
                let update = match feed.recv().await {
                    Ok(transition) if transition.kind == EventKind::Completed => {
                        Progress::Completed
                    }
                    Ok(_) => continue,
                    Err(RecvError::Lagged(_)) => {
                        let counts = engine.counts().await.expect("counts").by_status;
                        Progress::Recount(counts.get(&TaskStatus::Completed).copied().unwrap_or(0))
                    }
                    Err(RecvError::Closed) => return,
                };
                if progress_tx.send(update).is_err() {
                    return;
                }
            }
        });
    }
    let started = Instant::now();
    for engine in engines {
        engine.start().await.expect("engine starts");
    }
    let mut completed = 0u64;
    while completed < tasks as u64 {
        match progress.recv().await.expect("feeds live") {
            Progress::Completed => completed += 1,
            Progress::Recount(count) => completed = completed.max(count),
        }
    }
    started.elapsed()
}

/// Serves the whole HTTP app over `engine` on a free port; returns its base URL.
pub async fn serve_app(engine: Engine) -> String {
    let settings = HttpSettings {
        api_token: None,
        cors_origins: vec![],
        body_limit: 1 << 20,
    };
    let router = app(AppState { engine }, &settings).expect("router");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("port");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    tokio::spawn(async move { axum::serve(listener, router).await });
    base
}

/// Peak resident memory of this process in MiB, from /proc (Linux).
pub fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}
