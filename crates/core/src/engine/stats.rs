//! What this node did and is doing, for metrics: the transitions it made, by
//! kind, the time its attempts took, by type, and how busy its workers are.
//! Counts of tasks come from the store.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use super::Engine;
use crate::task::EventKind;

/// Every event kind, in declaration order, so `KINDS[kind as usize] == kind`.
const KINDS: [EventKind; 9] = [
    EventKind::Enqueued,
    EventKind::Started,
    EventKind::Completed,
    EventKind::Failed,
    EventKind::RetryScheduled,
    EventKind::LeaseExpired,
    EventKind::RetriedByUser,
    EventKind::Cancelled,
    EventKind::Released,
];

/// Transitions made on this node, by kind (never those relayed from other
/// nodes), and the time its attempts took, by task type. Plain atomics in
/// maps fixed at start-up: counting costs the hot path no lock.
#[derive(Debug)]
pub(super) struct Tally {
    by_kind: [AtomicU64; KINDS.len()],
    /// Per type this node runs: attempts, and their nanoseconds in all.
    attempts: BTreeMap<String, (AtomicU64, AtomicU64)>,
}

/// How many attempts of one type ran on this node, and how long they took in all.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct AttemptTimes {
    /// Attempts that ended (however they ended).
    pub count: u64,
    /// Their durations added up, in seconds.
    pub seconds: f64,
}

impl Tally {
    /// Counters for the transitions of this node and the attempts of `types`.
    pub(super) fn new(types: &[String]) -> Self {
        Self {
            by_kind: Default::default(),
            attempts: types
                .iter()
                .map(|t| (t.clone(), (AtomicU64::new(0), AtomicU64::new(0))))
                .collect(),
        }
    }

    pub(super) fn count(&self, kind: EventKind) {
        self.by_kind[kind as usize].fetch_add(1, Ordering::Relaxed);
    }

    /// Times an attempt of `task_type`; only types this node runs are kept.
    pub(super) fn time_attempt(&self, task_type: &str, took: Duration) {
        if let Some((count, nanos)) = self.attempts.get(task_type) {
            count.fetch_add(1, Ordering::Relaxed);
            let took = u64::try_from(took.as_nanos()).unwrap_or(u64::MAX);
            nanos.fetch_add(took, Ordering::Relaxed);
        }
    }

    fn transitions(&self) -> BTreeMap<&'static str, u64> {
        KINDS
            .iter()
            .map(|kind| {
                (
                    kind.as_str(),
                    self.by_kind[*kind as usize].load(Ordering::Relaxed),
                )
            })
            .filter(|(_, count)| *count > 0)
            .collect()
    }

    fn attempt_times(&self) -> BTreeMap<String, AttemptTimes> {
        self.attempts
            .iter()
            .map(|(task_type, (count, nanos))| {
                (
                    task_type.clone(),
                    (count.load(Ordering::Relaxed), nanos.load(Ordering::Relaxed)),
                )
            })
            .filter(|(_, (count, _))| *count > 0)
            .map(|(task_type, (count, nanos))| {
                let seconds = Duration::from_nanos(nanos).as_secs_f64();
                (task_type, AttemptTimes { count, seconds })
            })
            .collect()
    }
}

/// A snapshot of this node.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NodeStats {
    /// Attempts that may run at once.
    pub workers: usize,
    /// Attempts running now.
    pub busy: usize,
    /// Transitions this node made since it started, by event kind (`completed`, `failed`...).
    pub transitions: BTreeMap<&'static str, u64>,
    /// The attempts this node ran since it started, by task type.
    pub attempts: BTreeMap<String, AttemptTimes>,
    /// Finished tasks this node deleted by retention: (`COMPLETED`, `FAILED`).
    pub pruned: (u64, u64),
    /// Remote workers' lease calls waiting for work now (idle workers).
    pub lease_calls_waiting: usize,
    /// How long tasks waited to start and attempts ran on this node, by type and queue.
    pub timings: Vec<super::TaskTimings>,
    /// How long this node's store calls took, by kind of call.
    pub store_calls: Vec<crate::store::StoreCallHistogram>,
}

impl Engine {
    /// Tasks completed and failed per 10 seconds over the last 15 minutes:
    /// on this node, and on a shared store on the others too.
    pub fn throughput(&self) -> super::Throughput {
        self.shared.throughput.snapshot(self.shared.now())
    }

    /// What this node did since it started, and how busy it is now.
    pub fn node_stats(&self) -> NodeStats {
        let shared = &self.shared;
        NodeStats {
            workers: shared.config.workers,
            busy: shared.attempts.count(),
            transitions: shared.tally.transitions(),
            attempts: shared.tally.attempt_times(),
            pruned: shared.pruned.totals(),
            lease_calls_waiting: shared.lease_calls_waiting.load(Ordering::Relaxed),
            timings: shared.timings.snapshot(),
            store_calls: shared.store.timings().snapshot(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_its_own_counter() {
        for (index, kind) in KINDS.iter().enumerate() {
            assert_eq!(*kind as usize, index, "{kind:?}");
        }
        let tally = Tally::new(&["EMAIL".to_owned()]);
        tally.count(EventKind::Completed);
        tally.count(EventKind::Completed);
        tally.count(EventKind::Released);
        tally.time_attempt("EMAIL", Duration::from_millis(1500));
        tally.time_attempt("UNKNOWN", Duration::from_secs(1));
        let counts: Vec<_> = tally.transitions().into_iter().collect();
        assert_eq!(counts, [("completed", 2), ("released", 1)]);
        let times = tally.attempt_times();
        assert_eq!(times.len(), 1);
        assert_eq!(
            times["EMAIL"],
            AttemptTimes {
                count: 1,
                seconds: 1.5
            }
        );
    }
}
