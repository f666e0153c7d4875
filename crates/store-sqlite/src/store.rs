//! [`SqliteStore`]: opening the file, and the storage trait on top of the
//! writer (every change) and the read pool (every read).

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use rustqueue_core::store::QueueBacklog;
use rustqueue_core::store::{
    BulkDeleted, ClaimParams, CountRow, CronFire, CronRecord, Finish, Inserted, Lease, LeaseToken,
    ListParams, PageParams, PruneParams, QueueState, Selection, Store, StoreError, StoreResult,
    WorkerRecord,
};
use rustqueue_core::task::{NewTask, Task, TaskEvent, TaskStatus, Timestamp};

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
    fn is_exclusive(&self) -> bool {
        // The lock file keeps every other process out while this store is open.
        true
    }

    async fn ping(&self) -> StoreResult<()> {
        if !self.writer.is_running() {
            return Err(StoreError::Unavailable(
                "the sqlite writer has stopped".to_owned(),
            ));
        }
        self.readers
            .run(|conn| Ok(conn.prepare_cached("SELECT 1")?.query_row([], |_| Ok(()))?))
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
        self.writer
            .run(move |conn| insert::insert_many(conn, tasks, now))
            .await
    }

    async fn task_get(&self, id: &str) -> StoreResult<Option<Task>> {
        let id = id.to_owned();
        self.readers
            .run(move |conn| Ok(tasks::get(conn, &id)?))
            .await
    }

    async fn task_list(&self, params: &ListParams) -> StoreResult<Vec<Task>> {
        let params = params.clone();
        self.readers
            .run(move |conn| queries::list(conn, &params))
            .await
    }

    async fn task_events(&self, id: &str) -> StoreResult<Vec<TaskEvent>> {
        let id = id.to_owned();
        self.readers.run(move |conn| history::read(conn, &id)).await
    }

    async fn task_counts(&self) -> StoreResult<BTreeMap<TaskStatus, u64>> {
        self.readers.run(counters::by_status).await
    }

    async fn task_page(&self, params: &PageParams) -> StoreResult<Vec<Task>> {
        let params = params.clone();
        self.readers
            .run(move |conn| page::page(conn, &params))
            .await
    }

    async fn task_count_rows(&self) -> StoreResult<Vec<CountRow>> {
        self.readers.run(counters::rows).await
    }

    async fn task_retry_many(
        &self,
        selection: &Selection,
        now: Timestamp,
    ) -> StoreResult<Vec<String>> {
        let selection = selection.clone();
        self.writer
            .run(move |conn| bulk::retry_many(conn, &selection, now))
            .await
    }

    async fn task_delete_many(&self, selection: &Selection) -> StoreResult<BulkDeleted> {
        let selection = selection.clone();
        self.writer
            .run(move |conn| bulk::delete_many(conn, &selection))
            .await
    }

    async fn task_prune(&self, params: &PruneParams) -> StoreResult<u64> {
        let params = params.clone();
        self.writer
            .run(move |conn| bulk::prune(conn, &params))
            .await
    }

    async fn task_claim(&self, params: &ClaimParams) -> StoreResult<Vec<Lease>> {
        if params.limit == 0 || params.types.is_empty() {
            return Ok(Vec::new());
        }
        let params = params.clone();
        self.writer
            .run(move |conn| lease::claim(conn, &params))
            .await
    }

    async fn task_next_run_at(&self, types: &[String]) -> StoreResult<Option<Timestamp>> {
        let types = types.to_vec();
        self.readers
            .run(move |conn| ready::next_run_at(conn, &types))
            .await
    }

    async fn task_finish_many(
        &self,
        finishes: Vec<Finish>,
        now: Timestamp,
    ) -> StoreResult<Vec<bool>> {
        if finishes.is_empty() {
            return Ok(Vec::new());
        }
        self.writer
            .run(move |conn| lease::finish_many(conn, finishes, now))
            .await
    }

    async fn task_heartbeat(
        &self,
        leases: &[(String, LeaseToken)],
        expires_at: Timestamp,
    ) -> StoreResult<Vec<String>> {
        if leases.is_empty() {
            return Ok(Vec::new());
        }
        let leases = leases.to_vec();
        self.writer
            .run(move |conn| lease::heartbeat(conn, &leases, expires_at))
            .await
    }

    async fn task_list_expired(
        &self,
        expired_by: Timestamp,
        limit: usize,
    ) -> StoreResult<Vec<Lease>> {
        self.readers
            .run(move |conn| queries::expired(conn, expired_by, limit))
            .await
    }

    async fn task_list_running(
        &self,
        after: Option<&str>,
        limit: usize,
    ) -> StoreResult<Vec<Lease>> {
        let after = after.map(str::to_owned);
        self.readers
            .run(move |conn| queries::running(conn, after.as_deref(), limit))
            .await
    }

    async fn task_retry(&self, id: &str, now: Timestamp) -> StoreResult<Task> {
        let id = id.to_owned();
        self.writer
            .run(move |conn| tasks::retry(conn, &id, now))
            .await
    }

    async fn task_delete(&self, id: &str) -> StoreResult<Option<Task>> {
        let id = id.to_owned();
        self.writer.run(move |conn| tasks::delete(conn, &id)).await
    }

    async fn cron_register(&self, names: &[String], now: Timestamp) -> StoreResult<()> {
        let names = names.to_vec();
        self.writer
            .run(move |conn| cron::register(conn, &names, now))
            .await
    }

    async fn cron_list(&self) -> StoreResult<Vec<CronRecord>> {
        self.readers.run(cron::list).await
    }

    async fn cron_set_enabled(
        &self,
        name: &str,
        enabled: bool,
        now: Timestamp,
    ) -> StoreResult<CronRecord> {
        let name = name.to_owned();
        self.writer
            .run(move |conn| cron::set_enabled(conn, &name, enabled, now))
            .await
    }

    async fn cron_fire(&self, fire: CronFire, now: Timestamp) -> StoreResult<Option<Task>> {
        self.writer
            .run(move |conn| cron::fire(conn, fire, now))
            .await
    }

    async fn task_clear(&self) -> StoreResult<u64> {
        self.writer.run(tasks::clear).await
    }

    async fn queue_set_paused(&self, name: &str, paused: bool, now: Timestamp) -> StoreResult<()> {
        let name = name.to_owned();
        self.writer
            .run(move |conn| queues::set_paused(conn, &name, paused, now))
            .await
    }

    async fn queue_list(&self) -> StoreResult<Vec<QueueState>> {
        self.readers.run(queues::list).await
    }

    async fn worker_record(&self, record: &WorkerRecord) -> StoreResult<()> {
        let record = record.clone();
        self.writer
            .run(move |conn| workers::record(conn, &record))
            .await
    }

    async fn worker_list(&self, seen_since: Timestamp) -> StoreResult<Vec<WorkerRecord>> {
        self.readers
            .run(move |conn| workers::list(conn, seen_since))
            .await
    }

    async fn worker_prune(&self, seen_before: Timestamp) -> StoreResult<u64> {
        self.writer
            .run(move |conn| workers::prune(conn, seen_before))
            .await
    }

    async fn queue_backlog(&self, now: Timestamp) -> StoreResult<Vec<QueueBacklog>> {
        self.readers
            .run(move |conn| backlog::backlog(conn, now))
            .await
    }
}
