//! The engine: validates and stores new tasks, leases ready ones to a worker
//! pool, records how attempts end, keeps leases alive and rescues expired ones.
//! It knows no HTTP and no SQL.
//!
//! Layout: `enqueue` (storing new tasks), `attempts` (the attempts running on this
//! node), `claim` (leasing work, for local and remote
//! workers alike), `dispatch` (the local worker pool),
//! `finish` (recording endings in batches), `outcome` (the retry rules),
//! `lease` (heartbeats and the reaper), `tasks` (one task at a time),
//! `admin` (pages, counts, bulk operations, queues), `remote` (the worker
//! protocol), `release` (remote hand-backs), `identity` (lease holders),
//! `workers` (who runs what, and when each was last seen), `relay` (transitions shared across nodes), `stats` (metrics),
//! `observe` and `timings` (attempt spans and histograms),
//! `clock_sync` (a shared store's clock as every node's time), `retention`
//! (deleting old finished tasks), `cron` (recurring tasks).

mod admin;
mod attempts;
mod backlog;
mod claim;
mod clock_sync;
mod cron;
mod dispatch;
mod enqueue;
mod finish;
mod identity;
mod lease;
mod limits;
mod observe;
mod outcome;
mod relay;
mod release;
mod remote;
mod retention;
mod stats;
mod tasks;
mod throughput;
mod timings;
mod workers;

use std::sync::atomic::{AtomicBool, AtomicUsize};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{SubsecRound, TimeDelta};
use tokio::sync::{Notify, broadcast, mpsc};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub use crate::enqueue::{
    DEFAULT_MAX_RETRIES, DEFAULT_QUEUE, EnqueueRequest, MAX_MAX_RETRIES, MAX_NAME_LEN,
};
pub use admin::{
    BUSIEST_KEYS, MAX_BULK_IDS, MAX_PAGE_SIZE, QueueInfo, StatusCounts, TaskCounts, TaskPage,
};
pub use backlog::Backlog;
pub use cron::{CronStatus, MISSED_GRACE};
pub use identity::{
    DEFAULT_WORKER_ID, MAX_WORKER_ID_LEN, NODE_HOLDER_PREFIX, check_worker_id, hostname,
};
pub use limits::{MAX_KEY_USAGE, check_queue_limits};
pub use release::MAX_RELEASE_DELAY;
pub use remote::{
    MAX_WORKER_BATCH, MAX_WORKER_WAIT, WORKER_LEASE_RANGE, WorkerFinish, WorkerInfo, WorkerOutcome,
};
pub use retention::Retention;
pub use stats::{AttemptTimes, NodeStats};
pub use throughput::{THROUGHPUT_INTERVAL_SECS, Throughput, ThroughputPoint};
pub use timings::{BUCKETS, Histogram, MAX_SERIES, OTHER_QUEUE, TaskTimings};
pub use workers::{
    RunningAttempt, TypeService, WORKER_FORGOTTEN_AFTER, WORKER_LIVE_FOR, WorkerView,
};

use crate::clock::Clock;
use crate::error::EngineError;
use crate::handler::Registry;
use crate::retry::Backoff;
use crate::store::{Finish, PeriodicTakeTurnParams, Store, StoreFacade, StoreResult};
use crate::task::{EventKind, TaskStatus, Timestamp, Transition};

