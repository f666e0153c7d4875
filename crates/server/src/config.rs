//! The settings of `rustqueue serve`: every flag has an environment variable twin.

use std::net::SocketAddr;

use clap::Args;
use rustqueue_core::cron::CronEntry;

use crate::embed::Settings;
pub use crate::embed::SqliteSync;
pub use rustqueue_client::logging::LogFormat;

use crate::cron_config::CronFile;
use crate::queues_config::QueuesFile;

/// Settings of the server, as flags; they convert into the [`Settings`] the embedding API takes.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address and port to listen on.
    #[arg(long, env = "RUSTQUEUE_BIND", default_value = "127.0.0.1:8000")]
    pub bind: SocketAddr,

    /// Where tasks are kept: sqlite://FILE (durable, the default), postgres://USER@HOST/DB
    /// (several nodes sharing one database), memory:// (nothing kept).
    #[arg(
        long,
        env = "RUSTQUEUE_DATABASE_URL",
        default_value = "sqlite://rustqueue.db"
    )]
    pub database_url: String,

    /// Attempts running at once on this node.
    #[arg(long, env = "RUSTQUEUE_WORKERS", default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub workers: u32,

    /// Seconds a lease lasts without a heartbeat; a dead worker's task runs again after this.
    #[arg(long, env = "RUSTQUEUE_LEASE_SECS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub lease_secs: u64,

    /// Speed of the demo task types: 1 = the original durations, 100 = a hundred times faster.
    #[arg(long, env = "RUSTQUEUE_DEMO_SPEED", default_value_t = 1.0, value_parser = positive_f64)]
    pub demo_speed: f64,

    /// Register the nine demo task types (EMAIL, REPORT, ..., FAILABS);
    /// `--demo-types=false` leaves the remote types and those a program embedding RustQueue registers.
    #[arg(
        long,
        env = "RUSTQUEUE_DEMO_TYPES",
        default_value_t = true,
        action = clap::ArgAction::Set,
        num_args = 0..=1,
        default_missing_value = "true",
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    pub demo_types: bool,

    /// Comma-separated task types run by remote workers over /api/worker:
    /// enqueues of them are accepted, and this node leases them out instead of running them.
    #[arg(long, env = "RUSTQUEUE_REMOTE_TYPES", value_delimiter = ',', value_parser = task_type_name)]
    pub remote_types: Vec<String>,

    /// When set, every /api call needs `Authorization: Bearer <token>`.
    #[arg(long, env = "RUSTQUEUE_API_TOKEN", hide_env_values = true)]
    pub api_token: Option<String>,

    /// Comma-separated browser origins (scheme://host[:port]) allowed to call
    /// the API: CORS, and changes from another site (the Vite dev server by
    /// default; the dashboard this server serves needs none).
    #[arg(
        long,
        env = "FRONTEND_ORIGIN",
        default_value = "http://localhost:5173",
        value_delimiter = ',',
        value_parser = origin_or_blank
    )]
    pub frontend_origin: Vec<String>,

    /// Back-off after the first failed attempt, in milliseconds; it doubles each attempt.
    #[arg(long, env = "RUSTQUEUE_BACKOFF_BASE_MS", default_value_t = 1_000)]
    pub backoff_base_ms: u64,

    /// The longest back-off between attempts, in milliseconds.
    #[arg(long, env = "RUSTQUEUE_BACKOFF_CAP_MS", default_value_t = 600_000)]
    pub backoff_cap_ms: u64,

    /// Per-attempt timeout, in seconds, of tasks that set no `timeout_ms`.
    #[arg(long, env = "RUSTQUEUE_TASK_TIMEOUT_SECS", default_value_t = 300, value_parser = clap::value_parser!(u64).range(1..))]
    pub task_timeout_secs: u64,

    /// Seconds a COMPLETED task (and its history) is kept after it finished; 0 keeps them forever.
    #[arg(long, env = "RUSTQUEUE_COMPLETED_RETENTION_SECS", default_value_t = 24 * 3600)]
    pub completed_retention_secs: u64,

    /// Seconds a FAILED task (and its history) is kept after it finished; 0 keeps them forever.
    #[arg(long, env = "RUSTQUEUE_FAILED_RETENTION_SECS", default_value_t = 7 * 24 * 3600)]
    pub failed_retention_secs: u64,

    /// A TOML (or .json) file of cron entries, each a `[[cron]]` table with
    /// name, schedule, timezone, type, payload, queue, priority, max_retries, backfill.
    #[arg(long, env = "RUSTQUEUE_CRON_FILE", value_parser = crate::cron_config::cron_file)]
    pub cron_file: Option<CronFile>,

    /// A cron entry, repeatable: NAME=SCHEDULE;TYPE[;timezone=ZONE][;queue=Q]
    /// [;priority=N][;max_retries=N][;backfill=true][;payload=JSON]; seconds
    /// are optional in SCHEDULE (the environment twin takes one entry per line).
    #[arg(long, env = "RUSTQUEUE_CRON", value_delimiter = '\n', value_parser = crate::cron_config::cron_flag)]
    pub cron: Vec<CronEntry>,

    /// A TOML (or .json) file of queue limits, each a `[queues.NAME]` table with
    /// concurrency, per_key_limit and key_limits; applied at start on top of
    /// those the store keeps (bad limits stop the start).
    #[arg(long, env = "RUSTQUEUE_QUEUES_FILE", value_parser = crate::queues_config::queues_file)]
    pub queues_file: Option<QueuesFile>,

    /// Seconds shutdown waits for running tasks before handing them back to the queue.
    #[arg(long, env = "RUSTQUEUE_SHUTDOWN_GRACE_SECS", default_value_t = 30)]
    pub shutdown_grace_secs: u64,

    /// Largest request body accepted, in bytes (a batch of 10,000 tasks must fit).
    #[arg(long, env = "RUSTQUEUE_BODY_LIMIT_BYTES", default_value_t = 10 * 1024 * 1024)]
    pub body_limit_bytes: usize,

    /// PostgreSQL: the schema the tables live in (created if missing); by
    /// default the first of the server's search_path, usually `public`.
    #[arg(long, env = "RUSTQUEUE_POSTGRES_SCHEMA")]
    pub postgres_schema: Option<String>,

    /// PostgreSQL: the most pooled connections this node opens (one more listens for wake-ups).
    #[arg(long, env = "RUSTQUEUE_POSTGRES_POOL_SIZE", default_value_t = 16, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub postgres_pool_size: u32,

    /// SQLite durability: normal survives process crashes, full also power loss.
    #[arg(long, env = "RUSTQUEUE_SQLITE_SYNCHRONOUS", value_enum, default_value_t = SqliteSync::Normal)]
    pub sqlite_synchronous: SqliteSync,

    /// Log line format.
    #[arg(long, env = "RUSTQUEUE_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    /// Send traces (HTTP requests and task attempts) to this OpenTelemetry
    /// collector over OTLP/HTTP (protobuf), e.g. http://localhost:4318; none by default.
    #[arg(long, env = "OTEL_EXPORTER_OTLP_ENDPOINT")]
    pub otlp_endpoint: Option<String>,
}

