//! The cost of counts, queues and metrics (which read each queue's backlog)
//! with a million queued tasks in SQLite, a minority of them scheduled.
//!
//! Loads `--tasks` `QUEUED` tasks over three queues and three priority levels,
//! `--scheduled` of them due in an hour, then times `GET /api/counts`,
//! `GET /api/queues`, `GET /metrics` (both formats) and the store's backlog
//! read alone. Nothing runs them: the engine is never started.
//! Run: `cargo run --release -p rustqueue-bench --bin backlog`.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use rustqueue_bench::serve_app;
use rustqueue_core::clock::SystemClock;
use rustqueue_core::store::QueueBacklogParams;
use rustqueue_core::{Engine, EngineConfig, EnqueueRequest, Registry, Store};
use rustqueue_store_sqlite::{SqliteOptions, SqliteStore};
use serde_json::value::RawValue;

/// Benchmark settings.
#[derive(Debug, Parser)]
struct Args {
    /// Queued tasks in the store.
    #[arg(long, default_value_t = 1_000_000)]
    tasks: usize,
    /// How many of them are scheduled for later.
    #[arg(long, default_value_t = 10_000)]
    scheduled: usize,
    /// Requests timed per case.
    #[arg(long, default_value_t = 200)]
    requests: usize,
}

/// Enqueues every task in batches of 10,000; every `tasks / scheduled`-th is due in an hour.
async fn load(engine: &Engine, args: &Args) {
    let started = Instant::now();
    let every = args.tasks / args.scheduled.max(1);
    for chunk in (0..args.tasks).collect::<Vec<_>>().chunks(10_000) {
        let batch = chunk
            .iter()
            .map(|&n| {
                let payload = RawValue::from_string(format!(r#"{{"n": {n}}}"#)).expect("JSON");
                let later = args.scheduled > 0 && n % every == 0;
                EnqueueRequest {
                    queue: Some(["q1", "q2", "q3"][n % 3].into()),
                    priority: Some((n / 3 % 3) as i32),
                    delay: later.then_some(Duration::from_secs(3600)),
                    ..EnqueueRequest::new("IDLE", payload)
                }
            })
            .collect();
        engine.enqueue_many(batch).await.expect("insert");
    }
    println!(
        "loaded {} queued tasks ({} scheduled) in {:.1} s",
        args.tasks,
        args.scheduled,
        started.elapsed().as_secs_f64()
    );
}

/// Times `requests` runs of `call` and prints p50 and p95 in milliseconds.
async fn time_case<F, Fut>(name: &str, requests: usize, mut call: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = ()>,
{
    let mut latencies = Vec::with_capacity(requests);
    for _ in 0..requests {
        let sent = Instant::now();
        call().await;
        latencies.push(sent.elapsed());
    }
    latencies.sort_unstable();
    let ms = |p: f64| {
        latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)].as_secs_f64()
            * 1e3
    };
    println!("| {name:<34} | {:>7.2} | {:>7.2} |", ms(0.50), ms(0.95));
}

async fn get(client: &reqwest::Client, url: &str, accept: &str) {
    let response = client
        .get(url)
        .header("accept", accept)
        .send()
        .await
        .expect("request");
    assert!(
        response.status().is_success(),
        "{url}: {}",
        response.status()
    );
    response.bytes().await.expect("body");
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Arc::new(
        SqliteStore::open(dir.path().join("backlog.db"), SqliteOptions::default()).expect("store"),
    );
    let mut registry = Registry::new();
    registry.declare_remote("IDLE", "never leased here");
    let engine = Engine::new(
        store.clone(),
        registry,
        EngineConfig::default(),
        Arc::new(SystemClock),
    );
    load(&engine, &args).await;
    let base = serve_app(engine.clone()).await.expect("serve");
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client");
    println!(
        "| request ({} queued, {} scheduled, {} each) | p50 ms | p95 ms |\n|---|---|---|",
        args.tasks, args.scheduled, args.requests
    );
    let n = args.requests;
    let url = |path: &str| format!("{base}{path}");
    let (counts, queues, metrics) = (url("/api/counts"), url("/api/queues"), url("/metrics"));
    time_case("GET /api/counts", n, || get(&client, &counts, "*/*")).await;
    time_case("GET /api/queues", n, || get(&client, &queues, "*/*")).await;
    time_case("GET /metrics (text 0.0.4)", n, || {
        get(&client, &metrics, "*/*")
    })
    .await;
    let om = "application/openmetrics-text;version=1.0.0";
    time_case("GET /metrics (OpenMetrics)", n, || {
        get(&client, &metrics, om)
    })
    .await;
    time_case("store: counters alone", n, || async {
        store.task_count_rows().await.expect("rows");
    })
    .await;
    time_case("store: backlog read alone", n, || async {
        store
            .queue_backlog(&QueueBacklogParams { now: engine.now() })
            .await
            .expect("backlog");
    })
    .await;
}