/// How the engine runs.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// The most attempts running at once on this node.
    pub workers: usize,
    /// The most tasks one claim leases.
    pub claim_batch: usize,
    /// How long a lease lasts without a heartbeat.
    pub lease: Duration,
    /// How often expired leases are looked for.
    pub reap_every: Duration,
    /// The per-attempt timeout of tasks that name none.
    pub default_timeout: Duration,
    /// Delays between attempts.
    pub backoff: Backoff,
    /// How long shutdown waits for running attempts before handing them back.
    pub shutdown_grace: Duration,
    /// The longest an idle dispatcher sleeps before looking again (a safety net:
    /// enqueues and retries wake it at once).
    pub idle_poll: Duration,
    /// How long finished tasks are kept.
    pub retention: Retention,
    /// Makes a task's stored `traceparent` the parent of its attempts' spans
    /// (the server links them to OpenTelemetry); `None` leaves them unlinked.
    pub link_span: Option<crate::trace::LinkSpan>,
    /// Recurring tasks, each tick enqueued once cluster-wide.
    pub cron: Vec<crate::cron::CronEntry>,
    /// Queue limits stored at start, by queue (a queue not named keeps
    /// what the store has).
    pub queue_limits: std::collections::BTreeMap<String, crate::limits::QueueLimits>,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            workers: 64,
            claim_batch: 512,
            lease: Duration::from_secs(30),
            reap_every: Duration::from_secs(5),
            default_timeout: Duration::from_secs(300),
            backoff: Backoff::default(),
            shutdown_grace: Duration::from_secs(30),
            idle_poll: Duration::from_secs(1),
            retention: Retention::default(),
            link_span: None,
            cron: Vec::new(),
            queue_limits: std::collections::BTreeMap::new(),
        }
    }
}

/// State shared by the engine handle and its background services.
#[derive(Debug)]
struct Shared {
    store: StoreFacade,
    /// The lease holder of this node's own attempts (see `identity`).
    node_id: String,
    registry: Registry,
    types: Vec<String>,
    config: EngineConfig,
    clock: Arc<dyn Clock>,
    /// Added to `clock` to read a shared store's clock (zero otherwise).
    offset: clock_sync::ClockOffset,
    /// Wakes the dispatcher: new work may be ready.
    wake: Notify,
    /// Wakes remote workers waiting in a lease call (every one of them).
    remote_wake: Notify,
    /// When this node last wrote each worker's record.
    seen: workers::SeenLog,
    /// Lease calls waiting for work now (long polls), for metrics.
    lease_calls_waiting: AtomicUsize,
    /// Whether any queue has limits: then a finish may let a held-back task
    /// start, so it wakes the claimants.
    limited: AtomicBool,
    /// The attempts running on this node.
    attempts: attempts::Attempts,
    transitions: broadcast::Sender<Transition>,
    /// Fires when transitions were skipped (another node had too many to
    /// share one by one), with how many: live views should reload.
    resyncs: broadcast::Sender<u64>,
    /// This node's transitions, counted for metrics.
    tally: stats::Tally,
    /// How long this node's tasks waited and ran, by type and queue, for metrics.
    timings: timings::Timings,
    /// Tasks this node deleted by retention, for metrics.
    pruned: retention::Pruned,
    /// Tasks finished per 10 s over the last 15 minutes, cluster-wide on a shared store.
    throughput: throughput::History,
    /// This node's transitions waiting to be shared, for shared stores.
    outbox: Option<relay::Outbox>,
    /// Stops claiming new work.
    stopping: CancellationToken,
    /// Stops the lease keeper and reaper, after the last hand-back.
    stopped: CancellationToken,
    /// Fires when shutdown has waited long enough for the store: writes still
    /// retrying give up, and their tasks are left to lease expiry.
    abandon: CancellationToken,
}

impl Shared {
    /// Now by the store's clock, truncated to microseconds so every store
    /// keeps the exact value.
    fn now(&self) -> Timestamp {
        (self.clock.now() + self.offset.get()).trunc_subsecs(6)
    }

    /// Takes this turn of the periodic job `job`: one node per turn on a
    /// shared store, always this one otherwise.
    async fn take_turn(&self, job: &str, every: TimeDelta, now: Timestamp) -> StoreResult<bool> {
        let Some(cluster) = self.store.cluster() else {
            return Ok(true);
        };
        let params = PeriodicTakeTurnParams::new(job, every, now);
        cluster.periodic_take_turn(&params).await
    }

    fn publish(&self, task_id: &str, kind: EventKind, status: Option<TaskStatus>) {
        let transition = Transition {
            task_id: task_id.to_owned(),
            kind,
            status,
        };
        self.tally.count(kind);
        self.throughput.record(kind, self.now());
        if let Some(outbox) = &self.outbox {
            outbox.push(&transition);
        }
        // No subscriber is fine: the send error only says nobody listens.
        let _ = self.transitions.send(transition);
    }

