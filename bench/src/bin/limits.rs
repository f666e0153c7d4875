//! What queue limits cost: drains of no-op tasks with no limit, with a
//! per-key limit (tasks spread over many keys), and with that limit in a
//! round-robin queue, run alternately in one process so that all see the
//! same machine, on SQLite or on PostgreSQL nodes sharing one schema. Prints
//! each kind's median and its ratio to the unlimited drain.
//!
//! Run: `cargo run --release -p rustqueue-bench --bin limits -- --help`.

use std::collections::BTreeMap;
use std::sync::Arc;

use clap::{Parser, ValueEnum};
use rustqueue_bench::sqlite::open;
use rustqueue_bench::stats::median;
use rustqueue_bench::{BenchResult, cores, payload, rate, time_drain};
use rustqueue_core::clock::SystemClock;
use rustqueue_core::limits::QueueLimits;
use rustqueue_core::{Engine, EngineConfig, EnqueueRequest, Registry, Store};
use rustqueue_store_postgres::PostgresStore;
use rustqueue_store_postgres::testing::{TestSchema, test_url};
use rustqueue_store_sqlite::Synchronous;

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Backend {
    Sqlite,
    Postgres,
}

/// Benchmark settings.
#[derive(Debug, Parser)]
#[command(about = "The cost of queue limits: limited drains beside unlimited ones")]
struct Args {
    /// Where the tasks are kept.
    #[arg(long, value_enum, default_value = "sqlite")]
    backend: Backend,
    /// Tasks per drain.
    #[arg(long, default_value_t = 20_000)]
    tasks: usize,
    /// Keys the limited drain's tasks are spread over, round robin.
    #[arg(long, default_value_t = 1_000)]
    keys: usize,
    /// The most tasks of one key running at once in the limited drain.
    #[arg(long, default_value_t = 2)]
    per_key: u32,
    /// Workers per node.
    #[arg(long, default_value_t = 64)]
    workers: usize,
    /// Nodes sharing the store (PostgreSQL only).
    #[arg(long, default_value_t = 1)]
    nodes: usize,
    /// Rounds; each runs both drains.
    #[arg(long, default_value_t = 3)]
    rounds: usize,
}

/// The queue the limited drain's tasks go to.
const LIMITED: &str = "limited";

fn engine_over(store: Arc<dyn Store>, workers: usize, limits: &Option<QueueLimits>) -> Engine {
    let mut registry = Registry::new();
    registry.register("NOOP", rustqueue_bench::Noop);
    let config = EngineConfig {
        workers,
        queue_limits: limits
            .iter()
            .map(|limits| (LIMITED.to_owned(), limits.clone()))
            .collect::<BTreeMap<_, _>>(),
        ..EngineConfig::default()
    };
    Engine::new(store, registry, config, Arc::new(SystemClock))
}

/// The engines of one drain, on a fresh store.
async fn engines(
    args: &Args,
    limits: &Option<QueueLimits>,
    dir: &std::path::Path,
    round: usize,
) -> BenchResult<(Vec<Engine>, Option<TestSchema>)> {
    match args.backend {
        Backend::Sqlite => {
            let kind = match limits {
                None => "plain",
                Some(limits) if limits.is_round_robin() => "round-robin",
                Some(_) => "limited",
            };
            let file = dir.join(format!("limits-{round}-{kind}.db"));
            let store = open(&file, Synchronous::Normal)?;
            Ok((vec![engine_over(store, args.workers, limits)], None))
        }
        Backend::Postgres => {
            let schema = TestSchema::new();
            let mut engines = Vec::new();
            for _ in 0..args.nodes.max(1) {
                let store = PostgresStore::connect(&test_url(), schema.options()).await?;
                engines.push(engine_over(Arc::new(store), args.workers, limits));
            }
            Ok((engines, Some(schema)))
        }
    }
}

/// One drain: the tasks inserted first, then timed from the engines' start.
async fn drain(
    args: &Args,
    limits: Option<QueueLimits>,
    dir: &std::path::Path,
    round: usize,
) -> BenchResult<f64> {
    let (engines, schema) = engines(args, &limits, dir, round).await?;
    let keyed = limits.is_some();
    for first in (0..args.tasks).step_by(5_000) {
        let batch = (first..(first + 5_000).min(args.tasks))
            .map(|n| {
                Ok(EnqueueRequest {
                    queue: Some(LIMITED.to_owned()),
                    concurrency_key: keyed.then(|| format!("key-{}", n % args.keys.max(1))),
                    ..EnqueueRequest::new("NOOP", payload(n)?)
                })
            })
            .collect::<BenchResult<Vec<_>>>()?;
        engines[0].enqueue_many(batch).await?;
    }
    let took = time_drain(&engines, args.tasks).await?;
    for engine in &engines {
        engine.shutdown().await;
    }
    drop(schema);
    Ok(rate(args.tasks, took))
}

async fn run(args: Args) -> BenchResult<()> {
    let dir = tempfile::tempdir()?;
    let per_key = QueueLimits {
        per_key_limit: Some(args.per_key),
        ..QueueLimits::default()
    };
    let fair = QueueLimits {
        fairness: Some(rustqueue_core::limits::Fairness::RoundRobin),
        ..per_key.clone()
    };
    let (mut plain, mut limited, mut turns) = (Vec::new(), Vec::new(), Vec::new());
    println!(
        "{:?}, {} nodes x {} workers, {} tasks, {} cores",
        args.backend,
        args.nodes,
        args.workers,
        args.tasks,
        cores()
    );
    for round in 0..args.rounds {
        plain.push(drain(&args, None, dir.path(), round).await?);
        limited.push(drain(&args, Some(per_key.clone()), dir.path(), round).await?);
        turns.push(drain(&args, Some(fair.clone()), dir.path(), round).await?);
        println!(
            "round {round}: unlimited {:.0}/s, {} per key over {} keys {:.0}/s, \
             round-robin {:.0}/s",
            plain[round], args.per_key, args.keys, limited[round], turns[round]
        );
    }
    let [plain, limited, turns] = [plain, limited, turns].map(|r| median(&r).unwrap_or(0.0));
    println!(
        "median: unlimited {plain:.0}/s, limited {limited:.0}/s (ratio {:.2}), \
         round-robin {turns:.0}/s (ratio {:.2})",
        limited / plain,
        turns / plain
    );
    Ok(())
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    rustqueue_bench::exit_code("limits", run(Args::parse()).await)
}
