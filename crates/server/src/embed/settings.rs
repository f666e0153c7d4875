//! The settings of a RustQueue node, as a plain struct: a program embedding
//! RustQueue fills it in code, and `rustqueue serve` converts its flags into it.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use rustqueue_core::EngineConfig;
use rustqueue_core::cron::CronEntry;
use rustqueue_core::engine::Retention;
use rustqueue_core::limits::QueueLimits;
use rustqueue_core::retry::Backoff;

/// The SQLite `synchronous` setting: how hard a commit waits for the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SqliteSync {
    /// Survives a crash of the process (kill -9); the last commits may roll back on power loss.
    Normal,
    /// Also survives power loss, at the cost of an fsync per commit.
    Full,
}

/// Everything a node needs to run; [`Default`] gives the defaults of `rustqueue serve`.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Address and port `rustqueue serve` listens on.
    pub bind: SocketAddr,
    /// Where tasks are kept: `sqlite://FILE`, `postgres://USER@HOST/DB` or `memory://`.
    pub database_url: String,
    /// Attempts running at once on this node.
    pub workers: u32,
    /// Seconds a lease lasts without a heartbeat.
    pub lease_secs: u64,
    /// Speed of the demo task types: 1 = the original durations.
    pub demo_speed: f64,
    /// Whether the nine demo task types are registered.
    pub demo_types: bool,
    /// Task types run by remote workers over `/api/worker`.
    pub remote_types: Vec<String>,
    /// When set, every `/api` call needs `Authorization: Bearer <token>`.
    pub api_token: Option<String>,
    /// Browser origins allowed to call the API (normalised `scheme://host[:port]`; blanks are ignored).
    pub frontend_origin: Vec<String>,
    /// Back-off after the first failed attempt, in milliseconds; it doubles each attempt.
    pub backoff_base_ms: u64,
    /// The longest back-off between attempts, in milliseconds.
    pub backoff_cap_ms: u64,
    /// Per-attempt timeout, in seconds, of tasks that set no `timeout_ms`.
    pub task_timeout_secs: u64,
    /// Seconds a COMPLETED task is kept after it finished; 0 keeps them forever.
    pub completed_retention_secs: u64,
    /// Seconds a FAILED task is kept after it finished; 0 keeps them forever.
    pub failed_retention_secs: u64,
    /// Recurring tasks.
    pub cron: Vec<CronEntry>,
    /// Queue limits applied at start, by queue name.
    pub queue_limits: BTreeMap<String, QueueLimits>,
    /// Seconds shutdown waits for running tasks before handing them back to the queue.
    pub shutdown_grace_secs: u64,
    /// Largest request body accepted, in bytes.
    pub body_limit_bytes: usize,
    /// PostgreSQL: the schema the tables live in; the server's search_path when `None`.
    pub postgres_schema: Option<String>,
    /// PostgreSQL: the most pooled connections this node opens.
    pub postgres_pool_size: u32,
    /// SQLite durability.
    pub sqlite_synchronous: SqliteSync,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 8000)),
            database_url: "sqlite://rustqueue.db".to_owned(),
            workers: 64,
            lease_secs: 30,
            demo_speed: 1.0,
            demo_types: true,
            remote_types: Vec::new(),
            api_token: None,
            frontend_origin: vec!["http://localhost:5173".to_owned()],
            backoff_base_ms: 1_000,
            backoff_cap_ms: 600_000,
            task_timeout_secs: 300,
            completed_retention_secs: 24 * 3600,
            failed_retention_secs: 7 * 24 * 3600,
            cron: Vec::new(),
            queue_limits: BTreeMap::new(),
            shutdown_grace_secs: 30,
            body_limit_bytes: 10 * 1024 * 1024,
            postgres_schema: None,
            postgres_pool_size: 16,
            sqlite_synchronous: SqliteSync::Normal,
        }
    }
}

/// A retention in seconds; 0 means forever.
fn kept_for(secs: u64) -> Option<Duration> {
    (secs > 0).then(|| Duration::from_secs(secs))
}

impl Settings {
    /// The engine settings these describe.
    pub fn engine_config(&self) -> EngineConfig {
        let lease = Duration::from_secs(self.lease_secs);
        EngineConfig {
            workers: self.workers as usize,
            lease,
            reap_every: (lease / 2).clamp(Duration::from_millis(200), Duration::from_secs(5)),
            default_timeout: Duration::from_secs(self.task_timeout_secs),
            backoff: Backoff {
                base: Duration::from_millis(self.backoff_base_ms),
                cap: Duration::from_millis(self.backoff_cap_ms.max(self.backoff_base_ms)),
            },
            shutdown_grace: Duration::from_secs(self.shutdown_grace_secs),
            retention: Retention {
                completed: kept_for(self.completed_retention_secs),
                failed: kept_for(self.failed_retention_secs),
                ..Retention::default()
            },
            link_span: Some(crate::telemetry::link_span),
            cron: self.cron.clone(),
            queue_limits: self.queue_limits.clone(),
            ..EngineConfig::default()
        }
    }

    /// The API token, when one is set: an empty one (`RUSTQUEUE_API_TOKEN=`) means none.
    pub(crate) fn token(&self) -> Option<String> {
        self.api_token.clone().filter(|token| !token.is_empty())
    }
}
