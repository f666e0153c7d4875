//! What only a store shared by several nodes needs: a wake-up when another
//! node made work ready, the transitions nodes share, periodic jobs taken
//! in turn, and one clock for every lease.

use std::sync::Arc;

use async_trait::async_trait;
use tokio::sync::{Notify, broadcast};

use super::{PeriodicTakeTurnParams, StoreResult, TransitionBatch};
use crate::task::Timestamp;

/// The cluster side of a shared store, returned by [`super::Store::cluster`].
#[async_trait]
pub trait Cluster: Send + Sync + std::fmt::Debug {
    /// The time by the store's own clock: lease times of every node must
    /// follow one clock, or a node whose clock runs ahead rescues tasks that
    /// are still held.
    async fn clock_now(&self) -> StoreResult<Timestamp>;

    /// Takes this turn of the periodic job (the reaper): true for one caller
    /// per `every` among all the nodes, so the job runs once per tick
    /// cluster-wide.
    async fn periodic_take_turn(&self, params: &PeriodicTakeTurnParams) -> StoreResult<bool>;

    /// Transitions shared by the other nodes (never this node's own).
    fn transitions_feed(&self) -> broadcast::Receiver<TransitionBatch>;

    /// Shares this node's transitions with the other nodes. Best effort: a
    /// lost batch only leaves other nodes' live views behind until they reload.
    async fn transitions_share(&self, batch: TransitionBatch) -> StoreResult<()>;

    /// Fires when another node may have made work ready (an insert, a retry,
    /// a resumed queue), so an idle dispatcher starts it at once.
    fn work_signal(&self) -> Arc<Notify>;
}
