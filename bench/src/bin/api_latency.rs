//! List and counts latency over HTTP with a million tasks in SQLite.
//!
//! Loads `--tasks` tasks (60% complete, 10% fail, 30% stay queued in a paused
//! queue), then times
//! pages of 50 with each filter, search, deep pages and the counts call.
//! Run: `cargo run --release -p rustqueue-bench --bin api_latency`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use clap::Parser;
use rustqueue_bench::serve_app;
use rustqueue_core::clock::SystemClock;
use rustqueue_core::task::{EventKind, TaskStatus};
use rustqueue_core::{
    Engine, EngineConfig, EnqueueRequest, HandlerResult, Registry, TaskContext, TaskError,
    TaskHandler,
};
use rustqueue_store_sqlite::{SqliteOptions, SqliteStore};
use serde_json::Value;
use serde_json::value::RawValue;
use tokio::sync::broadcast::error::RecvError;

/// Benchmark settings.
#[derive(Debug, Parser)]
struct Args {
    /// Tasks in the store.
    #[arg(long, default_value_t = 1_000_000)]
    tasks: usize,
    /// Requests timed per case.
    #[arg(long, default_value_t = 200)]
    requests: usize,
}

/// Succeeds or fails at once, by type.
struct Immediate(bool);

#[async_trait]
impl TaskHandler for Immediate {
    async fn run(&self, _ctx: &TaskContext) -> HandlerResult {
        if self.0 {
            Ok(None)
        } else {
            Err(TaskError::permanent("broken on purpose"))
        }
    }

    fn description(&self) -> String {
        "finishes at once".into()
    }
}

/// The type and queue of task `n`: IDLE tasks wait in the paused queue `held`.
fn kind_of(n: usize) -> (&'static str, &'static str) {
    match n % 10 {
        0..=5 => ("NOOP", ["q1", "q2", "q3"][n % 3]),
        6 => ("BROKEN", ["q1", "q2", "q3"][n % 3]),
        _ => ("IDLE", HELD),
    }
}

/// A paused queue: its tasks stay `QUEUED`.
const HELD: &str = "held";

/// Inserts every task, then runs the NOOP and BROKEN ones to their end (IDLE stays queued).
async fn load(engine: &Engine, tasks: usize) {
    let started = Instant::now();
    engine.set_queue_paused(HELD, true).await.expect("pause");
    for chunk in (0..tasks).collect::<Vec<_>>().chunks(10_000) {
        let batch = chunk
            .iter()
            .map(|&n| {
                let (task_type, queue) = kind_of(n);
                let payload = format!(r#"{{"order": {n}, "customer": "cust-{}"}}"#, n % 1000);
                let payload = RawValue::from_string(payload).expect("valid JSON");
                EnqueueRequest {
                    queue: Some(queue.into()),
                    ..EnqueueRequest::new(task_type, payload)
                }
            })
            .collect();
        engine.enqueue_many(batch).await.expect("insert");
    }
    let to_finish = (0..tasks).filter(|n| kind_of(*n).0 != "IDLE").count();
    let mut transitions = engine.subscribe();
    engine.start().await.expect("start");
    let mut finished = 0;
    while finished < to_finish {
        match transitions.recv().await {
            Ok(t) if matches!(t.kind, EventKind::Completed | EventKind::Failed) => finished += 1,
            Ok(_) => {}
            Err(RecvError::Lagged(_)) => {
                let counts = engine.counts().await.expect("counts").by_status;
                finished = (counts[&TaskStatus::Completed] + counts[&TaskStatus::Failed]) as usize;
            }
            Err(RecvError::Closed) => panic!("engine stopped"),
        }
    }
    engine.shutdown().await;
    println!(
        "loaded {tasks} tasks ({to_finish} run to the end) in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

async fn time_case(client: &reqwest::Client, base: &str, name: &str, path: &str, requests: usize) {
    let mut latencies = Vec::with_capacity(requests);
    for _ in 0..requests {
        let sent = Instant::now();
        let response = client
            .get(format!("{base}{path}"))
            .send()
            .await
            .expect("request");
        assert!(
            response.status().is_success(),
            "{path}: {}",
            response.status()
        );
        response.bytes().await.expect("body");
        latencies.push(sent.elapsed());
    }
    latencies.sort_unstable();
    let ms = |p: f64| {
        latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)].as_secs_f64()
            * 1e3
    };
    println!("| {name:<34} | {:>7.2} | {:>7.2} |", ms(0.50), ms(0.95));
}

/// The cursor `depth` pages into the newest-first list.
async fn deep_cursor(client: &reqwest::Client, base: &str, depth: usize) -> String {
    let mut cursor = String::new();
    for _ in 0..depth {
        let page: Value = client
            .get(format!("{base}/api/tasks?limit=500{cursor}"))
            .send()
            .await
            .expect("req")
            .json()
            .await
            .expect("json");
        cursor = format!(
            "&cursor={}",
            page["next_cursor"].as_str().expect("more pages")
        );
    }
    cursor
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Arc::new(
        SqliteStore::open(dir.path().join("big.db"), SqliteOptions::default()).expect("store"),
    );
    let mut registry = Registry::new();
    registry
        .register("NOOP", Immediate(true))
        .register("BROKEN", Immediate(false))
        .register("IDLE", Immediate(true));
    let config = EngineConfig {
        workers: 1024,
        ..EngineConfig::default()
    };
    let loader = Engine::new(
        store.clone(),
        registry.clone(),
        config,
        Arc::new(SystemClock),
    );
    load(&loader, args.tasks).await;

    // A fresh engine that runs nothing, so only the requests load the machine.
    let engine = Engine::new(
        store,
        Registry::new(),
        EngineConfig::default(),
        Arc::new(SystemClock),
    );
    let base = serve_app(engine).await.expect("serve");
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client");
    let deep = deep_cursor(&client, &base, 100).await;
    println!(
        "| request ({} tasks, {} each) | p50 ms | p95 ms |\n|---|---|---|",
        args.tasks, args.requests
    );
    let cases = [
        ("page of 50, no filter", "/api/tasks?limit=50".to_owned()),
        (
            "page of 50, 50,000 tasks deep",
            format!("/api/tasks?limit=50{deep}"),
        ),
        (
            "page of 50, status=queued",
            "/api/tasks?limit=50&status=queued".into(),
        ),
        (
            "page of 50, status=completed",
            "/api/tasks?limit=50&status=completed".into(),
        ),
        (
            "page of 50, status=failed",
            "/api/tasks?limit=50&status=failed".into(),
        ),
        (
            "page of 50, type=BROKEN",
            "/api/tasks?limit=50&type=BROKEN".into(),
        ),
        (
            "page of 50, queue=q2",
            "/api/tasks?limit=50&queue=q2".into(),
        ),
        (
            "search, common (cust-7)",
            "/api/tasks?limit=50&q=cust-7".into(),
        ),
        (
            "search, rare (order 123456)",
            "/api/tasks?limit=50&q=%22order%22%3A%20123456%2C".into(),
        ),
        ("counts", "/api/counts".into()),
    ];
    for (name, path) in cases {
        time_case(&client, &base, name, &path, args.requests).await;
    }
}
