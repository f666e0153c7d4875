//! [`PostgresStore`]: connecting (pool, migrations, LISTEN), and the storage
//! trait on top of the pooled connections.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use rustqueue_core::store::{
    BulkDeleted, Cluster, CountRow, CronFireParams, CronRecord, CronRegisterParams,
    CronSetEnabledParams, Inserted, KeyUsage, Lease, PeriodicTakeTurnParams, QueueBacklog,
    QueueBacklogParams, QueueKeyUsageParams, QueueSetLimitsParams, QueueSetPausedParams,
    QueueState, Store, StoreResult, TaskClaimParams, TaskDeleteManyParams, TaskDeleteParams,
    TaskEventsParams, TaskFinishManyParams, TaskGetManyParams, TaskGetParams, TaskHeartbeatParams,
    TaskInsertManyParams, TaskListExpiredParams, TaskListParams, TaskListRunningParams,
    TaskNextRunAtParams, TaskPageParams, TaskPruneParams, TaskRetryManyParams, TaskRetryParams,
    TransitionBatch, WorkerListParams, WorkerPruneParams, WorkerRecord,
};
use rustqueue_core::task::{Task, TaskEvent, TaskStatus, Timestamp};
use tokio::sync::{Notify, broadcast};

use crate::backlog;
use crate::connection::Db;
use crate::errors::{ConnectError, Fault, store_error};
use crate::notify::{self, Listener};
use crate::options::{PostgresOptions, driver_config};
use crate::{
    bulk, counters, cron, history, insert, lease, migrate, page, periodic, queries, queues, ready,
    relay, tasks, workers,
};

/// Tasks in a PostgreSQL schema, shared by every RustQueue node connected to it.
pub struct PostgresStore {
    db: Db,
    schema: String,
    listener: Listener,
    /// Names this node in the transitions it shares.
    node: String,
}

impl fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresStore")
            .field("schema", &self.schema)
            .finish_non_exhaustive()
    }
}

impl PostgresStore {
    /// Connects to the database at `url` (a `postgres://` URL or key=value
    /// string): creates the schema if needed, applies pending migrations,
    /// and starts listening for other nodes' wake-ups.
    pub async fn connect(url: &str, options: PostgresOptions) -> Result<Self, ConnectError> {
        let config = driver_config(url, &options)?;
        let mut db = Db::new(config.clone(), &options)?;
        let migrated = migrate::migrate(&db, options.schema.as_deref()).await?;
        db.channel = notify::channel(&migrated.schema);
        let node = node_id();
        let listener = Listener::start(config, db.channel.clone(), node.clone())
            .await
            .map_err(|fault| ConnectError::Connect(store_error(fault)))?;
        tracing::info!(
            schema = %migrated.schema,
            schema_from = migrated.from,
            schema_version = migrate::LATEST,
            pool_size = options.pool_size,
            "connected postgres store"
        );
        Ok(Self {
            db,
            schema: migrated.schema,
            listener,
            node,
        })
    }

    /// The schema the tables live in.
    pub fn schema(&self) -> &str {
        &self.schema
    }
}

impl Drop for PostgresStore {
    fn drop(&mut self) {
        // Idle connections close now rather than when the last handle goes.
        self.db.close();
    }
}

/// An id for this store that no other node has: the process and the moment.
fn node_id() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_nanos());
    format!("{:x}-{nanos:x}", std::process::id())
}

/// Runs an operation and maps its fault at the trait boundary.
async fn run<T>(op: impl Future<Output = Result<T, Fault>>) -> StoreResult<T> {
    op.await.map_err(store_error)
}

#[async_trait]
impl Store for PostgresStore {
    fn cluster(&self) -> Option<&dyn Cluster> {
        Some(self)
    }

    async fn cron_fire(&self, params: CronFireParams) -> StoreResult<Option<Task>> {
        run(cron::fire(&self.db, params.fire, params.now)).await
    }

    async fn cron_list(&self) -> StoreResult<Vec<CronRecord>> {
        run(cron::list(&self.db)).await
    }

    async fn cron_register(&self, params: &CronRegisterParams) -> StoreResult<()> {
        run(cron::register(&self.db, &params.names, params.now)).await
    }

    async fn cron_set_enabled(&self, params: &CronSetEnabledParams) -> StoreResult<CronRecord> {
        let CronSetEnabledParams { name, enabled, now } = params;
        run(cron::set_enabled(&self.db, name, *enabled, *now)).await
    }

    fn is_exclusive(&self) -> bool {
        // Other nodes may share the schema; their running tasks are not orphans.
        false
    }

    async fn ping(&self) -> StoreResult<()> {
        run(async {
            let client = self.db.client().await?;
            client.batch_execute("SELECT 1").await?;
            Ok(())
        })
        .await
    }

    async fn queue_backlog(&self, params: &QueueBacklogParams) -> StoreResult<Vec<QueueBacklog>> {
        run(backlog::backlog(&self.db, params.now)).await
    }

    async fn queue_key_usage(&self, params: &QueueKeyUsageParams) -> StoreResult<Vec<KeyUsage>> {
        run(queues::key_usage(&self.db, &params.queue, params.limit)).await
    }

    async fn queue_set_limits(&self, params: &QueueSetLimitsParams) -> StoreResult<()> {
        let QueueSetLimitsParams { name, limits, now } = params;
        run(queues::set_limits(&self.db, name, limits, *now)).await
    }

