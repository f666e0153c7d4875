//! Queues in memory: their records (paused, limits), the usage of their
//! keys, and the claim that keeps their limits.

use std::collections::BTreeMap;

use super::state::{QueueRecord, State, event};
use crate::fairness::{Offered, claim_places, round_robin, turns_taken};
use crate::limits::{QueueLimits, Room};
use crate::store::{
    ClaimKey, KeyUsage, Lease, QueueState, StoreError, StoreResult, TaskClaimParams,
};
use crate::task::{EventKind, TaskStatus};

/// A task a claim takes: its place in claim order and its id.
type Pick = (ClaimKey, String);

impl State {
    pub(super) fn queue_set_paused(&mut self, name: &str, paused: bool) {
        self.queue_record_mut(name).paused = paused;
        self.queue_record_drop_if_default(name);
    }

    pub(super) fn queue_set_limits(&mut self, name: &str, limits: &QueueLimits) {
        let record = self.queue_record_mut(name);
        record.limits = limits.clone();
        if !limits.is_round_robin() {
            record.turns.clear();
        }
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
    /// has no room left: a saturated key never holds back another. A
    /// round-robin queue's due tasks are gathered and ordered apart, then
    /// merged in at the places their tasks hold.
    pub(super) fn claim(&mut self, params: &TaskClaimParams) -> StoreResult<Vec<Lease>> {
        let mut rooms: BTreeMap<String, Room<'_>> = BTreeMap::new();
        let mut chosen: Vec<Pick> = Vec::new();
        let mut fair: BTreeMap<String, Vec<Offered<ClaimKey>>> = BTreeMap::new();
        for place in &self.ready {
            let (_, run_at, id) = place;
            if chosen.len() == params.limit && fair.is_empty() {
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
                if chosen.len() < params.limit {
                    chosen.push((place.clone(), id.clone()));
                }
                continue;
            };
            if record.paused {
                continue;
            }
            if record.limits.is_round_robin() {
                let offered = Offered {
                    key: task.concurrency_key.clone(),
                    priority: task.priority,
                    task: place.clone(),
                };
                fair.entry(task.queue.clone()).or_default().push(offered);
                continue;
            }
            if chosen.len() == params.limit {
                continue;
            }
            if record.limits.is_unlimited() {
                chosen.push((place.clone(), id.clone()));
                continue;
            }
            let room = rooms
                .entry(task.queue.clone())
                .or_insert_with(|| self.room(&task.queue, &record.limits, params.limit));
            if room.admit(task.concurrency_key.as_deref()) {
                chosen.push((place.clone(), id.clone()));
            }
        }
        drop(rooms);
        let mut fair_picks = Vec::new();
        for (queue, offered) in fair {
            let record = &self.queues[&queue];
            let mut room = self.room(&queue, &record.limits, params.limit);
            let picks: Vec<Offered<ClaimKey>> = round_robin(offered, &record.turns)
                .into_iter()
                .filter(|pick| room.left() > 0 && room.admit(pick.key.as_deref()))
                .collect();
            let owned: Vec<ClaimKey> = picks.iter().map(|pick| pick.task.clone()).collect();
            for (pick, place) in picks.iter().zip(claim_places(&owned)) {
                chosen.push((place, pick.task.2.clone()));
            }
            fair_picks.push((queue, picks));
        }
        chosen.sort_unstable();
        chosen.truncate(params.limit);
        self.take_turns(fair_picks, &chosen);
        let chosen: Vec<String> = chosen.into_iter().map(|(_, id)| id).collect();
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

    /// The room a claim of at most `wanted` has in `queue` now.
    fn room<'a>(&self, queue: &str, limits: &'a QueueLimits, wanted: usize) -> Room<'a> {
        let running = self.running.by_queue.get(queue).copied();
        let by_key = self
            .running
            .by_key
            .iter()
            .filter(|((name, _), _)| name == queue)
            .map(|((_, key), running)| (key.clone(), *running));
        Room::new(limits, running.unwrap_or(0), by_key, wanted)
    }

    /// Records the turns of the round-robin picks the claim kept.
    fn take_turns(&mut self, fair_picks: Vec<(String, Vec<Offered<ClaimKey>>)>, chosen: &[Pick]) {
        let kept: std::collections::HashSet<&str> =
            chosen.iter().map(|(_, id)| id.as_str()).collect();
        for (queue, picks) in fair_picks {
            let Some(record) = self.queues.get_mut(&queue) else {
                continue;
            };
            let after = record.turns.values().max().copied().unwrap_or(0);
            let started = picks
                .iter()
                .filter(|pick| kept.contains(pick.task.2.as_str()));
            record.turns.extend(turns_taken(started, after));
        }
    }
}
