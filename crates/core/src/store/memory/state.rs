//! The memory store's data and the operations that keep its indexes and counters consistent.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::limits::QueueLimits;
use crate::store::{
    ClaimKey, CronRecord, Finish, Inserted, Lease, LeaseToken, Outcome, Selection, StoreError,
    StoreResult, WorkerRecord, claim_key,
};
use crate::task::{EventKind, NewTask, Task, TaskEvent, TaskStatus, Timestamp};

/// A ready task's key; the ready set sorts in claim order.
type ReadyKey = ClaimKey;

#[derive(Debug, Clone)]
pub(super) struct Row {
    pub(super) task: Task,
    pub(super) lease: Option<(LeaseToken, Timestamp)>,
    pub(super) events: Vec<TaskEvent>,
}

#[derive(Debug, Default)]
pub(super) struct State {
    /// Tasks by id; ids sort by creation.
    pub(super) rows: BTreeMap<String, Row>,
    /// `QUEUED` tasks in claim order.
    pub(super) ready: BTreeSet<ReadyKey>,
    /// unique_key → id of the unfinished task holding it.
    pub(super) unique: HashMap<String, String>,
    /// Queue name → its record (paused, limits); absent is unpaused and unlimited.
    pub(super) queues: BTreeMap<String, QueueRecord>,
    /// `INPROGRESS` tasks per queue, and per queue and concurrency key.
    pub(super) running: Running,
    /// (queue, type, status) → how many tasks, kept with every change.
    pub(super) counts: HashMap<(String, String, TaskStatus), u64>,
    /// Cron entry name → its record.
    pub(super) cron: BTreeMap<String, CronRecord>,
    /// Worker id → its record.
    pub(super) workers: BTreeMap<String, WorkerRecord>,
}

/// A queue's record: kept while it is paused or has limits.
#[derive(Debug, Clone, Default)]
pub(super) struct QueueRecord {
    pub(super) paused: bool,
    pub(super) limits: QueueLimits,
    /// Round-robin queues: each key's last turn (see `crate::fairness`).
    pub(super) turns: HashMap<String, u64>,
}

/// How many tasks run, per queue and per (queue, key), kept with every change.
#[derive(Debug, Default)]
pub(super) struct Running {
    pub(super) by_queue: HashMap<String, u64>,
    pub(super) by_key: HashMap<(String, String), u64>,
}

impl Running {
    fn add(&mut self, task: &Task, delta: i64) {
        let step = |count: &mut u64| *count = count.saturating_add_signed(delta);
        step(self.by_queue.entry(task.queue.clone()).or_default());
        if let Some(key) = &task.concurrency_key {
            step(
                self.by_key
                    .entry((task.queue.clone(), key.clone()))
                    .or_default(),
            );
        }
    }
}

pub(super) fn ready_key(task: &Task) -> ReadyKey {
    claim_key(task)
}

pub(super) fn event(
    task: &Task,
    kind: EventKind,
    at: Timestamp,
    message: Option<String>,
) -> TaskEvent {
    TaskEvent {
        task_id: task.id.clone(),
        at,
        kind,
        attempt: task.attempts,
        message,
    }
}

impl State {
    pub(super) fn holds_key(&self, key: &str) -> Option<&Task> {
        self.unique
            .get(key)
            .and_then(|id| self.rows.get(id))
            .map(|row| &row.task)
    }

