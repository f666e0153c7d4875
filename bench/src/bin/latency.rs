//! Enqueue-to-start latency over HTTP: the time from sending `POST /api/tasks`
//! until the task's handler starts, idle and while 32 other clients keep
//! enqueueing no-op tasks that the same workers run.
//!
//! The engine (SQLite, default 64 workers) and its HTTP app run in this
//! process with a probe handler that notes when it starts, so one clock times
//! both ends. Run: `cargo run --release -p rustqueue-bench --bin latency`.

use std::time::{Duration, Instant};

use async_trait::async_trait;
use clap::Parser;
use rustqueue_bench::http_load::{client, enqueue_concurrently};
use rustqueue_bench::record::Reporter;
use rustqueue_bench::sqlite::{durability, open};
use rustqueue_bench::stats::Latencies;
use rustqueue_bench::{BenchResult, Noop, serve_app};
use rustqueue_core::clock::SystemClock;
use rustqueue_core::{Engine, EngineConfig, HandlerResult, Registry, TaskContext, TaskHandler};
use rustqueue_store_sqlite::Synchronous;
use serde_json::json;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};

/// Benchmark settings.
#[derive(Debug, Parser)]
#[command(about = "RustQueue enqueue-to-start latency over HTTP")]
struct Args {
    /// Probes timed in each case.
    #[arg(long, default_value_t = 500)]
    probes: usize,
    /// Pause between probes, in milliseconds.
    #[arg(long, default_value_t = 5)]
    gap_ms: u64,
    /// Worker concurrency (64 is the server's default).
    #[arg(long, default_value_t = 64)]
    workers: usize,
    /// Clients enqueueing no-op tasks during the loaded case.
    #[arg(long, default_value_t = 32)]
    load_clients: usize,
    /// Print one JSON record per line instead of text.
    #[arg(long)]
    json: bool,
}

/// Notes the moment it starts, with the probe's number (its payload).
struct Probe(UnboundedSender<(u64, Instant)>);

#[async_trait]
impl TaskHandler for Probe {
    async fn run(&self, ctx: &TaskContext) -> HandlerResult {
        let started = Instant::now();
        let n = ctx.task().payload.get().parse().unwrap_or(u64::MAX);
        // The receiver only goes away once the benchmark is over.
        let _ = self.0.send((n, started));
        Ok(None)
    }

    fn description(&self) -> String {
        "notes when it starts".into()
    }
}

/// Sends probes one after another and times each until its handler starts.
async fn probe(
    base: &str,
    args: &Args,
    first: u64,
    starts: &mut UnboundedReceiver<(u64, Instant)>,
) -> BenchResult<Latencies> {
    let client = client()?;
    let mut latencies = Vec::with_capacity(args.probes);
    for n in first..first + args.probes as u64 {
        let sent = Instant::now();
        client
            .post(format!("{base}/api/tasks"))
            .json(&json!({"type": "PROBE", "payload": n}))
            .send()
            .await?
            .error_for_status()?;
        loop {
            let next = tokio::time::timeout(Duration::from_secs(30), starts.recv()).await;
            match next.map_err(|_| "a probe did not start within 30 s")? {
                Some((started, at)) if started == n => {
                    latencies.push(at.saturating_duration_since(sent));
                    break;
                }
                Some(_) => continue,
                None => return Err("the probe handler is gone".into()),
            }
        }
        tokio::time::sleep(Duration::from_millis(args.gap_ms)).await;
    }
    Ok(Latencies::new(latencies))
}

async fn run(args: Args) -> BenchResult<()> {
    let dir = tempfile::tempdir()?;
    let (tx, mut starts) = unbounded_channel();
    let mut registry = Registry::new();
    registry.register("NOOP", Noop).register("PROBE", Probe(tx));
    let config = EngineConfig {
        workers: args.workers,
        ..EngineConfig::default()
    };
    let store = open(&dir.path().join("latency.db"), Synchronous::Normal)?;
    let engine = Engine::new(store, registry, config, std::sync::Arc::new(SystemClock));
    engine.start().await?;
    let base = serve_app(engine.clone()).await?;
    let out = Reporter {
        json: args.json,
        system: "RustQueue SQLite normal (engine)".into(),
        durability: durability(Synchronous::Normal),
    };
    let idle = probe(&base, &args, 0, &mut starts).await?;
    let detail = format!(
        "{} workers, POST /api/tasks; {}",
        args.workers,
        idle.summary()
    );
    out.emit("latency_idle", args.probes, idle.ms(0.99), detail);

    let load_base = base.clone();
    let clients = args.load_clients;
    let load = tokio::spawn(async move {
        enqueue_concurrently(&load_base, "NOOP", usize::MAX / 2, clients).await
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    let loaded = probe(&base, &args, args.probes as u64, &mut starts).await;
    load.abort();
    let loaded = loaded?;
    let counts = engine.counts().await?;
    let detail = format!(
        "{} workers, {clients} clients enqueueing no-op tasks meanwhile ({} tasks in all); {}",
        args.workers,
        counts.by_status.values().sum::<u64>(),
        loaded.summary()
    );
    out.emit("latency_load", args.probes, loaded.ms(0.99), detail);
    engine.shutdown().await;
    Ok(())
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    rustqueue_bench::exit_code("latency bench", run(Args::parse()).await)
}
