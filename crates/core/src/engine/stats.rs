//! What this node did and is doing, for metrics: the transitions it made, by
//! kind, the time its attempts took, by type, and how busy its workers are.
//! Counts of tasks come from the store.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use super::Engine;
use crate::task::EventKind;

/// Transitions made on this node, by kind (never those relayed from other
/// nodes), and the time its attempts took, by task type.
#[derive(Debug, Default)]
pub(super) struct Tally {
    by_kind: Mutex<BTreeMap<&'static str, u64>>,
    attempts: Mutex<BTreeMap<String, AttemptTimes>>,
}

/// How many attempts of one type ran on this node, and how long they took in all.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct AttemptTimes {
    /// Attempts that ended (however they ended).
    pub count: u64,
    /// Their durations added up, in seconds.
    pub seconds: f64,
}

/// The counts stay consistent whatever panicked while they were held.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Tally {
    pub(super) fn count(&self, kind: EventKind) {
        let mut by_kind = lock(&self.by_kind);
        *by_kind.entry(kind.as_str()).or_default() += 1;
    }

    pub(super) fn time_attempt(&self, task_type: &str, took: Duration) {
        let mut attempts = lock(&self.attempts);
        // Looked up by &str first: a new String only for a type's first attempt.
        if let Some(times) = attempts.get_mut(task_type) {
            times.count += 1;
            times.seconds += took.as_secs_f64();
        } else {
            let first = AttemptTimes {
                count: 1,
                seconds: took.as_secs_f64(),
            };
            attempts.insert(task_type.to_owned(), first);
        }
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
}

impl Engine {
    /// What this node did since it started, and how busy it is now.
    pub fn node_stats(&self) -> NodeStats {
        let shared = &self.shared;
        NodeStats {
            workers: shared.config.workers,
            busy: shared.running().len(),
            transitions: lock(&shared.tally.by_kind).clone(),
            attempts: lock(&shared.tally.attempts).clone(),
        }
    }
}
