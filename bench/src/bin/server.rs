//! The real `rustqueue serve` binary over HTTP: its memory idle, with many
//! tasks queued and in a drain; enqueue one request at a time, from 32
//! concurrent clients and in batches; and the drain at each worker count,
//! timed from the queue's resume to the store's count of completed tasks.
//!
//! Each phase starts a fresh server on a fresh store (a SQLite file in a
//! temporary folder, or a schema of its own in the test PostgreSQL database,
//! dropped afterwards). Tasks to drain are stored beforehand by this process
//! into a paused queue, so the server's memory counts only its own work.
//! Run: `cargo build --release -p rustqueue-bench -p rustqueue-server &&
//! target/release/server --help`.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::{Parser, ValueEnum};
use rustqueue_bench::http_load::{
    client, completed, enqueue_batches, enqueue_concurrently, set_paused, time_resume_to_done,
};
use rustqueue_bench::record::Reporter;
use rustqueue_bench::server::{NOOP_TYPE, Server, default_binary};
use rustqueue_bench::{BenchResult, drain_key, engine_over, insert, rate};
use rustqueue_core::Store;
use rustqueue_store_postgres::PostgresStore;
use rustqueue_store_postgres::testing::{TestSchema, test_url};
use rustqueue_store_sqlite::Synchronous;

/// The store the server runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Database {
    /// A SQLite file (synchronous=normal, the default).
    Sqlite,
    /// A schema in the test PostgreSQL database.
    Postgres,
}

/// Benchmark settings.
#[derive(Debug, Parser)]
#[command(about = "RustQueue benchmarks against the real server binary over HTTP")]
struct Args {
    /// The `rustqueue` binary (default: next to this one).
    #[arg(long)]
    binary: Option<PathBuf>,
    /// The store the server runs on.
    #[arg(long, value_enum, default_value_t = Database::Sqlite)]
    database: Database,
    /// Tasks enqueued one request at a time.
    #[arg(long, default_value_t = 2_000)]
    single: usize,
    /// Tasks enqueued by the concurrent clients together.
    #[arg(long, default_value_t = 20_000)]
    concurrent: usize,
    /// Concurrent clients.
    #[arg(long, default_value_t = 32)]
    clients: usize,
    /// Tasks enqueued through `POST /api/tasks/batch`, 1,000 per request.
    #[arg(long, default_value_t = 20_000)]
    bulk: usize,
    /// No-op tasks drained.
    #[arg(long, default_value_t = 20_000)]
    drain: usize,
    /// `--workers` of the server, one drain each; the first one's peak memory is reported.
    #[arg(long, value_delimiter = ',', default_value = "64,1024")]
    workers: Vec<usize>,
    /// Tasks queued for the memory measurement with a large backlog; 0 skips it.
    #[arg(long, default_value_t = 1_000_000)]
    queued: usize,
    /// Print one JSON record per line instead of text.
    #[arg(long)]
    json: bool,
}

/// A fresh store for one server: a folder (and file) or a schema.
struct Fresh {
    dir: tempfile::TempDir,
    schema: Option<TestSchema>,
}

impl Fresh {
    fn new(database: Database) -> BenchResult<Self> {
        Ok(Self {
            dir: tempfile::tempdir()?,
            schema: (database == Database::Postgres).then(TestSchema::new),
        })
    }

    /// The server's store flags.
    fn flags(&self) -> Vec<String> {
        match &self.schema {
            None => vec!["--database-url".into(), "sqlite://tasks.db".into()],
            Some(schema) => vec![
                "--database-url".into(),
                test_url(),
                "--postgres-schema".into(),
                schema.name.clone(),
            ],
        }
    }

    /// Opens the store in this process, to fill it before the server starts.
    async fn open(&self) -> BenchResult<Arc<dyn Store>> {
        Ok(match &self.schema {
            None => rustqueue_bench::sqlite::open(
                &self.dir.path().join("tasks.db"),
                Synchronous::Normal,
            )?,
            Some(schema) => Arc::new(PostgresStore::connect(&test_url(), schema.options()).await?),
        })
    }

    /// Stores `tasks` no-op tasks in the paused default queue, then closes the store.
    async fn fill(&self, tasks: usize) -> BenchResult<()> {
        let engine = engine_over(self.open().await?, 1);
        engine.set_queue_paused("default", true).await?;
        insert(&engine, NOOP_TYPE, tasks, 10_000).await
    }

