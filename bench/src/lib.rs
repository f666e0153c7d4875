//! What the benchmarks share: the no-op handler, payloads, rates, timing a
//! drain by committed completions, serving the app, memory from /proc, HTTP
//! load, the real server as a child process, and the records every run emits.

pub mod drain;
pub mod http_load;
pub mod memory;
pub mod record;
pub mod server;
pub mod sqlite;
pub mod stats;
pub mod table;

use std::time::Duration;

use async_trait::async_trait;
use rustqueue_core::builtin::register_demo_types;
use rustqueue_core::clock::SystemClock;
use rustqueue_core::task::RawJson;
use rustqueue_core::{
    Engine, EngineConfig, HandlerResult, Registry, Store, TaskContext, TaskHandler,
};
use rustqueue_server::api::AppState;
use rustqueue_server::app::{HttpSettings, app};
use serde_json::value::RawValue;

pub use drain::time_drain;
pub use memory::{Memory, peak_rss_mib};

/// Every fallible step of a benchmark; `main` reports it and exits non-zero.
pub type BenchError = Box<dyn std::error::Error + Send + Sync>;

/// The result of a benchmark step.
pub type BenchResult<T> = Result<T, BenchError>;

/// A benchmark's exit status: its error, if any, on stderr after its name.
pub fn exit_code(name: &str, result: BenchResult<()>) -> std::process::ExitCode {
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("{name}: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// The no-op task the drains run.
#[derive(Debug)]
pub struct Noop;

#[async_trait]
impl TaskHandler for Noop {
    async fn run(&self, _ctx: &TaskContext) -> HandlerResult {
        Ok(None)
    }

    fn description(&self) -> String {
        "does nothing".into()
    }
}

/// A small JSON payload for task `n` (a number: always valid JSON).
pub fn payload(n: usize) -> BenchResult<RawJson> {
    Ok(RawValue::from_string(n.to_string())?)
}

/// `count` no-op enqueue requests of `task_type` numbered from `first`.
pub fn requests(
    task_type: &str,
    first: usize,
    count: usize,
) -> BenchResult<Vec<rustqueue_core::EnqueueRequest>> {
    (first..first + count)
        .map(|n| Ok(rustqueue_core::EnqueueRequest::new(task_type, payload(n)?)))
        .collect()
}

/// Inserts `total` tasks of `task_type` through `engine` in batches of `batch`.
pub async fn insert(
    engine: &Engine,
    task_type: &str,
    total: usize,
    batch: usize,
) -> BenchResult<()> {
    let mut sent = 0;
    while sent < total {
        let size = batch.min(total - sent);
        engine
            .enqueue_many(requests(task_type, sent, size)?)
            .await?;
        sent += size;
    }
    Ok(())
}

/// An engine over `store` that runs `NOOP` and the demo types with `workers` workers.
pub fn engine_over(store: std::sync::Arc<dyn Store>, workers: usize) -> Engine {
    let mut registry = Registry::new();
    registry.register("NOOP", Noop);
    register_demo_types(&mut registry, 1.0);
    let config = EngineConfig {
        workers,
        ..EngineConfig::default()
    };
    Engine::new(store, registry, config, std::sync::Arc::new(SystemClock))
}

/// The record key of a drain with `workers` workers: 64 is the server's default.
pub fn drain_key(workers: usize) -> &'static str {
    if workers == 64 {
        "drain_default"
    } else {
        "drain"
    }
}

/// Tasks per second.
pub fn rate(count: usize, took: Duration) -> f64 {
    count as f64 / took.as_secs_f64()
}

/// Serves the whole HTTP app over `engine` on a free port; returns its base URL.
pub async fn serve_app(engine: Engine) -> BenchResult<String> {
    let settings = HttpSettings {
        api_token: None,
        cors_origins: vec![],
        body_limit: 16 << 20,
    };
    let router = app(AppState { engine }, &settings)?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, router).await });
    Ok(base)
}

/// What a commit survives on the test PostgreSQL server.
pub async fn postgres_durability() -> BenchResult<String> {
    let client = rustqueue_store_postgres::testing::inspect().await?;
    let mut settings = Vec::new();
    for name in ["synchronous_commit", "fsync"] {
        let row = client.query_one(&format!("SHOW {name}"), &[]).await?;
        settings.push(format!("{name}={}", row.get::<_, String>(0)));
    }
    Ok(format!("PostgreSQL commit ({})", settings.join(", ")))
}

/// The number of CPU cores, for headers.
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}
