//! The memory store: the same behaviour as the durable stores, with no durability.
//! For demos and tests. One `std::sync::Mutex` guards everything; nothing awaits under it.

mod cron;
mod queues;
mod state;
mod workers;

use state::{Row, State};

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;

use super::QueueBacklog;
use super::{
    BulkDeleted, Cluster, CountRow, CronFireParams, CronRecord, CronRegisterParams,
    CronSetEnabledParams, Inserted, KeyUsage, Lease, PageOrder, QueueBacklogParams,
    QueueKeyUsageParams, QueueSetLimitsParams, QueueSetPausedParams, QueueState, Store, StoreError,
    StoreResult, TaskClaimParams, TaskDeleteManyParams, TaskDeleteParams, TaskEventsParams,
    TaskFinishManyParams, TaskGetManyParams, TaskGetParams, TaskHeartbeatParams,
    TaskInsertManyParams, TaskListExpiredParams, TaskListParams, TaskListRunningParams,
    TaskNextRunAtParams, TaskPageParams, TaskPruneParams, TaskRetryManyParams, TaskRetryParams,
    WorkerListParams, WorkerPruneParams, WorkerRecord,
};
use crate::task::{Task, TaskEvent, TaskStatus, Timestamp};

/// Tasks in process memory.
#[derive(Debug, Default)]
pub struct MemoryStore {
    state: Mutex<State>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves consistent data (every change is
        // applied whole before any fallible step), so poisoning can be ignored.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[async_trait]
impl Store for MemoryStore {
    fn cluster(&self) -> Option<&dyn Cluster> {
        // Only this process sees the memory.
        None
    }

    fn is_exclusive(&self) -> bool {
        true
    }

    async fn ping(&self) -> StoreResult<()> {
        Ok(())
    }

    async fn task_insert_many(&self, params: TaskInsertManyParams) -> StoreResult<Vec<Inserted>> {
        let TaskInsertManyParams { tasks, now } = params;
        let mut state = self.lock();
        // All or nothing: refuse the whole batch before changing anything.
        let mut ids = std::collections::HashSet::with_capacity(tasks.len());
        if let Some(clash) = tasks
            .iter()
            .find(|t| state.rows.contains_key(&t.id) || !ids.insert(t.id.as_str()))
        {
            return Err(StoreError::conflict(format!(
                "a task with id {} already exists",
                clash.id
            )));
        }
        let mut inserted = Vec::with_capacity(tasks.len());
        for new in tasks {
            if let Some(holder) = new
                .unique_key
                .as_deref()
                .and_then(|key| state.holds_key(key))
            {
                inserted.push(Inserted {
                    task: holder.clone(),
                    duplicate: true,
                });
            } else {
                inserted.push(state.insert(new, now));
            }
        }
        Ok(inserted)
    }

    async fn task_get(&self, params: &TaskGetParams) -> StoreResult<Option<Task>> {
        let id = params.id.as_str();
        Ok(self.lock().rows.get(id).map(|row| row.task.clone()))
    }

    async fn task_get_many(&self, params: &TaskGetManyParams) -> StoreResult<Vec<Task>> {
        let state = self.lock();
        let found = params.ids.iter().filter_map(|id| state.rows.get(id));
        Ok(found.map(|row| row.task.clone()).collect())
    }

    async fn task_list(&self, params: &TaskListParams) -> StoreResult<Vec<Task>> {
        let state = self.lock();
        let matching = state
            .rows
            .values()
            .filter(|row| params.status.is_none_or(|status| row.task.status == status))
            .map(|row| row.task.clone());
        Ok(match params.limit {
            Some(limit) => matching.take(limit).collect(),
            None => matching.collect(),
        })
    }

    async fn task_events(&self, params: &TaskEventsParams) -> StoreResult<Vec<TaskEvent>> {
        let id = params.id.as_str();
        let state = self.lock();
        let row = state.rows.get(id).ok_or(StoreError::NotFound)?;
        Ok(row.events.clone())
    }

    async fn task_counts(&self) -> StoreResult<BTreeMap<TaskStatus, u64>> {
        let mut counts: BTreeMap<TaskStatus, u64> =
            TaskStatus::ALL.iter().map(|s| (*s, 0)).collect();
        for row in self.lock().rows.values() {
            *counts.entry(row.task.status).or_default() += 1;
        }
        Ok(counts)
    }

    async fn task_claim(&self, params: &TaskClaimParams) -> StoreResult<Vec<Lease>> {
        self.lock().claim(params)
    }

    async fn task_next_run_at(
        &self,
        params: &TaskNextRunAtParams,
    ) -> StoreResult<Option<Timestamp>> {
        let types = params.types.as_slice();
        let state = self.lock();
        Ok(state
            .ready
            .iter()
            .filter(|(_, _, id)| {
                let task = &state.rows[id].task;
                types.contains(&task.task_type) && !state.is_paused(&task.queue)
            })
            .map(|(_, run_at, _)| *run_at)
            .min())
    }

    async fn task_finish_many(&self, params: TaskFinishManyParams) -> StoreResult<Vec<bool>> {
        let TaskFinishManyParams { finishes, now } = params;
        let mut state = self.lock();
        Ok(finishes
            .into_iter()
            .map(|finish| state.finish(finish, now))
            .collect())
    }

    async fn task_heartbeat(&self, params: &TaskHeartbeatParams) -> StoreResult<Vec<String>> {
        let leases = params.leases.as_slice();
        let expires_at = params.expires_at;
        let mut state = self.lock();
        let mut lost = Vec::new();
        for (id, token) in leases {
            match state.rows.get_mut(id) {
                Some(row)
                    if row.task.status == TaskStatus::InProgress
                        && row.lease.map(|l| l.0) == Some(*token) =>
                {
                    row.lease = Some((*token, expires_at));
                }
                _ => lost.push(id.clone()),
            }
        }
        Ok(lost)
    }

    async fn task_list_expired(&self, params: &TaskListExpiredParams) -> StoreResult<Vec<Lease>> {
        let expired_by = params.expired_by;
        let limit = params.limit;
        let state = self.lock();
        Ok(state
            .rows
            .values()
            .filter(|row| row.task.status == TaskStatus::InProgress)
            .filter(|row| {
                row.lease
                    .is_some_and(|(_, expires_at)| expires_at <= expired_by)
            })
            .filter_map(State::lease_of)
            .take(limit)
            .collect())
    }

    async fn task_list_running(&self, params: &TaskListRunningParams) -> StoreResult<Vec<Lease>> {
        let after = params.after.as_deref();
        let limit = params.limit;
        let state = self.lock();
        let after = after.map_or(Bound::Unbounded, Bound::Excluded);
        Ok(state
            .rows
            .range::<str, _>((after, Bound::Unbounded))
            .map(|(_, row)| row)
            .filter(|row| row.task.status == TaskStatus::InProgress)
            .filter_map(State::lease_of)
            .take(limit)
            .collect())
    }

    async fn task_retry(&self, params: &TaskRetryParams) -> StoreResult<Task> {
        let id = params.id.as_str();
        let now = params.now;
        self.lock().retry_one(id, now)
    }

    async fn task_delete(&self, params: &TaskDeleteParams) -> StoreResult<Option<Task>> {
        let id = params.id.as_str();
        Ok(self.lock().delete_one(id))
    }

    async fn task_page(&self, params: &TaskPageParams) -> StoreResult<Vec<Task>> {
        let state = self.lock();
        let matching = |row: &&Row| params.filter.matches(&row.task);
        let rows: Box<dyn Iterator<Item = &Row>> = match (params.order, params.after.as_deref()) {
            (PageOrder::NewestFirst, Some(after)) => Box::new(
                state
                    .rows
                    .range::<str, _>((Bound::Unbounded, Bound::Excluded(after)))
                    .rev()
                    .map(|(_, row)| row),
            ),
            (PageOrder::NewestFirst, None) => Box::new(state.rows.values().rev()),
            (PageOrder::OldestFirst, Some(after)) => Box::new(
                state
                    .rows
                    .range::<str, _>((Bound::Excluded(after), Bound::Unbounded))
                    .map(|(_, row)| row),
            ),
            (PageOrder::OldestFirst, None) => Box::new(state.rows.values()),
        };
        Ok(rows
            .filter(matching)
            .take(params.limit)
            .map(|row| row.task.clone())
            .collect())
    }

    async fn task_count_rows(&self) -> StoreResult<Vec<CountRow>> {
        let state = self.lock();
        let mut rows: Vec<CountRow> = state
            .counts
            .iter()
            .filter(|(_, count)| **count > 0)
            .map(|((queue, task_type, status), count)| CountRow {
                queue: queue.clone(),
                task_type: task_type.clone(),
                status: *status,
                count: *count,
            })
            .collect();
        rows.sort_by(|a, b| {
            (&a.queue, &a.task_type, a.status).cmp(&(&b.queue, &b.task_type, b.status))
        });
        Ok(rows)
    }

    async fn task_retry_many(&self, params: &TaskRetryManyParams) -> StoreResult<Vec<String>> {
        let selection = &params.selection;
        let now = params.now;
        let mut state = self.lock();
        let ids = state.select(selection);
        Ok(ids
            .into_iter()
            .filter(|id| state.retry_one(id, now).is_ok())
            .collect())
    }

    async fn task_delete_many(&self, params: &TaskDeleteManyParams) -> StoreResult<BulkDeleted> {
        let selection = &params.selection;
        let mut state = self.lock();
        let mut deleted = BulkDeleted::default();
        for id in state.select(selection) {
            if let Some(task) = state.delete_one(&id) {
                deleted.count += 1;
                if task.status == TaskStatus::InProgress {
                    deleted.running.push(task.id);
                }
            }
        }
        Ok(deleted)
    }

    async fn task_prune(&self, params: &TaskPruneParams) -> StoreResult<u64> {
        let mut state = self.lock();
        let mut doomed: Vec<(Timestamp, String)> = state
            .rows
            .values()
            .filter(|row| row.task.status == params.status)
            .filter_map(|row| Some((row.task.finished_at?, row.task.id.clone())))
            .filter(|(finished_at, _)| *finished_at < params.finished_before)
            .collect();
        doomed.sort();
        doomed.truncate(params.limit);
        for (_, id) in &doomed {
            state.delete_one(id);
        }
        Ok(doomed.len() as u64)
    }

    async fn cron_register(&self, params: &CronRegisterParams) -> StoreResult<()> {
        let names = params.names.as_slice();
        let now = params.now;
        self.lock().cron_register(names, now);
        Ok(())
    }

    async fn cron_list(&self) -> StoreResult<Vec<CronRecord>> {
        Ok(self.lock().cron.values().cloned().collect())
    }

    async fn cron_set_enabled(&self, params: &CronSetEnabledParams) -> StoreResult<CronRecord> {
        let name = params.name.as_str();
        let enabled = params.enabled;
        let now = params.now;
        Ok(self.lock().cron_set_enabled(name, enabled, now))
    }

    async fn cron_fire(&self, params: CronFireParams) -> StoreResult<Option<Task>> {
        let CronFireParams { fire, now } = params;
        Ok(self.lock().cron_fire(fire, now))
    }

    async fn task_clear(&self) -> StoreResult<u64> {
        let mut state = self.lock();
        let count = state.rows.len() as u64;
        state.rows.clear();
        state.ready.clear();
        state.unique.clear();
        state.counts.clear();
        state.running = Default::default();
        Ok(count)
    }

    async fn queue_key_usage(&self, params: &QueueKeyUsageParams) -> StoreResult<Vec<KeyUsage>> {
        Ok(self.lock().queue_key_usage(&params.queue, params.limit))
    }

    async fn queue_list(&self) -> StoreResult<Vec<QueueState>> {
        Ok(self.lock().queue_list())
    }

    async fn queue_set_limits(&self, params: &QueueSetLimitsParams) -> StoreResult<()> {
        self.lock().queue_set_limits(&params.name, &params.limits);
        Ok(())
    }

    async fn queue_set_paused(&self, params: &QueueSetPausedParams) -> StoreResult<()> {
        self.lock().queue_set_paused(&params.name, params.paused);
        Ok(())
    }

    async fn worker_record(&self, record: &WorkerRecord) -> StoreResult<()> {
        self.lock().worker_record(record);
        Ok(())
    }

    async fn worker_list(&self, params: &WorkerListParams) -> StoreResult<Vec<WorkerRecord>> {
        let seen_since = params.seen_since;
        Ok(self.lock().worker_list(seen_since))
    }

    async fn worker_prune(&self, params: &WorkerPruneParams) -> StoreResult<u64> {
        let seen_before = params.seen_before;
        Ok(self.lock().worker_prune(seen_before))
    }

    /// Walks every queued task: the memory store is for tests and demos.
    async fn queue_backlog(&self, params: &QueueBacklogParams) -> StoreResult<Vec<QueueBacklog>> {
        let now = params.now;
        let state = self.lock();
        let mut queues: BTreeMap<&str, QueueBacklog> = BTreeMap::new();
        let queued = state
            .ready
            .iter()
            .filter_map(|(_, _, id)| state.rows.get(id));
        for task in queued.map(|row| &row.task) {
            let backlog = queues.entry(&task.queue).or_insert_with(|| QueueBacklog {
                queue: task.queue.clone(),
                scheduled: 0,
                retrying: 0,
                oldest_ready_at: None,
            });
            if task.run_at <= now {
                let oldest = backlog.oldest_ready_at.get_or_insert(task.run_at);
                *oldest = (*oldest).min(task.run_at);
            } else if task.attempts > 0 {
                backlog.retrying += 1;
            } else {
                backlog.scheduled += 1;
            }
        }
        Ok(queues.into_values().collect())
    }
}