    async fn serve(&self, binary: &Path, extra: &[String]) -> BenchResult<Server> {
        let mut flags = self.flags();
        flags.extend_from_slice(extra);
        Server::start(binary, self.dir.path(), &flags).await
    }
}

/// Idle memory, then the three enqueue loads into a paused queue.
async fn enqueues(args: &Args, binary: &Path, out: &Reporter) -> BenchResult<()> {
    let fresh = Fresh::new(args.database)?;
    let server = fresh.serve(binary, &[]).await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let idle = server.memory()?;
    out.emit(
        "rss_idle",
        0,
        idle.rss_mib,
        format!("VmHWM {:.1} MiB", idle.peak_mib),
    );
    set_paused(&server.base, "default", true).await?;
    let single = enqueue_concurrently(&server.base, NOOP_TYPE, args.single, 1).await?;
    let detail = format!("POST /api/enqueue; {}", single.latencies.summary());
    out.emit("single", args.single, single.rate(), detail);
    let many = enqueue_concurrently(&server.base, NOOP_TYPE, args.concurrent, args.clients).await?;
    let detail = format!(
        "{} clients, POST /api/enqueue; {}",
        args.clients,
        many.latencies.summary()
    );
    out.emit("concurrent", args.concurrent, many.rate(), detail);
    let bulk = enqueue_batches(&server.base, NOOP_TYPE, args.bulk, 1_000).await?;
    let detail = format!(
        "POST /api/tasks/batch; per request {}",
        bulk.latencies.summary()
    );
    out.emit("bulk_http", args.bulk, bulk.rate(), detail);
    server.stop().await
}

/// One drain at `workers`; the first also reports the server's peak memory.
async fn drain(
    args: &Args,
    binary: &Path,
    workers: usize,
    first: bool,
    out: &Reporter,
) -> BenchResult<()> {
    let fresh = Fresh::new(args.database)?;
    fresh.fill(args.drain).await?;
    let server = fresh
        .serve(binary, &["--workers".into(), workers.to_string()])
        .await?;
    let took = time_resume_to_done(&server.base, args.drain).await?;
    let memory = server.memory()?;
    server.stop().await?;
    let detail = format!(
        "--workers {workers}, {:.3} s, polled every 5 ms",
        took.as_secs_f64()
    );
    out.emit(
        drain_key(workers),
        args.drain,
        rate(args.drain, took),
        detail,
    );
    if first {
        let detail = format!(
            "VmHWM of the server, --workers {workers} (the database's own memory not included)"
        );
        out.emit("peak_mib", args.drain, memory.peak_mib, detail);
    }
    Ok(())
}

/// The server's memory with `args.queued` tasks waiting in a paused queue.
async fn queued(args: &Args, binary: &Path, out: &Reporter) -> BenchResult<()> {
    let fresh = Fresh::new(args.database)?;
    let loaded = Instant::now();
    fresh.fill(args.queued).await?;
    let loaded = loaded.elapsed();
    let server = fresh.serve(binary, &[]).await?;
    completed(&client()?, &server.base).await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let memory = server.memory()?;
    server.stop().await?;
    let detail = format!(
        "VmHWM {:.1} MiB; loaded in {:.1} s",
        memory.peak_mib,
        loaded.as_secs_f64()
    );
    out.emit("rss_queued", args.queued, memory.rss_mib, detail);
    Ok(())
}

async fn run(args: Args) -> BenchResult<()> {
    let binary = args.binary.clone().unwrap_or_else(default_binary);
    let (name, durability) = match args.database {
        Database::Sqlite => (
            "SQLite normal",
            rustqueue_bench::sqlite::durability(Synchronous::Normal),
        ),
        Database::Postgres => ("PostgreSQL", rustqueue_bench::postgres_durability().await?),
    };
    let out = Reporter {
        json: args.json,
        system: format!("RustQueue server, {name} (HTTP)"),
        durability,
    };
    if !args.json {
        println!("{} at {}: {}", out.system, binary.display(), out.durability);
    }
    enqueues(&args, &binary, &out).await?;
    for (i, &workers) in args.workers.iter().enumerate() {
        drain(&args, &binary, workers, i == 0, &out).await?;
    }
    if args.queued > 0 {
        queued(&args, &binary, &out).await?;
    }
    Ok(())
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    rustqueue_bench::exit_code("server bench", run(Args::parse()).await)
}
