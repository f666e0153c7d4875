//! The memory store's worker records.

use super::state::State;
use crate::store::WorkerRecord;
use crate::task::Timestamp;

impl State {
    pub(super) fn worker_record(&mut self, seen: &WorkerRecord) {
        let Some(stored) = self.workers.get_mut(&seen.id) else {
            self.workers.insert(seen.id.clone(), seen.clone());
            return;
        };
        stored.kind = seen.kind;
        if !seen.types.is_empty() {
            stored.types.clone_from(&seen.types);
        }
        stored.hostname = seen.hostname.clone().or(stored.hostname.take());
        stored.pid = seen.pid.or(stored.pid);
        stored.concurrency = seen.concurrency.or(stored.concurrency);
        stored.last_seen_at = stored.last_seen_at.max(seen.last_seen_at);
    }

    pub(super) fn worker_list(&self, seen_since: Timestamp) -> Vec<WorkerRecord> {
        self.workers
            .values()
            .filter(|record| record.last_seen_at >= seen_since)
            .cloned()
            .collect()
    }

    pub(super) fn worker_prune(&mut self, seen_before: Timestamp) -> u64 {
        let before = self.workers.len();
        self.workers
            .retain(|_, record| record.last_seen_at >= seen_before);
        (before - self.workers.len()) as u64
    }
}