    /// New work may be ready: wakes the dispatcher and every waiting lease call.
    fn work_ready(&self) {
        self.wake.notify_one();
        self.remote_wake.notify_waiters();
    }

    fn resync(&self, skipped: u64) {
        let _ = self.resyncs.send(skipped);
    }
}

/// Background services started by [`Engine::start`].
#[derive(Debug)]
struct Services {
    dispatcher: JoinHandle<()>,
    finisher: JoinHandle<()>,
    finishes: mpsc::UnboundedSender<Finish>,
    keeper: JoinHandle<()>,
    retention: JoinHandle<()>,
    cron: JoinHandle<()>,
}

/// The task engine; cheap to clone, every clone drives the same engine.
#[derive(Debug, Clone)]
pub struct Engine {
    shared: Arc<Shared>,
    services: Arc<Mutex<Option<Services>>>,
}

impl Engine {
    /// An engine over `store` running the handlers of `registry`; call [`Engine::start`] to run tasks.
    pub fn new(
        store: Arc<dyn Store>,
        registry: Registry,
        config: EngineConfig,
        clock: Arc<dyn Clock>,
    ) -> Self {
        let (transitions, _) = broadcast::channel(4096);
        let (resyncs, _) = broadcast::channel(16);
        let outbox = store.cluster().map(|_| relay::Outbox::default());
        let types = registry.types();
        let shared = Shared {
            resyncs,
            outbox,
            tally: stats::Tally::new(&types),
            timings: timings::Timings::default(),
            pruned: retention::Pruned::default(),
            throughput: throughput::History::default(),
            lease_calls_waiting: AtomicUsize::new(0),
            limited: AtomicBool::new(false),
            seen: workers::SeenLog::default(),
            store: StoreFacade::new(store),
            node_id: identity::node_identity(),
            types,
            registry,
            config,
            clock,
            offset: clock_sync::ClockOffset::default(),
            wake: Notify::new(),
            remote_wake: Notify::new(),
            attempts: attempts::Attempts::default(),
            transitions,
            stopping: CancellationToken::new(),
            stopped: CancellationToken::new(),
            abandon: CancellationToken::new(),
        };
        Self {
            shared: Arc::new(shared),
            services: Arc::new(Mutex::new(None)),
        }
    }

    /// Reads a shared store's clock, recovers attempts orphaned by a previous
    /// process (exclusive stores only), then starts the dispatcher, the finisher,
    /// the lease keeper, the reaper and retention.
    pub async fn start(&self) -> Result<(), EngineError> {
        cron::validate(&self.shared)?;
        clock_sync::sync(&self.shared).await;
        if self.shared.store.is_exclusive() {
            lease::recover_orphans(&self.shared).await?;
        }
        limits::apply_configured(&self.shared, &self.shared.config.queue_limits).await?;
        workers::note_node_seen(&self.shared).await;
        if let Some(cluster) = self.shared.store.cluster() {
            tokio::spawn(forward_work_signal(
                self.shared.clone(),
                cluster.work_signal(),
            ));
            tokio::spawn(relay::run(self.shared.clone(), cluster.transitions_feed()));
        }
        let (finishes, finish_rx) = mpsc::unbounded_channel();
        let services = Services {
            dispatcher: tokio::spawn(dispatch::run(self.shared.clone(), finishes.clone())),
            finisher: tokio::spawn(finish::run(self.shared.clone(), finish_rx)),
            finishes,
            keeper: tokio::spawn(lease::run(self.shared.clone())),
            retention: tokio::spawn(retention::run(self.shared.clone())),
            cron: tokio::spawn(cron::run(self.shared.clone())),
        };
        tokio::spawn(limits::watch(self.shared.clone()));
        *self.services.lock().unwrap_or_else(|p| p.into_inner()) = Some(services);
        Ok(())
    }

