//! Keeps this node's time on a shared store's clock: every node of a
//! cluster then writes lease expiries, delays and reaper turns by one clock,
//! so a node whose own clock runs ahead cannot rescue tasks another node
//! still holds, nor hold its own past their time.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use chrono::TimeDelta;

use super::Shared;

use crate::store::Store;

/// How often the offset is measured again (clocks drift, and get stepped).
pub(super) const SYNC_EVERY: Duration = Duration::from_secs(10);

/// An offset beyond this is worth telling the operator about.
const WORTH_A_WARNING: TimeDelta = TimeDelta::seconds(1);

/// What to add to this node's clock to read the store's, in microseconds.
#[derive(Debug, Default)]
pub(super) struct ClockOffset(AtomicI64);

impl ClockOffset {
    /// The offset now in force.
    pub(super) fn get(&self) -> TimeDelta {
        TimeDelta::microseconds(self.0.load(Ordering::Relaxed))
    }

    fn set(&self, offset: TimeDelta) -> TimeDelta {
        let micros = offset.num_microseconds().unwrap_or(i64::MAX);
        TimeDelta::microseconds(self.0.swap(micros, Ordering::Relaxed))
    }
}

/// Measures the store clock against this node's, taking the middle of the
/// round trip as the moment the store read its clock. False when the store
/// has no clock of its own (then the offset stays zero).
pub(super) async fn sync(shared: &Shared) -> bool {
    let Some(cluster) = shared.store.cluster() else {
        return false;
    };
    let before = shared.clock.now();
    let store_now = match cluster.clock_now().await {
        Ok(store_now) => store_now,
        Err(error) => {
            tracing::warn!(%error, "cannot read the store's clock; keeping the last offset");
            return true;
        }
    };
    let after = shared.clock.now();
    let offset = store_now - (before + (after - before) / 2);
    let previous = shared.offset.set(offset);
    if offset.abs() > WORTH_A_WARNING && (offset - previous).abs() > WORTH_A_WARNING {
        tracing::warn!(
            offset_ms = offset.num_milliseconds(),
            "this node's clock differs from the database's; task times follow the database"
        );
    }
    true
}
