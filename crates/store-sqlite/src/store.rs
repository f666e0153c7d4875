//! [`SqliteStore`]: opening the file, and the storage trait on top of the
//! writer (every change) and the read pool (every read).

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use rustqueue_core::store::{
    BulkDeleted, Cluster, CountRow, CronFireParams, CronRecord, CronRegisterParams,
    CronSetEnabledParams, Inserted, KeyUsage, Lease, QueueBacklog, QueueBacklogParams,
    QueueKeyUsageParams, QueueSetLimitsParams, QueueSetPausedParams, QueueState, Store, StoreError,
    StoreResult, TaskClaimParams, TaskDeleteManyParams, TaskDeleteParams, TaskEventsParams,
    TaskFinishManyParams, TaskGetManyParams, TaskGetParams, TaskHeartbeatParams,
    TaskInsertManyParams, TaskListExpiredParams, TaskListParams, TaskListRunningParams,
    TaskNextRunAtParams, TaskPageParams, TaskPruneParams, TaskRetryManyParams, TaskRetryParams,
    WorkerListParams, WorkerPruneParams, WorkerRecord,
};
use rustqueue_core::task::{Task, TaskEvent, TaskStatus, Timestamp};

use crate::backlog;
use crate::checkpointer::Checkpointer;
use crate::connection::{lock_exclusive, open_writer};
use crate::errors::OpenError;
use crate::options::{SqliteOptions, path_from_url};
use crate::reader::Readers;
use crate::writer::Writer;
use crate::{
    bulk, counters, cron, history, insert, lease, migrate, page, queries, queues, ready, tasks,
    workers,
};

/// Tasks in a SQLite file, owned by this process alone.
pub struct SqliteStore {
    /// Held only to be dropped, first, so it stops before the writer closes the file.
    _checkpointer: Checkpointer,
    path: PathBuf,
    writer: Writer,
    readers: Arc<Readers>,
}

