//! Retention under load (SQLite): how much one-at-a-time enqueues slow down
//! while retention deletes a million completed tasks and their history.
//!
//! Fills a SQLite file with `--tasks` no-op tasks and runs them all to
//! `COMPLETED`. Then an engine with retention off measures enqueue latency
//! (each enqueue answered after its commit, into a paused queue so nothing
//! runs); then an engine whose retention deletes every finished task does the
//! same while it prunes, until all are gone. Prints both latency summaries
//! and the prune rate.
//! Run: `cargo build --release -p rustqueue-bench && target/release/prune --help`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use rustqueue_bench::stats::Latencies;
use rustqueue_bench::{BenchResult, Noop, insert, payload, time_drain};
use rustqueue_core::clock::SystemClock;
use rustqueue_core::engine::Retention;
use rustqueue_core::{Engine, EngineConfig, EnqueueRequest, Registry, Store};
use rustqueue_store_sqlite::Synchronous;

/// Benchmark settings.
#[derive(Debug, Parser)]
#[command(about = "Enqueue latency while retention prunes a million tasks (SQLite)")]
struct Args {
    /// Completed tasks to prune.
    #[arg(long, default_value_t = 1_000_000)]
    tasks: usize,
    /// Enqueues timed with retention off, for the baseline.
    #[arg(long, default_value_t = 2_000)]
    probes: usize,
    /// Retention's period, in milliseconds (the server's is a minute); a turn
    /// deletes for at most half of it.
    #[arg(long, default_value_t = 2_000)]
    every_ms: u64,
}

/// An engine over `store` running `NOOP` with `workers` workers and this retention.
fn engine(store: Arc<dyn Store>, workers: usize, retention: Retention) -> Engine {
    let mut registry = Registry::new();
    registry.register("NOOP", Noop);
    let config = EngineConfig {
        workers,
        retention,
        ..EngineConfig::default()
    };
    Engine::new(store, registry, config, Arc::new(SystemClock))
}

fn no_retention() -> Retention {
    Retention {
        completed: None,
        failed: None,
        ..Retention::default()
    }
}

/// One enqueue into the paused `probe` queue, timed until its commit.
async fn probe(engine: &Engine, n: usize) -> BenchResult<Duration> {
    let mut request = EnqueueRequest::new("NOOP", payload(n)?);
    request.queue = Some("probe".to_owned());
    let sent = Instant::now();
    engine.enqueue(request).await?;
    Ok(sent.elapsed())
}

async fn run(args: Args) -> BenchResult<()> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("prune.db");
    let store: Arc<dyn Store> = rustqueue_bench::sqlite::open(&path, Synchronous::Normal)?;

    let filling = Instant::now();
    let runner = engine(store.clone(), 1_024, no_retention());
    insert(&runner, "NOOP", args.tasks, 10_000).await?;
    time_drain(std::slice::from_ref(&runner), args.tasks).await?;
    runner.shutdown().await;
    println!(
        "{} completed tasks stored and run in {:.1} s",
        args.tasks,
        filling.elapsed().as_secs_f64()
    );

    let quiet = engine(store.clone(), 1, no_retention());
    quiet.set_queue_paused("probe", true).await?;
    quiet.start().await?;
    let mut samples = Vec::with_capacity(args.probes);
    for n in 0..args.probes {
        samples.push(probe(&quiet, n).await?);
    }
    quiet.shutdown().await;
    println!(
        "enqueue, retention idle:     {}",
        Latencies::new(samples).summary()
    );

    let retention = Retention {
        completed: Some(Duration::from_millis(1)),
        failed: None,
        every: Duration::from_millis(args.every_ms),
        ..Retention::default()
    };
    let pruner = engine(store, 1, retention);
    pruner.start().await?;
    let started = Instant::now();
    let mut samples = Vec::new();
    while pruner.node_stats().pruned.0 < args.tasks as u64 {
        samples.push(probe(&pruner, samples.len()).await?);
        if started.elapsed() > Duration::from_secs(900) {
            return Err("pruning took more than 15 minutes".into());
        }
    }
    let took = started.elapsed();
    pruner.shutdown().await;
    println!(
        "enqueue, while pruning:      {}",
        Latencies::new(samples).summary()
    );
    println!(
        "pruned {} tasks and their history in {:.1} s: {:.0} tasks/s",
        args.tasks,
        took.as_secs_f64(),
        args.tasks as f64 / took.as_secs_f64()
    );
    Ok(())
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    rustqueue_bench::exit_code("prune bench", run(Args::parse()).await)
}
