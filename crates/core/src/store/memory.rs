//! The memory store: the same behaviour as the durable stores, with no durability.
//! For demos and tests. One `std::sync::Mutex` guards everything; nothing awaits under it.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;

use super::{
    ClaimParams, Finish, Inserted, Lease, LeaseToken, ListParams, Outcome, QueueState, Store,
    StoreError, StoreResult,
};
use crate::task::{EventKind, NewTask, Task, TaskEvent, TaskStatus, Timestamp};

/// Order in which ready tasks are claimed: priority high first, then run_at, then id.
type ReadyKey = (std::cmp::Reverse<i32>, Timestamp, String);

#[derive(Debug, Clone)]
struct Row {
    task: Task,
    lease: Option<(LeaseToken, Timestamp)>,
    events: Vec<TaskEvent>,
}

#[derive(Debug, Default)]
struct State {
    /// Tasks by id; ids sort by creation.
    rows: BTreeMap<String, Row>,
    /// `QUEUED` tasks in claim order.
    ready: BTreeSet<ReadyKey>,
    /// unique_key → id of the unfinished task holding it.
    unique: HashMap<String, String>,
    /// Queue name → paused.
    queues: BTreeMap<String, bool>,
}

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

fn ready_key(task: &Task) -> ReadyKey {
    (
        std::cmp::Reverse(task.priority),
        task.run_at,
        task.id.clone(),
    )
}

fn event(task: &Task, kind: EventKind, at: Timestamp, message: Option<String>) -> TaskEvent {
    TaskEvent {
        task_id: task.id.clone(),
        at,
        kind,
        attempt: task.attempts,
        message,
    }
}

impl State {
    fn holds_key(&self, key: &str) -> Option<&Task> {
        self.unique
            .get(key)
            .and_then(|id| self.rows.get(id))
            .map(|row| &row.task)
    }

    /// Leaves the ready set and unique index consistent after a status change.
    fn set_status(&mut self, id: &str, status: TaskStatus) {
        let Some(row) = self.rows.get_mut(id) else {
            return;
        };
        let old = row.task.status;
        if old == TaskStatus::Queued {
            self.ready.remove(&ready_key(&row.task));
        }
        row.task.status = status;
        if status == TaskStatus::Queued {
            self.ready.insert(ready_key(&row.task));
        }
        if let Some(key) = row.task.unique_key.clone() {
            if status.is_terminal() {
                if self.unique.get(&key).map(String::as_str) == Some(id) {
                    self.unique.remove(&key);
                }
            } else {
                self.unique.insert(key, id.to_owned());
            }
        }
    }

    fn is_paused(&self, queue: &str) -> bool {
        self.queues.get(queue).copied().unwrap_or(false)
    }

    fn insert(&mut self, new: NewTask, now: Timestamp) -> Inserted {
        let task = new.into_queued(now);
        let events = vec![event(&task, EventKind::Enqueued, now, None)];
        let id = task.id.clone();
        self.rows.insert(
            id.clone(),
            Row {
                task,
                lease: None,
                events,
            },
        );
        self.set_status(&id, TaskStatus::Queued);
        Inserted {
            task: self.rows[&id].task.clone(),
            duplicate: false,
        }
    }

    fn finish(&mut self, finish: Finish, now: Timestamp) -> bool {
        let Some(row) = self.rows.get_mut(&finish.task_id) else {
            return false;
        };
        let Some((token, expires_at)) = row.lease else {
            return false;
        };
        let expired_ok = finish.expired_by.is_none_or(|by| expires_at <= by);
        if row.task.status != TaskStatus::InProgress || token != finish.token || !expired_ok {
            return false;
        }
        row.lease = None;
        row.task.updated_at = now;
        let status = match finish.outcome {
            Outcome::Completed { result } => {
                row.task.result = result;
                row.task.finished_at = Some(now);
                TaskStatus::Completed
            }
            Outcome::Retry { run_at, error } => {
                row.task.run_at = run_at;
                row.task.last_error = Some(error);
                TaskStatus::Queued
            }
            Outcome::Failed { error } => {
                row.task.last_error = Some(error);
                row.task.finished_at = Some(now);
                TaskStatus::Failed
            }
            Outcome::Released => {
                row.task.attempts = row.task.attempts.saturating_sub(1);
                row.task.run_at = now;
                TaskStatus::Queued
            }
        };
        let recorded = event(&row.task, finish.event, now, finish.message);
        row.events.push(recorded);
        self.set_status(&finish.task_id, status);
        true
    }

    fn lease_of(row: &Row) -> Option<Lease> {
        row.lease.map(|(token, expires_at)| Lease {
            task: row.task.clone(),
            token,
            expires_at,
        })
    }
}

#[async_trait]
impl Store for MemoryStore {
    fn is_exclusive(&self) -> bool {
        true
    }

    async fn ping(&self) -> StoreResult<()> {
        Ok(())
    }

