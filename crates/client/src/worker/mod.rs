//! `rustqueue worker`: runs a command for each task of the given types,
//! leased from a RustQueue server over the worker protocol, so tasks can be
//! handled by a program in any language.
//!
//! The worker leases only as many tasks as it has free slots, with long
//! polling so new work starts at once; renews its leases every third of a
//! lease; reports each attempt's outcome; keeps retrying, with back-off,
//! while the server cannot be reached; and on SIGTERM or Ctrl-C stops
//! leasing, lets running commands finish within the grace period, then kills
//! the rest and hands their tasks back, so a restart uses up no attempt.
//! Every call names the worker (`--worker-id`, by default `<hostname>:<pid>`),
//! and at start it warns about asked-for types it will never or rarely get.
//!
//! Layout:
//! - [`protocol`]: the worker protocol's calls, and the back-off between them.
//! - [`leases`]: the held leases and the heartbeat that renews them.
//! - `attempt`: one leased task, start to end.
//! - [`child`]: running the command in a process group of its own.
//! - [`outcome`]: how a command's ending becomes a report.
//! - `types`: the warning about types the server runs itself or does not know.

mod attempt;
pub mod child;
pub mod leases;
pub mod outcome;
pub mod protocol;
mod types;

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::client::{ApiClient, ClientError, ServerArgs};
use crate::logging::LogFormat;
use crate::wire::worker::LeasedTask;
use leases::HeldLeases;
use protocol::{Backoff, Identity, MAX_PER_HEARTBEAT, Protocol};

/// The exit status that fails a task permanently, by default: EX_DATAERR
/// from sysexits.h, "the input data was incorrect", which no retry fixes.
pub const DEFAULT_PERMANENT_EXIT_CODE: u8 = 65;

/// How long attempts killed at the end of the grace period get to report.
const REPORT_WINDOW: Duration = Duration::from_secs(10);

/// Settings of `rustqueue worker`; every flag has an environment variable twin.
#[derive(Debug, Args)]
pub struct WorkerArgs {
    #[command(flatten)]
    server: ServerArgs,

    /// Comma-separated task types to lease (the server declares them with --remote-types).
    #[arg(
        long,
        env = "RUSTQUEUE_WORKER_TYPES",
        value_delimiter = ',',
        required = true
    )]
    types: Vec<String>,

    /// Tasks run at once, each in its own child process.
    #[arg(long, env = "RUSTQUEUE_WORKER_CONCURRENCY", default_value_t = 1,
          value_parser = clap::value_parser!(u32).range(1..=MAX_PER_HEARTBEAT as i64))]
    concurrency: u32,

    /// Per-attempt timeout, in seconds, of tasks that set no `timeout_ms`; the
    /// command's whole process group is killed then and the attempt fails.
    #[arg(long, env = "RUSTQUEUE_WORKER_TIMEOUT_SECS", default_value_t = 300,
          value_parser = clap::value_parser!(u64).range(1..))]
    timeout_secs: u64,

    /// Seconds a lease lasts without a heartbeat (default: the server's --lease-secs).
    #[arg(long, env = "RUSTQUEUE_WORKER_LEASE_SECS",
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    lease_secs: Option<u64>,

    /// The command's exit status that means no retry can help: the task ends FAILED at once.
    #[arg(long, env = "RUSTQUEUE_WORKER_PERMANENT_EXIT_CODE", default_value_t = DEFAULT_PERMANENT_EXIT_CODE,
          value_parser = clap::value_parser!(u8).range(1..))]
    permanent_exit_code: u8,

    /// Seconds running commands get to finish after SIGTERM or Ctrl-C before they are killed.
    #[arg(
        long,
        env = "RUSTQUEUE_WORKER_SHUTDOWN_GRACE_SECS",
        default_value_t = 30
    )]
    shutdown_grace_secs: u64,

    /// This worker's id, shown by `GET /api/workers` and written as the
    /// lease holder of its tasks (default: `<hostname>:<pid>`).
    #[arg(long, env = "RUSTQUEUE_WORKER_ID")]
    worker_id: Option<String>,

    /// Log line format (on stderr).
    #[arg(long, env = "RUSTQUEUE_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    /// The command to run for each task, with its arguments, after `--`.
    #[arg(last = true, required = true, value_name = "COMMAND")]
    command: Vec<String>,
}

