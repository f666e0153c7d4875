//! What this node did and is doing, for metrics: the transitions it made, by
//! kind, and how busy its workers are. Counts of tasks come from the store.

use std::collections::BTreeMap;
use std::sync::Mutex;

use super::Engine;
use crate::task::EventKind;

/// Transitions made on this node, by kind (never those relayed from other nodes).
#[derive(Debug, Default)]
pub(super) struct Tally {
    by_kind: Mutex<BTreeMap<&'static str, u64>>,
}

impl Tally {
    pub(super) fn count(&self, kind: EventKind) {
        let mut by_kind = self.by_kind.lock().unwrap_or_else(|p| p.into_inner());
        *by_kind.entry(kind.as_str()).or_default() += 1;
    }
}

/// A snapshot of this node.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NodeStats {
    /// Attempts that may run at once.
    pub workers: usize,
    /// Attempts running now.
    pub busy: usize,
    /// Transitions this node made since it started, by event kind (`completed`, `failed`...).
    pub transitions: BTreeMap<&'static str, u64>,
}

impl Engine {
    /// What this node did since it started, and how busy it is now.
    pub fn node_stats(&self) -> NodeStats {
        let shared = &self.shared;
        NodeStats {
            workers: shared.config.workers,
            busy: shared.running().len(),
            transitions: shared
                .tally
                .by_kind
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .clone(),
        }
    }
}