    /// Stops taking work, lets running attempts finish within the grace period,
    /// hands the rest back to the queue, and waits until all of it is stored.
    ///
    /// Always ends: when the store cannot be reached, recording the last
    /// endings is given up [`STORE_DRAIN_SLACK`] after the grace period, and
    /// those tasks come back when their leases expire (at-least-once).
    pub async fn shutdown(&self) {
        let Some(services) = self
            .services
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
        else {
            return;
        };
        let shared = &self.shared;
        shared.stopping.cancel();
        let drain = drain(shared, services);
        tokio::pin!(drain);
        // The cancel wait counts against the slack: shutdown ends by grace + slack.
        let limit = shared.config.shutdown_grace + STORE_DRAIN_SLACK;
        if tokio::time::timeout(limit, &mut drain).await.is_err() {
            tracing::warn!(
                "the store did not take the last attempt endings in time; \
                 their tasks will run again when their leases expire"
            );
            shared.abandon.cancel();
            if tokio::time::timeout(STORE_DRAIN_SLACK, drain)
                .await
                .is_err()
            {
                tracing::error!("shutdown stopped waiting for the store");
            }
        }
    }

    /// True once shutdown has begun: no new work is taken.
    pub fn is_draining(&self) -> bool {
        self.shared.stopping.is_cancelled()
    }

    /// Resolves when shutdown begins, so long-lived responses (event
    /// streams) can end and let the HTTP server drain.
    pub fn draining(&self) -> tokio_util::sync::WaitForCancellationFutureOwned {
        self.shared.stopping.clone().cancelled_owned()
    }

    /// Subscribes to task transitions made through this engine and, on a
    /// shared store, through the other nodes.
    pub fn subscribe(&self) -> broadcast::Receiver<Transition> {
        self.shared.transitions.subscribe()
    }

    /// Subscribes to resyncs: transitions this node was told of only by
    /// number (another node had too many to share), so live views should reload.
    pub fn subscribe_resyncs(&self) -> broadcast::Receiver<u64> {
        self.shared.resyncs.subscribe()
    }

    /// The lease holder this node writes on its own attempts: `node:<hostname>:<pid>:<start id>`.
    pub fn node_id(&self) -> &str {
        &self.shared.node_id
    }

    /// How long a lease lasts without a heartbeat (the default for remote workers).
    pub fn lease_duration(&self) -> Duration {
        self.shared.config.lease
    }

    /// The task types this node runs, with their descriptions.
    pub fn task_types(&self) -> Vec<(String, String)> {
        self.shared.registry.describe()
    }

    /// Whether the store answers.
    pub async fn ready(&self) -> Result<(), EngineError> {
        Ok(self.shared.store.ping().await?)
    }
}

/// Wakes the dispatcher whenever the store says another process made work ready.
async fn forward_work_signal(shared: Arc<Shared>, signal: Arc<Notify>) {
    loop {
        tokio::select! {
            _ = shared.stopping.cancelled() => return,
            _ = signal.notified() => shared.work_ready(),
        }
    }
}

/// How long shutdown waits for cancelled attempts to hand their tasks back.
const CANCEL_WAIT: Duration = Duration::from_secs(5);

/// How long past the grace period shutdown keeps retrying an unreachable store.
pub const STORE_DRAIN_SLACK: Duration = Duration::from_secs(5);

/// The shutdown sequence after work stopped being taken: running attempts
/// get the grace period, the rest are cancelled and handed back, then the
/// finisher, the lease keeper and the reaper stop.
async fn drain(shared: &Shared, services: Services) {
    let _ = services.dispatcher.await;
    if !shared
        .attempts
        .wait_idle(shared.config.shutdown_grace)
        .await
    {
        let count = shared.attempts.cancel_all();
        tracing::info!(count, "grace period over, handing running tasks back");
        shared.attempts.wait_idle(CANCEL_WAIT).await;
    }
    drop(services.finishes);
    let _ = services.finisher.await;
    shared.stopped.cancel();
    let _ = services.keeper.await;
    let _ = services.retention.await;
    let _ = services.cron.await;
}