/// What every attempt of this worker shares.
struct Context {
    protocol: Protocol,
    held: HeldLeases,
    command: Vec<String>,
    default_timeout: Duration,
    permanent_exit_code: u8,
    /// Cancelled when the grace period is over: running commands are killed.
    kill_all: CancellationToken,
}

/// Runs the worker until SIGTERM or Ctrl-C (exit 0), or until the server
/// refuses to lease (a wrong token or type; exit 1).
pub async fn run(args: WorkerArgs) -> ExitCode {
    let context = match context(&args) {
        Ok(context) => Arc::new(context),
        Err(error) => {
            eprintln!("rustqueue worker: {error}");
            return ExitCode::from(2);
        }
    };
    let (stopping, hurry) = match watch_signals() {
        Ok(tokens) => tokens,
        Err(error) => {
            eprintln!("rustqueue worker: cannot handle signals: {error}");
            return ExitCode::FAILURE;
        }
    };
    tracing::info!(server = %args.server.server, types = ?args.types, concurrency = args.concurrency, "worker started");
    types::warn_about_types(&context.protocol).await;
    let slots = Arc::new(Semaphore::new(args.concurrency as usize));
    let beats_stop = CancellationToken::new();
    let beats = tokio::spawn(keep_alive(context.clone(), beats_stop.clone()));
    let refused = lease_loop(&context, &slots, &stopping).await;
    let grace = Duration::from_secs(args.shutdown_grace_secs);
    drain(&context, &slots, args.concurrency, grace, &hurry).await;
    beats_stop.cancel();
    let _ = beats.await;
    match refused {
        Ok(()) => {
            tracing::info!("worker stopped");
            ExitCode::SUCCESS
        }
        Err(error) => {
            tracing::error!("the server refused to lease: {error}");
            ExitCode::FAILURE
        }
    }
}

fn context(args: &WorkerArgs) -> Result<Context, ClientError> {
    child::check_program(&args.command[0]).map_err(ClientError::Invalid)?;
    let lease = args.lease_secs.map(Duration::from_secs);
    let types = args.types.iter().map(|t| t.trim().to_owned()).collect();
    let identity = Identity {
        id: (args.worker_id.clone()).unwrap_or_else(|| {
            format!(
                "{}:{}",
                rustqueue_core::engine::hostname(),
                std::process::id()
            )
        }),
        concurrency: args.concurrency,
    };
    rustqueue_core::engine::check_worker_id(&identity.id)
        .map_err(|error| ClientError::Invalid(format!("--worker-id: {error}")))?;
    Ok(Context {
        protocol: Protocol::new(ApiClient::new(&args.server)?, types, lease, identity),
        held: HeldLeases::default(),
        command: args.command.clone(),
        default_timeout: Duration::from_secs(args.timeout_secs),
        permanent_exit_code: args.permanent_exit_code,
        kill_all: CancellationToken::new(),
    })
}

async fn keep_alive(context: Arc<Context>, stop: CancellationToken) {
    leases::keep_alive(&context.held, &context.protocol, stop).await;
}

/// The first SIGTERM or SIGINT cancels `stopping` (stop leasing, start the
/// grace period); a second one cancels `hurry` (skip what is left of it).
fn watch_signals() -> std::io::Result<(CancellationToken, CancellationToken)> {
    let mut terminate = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    let (stopping, hurry) = (CancellationToken::new(), CancellationToken::new());
    let (stop, rush) = (stopping.clone(), hurry.clone());
    tokio::spawn(async move {
        for (token, what) in [
            (stop, "stopping: no new tasks"),
            (rush, "killing running commands now"),
        ] {
            tokio::select! {
                _ = terminate.recv() => {}
                _ = interrupt.recv() => {}
            }
            // Cancelled before it is logged: whoever reads the line finds
            // the worker already stopped.
            token.cancel();
            tracing::info!("{what}");
        }
    });
    Ok((stopping, hurry))
}

