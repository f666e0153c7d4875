//! RustQueue on PostgreSQL: bulk enqueue, and the drain of no-op tasks by one
//! node and by several nodes sharing one schema.
//!
//! Each node is an engine with its own connection pool and LISTEN connection,
//! as a separate process would have; they run in this one process so that one
//! clock times them all. Each run makes a schema of its own in the database
//! named by `RUSTQUEUE_TEST_POSTGRES_URL` (the machine's `test` database by
//! default) and drops it afterwards.
//! Run: `cargo run --release -p rustqueue-bench --bin postgres` (see `--help`).

use std::sync::Arc;
use std::time::Instant;

use clap::Parser;
use rustqueue_bench::{Noop, payload, rate, time_drain};
use rustqueue_core::clock::SystemClock;
use rustqueue_core::{Engine, EngineConfig, EnqueueRequest, Registry};
use rustqueue_store_postgres::testing::{TestSchema, test_url};
use rustqueue_store_postgres::{PostgresOptions, PostgresStore};

/// Benchmark settings.
#[derive(Debug, Parser)]
#[command(about = "RustQueue benchmarks on PostgreSQL")]
struct Args {
    /// Tasks inserted, then drained.
    #[arg(long, default_value_t = 100_000)]
    tasks: usize,
    /// Tasks per bulk insert call.
    #[arg(long, default_value_t = 5_000)]
    batch: usize,
    /// Node counts to drain with, one run each.
    #[arg(long, value_delimiter = ',', default_value = "1,3")]
    nodes: Vec<usize>,
    /// Worker concurrency of each node.
    #[arg(long, default_value_t = 1_024)]
    workers: usize,
    /// Pooled connections of each node.
    #[arg(long, default_value_t = 8)]
    pool_size: usize,
}

async fn node(schema: &TestSchema, args: &Args) -> Engine {
    let options = PostgresOptions {
        pool_size: args.pool_size,
        ..schema.options()
    };
    let store = PostgresStore::connect(&test_url(), options)
        .await
        .expect("connect");
    let mut registry = Registry::new();
    registry.register("NOOP", Noop);
    let config = EngineConfig {
        workers: args.workers,
        ..EngineConfig::default()
    };
    Engine::new(Arc::new(store), registry, config, Arc::new(SystemClock))
}

/// Inserts `args.tasks` tasks in batches through one node; returns tasks/s.
async fn bulk_enqueue(engine: &Engine, args: &Args) -> f64 {
    let started = Instant::now();
    let mut sent = 0;
    while sent < args.tasks {
        let size = args.batch.min(args.tasks - sent);
        let batch = (sent..sent + size)
            .map(|n| EnqueueRequest::new("NOOP", payload(n)))
            .collect();
        engine.enqueue_many(batch).await.expect("bulk insert");
        sent += size;
    }
    rate(args.tasks, started.elapsed())
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    println!(
        "RustQueue benchmark on PostgreSQL, {} tasks, {} workers and {} connections per node, {} cores",
        args.tasks,
        args.workers,
        args.pool_size,
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    for &nodes in &args.nodes {
        let schema = TestSchema::new();
        let mut engines = Vec::new();
        for _ in 0..nodes {
            engines.push(node(&schema, &args).await);
        }
        let inserted = bulk_enqueue(&engines[0], &args).await;
        let took = time_drain(&engines, args.tasks).await;
        for engine in &engines {
            engine.shutdown().await;
        }
        println!(
            "{nodes} node(s): bulk enqueue {inserted:>7.0} tasks/s (batches of {}); drain {:>7.0} tasks/s ({:.2} s)",
            args.batch,
            rate(args.tasks, took),
            took.as_secs_f64()
        );
    }
}
