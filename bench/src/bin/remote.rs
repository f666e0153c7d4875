//! Remote workers against the real `rustqueue serve` binary (SQLite): the
//! drain rate of `rustqueue worker` running `true` per task, and of a worker
//! speaking the protocol with batched leases (long polling, one `finish` call
//! per batch), side by side with the server's own in-process workers on the
//! same machine in the same run.
//!
//! Each drain starts a fresh server on a fresh SQLite file, stores the tasks
//! in the paused default queue over HTTP, then times from the queue's resume
//! to the store's count of completed tasks.
//! Run: `cargo build --release -p rustqueue-bench -p rustqueue-server &&
//! target/release/remote --help`.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use clap::Parser;
use rustqueue_bench::http_load::{client, enqueue_batches, set_paused, time_resume_to_done};
use rustqueue_bench::record::Reporter;
use rustqueue_bench::server::{NOOP_TYPE, Server, default_binary};
use rustqueue_bench::{BenchResult, rate};
use serde_json::{Value, json};
use tokio::task::JoinSet;

/// The type only remote workers run.
const REMOTE_TYPE: &str = "REMOTE_NOOP";

/// Benchmark settings.
#[derive(Debug, Parser)]
#[command(about = "Drain rates of remote workers against the real server binary")]
struct Args {
    /// The `rustqueue` binary (default: next to this one).
    #[arg(long)]
    binary: Option<PathBuf>,
    /// No-op tasks drained by each kind of worker.
    #[arg(long, default_value_t = 20_000)]
    drain: usize,
    /// Child processes `rustqueue worker` runs at once.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// Lease calls the protocol worker keeps going at once.
    #[arg(long, default_value_t = 4)]
    loops: usize,
    /// Tasks per lease call of the protocol worker.
    #[arg(long, default_value_t = 100)]
    batch: usize,
    /// Print one JSON record per line instead of text.
    #[arg(long)]
    json: bool,
}

/// A fresh server with `tasks` tasks of `task_type` in its paused default queue.
async fn loaded_server(
    binary: &Path,
    dir: &tempfile::TempDir,
    task_type: &str,
    tasks: usize,
) -> BenchResult<Server> {
    let flags = [
        "--database-url".to_owned(),
        "sqlite://tasks.db".to_owned(),
        "--remote-types".to_owned(),
        REMOTE_TYPE.to_owned(),
    ];
    let server = Server::start(binary, dir.path(), &flags).await?;
    set_paused(&server.base, "default", true).await?;
    enqueue_batches(&server.base, task_type, tasks, 1_000).await?;
    Ok(server)
}

/// The server's own 64 workers (its default), for the ratio.
async fn in_process(args: &Args, binary: &Path, out: &Reporter) -> BenchResult<f64> {
    let dir = tempfile::tempdir()?;
    let server = loaded_server(binary, &dir, NOOP_TYPE, args.drain).await?;
    let took = time_resume_to_done(&server.base, args.drain).await?;
    server.stop().await?;
    let per_second = rate(args.drain, took);
    let detail = format!("in-process, --workers 64, {:.3} s", took.as_secs_f64());
    out.emit("drain_default", args.drain, per_second, detail);
    Ok(per_second)
}

/// `rustqueue worker --concurrency N -- true`: a child process per task.
async fn worker_cli(args: &Args, binary: &Path, out: &Reporter, baseline: f64) -> BenchResult<()> {
    let dir = tempfile::tempdir()?;
    let server = loaded_server(binary, &dir, REMOTE_TYPE, args.drain).await?;
    let mut worker = tokio::process::Command::new(binary)
        .args(["worker", "--server", &server.base, "--types", REMOTE_TYPE])
        .args(["--concurrency", &args.concurrency.to_string(), "--", "true"])
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .kill_on_drop(true)
        .spawn()?;
    let took = time_resume_to_done(&server.base, args.drain).await;
    worker.kill().await?;
    let took = took?;
    server.stop().await?;
    let per_second = rate(args.drain, took);
    let detail = format!(
        "--concurrency {}, {:.3} s; {:.2}x the in-process rate",
        args.concurrency,
        took.as_secs_f64(),
        per_second / baseline
    );
    out.emit("drain_worker_cli", args.drain, per_second, detail);
    Ok(())
}

/// Posts `body` to a worker route and returns the answer's JSON.
async fn post(client: &reqwest::Client, url: &str, body: Value) -> BenchResult<Value> {
    Ok(client
        .post(url)
        .json(&body)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?)
}

/// One protocol worker loop: lease a batch (waiting for work), then report
/// the whole batch completed in one `finish` call, until `done`.
async fn protocol_loop(base: String, batch: usize, done: Arc<AtomicBool>) -> BenchResult<()> {
    let client = client()?;
    let lease = format!("{base}/api/worker/lease");
    let finish = format!("{base}/api/worker/finish");
    while !done.load(Ordering::Relaxed) {
        let body = json!({"types": [REMOTE_TYPE], "limit": batch, "wait_ms": 200});
        let answer = post(&client, &lease, body).await?;
        let completed: Vec<Value> = answer["leases"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|leased| json!({"task_id": leased["task"]["id"], "token": leased["token"]}))
            .collect();
        if completed.is_empty() {
            continue;
        }
        let answer = post(&client, &finish, json!({"complete": completed})).await?;
        if answer["lost"]
            .as_array()
            .is_some_and(|lost| !lost.is_empty())
        {
            return Err(format!("leases lost in a no-op drain: {answer}").into());
        }
    }
    Ok(())
}

/// Loops of batched leases, each batch finished in one call, over HTTP.
async fn protocol(args: &Args, binary: &Path, out: &Reporter, baseline: f64) -> BenchResult<()> {
    let dir = tempfile::tempdir()?;
    let server = loaded_server(binary, &dir, REMOTE_TYPE, args.drain).await?;
    let done = Arc::new(AtomicBool::new(false));
    let mut loops = JoinSet::new();
    for _ in 0..args.loops {
        loops.spawn(protocol_loop(server.base.clone(), args.batch, done.clone()));
    }
    let took = time_resume_to_done(&server.base, args.drain).await;
    done.store(true, Ordering::Relaxed);
    while let Some(finished) = loops.join_next().await {
        finished??;
    }
    let took = took?;
    server.stop().await?;
    let per_second = rate(args.drain, took);
    let detail = format!(
        "{} loops leasing {} at once, one finish call per batch, {:.3} s; {:.2}x the in-process rate",
        args.loops,
        args.batch,
        took.as_secs_f64(),
        per_second / baseline
    );
    out.emit("drain_protocol", args.drain, per_second, detail);
    Ok(())
}

async fn run(args: Args) -> BenchResult<()> {
    let binary = args.binary.clone().unwrap_or_else(default_binary);
    let out = Reporter {
        json: args.json,
        system: "RustQueue server, SQLite normal (remote workers)".into(),
        durability: rustqueue_bench::sqlite::durability(
            rustqueue_store_sqlite::Synchronous::Normal,
        ),
    };
    if !args.json {
        println!("{} at {}: {}", out.system, binary.display(), out.durability);
    }
    let baseline = in_process(&args, &binary, &out).await?;
    worker_cli(&args, &binary, &out, baseline).await?;
    protocol(&args, &binary, &out, baseline).await
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    rustqueue_bench::exit_code("remote bench", run(Args::parse()).await)
}