    async fn task_insert_many(
        &self,
        tasks: Vec<NewTask>,
        now: Timestamp,
    ) -> StoreResult<Vec<Inserted>> {
        let mut state = self.lock();
        // All or nothing: refuse the whole batch before changing anything.
        let mut ids = std::collections::HashSet::with_capacity(tasks.len());
        if let Some(clash) = tasks
            .iter()
            .find(|t| state.rows.contains_key(&t.id) || !ids.insert(t.id.as_str()))
        {
            return Err(StoreError::Conflict(format!(
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

    async fn task_get(&self, id: &str) -> StoreResult<Option<Task>> {
        Ok(self.lock().rows.get(id).map(|row| row.task.clone()))
    }

    async fn task_list(&self, params: &ListParams) -> StoreResult<Vec<Task>> {
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

    async fn task_events(&self, id: &str) -> StoreResult<Vec<TaskEvent>> {
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

    async fn task_claim(&self, params: &ClaimParams) -> StoreResult<Vec<Lease>> {
        let mut state = self.lock();
        let chosen: Vec<String> = state
            .ready
            .iter()
            .filter(|(_, run_at, _)| *run_at <= params.now)
            .filter_map(|(_, _, id)| {
                let task = &state.rows[id].task;
                let runnable =
                    params.types.contains(&task.task_type) && !state.is_paused(&task.queue);
                runnable.then(|| id.clone())
            })
            .take(params.limit)
            .collect();
        let token = LeaseToken(params.lease_token);
        let mut leases = Vec::with_capacity(chosen.len());
        for id in chosen {
            state.set_status(&id, TaskStatus::InProgress);
            let row = state.rows.get_mut(&id).ok_or(StoreError::NotFound)?;
            row.task.attempts += 1;
            row.task.started_at = Some(params.now);
            row.task.updated_at = params.now;
            row.lease = Some((token, params.lease_expires_at));
            let started = event(&row.task, EventKind::Started, params.now, None);
            row.events.push(started);
            leases.extend(State::lease_of(row));
        }
        Ok(leases)
    }

    async fn task_next_run_at(&self, types: &[String]) -> StoreResult<Option<Timestamp>> {
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

    async fn task_finish_many(
        &self,
        finishes: Vec<Finish>,
        now: Timestamp,
    ) -> StoreResult<Vec<bool>> {
        let mut state = self.lock();
        Ok(finishes
            .into_iter()
            .map(|finish| state.finish(finish, now))
            .collect())
    }

    async fn task_heartbeat(
        &self,
        leases: &[(String, LeaseToken)],
        expires_at: Timestamp,
    ) -> StoreResult<Vec<String>> {
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

    async fn task_list_expired(
        &self,
        expired_by: Timestamp,
        limit: usize,
    ) -> StoreResult<Vec<Lease>> {
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

    async fn task_retry(&self, id: &str, now: Timestamp) -> StoreResult<Task> {
        let mut state = self.lock();
        let task = &state.rows.get(id).ok_or(StoreError::NotFound)?.task;
        if task.status != TaskStatus::Failed {
            return Err(StoreError::Conflict(format!(
                "task is {}, not FAILED",
                task.status
            )));
        }
        if let Some(key) = task.unique_key.as_deref()
            && state.holds_key(key).is_some_and(|holder| holder.id != id)
        {
            return Err(StoreError::Conflict(format!(
                "unique key {key:?} is held by another unfinished task"
            )));
        }
        let row = state.rows.get_mut(id).ok_or(StoreError::NotFound)?;
        row.task.attempts = 0;
        row.task.run_at = now;
        row.task.updated_at = now;
        row.task.finished_at = None;
        let recorded = event(&row.task, EventKind::RetriedByUser, now, None);
        row.events.push(recorded);
        state.set_status(id, TaskStatus::Queued);
        Ok(state.rows[id].task.clone())
    }

    async fn task_delete(&self, id: &str) -> StoreResult<Option<Task>> {
        let mut state = self.lock();
        let Some(original) = state.rows.get(id).map(|row| row.task.clone()) else {
            return Ok(None);
        };
        // A terminal status releases the ready slot and the unique key before removal.
        state.set_status(id, TaskStatus::Completed);
        state.rows.remove(id);
        Ok(Some(original))
    }

    async fn task_clear(&self) -> StoreResult<u64> {
        let mut state = self.lock();
        let count = state.rows.len() as u64;
        state.rows.clear();
        state.ready.clear();
        state.unique.clear();
        Ok(count)
    }

    async fn queue_set_paused(&self, name: &str, paused: bool, _now: Timestamp) -> StoreResult<()> {
        self.lock().queues.insert(name.to_owned(), paused);
        Ok(())
    }

    async fn queue_list(&self) -> StoreResult<Vec<QueueState>> {
        let state = self.lock();
        let mut queues = state.queues.clone();
        for row in state.rows.values() {
            queues.entry(row.task.queue.clone()).or_insert(false);
        }
        Ok(queues
            .into_iter()
            .map(|(name, paused)| QueueState { name, paused })
            .collect())
    }
}
