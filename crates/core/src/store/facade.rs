//! [`StoreFacade`]: the one door to a backend. It answers calls that have
//! nothing to do, truncates times to the microsecond the stores keep, wraps
//! every call in a `store.call` span and its duration histogram, and tries
//! again, a bounded number of times, the calls that are safe to repeat when
//! the store is unavailable. Backends then hold only their storage code.

mod ops;
mod timings;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use tracing::Instrument;

use ops::Op;
pub use timings::{STORE_CALL_BUCKETS, StoreCallHistogram, StoreCallTimings};

use super::{
    BulkDeleted, Cluster, CountRow, CronFireParams, CronRecord, CronRegisterParams,
    CronSetEnabledParams, Finish, Inserted, KeyUsage, Lease, Outcome, QueueBacklog,
    QueueBacklogParams, QueueKeyUsageParams, QueueSetLimitsParams, QueueSetPausedParams,
    QueueState, Selection, Store, StoreError, StoreResult, TaskClaimParams, TaskDeleteManyParams,
    TaskDeleteParams, TaskEventsParams, TaskFinishManyParams, TaskGetManyParams, TaskGetParams,
    TaskHeartbeatParams, TaskInsertManyParams, TaskListExpiredParams, TaskListParams,
    TaskListRunningParams, TaskNextRunAtParams, TaskPageParams, TaskPruneParams,
    TaskRetryManyParams, TaskRetryParams, WorkerListParams, WorkerPruneParams, WorkerRecord,
};
use crate::task::{Task, TaskEvent, TaskStatus, Timestamp};

/// How many times a call that is safe to repeat is tried while the store is unavailable.
const TRIES: u32 = 3;

/// The pause before the second try; the third waits twice as long.
const BACKOFF: Duration = Duration::from_millis(20);

// Which calls are tried again after `Unavailable` (`repeatable`): those
// whose repeat, after a first try that did commit, changes nothing and
// answers the same: reads, heartbeats, setting a flag, upserts of records.
// Tried once (`once`): claims and inserts (a repeat would do them twice),
// guarded finishes and retries (a repeat reports "not applied"), deletes,
// prunes and clears (a repeat counts nothing). Their callers decide.

/// A backend behind the facade; the engine holds one, and it is itself a
/// [`Store`], so anything that takes a store can take it.
#[derive(Debug)]
pub struct StoreFacade {
    inner: Arc<dyn Store>,
    timings: StoreCallTimings,
}

impl StoreFacade {
    /// The facade over `inner`.
    pub fn new(inner: Arc<dyn Store>) -> Self {
        Self {
            inner,
            timings: StoreCallTimings::default(),
        }
    }

    /// How long each kind of call took, since the facade was made.
    pub fn timings(&self) -> &StoreCallTimings {
        &self.timings
    }

    /// Runs a call that is tried once, under its span and timed.
    async fn once<T>(&self, op: Op, call: impl Future<Output = StoreResult<T>>) -> StoreResult<T> {
        let span = tracing::debug_span!("store.call", op = op.name());
        let started = Instant::now();
        let result = call.instrument(span).await;
        self.timings.observe(op, started.elapsed());
        result
    }

    /// Runs a call that is safe to repeat, trying it again (a bounded number
    /// of times) while the store is unavailable; timed as one call, retries included.
    async fn repeatable<T, F, Fut>(&self, op: Op, mut call: F) -> StoreResult<T>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = StoreResult<T>>,
    {
        let tries = async {
            let mut tries = 1;
            loop {
                match call().await {
                    Err(StoreError::Unavailable(cause)) if tries < TRIES => {
                        tracing::debug!(error = %cause, tries, "store unavailable; trying again");
                        tokio::time::sleep(BACKOFF * tries).await;
                        tries += 1;
                    }
                    other => return other,
                }
            }
        };
        self.once(op, tries).await
    }
}

/// `at` to the microsecond, the precision every store keeps.
fn micros(at: Timestamp) -> Timestamp {
    chrono::SubsecRound::trunc_subsecs(at, 6)
}

fn finish_micros(mut finish: Finish) -> Finish {
    finish.expired_by = finish.expired_by.map(micros);
    if let Outcome::Retry { run_at, .. } | Outcome::Released { run_at } = &mut finish.outcome {
        *run_at = micros(*run_at);
    }
    finish
}

fn no_ids(selection: &Selection) -> bool {
    matches!(selection, Selection::Ids(ids) if ids.is_empty())
}

#[async_trait]
impl Store for StoreFacade {
    fn cluster(&self) -> Option<&dyn Cluster> {
        self.inner.cluster()
    }

