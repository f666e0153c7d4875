//! [`PostgresStore`]: connecting (pool, migrations, LISTEN), and the storage
//! trait on top of the pooled connections.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::TimeDelta;
use rustqueue_core::store::QueueBacklog;
use rustqueue_core::store::{
    BulkDeleted, ClaimParams, CountRow, CronFire, CronRecord, Finish, Inserted, Lease, LeaseToken,
    ListParams, PageParams, PruneParams, QueueState, Selection, Store, StoreResult,
    TransitionBatch, WorkerRecord,
};
use rustqueue_core::task::{NewTask, Task, TaskEvent, TaskStatus, Timestamp};
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
    fn is_exclusive(&self) -> bool {
        // Other nodes may share the schema; their running tasks are not orphans.
        false
    }

    fn work_signal(&self) -> Option<Arc<Notify>> {
        Some(self.listener.signal())
    }

    async fn transitions_share(&self, batch: TransitionBatch) -> StoreResult<()> {
        run(relay::share(&self.db, &self.node, &batch)).await
    }

    fn transitions_feed(&self) -> Option<broadcast::Receiver<TransitionBatch>> {
        Some(self.listener.feed())
    }

    async fn periodic_take_turn(
        &self,
        job: &str,
        every: TimeDelta,
        now: Timestamp,
    ) -> StoreResult<bool> {
        run(periodic::take_turn(&self.db, job, every, now)).await
    }

    async fn ping(&self) -> StoreResult<()> {
        run(async {
            let client = self.db.client().await?;
            client.batch_execute("SELECT 1").await?;
            Ok(())
        })
        .await
    }

    async fn clock_now(&self) -> StoreResult<Option<Timestamp>> {
        run(async {
            let client = self.db.client().await?;
            let row = client.query_one("SELECT clock_timestamp()", &[]).await?;
            Ok(Some(row.try_get(0)?))
        })
        .await
    }

    async fn task_insert_many(
        &self,
        tasks: Vec<NewTask>,
        now: Timestamp,
    ) -> StoreResult<Vec<Inserted>> {
        if tasks.is_empty() {
            return Ok(Vec::new());
        }
        run(insert::insert_many(&self.db, tasks, now)).await
    }

    async fn task_get(&self, id: &str) -> StoreResult<Option<Task>> {
        run(tasks::get(&self.db, id)).await
    }

    async fn task_list(&self, params: &ListParams) -> StoreResult<Vec<Task>> {
        run(queries::list(&self.db, params)).await
    }

    async fn task_events(&self, id: &str) -> StoreResult<Vec<TaskEvent>> {
        run(history::read(&self.db, id)).await
    }

    async fn task_counts(&self) -> StoreResult<BTreeMap<TaskStatus, u64>> {
        run(counters::by_status(&self.db)).await
    }

    async fn task_page(&self, params: &PageParams) -> StoreResult<Vec<Task>> {
        run(page::page(&self.db, params)).await
    }

    async fn task_count_rows(&self) -> StoreResult<Vec<CountRow>> {
        run(counters::rows(&self.db)).await
    }

    async fn task_retry_many(
        &self,
        selection: &Selection,
        now: Timestamp,
    ) -> StoreResult<Vec<String>> {
        run(bulk::retry_many(&self.db, selection, now)).await
    }

    async fn task_delete_many(&self, selection: &Selection) -> StoreResult<BulkDeleted> {
        run(bulk::delete_many(&self.db, selection)).await
    }

    async fn task_prune(&self, params: &PruneParams) -> StoreResult<u64> {
        run(bulk::prune(&self.db, params)).await
    }

    async fn task_claim(&self, params: &ClaimParams) -> StoreResult<Vec<Lease>> {
        if params.limit == 0 || params.types.is_empty() {
            return Ok(Vec::new());
        }
        run(lease::claim(&self.db, params)).await
    }

    async fn task_next_run_at(&self, types: &[String]) -> StoreResult<Option<Timestamp>> {
        if types.is_empty() {
            return Ok(None);
        }
        run(ready::next_run_at(&self.db, types)).await
    }

    async fn task_finish_many(
        &self,
        finishes: Vec<Finish>,
        now: Timestamp,
    ) -> StoreResult<Vec<bool>> {
        if finishes.is_empty() {
            return Ok(Vec::new());
        }
        run(lease::finish_many(&self.db, &finishes, now)).await
    }

    async fn task_heartbeat(
        &self,
        leases: &[(String, LeaseToken)],
        expires_at: Timestamp,
    ) -> StoreResult<Vec<String>> {
        if leases.is_empty() {
            return Ok(Vec::new());
        }
        run(lease::heartbeat(&self.db, leases, expires_at)).await
    }

    async fn task_list_expired(
        &self,
        expired_by: Timestamp,
        limit: usize,
    ) -> StoreResult<Vec<Lease>> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        run(queries::expired(&self.db, expired_by, limit)).await
    }

    async fn task_list_running(
        &self,
        after: Option<&str>,
        limit: usize,
    ) -> StoreResult<Vec<Lease>> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        run(queries::running(&self.db, after, limit)).await
    }

    async fn task_retry(&self, id: &str, now: Timestamp) -> StoreResult<Task> {
        run(tasks::retry(&self.db, id, now)).await
    }

    async fn task_delete(&self, id: &str) -> StoreResult<Option<Task>> {
        run(tasks::delete(&self.db, id)).await
    }

    async fn cron_register(&self, names: &[String], now: Timestamp) -> StoreResult<()> {
        run(cron::register(&self.db, names, now)).await
    }

    async fn cron_list(&self) -> StoreResult<Vec<CronRecord>> {
        run(cron::list(&self.db)).await
    }

    async fn cron_set_enabled(
        &self,
        name: &str,
        enabled: bool,
        now: Timestamp,
    ) -> StoreResult<CronRecord> {
        run(cron::set_enabled(&self.db, name, enabled, now)).await
    }

    async fn cron_fire(&self, fire: CronFire, now: Timestamp) -> StoreResult<Option<Task>> {
        run(cron::fire(&self.db, fire, now)).await
    }

    async fn task_clear(&self) -> StoreResult<u64> {
        run(tasks::clear(&self.db)).await
    }

    async fn queue_set_paused(&self, name: &str, paused: bool, now: Timestamp) -> StoreResult<()> {
        run(queues::set_paused(&self.db, name, paused, now)).await
    }

    async fn queue_list(&self) -> StoreResult<Vec<QueueState>> {
        run(queues::list(&self.db)).await
    }

    async fn worker_record(&self, record: &WorkerRecord) -> StoreResult<()> {
        run(workers::record(&self.db, record)).await
    }

    async fn worker_list(&self, seen_since: Timestamp) -> StoreResult<Vec<WorkerRecord>> {
        run(workers::list(&self.db, seen_since)).await
    }

    async fn worker_prune(&self, seen_before: Timestamp) -> StoreResult<u64> {
        run(workers::prune(&self.db, seen_before)).await
    }

    async fn queue_backlog(&self, now: Timestamp) -> StoreResult<Vec<QueueBacklog>> {
        run(backlog::backlog(&self.db, now)).await
    }
}
