//! The cluster relay, for shared stores: this node's transitions go out to the
//! other nodes in small batches, and theirs come in and are published here,
//! so each node's event stream and throughput history show the whole
//! cluster. Past [`SHARE_CAP`] transitions per send only their number goes
//! out, so a node finishing more than about 5,000 tasks a second is
//! under-counted in the other nodes' throughput.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::broadcast;
use tokio::sync::broadcast::error::RecvError;

use super::Shared;
use crate::store::{Store, TransitionBatch};
use crate::task::Transition;

/// How often this node's transitions are sent.
const SHARE_EVERY: Duration = Duration::from_millis(100);

/// The most transitions sent per [`SHARE_EVERY`]; beyond it only their number
/// goes out (a live view cannot show thousands a second one by one anyway).
const SHARE_CAP: usize = 500;

/// Transitions waiting for the next send.
#[derive(Debug, Default)]
pub(super) struct Outbox {
    batch: Mutex<TransitionBatch>,
}

impl Outbox {
    /// Queues one local transition for the next send, or counts it as skipped.
    pub(super) fn push(&self, transition: &Transition) {
        let mut batch = self.batch.lock().unwrap_or_else(|p| p.into_inner());
        if batch.transitions.len() < SHARE_CAP {
            batch.transitions.push(transition.clone());
        } else {
            batch.skipped += 1;
        }
    }

    fn take(&self) -> TransitionBatch {
        std::mem::take(&mut *self.batch.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

/// Shares this node's transitions and publishes the other nodes', until the engine stops.
pub(super) async fn run(shared: Arc<Shared>, mut feed: broadcast::Receiver<TransitionBatch>) {
    let mut tick = tokio::time::interval(SHARE_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = shared.stopped.cancelled() => {
                share(&shared).await;
                return;
            }
            _ = tick.tick() => share(&shared).await,
            received = feed.recv() => match received {
                Ok(batch) => publish_remote(&shared, batch),
                Err(RecvError::Lagged(missed)) => shared.resync(missed),
                Err(RecvError::Closed) => return,
            },
        }
    }
}

/// Hands this node's waiting transitions to the store for the other nodes.
async fn share(shared: &Shared) {
    let Some(outbox) = &shared.outbox else { return };
    let batch = outbox.take();
    if batch.transitions.is_empty() && batch.skipped == 0 {
        return;
    }
    let Some(cluster) = shared.store.cluster() else {
        return;
    };
    if let Err(error) = cluster.transitions_share(batch).await {
        tracing::debug!(%error, "sharing transitions with other nodes failed");
    }
}

fn publish_remote(shared: &Shared, batch: TransitionBatch) {
    for transition in batch.transitions {
        // Not into the outbox: the other nodes have it already.
        shared.throughput.record(transition.kind, shared.now());
        let _ = shared.transitions.send(transition);
    }
    if batch.skipped > 0 {
        shared.resync(batch.skipped);
    }
}