    async fn cron_fire(&self, mut params: CronFireParams) -> StoreResult<Option<Task>> {
        params.now = micros(params.now);
        params.fire.tick = micros(params.fire.tick);
        params.fire.task.run_at = micros(params.fire.task.run_at);
        self.once(Op::CronFire, self.inner.cron_fire(params)).await
    }

    async fn cron_list(&self) -> StoreResult<Vec<CronRecord>> {
        self.repeatable(Op::CronList, || self.inner.cron_list())
            .await
    }

    async fn cron_register(&self, params: &CronRegisterParams) -> StoreResult<()> {
        if params.names.is_empty() {
            return Ok(());
        }
        let params = CronRegisterParams {
            now: micros(params.now),
            ..params.clone()
        };
        self.repeatable(Op::CronRegister, || self.inner.cron_register(&params))
            .await
    }

    async fn cron_set_enabled(&self, params: &CronSetEnabledParams) -> StoreResult<CronRecord> {
        let params = CronSetEnabledParams {
            now: micros(params.now),
            ..params.clone()
        };
        self.repeatable(Op::CronSetEnabled, || self.inner.cron_set_enabled(&params))
            .await
    }

    fn is_exclusive(&self) -> bool {
        self.inner.is_exclusive()
    }

    async fn ping(&self) -> StoreResult<()> {
        // Readiness asks whether the store answers now: no second try.
        self.once(Op::Ping, self.inner.ping()).await
    }

    async fn queue_backlog(&self, params: &QueueBacklogParams) -> StoreResult<Vec<QueueBacklog>> {
        let params = QueueBacklogParams {
            now: micros(params.now),
        };
        self.repeatable(Op::QueueBacklog, || self.inner.queue_backlog(&params))
            .await
    }

    async fn queue_list(&self) -> StoreResult<Vec<QueueState>> {
        self.repeatable(Op::QueueList, || self.inner.queue_list())
            .await
    }

    async fn queue_key_usage(&self, params: &QueueKeyUsageParams) -> StoreResult<Vec<KeyUsage>> {
        if params.limit == 0 {
            return Ok(Vec::new());
        }
        self.repeatable(Op::QueueKeyUsage, || self.inner.queue_key_usage(params))
            .await
    }

    async fn queue_set_limits(&self, params: &QueueSetLimitsParams) -> StoreResult<()> {
        let params = QueueSetLimitsParams {
            now: micros(params.now),
            ..params.clone()
        };
        // Setting the same limits again changes nothing.
        self.repeatable(Op::QueueSetLimits, || self.inner.queue_set_limits(&params))
            .await
    }

    async fn queue_set_paused(&self, params: &QueueSetPausedParams) -> StoreResult<()> {
        let params = QueueSetPausedParams {
            now: micros(params.now),
            ..params.clone()
        };
        self.repeatable(Op::QueueSetPaused, || self.inner.queue_set_paused(&params))
            .await
    }

    async fn task_claim(&self, params: &TaskClaimParams) -> StoreResult<Vec<Lease>> {
        if params.limit == 0 || params.types.is_empty() {
            return Ok(Vec::new());
        }
        let params = TaskClaimParams {
            now: micros(params.now),
            lease_expires_at: micros(params.lease_expires_at),
            ..params.clone()
        };
        self.once(Op::TaskClaim, self.inner.task_claim(&params))
            .await
    }

    async fn task_clear(&self) -> StoreResult<u64> {
        self.once(Op::TaskClear, self.inner.task_clear()).await
    }

    async fn task_count_rows(&self) -> StoreResult<Vec<CountRow>> {
        self.repeatable(Op::TaskCountRows, || self.inner.task_count_rows())
            .await
    }

    async fn task_counts(&self) -> StoreResult<BTreeMap<TaskStatus, u64>> {
        self.repeatable(Op::TaskCounts, || self.inner.task_counts())
            .await
    }

    async fn task_delete(&self, params: &TaskDeleteParams) -> StoreResult<Option<Task>> {
        self.once(Op::TaskDelete, self.inner.task_delete(params))
            .await
    }

    async fn task_delete_many(&self, params: &TaskDeleteManyParams) -> StoreResult<BulkDeleted> {
        if no_ids(&params.selection) {
            return Ok(BulkDeleted::default());
        }
        self.once(Op::TaskDeleteMany, self.inner.task_delete_many(params))
            .await
    }

    async fn task_events(&self, params: &TaskEventsParams) -> StoreResult<Vec<TaskEvent>> {
        self.repeatable(Op::TaskEvents, || self.inner.task_events(params))
            .await
    }

    async fn task_finish_many(&self, params: TaskFinishManyParams) -> StoreResult<Vec<bool>> {
        if params.finishes.is_empty() {
            return Ok(Vec::new());
        }
        let params = TaskFinishManyParams {
            finishes: params.finishes.into_iter().map(finish_micros).collect(),
            now: micros(params.now),
        };
        self.once(Op::TaskFinishMany, self.inner.task_finish_many(params))
            .await
    }