/// Leases tasks for free slots until `stopping`; a refusal that waiting
/// cannot fix (401, an unknown type) ends it with that error.
async fn lease_loop(
    context: &Arc<Context>,
    slots: &Arc<Semaphore>,
    stopping: &CancellationToken,
) -> Result<(), ClientError> {
    let mut backoff = Backoff::new();
    let mut failing = false;
    loop {
        // Biased: once stopping, no lease call starts or is answered.
        let free = tokio::select! {
            biased;
            () = stopping.cancelled() => return Ok(()),
            free = free_slots(slots) => free,
        };
        let since = Instant::now();
        // Dropping a waiting call closes its connection, and the server stops
        // waiting with it. Only an answer already on its way is lost: its
        // leases lapse and the tasks run again, so at-least-once still holds.
        let answer = tokio::select! {
            biased;
            () = stopping.cancelled() => return Ok(()),
            answer = context.protocol.lease_tasks(free.len()) => answer,
        };
        match answer {
            Ok(leases) => {
                if std::mem::take(&mut failing) {
                    tracing::info!("server reachable again");
                }
                backoff.reset();
                start(context, leases, free, since);
            }
            Err(error) if error.is_transient() => {
                if !std::mem::replace(&mut failing, true) {
                    tracing::warn!("{error}; retrying until it answers");
                }
                tokio::select! {
                    () = tokio::time::sleep(backoff.next_delay()) => {}
                    () = stopping.cancelled() => return Ok(()),
                }
            }
            Err(error) => return Err(error),
        }
    }
}

/// Waits for one free slot, then takes every other free one, so one lease
/// call asks for as many tasks as can start now.
async fn free_slots(slots: &Arc<Semaphore>) -> Vec<OwnedSemaphorePermit> {
    // The semaphore is never closed, so acquiring cannot fail.
    let Ok(first) = slots.clone().acquire_owned().await else {
        return Vec::new();
    };
    let mut free = vec![first];
    while let Ok(more) = slots.clone().try_acquire_owned() {
        free.push(more);
    }
    free
}

fn start(
    context: &Arc<Context>,
    leases: Vec<LeasedTask>,
    mut free: Vec<OwnedSemaphorePermit>,
    since: Instant,
) {
    for lease in leases {
        // The server hands out at most `limit` leases, one per slot taken.
        let Some(slot) = free.pop() else {
            tracing::error!(task = %lease.task.id, "more leases than free slots: leaving it to lapse");
            continue;
        };
        tokio::spawn(attempt::run(context.clone(), lease, since, slot));
    }
}

/// Waits for running attempts: up to `grace` (or a second signal), then
/// kills their commands and hands their tasks back (the attempts do not
/// count), giving those calls a short while.
async fn drain(
    context: &Context,
    slots: &Arc<Semaphore>,
    concurrency: u32,
    grace: Duration,
    hurry: &CancellationToken,
) {
    if slots.available_permits() == concurrency as usize {
        return;
    }
    tracing::info!(
        running = context.held.len(),
        "waiting for running commands to finish"
    );
    tokio::select! {
        _ = slots.acquire_many(concurrency) => return,
        () = tokio::time::sleep(grace) => {}
        () = hurry.cancelled() => {}
    }
    tracing::warn!(
        running = context.held.len(),
        "killing the commands still running"
    );
    context.kill_all.cancel();
    if tokio::time::timeout(REPORT_WINDOW, slots.acquire_many(concurrency))
        .await
        .is_err()
    {
        tracing::warn!(
            "some tasks could not be handed back: their leases lapse and the tasks run again"
        );
    }
}
