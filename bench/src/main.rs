//! RustQueue benchmarks on SQLite: bulk enqueue, one-at-a-time enqueue over HTTP,
//! and the end-to-end drain of no-op tasks, with peak memory.
//!
//! Run: `cargo run --release -p rustqueue-bench` (see `--help`).

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use clap::Parser;
use rustqueue_bench::{Noop, payload, peak_rss_mib, rate, serve_app, time_drain};
use rustqueue_core::builtin::register_demo_types;
use rustqueue_core::clock::SystemClock;
use rustqueue_core::{Engine, EngineConfig, EnqueueRequest, Registry};
use rustqueue_store_sqlite::{SqliteOptions, SqliteStore, Synchronous};

/// Benchmark settings.
#[derive(Debug, Parser)]
#[command(about = "RustQueue benchmarks on SQLite")]
struct Args {
    /// Tasks inserted by the bulk enqueue.
    #[arg(long, default_value_t = 20_000)]
    bulk: usize,
    /// Tasks per bulk insert call.
    #[arg(long, default_value_t = 1_000)]
    bulk_batch: usize,
    /// Tasks enqueued one request at a time over HTTP.
    #[arg(long, default_value_t = 2_000)]
    single: usize,
    /// No-op tasks drained end to end.
    #[arg(long, default_value_t = 20_000)]
    drain: usize,
    /// Worker concurrency during the drain.
    #[arg(long, default_value_t = 1_024)]
    workers: usize,
    /// SQLite synchronous mode: normal or full.
    #[arg(long, default_value = "normal")]
    synchronous: String,
}

fn open(path: &Path, synchronous: Synchronous) -> Arc<SqliteStore> {
    Arc::new(
        SqliteStore::open(
            path,
            SqliteOptions {
                synchronous,
                ..SqliteOptions::default()
            },
        )
        .expect("store opens"),
    )
}

fn engine(store: Arc<SqliteStore>, workers: usize) -> Engine {
    let mut registry = Registry::new();
    registry.register("NOOP", Noop);
    register_demo_types(&mut registry, 1.0);
    let config = EngineConfig {
        workers,
        ..EngineConfig::default()
    };
    Engine::new(store, registry, config, Arc::new(SystemClock))
}

/// Inserts `count` tasks in batches through the engine (one transaction per batch).
async fn bulk_enqueue(dir: &Path, args: &Args, sync: Synchronous) {
    let engine = engine(open(&dir.join("bulk.db"), sync), 1);
    let started = Instant::now();
    let mut sent = 0;
    while sent < args.bulk {
        let size = args.bulk_batch.min(args.bulk - sent);
        let batch = (sent..sent + size)
            .map(|n| EnqueueRequest::new("NOOP", payload(n)))
            .collect();
        engine.enqueue_many(batch).await.expect("bulk insert");
        sent += size;
    }
    let took = started.elapsed();
    println!(
        "bulk enqueue      {:>7} tasks in {:>7.3} s  {:>9.0} tasks/s  (batches of {})",
        args.bulk,
        took.as_secs_f64(),
        rate(args.bulk, took),
        args.bulk_batch
    );
}

/// Enqueues over HTTP, one request at a time, each acknowledged after its commit.
async fn single_enqueue(dir: &Path, args: &Args, sync: Synchronous) {
    let engine = engine(open(&dir.join("single.db"), sync), 1);
    let url = format!("{}/api/enqueue", serve_app(engine).await);
    let client = reqwest::Client::new();
    let mut latencies = Vec::with_capacity(args.single);
    let started = Instant::now();
    for n in 0..args.single {
        let sent = Instant::now();
        let body = format!(r#"{{"payload": "task {n}", "t_type": "EMAIL"}}"#);
        let response = client.post(&url).body(body).send().await.expect("request");
        assert!(
            response.status().is_success(),
            "enqueue failed: {}",
            response.status()
        );
        latencies.push(sent.elapsed());
    }
    let took = started.elapsed();
    latencies.sort_unstable();
    let pct = |p: f64| {
        latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)].as_secs_f64()
            * 1e3
    };
    println!(
        "single enqueue    {:>7} tasks in {:>7.3} s  {:>9.0} tasks/s  (HTTP, p50 {:.2} ms, p99 {:.2} ms)",
        args.single,
        took.as_secs_f64(),
        rate(args.single, took),
        pct(0.50),
        pct(0.99)
    );
}

/// Enqueues no-op tasks with the engine stopped, then times from its start
/// until the last completion is committed.
async fn drain(dir: &Path, args: &Args, sync: Synchronous) {
    let store = open(&dir.join("drain.db"), sync);
    let engine = engine(store, args.workers);
    for chunk in (0..args.drain).collect::<Vec<_>>().chunks(5_000) {
        let batch = chunk
            .iter()
            .map(|n| EnqueueRequest::new("NOOP", payload(*n)))
            .collect();
        engine.enqueue_many(batch).await.expect("insert");
    }
    let took = time_drain(std::slice::from_ref(&engine), args.drain).await;
    engine.shutdown().await;
    println!(
        "drain (no-op)     {:>7} tasks in {:>7.3} s  {:>9.0} tasks/s  ({} workers)",
        args.drain,
        took.as_secs_f64(),
        rate(args.drain, took),
        args.workers
    );
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let sync = match args.synchronous.as_str() {
        "full" => Synchronous::Full,
        _ => Synchronous::Normal,
    };
    let dir = tempfile::tempdir().expect("temp dir");
    println!(
        "RustQueue benchmark on SQLite (WAL, synchronous={}), {} cores",
        args.synchronous,
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    bulk_enqueue(dir.path(), &args, sync).await;
    single_enqueue(dir.path(), &args, sync).await;
    drain(dir.path(), &args, sync).await;
    if let Some(peak) = peak_rss_mib() {
        println!("peak memory       {peak:.1} MiB (VmHWM of the whole benchmark process)");
    }
}