impl fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path`: locks it for this
    /// process, switches it to WAL, applies pending migrations, starts the writer.
    pub fn open(path: impl AsRef<Path>, options: SqliteOptions) -> Result<Self, OpenError> {
        let path = path.as_ref().to_owned();
        let lock = lock_exclusive(&path)?;
        let mut conn = open_writer(&path, &options)?;
        let before = migrate::migrate(&mut conn, &path)?;
        let writer = Writer::spawn(conn, lock).map_err(OpenError::Thread)?;
        let checkpointer = Checkpointer::start(&path, &options)?;
        tracing::info!(
            path = %path.display(),
            schema_from = before,
            schema = migrate::LATEST,
            synchronous = options.synchronous.as_pragma(),
            "opened sqlite store"
        );
        Ok(Self {
            _checkpointer: checkpointer,
            readers: Readers::new(path.clone(), options),
            path,
            writer,
        })
    }

    /// Opens the file named by a `sqlite://` URL; see [`path_from_url`].
    pub fn open_url(url: &str, options: SqliteOptions) -> Result<Self, OpenError> {
        Self::open(path_from_url(url)?, options)
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[async_trait]
impl Store for SqliteStore {
    fn cluster(&self) -> Option<&dyn Cluster> {
        // One process owns the file: nothing to share with other nodes.
        None
    }

    async fn cron_fire(&self, params: CronFireParams) -> StoreResult<Option<Task>> {
        let CronFireParams { fire, now } = params;
        self.writer
            .run(move |conn| cron::fire(conn, fire, now))
            .await
    }

    async fn cron_list(&self) -> StoreResult<Vec<CronRecord>> {
        self.readers.run(cron::list).await
    }

    async fn cron_register(&self, params: &CronRegisterParams) -> StoreResult<()> {
        let params = params.clone();
        self.writer
            .run(move |conn| cron::register(conn, &params.names, params.now))
            .await
    }

    async fn cron_set_enabled(&self, params: &CronSetEnabledParams) -> StoreResult<CronRecord> {
        let params = params.clone();
        self.writer
            .run(move |conn| cron::set_enabled(conn, &params.name, params.enabled, params.now))
            .await
    }

    fn is_exclusive(&self) -> bool {
        // The lock file keeps every other process out while this store is open.
        true
    }

    async fn ping(&self) -> StoreResult<()> {
        if !self.writer.is_running() {
            return Err(StoreError::unavailable("the sqlite writer has stopped"));
        }
        self.readers
            .run(|conn| Ok(conn.prepare_cached("SELECT 1")?.query_row([], |_| Ok(()))?))
            .await
    }

    async fn queue_backlog(&self, params: &QueueBacklogParams) -> StoreResult<Vec<QueueBacklog>> {
        let now = params.now;
        self.readers
            .run(move |conn| backlog::backlog(conn, now))
            .await
    }

    async fn queue_key_usage(&self, params: &QueueKeyUsageParams) -> StoreResult<Vec<KeyUsage>> {
        let params = params.clone();
        self.readers
            .run(move |conn| queues::key_usage(conn, &params.queue, params.limit))
            .await
    }

    async fn queue_set_limits(&self, params: &QueueSetLimitsParams) -> StoreResult<()> {
        let params = params.clone();
        self.writer
            .run(move |conn| queues::set_limits(conn, &params.name, &params.limits, params.now))
            .await
    }

    async fn queue_list(&self) -> StoreResult<Vec<QueueState>> {
        self.readers.run(queues::list).await
    }

    async fn queue_set_paused(&self, params: &QueueSetPausedParams) -> StoreResult<()> {
        let params = params.clone();
        self.writer
            .run(move |conn| queues::set_paused(conn, &params.name, params.paused, params.now))
            .await
    }

    async fn task_claim(&self, params: &TaskClaimParams) -> StoreResult<Vec<Lease>> {
        let params = params.clone();
        self.writer
            .run(move |conn| lease::claim(conn, &params))
            .await
    }

    async fn task_clear(&self) -> StoreResult<u64> {
        self.writer.run(tasks::clear).await
    }

    async fn task_count_rows(&self) -> StoreResult<Vec<CountRow>> {
        self.readers.run(counters::rows).await
    }

    async fn task_counts(&self) -> StoreResult<BTreeMap<TaskStatus, u64>> {
        self.readers.run(counters::by_status).await
    }

    async fn task_delete(&self, params: &TaskDeleteParams) -> StoreResult<Option<Task>> {
        let id = params.id.clone();
        self.writer.run(move |conn| tasks::delete(conn, &id)).await
    }

    async fn task_delete_many(&self, params: &TaskDeleteManyParams) -> StoreResult<BulkDeleted> {
        let selection = params.selection.clone();
        self.writer
            .run(move |conn| bulk::delete_many(conn, &selection))
            .await
    }

    async fn task_events(&self, params: &TaskEventsParams) -> StoreResult<Vec<TaskEvent>> {
        let id = params.id.clone();
        self.readers.run(move |conn| history::read(conn, &id)).await
    }

    async fn task_finish_many(&self, params: TaskFinishManyParams) -> StoreResult<Vec<bool>> {
        let TaskFinishManyParams { finishes, now } = params;
        self.writer
            .run(move |conn| lease::finish_many(conn, finishes, now))
            .await
    }

    async fn task_get(&self, params: &TaskGetParams) -> StoreResult<Option<Task>> {
        let id = params.id.clone();
        self.readers
            .run(move |conn| Ok(tasks::get(conn, &id)?))
            .await
    }

    async fn task_get_many(&self, params: &TaskGetManyParams) -> StoreResult<Vec<Task>> {
        let ids = params.ids.clone();
        self.readers
            .run(move |conn| tasks::get_many(conn, &ids))
            .await
    }

    async fn task_heartbeat(&self, params: &TaskHeartbeatParams) -> StoreResult<Vec<String>> {
        let params = params.clone();
        self.writer
            .run(move |conn| lease::heartbeat(conn, &params.leases, params.expires_at))
            .await
    }

    async fn task_insert_many(&self, params: TaskInsertManyParams) -> StoreResult<Vec<Inserted>> {
        let TaskInsertManyParams { tasks, now } = params;
        self.writer
            .run(move |conn| insert::insert_many(conn, tasks, now))
            .await
    }

    async fn task_list(&self, params: &TaskListParams) -> StoreResult<Vec<Task>> {
        let params = params.clone();
        self.readers
            .run(move |conn| queries::list(conn, &params))
            .await
    }

    async fn task_list_expired(&self, params: &TaskListExpiredParams) -> StoreResult<Vec<Lease>> {
        let TaskListExpiredParams { expired_by, limit } = *params;
        self.readers
            .run(move |conn| queries::expired(conn, expired_by, limit))
            .await
    }

    async fn task_list_running(&self, params: &TaskListRunningParams) -> StoreResult<Vec<Lease>> {
        let params = params.clone();
        self.readers
            .run(move |conn| queries::running(conn, params.after.as_deref(), params.limit))
            .await
    }

    async fn task_next_run_at(
        &self,
        params: &TaskNextRunAtParams,
    ) -> StoreResult<Option<Timestamp>> {
        let types = params.types.clone();
        self.readers
            .run(move |conn| ready::next_run_at(conn, &types))
            .await
    }

    async fn task_page(&self, params: &TaskPageParams) -> StoreResult<Vec<Task>> {
        let params = params.clone();
        self.readers
            .run(move |conn| page::page(conn, &params))
            .await
    }

    async fn task_prune(&self, params: &TaskPruneParams) -> StoreResult<u64> {
        let params = params.clone();
        self.writer
            .run(move |conn| bulk::prune(conn, &params))
            .await
    }

    async fn task_retry(&self, params: &TaskRetryParams) -> StoreResult<Task> {
        let params = params.clone();
        self.writer
            .run(move |conn| tasks::retry(conn, &params.id, params.now))
            .await
    }

    async fn task_retry_many(&self, params: &TaskRetryManyParams) -> StoreResult<Vec<String>> {
        let params = params.clone();
        self.writer
            .run(move |conn| bulk::retry_many(conn, &params.selection, params.now))
            .await
    }

    async fn worker_list(&self, params: &WorkerListParams) -> StoreResult<Vec<WorkerRecord>> {
        let seen_since = params.seen_since;
        self.readers
            .run(move |conn| workers::list(conn, seen_since))
            .await
    }

    async fn worker_prune(&self, params: &WorkerPruneParams) -> StoreResult<u64> {
        let seen_before = params.seen_before;
        self.writer
            .run(move |conn| workers::prune(conn, seen_before))
            .await
    }

    async fn worker_record(&self, record: &WorkerRecord) -> StoreResult<()> {
        let record = record.clone();
        self.writer
            .run(move |conn| workers::record(conn, &record))
            .await
    }
}
