//! RustQueue on PostgreSQL through the engine: bulk enqueue, and the drain of
//! no-op tasks by one node and by several nodes sharing one schema.
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
use rustqueue_bench::record::Reporter;
use rustqueue_bench::{
    BenchResult, Noop, cores, drain_key, insert, postgres_durability, rate, time_drain,
};
use rustqueue_core::clock::SystemClock;
use rustqueue_core::{Engine, EngineConfig, Registry};
use rustqueue_store_postgres::testing::{TestSchema, test_url};
use rustqueue_store_postgres::{PostgresOptions, PostgresStore};

/// Benchmark settings.
#[derive(Debug, Parser)]
#[command(about = "RustQueue benchmarks on PostgreSQL")]
struct Args {
    /// Tasks inserted, then drained.
    #[arg(long, default_value_t = 20_000)]
    tasks: usize,
    /// Tasks per bulk insert call.
    #[arg(long, default_value_t = 1_000)]
    batch: usize,
    /// Node counts to drain with, one run each.
    #[arg(long, value_delimiter = ',', default_value = "1,3")]
    nodes: Vec<usize>,
    /// Worker counts of each node; one node drains once with each, more
    /// nodes only with the first.
    #[arg(long, value_delimiter = ',', default_value = "1024,64")]
    workers: Vec<usize>,
    /// Pooled connections of each node.
    #[arg(long, default_value_t = 8)]
    pool_size: usize,
    /// Print one JSON record per line instead of text.
    #[arg(long)]
    json: bool,
}

async fn node(schema: &TestSchema, args: &Args, workers: usize) -> BenchResult<Engine> {
    let options = PostgresOptions {
        pool_size: args.pool_size,
        ..schema.options()
    };
    let store = PostgresStore::connect(&test_url(), options).await?;
    let mut registry = Registry::new();
    registry.register("NOOP", Noop);
    let config = EngineConfig {
        workers,
        ..EngineConfig::default()
    };
    Ok(Engine::new(
        Arc::new(store),
        registry,
        config,
        Arc::new(SystemClock),
    ))
}

/// One run on a fresh schema: bulk enqueue through the first node, then the
/// drain by all of them; returns (bulk tasks/s, drain tasks/s, drain seconds).
async fn run_once(args: &Args, nodes: usize, workers: usize) -> BenchResult<(f64, f64, f64)> {
    let schema = TestSchema::new();
    let mut engines = Vec::new();
    for _ in 0..nodes {
        engines.push(node(&schema, args, workers).await?);
    }
    let started = Instant::now();
    insert(&engines[0], "NOOP", args.tasks, args.batch).await?;
    let inserted = rate(args.tasks, started.elapsed());
    let took = time_drain(&engines, args.tasks).await;
    for engine in &engines {
        engine.shutdown().await;
    }
    let took = took?;
    Ok((inserted, rate(args.tasks, took), took.as_secs_f64()))
}

async fn run(args: Args) -> BenchResult<()> {
    let durability = postgres_durability().await?;
    if !args.json {
        println!(
            "RustQueue on PostgreSQL ({durability}), {} connections per node, {} cores",
            args.pool_size,
            cores()
        );
    }
    let mut bulk_done = false;
    for &nodes in &args.nodes {
        let plural = if nodes == 1 { "node" } else { "nodes" };
        let out = Reporter {
            json: args.json,
            system: format!("RustQueue PostgreSQL {nodes} {plural} (engine)"),
            durability: durability.clone(),
        };
        let worker_counts = if nodes == 1 {
            &args.workers[..]
        } else {
            &args.workers[..1]
        };
        for &workers in worker_counts {
            let (inserted, drained, secs) = run_once(&args, nodes, workers).await?;
            if !bulk_done {
                let detail = format!("engine API, batches of {}", args.batch);
                out.emit("bulk", args.tasks, inserted, detail);
                bulk_done = true;
            }
            let detail = format!(
                "{workers} workers per node, {} connections, {secs:.3} s",
                args.pool_size
            );
            out.emit(drain_key(workers), args.tasks, drained, detail);
        }
    }
    Ok(())
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    rustqueue_bench::exit_code("postgres bench", run(Args::parse()).await)
}
