//! Queues in memory: their records (paused, limits), the usage of their
//! keys, and the claim that keeps their limits.

use std::collections::BTreeMap;

use super::state::{QueueRecord, State, event};
use crate::limits::{QueueLimits, Room};
use crate::store::{KeyUsage, Lease, QueueState, StoreError, StoreResult, TaskClaimParams};
use crate::task::{EventKind, TaskStatus};

impl State {
    pub(super) fn queue_set_paused(&mut self, name: &str, paused: bool) {
        self.queue_record_mut(name).paused = paused;
        self.queue_record_drop_if_default(name);
    }

    pub(super) fn queue_set_limits(&mut self, name: &str, limits: &QueueLimits) {
        self.queue_record_mut(name).limits = limits.clone();
        self.queue_record_drop_if_default(name);
    }

    fn queue_record_mut(&mut self, name: &str) -> &mut QueueRecord {
        self.queues.entry(name.to_owned()).or_default()
    }

    fn queue_record_drop_if_default(&mut self, name: &str) {
        if self
            .queues
            .get(name)
            .is_some_and(|record| !record.paused && record.limits.is_unlimited())
        {
            self.queues.remove(name);
        }
    }

    pub(super) fn queue_list(&self) -> Vec<QueueState> {
        let mut queues: BTreeMap<&str, QueueState> = self
            .queues
            .iter()
            .map(|(name, record)| {
                let state = QueueState {
                    name: name.clone(),
                    paused: record.paused,
                    limits: record.limits.clone(),
                };
                (name.as_str(), state)
            })
            .collect();
        for row in self.rows.values() {
            let name = row.task.queue.as_str();
            queues
                .entry(name)
                .or_insert_with(|| QueueState::unlimited(name, false));
        }
        queues.into_values().collect()
    }

    pub(super) fn queue_key_usage(&self, queue: &str, limit: usize) -> Vec<KeyUsage> {
        let mut usage: Vec<KeyUsage> = self
            .running
            .by_key
            .iter()
            .filter(|((q, _), running)| q == queue && **running > 0)
            .map(|((_, key), running)| KeyUsage {
                key: key.clone(),
                running: *running,
            })
            .collect();
        usage.sort_by(|a, b| b.running.cmp(&a.running).then_with(|| a.key.cmp(&b.key)));
        usage.truncate(limit);
        usage
    }

    /// Walks the ready set in claim order, skipping tasks whose queue or key
    /// has no room left: a saturated key never holds back another.
    pub(super) fn claim(&mut self, params: &TaskClaimParams) -> StoreResult<Vec<Lease>> {
        let mut rooms: BTreeMap<String, Room<'_>> = BTreeMap::new();
        let mut chosen = Vec::new();
        for (_, run_at, id) in &self.ready {
            if chosen.len() == params.limit {
                break;
            }
            if *run_at > params.now {
                continue;
            }
            let task = &self.rows[id].task;
            if !params.types.contains(&task.task_type) {
                continue;
            }
            let Some(record) = self.queues.get(&task.queue) else {
                chosen.push(id.clone());
                continue;
            };
            if record.paused {
                continue;
            }
            if record.limits.is_unlimited() {
                chosen.push(id.clone());
                continue;
            }
            let room = rooms.entry(task.queue.clone()).or_insert_with(|| {
                let running = self.running.by_queue.get(&task.queue).copied();
                let by_key = self
                    .running
                    .by_key
                    .iter()
                    .filter(|((queue, _), _)| *queue == task.queue)
                    .map(|((_, key), running)| (key.clone(), *running));
                Room::new(&record.limits, running.unwrap_or(0), by_key, params.limit)
            });
            if room.admit(task.concurrency_key.as_deref()) {
                chosen.push(id.clone());
            }
        }
        drop(rooms);
        let mut leases = Vec::with_capacity(chosen.len());
        for id in chosen {
            self.set_status(&id, TaskStatus::InProgress);
            let row = self.rows.get_mut(&id).ok_or(StoreError::NotFound)?;
            row.task.attempts += 1;
            row.task.started_at = Some(params.now);
            row.task.updated_at = params.now;
            row.lease = Some((params.lease_token, params.lease_expires_at));
            row.task.worker = Some(params.holder.clone());
            let started = event(&row.task, EventKind::Started, params.now, None);
            row.events.push(started);
            leases.extend(State::lease_of(row));
        }
        Ok(leases)
    }
}