    async fn queue_list(&self) -> StoreResult<Vec<QueueState>> {
        run(queues::list(&self.db)).await
    }

    async fn queue_set_paused(&self, params: &QueueSetPausedParams) -> StoreResult<()> {
        let QueueSetPausedParams { name, paused, now } = params;
        run(queues::set_paused(&self.db, name, *paused, *now)).await
    }

    async fn task_claim(&self, params: &TaskClaimParams) -> StoreResult<Vec<Lease>> {
        run(lease::claim(&self.db, params)).await
    }

    async fn task_clear(&self) -> StoreResult<u64> {
        run(tasks::clear(&self.db)).await
    }

    async fn task_count_rows(&self) -> StoreResult<Vec<CountRow>> {
        run(counters::rows(&self.db)).await
    }

    async fn task_counts(&self) -> StoreResult<BTreeMap<TaskStatus, u64>> {
        run(counters::by_status(&self.db)).await
    }

    async fn task_delete(&self, params: &TaskDeleteParams) -> StoreResult<Option<Task>> {
        run(tasks::delete(&self.db, &params.id)).await
    }

    async fn task_delete_many(&self, params: &TaskDeleteManyParams) -> StoreResult<BulkDeleted> {
        run(bulk::delete_many(&self.db, &params.selection)).await
    }

    async fn task_events(&self, params: &TaskEventsParams) -> StoreResult<Vec<TaskEvent>> {
        run(history::read(&self.db, &params.id)).await
    }

    async fn task_finish_many(&self, params: TaskFinishManyParams) -> StoreResult<Vec<bool>> {
        run(lease::finish_many(&self.db, &params.finishes, params.now)).await
    }

    async fn task_get(&self, params: &TaskGetParams) -> StoreResult<Option<Task>> {
        run(tasks::get(&self.db, &params.id)).await
    }

    async fn task_get_many(&self, params: &TaskGetManyParams) -> StoreResult<Vec<Task>> {
        run(tasks::get_many(&self.db, &params.ids)).await
    }

    async fn task_heartbeat(&self, params: &TaskHeartbeatParams) -> StoreResult<Vec<String>> {
        run(lease::heartbeat(
            &self.db,
            &params.leases,
            params.expires_at,
        ))
        .await
    }

    async fn task_insert_many(&self, params: TaskInsertManyParams) -> StoreResult<Vec<Inserted>> {
        run(insert::insert_many(&self.db, params.tasks, params.now)).await
    }

    async fn task_list(&self, params: &TaskListParams) -> StoreResult<Vec<Task>> {
        run(queries::list(&self.db, params)).await
    }

    async fn task_list_expired(&self, params: &TaskListExpiredParams) -> StoreResult<Vec<Lease>> {
        run(queries::expired(&self.db, params.expired_by, params.limit)).await
    }

    async fn task_list_running(&self, params: &TaskListRunningParams) -> StoreResult<Vec<Lease>> {
        let after = params.after.as_deref();
        run(queries::running(&self.db, after, params.limit)).await
    }

    async fn task_next_run_at(
        &self,
        params: &TaskNextRunAtParams,
    ) -> StoreResult<Option<Timestamp>> {
        run(ready::next_run_at(&self.db, &params.types)).await
    }

    async fn task_page(&self, params: &TaskPageParams) -> StoreResult<Vec<Task>> {
        run(page::page(&self.db, params)).await
    }

    async fn task_prune(&self, params: &TaskPruneParams) -> StoreResult<u64> {
        run(bulk::prune(&self.db, params)).await
    }

    async fn task_retry(&self, params: &TaskRetryParams) -> StoreResult<Task> {
        run(tasks::retry(&self.db, &params.id, params.now)).await
    }

    async fn task_retry_many(&self, params: &TaskRetryManyParams) -> StoreResult<Vec<String>> {
        run(bulk::retry_many(&self.db, &params.selection, params.now)).await
    }

    async fn worker_list(&self, params: &WorkerListParams) -> StoreResult<Vec<WorkerRecord>> {
        run(workers::list(&self.db, params.seen_since)).await
    }

    async fn worker_prune(&self, params: &WorkerPruneParams) -> StoreResult<u64> {
        run(workers::prune(&self.db, params.seen_before)).await
    }

    async fn worker_record(&self, record: &WorkerRecord) -> StoreResult<()> {
        run(workers::record(&self.db, record)).await
    }
}

/// The work signal and transitions come through the LISTEN connection;
/// turns and the clock are the database's.
#[async_trait]
impl Cluster for PostgresStore {
    async fn clock_now(&self) -> StoreResult<Timestamp> {
        run(async {
            let client = self.db.client().await?;
            let row = client.query_one("SELECT clock_timestamp()", &[]).await?;
            Ok(row.try_get(0)?)
        })
        .await
    }

    async fn periodic_take_turn(&self, params: &PeriodicTakeTurnParams) -> StoreResult<bool> {
        let PeriodicTakeTurnParams { job, every, now } = params;
        run(periodic::take_turn(&self.db, job, *every, *now)).await
    }

    fn transitions_feed(&self) -> broadcast::Receiver<TransitionBatch> {
        self.listener.feed()
    }

    async fn transitions_share(&self, batch: TransitionBatch) -> StoreResult<()> {
        run(relay::share(&self.db, &self.node, &batch)).await
    }

    fn work_signal(&self) -> Arc<Notify> {
        self.listener.signal()
    }
}