    async fn task_get(&self, params: &TaskGetParams) -> StoreResult<Option<Task>> {
        self.repeatable(Op::TaskGet, || self.inner.task_get(params))
            .await
    }

    async fn task_get_many(&self, params: &TaskGetManyParams) -> StoreResult<Vec<Task>> {
        if params.ids.is_empty() {
            return Ok(Vec::new());
        }
        self.repeatable(Op::TaskGetMany, || self.inner.task_get_many(params))
            .await
    }

    async fn task_heartbeat(&self, params: &TaskHeartbeatParams) -> StoreResult<Vec<String>> {
        if params.leases.is_empty() {
            return Ok(Vec::new());
        }
        let params = TaskHeartbeatParams {
            leases: params.leases.clone(),
            expires_at: micros(params.expires_at),
        };
        self.repeatable(Op::TaskHeartbeat, || self.inner.task_heartbeat(&params))
            .await
    }

    async fn task_insert_many(&self, params: TaskInsertManyParams) -> StoreResult<Vec<Inserted>> {
        if params.tasks.is_empty() {
            return Ok(Vec::new());
        }
        let mut params = params;
        params.now = micros(params.now);
        for task in &mut params.tasks {
            task.run_at = micros(task.run_at);
        }
        self.once(Op::TaskInsertMany, self.inner.task_insert_many(params))
            .await
    }

    async fn task_list(&self, params: &TaskListParams) -> StoreResult<Vec<Task>> {
        self.repeatable(Op::TaskList, || self.inner.task_list(params))
            .await
    }

    async fn task_list_expired(&self, params: &TaskListExpiredParams) -> StoreResult<Vec<Lease>> {
        if params.limit == 0 {
            return Ok(Vec::new());
        }
        let params = TaskListExpiredParams {
            expired_by: micros(params.expired_by),
            ..*params
        };
        self.repeatable(Op::TaskListExpired, || {
            self.inner.task_list_expired(&params)
        })
        .await
    }

    async fn task_list_running(&self, params: &TaskListRunningParams) -> StoreResult<Vec<Lease>> {
        if params.limit == 0 {
            return Ok(Vec::new());
        }
        self.repeatable(Op::TaskListRunning, || self.inner.task_list_running(params))
            .await
    }

    async fn task_next_run_at(
        &self,
        params: &TaskNextRunAtParams,
    ) -> StoreResult<Option<Timestamp>> {
        if params.types.is_empty() {
            return Ok(None);
        }
        self.repeatable(Op::TaskNextRunAt, || self.inner.task_next_run_at(params))
            .await
    }

    async fn task_page(&self, params: &TaskPageParams) -> StoreResult<Vec<Task>> {
        self.repeatable(Op::TaskPage, || self.inner.task_page(params))
            .await
    }

    async fn task_prune(&self, params: &TaskPruneParams) -> StoreResult<u64> {
        let params = TaskPruneParams {
            finished_before: micros(params.finished_before),
            ..params.clone()
        };
        self.once(Op::TaskPrune, self.inner.task_prune(&params))
            .await
    }

    async fn task_retry(&self, params: &TaskRetryParams) -> StoreResult<Task> {
        let params = TaskRetryParams {
            now: micros(params.now),
            ..params.clone()
        };
        self.once(Op::TaskRetry, self.inner.task_retry(&params))
            .await
    }

    async fn task_retry_many(&self, params: &TaskRetryManyParams) -> StoreResult<Vec<String>> {
        if no_ids(&params.selection) {
            return Ok(Vec::new());
        }
        let params = TaskRetryManyParams {
            now: micros(params.now),
            ..params.clone()
        };
        self.once(Op::TaskRetryMany, self.inner.task_retry_many(&params))
            .await
    }

    async fn worker_list(&self, params: &WorkerListParams) -> StoreResult<Vec<WorkerRecord>> {
        let params = WorkerListParams {
            seen_since: micros(params.seen_since),
        };
        self.repeatable(Op::WorkerList, || self.inner.worker_list(&params))
            .await
    }

    async fn worker_prune(&self, params: &WorkerPruneParams) -> StoreResult<u64> {
        let params = WorkerPruneParams {
            seen_before: micros(params.seen_before),
        };
        self.once(Op::WorkerPrune, self.inner.worker_prune(&params))
            .await
    }

    async fn worker_record(&self, record: &WorkerRecord) -> StoreResult<()> {
        let record = WorkerRecord {
            last_seen_at: micros(record.last_seen_at),
            ..record.clone()
        };
        self.repeatable(Op::WorkerRecord, || self.inner.worker_record(&record))
            .await
    }
}

#[cfg(test)]
mod tests;