fn task_type_name(text: &str) -> Result<String, String> {
    let name = text.trim();
    if name.is_empty()
        || name.len() > rustqueue_core::engine::MAX_NAME_LEN
        || name.chars().any(char::is_control)
    {
        return Err(format!(
            "{text:?} is not a task type name (1 to 255 bytes, no control characters)"
        ));
    }
    Ok(name.to_owned())
}

/// An origin, normalised; a blank entry (a trailing comma) is kept blank and ignored.
fn origin_or_blank(text: &str) -> Result<String, String> {
    if text.trim().is_empty() {
        return Ok(String::new());
    }
    crate::origin::normalize_origin(text)
}

fn positive_f64(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(value) if value.is_finite() && value > 0.0 => Ok(value),
        _ => Err(format!("{text:?} is not a positive number")),
    }
}

impl From<ServeArgs> for Settings {
    /// The cron entries of the file come first, then those of the flags;
    /// the logging and tracing flags are for `rustqueue serve` itself.
    fn from(args: ServeArgs) -> Self {
        let file = args.cron_file.into_iter().flat_map(|file| file.0);
        Settings {
            bind: args.bind,
            database_url: args.database_url,
            workers: args.workers,
            lease_secs: args.lease_secs,
            demo_speed: args.demo_speed,
            demo_types: args.demo_types,
            remote_types: args.remote_types,
            api_token: args.api_token,
            frontend_origin: args.frontend_origin,
            backoff_base_ms: args.backoff_base_ms,
            backoff_cap_ms: args.backoff_cap_ms,
            task_timeout_secs: args.task_timeout_secs,
            completed_retention_secs: args.completed_retention_secs,
            failed_retention_secs: args.failed_retention_secs,
            cron: file.chain(args.cron).collect(),
            queue_limits: args.queues_file.unwrap_or_default().0,
            shutdown_grace_secs: args.shutdown_grace_secs,
            body_limit_bytes: args.body_limit_bytes,
            postgres_schema: args.postgres_schema,
            postgres_pool_size: args.postgres_pool_size,
            sqlite_synchronous: args.sqlite_synchronous,
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::FromArgMatches;

    use super::*;

    /// The flags as given, whatever the environment says.
    fn parse(flags: &[&str]) -> ServeArgs {
        let command = ServeArgs::augment_args(clap::Command::new("serve").no_binary_name(true))
            .mut_args(|arg| arg.env(None::<&str>));
        let matches = command.try_get_matches_from(flags).expect("flags parse");
        ServeArgs::from_arg_matches(&matches).expect("settings")
    }

    #[test]
    fn no_flags_give_the_default_settings() {
        let settings = Settings::from(parse(&[]));
        assert_eq!(
            format!("{settings:?}"),
            format!("{:?}", Settings::default())
        );
        assert_eq!(settings.bind, "127.0.0.1:8000".parse().expect("address"));
        assert_eq!(settings.database_url, "sqlite://rustqueue.db");
    }

    #[test]
    fn demo_types_is_a_switch_on_by_default() {
        let demo_types = |flags: &[&str]| parse(flags).demo_types;
        assert!(demo_types(&[]));
        assert!(demo_types(&["--demo-types"]));
        assert!(!demo_types(&["--demo-types=false"]));
        assert!(!demo_types(&["--demo-types", "off"]));
    }
}
