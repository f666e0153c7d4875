//! RustQueue benchmarks on SQLite through the engine: bulk enqueue,
//! one-at-a-time enqueue over HTTP (the app served in this process), and the
//! end-to-end drain of no-op tasks at each worker count.
//!
//! Run: `cargo run --release -p rustqueue-bench` (see `--help`); `--json`
//! prints one JSON record per line for `scripts/bench`.

use std::path::Path;

use clap::Parser;
use rustqueue_bench::http_load::enqueue_concurrently;
use rustqueue_bench::record::Reporter;
use rustqueue_bench::sqlite::{durability, engine, open};
use rustqueue_bench::{
    BenchResult, cores, drain_key, insert, peak_rss_mib, rate, serve_app, time_drain,
};
use rustqueue_store_sqlite::Synchronous;

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
    /// Worker counts to drain with, one drain each (64 is the server's default).
    #[arg(long, value_delimiter = ',', default_value = "1024,64")]
    workers: Vec<usize>,
    /// SQLite synchronous mode: normal, full or extra (any other value is refused).
    #[arg(long, default_value = "normal")]
    synchronous: Synchronous,
    /// Print one JSON record per line instead of text.
    #[arg(long)]
    json: bool,
}

/// Inserts tasks in batches through the engine (one transaction per batch).
async fn bulk_enqueue(dir: &Path, args: &Args, out: &Reporter) -> BenchResult<()> {
    let engine = engine(open(&dir.join("bulk.db"), args.synchronous)?, 1);
    let started = std::time::Instant::now();
    insert(&engine, "NOOP", args.bulk, args.bulk_batch).await?;
    let detail = format!("engine API, batches of {}", args.bulk_batch);
    out.emit(
        "bulk",
        args.bulk,
        rate(args.bulk, started.elapsed()),
        detail,
    );
    Ok(())
}

/// Enqueues over HTTP, one request at a time, each acknowledged after its commit.
async fn single_enqueue(dir: &Path, args: &Args, out: &Reporter) -> BenchResult<()> {
    let engine = engine(open(&dir.join("single.db"), args.synchronous)?, 1);
    let base = serve_app(engine).await?;
    let run = enqueue_concurrently(&base, "EMAIL", args.single, 1).await?;
    let detail = format!(
        "POST /api/enqueue, in-process server; {}",
        run.latencies.summary()
    );
    out.emit("single", args.single, run.rate(), detail);
    Ok(())
}

/// Enqueues no-op tasks with the engine stopped, then times from its start
/// until the last completion is committed.
async fn drain(dir: &Path, args: &Args, workers: usize, out: &Reporter) -> BenchResult<()> {
    let store = open(&dir.join(format!("drain-{workers}.db")), args.synchronous)?;
    let engine = engine(store, workers);
    insert(&engine, "NOOP", args.drain, 5_000).await?;
    let took = time_drain(std::slice::from_ref(&engine), args.drain).await?;
    engine.shutdown().await;
    let detail = format!("{workers} workers, {:.3} s", took.as_secs_f64());
    out.emit(
        drain_key(workers),
        args.drain,
        rate(args.drain, took),
        detail,
    );
    Ok(())
}

async fn run(args: Args) -> BenchResult<()> {
    let dir = tempfile::tempdir()?;
    let mode = args.synchronous.as_pragma().to_lowercase();
    let out = Reporter {
        json: args.json,
        system: format!("RustQueue SQLite {mode} (engine)"),
        durability: durability(args.synchronous),
    };
    if !args.json {
        println!(
            "RustQueue on SQLite ({}), {} cores",
            out.durability,
            cores()
        );
    }
    bulk_enqueue(dir.path(), &args, &out).await?;
    single_enqueue(dir.path(), &args, &out).await?;
    for &workers in &args.workers {
        drain(dir.path(), &args, workers, &out).await?;
    }
    if let (false, Some(peak)) = (args.json, peak_rss_mib()) {
        println!("peak memory of this whole benchmark process (VmHWM): {peak:.1} MiB");
    }
    Ok(())
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    rustqueue_bench::exit_code("rustqueue-bench", run(Args::parse()).await)
}