    /// Leaves the ready set and unique index consistent after a status change.
    pub(super) fn set_status(&mut self, id: &str, status: TaskStatus) {
        let Some(row) = self.rows.get_mut(id) else {
            return;
        };
        let old = row.task.status;
        if old == TaskStatus::Queued {
            self.ready.remove(&ready_key(&row.task));
        }
        match (
            old == TaskStatus::InProgress,
            status == TaskStatus::InProgress,
        ) {
            (true, false) => self.running.add(&row.task, -1),
            (false, true) => self.running.add(&row.task, 1),
            _ => {}
        }
        let group = (row.task.queue.clone(), row.task.task_type.clone());
        if let Some(count) = self
            .counts
            .get_mut(&(group.0.clone(), group.1.clone(), old))
        {
            *count = count.saturating_sub(1);
        }
        *self.counts.entry((group.0, group.1, status)).or_default() += 1;
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

    pub(super) fn is_paused(&self, queue: &str) -> bool {
        self.queues.get(queue).is_some_and(|record| record.paused)
    }

    pub(super) fn insert(&mut self, new: NewTask, now: Timestamp) -> Inserted {
        let note = new.note.clone();
        let task = new.into_queued(now);
        let events = vec![event(&task, EventKind::Enqueued, now, note)];
        let id = task.id.clone();
        // Counted here; set_status below moves it from QUEUED to QUEUED, a no-op for the counters.
        let group = (
            task.queue.clone(),
            task.task_type.clone(),
            TaskStatus::Queued,
        );
        *self.counts.entry(group).or_default() += 1;
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

    pub(super) fn finish(&mut self, finish: Finish, now: Timestamp) -> bool {
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
        row.task.worker = None;
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
            Outcome::Released { run_at } => {
                row.task.attempts = row.task.attempts.saturating_sub(1);
                row.task.run_at = run_at;
                TaskStatus::Queued
            }
        };
        let recorded = event(&row.task, finish.event, now, finish.message);
        row.events.push(recorded);
        self.set_status(&finish.task_id, status);
        true
    }

    pub(super) fn retry_one(&mut self, id: &str, now: Timestamp) -> StoreResult<Task> {
        let task = &self.rows.get(id).ok_or(StoreError::NotFound)?.task;
        if task.status != TaskStatus::Failed {
            return Err(StoreError::conflict(format!(
                "task is {}, not FAILED",
                task.status
            )));
        }
        if let Some(key) = task.unique_key.as_deref()
            && self.holds_key(key).is_some_and(|holder| holder.id != id)
        {
            return Err(StoreError::conflict(format!(
                "unique key {key:?} is held by another unfinished task"
            )));
        }
        let row = self.rows.get_mut(id).ok_or(StoreError::NotFound)?;
        row.task.attempts = 0;
        row.task.run_at = now;
        row.task.updated_at = now;
        row.task.started_at = None;
        row.task.finished_at = None;
        let recorded = event(&row.task, EventKind::RetriedByUser, now, None);
        row.events.push(recorded);
        self.set_status(id, TaskStatus::Queued);
        Ok(self.rows[id].task.clone())
    }

    pub(super) fn delete_one(&mut self, id: &str) -> Option<Task> {
        let original = self.rows.get(id)?.task.clone();
        // A terminal status releases the ready slot and the unique key before removal.
        self.set_status(id, TaskStatus::Completed);
        self.rows.remove(id);
        let group = (
            original.queue.clone(),
            original.task_type.clone(),
            TaskStatus::Completed,
        );
        if let Some(count) = self.counts.get_mut(&group) {
            *count = count.saturating_sub(1);
        }
        Some(original)
    }

    /// The ids a selection names that exist, in id order.
    pub(super) fn select(&self, selection: &Selection) -> Vec<String> {
        match selection {
            Selection::Ids(ids) => ids
                .iter()
                .filter(|id| self.rows.contains_key(*id))
                .cloned()
                .collect(),
            Selection::Filter(_) | Selection::All => {
                let filter = selection.filter().unwrap_or_default();
                self.rows
                    .values()
                    .filter(|row| filter.matches(&row.task))
                    .map(|row| row.task.id.clone())
                    .collect()
            }
        }
    }

    pub(super) fn lease_of(row: &Row) -> Option<Lease> {
        row.lease.map(|(token, expires_at)| Lease {
            task: row.task.clone(),
            token,
            expires_at,
        })
    }
}
